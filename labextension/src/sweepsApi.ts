/**
 * The typed client for the sweeps part of the Workbench REST API.
 *
 * The interfaces mirror workbench/server/sweep_models.py field for field;
 * change both sides together. Requests go through `requestAPI` (api.ts).
 */
import { requestAPI, RunStatus, RunSummary } from './api';

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
  grid?: Record<string, unknown[]> | null;
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
}

/** Mirrors sweep_models.SweepRun: a run of a sweep's job. */
export interface SweepRun extends RunSummary {
  job_key: string;
  attempt: number;
}

/** Mirrors sweep_models.DescribeSweep. */
export interface DescribeSweep extends SweepSummary {
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

function withQuery(endpoint: string, query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(key, String(value));
    }
  }
  const search = params.toString();
  return search ? `${endpoint}?${search}` : endpoint;
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
  return requestAPI<DescribeSweep>('sweeps', {
    method: 'POST',
    body: JSON.stringify(body)
  });
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
