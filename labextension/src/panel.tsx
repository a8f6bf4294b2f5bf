/**
 * The Workbench sidebar: runs of the notebook in focus, all runs, or sweeps.
 *
 * State lives on the widget; render() draws it. A timer refreshes the list
 * every 2 s while a listed run is queued or running and every 10 s otherwise,
 * and only while the panel and the browser tab are visible (poller.ts). While the store (or the server) is
 * unavailable it says so and polls with a backoff (retry.ts) until it
 * answers. The Sweeps view (sweeps.tsx) polls on its own timer, only while it
 * is the view on screen.
 */
import { refreshIcon, ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { ErrorBlock, IViewError } from './errors';
import { listRuns, RunSummary } from './api';
import { literal } from './explorerModel';
import { ACTIVE_STATUSES } from './format';
import { Poller, PollRequests } from './poller';
import { RunRow, varyingParams } from './runRow';
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
  const q = literal(t);
  return `name contains ${q} or notebook contains ${q} or run_id contains ${q}`;
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
    const view = this._view;
    const notebook = this._notebookPath;
    if (view === 'sweeps') {
      this._polls.begin(); // a runs list's answer on its way is stale now
      this._loading = false;
      this.update();
      return this._sweeps.refresh();
    }
    if (view === 'notebook' && notebook === null) {
      // No notebook to ask about: an empty list, and poll on.
      return this._polls.run(() => {
        this._runs = [];
        this._total = 0;
        return Promise.resolve();
      });
    }
    this._loading = true;
    this.update();
    await this._polls.run(async isCurrent => {
      const page = await listRuns({
        notebook: view === 'notebook' ? notebook : null,
        where: searchWhere(this._search),
        limit: PAGE_SIZE
      });
      if (isCurrent()) {
        // (else the view changed while this answer was on its way)
        this._runs = page.runs;
        this._total = page.total;
      }
    });
  }

  dispose(): void {
    this._poller.dispose();
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

  private _clearSearchTimer(): void {
    if (this._searchTimer !== null) {
      window.clearTimeout(this._searchTimer);
      this._searchTimer = null;
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
  /** The runs lists' polls (the Sweeps view polls on its own). */
  private readonly _poller = new Poller({
    poll: () => void this.refresh(),
    isShown: () => this.isVisible && this._view !== 'sweeps'
  });
  private readonly _polls = new PollRequests({
    poller: this._poller,
    usualDelayMs: () =>
      this._runs.some(run => ACTIVE_STATUSES.has(run.status))
        ? FAST_POLL_MS
        : SLOW_POLL_MS,
    ended: error => {
      this._error = error;
      this._loading = false;
      this.update();
    }
  });
}
