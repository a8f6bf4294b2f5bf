/**
 * The explorer's toolbar: the column picker's toggle, "only what differs",
 * "group by sweep", and the actions on the selection (each a command, so the
 * buttons follow the commands' enabled state and captions).
 */
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

export const SELECTION_ACTIONS: Array<[string, string]> = [
  ['workbench:explorer-open', 'Open'],
  ['workbench:explorer-compare', 'Compare'],
  ['workbench:explorer-diff', 'Diff'],
  ['workbench:explorer-export-csv', 'Export CSV'],
  ['workbench:explorer-copy-code', 'Copy as code']
];

export interface IExplorerToolbarProps {
  commands: CommandRegistry;
  picking: boolean;
  onPicking: () => void;
  onlyDiffers: boolean;
  onOnlyDiffers: (on: boolean) => void;
  groupBySweep: boolean;
  onGroupBySweep: (on: boolean) => void;
}

export function ExplorerToolbar(props: IExplorerToolbarProps): JSX.Element {
  const { commands } = props;
  return (
    <div className="wb-Toolbar" role="toolbar" aria-label="Explorer actions">
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-mod-reject wb-ActionButton"
        aria-expanded={props.picking}
        onClick={props.onPicking}
      >
        Columns…
      </button>
      <label className="wb-Control">
        <input
          type="checkbox"
          checked={props.onlyDiffers}
          onChange={e => props.onOnlyDiffers(e.target.checked)}
        />
        Only what differs
      </label>
      <label className="wb-Control">
        <input
          type="checkbox"
          checked={props.groupBySweep}
          onChange={e => props.onGroupBySweep(e.target.checked)}
        />
        Group by sweep
      </label>
      <span className="wb-Toolbar-spacer" />
      {SELECTION_ACTIONS.map(([command, label]) => (
        <button
          key={command}
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject wb-ActionButton"
          data-command={command}
          disabled={!commands.isEnabled(command)}
          onClick={() => void commands.execute(command)}
          title={commands.caption(command)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}
