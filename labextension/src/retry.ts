/**
 * Backing off while the Workbench store (or the server) is unavailable.
 *
 * Pure and independent of JupyterLab, so that it can be unit-tested: the
 * request function (requestAPI in api.ts) says which failures are worth a
 * retry, this module decides how long to wait and when to give up.
 *
 * Two scales: a request retries a few times quickly to ride out a blip (a
 * terminated connection, a database restart), then fails; the polling
 * panels then keep polling with a longer backoff that honours the server's
 * Retry-After (up to 30 s), and recover by themselves when the store answers.
 */

export interface IBackoff {
  /** The wait before the first retry, in ms; it doubles at each retry. */
  baseDelayMs: number;
  /** No wait is longer than this, the server's Retry-After included. */
  maxDelayMs: number;
}

export interface IRetryPolicy extends IBackoff {
  /** Attempts after the first one; 0 never retries. */
  retries: number;
}

/**
 * requestAPI's retries of a GET: waits of 0.5 s, 1 s and 2 s (3.5 s in all);
 * with the server's Retry-After of 5 s, 2 s each (6 s in all) so that a
 * panel says what is wrong soon.
 */
export const REQUEST_RETRY: IRetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 2000
};

/** The panels' polling while the store is unavailable: 5 s, 10 s, 20 s, then every 30 s. */
export const OUTAGE_POLL: IBackoff = { baseDelayMs: 5000, maxDelayMs: 30000 };

/**
 * The wait before retry number `retry` (0 for the first): exponential, never
 * shorter than the server's Retry-After, never longer than the cap.
 */
export function backoffDelay(
  backoff: IBackoff,
  retry: number,
  retryAfterMs: number | null = null
): number {
  const exponential = backoff.baseDelayMs * 2 ** Math.max(0, retry);
  return Math.min(backoff.maxDelayMs, Math.max(exponential, retryAfterMs ?? 0));
}

/**
 * A Retry-After header in ms: delta-seconds ("5") or an HTTP date. Null when
 * absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now()
): number | null {
  if (value === null) {
    return null;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return Number(text) * 1000;
  }
  // An HTTP date names a day or a month; without letters, "1.5" would parse as one.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(date)) {
    return null;
  }
  return Math.max(0, date - now);
}

/** What the caller says about a failure: retry it (after at least `afterMs`), or not. */
export type RetryVerdict =
  { retry: false } | { retry: true; afterMs: number | null };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Wait `ms`; an abort ends the wait early by rejecting with the signal's reason. */
export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface IRetryOptions {
  policy?: IRetryPolicy;
  /** Injected by tests, which record the waits instead of waiting. */
  sleep?: Sleep;
  /** No retry once aborted. */
  signal?: AbortSignal | null;
}

/**
 * Call `attempt` until it succeeds, `classify` refuses a retry, the signal
 * aborts, or the retries run out; then reject with the last failure.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  classify: (reason: unknown) => RetryVerdict,
  options: IRetryOptions = {}
): Promise<T> {
  const policy = options.policy ?? REQUEST_RETRY;
  const wait = options.sleep ?? sleep;
  const signal = options.signal ?? undefined;
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (reason) {
      const verdict = classify(reason);
      if (!verdict.retry || retry >= policy.retries || signal?.aborted) {
        throw reason;
      }
      try {
        await wait(backoffDelay(policy, retry, verdict.afterMs), signal);
      } catch {
        throw reason; // aborted while waiting: the failure, not the abort
      }
    }
  }
}

/**
 * When a polling view fetches next: its usual period, or after `outages`
 * transient failures in a row the outage backoff, at least the Retry-After.
 */
export function nextPollDelay(
  usualMs: number,
  outages: number,
  retryAfterMs: number | null = null
): number {
  return outages > 0
    ? backoffDelay(OUTAGE_POLL, outages - 1, retryAfterMs)
    : usualMs;
}

/**
 * A polling view's outage state: how many polls in a row failed for a
 * transient reason, and the server's last Retry-After.
 */
export class PollBackoff {
  /** Transient failures in a row; 0 while the store answers. */
  get outages(): number {
    return this._outages;
  }

  /** A poll failed for a reason waiting may fix. */
  failed(retryAfterMs: number | null): void {
    this._outages++;
    this._retryAfterMs = retryAfterMs;
  }

  /** A poll succeeded, or failed for a reason waiting does not fix. */
  reset(): void {
    this._outages = 0;
    this._retryAfterMs = null;
  }

  /** The wait before the next poll, given the view's usual period. */
  delay(usualMs: number): number {
    return nextPollDelay(usualMs, this._outages, this._retryAfterMs);
  }

  private _outages = 0;
  private _retryAfterMs: number | null = null;
}
