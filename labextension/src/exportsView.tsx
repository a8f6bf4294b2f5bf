/**
 * The exports view (workbench:open-exports): every export with its version,
 * source run, validation status, targets and folder; the files an export of
 * this session wrote open on click; Rollback writes an earlier version again
 * into its folder.
 */
import { Notification, showDialog, Dialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { describeError, ErrorBlock, IViewError } from './errors';
import { formatStart } from './format';
import {
  createExport,
  CreateExportResponse,
  ExportSummary,
  listExports
} from './shipApi';
import { notifyFailure } from './notify';

export const EXPORTS_ID = 'workbench-exports';
/** The selected export's files: what an export's name button shows. */
const EXPORT_FILES_ID = 'workbench-exports-files';

export interface IExportsViewOptions {
  /** Open a file under the server root. */
  openFile: (path: string) => void;
  /** Open a run's page (or its notebook). */
  openRun: (runId: string) => void;
}

export class ExportsPanel extends ReactWidget {
  constructor(private readonly _options: IExportsViewOptions) {
    super();
    this.id = EXPORTS_ID;
    this.addClass('wb-ExportsPanel');
    this.title.label = 'Exports';
    this.title.caption = 'Workbench exports: versions, source runs, rollback';
    this.title.closable = true;
  }

  /** Show what an export just wrote, at the top, its files clickable. */
  written(result: CreateExportResponse): void {
    this._files.set(result.export.export_id, result.files);
    this._selected = result.export.export_id;
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      this._exports = (await listExports({ limit: 200 })).exports;
      this._error = null;
    } catch (reason) {
      this._error = describeError(reason);
    }
    this._loaded = true;
    this.update();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.refresh();
  }

  render(): JSX.Element {
    if (this._error) {
      return <ErrorBlock error={this._error} />;
    }
    if (this._exports.length === 0) {
      return (
        <div className="wb-JobQueue-empty">
          {this._loaded
            ? 'No exports yet: export a notebook with Export Notebook… (Workbench).'
            : 'Loading exports…'}
        </div>
      );
    }
    return (
      <div className="wb-Exports">
        <table className="wb-JobTable" aria-label="Exports, newest first">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Source run</th>
              <th scope="col">Validation</th>
              <th scope="col">Targets</th>
              <th scope="col">Folder</th>
              <th scope="col">Exported</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>{this._exports.map(e => this._row(e))}</tbody>
        </table>
        {this._selectedFiles()}
      </div>
    );
  }

  private _row(e: ExportSummary): JSX.Element {
    const selected = e.export_id === this._selected;
    return (
      <tr
        key={e.export_id}
        className={`wb-JobRow${selected ? ' wb-mod-selected' : ''}`}
        data-export={`${e.name}==${e.version}`}
        onClick={() => this._select(e.export_id)}
      >
        <td className="wb-JobRow-label">
          <button
            type="button"
            className="wb-JobRow-open"
            title={`The files of ${e.name} ${e.version}`}
            aria-expanded={selected}
            aria-controls={selected ? EXPORT_FILES_ID : undefined}
            onClick={event => {
              event.stopPropagation();
              this._select(selected ? null : e.export_id);
            }}
          >
            {e.name}
          </button>
        </td>
        <td>{e.version}</td>
        <td>
          <button
            className="wb-JobButton"
            title="Open the source run"
            onClick={event => {
              event.stopPropagation();
              this._options.openRun(e.run_id);
            }}
          >
            {e.run_id.slice(0, 8)}
          </button>
        </td>
        <td>
          <span
            className={`wb-CheckBadge wb-mod-${e.validation_passed ? 'pass' : 'fail'}`}
          >
            {e.validation_passed ? 'passed' : 'not passed'}
          </span>
        </td>
        <td>{e.targets.join(', ')}</td>
        <td>
          <code>{e.path}</code>
        </td>
        <td>{formatStart(e.created_at)}</td>
        <td>
          <button
            className="wb-JobButton"
            data-action="rollback"
            title={`Write ${e.name} ${e.version} again into ${e.path}`}
            onClick={event => {
              event.stopPropagation();
              void this._rollback(e);
            }}
          >
            Roll back to this
          </button>
        </td>
      </tr>
    );
  }

  private _selectedFiles(): JSX.Element | null {
    const e = this._exports.find(x => x.export_id === this._selected);
    if (!e) {
      return null;
    }
    const files = this._files.get(e.export_id);
    return (
      <section
        id={EXPORT_FILES_ID}
        className="wb-ExportFiles"
        aria-label={`Files of ${e.name} ${e.version}`}
      >
        <h3>
          {e.name} {e.version} in <code>{e.path}</code>
        </h3>
        {files ? (
          <ul>
            {files.map(file => (
              <li key={file}>
                {file.endsWith('.whl') ? (
                  <code>{file}</code>
                ) : (
                  <button
                    className="wb-LinkButton wb-Report-cell"
                    data-file={file}
                    onClick={() => this._options.openFile(`${e.path}/${file}`)}
                  >
                    {file}
                  </button>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <button
            className="wb-LinkButton wb-Report-cell"
            onClick={() => this._options.openFile(`${e.path}/README.md`)}
          >
            README.md
          </button>
        )}
        <p className="wb-SweepForm-note">
          Install it with <code>pip install {e.path}/wheels/*.whl</code>
        </p>
      </section>
    );
  }

  private _select(exportId: string | null): void {
    this._selected = exportId;
    this.update();
  }

  private async _rollback(e: ExportSummary): Promise<void> {
    const answer = await showDialog({
      title: `Roll back to ${e.name} ${e.version}?`,
      body: `Its files are written again into ${e.path}, replacing what is there; the store keeps every version.`,
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: 'Write it again' })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      const result = await createExport({
        name: e.name,
        version: e.version,
        out: e.path
      });
      Notification.success(
        `${e.name} ${e.version} written again into ${e.path}`,
        {
          autoClose: 5000
        }
      );
      this.written(result);
    } catch (reason) {
      notifyFailure('Rollback failed', reason, 10000);
    }
  }

  private _exports: ExportSummary[] = [];
  private readonly _files = new Map<string, string[]>();
  private _selected: string | null = null;
  private _error: IViewError | null = null;
  private _loaded = false;
}
