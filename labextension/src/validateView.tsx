/**
 * The validate dialog's body and the validation report: one tab per
 * notebook (validating again updates it), every check passed, warned or
 * failed, with a link to the cell it is about. `ValidationReportView` is the
 * report alone, for the run page of a validation run
 * (`getValidationReport(runId)` in shipApi.ts gives what it shows).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { basename, formatValue } from './format';
import type { Check, ValidationReport } from './shipApi';

const STATUS_TEXT: Record<Check['status'], string> = {
  pass: 'pass',
  warn: 'warn',
  fail: 'fail'
};

/** The report: verdict, checks (with their cells), metrics, pins. */
export function ValidationReportView(props: {
  report: ValidationReport;
  /** Open the notebook at a cell; no links without it. */
  openCell?: (cell: number) => void;
}): JSX.Element {
  const { report, openCell } = props;
  const metrics = Object.entries(report.metrics);
  return (
    <div className="wb-Report" data-passed={report.passed}>
      <div
        className={`wb-Report-verdict wb-mod-${report.passed ? 'pass' : 'fail'}`}
        role="status"
      >
        {report.passed ? 'Validation passed' : 'Validation failed'}
        <span className="wb-Report-notebook">{report.notebook}</span>
      </div>
      <table className="wb-Report-checks" aria-label="Checks">
        <thead>
          <tr>
            <th scope="col">Result</th>
            <th scope="col">Check</th>
            <th scope="col">Why</th>
            <th scope="col">Cell</th>
          </tr>
        </thead>
        <tbody>
          {report.checks.map((check, i) => (
            <tr key={i} data-check={check.name} data-status={check.status}>
              <td>
                <span className={`wb-CheckBadge wb-mod-${check.status}`}>
                  {STATUS_TEXT[check.status]}
                </span>
              </td>
              <td className="wb-Report-name">{check.name}</td>
              <td className="wb-Report-detail">{check.detail}</td>
              <td>
                {check.cell !== null && check.cell !== undefined && openCell ? (
                  <button
                    className="wb-LinkButton wb-Report-cell"
                    title={`Open the notebook at cell ${check.cell}`}
                    onClick={() => openCell(check.cell as number)}
                  >
                    cell {check.cell}
                  </button>
                ) : check.cell !== null && check.cell !== undefined ? (
                  `cell ${check.cell}`
                ) : (
                  ''
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {metrics.length > 0 && (
        <div className="wb-Report-section">
          <h3>Metrics</h3>
          <ul>
            {metrics.map(([key, value]) => (
              <li key={key}>
                <code>{key}</code> = {formatValue(value)}
              </li>
            ))}
          </ul>
        </div>
      )}
      {report.requirements.length > 0 && (
        <div className="wb-Report-section">
          <h3>Pinned requirements</h3>
          <ul>
            {report.requirements.map(pin => (
              <li key={pin}>
                <code>{pin}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {report.run_id && (
        <div className="wb-Report-run">Validation run {report.run_id}</div>
      )}
    </div>
  );
}

export type ReportState =
  | { kind: 'running'; since: number }
  | { kind: 'done'; report: ValidationReport }
  | { kind: 'error'; message: string };

/** The report tab of one notebook; validating it again updates this tab. */
export class ValidationReportPanel extends ReactWidget {
  constructor(
    readonly path: string,
    private readonly _openCell: (path: string, cell: number) => void
  ) {
    super();
    this.addClass('wb-ReportPanel');
    this.title.label = `Validation: ${basename(path)}`;
    this.title.caption = `Workbench validation of ${path}`;
    this.title.closable = true;
  }

  set state(state: ReportState) {
    this._state = state;
    this.update();
  }

  render(): JSX.Element {
    const state = this._state;
    if (state.kind === 'running') {
      return (
        <div className="wb-Report-waiting" role="status">
          Validating {this.path} in a fresh kernel…
        </div>
      );
    }
    if (state.kind === 'error') {
      return (
        <div className="wb-RunsPanel-error" role="alert">
          <div className="wb-RunsPanel-errorMessage">
            Validation could not run
          </div>
          <div className="wb-RunsPanel-hint">{state.message}</div>
        </div>
      );
    }
    return (
      <ValidationReportView
        report={state.report}
        openCell={cell => this._openCell(this.path, cell)}
      />
    );
  }

  private _state: ReportState = { kind: 'running', since: Date.now() };
}

/** What the validate dialog asks: conditions on metrics and a time budget. */
export class ValidateFormBody extends ReactWidget {
  constructor(private readonly _note: string) {
    super();
    this.addClass('wb-ShipForm');
  }

  refused(): void {
    this.update(); // the problem is shown beside its field already
  }

  getValue(): { require: string[]; max_seconds: number | null } | null {
    const seconds = this._seconds.trim();
    const budget = seconds === '' ? null : Number(seconds);
    if (budget !== null && !(Number.isFinite(budget) && budget > 0)) {
      return null;
    }
    return {
      require: this._conditions
        .split(',')
        .map(part => part.trim())
        .filter(part => part.length > 0),
      max_seconds: budget
    };
  }

  render(): JSX.Element {
    const bad = this.getValue() === null;
    return (
      <div className="wb-ShipForm-body">
        <p className="wb-SweepForm-note">{this._note}</p>
        <label className="wb-SweepForm-field">
          <span>Conditions</span>
          <input
            className="jp-mod-styled"
            aria-label="Conditions on metrics"
            placeholder="accuracy>=0.9, loss<0.2 (optional)"
            value={this._conditions}
            onChange={e => {
              this._conditions = e.target.value;
              this.update();
            }}
          />
        </label>
        <label className="wb-SweepForm-field">
          <span>Time budget (s)</span>
          <input
            className="jp-mod-styled"
            aria-label="Time budget in seconds"
            placeholder="600"
            value={this._seconds}
            onChange={e => {
              this._seconds = e.target.value;
              this.update();
            }}
          />
          {bad && (
            <span className="wb-SweepForm-problem" role="alert">
              give a number of seconds above 0, or leave it empty for 600
            </span>
          )}
        </label>
        <p className="wb-SweepForm-note">
          The notebook runs top to bottom in a fresh kernel; the checks and the
          conditions decide whether it can be exported.
        </p>
      </div>
    );
  }

  private _conditions = '';
  private _seconds = '';
}
