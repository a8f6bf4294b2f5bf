/**
 * The Sweeps view of the Workbench sidebar: sweeps in flight first, each with
 * a progress bar and its counts; expand a sweep to see its runs; cancel one
 * that is still going.
 *
 * A plain object that the panel draws from its own render(): it holds the
 * state, fetches it and asks the panel to redraw. It polls every 1.5 s, so a
 * sweep launched from anywhere shows within 2 s, and only while it is the
 * view on screen (the panel calls refresh() again when it comes back) and
 * the browser tab is visible (poller.ts: at once when it is again). Each
 * sweep links to the job queue (workbench:open-jobs) for its jobs' progress
 * and logs.
 * While the store (or the server) is unavailable it says so and polls with a
 * backoff (retry.ts) until it answers.
 */
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { confirmWhileValid } from './dialogs';
import { AfterCommit, FocusKeeper } from './focusKeeper';
import { describeError, ErrorBlock, IViewError } from './errors';
import { RunStatus } from './api';
import { FAILED_STATUSES, formatStart, isActive, statusLabel } from './format';
import { IVisibilitySource, Poller, PollRequests } from './poller';
import {
  sweepAxes,
  sweepCountParts,
  sweepCountsText,
  sweepName,
  sweepRunLabel
} from './sweepFormat';
import {
  cancelSweep,
  DescribeSweep,
  getSweep,
  listSweeps,
  SweepRun,
  SweepSummary
} from './sweepsApi';
import { notifyFailure } from './notify';

export const SWEEPS_FAST_POLL_MS = 1500;
export const SWEEPS_SLOW_POLL_MS = 1500;
const PAGE_SIZE = 50;
const NO_SWEEPS =
  'No sweeps yet. Start one with Sweep… in a notebook’s toolbar, or from ' +
  'the file browser’s menu on a notebook.';

let openJobQueue: ((sweepId?: string) => void) | null = null;

/** How the Sweeps view opens the job queue (set by the jobs plugin). */
export function setJobQueueOpener(
  opener: ((sweepId?: string) => void) | null
): void {
  openJobQueue = opener;
}

/** The progress bar's segments, in drawing order: finished first. */
const SEGMENTS: ReadonlyArray<[string, RunStatus[]]> = [
  ['succeeded', ['succeeded']],
  ['failed', [...FAILED_STATUSES]],
  ['cancelled', ['cancelled']],
  ['running', ['running']],
  ['queued', ['queued']]
];

export interface ISweepsViewOptions {
  /** Draws one run of a sweep (the panel's run row), with a label to show. */
  renderRun: (run: SweepRun, label: string) => JSX.Element;
  /** The state changed: redraw. */
  onChange: () => void;
  /** Whether the Sweeps view is on screen now; polling stops when it is not. */
  isShown: () => boolean;
  /** The page's visibility (a test's fake); by default `document`. */
  visibility?: IVisibilitySource | null;
}

export class SweepsView {
  constructor(options: ISweepsViewOptions) {
    this._renderRun = options.renderRun;
    this._onChange = options.onChange;
    this._poller = new Poller({
      poll: () => void this.refresh(),
      isShown: options.isShown,
      visibility: options.visibility
    });
    this._polls = new PollRequests({
      poller: this._poller,
      usualDelayMs: () =>
        this._sweeps.some(isActive) ? SWEEPS_FAST_POLL_MS : SWEEPS_SLOW_POLL_MS,
      ended: error => {
        this._error = error;
        this._loading = false;
        this._onChange();
      }
    });
  }

  /** Fetch the sweeps (and runs of expanded ones), then schedule the next poll. */
  async refresh(): Promise<void> {
    if (this._disposed) {
      return;
    }
    this._loading = true;
    this._onChange();
    await this._polls.run(async isCurrent => {
      const page = await listSweeps({ limit: PAGE_SIZE });
      if (isCurrent()) {
        this._sweeps = page.sweeps;
        await this._refreshDetails();
      }
    });
  }

  /** Expand or collapse a sweep's runs. */
  toggle(sweepId: string): void {
    if (this._expanded.has(sweepId)) {
      this._expanded.delete(sweepId);
    } else {
      this._expanded.add(sweepId);
      void this._loadDetail(sweepId).then(() => this._onChange());
    }
    this._onChange();
  }

  /** Ask the server to cancel a sweep, after the user confirms. */
  async cancel(sweep: SweepSummary): Promise<void> {
    const id = sweep.sweep_id;
    const accepted = await confirmWhileValid({
      title: 'Cancel sweep?',
      body:
        `Sweep ${id.slice(0, 8)} of ${sweepName(sweep)}: ` +
        'running jobs are stopped and queued jobs are skipped.',
      accept: 'Cancel sweep',
      keep: 'Keep running',
      // Closes itself when the sweep ends meanwhile: nothing is left to cancel.
      outdated: () => {
        const now = this._sweeps.find(s => s.sweep_id === id);
        return now && !isActive(now)
          ? `Sweep ${id.slice(0, 8)} already ended (${statusLabel(now.status)}): nothing to cancel.`
          : null;
      }
    });
    if (!accepted) {
      return;
    }
    try {
      const updated = await cancelSweep(sweep.sweep_id);
      this._details.set(updated.sweep_id, updated);
      this._sweeps = this._sweeps.map(s =>
        s.sweep_id === updated.sweep_id ? updated : s
      );
      this._onChange();
    } catch (reason) {
      // Not retried (a DELETE): say why, with the server's message.
      notifyFailure('Could not cancel the sweep', reason);
    }
    await this.refresh();
  }

  dispose(): void {
    this._disposed = true;
    this._poller.dispose();
  }

  render(): JSX.Element {
    if (this._error) {
      return <ErrorBlock error={this._error} />;
    }
    if (this._sweeps.length === 0) {
      return (
        <div className="wb-RunsPanel-empty">
          {this._loading ? 'Loading sweeps…' : NO_SWEEPS}
        </div>
      );
    }
    // In flight first; otherwise the server's order, newest first (sort is stable).
    const sorted = [...this._sweeps].sort(
      (a, b) => Number(isActive(b)) - Number(isActive(a))
    );
    const n = sorted.length;
    this._focus.note();
    return (
      <>
        <AfterCommit run={() => this._focus.restore()} />
        <ul className="wb-SweepList" ref={this._list}>
          {sorted.map(s => this._sweepRow(s))}
        </ul>
        <div className="wb-RunsPanel-footer">
          {n >= PAGE_SIZE
            ? `The newest ${n} sweeps`
            : `${n} sweep${n === 1 ? '' : 's'}`}
        </div>
      </>
    );
  }

  private _sweepRow(sweep: SweepSummary): JSX.Element {
    const id = sweep.sweep_id;
    const expanded = this._expanded.has(id);
    const active = isActive(sweep);
    const Caret = expanded ? caretDownIcon : caretRightIcon;
    const axes = sweepAxes(sweep);
    const runsId = `wb-SweepRuns-${id}`;
    return (
      <li
        key={id}
        className={`wb-SweepRow wb-mod-${sweep.status}`}
        data-sweep-id={id}
        data-status={sweep.status}
      >
        <div className="wb-SweepRow-header">
          <button
            type="button"
            className="wb-SweepRow-toggle"
            aria-expanded={expanded}
            aria-controls={expanded ? runsId : undefined}
            title={`Sweep ${id}: ${expanded ? 'hide' : 'show'} its runs`}
            onClick={() => this.toggle(id)}
          >
            <Caret.react tag="span" className="wb-SweepRow-caret" />
            <span className={`wb-StatusBadge wb-mod-${sweep.status}`}>
              {statusLabel(sweep.status)}
            </span>
            <span className="wb-SweepRow-name">{sweepName(sweep)}</span>
          </button>
          {active &&
            (sweep.cancel_requested ? (
              <span className="wb-SweepRow-cancelling">cancelling…</span>
            ) : (
              <button
                type="button"
                className="wb-SweepRow-cancel jp-Button jp-mod-minimal"
                title="Cancel this sweep"
                aria-label={`Cancel sweep ${sweepName(sweep)} (${id.slice(0, 8)})`}
                onClick={() => void this.cancel(sweep)}
              >
                Cancel
              </button>
            ))}
        </div>
        <div className="wb-SweepRow-meta">
          <span>{formatStart(sweep.created_at)}</span>
          <span title={`experiment ${sweep.experiment}`}>
            {axes.length > 0 ? `over ${axes.join(', ')}` : sweep.experiment}
          </span>
          {openJobQueue && (
            <button
              type="button"
              className="wb-SweepRow-queue jp-Button jp-mod-minimal"
              title="Open this sweep in the job queue: progress by cell, logs, retry"
              aria-label={`Job queue: sweep ${sweepName(sweep)} (${id.slice(0, 8)})`}
              onClick={() => openJobQueue?.(id)}
            >
              Job queue
            </button>
          )}
        </div>
        <SweepProgress sweep={sweep} />
        {expanded && <div id={runsId}>{this._runs(sweep, axes)}</div>}
      </li>
    );
  }

  private _runs(sweep: SweepSummary, axes: string[]): JSX.Element {
    const detail = this._details.get(sweep.sweep_id);
    const problem = this._detailErrors.get(sweep.sweep_id);
    if (!detail) {
      return (
        <div className="wb-SweepRuns-empty">{problem ?? 'Loading runs…'}</div>
      );
    }
    if (detail.runs.length === 0) {
      return <div className="wb-SweepRuns-empty">This sweep has no runs.</div>;
    }
    return (
      <>
        <ul className="wb-RunList wb-SweepRuns">
          {detail.runs.map(run =>
            this._renderRun(run, sweepRunLabel(run, axes))
          )}
        </ul>
        {detail.runs.length < detail.runs_total && (
          <div className="wb-SweepRuns-empty">
            Showing {detail.runs.length} of {detail.runs_total} runs
          </div>
        )}
      </>
    );
  }

  /** Re-fetch the runs of expanded sweeps that may have changed. */
  private async _refreshDetails(): Promise<void> {
    const listed = new Map(this._sweeps.map(s => [s.sweep_id, s]));
    for (const id of [...this._expanded]) {
      if (!listed.has(id)) {
        this._expanded.delete(id);
        this._details.delete(id);
      }
    }
    const stale = [...this._expanded].filter(id => {
      const summary = listed.get(id)!;
      const detail = this._details.get(id);
      return (
        !detail ||
        isActive(detail) ||
        detail.status !== summary.status ||
        detail.done !== summary.done ||
        detail.total !== summary.total
      );
    });
    await Promise.all(stale.map(id => this._loadDetail(id)));
  }

  private async _loadDetail(sweepId: string): Promise<void> {
    try {
      const detail = await getSweep(sweepId);
      this._details.set(sweepId, detail);
      this._detailErrors.delete(sweepId);
    } catch (reason) {
      this._detailErrors.set(sweepId, describeError(reason).message);
    }
  }

  private readonly _list = React.createRef<HTMLUListElement>();
  /** A sweep's Cancel gone (it was cancelled): its toggle keeps the focus. */
  private readonly _focus = new FocusKeeper(
    () => this._list.current,
    lost => {
      const id = lost.closest<HTMLElement>('[data-sweep-id]')?.dataset.sweepId;
      return id
        ? [`.wb-SweepRow[data-sweep-id="${id}"] .wb-SweepRow-toggle`]
        : [];
    }
  );
  private readonly _renderRun: (run: SweepRun, label: string) => JSX.Element;
  private readonly _onChange: () => void;
  private readonly _poller: Poller;
  private _sweeps: SweepSummary[] = [];
  private readonly _expanded = new Set<string>();
  private readonly _details = new Map<string, DescribeSweep>();
  private readonly _detailErrors = new Map<string, string>();
  private _loading = false;
  private _error: IViewError | null = null;
  private readonly _polls: PollRequests;
  private _disposed = false;
}

/** A bar with one segment per outcome, and the counts beside it. */
function SweepProgress({ sweep }: { sweep: SweepSummary }): JSX.Element {
  const segments = SEGMENTS.map(([name, statuses]): [string, number] => [
    name,
    statuses.reduce((sum, s) => sum + (sweep.counts[s] ?? 0), 0)
  ]).filter(([, n]) => n > 0);
  return (
    <div className="wb-SweepProgress">
      <div
        className="wb-SweepProgress-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={sweep.total}
        aria-valuenow={sweep.done}
        aria-label={`${sweep.done} of ${sweep.total} jobs ended`}
      >
        {segments.map(([name, n]) => (
          <span
            key={name}
            className={`wb-SweepProgress-segment wb-mod-${name}`}
            style={{ width: `${(100 * n) / Math.max(sweep.total, 1)}%` }}
            title={`${n} ${name}`}
          />
        ))}
      </div>
      <div className="wb-SweepCounts" title={sweepCountsText(sweep)}>
        {sweepCountParts(sweep).map(([key, text]) => (
          <span
            key={key}
            className={`wb-SweepCount wb-mod-${key}`}
            data-count={key}
          >
            {text}
          </span>
        ))}
      </div>
    </div>
  );
}
