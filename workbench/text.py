"""Text renderings of runs shared by every face: durations, tables, one run, JSON objects."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from workbench.entities import Run, RunError

if TYPE_CHECKING:
    import pandas as pd

TABLE_COLUMNS = ["id", "name", "experiment", "notebook", "status", "started", "duration"]


def duration(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def local_time(epoch: float | None) -> str:
    if epoch is None or (isinstance(epoch, float) and math.isnan(epoch)):
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def value_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, dict, bool)):
        return json.dumps(value)
    return str(value)


def error_line(error: RunError | None) -> str:
    """``cell 4 (In [2]) raised ValueError: bad value`` - the reason, then the message."""
    if error is None:
        return ""
    line = error.reason or error.name or "unknown error"
    if error.value:
        line += f": {error.value}"
    return " ".join(line.split())  # one line, whatever the exception message held


def status_line(run: Run) -> str:
    return f"run {run.run_id} {run.status.value} ({duration(run.duration_s)})"


def runs_table(frame: pd.DataFrame, total: int) -> str:
    """Runs as a readable table: fixed columns, then one column per param and metric."""
    from tabulate import tabulate

    extra = [c for c in frame.columns if c.startswith(("params.", "metrics."))]
    short = [c.split(".", 1)[1] for c in extra]
    headers = TABLE_COLUMNS + [
        full if short.count(s) > 1 else s for full, s in zip(extra, short, strict=True)
    ]
    rows = []
    for rec in frame.to_dict("records"):
        started = rec["started_at"]
        rows.append(
            [
                rec["run_id"][:8],
                rec["name"] or "",
                rec["experiment"],
                PurePath(rec["notebook"]).name if rec["notebook"] else "",
                rec["status"],
                local_time(started.timestamp() if started is not None else None),
                duration(rec["duration_s"]),
                *(value_text(rec[c]) for c in extra),
            ]
        )
    text: str = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    if total > len(rows):
        text += f"\n(showing {len(rows)} of {total} runs: --limit N shows more)"
    return text


def columns_table(frame: pd.DataFrame, total: int) -> str:
    """Runs with exactly the columns asked for (``workbench runs --columns``)."""
    from tabulate import tabulate

    rows = []
    for rec in frame.to_dict("records"):
        cells = []
        for column in frame.columns:
            value = rec[column]
            if hasattr(value, "timestamp"):  # a pandas Timestamp (started_at, ended_at)
                value = local_time(value.timestamp()) if value == value else None
            elif column == "run_id" and isinstance(value, str):
                value = value[:8]
            cells.append(value_text(value) if not isinstance(value, str) else value)
        rows.append(cells)
    text: str = tabulate(
        rows, headers=list(frame.columns), tablefmt="simple", disable_numparse=True
    )
    if total > len(rows):
        text += f"\n(showing {len(rows)} of {total} runs: --limit N shows more)"
    return text


def run_dict(run: Run, *, with_history: bool = False) -> dict[str, Any]:
    """A run as plain JSON types."""
    d = dataclasses.asdict(run)
    d["status"] = run.status.value
    d["duration_s"] = run.duration_s
    history = d.pop("metric_history")
    if with_history:
        d["metric_points"] = {key: len(points) for key, points in history.items()}
    else:
        d.pop("artifacts")
    return d


def show_run(run: Run) -> str:
    from tabulate import tabulate

    def section(title: str, rows: list[list[Any]], headers: list[str] | None = None) -> str:
        if not rows:
            return f"{title}: none"
        body = tabulate(rows, headers=headers or (), tablefmt="plain", disable_numparse=True)
        return f"{title}:\n" + "\n".join("  " + line for line in body.splitlines())

    head = [
        ["run", run.run_id],
        ["name", run.name or "-"],
        ["experiment", run.experiment],
        ["notebook", run.notebook or "-"],
        ["source", run.source],
        ["status", f"{run.status.value} ({duration(run.duration_s)})"],
        ["started", local_time(run.started_at)],
        ["ended", local_time(run.ended_at)],
    ]
    if run.error is not None:
        index = run.error.cell_index
        head.append(["error", error_line(run.error)])
        if index is not None:
            head.append(["error cell", f"{index} (counting all cells of the executed notebook)"])
    parts = [tabulate(head, tablefmt="plain", disable_numparse=True)]
    parts.append(section("params", [[k, value_text(v)] for k, v in sorted(run.params.items())]))
    metric_rows = [
        [k, value_text(v), len(run.metric_history.get(k, ()))]
        for k, v in sorted(run.metrics.items())
    ]
    parts.append(section("metrics", metric_rows, ["name", "last", "points"]))
    parts.append(section("tags", [[k, v] for k, v in sorted(run.tags.items())]))
    parts.append(
        section("provenance", [[k, value_text(v)] for k, v in sorted(run.provenance.items())])
    )
    parts.append(
        section(
            "artifacts",
            [[a.name, size_text(a.size), a.digest[:12]] for a in run.artifacts],
            ["name", "size", "sha256"],
        )
    )
    return "\n".join(parts)


def size_text(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} B"
