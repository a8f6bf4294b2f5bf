/**
 * The state of the job queue and how it stays current: the sweeps, the
 * selected sweep's jobs ranked by a metric, and the selected job's progress
 * and log (only the new bytes, by offset).
 *
 * It polls only while the tab is on screen and the browser tab visible
 * (poller.ts): every second while a sweep is queued or running, every 1.5 s
 * when nothing is in flight (a sweep launched from another face then shows
 * within 2 s). A sweep launched from this
 * JupyterLab is shown at once (show()), and polling is fast again from there;
 * so it is as soon as a poll finds a sweep in flight.
 *
 * Plain TypeScript: the view (jobQueue.tsx) draws it and calls its actions.
 */
import { describeError, IViewError } from './errors';
import { isActive } from './format';
import { IVisibilitySource, Poller, PollRequests } from './poller';
import {
  CellProgress,
  DescribeSweep,
  getJobLog,
  getSweep,
  listSweeps,
  SweepRun,
  SweepSummary
} from './sweepsApi';

/** The poll while a sweep is queued or running. */
export const QUEUE_POLL_MS = 1000;
/** The poll while nothing is in flight: a sweep launched from another face (the CLI, the
 * REST API) still shows within 2 s. */
export const QUEUE_IDLE_POLL_MS = 1500;
export const SWEEPS_LIMIT = 50;
/** The log kept on screen; older text is dropped from the top. */
export const LOG_KEEP_CHARS = 400_000;
export const LOG_CHUNK_BYTES = 256 * 1024;

export interface IJobLogState {
  runId: string;
  text: string;
  offset: number;
  final: boolean;
  /** Characters dropped from the top to keep the view light. */
  dropped: number;
  progress: CellProgress | null;
  error: string | null;
}

export interface IJobQueueModelOptions {
  /** Whether the queue is on screen now: polling pauses when it is not. */
  isShown: () => boolean;
  /** The page's visibility (a test's fake); by default `document`. */
  visibility?: IVisibilitySource | null;
}

export class JobQueueModel {
  constructor(options: IJobQueueModelOptions) {
    this._poller = new Poller({
      poll: () => void this.refresh(),
      isShown: options.isShown,
      visibility: options.visibility
    });
    this._polls = new PollRequests({
      poller: this._poller,
      usualDelayMs: () => (this.inFlight ? QUEUE_POLL_MS : QUEUE_IDLE_POLL_MS),
      ended: error => {
        this.error = error;
        this.loaded = true;
        this.onChange();
      }
    });
  }

  /** Called after every change; the view redraws. */
  onChange: () => void = () => undefined;

  sweeps: SweepSummary[] = [];
  selectedSweepId: string | null = null;
  detail: DescribeSweep | null = null;
  /** The rank the user chose; null: the sweep's default (its first metric). */
  orderBy: string | null = null;
  /** Show every attempt, not only the latest of each job. */
  allAttempts = false;
  selectedRunId: string | null = null;
  log: IJobLogState | null = null;
  error: IViewError | null = null;
  loaded = false;

  get selectedSweep(): SweepSummary | null {
    return this.sweeps.find(s => s.sweep_id === this.selectedSweepId) ?? null;
  }

  get selectedRun(): SweepRun | null {
    return this.detail?.runs.find(r => r.run_id === this.selectedRunId) ?? null;
  }

  /** The order the jobs are listed in now. */
  get effectiveOrder(): string | null {
    return this.orderBy ?? this.detail?.default_order_by ?? null;
  }

  /**
   * Show a sweep at once (one just launched from this JupyterLab), before the
   * next poll lists it; it is in flight, so polling is fast again from now.
   */
  show(sweep: SweepSummary | DescribeSweep): void {
    const listed = this.sweeps.some(s => s.sweep_id === sweep.sweep_id);
    this.sweeps = listed
      ? this.sweeps.map(s => (s.sweep_id === sweep.sweep_id ? sweep : s))
      : [sweep, ...this.sweeps];
    this.selectSweep(sweep.sweep_id);
  }

  /** Whether a listed sweep is queued or running: the queue polls fast. */
  get inFlight(): boolean {
    return this.sweeps.some(isActive);
  }

  selectSweep(sweepId: string): void {
    if (this.selectedSweepId !== sweepId) {
      this.selectedSweepId = sweepId;
      this.detail = null;
      this.orderBy = null;
      this.selectRun(null);
    }
    void this.refresh();
  }

  selectRun(runId: string | null): void {
    if (this.selectedRunId === runId) {
      return;
    }
    this.selectedRunId = runId;
    this.log =
      runId === null
        ? null
        : {
            runId,
            text: '',
            offset: 0,
            final: false,
            dropped: 0,
            progress: null,
            error: null
          };
    this.onChange();
    if (runId !== null) {
      void this._pollLog();
    }
  }

  setOrder(orderBy: string | null): void {
    this.orderBy = orderBy;
    void this.refresh();
  }

  setAllAttempts(all: boolean): void {
    this.allAttempts = all;
    void this.refresh();
  }

  /** Replace the selected sweep's detail with an answer of an action. */
  applyDetail(detail: DescribeSweep): void {
    this.sweeps = this.sweeps.map(s =>
      s.sweep_id === detail.sweep_id ? detail : s
    );
    if (detail.sweep_id === this.selectedSweepId) {
      // An action's answer lists runs in start order: keep ours until the poll.
      this.detail = { ...detail, runs: this.detail?.runs ?? detail.runs };
    }
    this.onChange();
    void this.refresh();
  }

  /** Fetch the sweeps, the selected sweep and the selected job's log. */
  async refresh(): Promise<void> {
    if (this._disposed) {
      return;
    }
    await this._polls.run(async isCurrent => {
      const page = await listSweeps({ limit: SWEEPS_LIMIT });
      if (!isCurrent()) {
        return;
      }
      this.sweeps = this._withPending(page.sweeps);
      if (this.selectedSweepId === null && this.sweeps.length > 0) {
        const active = this.sweeps.find(isActive);
        this.selectedSweepId = (active ?? this.sweeps[0]).sweep_id;
      }
      await this._loadDetail(isCurrent);
      await this._pollLog();
    });
  }

  dispose(): void {
    this._disposed = true;
    this._poller.dispose();
  }

  private async _loadDetail(isCurrent: () => boolean): Promise<void> {
    const sweepId = this.selectedSweepId;
    if (sweepId === null) {
      this.detail = null;
      return;
    }
    const query = () => ({
      order_by: this.effectiveOrder,
      latest_only: !this.allAttempts
    });
    let asked = query();
    let detail = await getSweep(sweepId, asked);
    // The first answer names the default rank: ask again ranked by it.
    if (this.orderBy === null && detail.default_order_by !== asked.order_by) {
      this.detail = detail;
      asked = query();
      detail = await getSweep(sweepId, asked);
    }
    if (isCurrent() && sweepId === this.selectedSweepId) {
      this.detail = detail;
      this.sweeps = this.sweeps.map(s => (s.sweep_id === sweepId ? detail : s));
    }
  }

  /** New log bytes of the selected job, until its log is final. */
  private async _pollLog(): Promise<void> {
    const log = this.log;
    if (log === null || log.final || this._logBusy) {
      return;
    }
    this._logBusy = true;
    try {
      const chunk = await getJobLog(log.runId, {
        offset: log.offset,
        limit: LOG_CHUNK_BYTES
      });
      if (this.log !== log) {
        return; // another job was selected meanwhile
      }
      let text = log.text + chunk.text;
      let dropped = log.dropped;
      if (text.length > LOG_KEEP_CHARS) {
        dropped += text.length - LOG_KEEP_CHARS;
        text = text.slice(text.length - LOG_KEEP_CHARS);
      }
      this.log = {
        ...log,
        text,
        dropped,
        offset: chunk.next_offset,
        final: chunk.final,
        progress: chunk.progress,
        error: null
      };
    } catch (reason) {
      if (this.log === log) {
        this.log = { ...log, error: describeError(reason).message };
      }
    } finally {
      this._logBusy = false;
      this.onChange();
    }
  }

  /** A sweep shown by show() stays listed until the server lists it too. */
  private _withPending(listed: SweepSummary[]): SweepSummary[] {
    const known = new Set(listed.map(s => s.sweep_id));
    const pending = this.sweeps.filter(
      s => !known.has(s.sweep_id) && s.sweep_id === this.selectedSweepId
    );
    return [...pending, ...listed];
  }

  private readonly _poller: Poller;
  private readonly _polls: PollRequests;
  private _disposed = false;
  private _logBusy = false;
}
