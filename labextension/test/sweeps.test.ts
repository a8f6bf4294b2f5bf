/**
 * The Sweeps view keeps polling while the store is unavailable, backing off,
 * and recovers by itself; it stops while the browser tab is hidden. JupyterLab's dialogs and icons need a browser, so
 * they are stubbed; the sweeps client is replaced by a scripted server.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { WorkbenchAPIError } from '../src/api';
import {
  ErrorBlock,
  IViewError,
  STORE_UNAVAILABLE_MESSAGE
} from '../src/errors';
import { SWEEPS_SLOW_POLL_MS, SweepsView } from '../src/sweeps';
import type { ListSweepsResponse, SweepSummary } from '../src/sweepsApi';
import { FakePage } from './fakePage';
import { sweepSummary } from './sweepFixtures';

const api = vi.hoisted(() => ({
  listSweeps: vi.fn(),
  getSweep: vi.fn(),
  cancelSweep: vi.fn(),
  notifyError: vi.fn()
}));

vi.mock('../src/sweepsApi', () => ({
  listSweeps: api.listSweeps,
  getSweep: api.getSweep,
  cancelSweep: api.cancelSweep
}));
vi.mock('@jupyterlab/apputils', () => ({
  Notification: { error: api.notifyError }
}));
vi.mock('../src/dialogs', () => ({
  confirmWhileValid: () => Promise.resolve(true)
}));
vi.mock('@jupyterlab/ui-components', () => ({
  caretDownIcon: { react: () => null },
  caretRightIcon: { react: () => null }
}));

const OUTAGE_MESSAGE =
  'the Workbench store at postgresql://127.0.0.1:5432/wb is unavailable ' +
  '(connection refused); try again when the database is back';

const outage = (): WorkbenchAPIError =>
  new WorkbenchAPIError(503, 'store_unavailable', OUTAGE_MESSAGE, 5000);

const SWEEP = sweepSummary();

const page = (sweeps: SweepSummary[]): ListSweepsResponse => ({
  sweeps,
  limit: 50
});

/** The error the view shows now, or null when it shows its list. */
function shownError(view: SweepsView): IViewError | null {
  const element = view.render();
  if (element.type !== ErrorBlock) {
    return null;
  }
  return (element.props as { error: IViewError }).error;
}

/** Let the timers run for `ms`, and the fetches they start settle. */
async function elapse(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

describe('SweepsView during a store outage', () => {
  let view: SweepsView;
  let tab: FakePage;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.resetAllMocks();
    tab = new FakePage();
    view = new SweepsView({
      renderRun: () => null as unknown as JSX.Element,
      onChange: () => undefined,
      isShown: () => true,
      visibility: tab
    });
  });

  afterEach(() => {
    view.dispose();
    vi.useRealTimers();
  });

  it('says the store is unavailable, backs off, and recovers by itself', async () => {
    api.listSweeps
      .mockRejectedValueOnce(outage())
      .mockRejectedValueOnce(outage())
      .mockRejectedValueOnce(outage())
      .mockResolvedValue(page([SWEEP]));

    await view.refresh();
    expect(api.listSweeps).toHaveBeenCalledTimes(1);
    const error = shownError(view);
    expect(error?.message).toBe(STORE_UNAVAILABLE_MESSAGE);
    expect(error?.hint).toContain('The Workbench store at postgresql://');
    expect(error?.hint).toContain('keeps trying');

    // Polls again after Retry-After (5 s), then 10 s, then 20 s.
    await elapse(4999);
    expect(api.listSweeps).toHaveBeenCalledTimes(1);
    await elapse(1);
    expect(api.listSweeps).toHaveBeenCalledTimes(2);
    await elapse(9999);
    expect(api.listSweeps).toHaveBeenCalledTimes(2);
    await elapse(1);
    expect(api.listSweeps).toHaveBeenCalledTimes(3);
    expect(shownError(view)?.message).toBe(STORE_UNAVAILABLE_MESSAGE);
    await elapse(19999);
    expect(api.listSweeps).toHaveBeenCalledTimes(3);
    await elapse(1);
    expect(api.listSweeps).toHaveBeenCalledTimes(4);

    // The store answers: the list is back, and polling returns to its pace.
    expect(shownError(view)).toBeNull();
    await elapse(SWEEPS_SLOW_POLL_MS - 1);
    expect(api.listSweeps).toHaveBeenCalledTimes(4);
    await elapse(1);
    expect(api.listSweeps).toHaveBeenCalledTimes(5);
  });

  it('keeps its usual pace for an error that waiting does not fix', async () => {
    api.listSweeps
      .mockRejectedValueOnce(
        new WorkbenchAPIError(400, 'invalid_input', 'limit: too big')
      )
      .mockResolvedValue(page([SWEEP]));
    await view.refresh();
    expect(shownError(view)).toEqual({ message: 'limit: too big' });
    await elapse(SWEEPS_SLOW_POLL_MS);
    expect(api.listSweeps).toHaveBeenCalledTimes(2);
    expect(shownError(view)).toBeNull();
  });

  it('stops polling while the browser tab is hidden, and polls at once when it is back', async () => {
    api.listSweeps.mockResolvedValue(page([{ ...SWEEP, status: 'running' }]));
    await view.refresh();
    tab.set('hidden');
    await elapse(SWEEPS_SLOW_POLL_MS * 40);
    expect(api.listSweeps).toHaveBeenCalledTimes(1);
    tab.set('visible');
    await elapse(0);
    expect(api.listSweeps).toHaveBeenCalledTimes(2);
    await elapse(SWEEPS_SLOW_POLL_MS);
    expect(api.listSweeps).toHaveBeenCalledTimes(3);
  });

  it('stops polling when the view is disposed', async () => {
    api.listSweeps.mockRejectedValue(outage());
    await view.refresh();
    view.dispose();
    await elapse(120000);
    expect(api.listSweeps).toHaveBeenCalledTimes(1);
  });

  it('says why a cancel failed, without retrying it', async () => {
    api.listSweeps.mockResolvedValue(page([{ ...SWEEP, status: 'running' }]));
    api.cancelSweep.mockRejectedValue(outage());
    await view.refresh();
    await view.cancel(SWEEP);
    expect(api.cancelSweep).toHaveBeenCalledTimes(1);
    expect(api.notifyError).toHaveBeenCalledTimes(1);
    const [text] = api.notifyError.mock.calls[0] as [string];
    expect(text).toContain(
      `Could not cancel the sweep: ${STORE_UNAVAILABLE_MESSAGE}`
    );
    expect(text).toContain('Nothing was retried');
  });
});
