/**
 * The run page (`workbench:open-run` {runId}): a main-area tab with the run's
 * name (editable), status and reason, provenance, params, metrics with their
 * summaries and history charts, tags and note (editable), artifacts with
 * previews, the environment, and the actions on the run.
 */
import { showDialog, Dialog } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { describeError, ErrorBlock, IViewError } from './errors';
import {
  ACTIVE_STATUSES,
  asText,
  formatStart,
  runDuration,
  runLabel,
  statusLabel,
  valueText
} from './format';
import { deleteRun, editRun, getRunPage, restoreRun, RunPage } from './runApi';
import { RunActions } from './runActions';
import { NameField, NoteEditor, TagsEditor } from './runEdit';
import {
  ArtifactsSection,
  KeyValueTable,
  MetricChart,
  MetricsTable
} from './runSections';
import { TabList, TabPanel } from './tabs';
import { RunValidation } from './runValidation';
import { notifyFailure } from './notify';

export const RUN_PAGE_CLASS = 'wb-RunPage';
type Section = 'overview' | 'charts' | 'artifacts' | 'environment';
const SECTIONS: Array<{ key: Section; label: string }> = [
  { key: 'overview', label: 'Overview' },
  { key: 'charts', label: 'Charts' },
  { key: 'artifacts', label: 'Artifacts' },
  { key: 'environment', label: 'Environment' }
];
const CHARTS_SHOWN = 12;
/** A queued or running run's page refreshes this often (ms). */
const LIVE_POLL_MS = 5000;

export interface IRunPageOptions {
  runId: string;
  rendermime: IRenderMimeRegistry;
  commands: CommandRegistry;
}

export class RunPageWidget extends ReactWidget {
  constructor(options: IRunPageOptions) {
    super();
    this.runId = options.runId;
    this._rendermime = options.rendermime;
    this._commands = options.commands;
    this.addClass(RUN_PAGE_CLASS);
    this.id = `workbench-run-${options.runId}`;
    this.title.label = `Run ${options.runId.slice(0, 8)}`;
    this.title.closable = true;
    this.node.dataset.runId = options.runId;
    void this.refresh();
  }

  readonly runId: string;

  get page(): RunPage | null {
    return this._page;
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this._timer);
    try {
      const wasActive =
        this._page !== null && ACTIVE_STATUSES.has(this._page.status);
      this._page = await getRunPage(this.runId);
      this._error = null;
      this.title.label = `Run ${runLabel(this._page)}`;
      this.title.caption = `Workbench run ${this.runId}`;
      const active = ACTIVE_STATUSES.has(this._page.status);
      if (active || wasActive) {
        this._themeKey += 1; // charts of a run still going are drawn again
      }
      if (active && !this.isDisposed) {
        this._timer = window.setTimeout(
          () => void this.refresh(),
          LIVE_POLL_MS
        );
      }
    } catch (reason) {
      this._error = describeError(reason);
    }
    this.update();
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    super.dispose();
  }

  /** Redraw the charts in the new theme (figures are themed on the server). */
  themeChanged(): void {
    this._themeKey += 1;
    this.update();
  }

  protected render(): JSX.Element {
    if (this._error) {
      return <ErrorBlock error={this._error} />;
    }
    const page = this._page;
    if (!page) {
      return (
        <div className="wb-Muted wb-RunPage-loading">
          Loading run {this.runId}…
        </div>
      );
    }
    const prefix = `wb-run-${this.runId}`;
    return (
      <div className="wb-RunPage-body">
        {this._header(page)}
        <TabList
          idPrefix={prefix}
          tabs={SECTIONS}
          selected={this._section}
          label="Run sections"
          onSelect={key => {
            this._section = key;
            this.update();
          }}
        />
        <TabPanel idPrefix={prefix} tabKey={this._section}>
          {this._sectionBody(page)}
        </TabPanel>
      </div>
    );
  }

  private _header(page: RunPage): JSX.Element {
    const prov = page.provenance;
    const git = prov.git_commit
      ? `${asText(prov.git_commit).slice(0, 10)}${prov.git_dirty ? ' (dirty)' : ''}`
      : '';
    const reason = page.error
      ? [
          page.error.reason,
          [page.error.name, page.error.value].filter(Boolean).join(': ')
        ]
          .filter(Boolean)
          .join(' — ')
      : '';
    return (
      <header className="wb-RunPage-header">
        <div className="wb-RunPage-titleLine">
          <span className={`wb-StatusBadge wb-mod-${page.status}`}>
            {statusLabel(page.status)}
          </span>
          <NameField
            key={page.name ?? ''}
            page={page}
            onSave={name => void this._edit({ name: name || null })}
          />
          {page.deleted && (
            <span className="wb-Badge wb-mod-deleted">deleted</span>
          )}
        </div>
        {reason && (
          <div className="wb-RunPage-reason" role="status">
            {reason}
            {page.error?.cell_index !== null &&
            page.error?.cell_index !== undefined
              ? ` (cell ${page.error.cell_index})`
              : ''}
          </div>
        )}
        <dl className="wb-RunPage-meta">
          {meta('run', page.run_id)}
          {meta('experiment', page.experiment)}
          {meta('source', page.source)}
          {meta('started', formatStart(page.started_at))}
          {meta('duration', runDuration(page))}
          {page.sweep_id && meta('sweep', page.sweep_id.slice(0, 8))}
          {meta('notebook', page.notebook_path ?? page.notebook ?? '')}
          {git && meta('git', git)}
          {prov.user ? meta('user', asText(prov.user)) : null}
          {prov.host ? meta('host', asText(prov.host)) : null}
        </dl>
        <div className="wb-Toolbar" role="toolbar" aria-label="Run actions">
          <RunActions
            page={page}
            commands={this._commands}
            onDelete={() => void this._delete()}
            onRestore={() => void this._restore()}
          />
        </div>
      </header>
    );
  }

  private _sectionBody(page: RunPage): JSX.Element {
    switch (this._section) {
      case 'overview':
        return (
          <div className="wb-RunPage-grid">
            <section aria-label="Parameters">
              <h3>Parameters</h3>
              <KeyValueTable
                label="Parameters"
                empty="No parameters."
                rows={Object.entries(page.params).map(([k, v]) => [
                  k,
                  valueText(v)
                ])}
              />
            </section>
            <section aria-label="Metrics">
              <h3>Metrics</h3>
              <MetricsTable summary={page.metric_summary} />
            </section>
            <section aria-label="Tags">
              <h3>Tags</h3>
              <TagsEditor
                tags={page.tags}
                onEdit={tags => void this._edit({ tags })}
              />
            </section>
            <section aria-label="Note">
              <h3>Note</h3>
              <NoteEditor
                key={page.note}
                note={page.note}
                rendermime={this._rendermime}
                onSave={note => void this._edit({ note })}
              />
            </section>
            {page.source === 'validation' && (
              <section aria-label="Validation report">
                <h3>Validation report</h3>
                <RunValidation runId={page.run_id} commands={this._commands} />
              </section>
            )}
          </div>
        );
      case 'charts': {
        const metrics = Object.keys(page.metric_summary).sort();
        if (metrics.length === 0) {
          return <p className="wb-Muted">No metrics logged.</p>;
        }
        return (
          <div className="wb-Charts">
            {metrics.slice(0, CHARTS_SHOWN).map(metric => (
              <MetricChart
                key={metric}
                rendermime={this._rendermime}
                runIds={[page.run_id]}
                metric={metric}
                themeKey={this._themeKey}
              />
            ))}
            {metrics.length > CHARTS_SHOWN && (
              <p className="wb-Muted">
                {metrics.length - CHARTS_SHOWN} more metrics: compare the run to
                chart any of them.
              </p>
            )}
          </div>
        );
      }
      case 'artifacts':
        return (
          <ArtifactsSection runId={page.run_id} artifacts={page.artifacts} />
        );
      default:
        return (
          <KeyValueTable
            label="Environment"
            empty="No environment recorded."
            rows={Object.entries(page.provenance).map(([k, v]) => [
              k,
              valueText(v)
            ])}
          />
        );
    }
  }

  private async _edit(edit: Parameters<typeof editRun>[1]): Promise<void> {
    try {
      this._page = await editRun(this.runId, edit);
      this.update();
    } catch (reason) {
      notifyFailure('Could not save', reason);
    }
  }

  private async _delete(): Promise<void> {
    const answer = await showDialog({
      title: 'Delete run?',
      body: `Run ${runLabel(this._page!)} leaves the lists. It stays restorable until \`workbench gc\` removes it after the retention period.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await deleteRun(this.runId);
      await this.refresh();
    } catch (reason) {
      notifyFailure('Could not delete', reason);
    }
  }

  private async _restore(): Promise<void> {
    try {
      await restoreRun(this.runId);
      await this.refresh();
    } catch (reason) {
      notifyFailure('Could not restore', reason);
    }
  }

  private readonly _rendermime: IRenderMimeRegistry;
  private readonly _commands: CommandRegistry;
  private _page: RunPage | null = null;
  private _error: IViewError | null = null;
  private _section: Section = 'overview';
  private _themeKey = 0;
  private _timer = 0;
}

function meta(label: string, value: string): JSX.Element {
  return (
    <div className="wb-RunPage-metaItem" key={label}>
      <dt>{label}</dt>
      <dd title={value}>{value}</dd>
    </div>
  );
}
