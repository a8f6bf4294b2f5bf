/**
 * Keeps the keyboard's place when a render removes the button in focus
 * (Cancel is gone once the job is cancelled): the focus moves to what is left
 * near it, instead of falling to the page, where a keyboard or screen reader
 * user would have to find their way back from the top.
 *
 * A view calls note() in its render() (before the DOM changes) and draws
 * <AfterCommit run={() => keeper.restore()} /> (after the DOM changed).
 */
import * as React from 'react';

export class FocusKeeper {
  /**
   * @param root - the view's node (or a function giving it, while it may not exist)
   * @param places - where to go instead of `lost`, as selectors under the root,
   *   best first; worked out before the render, while `lost` is still there
   */
  constructor(
    private readonly _root: () => HTMLElement | null,
    private readonly _places: (lost: HTMLElement) => string[]
  ) {}

  /** Note the element in focus, if it is in the view. */
  note(): void {
    const root = this._root(); // null until the view is on the page
    const active = root ? document.activeElement : null;
    this._lost =
      root && active instanceof HTMLElement && root.contains(active)
        ? active
        : null;
    this._then = this._lost ? this._places(this._lost) : [];
  }

  /** If the noted element is gone and the focus with it, focus its first place left. */
  restore(): void {
    const root = this._root();
    const lost = this._lost;
    this._lost = null;
    if (!root || !lost || lost.isConnected) {
      return;
    }
    const active = document.activeElement;
    if (active !== null && active !== document.body) {
      return; // the focus went somewhere on purpose
    }
    for (const selector of this._then) {
      const next = root.querySelector<HTMLElement>(selector);
      if (next) {
        next.focus();
        return;
      }
    }
    root.focus();
  }

  private _lost: HTMLElement | null = null;
  private _then: string[] = [];
}

/** Runs `run` after every commit of the tree it is drawn in. */
export function AfterCommit({ run }: { run: () => void }): null {
  React.useLayoutEffect(run);
  return null;
}
