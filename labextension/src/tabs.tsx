/**
 * Tabs following the WAI-ARIA tabs pattern: a `tablist` of `tab` buttons with
 * roving tabindex (Left/Right/Home/End move and select), each controlling a
 * `tabpanel` labelled by its tab.
 */
import * as React from 'react';

export interface ITab<K extends string> {
  key: K;
  label: string;
}

export interface ITabListProps<K extends string> {
  /** Prefix for the ids of the tabs and panels (unique in the page). */
  idPrefix: string;
  tabs: ReadonlyArray<ITab<K>>;
  selected: K;
  onSelect: (key: K) => void;
  label: string;
  className?: string;
  tabClassName?: string;
}

export function tabId(prefix: string, key: string): string {
  return `${prefix}-tab-${key}`;
}

export function panelId(prefix: string, key: string): string {
  return `${prefix}-panel-${key}`;
}

export function TabList<K extends string>(
  props: ITabListProps<K>
): JSX.Element {
  const { idPrefix, tabs, selected, onSelect } = props;
  const refs = React.useRef<Array<HTMLButtonElement | null>>([]);
  const move = (event: React.KeyboardEvent, index: number): void => {
    let next = index;
    if (event.key === 'ArrowRight') {
      next = (index + 1) % tabs.length;
    } else if (event.key === 'ArrowLeft') {
      next = (index - 1 + tabs.length) % tabs.length;
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = tabs.length - 1;
    } else {
      return;
    }
    event.preventDefault();
    onSelect(tabs[next].key);
    refs.current[next]?.focus();
  };
  return (
    <div
      role="tablist"
      aria-label={props.label}
      className={props.className ?? 'wb-Tabs'}
    >
      {tabs.map((tab, i) => {
        const isSelected = tab.key === selected;
        return (
          <button
            key={tab.key}
            ref={el => {
              refs.current[i] = el;
            }}
            id={tabId(idPrefix, tab.key)}
            role="tab"
            type="button"
            aria-selected={isSelected}
            aria-controls={panelId(idPrefix, tab.key)}
            tabIndex={isSelected ? 0 : -1}
            data-view={tab.key}
            className={`${props.tabClassName ?? 'wb-Tab'}${isSelected ? ' wb-mod-selected' : ''}`}
            onClick={() => onSelect(tab.key)}
            onKeyDown={event => move(event, i)}
          >
            {tab.label}
          </button>
        );
      })}
    </div>
  );
}

export interface ITabPanelProps {
  idPrefix: string;
  tabKey: string;
  children?: React.ReactNode;
  className?: string;
}

export function TabPanel({
  idPrefix,
  tabKey,
  children,
  className
}: ITabPanelProps): JSX.Element {
  return (
    <div
      role="tabpanel"
      id={panelId(idPrefix, tabKey)}
      aria-labelledby={tabId(idPrefix, tabKey)}
      tabIndex={0}
      className={className ?? 'wb-TabPanel'}
    >
      {children}
    </div>
  );
}
