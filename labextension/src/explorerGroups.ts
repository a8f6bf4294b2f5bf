/**
 * Group by sweep: the grid's lines when runs are grouped. The server sorts by
 * sweep first, so each sweep's runs are one contiguous range of its order;
 * the groups (sweep, count, first index) come from the sweep column alone.
 */
import type { GridItem } from './explorerGrid';
import type { IRowsQuery, RunRowsPage } from './runApi';

export interface IGroup {
  sweep: string | null;
  count: number;
  /** The first run's index in the server's order. */
  start: number;
}

/** Groups from the sweep column, in the server's order (runs of a sweep are adjacent). */
export function groupsOf(
  sweeps: Array<string | null>,
  offset = 0,
  into: IGroup[] = []
): IGroup[] {
  sweeps.forEach((sweep, i) => {
    const last = into[into.length - 1];
    if (last && last.sweep === sweep) {
      last.count += 1;
    } else {
      into.push({ sweep, count: 1, start: offset + i });
    }
  });
  return into;
}

export class SweepGroups {
  groups: IGroup[] | null = null;

  /** Read the sweep column of every matching run, 1,000 at a time. */
  async load(
    fetch: (q: IRowsQuery) => Promise<RunRowsPage>,
    query: Omit<IRowsQuery, 'columns' | 'offset' | 'limit'>
  ): Promise<void> {
    this.groups = null;
    const groups: IGroup[] = [];
    let offset = 0;
    for (;;) {
      const page = await fetch({
        ...query,
        columns: ['sweep'],
        offset,
        limit: 1000
      });
      groupsOf(
        page.rows.map(row => (row[0] as string | null) ?? null),
        offset,
        groups
      );
      offset += page.rows.length;
      if (page.rows.length === 0 || offset >= page.total) {
        break;
      }
    }
    this.groups = groups;
  }

  toggle(sweep: string | null): void {
    if (this._collapsed.has(sweep)) {
      this._collapsed.delete(sweep);
    } else {
      this._collapsed.add(sweep);
    }
  }

  /** Lines in the grid: a header per group, and the runs of the open ones. */
  itemCount(): number {
    return (this.groups ?? []).reduce(
      (n, g) => n + 1 + (this._collapsed.has(g.sweep) ? 0 : g.count),
      0
    );
  }

  itemAt(i: number): GridItem {
    let at = 0;
    for (const g of this.groups ?? []) {
      const collapsed = this._collapsed.has(g.sweep);
      if (i === at) {
        return { kind: 'group', sweep: g.sweep, count: g.count, collapsed };
      }
      const size = collapsed ? 0 : g.count;
      if (i <= at + size) {
        return { kind: 'row', index: g.start + (i - at - 1) };
      }
      at += 1 + size;
    }
    return { kind: 'row', index: i };
  }

  /** The server index of line `i`: its run, or a header's first run. */
  indexAt(i: number): number {
    const item = this.itemAt(i);
    if (item.kind === 'row') {
      return item.index;
    }
    return this.groups?.find(g => g.sweep === item.sweep)?.start ?? 0;
  }

  private readonly _collapsed = new Set<string | null>();
}
