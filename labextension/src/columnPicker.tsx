/**
 * The explorer's column picker: show or hide, pin, and order the columns.
 * The explorer stores the result in its settings (remembered on reload).
 */
import * as React from 'react';

import { IColumn } from './explorerModel';

export interface IColumnPickerProps {
  available: string[];
  columns: IColumn[];
  onChange: (columns: IColumn[]) => void;
  onClose: () => void;
}

export function ColumnPicker({
  available,
  columns,
  onChange,
  onClose
}: IColumnPickerProps): JSX.Element {
  const [filter, setFilter] = React.useState('');
  const shown = new Map(columns.map((c, i) => [c.field, i]));
  const all = [
    ...columns.map(c => c.field),
    ...available.filter(f => !shown.has(f))
  ].filter(f => f.toLowerCase().includes(filter.toLowerCase()));
  const toggle = (field: string): void =>
    onChange(
      shown.has(field)
        ? columns.filter(c => c.field !== field)
        : [...columns, { field }]
    );
  const pin = (field: string): void =>
    onChange(
      columns.map(c => (c.field === field ? { ...c, pinned: !c.pinned } : c))
    );
  const move = (field: string, delta: number): void => {
    const i = shown.get(field);
    if (i === undefined || i + delta < 0 || i + delta >= columns.length) {
      return;
    }
    const next = [...columns];
    [next[i], next[i + delta]] = [next[i + delta], next[i]];
    onChange(next);
  };
  return (
    <div
      className="wb-ColumnPicker"
      role="dialog"
      aria-label="Columns"
      onKeyDown={e => {
        if (e.key === 'Escape') {
          onClose();
        }
      }}
    >
      <div className="wb-ColumnPicker-head">
        <input
          className="jp-mod-styled"
          aria-label="Find a column"
          placeholder="Find a column"
          value={filter}
          autoFocus
          onChange={e => setFilter(e.target.value)}
        />
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-accept"
          onClick={onClose}
        >
          Done
        </button>
      </div>
      <ul className="wb-ColumnPicker-list" aria-label="Columns">
        {all.map(field => {
          const index = shown.get(field);
          const column = index === undefined ? null : columns[index];
          return (
            <li key={field} className="wb-ColumnPicker-item" data-field={field}>
              <label>
                <input
                  type="checkbox"
                  checked={column !== null}
                  onChange={() => toggle(field)}
                />
                {field}
              </label>
              {column && (
                <span className="wb-ColumnPicker-actions">
                  <button
                    type="button"
                    className="wb-IconButton wb-ColumnPicker-pin"
                    aria-pressed={!!column.pinned}
                    aria-label={`Pin ${field}`}
                    title={column.pinned ? 'Unpin' : 'Pin to the left'}
                    onClick={() => pin(field)}
                  >
                    {column.pinned ? 'pinned' : 'pin'}
                  </button>
                  <button
                    type="button"
                    className="wb-IconButton"
                    aria-label={`Move ${field} up`}
                    title="Move up"
                    onClick={() => move(field, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="wb-IconButton"
                    aria-label={`Move ${field} down`}
                    title="Move down"
                    onClick={() => move(field, 1)}
                  >
                    ↓
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
