/**
 * One run in the sidebar's lists (and a sweep's): status and source badges,
 * a label (its name, or for a job its parameters), start and duration, the
 * error, the parameters that tell it apart, and its metrics ("+N more").
 */
import * as React from 'react';

import { RunError, RunSummary } from './api';
import {
  formatStart,
  keyMetrics,
  paramText,
  runDuration,
  runLabel,
  statusLabel
} from './format';

/** Params whose values differ between the runs listed (what tells them apart). */
export function varyingParams(runs: RunSummary[]): string[] {
  const keys = new Set(runs.flatMap(r => Object.keys(r.params)));
  return [...keys]
    .filter(
      k => new Set(runs.map(r => JSON.stringify(r.params[k] ?? null))).size > 1
    )
    .sort();
}

export interface IRunRowProps {
  run: RunSummary;
  /** Called when the user picks the run (a click, Enter or Space on its button). */
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
    return shown.map(k => `${k}=${paramText(run.params[k])}`).join(', ');
  }
  return runLabel(run);
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
    <span className={`wb-RunRow-metrics wb-RunRow-${kind}`}>
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
    </span>
  );
}

/** One run: status and source badges, name, start, duration, error, params, metrics. */
export function RunRow({
  run,
  open: onOpen,
  label,
  varying = []
}: IRunRowProps): JSX.Element {
  const metrics = keyMetrics(run, Number.MAX_SAFE_INTEGER);
  const params: Array<[string, string]> = varying
    .filter(k => k in run.params)
    .map(k => [k, paramText(run.params[k])]);
  // A real button in a plain list item: a list keeps its items, and the
  // button's content (spans only) is its accessible name.
  return (
    <li
      className={`wb-RunRow wb-mod-${run.status}`}
      data-run-id={run.run_id}
      data-status={run.status}
    >
      <button
        type="button"
        className="wb-RunRow-open"
        title={`${run.run_id} (${run.source}): open the run page`}
        onClick={() => void onOpen(run)}
      >
        <span className="wb-RunRow-line">
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
        </span>
        <span className="wb-RunRow-line wb-RunRow-meta">
          <span className="wb-RunRow-start">{formatStart(run.started_at)}</span>
          <span className="wb-RunRow-duration">{runDuration(run)}</span>
        </span>
        {run.error && (
          <span className="wb-RunRow-error" title={errorText(run.error)}>
            {errorText(run.error)}
          </span>
        )}
        {label === undefined && <Chips items={params} kind="params" />}
        <Chips items={metrics} kind="metrics" />
      </button>
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
