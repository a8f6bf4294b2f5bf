/**
 * The selected sweep's jobs in the job queue: ranked by a metric, labelled
 * by the parameters the sweep varies (every parameter on hover), with their
 * progress by cell while they run; and the selected job's progress and live
 * log below.
 */
import * as React from 'react';

import type { RunStatus } from './api';
import {
  FAILED_STATUSES,
  formatValue,
  runDuration,
  statusLabel
} from './format';
import type { IJobLogState } from './jobQueueModel';
import { paramsTitle, sweepRunLabel } from './sweepFormat';
import type { CellProgress, DescribeSweep, SweepRun } from './sweepsApi';

/** What a row's buttons do (the panel implements them). */
export interface IJobActions {
  cancel: (run: SweepRun) => void;
  retry: (run: SweepRun) => void;
  openRunPage: (run: SweepRun) => void;
  openNotebook: (run: SweepRun) => void;
}

/** The selected job's section: what a job's disclosure button shows. */
export const JOB_DETAIL_ID = 'workbench-jobs-detail';

const RETRYABLE: ReadonlySet<RunStatus> = new Set<RunStatus>([
  ...FAILED_STATUSES,
  'cancelled'
]);

export function orderChoices(metrics: string[]): Array<[string, string]> {
  const choices: Array<[string, string]> = [['', 'start order']];
  for (const name of metrics) {
    const field = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
      ? `metrics.${name}`
      : `metrics.\`${name.replace(/`/g, '``')}\``;
    choices.push([`${field} desc`, `${name}, highest first`]);
    choices.push([`${field} asc`, `${name}, lowest first`]);
  }
  return choices;
}

/** The metric a rank is by ("metrics.loss asc" -> "loss"), if any. */
export function rankMetric(orderBy: string | null): string | null {
  const match =
    /^metrics\.(?:`((?:[^`]|``)+)`|([A-Za-z_]\w*))\s+(asc|desc)$/.exec(
      orderBy ?? ''
    );
  if (!match) {
    return null;
  }
  return match[1] !== undefined ? match[1].replace(/``/g, '`') : match[2];
}

export function JobTable(props: {
  detail: DescribeSweep;
  axes: string[];
  orderBy: string | null;
  selectedRunId: string | null;
  /** Show a job's progress and log below (null: none). */
  select: (runId: string | null) => void;
  actions: IJobActions;
}): JSX.Element {
  const { detail, axes, orderBy, selectedRunId, select, actions } = props;
  const toggle = (runId: string): void =>
    select(runId === selectedRunId ? null : runId);
  const ranked = rankMetric(orderBy);
  const others = detail.metric_names.filter(m => m !== ranked).slice(0, 3);
  const metrics = ranked ? [ranked, ...others] : others;
  if (detail.runs.length === 0) {
    return <div className="wb-JobQueue-empty">This sweep has no jobs.</div>;
  }
  return (
    <table className="wb-JobTable" aria-label="Jobs of the sweep">
      <thead>
        <tr>
          <th scope="col">{ranked ? 'Rank' : '#'}</th>
          <th scope="col">Job</th>
          <th scope="col">Status</th>
          {metrics.map(m => (
            <th
              scope="col"
              key={m}
              className={m === ranked ? 'wb-mod-ranked' : undefined}
            >
              {m}
            </th>
          ))}
          <th scope="col">Time</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {detail.runs.map((run, index) => (
          <tr
            key={run.run_id}
            className={`wb-JobRow wb-mod-${run.status}${run.run_id === selectedRunId ? ' wb-mod-selected' : ''}${run.latest ? '' : ' wb-mod-superseded'}`}
            data-run-id={run.run_id}
            data-status={run.status}
            onClick={() => select(run.run_id)}
          >
            <td className="wb-JobRow-rank">{detail.offset + index + 1}</td>
            <td className="wb-JobRow-label">
              {/* The keyboard's way in: a disclosure of the job's progress and log. */}
              <button
                type="button"
                className="wb-JobRow-open"
                title={paramsTitle(run.params)}
                aria-expanded={run.run_id === selectedRunId}
                aria-controls={
                  run.run_id === selectedRunId ? JOB_DETAIL_ID : undefined
                }
                onClick={event => {
                  event.stopPropagation();
                  toggle(run.run_id);
                }}
              >
                {sweepRunLabel(run, axes)}
              </button>
            </td>
            <td>
              <span className={`wb-StatusBadge wb-mod-${run.status}`}>
                {statusLabel(run.status)}
              </span>
              {run.progress && <CellMeter progress={run.progress} compact />}
            </td>
            {metrics.map(m => (
              <td key={m} className="wb-JobRow-metric" data-metric={m}>
                {m in run.metrics ? formatValue(run.metrics[m]) : ''}
              </td>
            ))}
            <td className="wb-JobRow-time">{runDuration(run)}</td>
            <td className="wb-JobRow-actions">
              <JobButtons
                run={run}
                label={sweepRunLabel(run, axes)}
                actions={actions}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A job's actions; each button's name says which job: "Cancel: job x=4". */
function JobButtons(props: {
  run: SweepRun;
  label: string;
  actions: IJobActions;
}): JSX.Element {
  const { run, label, actions } = props;
  const button = (
    name: string,
    text: string,
    title: string,
    act: (run: SweepRun) => void
  ): JSX.Element => (
    <button
      type="button"
      className={`wb-JobButton wb-mod-${name}`}
      data-action={name}
      title={title}
      aria-label={`${text}: job ${label}`}
      onClick={event => {
        event.stopPropagation();
        act(run);
      }}
    >
      {text}
    </button>
  );
  return (
    <>
      {(run.status === 'queued' || run.status === 'running') &&
        button('cancel', 'Cancel', 'Cancel this job', actions.cancel)}
      {run.latest &&
        RETRYABLE.has(run.status) &&
        button('retry', 'Retry', 'Run this job again', actions.retry)}
      {run.status !== 'queued' &&
        button('run', 'Run page', 'Open the run page', actions.openRunPage)}
      {run.has_executed_notebook &&
        button(
          'notebook',
          'Notebook',
          run.error?.cell_index !== null && run.error?.cell_index !== undefined
            ? 'Open the executed notebook at the failing cell'
            : 'Open the executed notebook',
          actions.openNotebook
        )}
    </>
  );
}

/** "3 of 8 cells" with a bar; compact in a table row. */
export function CellMeter(props: {
  progress: CellProgress;
  compact?: boolean;
}): JSX.Element {
  const { cells_done, cells_total } = props.progress;
  const share = cells_total > 0 ? (100 * cells_done) / cells_total : 0;
  return (
    <span className={`wb-CellMeter${props.compact ? ' wb-mod-compact' : ''}`}>
      <span
        className="wb-CellMeter-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={cells_total}
        aria-valuenow={cells_done}
        aria-label={`${cells_done} of ${cells_total} cells done`}
      >
        <span className="wb-CellMeter-fill" style={{ width: `${share}%` }} />
      </span>
      <span className="wb-CellMeter-text">
        {cells_done}/{cells_total} cells
      </span>
    </span>
  );
}

/** The selected job: where it is, and what it printed so far. */
export function JobDetail(props: {
  run: SweepRun;
  axes: string[];
  log: IJobLogState | null;
  actions: IJobActions;
}): JSX.Element {
  const { run, axes, log, actions } = props;
  const label = sweepRunLabel(run, axes);
  const progress =
    (run.status === 'running' ? run.progress : null) ?? log?.progress ?? null;
  return (
    <section
      id={JOB_DETAIL_ID}
      className="wb-JobDetail"
      aria-label={`Job ${label}`}
      data-run-id={run.run_id}
    >
      <header className="wb-JobDetail-header">
        <span className={`wb-StatusBadge wb-mod-${run.status}`}>
          {statusLabel(run.status)}
        </span>
        <span className="wb-JobDetail-title" title={paramsTitle(run.params)}>
          {label}
        </span>
        <span className="wb-JobDetail-id">run {run.run_id.slice(0, 8)}</span>
        <span className="wb-JobDetail-actions">
          <JobButtons run={run} label={label} actions={actions} />
        </span>
      </header>
      {progress && <ProgressLine run={run} progress={progress} />}
      {run.error && run.status !== 'succeeded' && (
        <div className="wb-JobDetail-error" role="status">
          {run.error.reason ?? run.error.name}
          {run.error.value ? `: ${run.error.value}` : ''}
        </div>
      )}
      <JobLogView log={log} status={run.status} />
    </section>
  );
}

function ProgressLine(props: {
  run: SweepRun;
  progress: CellProgress;
}): JSX.Element {
  const { run, progress } = props;
  const running = run.status === 'running';
  return (
    <div
      className="wb-JobDetail-progress"
      data-cells-done={progress.cells_done}
    >
      <CellMeter progress={progress} />
      {running && progress.current_cell !== null && (
        <span className="wb-JobDetail-cell">
          running{' '}
          <code title={progress.current_source}>
            {progress.current_source || '(an empty cell)'}
          </code>
        </span>
      )}
      {running && progress.current_cell === null && (
        <span className="wb-JobDetail-cell">starting the kernel…</span>
      )}
    </div>
  );
}

/** The log, kept scrolled to its end unless the reader scrolled up. */
function JobLogView(props: {
  log: IJobLogState | null;
  status: string;
}): JSX.Element {
  const { log, status } = props;
  const ref = React.useRef<HTMLPreElement>(null);
  const pinned = React.useRef(true);
  React.useLayoutEffect(() => {
    const node = ref.current;
    if (node && pinned.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, [log?.text]);
  let note = '';
  if (log === null || (log.text === '' && !log.final && !log.error)) {
    note =
      status === 'queued'
        ? 'The job has not started: no output yet.'
        : 'Waiting for output…';
  } else if (log.text === '' && log.final) {
    note = 'The job printed nothing.';
  }
  return (
    <div className="wb-JobLog">
      <div className="wb-JobLog-header">
        <span>Output (stdout, stderr, errors)</span>
        {log && !log.final && status === 'running' && (
          <span className="wb-JobLog-live">live</span>
        )}
        {log?.error && <span className="wb-JobLog-problem">{log.error}</span>}
      </div>
      {note ? (
        <div className="wb-JobLog-note">{note}</div>
      ) : (
        <pre
          ref={ref}
          className="wb-JobLog-text"
          tabIndex={0}
          aria-label="Job output"
          aria-live="off"
          onScroll={event => {
            const node = event.currentTarget;
            pinned.current =
              node.scrollHeight - node.scrollTop - node.clientHeight < 24;
          }}
        >
          {log &&
            log.dropped > 0 &&
            `[${log.dropped.toLocaleString()} earlier characters not shown]\n`}
          {log?.text}
        </pre>
      )}
    </div>
  );
}
