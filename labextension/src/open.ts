/**
 * Opening a run's notebook: the executed copy of a job run when the server
 * has one, else the source notebook when it lies under the server root.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';

import { getRunNotebook, RunSummary } from './api';
import { describeError, errorText } from './errors';
import { runLabel } from './format';

/** Where executed notebooks are copied, relative to the server root. */
export const RUNS_FOLDER = 'workbench-runs';

export async function openRun(
  app: JupyterFrontEnd,
  run: RunSummary
): Promise<void> {
  try {
    if (run.has_executed_notebook) {
      const path = await saveExecutedNotebook(app.serviceManager.contents, run);
      await app.commands.execute('docmanager:open', { path });
    } else if (run.notebook_path !== null) {
      await app.commands.execute('docmanager:open', {
        path: run.notebook_path
      });
    } else {
      Notification.warning(
        `Run ${runLabel(run)} has no notebook in reach: it has no executed ` +
          'notebook and its source notebook is outside the server root.',
        { autoClose: 8000 }
      );
    }
  } catch (reason) {
    const message = errorText(describeError(reason));
    Notification.error(`Could not open run ${runLabel(run)}: ${message}`, {
      autoClose: 8000
    });
  }
}

/** Fetch the executed notebook and write it to workbench-runs/<run_id>.ipynb. */
async function saveExecutedNotebook(
  contents: Contents.IManager,
  run: RunSummary
): Promise<string> {
  const notebook = await getRunNotebook(run.run_id);
  await ensureFolder(contents, RUNS_FOLDER);
  const path = `${RUNS_FOLDER}/${run.run_id}.ipynb`;
  await contents.save(path, {
    type: 'notebook',
    format: 'json',
    content: notebook
  });
  return path;
}

async function ensureFolder(
  contents: Contents.IManager,
  path: string
): Promise<void> {
  try {
    await contents.get(path, { content: false });
  } catch {
    await contents.save(path, { type: 'directory' });
  }
}
