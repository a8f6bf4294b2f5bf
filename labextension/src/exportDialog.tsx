/**
 * The export dialog's body: the targets (package, KFP component, Airflow
 * DAG, GitHub Actions workflow, Dockerfile), the name, the version, the
 * folder, and the run to export (by default the latest validation of this
 * notebook that passed), with the files it would write, from the server's
 * preview (POST exports/preview), before anything is written.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { basename, formatStart } from './format';
import { LivePreview } from './preview';
import {
  CreateExport,
  ExportPreview,
  ExportTarget,
  IValidatedRun,
  previewExport
} from './shipApi';

export const TARGETS: ReadonlyArray<[ExportTarget, string]> = [
  ['package', 'Python package (always)'],
  ['kfp', 'Kubeflow Pipelines component'],
  ['airflow', 'Airflow DAG'],
  ['github', 'GitHub Actions workflow'],
  ['docker', 'Dockerfile']
];
/** The source choice that validates the notebook now instead of using a run. */
export const VALIDATE_NOW = '';

export class ExportFormBody extends ReactWidget {
  constructor(
    private readonly _path: string,
    private readonly _runs: IValidatedRun[]
  ) {
    super();
    this.addClass('wb-ShipForm');
    const stem = basename(_path).replace(/\.ipynb$/, '');
    this._out = `exports/${stem}`;
    this._source = _runs.find(r => r.passed)?.run_id ?? VALIDATE_NOW;
    this._preview = new LivePreview(
      signal => {
        const { out, targets, run_id, path, name, version } = this._body();
        return previewExport(
          { out, targets, run_id, path, name, version },
          signal
        );
      },
      () => this.update()
    );
    this._preview.refresh();
  }

  /** The request to send, or null while the preview is missing or refuses it. */
  getValue(): CreateExport | null {
    const { value: preview, pending, error } = this._preview;
    if (preview === null || pending || preview.problem || error) {
      return null;
    }
    return this._body();
  }

  refused(): void {
    this._refusedOnce = true;
    this.update();
  }

  dispose(): void {
    this._preview.dispose();
    super.dispose();
  }

  render(): JSX.Element {
    const passed = this._runs.filter(r => r.passed);
    return (
      <div className="wb-ShipForm-body wb-ExportForm">
        <div className="wb-SweepForm-fields">
          <fieldset>
            <legend>Targets</legend>
            {TARGETS.map(([target, text]) => (
              <label key={target} className="wb-SweepForm-check">
                <input
                  type="checkbox"
                  aria-label={text}
                  checked={target === 'package' || this._targets.has(target)}
                  disabled={target === 'package'}
                  onChange={e => {
                    if (e.target.checked) {
                      this._targets.add(target);
                    } else {
                      this._targets.delete(target);
                    }
                    this._preview.refresh();
                  }}
                />
                {text}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Export</legend>
            {this._field('Name', this._name, 'the notebook’s name', v => {
              this._name = v;
            })}
            {this._field('Version', this._version, 'the next one', v => {
              this._version = v;
            })}
            {this._field(
              'Folder',
              this._out,
              'relative to the server root',
              v => {
                this._out = v;
              }
            )}
            <label className="wb-SweepForm-field">
              <span>From</span>
              <select
                aria-label="Run to export"
                value={this._source}
                onChange={e => {
                  this._source = e.target.value;
                  this._preview.refresh();
                }}
              >
                {passed.map(run => (
                  <option key={run.run_id} value={run.run_id}>
                    validation {run.run_id.slice(0, 8)} of{' '}
                    {formatStart(run.started_at)} (passed)
                  </option>
                ))}
                <option value={VALIDATE_NOW}>
                  validate the saved notebook now
                </option>
              </select>
            </label>
            {passed.length === 0 && (
              <p className="wb-SweepForm-note">
                No validation of this notebook passed yet: exporting validates
                it first, in a fresh kernel.
              </p>
            )}
          </fieldset>
        </div>
        {this._previewBlock()}
      </div>
    );
  }

  private _field(
    label: string,
    value: string,
    placeholder: string,
    set: (v: string) => void
  ): JSX.Element {
    return (
      <label className="wb-SweepForm-field">
        <span>{label}</span>
        <input
          className="jp-mod-styled"
          aria-label={label}
          placeholder={placeholder}
          value={value}
          onChange={e => {
            set(e.target.value);
            this._preview.refresh();
          }}
        />
      </label>
    );
  }

  private _previewBlock(): JSX.Element {
    const { value: preview, pending, error } = this._preview;
    let head = 'Listing the files…';
    if (error) {
      head = error;
    } else if (preview && !pending) {
      head = preview.problem
        ? preview.problem
        : `${preview.name} ${preview.version} into ${this._out.trim()}`;
    }
    const replaced = new Set(preview?.replaced ?? []);
    const failing = Boolean(error || preview?.problem);
    return (
      <section
        className={`wb-SweepForm-preview${this._refusedOnce && failing ? ' wb-mod-refused' : ''}`}
        aria-live="polite"
      >
        <div
          className={failing ? 'wb-SweepForm-problem' : 'wb-SweepForm-count'}
          role={failing ? 'alert' : undefined}
        >
          {head}
        </div>
        {preview && !pending && !failing && (
          <ul className="wb-ExportForm-files" aria-label="Files to write">
            {preview.files.map(file => (
              <li key={file} data-file={file}>
                <code>{file}</code>
                {replaced.has(file) && (
                  <span className="wb-ExportForm-replaced"> replaced</span>
                )}
                {file === 'wheels/' && (
                  <span className="wb-ExportForm-note">
                    {' '}
                    the package’s wheel and Workbench’s
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    );
  }

  private _body(): CreateExport {
    const body: CreateExport = {
      out: this._out.trim(),
      targets: TARGETS.map(([t]) => t).filter(
        t => t === 'package' || this._targets.has(t)
      ),
      require: []
    };
    if (this._source === VALIDATE_NOW) {
      body.path = this._path;
    } else {
      body.run_id = this._source;
    }
    if (this._name.trim()) {
      body.name = this._name.trim();
    }
    if (this._version.trim()) {
      body.version = this._version.trim();
    }
    return body;
  }

  private readonly _targets = new Set<ExportTarget>();
  private _name = '';
  private _version = '';
  private _out: string;
  private _source: string;
  private readonly _preview: LivePreview<ExportPreview>;
  private _refusedOnce = false;
}
