/** The shared formatters every view reads values, durations and paths with. */
import { describe, expect, it } from 'vitest';

import { cellText } from '../src/explorerCells';
import { basename, paramText, runDuration, valueText } from '../src/format';
import { rowLabel } from '../src/runRow';
import { paramsTitle, sweepName, sweepRunLabel } from '../src/sweepFormat';
import type { RunSummary } from '../src/api';
import type { SweepSummary } from '../src/sweepsApi';
import { STARTED, sweepRun } from './sweepFixtures';

const NOW = Date.parse(STARTED) + 65_000;
const run = sweepRun;

describe('runDuration', () => {
  it('shows nothing for a queued run or job: it has not started', () => {
    expect(runDuration(run({ status: 'queued', duration_s: null }), NOW)).toBe(
      ''
    );
  });
  it('counts from the start while it runs, and the duration once it ended', () => {
    expect(runDuration(run({ status: 'running', duration_s: null }), NOW)).toBe(
      '1m 05s'
    );
    expect(runDuration(run({ status: 'failed', duration_s: 4.2 }), NOW)).toBe(
      '4.2s'
    );
    expect(runDuration(run({ status: 'lost', duration_s: null }), NOW)).toBe(
      ''
    );
  });
});

describe('valueText and paramText', () => {
  it('write numbers to 4 digits, strings as they are, the rest as JSON', () => {
    expect(valueText(0.123456)).toBe('0.1235');
    expect(valueText(2_500_000)).toBe('2.500e+6');
    expect(valueText('adam')).toBe('adam');
    expect(valueText(true)).toBe('true');
    expect(valueText([64, 32])).toBe('[64,32]');
    expect(valueText({ a: 1 })).toBe('{"a":1}');
  });
  it('leave a missing value empty in tables, and say null in labels', () => {
    expect(valueText(null)).toBe('');
    expect(valueText(undefined)).toBe('');
    expect(paramText(null)).toBe('null');
    expect(paramText(0.123456)).toBe('0.1235');
    expect(paramText([1])).toBe('[1]');
  });
  it('label jobs and rows the same way', () => {
    const job = run({ params: { lr: 0.00012345, opt: 'adam', w: null } });
    expect(sweepRunLabel(job, ['lr', 'w'])).toBe('lr=1.234e-4, w=null');
    expect(paramsTitle(job.params)).toBe('lr=1.234e-4\nopt=adam\nw=null');
    expect(rowLabel(job as RunSummary, ['lr', 'w'])).toBe(
      'lr=1.234e-4, w=null'
    );
    expect(sweepRunLabel(run({ attempt: 2 }), [])).toBe('abcdef01 (attempt 2)');
  });
  it('fill the explorer cells, with the fields that read otherwise', () => {
    expect(cellText('metrics.acc', 0.987654)).toBe('0.9877');
    expect(cellText('params.opt', 'adam')).toBe('adam');
    expect(cellText('params.w', null)).toBe('');
    expect(cellText('run_id', 'abcdef0123456789')).toBe('abcdef01');
    expect(cellText('duration_s', 65)).toBe('1m 05s');
    expect(cellText('notebook', 'work/deep/train.ipynb')).toBe('train.ipynb');
  });
});

describe('basename', () => {
  it('keeps the last part of a path', () => {
    expect(basename('work/deep/train.ipynb')).toBe('train.ipynb');
    expect(basename('train.ipynb')).toBe('train.ipynb');
    expect(basename('/srv/x.ipynb')).toBe('x.ipynb');
    expect(
      sweepName({
        notebook: '/srv/work/a.ipynb',
        notebook_path: null
      } as SweepSummary)
    ).toBe('a.ipynb');
  });
});
