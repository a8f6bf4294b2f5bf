/**
 * The dialogs' live preview: it asks after a pause in typing, a newer
 * request aborts the older one, an answer that comes too late is dropped
 * (even one that resolves after its abort), and a failure is kept as its
 * message. The requests are promises the test settles; the timers are fake.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { WorkbenchAPIError } from '../src/api';
import { LivePreview, PREVIEW_DELAY_MS } from '../src/preview';

/** One request the preview made: its signal and how the test settles it. */
interface IAsked {
  signal: AbortSignal;
  resolve: (value: string) => void;
  reject: (reason: unknown) => void;
}

let asked: IAsked[];
let changes: number;
let nothingToAsk: boolean;
let preview: LivePreview<string>;

beforeEach(() => {
  vi.useFakeTimers();
  asked = [];
  changes = 0;
  nothingToAsk = false;
  preview = new LivePreview<string>(
    signal => {
      if (nothingToAsk) {
        return null;
      }
      return new Promise<string>((resolve, reject) => {
        asked.push({ signal, resolve, reject });
      });
    },
    () => {
      changes += 1;
    }
  );
});

afterEach(() => {
  preview.dispose();
  vi.useRealTimers();
});

describe('LivePreview', () => {
  it('asks once after a pause in typing, and shows the answer', async () => {
    preview.refresh();
    preview.refresh();
    preview.refresh();
    expect(preview.pending).toBe(true);
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS - 1);
    expect(asked).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toHaveLength(1);

    asked[0].resolve('3 jobs');
    await vi.advanceTimersByTimeAsync(0);
    expect(preview.value).toBe('3 jobs');
    expect(preview.pending).toBe(false);
    expect(preview.error).toBeNull();
  });

  it('aborts the older request and drops its late answer', async () => {
    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    expect(asked).toHaveLength(2);
    expect(asked[0].signal.aborted).toBe(true);
    expect(asked[1].signal.aborted).toBe(false);

    // The newer answer comes first; the older one resolves anyway, later.
    asked[1].resolve('new');
    await vi.advanceTimersByTimeAsync(0);
    asked[0].resolve('stale');
    await vi.advanceTimersByTimeAsync(0);
    expect(preview.value).toBe('new');
    expect(preview.pending).toBe(false);
  });

  it('says nothing of an aborted request that fails', async () => {
    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    asked[0].reject(new DOMException('aborted', 'AbortError'));
    await vi.advanceTimersByTimeAsync(0);
    expect(preview.error).toBeNull();
    expect(preview.pending).toBe(true); // the newer one is still on its way
  });

  it('keeps the failure as its message, and clears it on the next answer', async () => {
    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    asked[0].reject(
      new WorkbenchAPIError(400, 'invalid_input', 'out: must be relative')
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(preview.error).toBe('out: must be relative');
    expect(preview.pending).toBe(false);

    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    asked[1].resolve('fine');
    await vi.advanceTimersByTimeAsync(0);
    expect(preview.error).toBeNull();
    expect(preview.value).toBe('fine');
  });

  it('asks nothing while the form has its own problems, and keeps the last preview', async () => {
    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    asked[0].resolve('first');
    await vi.advanceTimersByTimeAsync(0);

    nothingToAsk = true;
    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    expect(asked).toHaveLength(1);
    expect(preview.pending).toBe(false);
    expect(preview.value).toBe('first');
  });

  it('aborts its request when disposed, and then changes nothing', async () => {
    preview.refresh();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS);
    preview.dispose();
    expect(asked[0].signal.aborted).toBe(true);
    const before = changes;
    asked[0].resolve('late');
    preview.refresh();
    preview.dispose();
    await vi.advanceTimersByTimeAsync(PREVIEW_DELAY_MS * 4);
    expect(preview.value).toBeNull();
    expect(asked).toHaveLength(1);
    expect(changes).toBe(before + 1); // the refresh's own "pending" redraw only
  });
});
