/**
 * Executed notebooks, opened read-only from the store: a contents drive named
 * `WorkbenchRun` whose files are `<run_id>.ipynb`, read from
 * GET runs/{id}/notebook. Nothing is written into the server root, every
 * write is refused, and the notebook opens with a widget factory that starts
 * no kernel (see runNotebook.ts).
 */
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { getRunNotebook } from './api';

export const DRIVE_NAME = 'WorkbenchRun';

/** The drive path of a run's executed notebook, e.g. `WorkbenchRun:abc….ipynb`. */
export function runNotebookPath(runId: string): string {
  return `${DRIVE_NAME}:${runId}.ipynb`;
}

/** The run id of a drive-local path (`abc….ipynb`), or null. */
export function runIdOfPath(localPath: string): string | null {
  const match = /^([0-9a-f]{32})\.ipynb$/.exec(localPath.replace(/^\/+/, ''));
  return match ? match[1] : null;
}

const READ_ONLY =
  'The executed notebook of a run is read-only: it is the record of what ran. ' +
  'Use File > Save As… in a notebook of your own to keep a copy.';

export class RunNotebookDrive implements Contents.IDrive {
  readonly name = DRIVE_NAME;
  readonly serverSettings: ServerConnection.ISettings;

  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this.serverSettings = settings;
  }

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    this._disposed = true;
    Signal.clearData(this);
  }

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const path = localPath.replace(/^\/+/, '');
    const now = new Date().toISOString();
    if (path === '') {
      // The drive's root: an empty folder (runs are opened by id, not browsed).
      return {
        name: '',
        path: '',
        type: 'directory',
        writable: false,
        created: now,
        last_modified: now,
        mimetype: '',
        content: options?.content === false ? null : [],
        format: 'json'
      };
    }
    const runId = runIdOfPath(path);
    if (runId === null) {
      throw new Error(
        `${path} is not a run's notebook: open runs from the Workbench views`
      );
    }
    const content =
      options?.content === false
        ? null
        : lockCells(await getRunNotebook(runId));
    return {
      name: path,
      path,
      type: 'notebook',
      writable: false,
      created: now,
      last_modified: now,
      mimetype: 'application/x-ipynb+json',
      content,
      format: 'json'
    };
  }

  getDownloadUrl(localPath: string): Promise<string> {
    const runId = runIdOfPath(localPath) ?? '';
    return Promise.resolve(
      `${this.serverSettings.baseUrl}workbench/api/runs/${runId}/notebook`
    );
  }

  newUntitled(): Promise<Contents.IModel> {
    return Promise.reject(new Error(READ_ONLY));
  }
  delete(): Promise<void> {
    return Promise.reject(new Error(READ_ONLY));
  }
  rename(): Promise<Contents.IModel> {
    return Promise.reject(new Error(READ_ONLY));
  }
  save(): Promise<Contents.IModel> {
    return Promise.reject(new Error(READ_ONLY));
  }
  copy(): Promise<Contents.IModel> {
    return Promise.reject(new Error(READ_ONLY));
  }
  createCheckpoint(): Promise<Contents.ICheckpointModel> {
    return Promise.reject(new Error(READ_ONLY));
  }
  listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return Promise.resolve([]);
  }
  restoreCheckpoint(): Promise<void> {
    return Promise.reject(new Error(READ_ONLY));
  }
  deleteCheckpoint(): Promise<void> {
    return Promise.resolve();
  }

  private readonly _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
  private _disposed = false;
}

/** Every cell marked not editable and not deletable: JupyterLab then refuses edits. */
export function lockCells(
  notebook: Record<string, unknown>
): Record<string, unknown> {
  const cells = Array.isArray(notebook.cells)
    ? (notebook.cells as Array<Record<string, unknown>>)
    : [];
  return {
    ...notebook,
    cells: cells.map(cell => ({
      ...cell,
      metadata: {
        ...((cell.metadata as Record<string, unknown> | undefined) ?? {}),
        editable: false,
        deletable: false
      }
    }))
  };
}
