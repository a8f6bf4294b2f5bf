/**
 * A dialog's preview from the server, asked again as the user types (the
 * export and sweep dialogs): after a short pause in typing, one request at a
 * time (a newer one aborts the older), an answer that came too late is
 * dropped, and a failure is kept as its message.
 */
import { describeError } from './errors';

export const PREVIEW_DELAY_MS = 250;

/**
 * Makes one preview request; null: nothing to ask now (the form's own
 * problems stand), the last preview stays.
 */
export type PreviewFetch<T> = (signal: AbortSignal) => Promise<T> | null;

export class LivePreview<T> {
  /**
   * @param fetch asks the server for the preview of the form as it is now.
   * @param changed the state changed: redraw.
   */
  constructor(
    private readonly _fetch: PreviewFetch<T>,
    private readonly _changed: () => void,
    private readonly _delayMs = PREVIEW_DELAY_MS
  ) {}

  /** The last preview the server answered, or null before the first. */
  get value(): T | null {
    return this._value;
  }

  /** Why the last request failed, or null when it answered. */
  get error(): string | null {
    return this._error;
  }

  /** Whether the form changed since the last answer (one is on its way). */
  get pending(): boolean {
    return this._pending;
  }

  /** The form changed: ask again after a pause in typing. */
  refresh(): void {
    clearTimeout(this._timer);
    this._pending = true;
    this._changed();
    this._timer = setTimeout(() => void this._ask(), this._delayMs);
  }

  dispose(): void {
    clearTimeout(this._timer);
    this._abort?.abort();
    this._abort = null;
  }

  private async _ask(): Promise<void> {
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    const asked = this._fetch(abort.signal);
    if (asked === null) {
      this._pending = false;
      this._changed();
      return;
    }
    try {
      const value = await asked;
      if (abort.signal.aborted) {
        return; // a newer request (or dispose) came meanwhile
      }
      this._value = value;
      this._error = null;
    } catch (reason) {
      if (abort.signal.aborted) {
        return;
      }
      this._error = describeError(reason).message;
    }
    this._pending = false;
    this._changed();
  }

  private _value: T | null = null;
  private _error: string | null = null;
  private _pending = true;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _abort: AbortController | null = null;
}
