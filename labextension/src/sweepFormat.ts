// Pure labels for the Sweeps view: which parameters a sweep varies, how its runs are named.

import { basename, FAILED_STATUSES, formatDuration, paramText } from './format';
import type { SweepRun, SweepSummary } from './sweepsApi';

/** The notebook's name (path relative to the root when known). */
export function sweepName(sweep: SweepSummary): string {
  return basename(sweep.notebook_path ?? sweep.notebook);
}

/** The parameters a sweep varies: grid, random and values-row names. */
export function sweepAxes(sweep: SweepSummary): string[] {
  const names = new Set<string>();
  const spec = sweep.spec;
  for (const key of ['grid', 'random']) {
    const part = spec[key];
    if (part && typeof part === 'object') {
      Object.keys(part).forEach(name => names.add(name));
    }
  }
  const rows = spec.values;
  if (Array.isArray(rows)) {
    for (const row of rows as unknown[]) {
      if (row && typeof row === 'object') {
        Object.keys(row).forEach(name => names.add(name));
      }
    }
  }
  return [...names];
}

/** "lr=0.1, depth=4": the varied parameters (all when none), and the attempt. */
export function sweepRunLabel(run: SweepRun, axes: string[]): string {
  const names = axes.length > 0 ? axes : Object.keys(run.params);
  const text = names
    .filter(name => name in run.params)
    .map(name => `${name}=${paramText(run.params[name])}`)
    .join(', ');
  const label = text || run.run_id.slice(0, 8);
  return run.attempt > 1 ? `${label} (attempt ${run.attempt})` : label;
}

/** Every parameter as "name=value", one per line: the full text on hover. */
export function paramsTitle(params: Record<string, unknown>): string {
  const names = Object.keys(params);
  return names.length > 0
    ? names.map(name => `${name}=${paramText(params[name])}`).join('\n')
    : 'the notebook’s defaults';
}

/** "about 2m 05s left", or '' when there is no estimate. */
export function etaText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '';
  }
  return seconds < 1 ? 'ending' : `about ${formatDuration(seconds)} left`;
}

/** Where the jobs run: "local, 4 at once", "Dask (local cluster)", "Dask at tcp://…". */
export function executorText(sweep: SweepSummary): string {
  const { executor, workers } = sweep.options;
  const atOnce = workers ? `, ${workers} at once` : '';
  if (executor === 'local') {
    return `local processes${atOnce}`;
  }
  if (executor === 'dask') {
    return `Dask local cluster${atOnce}`;
  }
  return `Dask at ${executor}${atOnce}`;
}

/** The counts a sweep is read by, finished ones first; failures grouped. */
export interface ISweepCounts {
  succeeded: number;
  /** failed, timed out and lost. */
  failed: number;
  cancelled: number;
  running: number;
  queued: number;
  /** Jobs that ran to an end: succeeded or failed (not cancelled). */
  ran: number;
}

export function sweepCounts(sweep: SweepSummary): ISweepCounts {
  const c = sweep.counts;
  const failed = FAILED_STATUSES.reduce((n, s) => n + (c[s] ?? 0), 0);
  const succeeded = c.succeeded ?? 0;
  return {
    succeeded,
    failed,
    cancelled: c.cancelled ?? 0,
    running: c.running ?? 0,
    queued: c.queued ?? 0,
    ran: succeeded + failed
  };
}

/**
 * The honest summary, in parts: "3 of 8 ran", "2 succeeded", "1 failed",
 * "2 running", "3 queued" (zeros left out). A cancelled sweep says how many
 * ran, failed and were cancelled instead of "8/8 done".
 */
export function sweepCountParts(sweep: SweepSummary): Array<[string, string]> {
  const n = sweepCounts(sweep);
  const parts: Array<[string, string]> = [
    ['ran', `${n.ran} of ${sweep.total} ran`]
  ];
  for (const key of [
    'succeeded',
    'failed',
    'cancelled',
    'running',
    'queued'
  ] as const) {
    if (n[key] > 0) {
      parts.push([key, `${n[key]} ${key}`]);
    }
  }
  return parts;
}

/** "3 of 8 ran: 2 succeeded, 1 failed; 2 running, 3 queued". */
export function sweepCountsText(sweep: SweepSummary): string {
  const parts = sweepCountParts(sweep);
  const outcome = parts
    .filter(([k]) => k === 'succeeded' || k === 'failed')
    .map(([, t]) => t);
  const rest = parts
    .filter(([k]) => k === 'cancelled' || k === 'running' || k === 'queued')
    .map(([, t]) => t);
  let text = parts[0][1];
  if (outcome.length > 0) {
    text += `: ${outcome.join(', ')}`;
  }
  return rest.length > 0 ? `${text}; ${rest.join(', ')}` : text;
}
