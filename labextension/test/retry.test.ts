import { describe, expect, it, vi } from 'vitest';

import {
  backoffDelay,
  nextPollDelay,
  OUTAGE_POLL,
  parseRetryAfter,
  PollBackoff,
  REQUEST_RETRY,
  RetryVerdict,
  sleep,
  withRetry
} from '../src/retry';

/** A sleep that records the waits and returns at once. */
function recordingSleep(): { waits: number[]; sleep: typeof sleep } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    }
  };
}

/** An attempt that fails with each of `failures` in turn, then returns 'ok'. */
function flaky(failures: Error[]): {
  calls: () => number;
  attempt: () => Promise<string>;
} {
  let calls = 0;
  return {
    calls: () => calls,
    attempt: () => {
      const failure = failures[calls++];
      return failure === undefined
        ? Promise.resolve('ok')
        : Promise.reject(failure);
    }
  };
}

const always = (afterMs: number | null = null): RetryVerdict => ({
  retry: true,
  afterMs
});

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 10].map(r => backoffDelay(REQUEST_RETRY, r))).toEqual([
      500, 1000, 2000, 2000, 2000
    ]);
  });

  it('never waits less than Retry-After, nor more than the cap', () => {
    expect(backoffDelay(REQUEST_RETRY, 0, 1500)).toBe(1500);
    expect(backoffDelay(REQUEST_RETRY, 2, 1500)).toBe(2000);
    expect(backoffDelay(REQUEST_RETRY, 0, 5000)).toBe(2000);
    expect(backoffDelay(OUTAGE_POLL, 0, 5000)).toBe(5000);
    expect(backoffDelay(OUTAGE_POLL, 0, 12000)).toBe(12000);
    expect(backoffDelay(OUTAGE_POLL, 0, 120000)).toBe(30000);
  });
});

describe('nextPollDelay', () => {
  it('keeps the usual period while the store answers', () => {
    expect(nextPollDelay(10000, 0, 5000)).toBe(10000);
    expect(nextPollDelay(2000, 0)).toBe(2000);
  });

  it('backs off during an outage, honouring Retry-After', () => {
    expect([1, 2, 3, 4, 5].map(n => nextPollDelay(2000, n, 5000))).toEqual([
      5000, 10000, 20000, 30000, 30000
    ]);
    expect(nextPollDelay(2000, 1, 8000)).toBe(8000);
  });
});

describe('PollBackoff', () => {
  it('backs off while polls fail and returns to the usual period', () => {
    const backoff = new PollBackoff();
    expect(backoff.delay(2000)).toBe(2000);
    backoff.failed(5000);
    expect(backoff.outages).toBe(1);
    expect(backoff.delay(2000)).toBe(5000);
    backoff.failed(null);
    expect(backoff.delay(2000)).toBe(10000);
    backoff.failed(25000);
    expect(backoff.delay(2000)).toBe(25000);
    backoff.reset();
    expect(backoff.outages).toBe(0);
    expect(backoff.delay(10000)).toBe(10000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 12 ', now)).toBe(12000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date, a past one as 0', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [null, '', 'soon', '-1', '1.5', '5s']) {
      expect(parseRetryAfter(value, now)).toBeNull();
    }
  });
});

describe('withRetry', () => {
  it('retries until the attempt succeeds, backing off', async () => {
    const { waits, sleep } = recordingSleep();
    const f = flaky([new Error('a'), new Error('b')]);
    await expect(withRetry(f.attempt, () => always(), { sleep })).resolves.toBe(
      'ok'
    );
    expect(f.calls()).toBe(3);
    expect(waits).toEqual([500, 1000]);
  });

  it('passes the verdict’s wait on as a floor', async () => {
    const { waits, sleep } = recordingSleep();
    const f = flaky([new Error('a'), new Error('b')]);
    await withRetry(f.attempt, () => always(1200), { sleep });
    expect(waits).toEqual([1200, 1200]);
  });

  it('gives up after the retries and rejects with the last failure', async () => {
    const { waits, sleep } = recordingSleep();
    const failures = [1, 2, 3, 4, 5].map(n => new Error(`failure ${n}`));
    const f = flaky(failures);
    await expect(withRetry(f.attempt, () => always(), { sleep })).rejects.toBe(
      failures[3]
    );
    expect(f.calls()).toBe(REQUEST_RETRY.retries + 1);
    expect(waits).toEqual([500, 1000, 2000]);
  });

  it('does not retry what the caller refuses', async () => {
    const { waits, sleep } = recordingSleep();
    const failure = new Error('bad input');
    const f = flaky([failure]);
    await expect(
      withRetry(f.attempt, () => ({ retry: false }), { sleep })
    ).rejects.toBe(failure);
    expect(f.calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('follows the policy it is given', async () => {
    const { waits, sleep } = recordingSleep();
    const f = flaky([new Error('a'), new Error('b')]);
    const policy = { retries: 1, baseDelayMs: 10, maxDelayMs: 10 };
    await expect(
      withRetry(f.attempt, () => always(), { sleep, policy })
    ).rejects.toThrow('b');
    expect(waits).toEqual([10]);
  });

  it('stops retrying once aborted', async () => {
    const controller = new AbortController();
    const failure = new Error('down');
    let calls = 0;
    const attempt = (): Promise<string> => {
      calls++;
      controller.abort();
      return Promise.reject(failure);
    };
    const { waits, sleep } = recordingSleep();
    await expect(
      withRetry(attempt, () => always(), {
        sleep,
        signal: controller.signal
      })
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('rejects with the failure, not the abort, when aborted while waiting', async () => {
    const controller = new AbortController();
    const failure = new Error('down');
    const f = flaky([failure, new Error('never reached')]);
    const waiting = withRetry(f.attempt, () => always(), {
      signal: controller.signal,
      sleep: (ms, signal) => {
        const slept = sleep(ms, signal);
        controller.abort();
        return slept;
      }
    });
    await expect(waiting).rejects.toBe(failure);
    expect(f.calls()).toBe(1);
  });
});

describe('sleep', () => {
  it('waits the given time', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const slept = sleep(1000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await slept;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects at once when aborted', async () => {
    const controller = new AbortController();
    const slept = sleep(60000, controller.signal);
    controller.abort(new Error('closed'));
    await expect(slept).rejects.toThrow('closed');
  });
});
