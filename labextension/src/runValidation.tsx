/**
 * A validation run's report on its run page: each check with pass or fail and a link to its
 * cell in the run's executed notebook (the same view as the report tab of the Validate
 * dialog).
 */
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { describeError } from './errors';
import { getValidationReport, ValidationReport } from './shipApi';
import { ValidationReportView } from './validateView';

export function RunValidation(props: {
  runId: string;
  commands: CommandRegistry;
}): JSX.Element {
  const { runId, commands } = props;
  const [report, setReport] = React.useState<ValidationReport | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let live = true;
    getValidationReport(runId).then(
      found => live && setReport(found),
      reason => live && setError(describeError(reason).message)
    );
    return () => {
      live = false;
    };
  }, [runId]);
  if (error !== null) {
    return <p className="wb-Muted">No validation report: {error}</p>;
  }
  if (report === null) {
    return <p className="wb-Muted">Loading the validation report…</p>;
  }
  return (
    <ValidationReportView
      report={report}
      openCell={cell =>
        void commands.execute('workbench:open-run-notebook', {
          runId,
          cellIndex: cell
        })
      }
    />
  );
}
