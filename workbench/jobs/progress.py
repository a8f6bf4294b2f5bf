"""How a sweep reads to a person: progress counts, one line per finished job, the
leaderboard, the JSON form, and the terminal's progress bar (``TerminalReporter``).

Used by the CLI and ``SweepHandle`` (and the widgets later), so each is written once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from workbench.entities import Run, RunStatus, Sweep
from workbench.errors import InvalidInput

# Metrics whose name says lower is better sort ascending by default; others descending.
LOWER_IS_BETTER = (
    "loss",
    "error",
    "err",
    "mse",
    "rmse",
    "mae",
    "perplexity",
    "latency",
    "time",
    "duration",
    "cost",
)
ORDER = [s.value for s in RunStatus]


def counts_text(sweep: Sweep, in_flight: int | None = None) -> str:
    """``7/12 done: 6 succeeded, 1 failed; 2 running, 3 queued``."""
    counts = dict(sweep.counts)
    if in_flight is not None:  # jobs handed to a worker but not started yet count as running
        moved = max(0, in_flight - counts.get("running", 0))
        moved = min(moved, counts.get("queued", 0))
        counts["running"] = counts.get("running", 0) + moved
        counts["queued"] = counts.get("queued", 0) - moved
    finished = [
        f"{counts[s]} {s.replace('_', ' ')}"
        for s in ORDER
        if counts.get(s) and RunStatus(s).finished
    ]
    active = [f"{counts[s]} {s}" for s in ("running", "queued") if counts.get(s)]
    text = f"{sweep.done}/{sweep.total} done"
    if finished:
        text += ": " + ", ".join(finished)
    if active:
        text += "; " + ", ".join(active)
    return text


ETA_BASIS = (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value, RunStatus.TIMED_OUT.value)


def eta_seconds(
    jobs: list[tuple[str, float, float | None]], workers: int | None, now: float
) -> float | None:
    """Seconds until the queued and running jobs end, from ``(status, started_at,
    duration_s)`` of every attempt: the mean duration of the attempts that ran to an end,
    over as many jobs at once as ``workers`` (or as run now). None until one has ended."""
    durations = [d for status, _, d in jobs if status in ETA_BASIS and d is not None]
    running = [started for status, started, _ in jobs if status == RunStatus.RUNNING.value]
    queued = sum(1 for status, _, _ in jobs if status == RunStatus.QUEUED.value)
    if not durations or not (running or queued):
        return None
    mean = sum(durations) / len(durations)
    slots = max(1, workers or 0, len(running))
    left = queued * mean + sum(max(mean - (now - started), 0.0) for started in running)
    return left / slots


def sweep_line(sweep: Sweep) -> str:
    from pathlib import PurePath

    name = PurePath(sweep.notebook).name
    return f"sweep {sweep.sweep_id[:8]} of {name}: {sweep.status.value}, {counts_text(sweep)}"


def job_line(run: Run, attempt: int | None = None, retry: bool = False) -> str:
    """``a1b2c3d4 succeeded x=3 opt='adam' | score=4.5 (2.1 s)``, one finished job."""
    from workbench.text import duration, error_line, value_text

    params = " ".join(f"{k}={value_text(v)}" for k, v in sorted(run.params.items()))
    text = f"{run.run_id[:8]} {run.status.value:<9} {params}"
    if attempt and attempt > 1:
        text += f" (attempt {attempt})"
    if run.metrics:
        text += " | " + " ".join(f"{k}={value_text(v)}" for k, v in sorted(run.metrics.items()))
    text += f" ({duration(run.duration_s)})"
    if run.error is not None and run.status is not RunStatus.SUCCEEDED:
        text += f" - {error_line(run.error)}"
    if retry:
        text += " - retrying"
    return text


def parse_sort(text: str | None) -> tuple[str, bool] | None:
    """The shorthand ``-accuracy`` -> (accuracy, descending); ``loss`` or ``+loss`` ->
    ascending. None for no sort, or when ``text`` is already the query language's order
    (``metrics.accuracy desc``), which the store checks itself."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if _is_order_by(text):
        return None
    descending = text.startswith("-")
    name = text.lstrip("+-").strip()
    if not name:
        raise InvalidInput(
            f"--sort {text!r} names nothing: write --sort -accuracy (descending), "
            "--sort loss (ascending) or --sort 'metrics.accuracy.max desc'"
        )
    return name, descending


def _is_order_by(text: str) -> bool:
    """Whether ``text`` is written in the query language (a field with its prefix, a
    direction, or several fields) rather than the -NAME shorthand."""
    lowered = text.lower()
    return (
        "," in text
        or lowered.endswith((" asc", " desc"))
        or lowered.startswith(("metrics.", "params.", "tags."))
        or lowered in ("name", "status", "started_at", "ended_at", "duration_s", "run_id")
    )


def _shorthand_order(name: str, descending: bool, metrics: set[str], params: set[str]) -> str:
    prefix = "metrics" if name in metrics else "params"
    key = name if name.isidentifier() else "`" + name.replace("`", "``") + "`"
    return f"{prefix}.{key} {'desc' if descending else 'asc'}"


def default_order(metrics: list[str]) -> str | None:
    """How a sweep's jobs rank when nobody chose: by the first metric by name, descending
    unless its name says lower is better (``metrics.loss asc``)."""
    if not metrics:
        return None
    first = sorted(metrics)[0]
    return _shorthand_order(first, default_direction(first), set(metrics), set())


def default_direction(metric: str) -> bool:
    """True (descending) unless the name says lower is better."""
    parts = metric.lower().replace("-", "_").replace(".", "_").split("_")
    return not any(p in LOWER_IS_BETTER for p in parts)


@dataclass
class Leaderboard:
    headers: list[str]
    rows: list[list[str]]
    records: list[dict[str, Any]] = field(default_factory=list)  # typed values, same order
    note: str = ""

    def text(self) -> str:
        from tabulate import tabulate

        if not self.rows:
            return "no jobs"
        body: str = tabulate(
            self.rows, headers=self.headers, tablefmt="simple", disable_numparse=True
        )
        return body + (f"\n{self.note}" if self.note else "")


def leaderboard(store: Any, sweep_id: str, sort: str | None = None) -> Leaderboard:
    """The latest attempt of each job: id, status, attempt, parameters, last metric values
    and duration, best first by ``sort`` (default: the first metric by name, descending
    unless its name says lower is better, like ``loss``)."""
    from workbench.jobs.engine import latest_attempts
    from workbench.store import RunFilter
    from workbench.text import duration, value_text

    latest = latest_attempts(store.job_runs(sweep_id))
    attempts = {r.run_id: r.attempt for r in latest}
    filt = RunFilter(run_ids=list(attempts), deleted=None)
    runs, _ = store.search_runs(filt)
    params = sorted({k for r in runs for k in r.params})
    metrics = sorted({k for r in runs for k in r.metrics})
    wanted = parse_sort(sort)
    order_by, note, first = None, "", None
    if sort is not None and sort.strip() and wanted is None:  # the query language's order
        order_by = sort.strip()
        note = f"(sorted by {order_by}; --sort to change)"
    elif wanted is None and metrics:
        first, order_by = metrics[0], default_order(metrics)
    elif wanted is not None:
        name, descending = wanted
        if name not in metrics and name not in params:
            note = f"(no job has a metric or parameter {name!r}: shown in job order)"
        else:
            first = name
            order_by = _shorthand_order(name, descending, set(metrics), set(params))
    if order_by is not None:
        # Sorted by the store, as every face sorts runs: numbers as numbers, NULLs last.
        runs, _ = store.search_runs(filt, order_by=order_by)
        if not note:
            how = "descending" if order_by.endswith(" desc") else "ascending"
            note = f"(sorted by {first}, {how}; --sort -NAME, NAME or a query order to change)"
    else:
        order = {rid: i for i, rid in enumerate(attempts)}
        runs.sort(key=lambda r: order[r.run_id])
    metrics.sort(key=lambda m: (m != first, m))
    headers = ["run", "status", "attempt", *params, *metrics, "duration"]
    rows, records = [], []
    for run in runs:
        rows.append(
            [
                run.run_id[:8],
                run.status.value,
                str(attempts[run.run_id]),
                *(value_text(run.params.get(p)) for p in params),
                *(value_text(run.metrics.get(m)) for m in metrics),
                duration(run.duration_s),
            ]
        )
        records.append(
            {
                "run_id": run.run_id,
                "status": run.status.value,
                "attempt": attempts[run.run_id],
                "params": run.params,
                "metrics": run.metrics,
                "duration_s": run.duration_s,
            }
        )
    return Leaderboard(headers=headers, rows=rows, records=records, note=note)


def sweep_dict(sweep: Any) -> dict[str, Any]:
    return {
        "sweep_id": sweep.sweep_id,
        "notebook": sweep.notebook,
        "experiment": sweep.experiment,
        "status": sweep.status.value,
        "created_at": sweep.created_at,
        "ended_at": sweep.ended_at,
        "heartbeat_at": sweep.heartbeat_at,
        "runner": sweep.runner,
        "cancel_requested": sweep.cancel_requested,
        "total": sweep.total,
        "done": sweep.done,
        "counts": sweep.counts,
        "spec": sweep.spec,
        "options": sweep.options.to_json(),
    }


class TerminalReporter:
    """Progress bar on stderr (done, failed, running, ETA) and a line per finished job; with
    no terminal, just the lines."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.announced = False

    def __call__(self, progress: Any) -> None:
        sweep = progress.sweep
        if self.bar is None and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=sweep.total,
                unit="job",
                file=sys.stderr,
                dynamic_ncols=True,
                initial=sweep.done,
            )
        if progress.finished is not None:
            self._write(job_line(progress.finished, progress.attempt, progress.retry))
        if progress.cancelling and not self.announced:
            self.announced = True
            self._write(
                "cancelling: queued jobs dropped, running jobs being stopped "
                "(Ctrl-C again to stop at once)"
            )
        if self.bar is not None:
            self.bar.total = sweep.total
            if sweep.done > self.bar.n:
                self.bar.update(sweep.done - self.bar.n)
            failed = sum(
                n for s, n in sweep.counts.items() if s not in ("succeeded", "queued", "running")
            )
            self.bar.set_postfix_str(f"failed={failed} running={progress.in_flight}")
        elif progress.finished is not None and not sweep.status.finished:
            print(counts_text(sweep, progress.in_flight), file=sys.stderr, flush=True)

    def _write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
