/**
 * The typed client for the ship part of the Workbench REST API (validate,
 * exports).
 *
 * The interfaces mirror workbench/server/ship_models.py field for field;
 * change both sides together. Requests go through `requestAPI` (api.ts).
 */
import { requestAPI, runPath, sendJSON, withQuery } from './api';

/** Mirrors ship_models.Target. */
export type ExportTarget = 'package' | 'kfp' | 'airflow' | 'github' | 'docker';

/** Mirrors ship_models.ValidateNotebook: the body of `POST validate`. */
export interface ValidateNotebook {
  /** Relative to the server root, as in the file browser. */
  path: string;
  params?: Record<string, unknown>;
  /** Conditions such as "accuracy>=0.9". */
  require?: string[];
  /** Time budget in seconds, above 0 (default 600). */
  max_seconds?: number | null;
  /** Where `require` was typed: the report labels those conditions so. */
  require_from?: 'request' | 'dialog';
}

/** Mirrors ship_models.CheckModel. */
export interface Check {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
  /** The notebook cell it is about (0 is the first), if any. */
  cell: number | null;
}

/** Mirrors ship_models.ValidationReportModel. */
export interface ValidationReport {
  notebook: string;
  run_id: string | null;
  passed: boolean;
  checks: Check[];
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  requirements: string[];
  duration_s: number | null;
  max_seconds: number | null;
}

/** Mirrors ship_models.CreateExport: the body of `POST exports`. */
export interface CreateExport {
  run_id?: string | null;
  /** A notebook relative to the server root: validated first. */
  path?: string | null;
  /** The folder to write, relative to the server root. */
  out: string;
  /** Default: all (a rollback: the targets exported then). */
  targets?: ExportTarget[] | null;
  name?: string | null;
  version?: string | null;
  description?: string | null;
  params?: Record<string, unknown>;
  require?: string[];
  max_seconds?: number | null;
}

/** Mirrors ship_models.ExportModel. */
export interface ExportSummary {
  export_id: string;
  name: string;
  version: string;
  run_id: string;
  validation_passed: boolean;
  targets: string[];
  /** Relative to the server root when under it. */
  path: string;
  created_at: string;
}

/** Mirrors ship_models.CreateExportResponse. */
export interface CreateExportResponse {
  export: ExportSummary;
  /** Relative to export.path. */
  files: string[];
  report: ValidationReport | null;
}

/** Mirrors ship_models.PreviewExport: the body of `POST exports/preview`. */
export interface PreviewExport {
  run_id?: string | null;
  path?: string | null;
  out: string;
  targets?: ExportTarget[] | null;
  name?: string | null;
  version?: string | null;
}

/** Mirrors ship_models.ExportPreview: what an export would write. */
export interface ExportPreview {
  name: string;
  version: string;
  /** Relative to out, sorted; "wheels/" holds the wheels built on export. */
  files: string[];
  /** Files that exist in out already and would be replaced. */
  replaced: string[];
  /** Why it cannot be exported as asked (a version already taken, ...). */
  problem: string | null;
}

/** Mirrors ship_models.ListExportsQuery. */
export interface ListExportsQuery {
  name?: string | null;
  limit?: number;
}

/** Mirrors ship_models.ListExportsResponse. */
export interface ListExportsResponse {
  exports: ExportSummary[];
}

/** POST validate: run the validation gate on one notebook. */
export function validateNotebook(
  body: ValidateNotebook
): Promise<ValidationReport> {
  return sendJSON<ValidationReport>('validate', body);
}

/** POST exports: export a run or a notebook (or write an earlier version again). */
export function createExport(
  body: CreateExport
): Promise<CreateExportResponse> {
  return sendJSON<CreateExportResponse>('exports', body);
}

/** GET exports: the exports registry, newest first. */
export function listExports(
  query: ListExportsQuery = {}
): Promise<ListExportsResponse> {
  return requestAPI<ListExportsResponse>(withQuery('exports', query));
}

/** POST exports/preview: the files an export would write; nothing is written. */
export function previewExport(
  body: PreviewExport,
  signal?: AbortSignal
): Promise<ExportPreview> {
  return sendJSON<ExportPreview>('exports/preview', body, { signal });
}

/** GET runs/{id}/validation: the report stored with a validation run. */
export function getValidationReport(runId: string): Promise<ValidationReport> {
  return requestAPI<ValidationReport>(`${runPath(runId)}/validation`);
}

/** A validation run of a notebook, as the export dialog offers it. */
export interface IValidatedRun {
  run_id: string;
  started_at: string;
  passed: boolean;
}

interface IRunRows {
  columns: string[];
  rows: unknown[][];
}

/** The notebook's validation runs, newest first (GET runs with the query language). */
export async function listValidationRuns(
  notebook: string,
  limit = 20
): Promise<IValidatedRun[]> {
  const params = new URLSearchParams({
    notebook,
    where: "source = 'validation' and status != 'running'",
    order_by: 'started_at desc',
    columns: 'run_id,started_at,tags.`workbench.validation`',
    limit: String(limit)
  });
  const page = await requestAPI<IRunRows>(`runs?${params.toString()}`);
  return page.rows.map(([runId, started, result]) => ({
    run_id: String(runId),
    started_at:
      typeof started === 'number'
        ? new Date(started * 1000).toISOString()
        : String(started),
    passed: result === 'passed'
  }));
}
