/**
 * The job queue's sweep list: a listbox with one Tab stop (the selected
 * sweep, else the first); arrows, Home and End move the focus among the
 * sweeps, Enter or Space selects the one in focus and its jobs show. Each
 * sweep shows its status, notebook, start, a bar by outcome, counts and ETA.
 */
import * as React from 'react';

import { formatStart, statusLabel } from './format';
import {
  etaText,
  sweepCounts,
  sweepCountsText,
  sweepName
} from './sweepFormat';
import type { SweepSummary } from './sweepsApi';

export function QueueSweepList(props: {
  sweeps: SweepSummary[];
  selectedSweepId: string | null;
  select: (sweepId: string) => void;
}): JSX.Element {
  const { sweeps, selectedSweepId, select } = props;
  const anySelected = sweeps.some(s => s.sweep_id === selectedSweepId);
  const onKeyDown = (event: React.KeyboardEvent<HTMLElement>): void => {
    const items = Array.from(
      event.currentTarget.parentElement?.children ?? []
    ) as HTMLElement[];
    const at = items.indexOf(event.currentTarget);
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      Home: 0,
      End: items.length - 1
    };
    if (event.key === 'Enter' || event.key === ' ') {
      const id = event.currentTarget.dataset.sweepId;
      if (id) {
        select(id);
      }
    } else if (event.key in moves) {
      items[Math.max(0, Math.min(items.length - 1, moves[event.key]))]?.focus();
    } else {
      return;
    }
    event.preventDefault();
  };
  return (
    <ul
      className="wb-JobQueue-sweepList"
      role="listbox"
      aria-label="Sweeps, newest first"
    >
      {sweeps.map((sweep, index) => {
        const selected = sweep.sweep_id === selectedSweepId;
        const tabbable = selected || (index === 0 && !anySelected);
        return (
          <li
            key={sweep.sweep_id}
            className={`wb-QueueSweep wb-mod-${sweep.status}${selected ? ' wb-mod-selected' : ''}`}
            role="option"
            aria-selected={selected}
            tabIndex={tabbable ? 0 : -1}
            data-sweep-id={sweep.sweep_id}
            data-status={sweep.status}
            onClick={() => select(sweep.sweep_id)}
            onKeyDown={onKeyDown}
          >
            <SweepItem sweep={sweep} />
          </li>
        );
      })}
    </ul>
  );
}

function SweepItem({ sweep }: { sweep: SweepSummary }): JSX.Element {
  const n = sweepCounts(sweep);
  const total = Math.max(sweep.total, 1);
  const eta = etaText(sweep.eta_s);
  return (
    <>
      <div className="wb-QueueSweep-line">
        <span className={`wb-StatusBadge wb-mod-${sweep.status}`}>
          {statusLabel(sweep.status)}
        </span>
        <span
          className="wb-QueueSweep-name"
          title={sweep.notebook_path ?? sweep.notebook}
        >
          {sweepName(sweep)}
        </span>
        <span className="wb-QueueSweep-start">
          {formatStart(sweep.created_at)}
        </span>
      </div>
      <div className="wb-QueueSweep-bar" aria-hidden="true">
        {(['succeeded', 'failed', 'cancelled', 'running'] as const).map(k => (
          <span
            key={k}
            className={`wb-SweepProgress-segment wb-mod-${k}`}
            style={{ width: `${(100 * n[k]) / total}%` }}
          />
        ))}
      </div>
      <div className="wb-QueueSweep-counts" data-counts>
        {sweepCountsText(sweep)}
        {eta && <span className="wb-QueueSweep-eta"> · {eta}</span>}
      </div>
    </>
  );
}
