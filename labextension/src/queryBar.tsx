/**
 * The explorer's query bar: the runs query language with field-name
 * completion (an ARIA combobox with a listbox) and the server's error shown
 * inline under it. Enter applies the query; Escape closes the suggestions.
 */
import * as React from 'react';

import { completions, tokenAt } from './explorerModel';
import type { Fields } from './runApi';

export interface IQueryBarProps {
  value: string;
  fields: Fields | null;
  error: string | null;
  onApply: (where: string) => void;
}

export function QueryBar({
  value,
  fields,
  error,
  onApply
}: IQueryBarProps): JSX.Element {
  const [text, setText] = React.useState(value);
  const [cursor, setCursor] = React.useState(0);
  const [open, setOpen] = React.useState(false);
  const [active, setActive] = React.useState(0);
  const input = React.useRef<HTMLInputElement>(null);

  const { token, start } = tokenAt(text, cursor);
  const options = open ? completions(token, fields) : [];
  const listId = 'wb-QueryBar-list';
  const errorId = 'wb-QueryBar-error';

  const pick = (option: string): void => {
    const next = text.slice(0, start) + option + text.slice(cursor);
    const at = start + option.length;
    setText(next);
    setOpen(option.endsWith('.'));
    setActive(0);
    window.requestAnimationFrame(() => {
      input.current?.setSelectionRange(at, at);
      setCursor(at);
    });
  };
  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>): void => {
    if (
      options.length > 0 &&
      (event.key === 'ArrowDown' || event.key === 'ArrowUp')
    ) {
      event.preventDefault();
      const delta = event.key === 'ArrowDown' ? 1 : -1;
      setActive((active + delta + options.length) % options.length);
    } else if (
      options.length > 0 &&
      (event.key === 'Tab' || (event.key === 'Enter' && open && active >= 0))
    ) {
      event.preventDefault();
      pick(options[active]);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      setOpen(false);
      onApply(text);
    } else if (event.key === 'Escape') {
      setOpen(false);
    }
  };
  return (
    <div className="wb-QueryBar">
      <div className="wb-QueryBar-line">
        <input
          ref={input}
          className={`wb-QueryBar-input jp-mod-styled${error ? ' wb-mod-invalid' : ''}`}
          role="combobox"
          aria-label="Query runs"
          aria-autocomplete="list"
          aria-expanded={options.length > 0}
          aria-controls={listId}
          aria-activedescendant={
            options.length > 0 ? `${listId}-${active}` : undefined
          }
          aria-invalid={error !== null}
          aria-describedby={error ? errorId : undefined}
          placeholder="metrics.accuracy > 0.9 and params.model in ('a', 'b')"
          spellCheck={false}
          value={text}
          onChange={e => {
            setText(e.target.value);
            setCursor(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
            setActive(0);
          }}
          onKeyUp={e => setCursor(e.currentTarget.selectionStart ?? 0)}
          onClick={e => setCursor(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={onKeyDown}
          onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        />
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-accept"
          onClick={() => onApply(text)}
        >
          Apply
        </button>
        {value && (
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-mod-reject"
            onClick={() => {
              setText('');
              onApply('');
            }}
          >
            Clear
          </button>
        )}
      </div>
      {options.length > 0 && (
        <ul
          className="wb-QueryBar-list"
          id={listId}
          role="listbox"
          aria-label="Fields"
        >
          {options.map((o, i) => (
            <li
              key={o}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'wb-mod-active' : undefined}
              onMouseDown={e => {
                e.preventDefault();
                pick(o);
              }}
            >
              {o}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <div className="wb-QueryBar-error" id={errorId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
