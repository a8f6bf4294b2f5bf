/**
 * The pollers' timer: a poll when the delay is up, only while the view is
 * shown and the browser tab visible; none while the tab is hidden; one at
 * once when it is visible again. Fake timers, a fake page visibility.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { STORE_UNAVAILABLE, WorkbenchAPIError } from '../src/api';
import type { IViewError } from '../src/errors';
import { Poller, PollRequests } from '../src/poller';
import { FakePage } from './fakePage';

let page: FakePage;
let shown: boolean;
let polls: number;
let poller: Poller;

beforeEach(() => {
  vi.useFakeTimers();
  page = new FakePage();
  shown = true;
  polls = 0;
  // Like the views: each poll schedules the next, a second later.
  poller = new Poller({
    poll: () => {
      polls += 1;
      poller.schedule(1000);
    },
    isShown: () => shown,
    visibility: page
  });
});

afterEach(() => {
  poller.dispose();
  vi.useRealTimers();
});

describe('Poller', () => {
  it('polls when the delay is up, and on from there', () => {
    poller.schedule(1000);
    vi.advanceTimersByTime(999);
    expect(polls).toBe(0);
    vi.advanceTimersByTime(1);
    expect(polls).toBe(1);
    vi.advanceTimersByTime(3000);
    expect(polls).toBe(4);
  });

  it('keeps only the last schedule', () => {
    poller.schedule(1000);
    poller.schedule(5000);
    vi.advanceTimersByTime(4999);
    expect(polls).toBe(0);
    vi.advanceTimersByTime(1);
    expect(polls).toBe(1);
  });

  it('stops while the tab is hidden, and polls at once when it is visible', () => {
    poller.schedule(1000);
    vi.advanceTimersByTime(2000);
    expect(polls).toBe(2);

    page.set('hidden');
    vi.advanceTimersByTime(60_000);
    expect(polls).toBe(2);
    expect(vi.getTimerCount()).toBe(0);

    page.set('visible');
    expect(polls).toBe(3); // at once, not a second later
    vi.advanceTimersByTime(1000);
    expect(polls).toBe(4);
  });

  it('does not schedule while the tab is hidden (a poll that ends then)', () => {
    page.set('hidden');
    poller.schedule(1000);
    vi.advanceTimersByTime(10_000);
    expect(polls).toBe(0);
    page.set('visible');
    expect(polls).toBe(1);
  });

  it('does not poll a view that is not shown, even when the tab is visible again', () => {
    poller.schedule(1000);
    shown = false;
    vi.advanceTimersByTime(5000);
    expect(polls).toBe(0);
    page.set('hidden');
    page.set('visible');
    expect(polls).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() drops the scheduled poll', () => {
    poller.schedule(1000);
    poller.stop();
    vi.advanceTimersByTime(5000);
    expect(polls).toBe(0);
  });

  it('polls no more once disposed, whatever the tab does', () => {
    poller.schedule(1000);
    poller.dispose();
    vi.advanceTimersByTime(5000);
    page.set('hidden');
    page.set('visible');
    poller.schedule(1000);
    vi.advanceTimersByTime(5000);
    expect(polls).toBe(0);
  });

  it('counts a page without visibility as visible', () => {
    const bare = new Poller({
      poll: () => {
        polls += 1;
      },
      isShown: () => true,
      visibility: null
    });
    expect(bare.visible).toBe(true);
    bare.schedule(10);
    vi.advanceTimersByTime(10);
    expect(polls).toBe(1);
    bare.dispose();
  });
});

/**
 * A poll's bookkeeping, the same in every polling view: the newest poll wins,
 * an outage backs off, another failure starts over, the newest schedules.
 */
describe('PollRequests', () => {
  const storeDown = (retryAfterMs: number | null = null) =>
    new WorkbenchAPIError(
      503,
      STORE_UNAVAILABLE,
      'database is locked',
      retryAfterMs
    );

  /** A poll whose server answers at once. */
  const answers = (): Promise<void> => Promise.resolve();

  let ended: (IViewError | null)[];
  let requests: PollRequests;
  let timer: Poller;

  beforeEach(() => {
    ended = [];
    timer = new Poller({
      poll: () => undefined,
      isShown: () => true,
      visibility: null
    });
    requests = new PollRequests({
      poller: timer,
      usualDelayMs: () => 1000,
      ended: error => ended.push(error)
    });
  });

  afterEach(() => timer.dispose());

  /** The wait before the next poll, as the requests stand now. */
  const scheduledMs = (): number => {
    const schedule = vi.spyOn(timer, 'schedule');
    requests.schedule();
    const delay = schedule.mock.calls[0][0];
    schedule.mockRestore();
    return delay;
  };

  it('tells the view a success, and schedules the usual wait', async () => {
    const schedule = vi.spyOn(timer, 'schedule');
    await requests.run(answers);
    expect(ended).toEqual([null]);
    expect(schedule).toHaveBeenCalledWith(1000);
  });

  it('drops an older poll that ends after a newer one began', async () => {
    let answerOld!: () => void;
    const kept: string[] = [];
    const old = requests.run(async isCurrent => {
      await new Promise<void>(resolve => (answerOld = resolve));
      if (isCurrent()) {
        kept.push('old');
      }
    });
    await requests.run(isCurrent => {
      if (isCurrent()) {
        kept.push('new');
      }
      return Promise.resolve();
    });
    answerOld();
    await old;
    expect(kept).toEqual(['new']);
    expect(ended).toEqual([null]); // once, for the newer poll
  });

  it("drops an older poll's failure: it neither shows nor backs off", async () => {
    let failOld!: () => void;
    const old = requests.run(
      () =>
        new Promise<void>((_, reject) => (failOld = () => reject(storeDown())))
    );
    await requests.run(answers);
    failOld();
    await old;
    expect(ended).toEqual([null]);
    expect(scheduledMs()).toBe(1000);
  });

  it('backs off while the store is down, honouring Retry-After, and recovers', async () => {
    await requests.run(() => Promise.reject(storeDown()));
    expect(ended[0]?.message).toBe('Store unavailable');
    expect(scheduledMs()).toBe(5000);
    await requests.run(() => Promise.reject(storeDown(20_000)));
    expect(scheduledMs()).toBe(20_000);
    await requests.run(answers);
    expect(ended[2]).toBeNull();
    expect(scheduledMs()).toBe(1000);
  });

  it('shows another failure and starts the backoff over', async () => {
    await requests.run(() => Promise.reject(storeDown()));
    await requests.run(() =>
      Promise.reject(new WorkbenchAPIError(500, 'internal', 'boom'))
    );
    expect(ended[1]?.message).toContain('boom');
    expect(scheduledMs()).toBe(1000);
  });

  it('begin() makes a poll on its way stale without scheduling', async () => {
    let answer!: () => void;
    const schedule = vi.spyOn(timer, 'schedule');
    const pending = requests.run(
      () => new Promise<void>(resolve => (answer = resolve))
    );
    requests.begin();
    answer();
    await pending;
    expect(ended).toEqual([]);
    expect(schedule).not.toHaveBeenCalled();
  });
});
