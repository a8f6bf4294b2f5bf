/**
 * The run page's actions: open the executed notebook (at the failing cell for
 * a failed run), rerun, compare with its siblings, validate, export, delete or
 * restore. Each but delete/restore runs a command, so all are in the palette.
 */
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import type { RunPage } from './runApi';

export interface IRunActionsProps {
  page: RunPage;
  commands: CommandRegistry;
  onDelete: () => void;
  onRestore: () => void;
}

export function RunActions({
  page,
  commands,
  onDelete,
  onRestore
}: IRunActionsProps): JSX.Element {
  const button = (
    label: string,
    caption: string,
    onClick: () => void,
    key = label
  ) => (
    <button
      key={key}
      type="button"
      className="jp-Button jp-mod-styled jp-mod-reject wb-ActionButton"
      title={caption}
      onClick={onClick}
    >
      {label}
    </button>
  );
  const run = (id: string, args: Record<string, unknown>) => () =>
    void commands.execute(id, args as never);
  const out = [
    button(
      'Open notebook',
      page.has_executed_notebook
        ? 'Open the executed notebook, read-only, without a kernel'
        : 'Open the source notebook',
      run('workbench:open-run-notebook', { runId: page.run_id })
    )
  ];
  if (
    page.error?.cell_index !== null &&
    page.error?.cell_index !== undefined &&
    page.has_executed_notebook
  ) {
    out.push(
      button(
        'Open at failing cell',
        `Open the executed notebook at cell ${page.error.cell_index}`,
        run('workbench:open-run-notebook', {
          runId: page.run_id,
          cellIndex: page.error.cell_index
        })
      )
    );
  }
  out.push(
    button(
      'Rerun',
      'Run the notebook again with these parameters, as a job',
      run('workbench:rerun-run', { runId: page.run_id })
    ),
    button(
      'Compare with…',
      'Compare this run with others of its sweep or notebook',
      run('workbench:compare-with-run', { runId: page.run_id })
    ),
    button(
      'Validate',
      'Validate the source notebook (opens it, then runs the gate)',
      run('workbench:validate-run', { runId: page.run_id })
    ),
    button(
      'Export',
      'Export the source notebook (opens it, then runs the export)',
      run('workbench:export-run', { runId: page.run_id })
    )
  );
  out.push(
    page.deleted
      ? button('Restore', 'Bring the deleted run back', onRestore)
      : button(
          'Delete…',
          'Mark the run deleted (restorable until workbench gc)',
          onDelete
        )
  );
  return <>{out}</>;
}
