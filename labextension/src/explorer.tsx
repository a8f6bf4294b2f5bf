/**
 * The runs explorer (`workbench:open-runs`): every run in a virtualized grid
 * over the paged REST API, a query bar, an experiment selector, sorting, a
 * column picker and per-metric reducers remembered in the settings, "only
 * what differs", group by sweep, multi-select actions, and live update of
 * the rows in view (scroll, selection and sort stay).
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { WorkbenchAPIError } from './api';
import { ColumnPicker } from './columnPicker';
import { ExplorerToolbar } from './explorerToolbar';
import { describeError, ErrorBlock } from './errors';
import { Grid, ISort } from './explorerGrid';
import { SweepGroups } from './explorerGroups';
import {
  addCondition,
  availableColumns,
  constantColumns,
  defaultColumns,
  fetchedField,
  IColumn,
  ordered,
  Reducer,
  requestFields,
  Row,
  RowCache
} from './explorerModel';
import { QueryBar } from './queryBar';
import { Fields, getFields, listRunRows } from './runApi';

export const EXPLORER_CLASS = 'wb-Explorer';
export const EXPLORER_ID = 'workbench-explorer';

/** Mirrors schema/explorer.json. */
export interface IExplorerSettings {
  refreshInterval: number;
  pageSize: number;
  defaultColumns: string[];
  defaultReducer: Reducer;
  columns: string[];
  pinned: string[];
  reducers: Record<string, Reducer>;
}

export const DEFAULT_SETTINGS: IExplorerSettings = {
  refreshInterval: 5,
  pageSize: 200,
  defaultColumns: [],
  defaultReducer: 'last',
  columns: [],
  pinned: ['name'],
  reducers: {}
};

export class ExplorerWidget extends ReactWidget {
  constructor(options: {
    commands: CommandRegistry;
    settings: ISettingRegistry.ISettings | null;
  }) {
    super();
    this._commands = options.commands;
    this._settingsObj = options.settings;
    this._settings = {
      ...DEFAULT_SETTINGS,
      ...((options.settings?.composite ?? {}) as Partial<IExplorerSettings>)
    };
    this._cache = new RowCache(q => listRunRows(q), this._settings.pageSize);
    this._cache.onChange = () => this.update();
    this.id = EXPLORER_ID;
    this.addClass(EXPLORER_CLASS);
    this.title.label = 'Runs';
    this.title.caption = 'Workbench runs explorer';
    this.title.closable = true;
    void this._start();
  }

  get selected(): string[] {
    return [...this._selected];
  }
  get where(): string {
    return this._where;
  }
  get experiment(): string | null {
    return this._experiment;
  }
  get orderBy(): string {
    return this._orderBy();
  }
  get total(): number | null {
    return this._cache.total;
  }
  /** The fields shown (after "only what differs"), as fetched. */
  get shownFields(): string[] {
    return [
      'run_id',
      ...this._shownColumns().map(c => fetchedField(c.field, this._reducers))
    ];
  }
  get onlyDiffers(): boolean {
    return this._onlyDiffers;
  }
  set onlyDiffers(value: boolean) {
    this._onlyDiffers = value;
    this.update();
  }
  get groupBySweep(): boolean {
    return this._groupBySweep;
  }
  set groupBySweep(value: boolean) {
    this._groupBySweep = value;
    void this.reload();
  }

  /** The selected rows that are loaded (all loaded rows when none is selected). */
  selectedRows(): Row[] {
    const rows = this._cache.loaded();
    return this._selected.size
      ? rows.filter(r => this._selected.has(String(r.run_id)))
      : rows;
  }

  setQuery(where: string): void {
    this._where = where;
    void this.reload();
  }

  /** Fetch from the top with the current query, sort and columns. */
  async reload(): Promise<void> {
    const query = {
      columns: requestFields(this._columns, this._reducers),
      where: this._where,
      order_by: this._orderBy(),
      experiment: this._experiment
    };
    this._groups.groups = null;
    this._resetKey += 1;
    const first = this._cache.reset(query);
    if (this._groupBySweep) {
      void this._groups.load(listRunRows, query).then(() => this.update());
    }
    await first;
    const error = this._cache.error;
    this._queryError =
      error instanceof WorkbenchAPIError && error.status === 400
        ? error.message
        : null;
    this.update();
  }

  async refreshRows(): Promise<void> {
    await this._cache.refresh(this._range[0], this._range[1]);
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.update();
  }

  protected render(): JSX.Element {
    const total = this._cache.total;
    const failure =
      this._cache.error && !this._queryError
        ? describeError(this._cache.error)
        : null;
    const columns = this._shownColumns();
    const hidden = this._columns.length - columns.length;
    const n = this._selected.size;
    return (
      <div className="wb-Explorer-body">
        <div className="wb-Explorer-top">
          <label className="wb-Control">
            Experiment
            <select
              aria-label="Experiment"
              value={this._experiment ?? ''}
              onChange={e => {
                this._experiment = e.target.value || null;
                void this.reload();
              }}
            >
              <option value="">All experiments</option>
              {(this._fields?.experiments ?? []).map(x => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </label>
          <QueryBar
            key={this._where}
            value={this._where}
            fields={this._fields}
            error={this._queryError}
            onApply={w => this.setQuery(w)}
          />
        </div>
        <ExplorerToolbar
          commands={this._commands}
          picking={this._picking}
          onPicking={() => {
            this._picking = !this._picking;
            this.update();
          }}
          onlyDiffers={this._onlyDiffers}
          onOnlyDiffers={on => (this.onlyDiffers = on)}
          groupBySweep={this._groupBySweep}
          onGroupBySweep={on => (this.groupBySweep = on)}
        />
        {this._picking && (
          <ColumnPicker
            available={availableColumns(this._fields)}
            columns={this._columns}
            onChange={c => this._setColumns(c)}
            onClose={() => {
              this._picking = false;
              this.update();
            }}
          />
        )}
        <div className="wb-Explorer-status" role="status" aria-live="polite">
          {total === null
            ? 'Loading runs…'
            : `${total.toLocaleString()} run${total === 1 ? '' : 's'}`}
          {n > 0 && ` · ${n} selected`}
          {this._onlyDiffers &&
            hidden > 0 &&
            ` · ${hidden} constant column${hidden === 1 ? '' : 's'} hidden`}
        </div>
        {failure ? (
          <ErrorBlock error={failure} />
        ) : (
          <Grid
            idPrefix="wb-explorer"
            label="Runs"
            itemCount={
              this._grouped()
                ? this._groups.itemCount()
                : (this._cache.total ?? 0)
            }
            itemAt={i =>
              this._grouped()
                ? this._groups.itemAt(i)
                : { kind: 'row', index: i }
            }
            rowAt={i => this._cache.row(i)}
            columns={columns}
            reducers={this._reducers}
            sort={this._sort}
            selected={this._selected}
            onRange={this._onRange}
            onSort={f => this._toggleSort(f)}
            onReducer={(f, r) => this._setReducer(f, r)}
            onToggle={id => this._toggle(id)}
            onToggleGroup={s => {
              this._groups.toggle(s);
              this.update();
            }}
            onOpen={id =>
              void this._commands.execute('workbench:open-run', { runId: id })
            }
            onFilter={(f, v) => this.setQuery(addCondition(this._where, f, v))}
            resetKey={this._resetKey}
          />
        )}
      </div>
    );
  }

  private async _start(): Promise<void> {
    try {
      this._fields = await getFields();
    } catch {
      this._fields = null; // the grid shows the store's error on its own
    }
    const s = this._settings;
    this._columns = defaultColumns(
      this._fields,
      s.columns.length ? s.columns : s.defaultColumns
    ).map(c => ({
      ...c,
      pinned: s.pinned.includes(c.field)
    }));
    this._reducers = { ...s.reducers };
    for (const c of this._columns) {
      if (
        c.field.startsWith('metrics.') &&
        !this._reducers[c.field] &&
        s.defaultReducer !== 'last'
      ) {
        this._reducers[c.field] = s.defaultReducer;
      }
    }
    await this.reload();
    if (this.isDisposed) {
      return; // closed while it loaded: no timer to leak
    }
    this._timer = window.setInterval(
      () => {
        if (this.isVisible && this._cache.total !== null) {
          void this.refreshRows();
        }
      },
      Math.max(1, s.refreshInterval) * 1000
    );
  }

  private _orderBy(): string {
    const sort = this._sort
      ? `${fetchedField(this._sort.field, this._reducers)} ${this._sort.desc ? 'desc' : 'asc'}`
      : '';
    if (this._groupBySweep) {
      return sort ? `sweep, ${sort}` : 'sweep, started_at desc';
    }
    return sort;
  }

  private _shownColumns(): IColumn[] {
    const columns = ordered(this._columns);
    if (!this._onlyDiffers) {
      return columns;
    }
    const rows = this._cache.loaded();
    const constant = constantColumns(
      rows,
      columns.map(c => fetchedField(c.field, this._reducers))
    );
    return columns.filter(
      c =>
        c.field === 'name' ||
        !constant.has(fetchedField(c.field, this._reducers))
    );
  }

  private _onRange = (first: number, last: number): void => {
    const toIndex = (i: number): number => {
      return this._grouped() ? this._groups.indexAt(i) : i;
    };
    const lo = toIndex(first);
    const hi = toIndex(last);
    this._range = [lo, Math.max(lo, hi)];
    void this._cache.ensure(lo, Math.max(lo, hi));
  };

  /** Grouped by sweep, once the groups are known. */
  private _grouped(): boolean {
    return this._groupBySweep && this._groups.groups !== null;
  }

  private _toggleSort(field: string): void {
    const current = this._sort;
    this._sort =
      current?.field === field
        ? current.desc
          ? { field, desc: false }
          : null
        : { field, desc: true };
    void this.reload();
  }

  private _toggle(runId: string): void {
    if (this._selected.has(runId)) {
      this._selected.delete(runId);
    } else {
      this._selected.add(runId);
    }
    this.update();
    this._commands.notifyCommandChanged();
  }

  private _setColumns(columns: IColumn[]): void {
    this._columns = columns;
    void this._settingsObj?.set(
      'columns',
      columns.map(c => c.field)
    );
    void this._settingsObj?.set(
      'pinned',
      columns.filter(c => c.pinned).map(c => c.field)
    );
    void this.reload();
  }

  private _setReducer(field: string, reducer: Reducer): void {
    this._reducers = { ...this._reducers, [field]: reducer };
    void this._settingsObj?.set('reducers', this._reducers);
    this.update();
    void this.reload();
  }

  private readonly _commands: CommandRegistry;
  private readonly _settingsObj: ISettingRegistry.ISettings | null;
  private readonly _settings: IExplorerSettings;
  private readonly _cache: RowCache;
  private _fields: Fields | null = null;
  private _columns: IColumn[] = [];
  private _reducers: Record<string, Reducer> = {};
  private _where = '';
  private _experiment: string | null = null;
  private _sort: ISort | null = null;
  private _queryError: string | null = null;
  private _onlyDiffers = false;
  private _groupBySweep = false;
  private readonly _groups = new SweepGroups();
  private readonly _selected = new Set<string>();
  private _picking = false;
  private _range: [number, number] = [0, 0];
  private _timer = 0;
  private _resetKey = 0;
}
