/** How sweeps and jobs read: honest counts, durations, the rank's metric. */
import { describe, expect, it, vi } from 'vitest';

import { orderChoices, rankMetric } from '../src/jobTable';
import { etaText, sweepCountsText } from '../src/sweepFormat';
import type { SweepSummary } from '../src/sweepsApi';

vi.mock('@jupyterlab/ui-components', () => ({}));

const sweep = (counts: Partial<SweepSummary['counts']>): SweepSummary =>
  ({
    counts: {
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      timed_out: 0,
      cancelled: 0,
      lost: 0,
      ...counts
    },
    total: Object.values(counts).reduce((a, b) => a + (b ?? 0), 0)
  }) as SweepSummary;

describe('sweepCountsText', () => {
  it('says how many ran, failed and were cancelled, not "6/6 done"', () => {
    expect(
      sweepCountsText(sweep({ succeeded: 1, failed: 1, cancelled: 4 }))
    ).toBe('2 of 6 ran: 1 succeeded, 1 failed; 4 cancelled');
    expect(
      sweepCountsText(
        sweep({ succeeded: 2, running: 2, queued: 4, timed_out: 1 })
      )
    ).toBe('3 of 9 ran: 2 succeeded, 1 failed; 2 running, 4 queued');
    expect(sweepCountsText(sweep({ queued: 3 }))).toBe('0 of 3 ran; 3 queued');
  });
});

describe('the rank', () => {
  it('offers each metric both ways, after the start order', () => {
    expect(orderChoices(['acc', 'val loss'])).toEqual([
      ['', 'start order'],
      ['metrics.acc desc', 'acc, highest first'],
      ['metrics.acc asc', 'acc, lowest first'],
      ['metrics.`val loss` desc', 'val loss, highest first'],
      ['metrics.`val loss` asc', 'val loss, lowest first']
    ]);
  });
  it('reads back the metric a rank is by', () => {
    expect(rankMetric('metrics.loss asc')).toBe('loss');
    expect(rankMetric('metrics.`val loss` desc')).toBe('val loss');
    expect(rankMetric('params.lr asc')).toBeNull();
    expect(rankMetric(null)).toBeNull();
  });
  it('says the ETA only when there is one', () => {
    expect(etaText(null)).toBe('');
    expect(etaText(125)).toBe('about 2m 05s left');
  });
});
