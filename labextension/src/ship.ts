/**
 * Ship commands: "Validate Notebook…", "Export Notebook…" and "Open Exports"
 * (palette, Workbench category). Validation runs what is on screen: an open
 * notebook with unsaved changes is saved first. Its report opens in one tab
 * per notebook, updated by the next validation; an export lists the files it
 * would write before writing them, and the exports view opens them on click.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { DocumentWidget } from '@jupyterlab/docregistry';
import { NotebookPanel } from '@jupyterlab/notebook';

import { askGuarded } from './dialogs';
import { describeError, errorText } from './errors';
import { ExportFormBody } from './exportDialog';
import { ExportsPanel } from './exportsView';
import {
  createExport,
  listValidationRuns,
  validateNotebook,
  ValidationReport
} from './shipApi';
import { ValidateFormBody, ValidationReportPanel } from './validateView';
import { notifyFailure } from './notify';
import { basename } from './format';

export const CommandIDs = {
  validate: 'workbench:validate-notebook',
  export: 'workbench:export-notebook',
  exports: 'workbench:open-exports'
};
const CATEGORY = 'Workbench';
/** The explore views' run page, when that plugin is there. */
const OPEN_RUN_COMMAND = 'workbench:open-run';

/** Add the ship commands to the app, and to the palette when there is one. */
export function registerShipCommands(
  app: JupyterFrontEnd,
  palette?: ICommandPalette | null
): void {
  const reports = new Map<string, ValidationReportPanel>();
  let exportsPanel: ExportsPanel | null = null;
  const openExports = (): ExportsPanel => {
    if (exportsPanel === null || exportsPanel.isDisposed) {
      exportsPanel = new ExportsPanel({
        openFile: path =>
          void app.commands.execute('docmanager:open', { path }),
        openRun: runId => void openRunById(app, runId)
      });
      app.shell.add(exportsPanel, 'main');
    }
    app.shell.activateById(exportsPanel.id);
    return exportsPanel;
  };
  const reportTab = (path: string): ValidationReportPanel => {
    let tab = reports.get(path);
    if (!tab || tab.isDisposed) {
      tab = new ValidationReportPanel(
        path,
        (p, cell) => void openAtCell(app, p, cell)
      );
      tab.id = `workbench-validation-${reports.size}-${Date.now()}`;
      reports.set(path, tab);
      app.shell.add(tab, 'main');
    }
    app.shell.activateById(tab.id);
    return tab;
  };

  app.commands.addCommand(CommandIDs.validate, {
    label: 'Validate Notebook…',
    caption:
      'Run the notebook on screen in a fresh kernel and check it (Workbench)',
    isEnabled: () => currentNotebook(app) !== null,
    execute: () => runValidate(app, reportTab)
  });
  app.commands.addCommand(CommandIDs.export, {
    label: 'Export Notebook…',
    caption:
      'Export a validated run of the notebook as a package and pipeline steps (Workbench)',
    isEnabled: () => currentNotebook(app) !== null,
    execute: () => runExport(app, openExports)
  });
  app.commands.addCommand(CommandIDs.exports, {
    label: 'Open Exports',
    caption:
      'Exports with their versions, source runs and validation; roll back (Workbench)',
    execute: () => openExports()
  });
  for (const command of Object.values(CommandIDs)) {
    palette?.addItem({ command, category: CATEGORY });
  }
}

/** The notebook in focus. */
function currentNotebook(app: JupyterFrontEnd): DocumentWidget | null {
  const widget = app.shell.currentWidget;
  if (
    widget instanceof DocumentWidget &&
    widget.context.path.endsWith('.ipynb')
  ) {
    return widget;
  }
  return null;
}

/** Save the notebook if it has unsaved changes, so what runs is what is on screen. */
async function saveFirst(widget: DocumentWidget): Promise<string> {
  if (widget.context.model.dirty) {
    await widget.context.save();
    return `${basename(widget.context.path)} had unsaved changes: it was saved, and what is on screen is validated.`;
  }
  return `${basename(widget.context.path)} is validated as it is on screen (saved).`;
}

async function runValidate(
  app: JupyterFrontEnd,
  reportTab: (path: string) => ValidationReportPanel
): Promise<void> {
  const widget = currentNotebook(app);
  if (widget === null) {
    return;
  }
  const path = widget.context.localPath;
  const body = new ValidateFormBody(
    widget.context.model.dirty
      ? `${basename(path)} has unsaved changes: it is saved first, so what is on screen is validated.`
      : `${basename(path)} is validated as it is on screen.`
  );
  const asked = await askGuarded({
    title: `Validate ${basename(path)}`,
    body,
    accept: 'Validate',
    className: 'wb-ShipDialog'
  });
  if (!asked) {
    return;
  }
  const tab = reportTab(path);
  tab.state = { kind: 'running', since: Date.now() };
  try {
    await saveFirst(widget);
    const report: ValidationReport = await validateNotebook({
      path,
      require: asked.require,
      max_seconds: asked.max_seconds,
      require_from: 'dialog'
    });
    tab.state = { kind: 'done', report };
  } catch (reason) {
    // A POST is never retried (it must not run twice): say why it failed.
    tab.state = { kind: 'error', message: errorText(describeError(reason)) };
  }
}

async function runExport(
  app: JupyterFrontEnd,
  openExports: () => ExportsPanel
): Promise<void> {
  const widget = currentNotebook(app);
  if (widget === null) {
    return;
  }
  const path = widget.context.localPath;
  let runs: Awaited<ReturnType<typeof listValidationRuns>> = [];
  try {
    runs = await listValidationRuns(path);
  } catch (reason) {
    notifyFailure(`Cannot list the validations of ${basename(path)}`, reason);
    return;
  }
  const body = new ExportFormBody(path, runs);
  const request = await askGuarded({
    title: `Export ${basename(path)}`,
    body,
    accept: 'Export',
    className: 'wb-SweepDialog'
  });
  if (!request) {
    return;
  }
  if (request.path) {
    await saveFirst(widget);
  }
  const note = Notification.emit(
    request.path
      ? `Validating and exporting ${basename(path)}…`
      : `Exporting ${basename(path)}…`,
    'in-progress',
    { autoClose: false }
  );
  try {
    const written = await createExport(request);
    Notification.update({
      id: note,
      message: `${written.export.name} ${written.export.version}: ${written.files.length} files written into ${written.export.path}`,
      type: 'success',
      autoClose: 6000
    });
    openExports().written(written);
  } catch (reason) {
    Notification.update({
      id: note,
      message: `The export failed: ${errorText(describeError(reason))}`,
      type: 'error',
      autoClose: 12000
    });
  }
}

/** Open a notebook under the root with the cell `index` active and in view. */
async function openAtCell(
  app: JupyterFrontEnd,
  path: string,
  index: number
): Promise<void> {
  const widget: unknown = await app.commands.execute('docmanager:open', {
    path
  });
  if (widget instanceof NotebookPanel) {
    await widget.context.ready;
    await widget.revealed;
    if (index >= 0 && index < widget.content.widgets.length) {
      widget.content.activeCellIndex = index;
      await widget.content.scrollToItem(index, 'center');
    }
  }
}

async function openRunById(app: JupyterFrontEnd, runId: string): Promise<void> {
  if (app.commands.hasCommand(OPEN_RUN_COMMAND)) {
    await app.commands.execute(OPEN_RUN_COMMAND, { runId });
  } else {
    Notification.info(`Run ${runId}: open it from the Workbench sidebar.`, {
      autoClose: 6000
    });
  }
}
