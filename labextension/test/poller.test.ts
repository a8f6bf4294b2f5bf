/**
 * The pollers' timer: a poll when the delay is up, only while the view is
 * shown and the browser tab visible; none while the tab is hidden; one at
 * once when it is visible again. Fake timers, a fake page visibility.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Poller } from '../src/poller';
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
