/**
 * The job commands: workbench:open-jobs (the job queue tab),
 * workbench:launch-sweep ("Sweep…": in the notebook toolbar, placed by the
 * jupyter.lab.toolbars settings, the palette and the file browser's context
 * menu) and workbench:run-as-job ("Run as job…"). Both launch commands open
 * the sweep dialog on the notebook in focus, or on the notebook picked in the
 * file browser, after saving it when it has unsaved changes.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { WorkbenchAPIError } from './api';
import { workbenchIcon } from './icon';
import { JOB_QUEUE_ID, JobQueuePanel } from './jobQueue';
import { openRunNotebook } from './open';
import { askGuarded } from './dialogs';
import { SweepFormBody } from './sweepDialog';
import { newForm } from './sweepForm';
import { setJobQueueOpener } from './sweeps';
import {
  createSweep,
  getNotebookParameters,
  NotebookParameter,
  SweepRun
} from './sweepsApi';
import { notifyFailure } from './notify';
import { basename } from './format';

export const JobCommandIDs = {
  openJobs: 'workbench:open-jobs',
  launchSweep: 'workbench:launch-sweep',
  runAsJob: 'workbench:run-as-job'
};
/** The explore views' run page, when that plugin is there. */
export const OPEN_RUN_COMMAND = 'workbench:open-run';
const CATEGORY = 'Workbench';

export interface IJobCommandsOptions {
  palette: ICommandPalette | null;
  notebooks: INotebookTracker | null;
  browsers: IFileBrowserFactory | null;
  restore: (tracker: WidgetTracker<JobQueuePanel>) => void;
}

export function registerJobCommands(
  app: JupyterFrontEnd,
  options: IJobCommandsOptions
): void {
  const { notebooks, browsers } = options;
  const tracker = new WidgetTracker<JobQueuePanel>({
    namespace: 'workbench-jobs'
  });
  options.restore(tracker);

  const queue = (): JobQueuePanel => {
    let panel = tracker.find(w => w.id === JOB_QUEUE_ID) ?? null;
    if (panel === null || panel.isDisposed) {
      panel = new JobQueuePanel({
        openRunPage: run => void openRunPage(app, run),
        openNotebook: run => void openExecuted(app, run),
        launch: () => void app.commands.execute(JobCommandIDs.launchSweep)
      });
      void tracker.add(panel);
      app.shell.add(panel, 'main');
    }
    app.shell.activateById(panel.id);
    return panel;
  };
  setJobQueueOpener(
    sweepId => void app.commands.execute(JobCommandIDs.openJobs, { sweepId })
  );

  /** The notebook a launch command is about: its argument, the file browser's pick, or the one in focus. */
  const target = (args: ReadonlyPartialJSONObject): string | null => {
    if (typeof args.path === 'string') {
      return args.path;
    }
    if (args.fromBrowser && browsers) {
      const item = browsers.tracker.currentWidget?.selectedItems().next();
      const model = item && !item.done ? item.value : null;
      return model && model.path.endsWith('.ipynb') ? model.path : null;
    }
    const panel = notebooks?.currentWidget;
    return panel ? panel.context.path : null;
  };

  app.commands.addCommand(JobCommandIDs.openJobs, {
    label: 'Open Job Queue',
    caption:
      'Sweeps and their jobs: progress by cell, logs, cancel and retry (Workbench)',
    icon: workbenchIcon,
    execute: args => {
      const panel = queue();
      if (typeof args.sweepId === 'string' && args.sweepId) {
        panel.model.selectSweep(args.sweepId);
      }
      return panel;
    }
  });
  const launch =
    (mode: 'sweep' | 'job') => (args: ReadonlyPartialJSONObject) => {
      const path = target(args);
      if (path === null) {
        Notification.warning(
          'Open a notebook, or pick one in the file browser, to run it as jobs.',
          {
            autoClose: 6000
          }
        );
        return;
      }
      return launchDialog(path, mode, notebooks, detail =>
        queue().showSweep(detail)
      );
    };
  app.commands.addCommand(JobCommandIDs.launchSweep, {
    label: args =>
      args.fromBrowser || args.toolbar ? 'Sweep…' : 'Sweep Notebook…',
    caption:
      'Run the notebook as jobs over values of its parameters, locally or on Dask (Workbench)',
    icon: workbenchIcon,
    isEnabled: args => target(args) !== null,
    execute: launch('sweep')
  });
  app.commands.addCommand(JobCommandIDs.runAsJob, {
    label: args => (args.fromBrowser ? 'Run as Job…' : 'Run Notebook as Job…'),
    caption:
      'Run the notebook once in a fresh kernel, as a tracked job of the job queue (Workbench)',
    isEnabled: args => target(args) !== null,
    execute: launch('job')
  });
  for (const command of Object.values(JobCommandIDs)) {
    options.palette?.addItem({ command, category: CATEGORY });
  }
}

/** Save the notebook if it is open with unsaved changes; say what was done. */
async function saveFirst(
  path: string,
  notebooks: INotebookTracker | null
): Promise<string> {
  const panel = notebooks?.find(p => p.context.path === path) ?? null;
  if (panel === null) {
    return 'The jobs run the saved file.';
  }
  if (panel.context.model.dirty) {
    await panel.context.save();
    return `${basename(path)} had unsaved changes: it was saved, and the jobs run what is on screen now.`;
  }
  return 'The jobs run the saved notebook, which is what is on screen.';
}

async function launchDialog(
  path: string,
  mode: 'sweep' | 'job',
  notebooks: INotebookTracker | null,
  show: (detail: Awaited<ReturnType<typeof createSweep>>) => void
): Promise<void> {
  let note: string;
  let parameters: NotebookParameter[] = [];
  try {
    note = await saveFirst(path, notebooks);
    parameters = (await getNotebookParameters(path)).parameters;
  } catch (reason) {
    // A notebook without a parameters cell still runs, as one job.
    const noParameters =
      reason instanceof WorkbenchAPIError &&
      reason.status === 400 &&
      /parameters/.test(reason.message);
    if (!noParameters) {
      notifyFailure(`Cannot read ${basename(path)}`, reason);
      return;
    }
    note = 'This notebook has no cell tagged parameters.';
  }
  const body = new SweepFormBody(newForm(path, parameters), note);
  const request = await askGuarded({
    title:
      mode === 'sweep'
        ? `Sweep ${basename(path)}`
        : `Run ${basename(path)} as a job`,
    body,
    accept: mode === 'sweep' ? 'Launch' : 'Run',
    className: 'wb-SweepDialog'
  });
  if (!request) {
    return;
  }
  try {
    const detail = await createSweep(request);
    show(detail);
    const queued = detail.counts.queued ?? 0;
    Notification.success(
      queued > 0
        ? `Sweep ${detail.sweep_id.slice(0, 8)}: ${queued} job${queued === 1 ? '' : 's'} queued`
        : `Sweep ${detail.sweep_id.slice(0, 8)}: nothing to run (every job already succeeded)`,
      { autoClose: 5000 }
    );
  } catch (reason) {
    // A POST is never retried: it must not launch twice.
    notifyFailure('The sweep was not launched', reason, 10000);
  }
}

/** The run page when the explore views are there, else the executed notebook. */
async function openRunPage(app: JupyterFrontEnd, run: SweepRun): Promise<void> {
  if (app.commands.hasCommand(OPEN_RUN_COMMAND)) {
    try {
      await app.commands.execute(OPEN_RUN_COMMAND, { runId: run.run_id });
      return;
    } catch (reason) {
      console.warn('workbench: the run page did not open', reason);
    }
  }
  await openExecuted(app, run);
}

/** The executed notebook (read-only, from the store), at the failing cell when the job
 * failed. */
async function openExecuted(
  app: JupyterFrontEnd,
  run: SweepRun
): Promise<void> {
  await openRunNotebook(app, run, { cellIndex: run.error?.cell_index ?? null });
}
