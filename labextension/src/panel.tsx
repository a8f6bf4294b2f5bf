/**
 * The Workbench sidebar: runs of the notebook in focus, all runs, or sweeps.
 *
 * State lives on the widget; render() draws it. A timer refreshes the list
 * every 2 s while a listed run is queued or running and every 10 s otherwise,
 * and only while the panel is visible. While the store (or the server) is
 * unavailable it says so and polls with a backoff (retry.ts) until it
 * answers. The Sweeps view (sweeps.tsx) polls on its own timer, only while it
 * is the view on screen.
 */
import { refreshIcon, ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { describeError, ErrorBlock, IViewError } from './errors';
import {
  isTransient,
  listRuns,
  retryAfterOf,
  RunError,
  RunSummary
} from './api';
import {
  ACTIVE_STATUSES,
  formatStart,
  formatValue,
  keyMetrics,
  runDuration,
  runLabel,
  statusLabel
} from './format';
import { PollBackoff } from './retry';
import { SweepsView } from './sweeps';
import { TabList, TabPanel } from './tabs';

export type RunsView = 'notebook' | 'all' | 'sweeps';
const VIEWS: Array<{ key: RunsView; label: string }> = [
  { key: 'notebook', label: 'This notebook' },
  { key: 'all', label: 'All runs' },
  { key: 'sweeps', label: 'Sweeps' }
];

export const FAST_POLL_MS = 2000;
export const SLOW_POLL_MS = 10000;
const PAGE_SIZE = 50;

export interface IRunsPanelOptions {
  /** Called when the user picks a run. */
  openRun: (run: RunSummary) => Promise<void>;
  /** Opens the runs explorer (the list's last line offers it). */
  openExplorer?: () => Promise<void>;
}

/** The query for the sidebar's search box: the text in a name, notebook or id. */
export function searchWhere(text: string): string | null {
  const t = text.trim();
  if (!t) {
    return null;
  }
  const q = `'${t.replace(/'/g, "''")}'`;
  return `name contains ${q} or notebook contains ${q} or run_id contains ${q}`;
}

/** Params whose values differ between the runs listed (what tells them apart). */
export function varyingParams(runs: RunSummary[]): string[] {
  const keys = new Set(runs.flatMap(r => Object.keys(r.params)));
  return [...keys]
    .filter(
      k => new Set(runs.map(r => JSON.stringify(r.params[k] ?? null))).size > 1
    )
    .sort();
}

export class RunsPanel extends ReactWidget {
  constructor(options: IRunsPanelOptions) {
    super();
    this._openRun = options.openRun;
    this._openExplorer = options.openExplorer ?? null;
    this._sweeps = new SweepsView({
      renderRun: (run, label) => (
        <RunRow key={run.run_id} run={run} open={this._openRun} label={label} />
      ),
      onChange: () => this.update(),
      isShown: () => this.isVisible && this._view === 'sweeps'
    });
    this.addClass('wb-RunsPanel');
  }

  /** The focused notebook's path relative to the server root, or null. */
  get notebookPath(): string | null {
    return this._notebookPath;
  }

  set notebookPath(path: string | null) {
    if (path === this._notebookPath) {
      return;
    }
    this._notebookPath = path;
    if (this._view === 'notebook') {
      this._runs = [];
      this._total = 0;
      if (this.isVisible) {
        void this.refresh(); // a hidden panel refreshes when shown
      }
    }
    this.update();
  }

  get view(): RunsView {
    return this._view;
  }

  set view(view: RunsView) {
    if (view === this._view) {
      return;
    }
    this._view = view;
    this._runs = [];
    this._total = 0;
    void this.refresh();
    this.update();
  }

  /** Fetch the current view now, then schedule the next poll. */
  async refresh(): Promise<void> {
    this._clearTimer();
    const request = ++this._request;
    const view = this._view;
    const notebook = this._notebookPath;
    if (view === 'sweeps') {
      this._loading = false;
      this.update();
      return this._sweeps.refresh();
    }
    if (view === 'notebook' && notebook === null) {
      this._runs = [];
      this._total = 0;
      this._error = null;
      this._backoff.reset();
      this._schedule();
      this.update();
      return;
    }
    this._loading = true;
    this.update();
    try {
      const page = await listRuns({
        notebook: view === 'notebook' ? notebook : null,
        where: searchWhere(this._search),
        limit: PAGE_SIZE
      });
      if (request !== this._request) {
        return; // the view changed while this answer was on its way
      }
      this._runs = page.runs;
      this._total = page.total;
      this._error = null;
      this._backoff.reset();
    } catch (reason) {
      if (request !== this._request) {
        return;
      }
      // The store or server is down: keep polling, backing off, until it answers.
      if (isTransient(reason)) {
        this._backoff.failed(retryAfterOf(reason));
      } else {
        this._backoff.reset();
      }
      this._error = describeError(reason, { retrying: true });
    } finally {
      if (request === this._request) {
        this._loading = false;
        this._schedule();
        this.update();
      }
    }
  }

  dispose(): void {
    this._clearTimer();
    this._clearSearchTimer();
    this._sweeps.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  protected render(): JSX.Element {
    return (
      <div className="wb-RunsPanel-body">
        <div className="wb-RunsPanel-header">
          <h2 className="wb-RunsPanel-title">Workbench</h2>
          <button
            className="wb-RunsPanel-refresh jp-Button jp-mod-minimal"
            title="Refresh runs"
            aria-label="Refresh runs"
            onClick={() => void this.refresh()}
          >
            <refreshIcon.react tag="span" />
          </button>
        </div>
        <TabList
          idPrefix="wb-sidebar"
          label="Workbench views"
          className="wb-RunsPanel-tabs"
          tabClassName="wb-RunsPanel-tab"
          tabs={VIEWS}
          selected={this._view}
          onSelect={view => {
            this.view = view;
          }}
        />
        <TabPanel
          idPrefix="wb-sidebar"
          tabKey={this._view}
          className="wb-RunsPanel-view"
        >
          {this._view !== 'sweeps' && (
            <input
              className="wb-RunsPanel-search jp-mod-styled"
              type="search"
              aria-label="Search runs"
              placeholder="Search runs"
              title="Search runs by name, notebook or id"
              value={this._search}
              onChange={event => {
                this._search = event.target.value;
                this.update();
                this._clearSearchTimer();
                this._searchTimer = window.setTimeout(
                  () => void this.refresh(),
                  300
                );
              }}
            />
          )}
          {this._view === 'notebook' && (
            <div
              className="wb-RunsPanel-context"
              title={this._notebookPath ?? ''}
            >
              {this._notebookPath ?? 'Open a notebook to see its runs.'}
            </div>
          )}
          {this._view === 'sweeps' ? this._sweeps.render() : this._body()}
        </TabPanel>
      </div>
    );
  }

  private _body(): JSX.Element | null {
    if (this._error) {
      return <ErrorBlock error={this._error} />;
    }
    if (this._view === 'notebook' && this._notebookPath === null) {
      return null;
    }
    if (this._runs.length === 0) {
      return (
        <div className="wb-RunsPanel-empty">
          {this._loading ? 'Loading runs…' : 'No runs yet.'}
        </div>
      );
    }
    const shown = this._runs.length;
    const varying = varyingParams(this._runs);
    return (
      <>
        <ul className="wb-RunList">
          {this._runs.map(run => (
            <RunRow
              key={run.run_id}
              run={run}
              open={this._openRun}
              varying={varying}
            />
          ))}
        </ul>
        <div className="wb-RunsPanel-footer">
          <span>
            {shown < this._total
              ? `Showing ${shown} of ${this._total} runs`
              : `${this._total} run${this._total === 1 ? '' : 's'}`}
          </span>
          {this._openExplorer && (
            <button
              type="button"
              className="wb-LinkButton wb-RunsPanel-explorer"
              title="All runs in a searchable, sortable grid (workbench:open-runs)"
              onClick={() => void this._openExplorer?.()}
            >
              Open in explorer
            </button>
          )}
        </div>
      </>
    );
  }

  private _schedule(): void {
    this._clearTimer();
    if (this.isDisposed) {
      return;
    }
    const active = this._runs.some(run => ACTIVE_STATUSES.has(run.status));
    const delay = this._backoff.delay(active ? FAST_POLL_MS : SLOW_POLL_MS);
    this._timer = window.setTimeout(() => {
      this._timer = null;
      if (this.isVisible) {
        void this.refresh();
      } else {
        this._schedule(); // hidden: check again later, fetch nothing
      }
    }, delay);
  }

  private _clearSearchTimer(): void {
    if (this._searchTimer !== null) {
      window.clearTimeout(this._searchTimer);
      this._searchTimer = null;
    }
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private readonly _openRun: (run: RunSummary) => Promise<void>;
  private readonly _openExplorer: (() => Promise<void>) | null;
  private _search = '';
  private _searchTimer: number | null = null;
  private readonly _sweeps: SweepsView;
  private _view: RunsView = 'notebook';
  private _notebookPath: string | null = null;
  private _runs: RunSummary[] = [];
  private _total = 0;
  private _loading = false;
  private _error: IViewError | null = null;
  private readonly _backoff = new PollBackoff();
  private _request = 0;
  private _timer: number | null = null;
}

export interface IRunRowProps {
  run: RunSummary;
  /** Called when the user picks the run (click, Enter or Space). */
  open: (run: RunSummary) => Promise<void>;
  /** Shown instead of the run's name, e.g. a sweep job's parameters. */
  label?: string;
  /** Params that differ between the runs listed: shown on the row. */
  varying?: string[];
}

/** How many params and metrics a row shows before "+N more". */
export const ROW_ITEMS = 3;

/** A job run without a name is labelled by its parameters, not a hash. */
export function rowLabel(run: RunSummary, varying: string[] = []): string {
  if (run.name && run.name.trim()) {
    return run.name;
  }
  const keys = varying.filter(k => k in run.params);
  const shown = (keys.length ? keys : Object.keys(run.params)).slice(
    0,
    ROW_ITEMS
  );
  if (run.source === 'job' && shown.length > 0) {
    return shown.map(k => `${k}=${compact(run.params[k])}`).join(', ');
  }
  return runLabel(run);
}

function compact(value: unknown): string {
  return typeof value === 'number'
    ? formatValue(value)
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);
}

/** Items as "k=v" chips, at most ROW_ITEMS, then "+N more". */
function Chips({
  items,
  kind
}: {
  items: Array<[string, string]>;
  kind: string;
}): JSX.Element | null {
  if (items.length === 0) {
    return null;
  }
  const more = items.length - ROW_ITEMS;
  return (
    <div className={`wb-RunRow-metrics wb-RunRow-${kind}`}>
      {items.slice(0, ROW_ITEMS).map(([key, value]) => (
        <span
          key={key}
          className={kind === 'metrics' ? 'wb-Metric' : 'wb-Param'}
          data-metric={kind === 'metrics' ? key : undefined}
        >
          {key}={value}
        </span>
      ))}
      {more > 0 && (
        <span
          className="wb-RunRow-more"
          title={items
            .slice(ROW_ITEMS)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}
        >
          +{more} more
        </span>
      )}
    </div>
  );
}

/** One run: status and source badges, name, start, duration, error, params, metrics. */
export function RunRow({
  run,
  open: onOpen,
  label,
  varying = []
}: IRunRowProps): JSX.Element {
  const open = (): void => void onOpen(run);
  const metrics = keyMetrics(run, Number.MAX_SAFE_INTEGER);
  const params: Array<[string, string]> = varying
    .filter(k => k in run.params)
    .map(k => [k, compact(run.params[k])]);
  return (
    <li
      className={`wb-RunRow wb-mod-${run.status}`}
      data-run-id={run.run_id}
      data-status={run.status}
      role="button"
      tabIndex={0}
      title={`${run.run_id} (${run.source}): open the run page`}
      onClick={open}
      onKeyDown={event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          open();
        }
      }}
    >
      <div className="wb-RunRow-line">
        <span className={`wb-StatusBadge wb-mod-${run.status}`}>
          {statusLabel(run.status)}
        </span>
        <span className="wb-RunRow-name">
          {label ?? rowLabel(run, varying)}
        </span>
        <span
          className={`wb-SourceBadge wb-mod-${run.source}`}
          data-source={run.source}
        >
          {run.source}
        </span>
      </div>
      <div className="wb-RunRow-line wb-RunRow-meta">
        <span className="wb-RunRow-start">{formatStart(run.started_at)}</span>
        <span className="wb-RunRow-duration">{runDuration(run)}</span>
      </div>
      {run.error && (
        <div className="wb-RunRow-error" title={errorText(run.error)}>
          {errorText(run.error)}
        </div>
      )}
      {label === undefined && <Chips items={params} kind="params" />}
      <Chips items={metrics} kind="metrics" />
    </li>
  );
}

/** "ValueError: bad input (cell 3)", from whichever parts the server recorded. */
function errorText(error: RunError): string {
  const what = [error.name, error.value].filter(Boolean).join(': ');
  const text = what || error.reason || 'error';
  return error.cell_index !== null
    ? `${text} (cell ${error.cell_index})`
    : text;
}
