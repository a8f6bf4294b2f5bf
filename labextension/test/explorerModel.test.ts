/**
 * The explorer's pure parts: the paged row cache (generations, ranges, live
 * refresh), columns and reducers, completion, "only what differs", CSV and
 * "copy as code"; and the read-only drive's cell locking.
 */
import { describe, expect, it, vi } from 'vitest';

import {
  addCondition,
  completions,
  constantColumns,
  copyAsCode,
  defaultColumns,
  fetchedField,
  ordered,
  quoteKey,
  requestFields,
  RowCache,
  tokenAt,
  toCSV
} from '../src/explorerModel';
import type { Fields, IRowsQuery, RunRowsPage } from '../src/runApi';

vi.mock('../src/api', () => ({ getRunNotebook: vi.fn() }));

const FIELDS: Fields = {
  base: ['run_id', 'name'],
  params: ['lr', 'my-param'],
  metrics: ['acc'],
  tags: ['team', 'workbench.note'],
  summaries: ['last', 'min', 'max', 'count', 'step'],
  experiments: ['a']
};

/** A server of `total` runs whose rows are [run_id, index]. */
function server(total: number): {
  fetch: (q: IRowsQuery) => Promise<RunRowsPage>;
  calls: IRowsQuery[];
} {
  const calls: IRowsQuery[] = [];
  return {
    calls,
    fetch: q => {
      calls.push(q);
      const rows = [];
      for (let i = q.offset; i < Math.min(total, q.offset + q.limit); i++) {
        rows.push([`run${i}`, i]);
      }
      return Promise.resolve({ total, columns: ['run_id', 'i'], rows });
    }
  };
}

describe('RowCache', () => {
  it('fetches only the pages a range needs, once', async () => {
    const s = server(1000);
    const cache = new RowCache(s.fetch, 100);
    await cache.reset({ columns: ['run_id'] });
    expect(cache.total).toBe(1000);
    expect(cache.row(5)).toEqual({ run_id: 'run5', i: 5 });
    expect(cache.row(150)).toBeUndefined();
    await cache.ensure(150, 250);
    expect(s.calls.map(c => c.offset)).toEqual([0, 100, 200]);
    await cache.ensure(120, 180);
    expect(s.calls).toHaveLength(3);
    expect(cache.row(999)).toBeUndefined();
    await cache.ensure(990, 1200); // past the end: no page beyond the total
    expect(s.calls.map(c => c.offset)).toEqual([0, 100, 200, 900]);
  });

  it('drops the answers of an older query', async () => {
    let release: (page: RunRowsPage) => void = () => undefined;
    const slow = new Promise<RunRowsPage>(resolve => {
      release = resolve;
    });
    const fetch = vi
      .fn<(q: IRowsQuery) => Promise<RunRowsPage>>()
      .mockReturnValueOnce(slow)
      .mockResolvedValue({ total: 1, columns: ['run_id'], rows: [['new']] });
    const cache = new RowCache(fetch, 10);
    const first = cache.reset({ columns: ['run_id'], where: 'old' });
    await cache.reset({ columns: ['run_id'], where: 'new' });
    release({ total: 5, columns: ['run_id'], rows: [['old']] });
    await first;
    expect(cache.total).toBe(1);
    expect(cache.row(0)).toEqual({ run_id: 'new' });
  });

  it('refreshes the pages in view in place and forgets the others', async () => {
    const s = server(500);
    const cache = new RowCache(s.fetch, 100);
    await cache.reset({ columns: ['run_id'] });
    await cache.ensure(300, 310);
    await cache.refresh(300, 310);
    expect(cache.row(0)).toBeUndefined();
    expect(cache.row(305)).toEqual({ run_id: 'run305', i: 305 });
    expect(s.calls.map(c => c.offset)).toEqual([0, 300, 300]);
  });
});

describe('columns', () => {
  it('quotes keys that are not identifiers', () => {
    expect(quoteKey('lr')).toBe('lr');
    expect(quoteKey('my-param')).toBe('`my-param`');
  });

  it('shows the base columns and keys by default, the note tag never', () => {
    const fields = defaultColumns(FIELDS).map(c => c.field);
    expect(fields.slice(0, 2)).toEqual(['status', 'name']);
    expect(fields).toContain('params.`my-param`');
    expect(fields).toContain('tags.team');
    expect(fields).not.toContain('tags.`workbench.note`');
    expect(defaultColumns(FIELDS).find(c => c.field === 'name')?.pinned).toBe(
      true
    );
  });

  it('puts pinned columns first and fetches metrics with their reducer', () => {
    const columns = [
      { field: 'status' },
      { field: 'metrics.acc' },
      { field: 'name', pinned: true }
    ];
    expect(ordered(columns).map(c => c.field)).toEqual([
      'name',
      'status',
      'metrics.acc'
    ]);
    expect(fetchedField('metrics.acc', { 'metrics.acc': 'max' })).toBe(
      'metrics.acc.max'
    );
    expect(fetchedField('params.lr', { 'params.lr': 'max' })).toBe('params.lr');
    expect(requestFields(columns, { 'metrics.acc': 'min' })).toEqual([
      'run_id',
      'status',
      'name',
      'sweep',
      'metrics.acc.min'
    ]);
  });

  it('finds the columns that are constant over the rows shown', () => {
    const rows = [
      { a: 1, b: 'x', c: null },
      { a: 2, b: 'x' }
    ];
    expect([...constantColumns(rows, ['a', 'b', 'c'])]).toEqual(['b', 'c']);
    expect(constantColumns(rows.slice(0, 1), ['a']).size).toBe(0);
  });
});

describe('query bar', () => {
  it('completes the field being typed', () => {
    expect(tokenAt('metrics.acc > 0.9 and par', 25)).toEqual({
      token: 'par',
      start: 22
    });
    expect(completions('params.', FIELDS)).toEqual([
      'params.lr',
      'params.`my-param`'
    ]);
    expect(completions('metrics.acc.m', FIELDS)).toEqual([
      'metrics.acc.max',
      'metrics.acc.min'
    ]);
    expect(completions('', FIELDS)).toEqual([]);
  });

  it('narrows the query on a clicked value', () => {
    expect(addCondition('', 'params.model', "it's")).toBe(
      "params.model = 'it''s'"
    );
    expect(addCondition('metrics.acc > 0.5', 'params.lr', 0.1)).toBe(
      '(metrics.acc > 0.5) and params.lr = 0.1'
    );
    expect(addCondition('', 'tags.team', null)).toBe('tags.team is null');
  });
});

describe('export', () => {
  it('writes CSV with quoting', () => {
    const csv = toCSV(
      [
        { a: 'x,y', b: [1, 2] },
        { a: 'say "hi"', b: null }
      ],
      ['a', 'b']
    );
    expect(csv).toBe('a,b\n"x,y","[1,2]"\n"say ""hi""",\n');
  });

  it('copies the query as wb.runs(...) code', () => {
    const code = copyAsCode({
      where: "params.model = 'a'",
      orderBy: 'metrics.acc desc',
      experiment: 'exp',
      runIds: [],
      columns: ['run_id', 'metrics.acc']
    });
    expect(code).toContain(
      'wb.runs(experiment="exp", where="params.model = \'a\'", order_by="metrics.acc desc", columns=["run_id", "metrics.acc"])'
    );
    const picked = copyAsCode({
      where: 'x',
      orderBy: '',
      experiment: 'exp',
      runIds: ['ab', 'cd'],
      columns: ['run_id']
    });
    expect(picked).toContain(
      'wb.runs(where="run_id in (\'ab\', \'cd\')", columns=["run_id"])'
    );
  });
});

describe('read-only drive', () => {
  it('locks every cell of an executed notebook', async () => {
    const { lockCells, runIdOfPath } = await import('../src/notebookDrive');
    const nb = lockCells({
      cells: [{ cell_type: 'code', metadata: { tags: ['x'] } }]
    });
    expect(nb.cells).toEqual([
      {
        cell_type: 'code',
        metadata: { tags: ['x'], editable: false, deletable: false }
      }
    ]);
    expect(runIdOfPath('0123456789abcdef0123456789abcdef.ipynb')).toBe(
      '0123456789abcdef0123456789abcdef'
    );
    expect(runIdOfPath('../x.ipynb')).toBeNull();
  });
});
