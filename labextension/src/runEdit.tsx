/**
 * Editable parts of the run page: its tags and its Markdown note (kept on the
 * server as the tag `workbench.note`, see run_models.NOTE_TAG).
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import * as React from 'react';

import type { RunPage } from './runApi';
import { Markdown } from './runSections';

export const NOTE_TAG = 'workbench.note';

export function TagsEditor({
  tags,
  onEdit
}: {
  tags: Record<string, string>;
  onEdit: (tags: Record<string, string | null>) => void;
}): JSX.Element {
  const [key, setKey] = React.useState('');
  const [value, setValue] = React.useState('');
  const shown = Object.entries(tags).filter(([k]) => k !== NOTE_TAG);
  const add = (event: React.FormEvent): void => {
    event.preventDefault();
    if (key.trim()) {
      onEdit({ [key.trim()]: value });
      setKey('');
      setValue('');
    }
  };
  return (
    <div className="wb-Tags">
      {shown.length === 0 ? (
        <p className="wb-Muted">No tags.</p>
      ) : (
        <ul className="wb-TagList" aria-label="Tags">
          {shown.map(([k, v]) => (
            <li key={k} className="wb-Tag" data-tag={k}>
              <span className="wb-Tag-key">{k}</span>
              <span className="wb-Tag-value">{v}</span>
              <button
                type="button"
                className="wb-IconButton"
                aria-label={`Remove tag ${k}`}
                title={`Remove tag ${k}`}
                onClick={() => onEdit({ [k]: null })}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="wb-TagForm" onSubmit={add} aria-label="Add a tag">
        <input
          className="jp-mod-styled"
          aria-label="Tag name"
          placeholder="name"
          value={key}
          onChange={e => setKey(e.target.value)}
        />
        <input
          className="jp-mod-styled"
          aria-label="Tag value"
          placeholder="value"
          value={value}
          onChange={e => setValue(e.target.value)}
        />
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={!key.trim()}
        >
          Add tag
        </button>
      </form>
    </div>
  );
}

export function NoteEditor({
  note,
  rendermime,
  onSave
}: {
  note: string;
  rendermime: IRenderMimeRegistry;
  onSave: (note: string) => void;
}): JSX.Element {
  const [editing, setEditing] = React.useState(false);
  const [text, setText] = React.useState(note);
  if (editing) {
    return (
      <div className="wb-Note">
        <textarea
          className="wb-Note-text"
          aria-label="Note (Markdown)"
          value={text}
          rows={8}
          onChange={e => setText(e.target.value)}
        />
        <div className="wb-Toolbar">
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-accept"
            onClick={() => {
              onSave(text);
              setEditing(false);
            }}
          >
            Save note
          </button>
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-reject"
            onClick={() => {
              setText(note);
              setEditing(false);
            }}
          >
            Cancel
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="wb-Note">
      {note ? (
        <Markdown rendermime={rendermime} source={note} />
      ) : (
        <p className="wb-Muted">No note.</p>
      )}
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-mod-reject"
        onClick={() => setEditing(true)}
      >
        {note ? 'Edit note' : 'Add a note'}
      </button>
    </div>
  );
}

/** The run's name, edited in place: Enter or leaving the field saves, Escape undoes. */
export function NameField({
  page,
  onSave
}: {
  page: RunPage;
  onSave: (name: string) => void;
}): JSX.Element {
  const [value, setValue] = React.useState(page.name ?? '');
  const save = (): void => {
    if (value.trim() !== (page.name ?? '')) {
      onSave(value.trim());
    }
  };
  return (
    <input
      className="wb-RunPage-name"
      aria-label="Run name"
      placeholder={`${page.run_id.slice(0, 8)} (unnamed: type a name)`}
      value={value}
      onChange={e => setValue(e.target.value)}
      onBlur={save}
      onKeyDown={e => {
        if (e.key === 'Enter') {
          save();
        } else if (e.key === 'Escape') {
          setValue(page.name ?? '');
        }
      }}
    />
  );
}
