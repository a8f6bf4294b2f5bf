/**
 * The typed client for the Workbench REST API (`<baseUrl>/workbench/api/`).
 *
 * The interfaces below mirror workbench/server/models.py field for field;
 * change both sides together. Widgets call the wrappers at the bottom and
 * never `fetch` directly.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IRetryOptions, parseRetryAfter, withRetry } from './retry';

/** Mirrors workbench.entities.RunStatus. */
export type RunStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'lost';

/** How a run was started (RunSummary.source). */
export type RunSource =
  'interactive' | 'script' | 'job' | 'validation' | 'deployed';

/** Mirrors models.ErrorResponse: the body of every 4xx/5xx answer. */
export interface ErrorResponse {
  error: string;
  message: string;
}

/** Mirrors models.RunErrorModel. */
export interface RunError {
  name: string | null;
  value: string | null;
  cell_index: number | null;
  reason: string | null;
}

/** Mirrors models.RunSummary. Timestamps are ISO 8601 strings. */
export interface RunSummary {
  run_id: string;
  name: string | null;
  experiment: string;
  notebook: string | null;
  notebook_path: string | null;
  status: RunStatus;
  /** The server sends the values of workbench.entities.RunSource only. */
  source: RunSource;
  started_at: string;
  ended_at: string | null;
  duration_s: number | null;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  has_executed_notebook: boolean;
  error: RunError | null;
}

/** Mirrors models.MetricPointModel. */
export interface MetricPoint {
  step: number;
  value: number;
  timestamp: string;
}

/** Mirrors models.ArtifactModel. */
export interface Artifact {
  name: string;
  digest: string;
  size: number;
  created_at: string;
}

/** Mirrors models.RunDetail. */
export interface RunDetail extends RunSummary {
  metric_history: Record<string, MetricPoint[]>;
  provenance: Record<string, unknown>;
  artifacts: Artifact[];
}

/** Mirrors models.ListRunsQuery. */
export interface ListRunsQuery {
  notebook?: string | null;
  experiment?: string | null;
  status?: RunStatus | null;
  /** The runs query language, e.g. `metrics.acc > 0.9 and params.lr < 0.1`. */
  where?: string | null;
  /** e.g. `metrics.acc desc, name`. */
  order_by?: string | null;
  /** Comma-separated fields: the answer then has `columns` and `rows`. */
  columns?: string | null;
  deleted?: boolean;
  limit?: number;
  offset?: number;
}

/** Mirrors models.ListRunsResponse. */
export interface ListRunsResponse {
  runs: RunSummary[];
  total: number;
  limit: number;
  offset: number;
  columns?: string[] | null;
  rows?: unknown[][] | null;
}

/** An nbformat v4 notebook, as JSON. */
export type NotebookJSON = Record<string, unknown>;

/**
 * Any failed call: the HTTP status (0 for a network failure), a code, a
 * message, and the server's Retry-After in ms when it sent one.
 */
export class WorkbenchAPIError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterMs: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    retryAfterMs: number | null = null
  ) {
    super(message);
    this.name = 'WorkbenchAPIError';
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The code of a 503 that is worth a retry (a read-only store is not). */
export const STORE_UNAVAILABLE = 'store_unavailable';
export const NETWORK_ERROR = 'network_error';

/** Whether waiting may help: the store is unavailable, or the server did not answer. */
export function isTransient(reason: unknown): boolean {
  return (
    reason instanceof WorkbenchAPIError &&
    ((reason.status === 503 && reason.code === STORE_UNAVAILABLE) ||
      (reason.status === 0 && reason.code === NETWORK_ERROR))
  );
}

/** The server's Retry-After in ms, when `reason` is an answer that had one. */
export function retryAfterOf(reason: unknown): number | null {
  return reason instanceof WorkbenchAPIError ? reason.retryAfterMs : null;
}

/**
 * Call `<baseUrl>/workbench/api/<endpoint>` and parse the JSON answer.
 * Every failure, network or HTTP, becomes a WorkbenchAPIError.
 *
 * A GET is retried with a backoff (retry.ts) while the store is unavailable
 * or the server does not answer. Other methods are never retried: a POST
 * that reached the server must not run twice (a sweep launched twice).
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  retry: IRetryOptions = {}
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'workbench/api', endpoint);
  const method = (init.method ?? 'GET').toUpperCase();
  const idempotent = method === 'GET' || method === 'HEAD';
  return withRetry(
    () => requestOnce<T>(url, endpoint, init, settings),
    reason =>
      idempotent && reason instanceof WorkbenchAPIError && isTransient(reason)
        ? { retry: true, afterMs: reason.retryAfterMs }
        : { retry: false },
    { signal: init.signal, ...retry }
  );
}

async function requestOnce<T>(
  url: string,
  endpoint: string,
  init: RequestInit,
  settings: ServerConnection.ISettings
): Promise<T> {
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    const message = reason instanceof Error ? reason.message : String(reason);
    // Only a fetch that failed is a network error; anything else is a bug here.
    const network = reason instanceof ServerConnection.NetworkError;
    throw new WorkbenchAPIError(
      0,
      network ? NETWORK_ERROR : 'request_error',
      message
    );
  }
  const text = await response.text();
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null; // e.g. the server's HTML 404 page when the route is missing
    }
  }
  if (!response.ok) {
    const err = isErrorResponse(body) ? body : null;
    throw new WorkbenchAPIError(
      response.status,
      err?.error ?? `http_${response.status}`,
      err?.message ?? (response.statusText || `HTTP ${response.status}`),
      parseRetryAfter(response.headers.get('Retry-After'))
    );
  }
  if (body === null) {
    throw new WorkbenchAPIError(
      response.status,
      'invalid_response',
      `Expected JSON from ${endpoint}`
    );
  }
  return body as T;
}

function isErrorResponse(body: unknown): body is ErrorResponse {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ErrorResponse).error === 'string' &&
    typeof (body as ErrorResponse).message === 'string'
  );
}

/** `endpoint?query`, leaving out the query's empty fields (undefined, null, ''). */
export function withQuery(endpoint: string, query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(key, String(value));
    }
  }
  const search = params.toString();
  return search ? `${endpoint}?${search}` : endpoint;
}

/**
 * A POST (or PATCH) with a JSON body: the request as the server's pydantic
 * model reads it. Never retried (requestAPI retries GETs only).
 */
export function sendJSON<T>(
  endpoint: string,
  body: unknown,
  options: { method?: 'POST' | 'PATCH'; signal?: AbortSignal } = {}
): Promise<T> {
  return requestAPI<T>(endpoint, {
    method: options.method ?? 'POST',
    body: JSON.stringify(body),
    signal: options.signal
  });
}

/** The endpoint of one run: `runs/{run_id}`. */
export function runPath(runId: string): string {
  return `runs/${encodeURIComponent(runId)}`;
}

/** GET runs: one page of runs, newest first. */
export function listRuns(query: ListRunsQuery = {}): Promise<ListRunsResponse> {
  return requestAPI<ListRunsResponse>(withQuery('runs', query));
}

/** GET runs/{run_id}: one run with its metric history, provenance and artifacts. */
export function getRun(runId: string): Promise<RunDetail> {
  return requestAPI<RunDetail>(runPath(runId));
}

/** GET runs/{run_id}/notebook: the executed notebook of a job run. */
export function getRunNotebook(runId: string): Promise<NotebookJSON> {
  return requestAPI<NotebookJSON>(`${runPath(runId)}/notebook`);
}
