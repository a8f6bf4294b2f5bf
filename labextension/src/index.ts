/**
 * Workbench labextension: a left sidebar listing tracked runs.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { DocumentWidget } from '@jupyterlab/docregistry';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { workbenchIcon } from './icon';
import { JobCommandIDs, registerJobCommands } from './jobCommands';
import { RunsPanel } from './panel';
import { registerShipCommands } from './ship';
// Issue 10 (explore): the runs explorer, run pages, compare and diff.
import explorePlugin, { ExploreCommands } from './explorePlugin';

const PLUGIN_ID = 'jupyter-mlops-workbench:sidebar';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Lists Workbench runs in the left sidebar and opens their notebooks.',
  autoStart: true,
  requires: [ILabShell],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    registerShipCommands(app, palette);
    const panel = new RunsPanel({
      openRun: run =>
        app.commands.execute(ExploreCommands.openRun, { runId: run.run_id }),
      openExplorer: () => app.commands.execute(ExploreCommands.openRuns)
    });
    panel.id = 'workbench-sidebar';
    panel.title.icon = workbenchIcon;
    panel.title.caption = 'Workbench';
    labShell.add(panel, 'left', { rank: 650 });
    restorer?.add(panel, PLUGIN_ID);

    // "This notebook" follows the notebook in focus; it keeps the last one
    // while focus is elsewhere, until that notebook closes.
    let tracked: DocumentWidget | null = null;
    const follow = (widget: Widget | null): void => {
      if (isNotebook(widget)) {
        if (tracked !== widget) {
          tracked?.context.pathChanged.disconnect(onRename);
          tracked?.disposed.disconnect(onClose);
          tracked = widget;
          widget.context.pathChanged.connect(onRename);
          widget.disposed.connect(onClose);
        }
        panel.notebookPath = widget.context.localPath;
      }
    };
    const onRename = (): void => {
      if (tracked) {
        panel.notebookPath = tracked.context.localPath;
      }
    };
    const onClose = (): void => {
      tracked = null;
      panel.notebookPath = null;
      follow(labShell.currentWidget);
    };
    labShell.currentChanged.connect((_, args) => follow(args.newValue));
    void app.restored.then(() => follow(labShell.currentWidget));
  }
};

function isNotebook(widget: Widget | null): widget is DocumentWidget {
  return (
    widget instanceof DocumentWidget &&
    widget.context.path.endsWith('.ipynb') &&
    // A run's executed notebook (another drive) is not a notebook of the project.
    widget.context.path === widget.context.localPath
  );
}

// -- Jobs (issue 11): the job queue, the sweep dialog and their commands. The
// toolbar button and the file browser's menu items are placed by
// schema/jobs.json (jupyter.lab.toolbars, jupyter.lab.menus), so users can
// move or hide them in the settings.
const JOBS_PLUGIN_ID = 'jupyter-mlops-workbench:jobs';

const jobsPlugin: JupyterFrontEndPlugin<void> = {
  id: JOBS_PLUGIN_ID,
  description:
    'The job queue, the sweep dialog, and their toolbar, menu and palette commands.',
  autoStart: true,
  optional: [
    ICommandPalette,
    INotebookTracker,
    IFileBrowserFactory,
    ILayoutRestorer
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    browsers: IFileBrowserFactory | null,
    restorer: ILayoutRestorer | null
  ): void => {
    registerJobCommands(app, {
      palette,
      notebooks,
      browsers,
      restore: tracker =>
        void restorer?.restore(tracker, {
          command: JobCommandIDs.openJobs,
          name: () => 'jobs'
        })
    });
  }
};
// -- end of Jobs

export default [plugin, jobsPlugin, explorePlugin];
