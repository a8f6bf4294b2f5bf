/**
 * How often the job queue asks the server: every second while a sweep is in
 * flight, every 1.5 s when nothing is, not at all while its tab or the
 * browser tab is hidden, and
 * fast again at once for a sweep launched here or one a poll finds. The
 * model talks to a fake server at the protocol boundary (the real client,
 * requestAPI and ServerConnection); the timers are fake.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  JobQueueModel,
  QUEUE_IDLE_POLL_MS,
  QUEUE_POLL_MS
} from '../src/jobQueueModel';
import type { SweepSummary } from '../src/sweepsApi';
import {
  json,
  routedServer,
  routeOf,
  serveByDefault,
  type IFakeServer
} from './fakeServer';
import { FakePage } from './fakePage';
import { describeSweep, sweepSummary } from './sweepFixtures';

const DONE = sweepSummary({ sweep_id: 'done0001' });

/** A sweep of 2 jobs in flight, with `succeeded` of them done. */
const inFlight = (
  sweepId: string,
  status: 'queued' | 'running',
  succeeded: number
): SweepSummary =>
  sweepSummary({
    sweep_id: sweepId,
    status,
    runner_alive: true,
    counts: { ...DONE.counts, succeeded, [status]: 2 - succeeded },
    done: succeeded
  });

const RUNNING = inFlight('busy0002', 'running', 1);

/** The server's sweeps now; the tests change them as time goes by. */
let listed: SweepSummary[];
let server: IFakeServer;
let shown: boolean;
let model: JobQueueModel;

let page: FakePage;

/** How many times the queue listed the sweeps (one per poll). */
const polls = (): number =>
  server.requests.filter(r => routeOf(r) === 'sweeps').length;

/** The polls so far after the timers ran for `ms` and the fetches settled. */
async function pollsAfter(ms: number): Promise<number> {
  await vi.advanceTimersByTimeAsync(ms);
  return polls();
}

beforeEach(() => {
  vi.useFakeTimers();
  listed = [DONE];
  shown = true;
  server = routedServer(request => {
    const route = routeOf(request);
    if (route === 'sweeps') {
      return json(200, { sweeps: listed, limit: 50 });
    }
    const sweep = listed.find(s => route === `sweeps/${s.sweep_id}`);
    return sweep
      ? json(200, describeSweep(sweep))
      : json(404, { error: 'not_found', message: `no ${route}` });
  });
  serveByDefault(server);
  page = new FakePage();
  model = new JobQueueModel({ isShown: () => shown, visibility: page });
});

afterEach(() => {
  model.dispose();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('the job queue polls', () => {
  it('every 1.5 s when nothing is queued or running', async () => {
    await model.refresh();
    expect(polls()).toBe(1);
    expect(model.inFlight).toBe(false);
    expect(await pollsAfter(QUEUE_IDLE_POLL_MS - 1)).toBe(1);
    expect(await pollsAfter(1)).toBe(2);
    expect(await pollsAfter(QUEUE_IDLE_POLL_MS)).toBe(3);
  });

  it('every second while a sweep is in flight, slowly once it ended', async () => {
    listed = [RUNNING, DONE];
    await model.refresh();
    expect(model.selectedSweepId).toBe(RUNNING.sweep_id);
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(2);
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(3);

    listed = [{ ...RUNNING, status: 'succeeded', runner_alive: false }, DONE];
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(4); // this poll finds nothing in flight
    expect(await pollsAfter(QUEUE_IDLE_POLL_MS - 1)).toBe(4);
    expect(await pollsAfter(1)).toBe(5);
  });

  it('fast again as soon as a poll finds a sweep launched elsewhere', async () => {
    await model.refresh();
    listed = [RUNNING, DONE]; // launched from the CLI, say
    expect(await pollsAfter(QUEUE_IDLE_POLL_MS)).toBe(2);
    expect(model.sweeps.map(s => s.sweep_id)).toContain(RUNNING.sweep_id);
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(3);
  });

  it('at once, then every second, for a sweep launched from this JupyterLab', async () => {
    await model.refresh();
    expect(await pollsAfter(QUEUE_IDLE_POLL_MS - 1)).toBe(1); // idle: no poll yet

    const launched = inFlight('new00003', 'queued', 0);
    model.show(describeSweep(launched)); // what the sweep dialog does
    expect(model.selectedSweepId).toBe(launched.sweep_id);
    expect(model.inFlight).toBe(true);
    expect(await pollsAfter(0)).toBe(2); // asked at once, not at the next slow poll
    // The server does not list it yet: it stays shown, and polling is fast.
    expect(model.sweeps[0].sweep_id).toBe(launched.sweep_id);
    listed = [launched, DONE];
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(3);
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(4);
  });

  it('not at all while the tab is hidden, and again when it is shown', async () => {
    listed = [RUNNING];
    await model.refresh();
    shown = false;
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(1);
    expect(await pollsAfter(QUEUE_IDLE_POLL_MS * 6)).toBe(1);

    shown = true;
    await model.refresh(); // what the panel does when it is shown again
    expect(polls()).toBe(2);
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(3);
  });

  it('not at all while the browser tab is hidden, and at once when it is visible', async () => {
    listed = [RUNNING];
    await model.refresh();
    page.set('hidden');
    expect(await pollsAfter(QUEUE_IDLE_POLL_MS * 20)).toBe(1);

    page.set('visible');
    expect(await pollsAfter(0)).toBe(2); // at once, not at the next tick
    expect(await pollsAfter(QUEUE_POLL_MS)).toBe(3);
  });

  it('no more once disposed', async () => {
    listed = [RUNNING];
    await model.refresh();
    model.dispose();
    expect(await pollsAfter(QUEUE_IDLE_POLL_MS * 3)).toBe(1);
  });
});
