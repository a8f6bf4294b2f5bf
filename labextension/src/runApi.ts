/**
 * The typed client for the explorer's routes: the run page, edits, delete and
 * restore, artifacts, figures, fields and diffs. The interfaces mirror
 * workbench/server/run_models.py field for field; change both sides together.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  requestAPI,
  RunDetail,
  runPath,
  RunSummary,
  sendJSON,
  withQuery
} from './api';

/** Mirrors run_models.MetricSummaryModel. */
export interface MetricSummary {
  last: number | null;
  min: number | null;
  max: number | null;
  count: number;
  step: number;
}

/** Mirrors run_models.RunPage (GET runs/{id}). */
export interface RunPage extends RunDetail {
  metric_summary: Record<string, MetricSummary>;
  max_points: number;
  sweep_id: string | null;
  note: string;
  deleted: boolean;
}

/** Mirrors run_models.EditRun (PATCH runs/{id}). */
export interface EditRun {
  name?: string | null;
  tags?: Record<string, string | null>;
  note?: string | null;
}

/** Mirrors run_models.RunDeleted. */
export interface RunDeleted {
  run_id: string;
  deleted: boolean;
}

/** Mirrors run_models.ArtifactPreview. */
export interface ArtifactPreview {
  name: string;
  size: number;
  kind: 'text' | 'csv' | 'json' | 'image' | 'binary' | 'too_large';
  text: string | null;
  rows: string[][] | null;
  data_url: string | null;
  truncated: boolean;
  message: string | null;
}

/** Mirrors run_models.FieldsResponse (GET fields). */
export interface Fields {
  base: string[];
  params: string[];
  metrics: string[];
  tags: string[];
  summaries: string[];
  experiments: string[];
}

export type FigureKind = 'history' | 'param' | 'parallel' | 'contour';

/** Mirrors run_models.FigureQuery. */
export interface FigureQuery {
  run_ids: string[];
  metric?: string | null;
  param?: string | null;
  x?: string | null;
  y?: string | null;
  smoothing?: number;
  log_y?: boolean;
  theme?: 'light' | 'dark';
}

/** GET figures/{kind}: a plotly figure and what the runs offer to draw. */
export interface FigureResponse {
  figure: {
    data: Array<Record<string, unknown>>;
    layout: Record<string, unknown>;
  };
  choices: { metrics: string[]; params: string[]; numeric_params: string[] };
}

/** Mirrors run_models.LineModel. */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** Mirrors run_models.CellDiffModel. */
export interface CellDiff {
  status: 'unchanged' | 'modified' | 'added' | 'removed';
  cell_type: string;
  base_index: number | null;
  remote_index: number | null;
  source: DiffLine[];
  outputs: DiffLine[];
  source_changed: boolean;
  outputs_changed: boolean;
}

/** Mirrors run_models.RunDiff (GET diff). */
export interface RunDiff {
  base: RunSummary;
  remote: RunSummary;
  base_provenance: Record<string, unknown>;
  remote_provenance: Record<string, unknown>;
  cells: CellDiff[] | null;
  message: string | null;
}

/** GET runs?columns=...: one page of rows, the fields asked for in order. */
export interface RunRowsPage {
  total: number;
  columns: string[];
  rows: unknown[][];
}

export interface IRowsQuery {
  columns: string[];
  where?: string;
  order_by?: string;
  experiment?: string | null;
  offset: number;
  limit: number;
}

export function getRunPage(runId: string): Promise<RunPage> {
  return requestAPI<RunPage>(runPath(runId));
}

export function editRun(runId: string, edit: EditRun): Promise<RunPage> {
  return sendJSON<RunPage>(runPath(runId), edit, { method: 'PATCH' });
}

export function deleteRun(runId: string): Promise<RunDeleted> {
  return requestAPI<RunDeleted>(runPath(runId), { method: 'DELETE' });
}

export function restoreRun(runId: string): Promise<RunDeleted> {
  return requestAPI<RunDeleted>(`${runPath(runId)}/restore`, {
    method: 'POST'
  });
}

export function previewArtifact(
  runId: string,
  name: string
): Promise<ArtifactPreview> {
  return requestAPI<ArtifactPreview>(
    withQuery(`${runPath(runId)}/artifacts/preview`, { name })
  );
}

/** The URL that downloads an artifact (the server answers it as an attachment). */
export function artifactDownloadUrl(
  runId: string,
  name: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return URLExt.join(
    settings.baseUrl,
    'workbench/api',
    withQuery(`${runPath(runId)}/artifacts/download`, { name })
  );
}

export function getFields(): Promise<Fields> {
  return requestAPI<Fields>('fields');
}

export function getFigure(
  kind: FigureKind,
  query: FigureQuery
): Promise<FigureResponse> {
  return requestAPI<FigureResponse>(
    withQuery(`figures/${kind}`, {
      ...query,
      run_ids: query.run_ids.join(',')
    })
  );
}

export function getDiff(base: string, remote: string): Promise<RunDiff> {
  return requestAPI<RunDiff>(withQuery('diff', { base, remote }));
}

export function listRunRows(
  query: IRowsQuery,
  signal?: AbortSignal
): Promise<RunRowsPage> {
  return requestAPI<RunRowsPage>(
    withQuery('runs', { ...query, columns: query.columns.join(',') }),
    { signal }
  );
}
