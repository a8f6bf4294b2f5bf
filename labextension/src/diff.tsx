/**
 * Diff two runs (`workbench:diff-runs` {runIds: [a, b]}): params, metrics,
 * tags and environment side by side, and the two executed notebooks cell by
 * cell (cells aligned by nbdime on the server), sources and outputs.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { RunSummary } from './api';
import { describeError, ErrorBlock, IViewError } from './errors';
import { runLabel, valueText } from './format';
import { CellDiff, DiffLine, getDiff, RunDiff } from './runApi';

export const DIFF_CLASS = 'wb-Diff';

export class DiffWidget extends ReactWidget {
  constructor(options: { base: string; remote: string }) {
    super();
    this.base = options.base;
    this.remote = options.remote;
    this.addClass(DIFF_CLASS);
    this.title.label = `Diff ${options.base.slice(0, 8)} ↔ ${options.remote.slice(0, 8)}`;
    this.title.closable = true;
    void this._load();
  }

  readonly base: string;
  readonly remote: string;

  private async _load(): Promise<void> {
    try {
      this._diff = await getDiff(this.base, this.remote);
      this.title.label = `Diff ${runLabel(this._diff.base)} ↔ ${runLabel(this._diff.remote)}`;
    } catch (reason) {
      this._error = describeError(reason);
    }
    this.update();
  }

  protected render(): JSX.Element {
    if (this._error) {
      return <ErrorBlock error={this._error} />;
    }
    if (!this._diff) {
      return <p className="wb-Muted">Comparing the runs…</p>;
    }
    return <DiffView diff={this._diff} />;
  }

  private _diff: RunDiff | null = null;
  private _error: IViewError | null = null;
}

function fieldRows(diff: RunDiff): Array<[string, string, string]> {
  const rows: Array<[string, string, string]> = [];
  const add = (
    prefix: string,
    a: Record<string, unknown>,
    b: Record<string, unknown>
  ): void => {
    for (const key of [
      ...new Set([...Object.keys(a), ...Object.keys(b)])
    ].sort()) {
      rows.push([`${prefix}.${key}`, valueText(a[key]), valueText(b[key])]);
    }
  };
  const base: RunSummary = diff.base;
  const remote: RunSummary = diff.remote;
  rows.push(['status', base.status, remote.status]);
  rows.push(['notebook', base.notebook_path ?? '', remote.notebook_path ?? '']);
  add('params', base.params, remote.params);
  add('metrics', base.metrics, remote.metrics);
  add('tags', base.tags, remote.tags);
  add('env', diff.base_provenance, diff.remote_provenance);
  return rows;
}

function DiffView({ diff }: { diff: RunDiff }): JSX.Element {
  const [onlyChanges, setOnlyChanges] = React.useState(true);
  const rows = fieldRows(diff).filter(([, a, b]) => !onlyChanges || a !== b);
  const cells = (diff.cells ?? []).filter(
    c => !onlyChanges || c.status !== 'unchanged'
  );
  const changed = (diff.cells ?? []).filter(
    c => c.status !== 'unchanged'
  ).length;
  return (
    <div className="wb-Diff-body">
      <div className="wb-Toolbar">
        <label className="wb-Control">
          <input
            type="checkbox"
            checked={onlyChanges}
            onChange={e => setOnlyChanges(e.target.checked)}
          />
          Only what differs
        </label>
      </div>
      <h3>Runs</h3>
      <table
        className="wb-DataTable wb-DiffTable"
        aria-label="Fields of the two runs"
      >
        <thead>
          <tr>
            <th scope="col">field</th>
            <th scope="col" title={diff.base.run_id}>
              {runLabel(diff.base)}
            </th>
            <th scope="col" title={diff.remote.run_id}>
              {runLabel(diff.remote)}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([field, a, b]) => (
            <tr
              key={field}
              data-field={field}
              className={a !== b ? 'wb-mod-differs' : undefined}
            >
              <th scope="row">{field}</th>
              <td>{a}</td>
              <td>{b}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Notebook</h3>
      {diff.cells === null ? (
        <p className="wb-Muted">{diff.message}</p>
      ) : (
        <>
          <p className="wb-Muted">
            {changed === 0
              ? 'The executed notebooks have the same cells and outputs.'
              : `${changed} of ${diff.cells.length} cells differ.`}
          </p>
          <ol className="wb-CellDiffs" aria-label="Cells">
            {cells.map((cell, i) => (
              <CellView key={i} cell={cell} />
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

function CellView({ cell }: { cell: CellDiff }): JSX.Element {
  const where =
    cell.status === 'added'
      ? `added as cell ${cell.remote_index}`
      : cell.status === 'removed'
        ? `cell ${cell.base_index}, removed`
        : `cell ${cell.base_index}${cell.base_index !== cell.remote_index ? ` → ${cell.remote_index}` : ''}`;
  return (
    <li
      className={`wb-CellDiff wb-mod-${cell.status}`}
      data-status={cell.status}
    >
      <div className="wb-CellDiff-head">
        <span className={`wb-Badge wb-mod-${cell.status}`}>{cell.status}</span>
        <span className="wb-Muted">
          {cell.cell_type} {where}
          {cell.status === 'modified' &&
            ` (${[cell.source_changed && 'source', cell.outputs_changed && 'outputs'].filter(Boolean).join(' and ') || 'metadata'} changed)`}
        </span>
      </div>
      <Lines lines={cell.source} label="Source" />
      {cell.outputs.length > 0 && (
        <Lines lines={cell.outputs} label="Outputs" />
      )}
    </li>
  );
}

function Lines({
  lines,
  label
}: {
  lines: DiffLine[];
  label: string;
}): JSX.Element {
  return (
    <pre className="wb-DiffLines" aria-label={label}>
      {lines.map((line, i) => (
        <div
          key={i}
          className={`wb-DiffLine${line.op === '+' ? ' wb-mod-added' : line.op === '-' ? ' wb-mod-removed' : ''}`}
        >
          <span
            className="wb-DiffLine-op"
            aria-label={
              line.op === '+'
                ? 'added'
                : line.op === '-'
                  ? 'removed'
                  : undefined
            }
          >
            {line.op}
          </span>
          {line.text}
        </div>
      ))}
    </pre>
  );
}
