/**
 * Small pure formatters: values, durations, times, statuses and paths, one
 * of each for every view.
 */
import type { RunStatus, RunSummary } from './api';

/** Statuses whose runs may still change, so the panel polls faster. */
export const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  'queued',
  'running'
]);

/** Statuses that count as a failure: an error, a timeout, or a lost kernel. */
export const FAILED_STATUSES: readonly RunStatus[] = [
  'failed',
  'timed_out',
  'lost'
];

/** Whether a run, job or sweep may still change (queued or running). */
export function isActive(item: { status: RunStatus }): boolean {
  return ACTIVE_STATUSES.has(item.status);
}

/** The run's name, else the first 8 characters of its id. */
export function runLabel(run: RunSummary): string {
  return run.name && run.name.trim() ? run.name : run.run_id.slice(0, 8);
}

/** A number with 4 significant digits; exponent form when very large or small. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) {
    return value.toExponential(3);
  }
  return String(Number(value.toPrecision(4)));
}

/** Seconds as "4.2s", "3m 05s" or "2h 07m". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) {
    return `${seconds.toFixed(1)}s`;
  }
  const total = Math.round(seconds);
  if (total < 3600) {
    const m = Math.floor(total / 60);
    return `${m}m ${String(total % 60).padStart(2, '0')}s`;
  }
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return `${h}h ${String(m).padStart(2, '0')}m`;
}

/**
 * How a run's (or a job's) time reads: nothing while it is queued (it has not
 * started), the time since it started while it runs, its duration once it
 * ended.
 */
export function runDuration(
  run: Pick<RunSummary, 'status' | 'started_at' | 'duration_s'>,
  now: number = Date.now()
): string {
  if (run.status === 'queued') {
    return '';
  }
  if (run.duration_s !== null) {
    return formatDuration(run.duration_s);
  }
  if (run.status === 'running') {
    const started = Date.parse(run.started_at);
    if (!Number.isNaN(started)) {
      return formatDuration(Math.max(0, (now - started) / 1000));
    }
  }
  return '';
}

/** A start time: the time of day for today, else the date and time. */
export function formatStart(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const time = date.toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  });
  if (date.toDateString() === now.toDateString()) {
    return time;
  }
  return `${date.toLocaleDateString()} ${time}`;
}

/** Up to `count` metrics as [name, "value"] pairs, in the server's order. */
export function keyMetrics(
  run: RunSummary,
  count = 3
): Array<[string, string]> {
  return Object.entries(run.metrics)
    .slice(0, count)
    .map(([key, value]) => [key, formatValue(value)]);
}

/** A readable status: "timed_out" -> "timed out". */
export function statusLabel(status: RunStatus): string {
  return status.replace('_', ' ');
}

/** Any value as text: strings as they are, null as "", the rest as JSON. */
export function asText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return JSON.stringify(value);
}

/** Any JSON value as short text: numbers to 4 digits, null as "", the rest as JSON. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatValue(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** A parameter's value in a label ("lr=0.1"): like valueText, but null reads "null". */
export function paramText(value: unknown): string {
  return value === null ? 'null' : valueText(value);
}

/** The last part of a path: "a/b/train.ipynb" -> "train.ipynb". */
export function basename(path: string): string {
  return path.split('/').pop() || path;
}
