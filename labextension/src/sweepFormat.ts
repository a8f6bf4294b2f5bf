// Pure labels for the Sweeps view: which parameters a sweep varies, how its runs are named.

import { formatValue } from './format';
import type { SweepRun, SweepSummary } from './sweepsApi';

/** The notebook's name (path relative to the root when known). */
export function sweepName(sweep: SweepSummary): string {
  const path = sweep.notebook_path ?? sweep.notebook;
  return path.split('/').pop() || path;
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
    .map(name => `${name}=${formatParam(run.params[name])}`)
    .join(', ');
  const label = text || run.run_id.slice(0, 8);
  return run.attempt > 1 ? `${label} (attempt ${run.attempt})` : label;
}

function formatParam(value: unknown): string {
  if (typeof value === 'number') {
    return formatValue(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}
