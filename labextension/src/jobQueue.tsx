/**
 * The job queue: a main-area tab (command workbench:open-jobs) with every
 * sweep, its counts by status, ETA and executor; the selected sweep's jobs
 * ranked by a metric (jobTable.tsx) and the selected job's progress by cell
 * and live log. Actions: cancel a sweep or one job, retry failed jobs or one
 * job, resume a stopped sweep, open a job's run page or executed notebook.
 * Confirmations close themselves when what they ask about has ended.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { ErrorBlock } from './errors';
import { ACTIVE_STATUSES, formatStart, statusLabel } from './format';
import { confirmWhileValid } from './dialogs';
import { AfterCommit, FocusKeeper } from './focusKeeper';
import { IJobActions, JobDetail, JobTable, orderChoices } from './jobTable';
import { JobQueueModel } from './jobQueueModel';
import { QueueSweepList } from './queueSweepList';
import {
  etaText,
  executorText,
  sweepAxes,
  sweepCounts,
  sweepCountsText,
  sweepName,
  sweepRunLabel
} from './sweepFormat';
import {
  cancelJob,
  cancelSweep,
  DescribeSweep,
  resumeSweep,
  retryFailed,
  retryJob,
  SweepRun,
  SweepSummary
} from './sweepsApi';
import { notifyFailure } from './notify';

export const JOB_QUEUE_ID = 'workbench-jobs';

export interface IJobQueueOptions {
  openRunPage: (run: SweepRun) => void;
  openNotebook: (run: SweepRun) => void;
  /** Open the sweep dialog (for the empty queue's button). */
  launch: () => void;
}

export class JobQueuePanel extends ReactWidget {
  constructor(options: IJobQueueOptions) {
    super();
    this.id = JOB_QUEUE_ID;
    this.title.label = 'Jobs';
    this.title.caption = 'Workbench job queue: sweeps and their jobs';
    this.title.closable = true;
    this.addClass('wb-JobQueue');
    this.node.tabIndex = -1; // focusable, so that activating it takes the focus
    this._options = options;
    this.model = new JobQueueModel({ isShown: () => this.isVisible });
    this.model.onChange = () => this.update();
    this._actions = {
      cancel: run => void this._cancelJob(run),
      retry: run => void this._retryJob(run),
      openRunPage: options.openRunPage,
      openNotebook: options.openNotebook
    };
  }

  readonly model: JobQueueModel;

  /** Show a sweep (one just launched) at once, then keep it current. */
  showSweep(sweep: SweepSummary | DescribeSweep): void {
    this.model.show(sweep);
  }

  /** Opened or brought to front (palette, tab): the keyboard lands here. */
  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    const sweep = this.node.querySelector<HTMLElement>(
      '.wb-QueueSweep[tabindex="0"]'
    );
    if (!this.node.contains(document.activeElement)) {
      (sweep ?? this.node).focus();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.model.refresh();
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  render(): JSX.Element {
    const model = this.model;
    this._focus.note();
    return (
      <div className="wb-JobQueue-layout">
        <AfterCommit run={() => this._focus.restore()} />
        <nav className="wb-JobQueue-sweeps" aria-label="Sweeps">
          <div className="wb-JobQueue-heading">Sweeps</div>
          {model.error && <ErrorBlock error={model.error} />}
          {model.sweeps.length === 0 ? (
            <div className="wb-JobQueue-empty">
              {model.loaded ? (
                <>
                  No sweeps yet.{' '}
                  <button
                    className="jp-Button jp-mod-styled jp-mod-accept"
                    onClick={this._options.launch}
                  >
                    Sweep a notebook…
                  </button>
                </>
              ) : (
                'Loading sweeps…'
              )}
            </div>
          ) : (
            <QueueSweepList
              sweeps={model.sweeps}
              selectedSweepId={model.selectedSweepId}
              select={id => model.selectSweep(id)}
            />
          )}
        </nav>
        <main className="wb-JobQueue-main">{this._detail()}</main>
      </div>
    );
  }

  private _detail(): JSX.Element {
    const model = this.model;
    const sweep = model.selectedSweep;
    if (sweep === null) {
      return (
        <div className="wb-JobQueue-empty">Select a sweep to see its jobs.</div>
      );
    }
    const detail = model.detail;
    const active = ACTIVE_STATUSES.has(sweep.status);
    const n = sweepCounts(sweep);
    const axes = sweepAxes(sweep);
    const stopped =
      !sweep.runner_alive && (sweep.status !== 'succeeded' || n.queued > 0);
    const run = model.selectedRun;
    return (
      <div
        className="wb-SweepDetail"
        data-sweep-id={sweep.sweep_id}
        data-status={sweep.status}
      >
        <header className="wb-SweepDetail-header">
          <h2 className="wb-SweepDetail-title">
            <span className={`wb-StatusBadge wb-mod-${sweep.status}`}>
              {statusLabel(sweep.status)}
            </span>
            {sweepName(sweep)}
          </h2>
          <div className="wb-SweepDetail-meta">
            <span>sweep {sweep.sweep_id.slice(0, 8)}</span>
            <span>{executorText(sweep)}</span>
            <span>experiment {sweep.experiment}</span>
            <span>started {formatStart(sweep.created_at)}</span>
            {axes.length > 0 && <span>over {axes.join(', ')}</span>}
          </div>
          <div className="wb-SweepDetail-counts" aria-live="polite">
            {sweepCountsText(sweep)}
            {sweep.cancel_requested && active && ' · cancelling…'}
            {etaText(sweep.eta_s) && ` · ${etaText(sweep.eta_s)}`}
          </div>
          <div className="wb-SweepDetail-actions">
            {active && !sweep.cancel_requested && (
              <button
                className="jp-Button jp-mod-styled jp-mod-warn"
                data-action="cancel-sweep"
                onClick={() => void this._cancelSweep(sweep)}
              >
                Cancel sweep
              </button>
            )}
            {n.failed > 0 && (
              <button
                className="jp-Button jp-mod-styled"
                data-action="retry-failed"
                onClick={() =>
                  void this._act(
                    () => retryFailed(sweep.sweep_id),
                    'retry the failed jobs'
                  )
                }
              >
                Retry failed ({n.failed})
              </button>
            )}
            {stopped && !active && (
              <button
                className="jp-Button jp-mod-styled"
                data-action="resume"
                title="Run the queued jobs and give every job that did not succeed a new attempt"
                onClick={() =>
                  void this._act(
                    () => resumeSweep(sweep.sweep_id),
                    'resume the sweep'
                  )
                }
              >
                Resume
              </button>
            )}
          </div>
        </header>
        <div className="wb-SweepDetail-controls">
          <label>
            Rank by{' '}
            <select
              value={model.effectiveOrder ?? ''}
              onChange={event => model.setOrder(event.target.value || null)}
            >
              {orderChoices(detail?.metric_names ?? []).map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input
              type="checkbox"
              checked={model.allAttempts}
              onChange={event => model.setAllAttempts(event.target.checked)}
            />{' '}
            every attempt
          </label>
        </div>
        <div className="wb-SweepDetail-jobs">
          {detail === null ? (
            <div className="wb-JobQueue-empty">Loading jobs…</div>
          ) : (
            <JobTable
              detail={detail}
              axes={axes}
              orderBy={model.effectiveOrder}
              selectedRunId={model.selectedRunId}
              select={runId => model.selectRun(runId)}
              actions={this._actions}
            />
          )}
        </div>
        {run ? (
          <JobDetail
            run={run}
            axes={axes}
            log={model.log}
            actions={this._actions}
          />
        ) : (
          <div className="wb-JobQueue-hint">
            Select a job to see its progress and output.
          </div>
        )}
      </div>
    );
  }

  private async _cancelSweep(sweep: SweepSummary): Promise<void> {
    const id = sweep.sweep_id;
    const ok = await confirmWhileValid({
      title: 'Cancel sweep?',
      body: `Sweep ${id.slice(0, 8)} of ${sweepName(sweep)}: running jobs are stopped and queued jobs are skipped.`,
      accept: 'Cancel sweep',
      keep: 'Keep running',
      outdated: () => {
        const now = this.model.sweeps.find(s => s.sweep_id === id);
        return now && !ACTIVE_STATUSES.has(now.status)
          ? `Sweep ${id.slice(0, 8)} already ended (${statusLabel(now.status)}): nothing to cancel.`
          : null;
      }
    });
    if (ok) {
      await this._act(() => cancelSweep(id), 'cancel the sweep');
    }
  }

  private async _cancelJob(run: SweepRun): Promise<void> {
    const label = sweepRunLabel(
      run,
      this.model.selectedSweep ? sweepAxes(this.model.selectedSweep) : []
    );
    const ok = await confirmWhileValid({
      title: 'Cancel job?',
      body: `Job ${label} (run ${run.run_id.slice(0, 8)}): ${run.status === 'running' ? 'its kernel is stopped' : 'it will not start'}. The other jobs go on.`,
      accept: 'Cancel job',
      keep: 'Keep it',
      outdated: () => {
        const now = this.model.detail?.runs.find(r => r.run_id === run.run_id);
        return now && !ACTIVE_STATUSES.has(now.status)
          ? `Job ${label} already ended (${statusLabel(now.status)}): nothing to cancel.`
          : null;
      }
    });
    if (ok) {
      await this._act(() => cancelJob(run.run_id), 'cancel the job');
    }
  }

  private async _retryJob(run: SweepRun): Promise<void> {
    await this._act(() => retryJob(run.run_id), 'retry the job');
  }

  /** Call an action; show its answer, or say why it failed (never retried). */
  private async _act(
    call: () => Promise<DescribeSweep>,
    what: string
  ): Promise<void> {
    try {
      this.model.applyDetail(await call());
    } catch (reason) {
      notifyFailure(`Could not ${what}`, reason);
    }
  }

  private readonly _options: IJobQueueOptions;
  private readonly _actions: IJobActions;
  /** A job's or a sweep's button gone (Cancel, once cancelled): what is left nearby. */
  private readonly _focus = new FocusKeeper(
    () => this.node,
    lost => {
      const id = lost.closest<HTMLElement>('[data-run-id]')?.dataset.runId;
      const near = id
        ? lost.closest('.wb-JobDetail')
          ? `.wb-JobDetail[data-run-id="${id}"]`
          : `.wb-JobRow[data-run-id="${id}"]`
        : null;
      return [
        ...(near ? [`${near} .wb-JobButton`, `${near} .wb-JobRow-open`] : []),
        '.wb-SweepDetail-actions button',
        '.wb-QueueSweep[tabindex="0"]'
      ];
    }
  );
}
