/**
 * The timer of a view that polls the server (the job queue, the sidebar's
 * Sweeps view): the view polls, then schedules the next poll here. A poll is
 * only made while the view is on screen and the browser tab is visible; when
 * the tab is hidden the timer stops, and when it becomes visible again the
 * view polls at once (then schedules on as before).
 */

/** The part of `document` the poller reads: a test passes a fake. */
export interface IVisibilitySource {
  readonly visibilityState: DocumentVisibilityState;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

export interface IPollerOptions {
  /** One poll; it calls schedule() again when it is done. */
  poll: () => void;
  /** Whether the view is on screen now; the view polls when it is shown again. */
  isShown: () => boolean;
  /** The page's visibility; by default `document` (none: always visible). */
  visibility?: IVisibilitySource | null;
}

export class Poller {
  constructor(options: IPollerOptions) {
    this._poll = options.poll;
    this._isShown = options.isShown;
    this._visibility =
      options.visibility === undefined
        ? typeof document === 'undefined'
          ? null
          : document
        : options.visibility;
    this._visibility?.addEventListener('visibilitychange', this._onVisibility);
  }

  /** Whether the browser tab is visible now. */
  get visible(): boolean {
    return this._visibility?.visibilityState !== 'hidden';
  }

  /** Poll again in `delayMs`, if the view is shown and the tab visible then. */
  schedule(delayMs: number): void {
    this.stop();
    if (this._disposed || !this.visible) {
      return; // hidden: the poll comes when the tab is visible again
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      if (this.visible && this._isShown()) {
        this._poll();
      } // else: stop; the view polls when it is shown again
    }, delayMs);
  }

  /** Drop the scheduled poll (the view polls now, or is gone). */
  stop(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  dispose(): void {
    this._disposed = true;
    this.stop();
    this._visibility?.removeEventListener(
      'visibilitychange',
      this._onVisibility
    );
  }

  private readonly _onVisibility = (): void => {
    if (this._disposed) {
      return;
    }
    if (!this.visible) {
      this.stop();
    } else if (this._isShown()) {
      this._poll();
    }
  };

  private readonly _poll: () => void;
  private readonly _isShown: () => boolean;
  private readonly _visibility: IVisibilitySource | null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
}
