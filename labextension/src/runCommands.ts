/**
 * Commands on one run, used by the run page's actions: compare with its
 * siblings, rerun it as a job, validate or export its source notebook.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

import { getRun, listRuns, RunDetail } from './api';
import { idsWhere } from './compare';
import { literal } from './explorerModel';
import { asText } from './format';
import { getRunPage } from './runApi';
import { createSweep } from './sweepsApi';
import { notifyFailure } from './notify';

// ExploreCommands.compareRuns (explorePlugin registers these commands: no import back).
const COMPARE_RUNS = 'workbench:compare-runs';

export const RunCommands = {
  compareWith: 'workbench:compare-with-run',
  rerun: 'workbench:rerun-run',
  validateRun: 'workbench:validate-run',
  exportRun: 'workbench:export-run'
};

/**
 * Each command takes `{runId}`; from the palette, without one, it acts on the
 * run page in focus (`current`).
 */
export function registerRunCommands(
  app: JupyterFrontEnd,
  current: () => string | null
): void {
  const { commands } = app;
  const runIdOf = (args: { runId?: unknown }): string =>
    asText(args.runId) || current() || '';
  const isEnabled = (args: { runId?: unknown }): boolean =>
    runIdOf(args) !== '';
  /** The run, whose notebook must be under the server root to run it again. */
  const runWithNotebook = async (args: {
    runId?: unknown;
  }): Promise<RunDetail & { notebook_path: string }> => {
    const run = await getRun(runIdOf(args));
    if (!run.notebook_path) {
      throw new Error('its notebook is not under the server root');
    }
    return { ...run, notebook_path: run.notebook_path };
  };
  commands.addCommand(RunCommands.compareWith, {
    label: 'Compare with its siblings',
    caption:
      'Compare a run with the other runs of its sweep, else the latest runs of its notebook',
    isEnabled,
    execute: async args => {
      try {
        const run = await getRunPage(runIdOf(args));
        const page = await listRuns({
          where: run.sweep_id
            ? `sweep = ${literal(run.sweep_id)}`
            : run.notebook
              ? `notebook = ${literal(run.notebook)}`
              : idsWhere([run.run_id]),
          order_by: 'started_at desc',
          limit: 10
        });
        const others = page.runs
          .map(r => r.run_id)
          .filter(id => id !== run.run_id);
        await commands.execute(COMPARE_RUNS, {
          runIds: [run.run_id, ...others.slice(0, 9)]
        });
      } catch (reason) {
        notifyFailure('Could not compare', reason);
      }
    }
  });
  commands.addCommand(RunCommands.rerun, {
    label: 'Rerun run',
    caption: "Run the run's notebook again, as a job, with the same parameters",
    isEnabled,
    execute: async args => {
      try {
        const run = await runWithNotebook(args);
        const sweep = await createSweep({
          notebook: run.notebook_path,
          values: [run.params],
          force: true,
          experiment: run.experiment
        });
        Notification.success(
          `Rerun started as sweep ${sweep.sweep_id.slice(0, 8)}`,
          { autoClose: 5000 }
        );
      } catch (reason) {
        notifyFailure('Could not rerun', reason);
      }
    }
  });
  for (const [id, label, target] of [
    [
      RunCommands.validateRun,
      'Validate run notebook',
      'workbench:validate-notebook'
    ],
    [RunCommands.exportRun, 'Export run notebook', 'workbench:export-notebook']
  ] as const) {
    commands.addCommand(id, {
      label,
      caption: `Open the run's source notebook, then ${label.split(' ')[0].toLowerCase()} it`,
      isEnabled,
      execute: async args => {
        try {
          const run = await runWithNotebook(args);
          await commands.execute('docmanager:open', {
            path: run.notebook_path
          });
          await commands.execute(target, { path: run.notebook_path });
        } catch (reason) {
          notifyFailure(
            `Could not ${label.split(' ')[0].toLowerCase()}`,
            reason
          );
        }
      }
    });
  }
}
