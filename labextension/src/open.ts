/**
 * Opening a run's notebook. A job run's executed notebook opens read-only
 * from the store (notebookDrive.ts) with a widget factory that starts no
 * kernel: nothing is written into the project. A run without one (an
 * interactive run) opens its source notebook when it lies under the root.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { NotebookPanel, NotebookWidgetFactory } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { RunSummary } from './api';
import { describeError, errorText } from './errors';
import { runLabel } from './format';
import { runNotebookPath } from './notebookDrive';

/** The widget factory of executed notebooks: read-only, never a kernel. */
export const RUN_NOTEBOOK_FACTORY = 'Workbench Run Notebook';

/** A notebook factory like JupyterLab's own, minus kernels. */
export function createRunNotebookFactory(
  base: NotebookWidgetFactory
): NotebookWidgetFactory {
  return new NotebookWidgetFactory({
    name: RUN_NOTEBOOK_FACTORY,
    label: 'Executed notebook (read-only)',
    fileTypes: ['notebook'],
    modelName: 'notebook',
    preferKernel: false,
    canStartKernel: false,
    shutdownOnClose: false,
    autoStartDefault: false,
    rendermime: base.rendermime,
    contentFactory: base.contentFactory,
    mimeTypeService: base.mimeTypeService,
    editorConfig: base.editorConfig,
    notebookConfig: base.notebookConfig
  });
}

export interface IOpenNotebookOptions {
  /** Scroll to and select this cell (the failing one of a failed run). */
  cellIndex?: number | null;
}

/** Open the run's notebook: executed (read-only) when it has one, else its source. */
export async function openRunNotebook(
  app: JupyterFrontEnd,
  run: RunSummary,
  options: IOpenNotebookOptions = {}
): Promise<void> {
  try {
    if (run.has_executed_notebook) {
      const widget = (await app.commands.execute('docmanager:open', {
        path: runNotebookPath(run.run_id),
        factory: RUN_NOTEBOOK_FACTORY
      })) as unknown;
      if (widget instanceof NotebookPanel) {
        await markRunNotebook(widget, run, options.cellIndex ?? null);
      }
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

async function markRunNotebook(
  panel: NotebookPanel,
  run: RunSummary,
  cellIndex: number | null
): Promise<void> {
  panel.title.label = `${runLabel(run)} (output)`;
  panel.title.caption =
    `Executed notebook of run ${run.run_id} (${run.status}), read-only from ` +
    'the Workbench store: no kernel, no file in your project.';
  panel.addClass('wb-RunNotebook');
  panel.node.dataset.runId = run.run_id;
  const banner = new Widget();
  banner.addClass('wb-RunNotebook-banner');
  banner.node.textContent = `Output of run ${runLabel(run)} (${run.status}): read-only, no kernel`;
  panel.toolbar.insertItem(0, 'workbench-run', banner);
  await panel.context.ready;
  panel.model!.dirty = false;
  if (
    cellIndex !== null &&
    cellIndex >= 0 &&
    cellIndex < panel.content.widgets.length
  ) {
    panel.content.activeCellIndex = cellIndex;
    const cell = panel.content.widgets[cellIndex];
    await panel.content.scrollToItem(cellIndex, 'center');
    cell.addClass('wb-mod-failingCell');
  }
}
