/**
 * The explore plugin: the runs explorer, run pages, compare and diff in the
 * main area, the read-only drive of executed notebooks, and their commands
 * (each with a label and caption, so all are in the palette). Open views are
 * restored on reload.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  ICommandPalette,
  IThemeManager,
  MainAreaWidget,
  Notification,
  showDialog,
  Dialog,
  WidgetTracker
} from '@jupyterlab/apputils';
import {
  INotebookWidgetFactory,
  NotebookWidgetFactory
} from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { getRun } from './api';
import { asText } from './format';
import { CompareWidget } from './compare';
import { DiffWidget } from './diff';
import { ExplorerWidget } from './explorer';
import { copyAsCode, toCSV } from './explorerModel';
import { workbenchIcon } from './icon';
import { RunNotebookDrive } from './notebookDrive';
import { createRunNotebookFactory, openRunNotebook } from './open';
import { registerRunCommands } from './runCommands';
import { RunPageWidget } from './runPage';
import { notifyFailure } from './notify';

export const EXPLORE_PLUGIN_ID = 'jupyter-mlops-workbench:explorer';
const CATEGORY = 'Workbench';
const MAX_OPEN = 20;

export const ExploreCommands = {
  openRuns: 'workbench:open-runs',
  openRun: 'workbench:open-run',
  openRunNotebook: 'workbench:open-run-notebook',
  compareRuns: 'workbench:compare-runs',
  diffRuns: 'workbench:diff-runs',
  compareWith: 'workbench:compare-with-run',
  rerun: 'workbench:rerun-run',
  validateRun: 'workbench:validate-run',
  exportRun: 'workbench:export-run',
  explorerOpen: 'workbench:explorer-open',
  explorerCompare: 'workbench:explorer-compare',
  explorerDiff: 'workbench:explorer-diff',
  explorerCsv: 'workbench:explorer-export-csv',
  explorerCode: 'workbench:explorer-copy-code'
};

type Main<T extends Widget> = MainAreaWidget<T>;

function ids(args: ReadonlyPartialJSONObject): string[] {
  const value = args.runIds;
  return Array.isArray(value) ? value.map(String) : [];
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: EXPLORE_PLUGIN_ID,
  description: 'Runs explorer, run pages, compare and diff of Workbench runs.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    IThemeManager,
    INotebookWidgetFactory
  ],
  activate: async (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    themes: IThemeManager | null,
    notebookFactory: NotebookWidgetFactory.IFactory | null
  ): Promise<void> => {
    const { commands, shell } = app;
    app.serviceManager.contents.addDrive(new RunNotebookDrive());
    if (notebookFactory instanceof NotebookWidgetFactory) {
      app.docRegistry.addWidgetFactory(
        createRunNotebookFactory(notebookFactory)
      );
    }
    const settings = settingRegistry
      ? await settingRegistry.load(EXPLORE_PLUGIN_ID).catch(() => null)
      : null;

    const explorers = new WidgetTracker<Main<ExplorerWidget>>({
      namespace: 'workbench-explorer'
    });
    const pages = new WidgetTracker<Main<RunPageWidget>>({
      namespace: 'workbench-run'
    });
    const compares = new WidgetTracker<Main<CompareWidget>>({
      namespace: 'workbench-compare'
    });
    const diffs = new WidgetTracker<Main<DiffWidget>>({
      namespace: 'workbench-diff'
    });
    const explorer = (): ExplorerWidget | null =>
      explorers.currentWidget?.content ?? null;

    const add = <T extends Widget>(
      tracker: WidgetTracker<Main<T>>,
      content: T
    ): Main<T> => {
      const main = new MainAreaWidget({ content });
      main.title.icon = workbenchIcon;
      void tracker.add(main);
      shell.add(main, 'main');
      shell.activateById(main.id);
      return main;
    };

    commands.addCommand(ExploreCommands.openRuns, {
      label: 'Open runs explorer',
      caption: 'All Workbench runs in a searchable, sortable grid',
      icon: workbenchIcon,
      execute: () => {
        const open = explorers.currentWidget;
        if (open) {
          shell.activateById(open.id);
          return;
        }
        add(explorers, new ExplorerWidget({ commands, settings }));
      }
    });
    commands.addCommand(ExploreCommands.openRun, {
      label: args =>
        args.runId ? `Open run ${asText(args.runId).slice(0, 8)}` : 'Open run…',
      caption:
        'The run page: params, metrics and charts, artifacts, note and actions',
      execute: async args => {
        let runId = asText(args.runId);
        if (!runId) {
          const answer = await showDialog({
            title: 'Open run',
            body: new RunIdBody(),
            buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Open' })]
          });
          runId = answer.button.accept ? (answer.value ?? '').trim() : '';
          if (!runId) {
            return;
          }
        }
        const open = pages.find(w => w.content.runId === runId);
        if (open) {
          shell.activateById(open.id);
          return;
        }
        add(pages, new RunPageWidget({ runId, rendermime, commands }));
      }
    });
    commands.addCommand(ExploreCommands.openRunNotebook, {
      label: 'Open run notebook',
      caption:
        "Open a run's executed notebook read-only from the store (no kernel, no file written)",
      execute: async args => {
        try {
          const run = await getRun(asText(args.runId));
          const cell =
            typeof args.cellIndex === 'number' ? args.cellIndex : null;
          await openRunNotebook(app, run, { cellIndex: cell });
        } catch (reason) {
          notifyFailure('Could not open the notebook', reason);
        }
      }
    });
    commands.addCommand(ExploreCommands.compareRuns, {
      label: 'Compare runs',
      caption:
        'Metric histories, metric against parameter, parallel coordinates, contour and a table',
      execute: args => {
        const runIds = ids(args);
        if (runIds.length > 0) {
          add(compares, new CompareWidget({ runIds, rendermime }));
        }
      }
    });
    commands.addCommand(ExploreCommands.diffRuns, {
      label: 'Diff two runs',
      caption:
        'Params, metrics, tags, environment and the executed notebooks cell by cell',
      execute: args => {
        const runIds = ids(args);
        if (runIds.length === 2) {
          add(diffs, new DiffWidget({ base: runIds[0], remote: runIds[1] }));
        }
      }
    });
    registerRunCommands(app, () => pages.currentWidget?.content.runId ?? null);

    // Actions on the explorer's selection.
    const selected = (): string[] => explorer()?.selected ?? [];
    commands.addCommand(ExploreCommands.explorerOpen, {
      label: 'Open selected runs',
      caption: `Open the run page of each selected run (at most ${MAX_OPEN})`,
      isEnabled: () => selected().length > 0,
      execute: async () => {
        for (const runId of selected().slice(0, MAX_OPEN)) {
          await commands.execute(ExploreCommands.openRun, { runId });
        }
      }
    });
    commands.addCommand(ExploreCommands.explorerCompare, {
      label: 'Compare selected runs',
      caption: 'Compare the selected runs (two or more)',
      isEnabled: () => selected().length >= 2,
      execute: () =>
        commands.execute(ExploreCommands.compareRuns, {
          runIds: selected().slice(0, 200)
        })
    });
    commands.addCommand(ExploreCommands.explorerDiff, {
      label: 'Diff selected runs',
      caption: 'Diff the two selected runs',
      isEnabled: () => selected().length === 2,
      execute: () =>
        commands.execute(ExploreCommands.diffRuns, { runIds: selected() })
    });
    commands.addCommand(ExploreCommands.explorerCsv, {
      label: 'Export runs as CSV',
      caption:
        'Download the selected runs (or every loaded run) with the columns shown',
      isEnabled: () => explorer() !== null,
      execute: () => {
        const view = explorer();
        if (!view) {
          return;
        }
        const blob = new Blob([toCSV(view.selectedRows(), view.shownFields)], {
          type: 'text/csv'
        });
        const link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = 'workbench-runs.csv';
        link.click();
        URL.revokeObjectURL(link.href);
      }
    });
    commands.addCommand(ExploreCommands.explorerCode, {
      label: 'Copy runs as code',
      caption: 'Copy `wb.runs(where=...)` that loads these runs as a DataFrame',
      isEnabled: () => explorer() !== null,
      execute: () => {
        const view = explorer();
        if (!view) {
          return;
        }
        const code = copyAsCode({
          where: view.where,
          orderBy: view.orderBy,
          experiment: view.experiment,
          runIds: view.selected,
          columns: view.shownFields
        });
        Clipboard.copyToSystem(code);
        Notification.info('Copied wb.runs(...) to the clipboard', {
          autoClose: 3000
        });
      }
    });

    for (const command of Object.values(ExploreCommands)) {
      palette?.addItem({ command, category: CATEGORY });
    }
    themes?.themeChanged.connect(() => {
      pages.forEach(w => w.content.themeChanged());
      compares.forEach(w => w.content.themeChanged());
    });
    if (restorer) {
      void restorer.restore(explorers, {
        command: ExploreCommands.openRuns,
        name: () => 'explorer'
      });
      void restorer.restore(pages, {
        command: ExploreCommands.openRun,
        args: w => ({ runId: w.content.runId }),
        name: w => w.content.runId
      });
      void restorer.restore(compares, {
        command: ExploreCommands.compareRuns,
        args: w => ({ runIds: w.content.runIds }),
        name: w => w.content.runIds.join(',')
      });
      void restorer.restore(diffs, {
        command: ExploreCommands.diffRuns,
        args: w => ({ runIds: [w.content.base, w.content.remote] }),
        name: w => `${w.content.base},${w.content.remote}`
      });
    }
  }
};

/** The body of the "Open run" dialog: a run id input. */
class RunIdBody extends Widget implements Dialog.IBodyWidget<string> {
  constructor() {
    const input = document.createElement('input');
    input.className = 'jp-mod-styled';
    input.setAttribute('aria-label', 'Run id');
    input.placeholder = 'run id';
    super({ node: input });
  }
  getValue(): string {
    return (this.node as HTMLInputElement).value;
  }
}

export default plugin;
