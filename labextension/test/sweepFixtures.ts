/** Sweeps and jobs as the server describes them, for the tests to vary. */
import type { DescribeSweep, SweepRun, SweepSummary } from '../src/sweepsApi';

export const STARTED = '2025-01-01T00:00:00+00:00';

/** A finished 2-job grid sweep of train.ipynb over lr. */
export function sweepSummary(over: Partial<SweepSummary> = {}): SweepSummary {
  return {
    sweep_id: 'a1b2c3d4e5f6',
    notebook: '/srv/work/train.ipynb',
    notebook_path: 'train.ipynb',
    experiment: 'default',
    status: 'succeeded',
    created_at: STARTED,
    ended_at: '2025-01-01T00:01:00+00:00',
    heartbeat_at: null,
    cancel_requested: false,
    counts: {
      queued: 0,
      running: 0,
      succeeded: 2,
      failed: 0,
      timed_out: 0,
      cancelled: 0,
      lost: 0
    },
    total: 2,
    done: 2,
    spec: { grid: { lr: [0.1, 0.01] } },
    options: {
      workers: 2,
      executor: 'local',
      timeout: null,
      retries: 0,
      kernel: null,
      force: false,
      allow_unknown: false,
      experiment: null,
      cold: false,
      preload: null
    },
    runner_alive: false,
    eta_s: null,
    ...over
  };
}

/** A job of a sweep that succeeded in 4.2 s. */
export function sweepRun(over: Partial<SweepRun> = {}): SweepRun {
  return {
    run_id: 'abcdef0123456789',
    name: null,
    experiment: 'default',
    notebook: 'train.ipynb',
    notebook_path: 'train.ipynb',
    status: 'succeeded',
    source: 'job',
    started_at: STARTED,
    ended_at: null,
    duration_s: 4.2,
    params: {},
    metrics: {},
    tags: {},
    has_executed_notebook: true,
    error: null,
    job_key: 'k',
    attempt: 1,
    latest: true,
    progress: null,
    ...over
  };
}

/** A sweep with its runs, as GET sweeps/{id} answers. */
export function describeSweep(
  sweep: SweepSummary,
  runs: SweepRun[] = []
): DescribeSweep {
  return {
    ...sweep,
    metric_names: [],
    default_order_by: null,
    runs,
    runs_total: runs.length,
    limit: 50,
    offset: 0
  };
}
