/**
 * How a view polls the server (the job queue, the sidebar's runs lists and its
 * Sweeps view).
 *
 * Poller is the timer: the view polls, then schedules the next poll here. A
 * poll is only made while the view is on screen and the browser tab is
 * visible; when the tab is hidden the timer stops, and when it becomes visible
 * again the view polls at once (then schedules on as before).
 *
 * PollRequests is the rest of a poll, the same in every view: the newest poll
 * wins (an answer to an older one is dropped), a failure becomes the error the
 * view shows, an outage of the store or server backs off (retry.ts) and any
 * other failure starts the backoff over, and the newest poll, however it
 * ended, schedules the next one.
 */

import { isTransient, retryAfterOf } from './api';
import { describeError, IViewError } from './errors';
import { PollBackoff } from './retry';

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

export interface IPollRequestsOptions {
  /** The poll's timer. */
  poller: Poller;
  /** The view's usual wait before the next poll, in ms (backoff comes on top). */
  usualDelayMs: () => number;
  /** The newest poll ended: its error (null: it succeeded); the view redraws. */
  ended: (error: IViewError | null) => void;
}

export class PollRequests {
  constructor(options: IPollRequestsOptions) {
    this._poller = options.poller;
    this._usualDelayMs = options.usualDelayMs;
    this._ended = options.ended;
  }

  /**
   * Start a poll that is not a request (the view has nothing to ask): older
   * polls are stale from now on, the timer stops, and it returns whether this
   * one is still the newest.
   */
  begin(): () => boolean {
    this._poller.stop();
    const request = ++this._request;
    return () => request === this._request;
  }

  /**
   * Poll: `work` asks the server and keeps the answers while `isCurrent()`;
   * then, if this is still the newest poll, its outcome is told to the view
   * and the next poll is scheduled.
   */
  async run(work: (isCurrent: () => boolean) => Promise<void>): Promise<void> {
    const isCurrent = this.begin();
    let error: IViewError | null = null;
    try {
      await work(isCurrent);
    } catch (reason) {
      error = isCurrent() ? this._failed(reason) : null;
    }
    if (!isCurrent()) {
      return; // a newer poll tells the view, and schedules
    }
    if (error === null) {
      this._backoff.reset();
    }
    this.schedule();
    this._ended(error);
  }

  /** Schedule the next poll after the usual wait, longer while backing off. */
  schedule(): void {
    this._poller.schedule(this._backoff.delay(this._usualDelayMs()));
  }

  private _failed(reason: unknown): IViewError {
    if (isTransient(reason)) {
      this._backoff.failed(retryAfterOf(reason));
    } else {
      this._backoff.reset();
    }
    return describeError(reason, { retrying: true });
  }

  private readonly _poller: Poller;
  private readonly _usualDelayMs: () => number;
  private readonly _ended: (error: IViewError | null) => void;
  private readonly _backoff = new PollBackoff();
  private _request = 0;
}
