/**
 * The explorer's virtualized ARIA grid: only the rows in view are in the DOM
 * (`aria-rowcount` says how many there are), a sticky header, pinned columns,
 * and keyboard use: arrows, Page Up/Down, Home/End move the active cell,
 * Enter opens the run, Space selects it, F filters on the active value.
 */
import * as React from 'react';

import { cellContent, columnWidth, HeaderCell } from './explorerCells';
import { fetchedField, IColumn, Reducer, Row } from './explorerModel';
import { asText } from './format';

export const ROW_HEIGHT = 28;
const OVERSCAN = 8;
const SELECT_WIDTH = 36;

/** A line of the grid: a run (its index in the server's order) or a sweep's header. */
export type GridItem =
  | { kind: 'row'; index: number }
  | { kind: 'group'; sweep: string | null; count: number; collapsed: boolean };

export interface ISort {
  field: string;
  desc: boolean;
}

export interface IGridProps {
  idPrefix: string;
  itemCount: number;
  itemAt: (i: number) => GridItem;
  rowAt: (index: number) => Row | undefined;
  columns: IColumn[];
  reducers: Record<string, Reducer>;
  sort: ISort | null;
  selected: ReadonlySet<string>;
  label: string;
  onRange: (first: number, last: number) => void;
  onSort: (field: string) => void;
  onReducer: (field: string, reducer: Reducer) => void;
  onToggle: (runId: string) => void;
  onToggleGroup: (sweep: string | null) => void;
  onOpen: (runId: string) => void;
  onFilter: (field: string, value: unknown) => void;
  /** A new value scrolls back to the top (a new query or sort). */
  resetKey: number;
}

export function Grid(props: IGridProps): JSX.Element {
  const { itemCount, columns, idPrefix } = props;
  const scroller = React.useRef<HTMLDivElement>(null);
  const [view, setView] = React.useState({ top: 0, height: 600 });
  const [active, setActive] = React.useState({ row: 0, col: 0 });
  const onRange = props.onRange;

  const first = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(
    itemCount - 1,
    Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN
  );

  React.useEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const measure = (): void =>
      setView({ top: node.scrollTop, height: node.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, []);
  React.useEffect(() => {
    if (itemCount > 0) {
      onRange(first, last);
    }
  }, [first, last, itemCount, onRange]);
  const resetKey = props.resetKey;
  const [seenKey, setSeenKey] = React.useState(resetKey);
  if (seenKey !== resetKey) {
    // A new query or sort: back to the top (state adjusted while rendering).
    setSeenKey(resetKey);
    setActive({ row: 0, col: active.col });
    setView({ top: 0, height: view.height });
  }
  React.useEffect(() => {
    if (scroller.current) {
      scroller.current.scrollTop = 0;
    }
  }, [resetKey]);

  const width =
    SELECT_WIDTH + columns.reduce((sum, c) => sum + columnWidth(c.field), 0);
  const lefts: number[] = [];
  let left = SELECT_WIDTH;
  for (const c of columns) {
    lefts.push(left);
    left += columnWidth(c.field);
  }
  const runIdAt = (row: number): string | null => {
    const item = row < itemCount ? props.itemAt(row) : null;
    const data = item?.kind === 'row' ? props.rowAt(item.index) : undefined;
    return data ? String(data.run_id) : null;
  };

  const moveTo = (row: number, col: number): void => {
    const r = Math.max(0, Math.min(itemCount - 1, row));
    const c = Math.max(0, Math.min(columns.length, col));
    setActive({ row: r, col: c });
    const node = scroller.current;
    if (node) {
      const top = r * ROW_HEIGHT;
      const headerH = ROW_HEIGHT;
      if (top < node.scrollTop) {
        node.scrollTop = top;
      } else if (
        top + ROW_HEIGHT >
        node.scrollTop + node.clientHeight - headerH
      ) {
        node.scrollTop = top + ROW_HEIGHT - node.clientHeight + headerH;
      }
    }
  };
  const onKeyDown = (event: React.KeyboardEvent): void => {
    const page = Math.max(1, Math.floor(view.height / ROW_HEIGHT) - 1);
    const { row, col } = active;
    const moves: Record<string, () => void> = {
      ArrowDown: () => moveTo(row + 1, col),
      ArrowUp: () => moveTo(row - 1, col),
      ArrowRight: () => moveTo(row, col + 1),
      ArrowLeft: () => moveTo(row, col - 1),
      PageDown: () => moveTo(row + page, col),
      PageUp: () => moveTo(row - page, col),
      Home: () => (event.ctrlKey ? moveTo(0, col) : moveTo(row, 0)),
      End: () =>
        event.ctrlKey ? moveTo(itemCount - 1, col) : moveTo(row, columns.length)
    };
    const item = row < itemCount ? props.itemAt(row) : null;
    const runId = runIdAt(row);
    if (moves[event.key]) {
      moves[event.key]();
    } else if (
      (event.key === 'Enter' || event.key === ' ') &&
      item?.kind === 'group'
    ) {
      props.onToggleGroup(item.sweep);
    } else if (event.key === 'Enter' && runId) {
      props.onOpen(runId);
    } else if (event.key === ' ' && runId) {
      props.onToggle(runId);
    } else if (
      (event.key === 'f' || event.key === 'F') &&
      item?.kind === 'row' &&
      col > 0
    ) {
      const field = columns[col - 1].field;
      props.onFilter(
        fetchedField(field, props.reducers),
        props.rowAt(item.index)?.[fetchedField(field, props.reducers)]
      );
    } else {
      return;
    }
    event.preventDefault();
  };

  const rows: JSX.Element[] = [];
  for (let i = first; i <= last && i < itemCount; i++) {
    rows.push(
      renderItem(props, i, lefts, width, active, runIdAt(i), setActive)
    );
  }
  const activeId = `${idPrefix}-r${active.row}-c${active.col}`;
  return (
    <div
      className="wb-Grid"
      ref={scroller}
      role="grid"
      aria-label={props.label}
      aria-rowcount={itemCount + 1}
      aria-colcount={columns.length + 1}
      aria-multiselectable="true"
      aria-activedescendant={itemCount > 0 ? activeId : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onScroll={e =>
        setView({
          top: e.currentTarget.scrollTop,
          height: e.currentTarget.clientHeight
        })
      }
    >
      <div className="wb-Grid-head" role="rowgroup" style={{ width }}>
        <div
          className="wb-Grid-row wb-Grid-headerRow"
          role="row"
          aria-rowindex={1}
        >
          <div
            className="wb-Grid-cell wb-Grid-select wb-mod-pinned"
            role="columnheader"
            style={{ left: 0, width: SELECT_WIDTH }}
          >
            <span className="wb-VisuallyHidden">Selected</span>
          </div>
          {columns.map((c, j) => (
            <HeaderCell
              key={c.field}
              {...props}
              column={c}
              left={lefts[j]}
              colIndex={j + 2}
            />
          ))}
        </div>
      </div>
      <div
        className="wb-Grid-body"
        role="rowgroup"
        style={{ height: itemCount * ROW_HEIGHT, width }}
      >
        {rows}
      </div>
    </div>
  );
}

function renderItem(
  props: IGridProps,
  i: number,
  lefts: number[],
  width: number,
  active: { row: number; col: number },
  runId: string | null,
  setActive: (a: { row: number; col: number }) => void
): JSX.Element {
  const item = props.itemAt(i);
  const style = { top: i * ROW_HEIGHT, height: ROW_HEIGHT, width };
  const cellId = (col: number): string => `${props.idPrefix}-r${i}-c${col}`;
  const isActive = (col: number): string =>
    active.row === i && active.col === col ? ' wb-mod-active' : '';
  if (item.kind === 'group') {
    return (
      <div
        key={`g-${i}`}
        className="wb-Grid-row wb-Grid-group"
        role="row"
        aria-rowindex={i + 2}
        aria-expanded={!item.collapsed}
        style={style}
      >
        <div
          id={cellId(0)}
          className={`wb-Grid-cell wb-mod-pinned${isActive(0)}`}
          role="gridcell"
          aria-colspan={props.columns.length + 1}
          style={{ left: 0, width }}
          onClick={() => props.onToggleGroup(item.sweep)}
        >
          <span aria-hidden="true">{item.collapsed ? '▸' : '▾'}</span>{' '}
          {item.sweep ? `sweep ${item.sweep.slice(0, 8)}` : 'not in a sweep'} (
          {item.count} runs)
        </div>
      </div>
    );
  }
  const data = props.rowAt(item.index);
  const selected = runId !== null && props.selected.has(runId);
  return (
    <div
      key={`r-${item.index}`}
      className={`wb-Grid-row${selected ? ' wb-mod-selected' : ''}`}
      role="row"
      aria-rowindex={i + 2}
      aria-selected={selected}
      data-run-id={runId ?? undefined}
      data-status={data ? String(data.status) : undefined}
      style={style}
    >
      <div
        id={cellId(0)}
        className={`wb-Grid-cell wb-Grid-select wb-mod-pinned${isActive(0)}`}
        role="gridcell"
        aria-colindex={1}
        style={{ left: 0, width: SELECT_WIDTH }}
        onClick={() => setActive({ row: i, col: 0 })}
      >
        {runId && (
          <input
            type="checkbox"
            tabIndex={-1}
            checked={selected}
            aria-label={`Select run ${asText(data?.name ?? runId.slice(0, 8))}`}
            onChange={() => props.onToggle(runId)}
          />
        )}
      </div>
      {props.columns.map((c, j) => {
        const value = data?.[fetchedField(c.field, props.reducers)];
        return (
          <div
            key={c.field}
            id={cellId(j + 1)}
            className={`wb-Grid-cell${c.pinned ? ' wb-mod-pinned' : ''}${isActive(j + 1)}${typeof value === 'number' ? ' wb-mod-number' : ''}`}
            role="gridcell"
            aria-colindex={j + 2}
            style={{
              width: columnWidth(c.field),
              left: c.pinned ? lefts[j] : undefined
            }}
            onClick={() => setActive({ row: i, col: j + 1 })}
            onDoubleClick={() => runId && props.onOpen(runId)}
            title={
              value === undefined || value === null
                ? undefined
                : typeof value === 'string'
                  ? value
                  : JSON.stringify(value)
            }
          >
            {data === undefined ? (
              <span className="wb-Grid-placeholder" aria-hidden="true" />
            ) : (
              cellContent(props, c.field, value, runId, data)
            )}
          </div>
        );
      })}
    </div>
  );
}
