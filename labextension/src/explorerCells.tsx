/**
 * The explorer grid's cells: column widths, header cells (sort and reducer),
 * and how a value shows (status badges, the name that opens the run, values
 * that filter on a click).
 */
import * as React from 'react';

import { RunStatus } from './api';
import type { IColumn } from './explorerModel';
import { fetchedField, REDUCERS, Reducer, Row } from './explorerModel';
import type { IGridProps } from './explorerGrid';
import {
  asText,
  basename,
  formatDuration,
  formatStart,
  statusLabel,
  valueText
} from './format';

export function columnWidth(field: string): number {
  if (field === 'name') {
    return 220;
  }
  if (field === 'notebook' || field === 'started_at' || field === 'ended_at') {
    return 160;
  }
  if (field === 'status') {
    return 100;
  }
  return 120;
}

/** The short header of a field: `params.lr` -> `lr` (the prefix shows as a hint). */
export function headerText(field: string): string {
  const dot = field.indexOf('.');
  return dot > 0 && /^(params|metrics|tags)$/.test(field.slice(0, dot))
    ? field.slice(dot + 1)
    : field.replace('_at', '').replace('_s', '');
}

export function cellText(field: string, value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (
    (field === 'started_at' || field === 'ended_at') &&
    typeof value === 'number'
  ) {
    return formatStart(new Date(value * 1000).toISOString());
  }
  if (field === 'duration_s' && typeof value === 'number') {
    return formatDuration(value);
  }
  if (field === 'notebook' && typeof value === 'string') {
    return basename(value);
  }
  if (field === 'run_id' || field === 'sweep') {
    return asText(value).slice(0, 8);
  }
  return valueText(value);
}

export function HeaderCell(
  props: IGridProps & { column: IColumn; left: number; colIndex: number }
): JSX.Element {
  const { column, sort } = props;
  const field = column.field;
  const sorted = sort !== null && sort.field === field;
  const isMetric = field.startsWith('metrics.');
  return (
    <div
      className={`wb-Grid-cell wb-Grid-header${column.pinned ? ' wb-mod-pinned' : ''}`}
      role="columnheader"
      aria-colindex={props.colIndex}
      aria-sort={
        sort !== null && sorted
          ? sort.desc
            ? 'descending'
            : 'ascending'
          : 'none'
      }
      style={{
        width: columnWidth(field),
        left: column.pinned ? props.left : undefined
      }}
      title={field}
      data-field={field}
    >
      <button
        type="button"
        className="wb-Grid-sort"
        tabIndex={-1}
        onClick={() => props.onSort(field)}
        aria-label={`Sort by ${field}`}
      >
        {headerText(field)}
        {sort !== null && sorted ? (sort.desc ? ' ▼' : ' ▲') : ''}
      </button>
      {isMetric && (
        <select
          className="wb-Grid-reducer"
          tabIndex={-1}
          aria-label={`Reducer of ${field}`}
          value={props.reducers[field] ?? 'last'}
          onChange={e => props.onReducer(field, e.target.value as Reducer)}
        >
          {REDUCERS.map(r => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      )}
    </div>
  );
}

export function cellContent(
  props: IGridProps,
  field: string,
  value: unknown,
  runId: string | null,
  data: Row
): React.ReactNode {
  if (field === 'status') {
    return (
      <span className={`wb-StatusBadge wb-mod-${String(value)}`}>
        {statusLabel(value as RunStatus)}
      </span>
    );
  }
  if (field === 'name') {
    const text = value ? asText(value) : asText(data.run_id).slice(0, 8);
    return (
      <button
        type="button"
        className="wb-LinkButton wb-Grid-open"
        tabIndex={-1}
        onClick={() => runId && props.onOpen(runId)}
        title="Open the run page"
      >
        {text}
      </button>
    );
  }
  const text = cellText(field, value);
  if (
    text === '' ||
    field === 'started_at' ||
    field === 'ended_at' ||
    field === 'duration_s'
  ) {
    return text;
  }
  return (
    <button
      type="button"
      className="wb-Grid-value"
      tabIndex={-1}
      title={`Filter on ${field} = ${text}`}
      onClick={() => props.onFilter(fetchedField(field, props.reducers), value)}
    >
      {text}
    </button>
  );
}
