/**
 * The typed client for the sweeps part of the Workbench REST API.
 *
 * The interfaces mirror workbench/server/sweep_models.py field for field;
 * change both sides together. Requests go through `requestAPI` (api.ts).
 */
import {
  requestAPI,
  runPath,
  RunStatus,
  RunSummary,
  sendJSON,
  withQuery
} from './api';

/**
 * Mirrors workbench.entities.SweepOptions: how a sweep's jobs run. The server
 * checks the limits (jobs/options.check_options); defaults are the server's.
 */
export interface SweepOptions {
  /** 1..64 jobs at once; null: the cores (local) or the cluster's. */
  workers?: number | null;
  /** "local", "dask" (a local cluster), or "tcp://HOST:PORT" / "tls://HOST:PORT". */
  executor?: string;
  /** Seconds per job, above 0; null: no limit. */
  timeout?: number | null;
  /** 0..10 new attempts for a job that fails or whose kernel dies. */
  retries?: number;
  /** A kernel name; null: the notebook's kernelspec, else python3. */
  kernel?: string | null;
  /** Run again jobs that already succeeded. */
  force?: boolean;
  /** Allow parameters the notebook's parameters cell lacks. */
  allow_unknown?: boolean;
  /** null: the notebook's default experiment. */
  experiment?: string | null;
  /** A cold kernel start per job instead of a warm fork. */
  cold?: boolean;
  /** Modules the warm kernels import ahead ("-name" leaves one out); null: found. */
  preload?: string[] | null;
}

/** SweepSummary.options: every option, as the sweep was launched with them. */
export type SweepOptionValues = Required<SweepOptions>;

/**
 * Mirrors sweep_models.CreateSweep: the body of `POST sweeps`, a notebook,
 * its sweep spec and the options of SweepOptions.
 */
export interface CreateSweep extends SweepOptions {
  /** Relative to the server root, as in the file browser. */
  notebook: string;
  /** Name -> values, or one text of comma-separated values ("0.01, 0.1"). */
  grid?: Record<string, unknown[] | string> | null;
  /** Name -> distribution text, e.g. "loguniform(1e-4,1e-1)". */
  random?: Record<string, string> | null;
  n?: number | null;
  seed?: number | null;
  values?: Array<Record<string, unknown>> | null;
  params?: Record<string, unknown> | null;
}

/** Mirrors sweep_models.ListSweepsQuery. */
export interface ListSweepsQuery {
  limit?: number;
}

/** Mirrors sweep_models.DescribeSweepQuery. */
export interface DescribeSweepQuery {
  limit?: number;
  offset?: number;
  /** The runs query language's order, e.g. "metrics.acc desc"; null: start order. */
  order_by?: string | null;
  /** Only the latest attempt of each job. */
  latest_only?: boolean;
}

/** Mirrors sweep_models.SweepSummary. Timestamps are ISO 8601 strings. */
export interface SweepSummary {
  sweep_id: string;
  notebook: string;
  notebook_path: string | null;
  experiment: string;
  status: RunStatus;
  created_at: string;
  ended_at: string | null;
  heartbeat_at: string | null;
  cancel_requested: boolean;
  /** Every status, 0 included: the latest attempt of each job. */
  counts: Record<RunStatus, number>;
  total: number;
  done: number;
  spec: Record<string, unknown>;
  options: SweepOptionValues;
  /** A process runs the sweep now (else resume can take it over). */
  runner_alive: boolean;
  /** Seconds left, from the jobs that ended; null until one has, or once it ended. */
  eta_s: number | null;
}

/** Mirrors job_models.CellProgressModel: how far a job's notebook has got. */
export interface CellProgress {
  cells_done: number;
  cells_total: number;
  /** Index of the cell running now (0 is the first); null before or after. */
  current_cell: number | null;
  /** That cell's first non-blank line, shortened. */
  current_source: string;
  updated_at: string;
}

/** Mirrors sweep_models.SweepRun: a run of a sweep's job. */
export interface SweepRun extends RunSummary {
  job_key: string;
  attempt: number;
  /** The latest attempt of its job (an earlier one was retried). */
  latest: boolean;
  /** Running jobs: cells done, the cell running now. */
  progress: CellProgress | null;
}

/** Mirrors sweep_models.DescribeSweep. */
export interface DescribeSweep extends SweepSummary {
  /** The metrics the listed runs logged, by name. */
  metric_names: string[];
  /** How to rank them when nobody chose, e.g. "metrics.loss asc". */
  default_order_by: string | null;
  runs: SweepRun[];
  runs_total: number;
  limit: number;
  offset: number;
}

/** Mirrors sweep_models.ListSweepsResponse. */
export interface ListSweepsResponse {
  sweeps: SweepSummary[];
  limit: number;
}

/** Mirrors job_models.JobLogQuery. */
export interface JobLogQuery {
  offset?: number;
  limit?: number;
}

/** Mirrors job_models.JobLog: a job's output so far, from `offset`. */
export interface JobLog {
  run_id: string;
  status: RunStatus;
  text: string;
  offset: number;
  /** Ask from here next time to get only what is new. */
  next_offset: number;
  size: number;
  /** The job ended and this is the end of its log: no need to ask again. */
  final: boolean;
  /** Output past this many bytes is left out (errors still show). */
  cap_bytes: number;
  /** Running: now; ended: where it stopped. */
  progress: CellProgress | null;
}

/** Mirrors sweep_preview.SweepProblem. */
export interface SweepProblem {
  /** A parameter name, an option name, "notebook", or null: the whole sweep. */
  field: string | null;
  message: string;
}

/** Mirrors sweep_preview.SweepPreview: what a sweep would run. */
export interface SweepPreview {
  jobs: number;
  expanded: number;
  duplicates: number;
  skipped: number;
  in_flight: number;
  first: Array<Record<string, unknown>>;
  /** The seed of the random draws: launch with it to get these same jobs. */
  seed: number | null;
  problems: SweepProblem[];
}

/** Mirrors sweep_models.NotebookParameter. */
export interface NotebookParameter {
  name: string;
  type: 'int' | 'float' | 'str' | 'bool' | 'list' | 'dict' | 'None' | 'any';
  nullable: boolean;
  default: unknown;
  default_repr: string;
  default_is_literal: boolean;
  help: string;
}

/** Mirrors sweep_models.NotebookParameters. */
export interface NotebookParameters {
  path: string;
  parameters: NotebookParameter[];
}

function sweepEndpoint(sweepId: string): string {
  return `sweeps/${encodeURIComponent(sweepId)}`;
}

/** GET sweeps: the newest sweeps with their progress counts. */
export function listSweeps(
  query: ListSweepsQuery = {}
): Promise<ListSweepsResponse> {
  return requestAPI<ListSweepsResponse>(withQuery('sweeps', query));
}

/** GET sweeps/{id}: one sweep with a page of its runs (started, then queued). */
export function getSweep(
  sweepId: string,
  query: DescribeSweepQuery = {}
): Promise<DescribeSweep> {
  return requestAPI<DescribeSweep>(withQuery(sweepEndpoint(sweepId), query));
}

/** POST sweeps: launch a sweep; the server checks it before any job starts. */
export function createSweep(body: CreateSweep): Promise<DescribeSweep> {
  return sendJSON<DescribeSweep>('sweeps', body);
}

/** DELETE sweeps/{id}: ask the sweep's runner to cancel its jobs. */
export function cancelSweep(sweepId: string): Promise<DescribeSweep> {
  return requestAPI<DescribeSweep>(sweepEndpoint(sweepId), {
    method: 'DELETE'
  });
}

/** GET notebooks/parameters: the typed schema of a notebook's parameters cell. */
export function getNotebookParameters(
  path: string
): Promise<NotebookParameters> {
  return requestAPI<NotebookParameters>(
    withQuery('notebooks/parameters', { path })
  );
}

function runEndpoint(runId: string, action: string): string {
  return `${runPath(runId)}/${action}`;
}

/** POST sweeps/preview: what a sweep would queue; nothing is written. */
export function previewSweep(
  body: CreateSweep,
  signal?: AbortSignal
): Promise<SweepPreview> {
  return sendJSON<SweepPreview>('sweeps/preview', body, { signal });
}

/** POST sweeps/{id}/retry: a new attempt of every failed job. */
export function retryFailed(sweepId: string): Promise<DescribeSweep> {
  return requestAPI<DescribeSweep>(`${sweepEndpoint(sweepId)}/retry`, {
    method: 'POST'
  });
}

/** POST sweeps/{id}/resume: run what a stopped sweep still lacks. */
export function resumeSweep(sweepId: string): Promise<DescribeSweep> {
  return requestAPI<DescribeSweep>(`${sweepEndpoint(sweepId)}/resume`, {
    method: 'POST'
  });
}

/** POST runs/{id}/cancel: cancel one job of a sweep. */
export function cancelJob(runId: string): Promise<DescribeSweep> {
  return requestAPI<DescribeSweep>(runEndpoint(runId, 'cancel'), {
    method: 'POST'
  });
}

/** POST runs/{id}/retry: a new attempt of one ended job. */
export function retryJob(runId: string): Promise<DescribeSweep> {
  return requestAPI<DescribeSweep>(runEndpoint(runId, 'retry'), {
    method: 'POST'
  });
}

/** GET runs/{id}/log: a job's output from `offset`, and its progress. */
export function getJobLog(
  runId: string,
  query: JobLogQuery = {}
): Promise<JobLog> {
  return requestAPI<JobLog>(withQuery(runEndpoint(runId, 'log'), query));
}
