/**
 * The runs explorer's pure parts: columns and reducers, the paged row cache,
 * field completion, "only what differs", CSV and "copy as code". No DOM here,
 * so vitest covers it (test/explorerModel.test.ts).
 */
import { asText } from './format';
import type { Fields, IRowsQuery, RunRowsPage } from './runApi';

export type Reducer = 'last' | 'min' | 'max';
export const REDUCERS: Reducer[] = ['last', 'min', 'max'];

export interface IColumn {
  /** A query field: `name`, `params.lr`, `metrics.acc` (its reducer applies). */
  field: string;
  pinned?: boolean;
}

/** The base columns in their default order (run_id and sweep are always fetched). */
export const BASE_COLUMNS = [
  'status',
  'name',
  'source',
  'notebook',
  'experiment',
  'started_at',
  'duration_s'
];
/** Fetched with every page whatever is shown: identity, live state, grouping. */
export const ALWAYS = ['run_id', 'status', 'name', 'sweep'];
export const MAX_DEFAULT_KEYS = 40;

/** Backquote a key that is not an identifier (the query language's rule). */
export function quoteKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
    ? key
    : '`' + key.replace(/`/g, '``') + '`';
}

export function fieldOf(prefix: string, key: string): string {
  return `${prefix}.${quoteKey(key)}`;
}

/** Every column a user can show: base fields, then every param, metric and tag. */
export function availableColumns(fields: Fields | null): string[] {
  const extra = fields
    ? [
        ...fields.params.map(k => fieldOf('params', k)),
        ...fields.metrics.map(k => fieldOf('metrics', k)),
        ...fields.tags
          .filter(k => k !== 'workbench.note')
          .map(k => fieldOf('tags', k))
      ]
    : [];
  return [...BASE_COLUMNS, 'run_id', 'sweep', 'ended_at', ...extra];
}

/** The columns shown before the user picks: the base ones and the first keys. */
export function defaultColumns(
  fields: Fields | null,
  configured: string[] = []
): IColumn[] {
  if (configured.length > 0) {
    return configured.map(field => ({ field, pinned: field === 'name' }));
  }
  const keys = availableColumns(fields).filter(f =>
    /^(params|metrics|tags)\./.test(f)
  );
  return [...BASE_COLUMNS, ...keys.slice(0, MAX_DEFAULT_KEYS)].map(field => ({
    field,
    pinned: field === 'name'
  }));
}

/** Pinned columns first, each group in the user's order. */
export function ordered(columns: IColumn[]): IColumn[] {
  return [...columns.filter(c => c.pinned), ...columns.filter(c => !c.pinned)];
}

/** The field fetched for a shown column: a metric with its reducer (`metrics.acc.max`). */
export function fetchedField(
  field: string,
  reducers: Record<string, Reducer>
): string {
  const reducer = reducers[field] ?? 'last';
  return field.startsWith('metrics.') && reducer !== 'last'
    ? `${field}.${reducer}`
    : field;
}

/** The fields of a page request: ALWAYS, then the shown columns (no repeats). */
export function requestFields(
  columns: IColumn[],
  reducers: Record<string, Reducer>
): string[] {
  const fields = [...ALWAYS];
  for (const c of columns) {
    const f = fetchedField(c.field, reducers);
    if (!fields.includes(f)) {
      fields.push(f);
    }
  }
  return fields;
}

export type Fetch = (query: IRowsQuery) => Promise<RunRowsPage>;
export type Row = Record<string, unknown>;

/**
 * Rows of the current query, fetched a page at a time as they scroll into
 * view. A new query (where, sort, columns) starts a new generation: answers
 * of an older one are dropped. `refresh` refetches the pages held, in place.
 */
export class RowCache {
  constructor(fetch: Fetch, pageSize = 200) {
    this._fetch = fetch;
    this.pageSize = pageSize;
  }

  readonly pageSize: number;
  total: number | null = null;
  error: unknown = null;

  /** Start over with a new query; resolves when its first page is in. */
  reset(query: Omit<IRowsQuery, 'offset' | 'limit'>): Promise<void> {
    this._query = query;
    this._generation += 1;
    this._pages.clear();
    this._loading.clear();
    this.total = null;
    this.error = null;
    return this._load(0);
  }

  row(index: number): Row | undefined {
    return this._pages.get(Math.floor(index / this.pageSize))?.[
      index % this.pageSize
    ];
  }

  /** Fetch the pages that hold rows first..last; resolves when they are in. */
  ensure(first: number, last: number): Promise<void> {
    const wanted: Promise<void>[] = [];
    for (
      let p = Math.floor(first / this.pageSize);
      p <= Math.floor(last / this.pageSize);
      p++
    ) {
      if (
        !this._pages.has(p) &&
        !this._loading.has(p) &&
        (this.total === null || p * this.pageSize < this.total)
      ) {
        wanted.push(this._load(p));
      }
    }
    return Promise.all(wanted).then(() => undefined);
  }

  /**
   * Live update: refetch the pages holding rows first..last in place (rows,
   * total), and forget the others (they are fetched again when scrolled to).
   */
  refresh(first: number, last: number): Promise<void> {
    const lo = Math.floor(first / this.pageSize);
    const hi = Math.floor(last / this.pageSize);
    for (const p of [...this._pages.keys()]) {
      if (p < lo || p > hi) {
        this._pages.delete(p);
      }
    }
    const pages = [];
    for (let p = lo; p <= hi; p++) {
      pages.push(this._load(p));
    }
    return Promise.all(pages).then(() => undefined);
  }

  /** The rows held, in order (for "only what differs", CSV of the loaded rows). */
  loaded(): Row[] {
    return [...this._pages.keys()]
      .sort((a, b) => a - b)
      .flatMap(p => this._pages.get(p)!);
  }

  /** Called when a page arrives (the view redraws). */
  onChange: () => void = () => undefined;

  private async _load(page: number): Promise<void> {
    if (!this._query) {
      return;
    }
    const generation = this._generation;
    this._loading.add(page);
    try {
      const answer = await this._fetch({
        ...this._query,
        offset: page * this.pageSize,
        limit: this.pageSize
      });
      if (generation !== this._generation) {
        return;
      }
      this.total = answer.total;
      this.error = null;
      this._pages.set(
        page,
        answer.rows.map(values =>
          Object.fromEntries(answer.columns.map((c, i) => [c, values[i]]))
        )
      );
    } catch (reason) {
      if (generation === this._generation) {
        this.error = reason;
      }
    } finally {
      if (generation === this._generation) {
        this._loading.delete(page);
        this.onChange();
      }
    }
  }

  private readonly _fetch: Fetch;
  private _query: Omit<IRowsQuery, 'offset' | 'limit'> | null = null;
  private _generation = 0;
  private readonly _pages = new Map<number, Row[]>();
  private readonly _loading = new Set<number>();
}

/** Columns whose values are the same in every row given (hidden by "only what differs"). */
export function constantColumns(rows: Row[], fields: string[]): Set<string> {
  const out = new Set<string>();
  if (rows.length < 2) {
    return out;
  }
  for (const f of fields) {
    const first = JSON.stringify(rows[0][f] ?? null);
    if (rows.every(r => JSON.stringify(r[f] ?? null) === first)) {
      out.add(f);
    }
  }
  return out;
}

/** The field being typed at `cursor`, and where it starts. */
export function tokenAt(
  text: string,
  cursor: number
): { token: string; start: number } {
  let start = cursor;
  while (start > 0 && /[A-Za-z0-9_.`]/.test(text[start - 1])) {
    start--;
  }
  return { token: text.slice(start, cursor), start };
}

/** Field names that complete `token` (a prefix match, case-insensitive), at most `limit`. */
export function completions(
  token: string,
  fields: Fields | null,
  limit = 12
): string[] {
  if (!token) {
    return [];
  }
  const all = [
    ...availableColumns(fields),
    ...(fields?.metrics ?? []).flatMap(k =>
      ['min', 'max', 'count', 'step'].map(s => `${fieldOf('metrics', k)}.${s}`)
    ),
    'params.',
    'metrics.',
    'tags.'
  ];
  const lower = token.toLowerCase();
  return [...new Set(all)]
    .filter(f => f.toLowerCase().startsWith(lower) && f !== token)
    .sort((a, b) => a.length - b.length || a.localeCompare(b))
    .slice(0, limit);
}

/** A value as a literal of the query language (strings single-quoted). */
export function literal(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return `'${asText(value).replace(/'/g, "''")}'`;
}

/** `where` narrowed by `field = value` (click a cell to filter on it). */
export function addCondition(
  where: string,
  field: string,
  value: unknown
): string {
  const condition =
    value === null || value === undefined
      ? `${field} is null`
      : `${field} = ${literal(value)}`;
  return where.trim() ? `(${where.trim()}) and ${condition}` : condition;
}

function csvCell(value: unknown): string {
  const text = asText(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCSV(rows: Row[], fields: string[]): string {
  return (
    [
      fields.map(csvCell).join(','),
      ...rows.map(r => fields.map(f => csvCell(r[f])).join(','))
    ].join('\n') + '\n'
  );
}

function pyString(text: string): string {
  return JSON.stringify(text); // a JSON string is a valid Python string literal
}

/** Python that loads the same runs: `wb.runs(where=..., order_by=..., columns=[...])`. */
export function copyAsCode(options: {
  where: string;
  orderBy: string;
  experiment: string | null;
  runIds: string[];
  columns: string[];
}): string {
  const selected = options.runIds.length > 0;
  const where = selected
    ? `run_id in (${options.runIds.map(id => `'${id}'`).join(', ')})`
    : options.where.trim();
  const args = [];
  if (options.experiment && !selected) {
    args.push(`experiment=${pyString(options.experiment)}`);
  }
  if (where) {
    args.push(`where=${pyString(where)}`);
  }
  if (options.orderBy.trim()) {
    args.push(`order_by=${pyString(options.orderBy.trim())}`);
  }
  args.push(`columns=[${options.columns.map(pyString).join(', ')}]`);
  return `import workbench as wb\n\nruns = wb.runs(${args.join(', ')})\nruns\n`;
}
