"""Pydantic models at the REST boundary. labextension/src/api.ts mirrors them field for field."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, Field

from workbench.entities import Run, RunStatus
from workbench.series import downsample


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer: what was wrong and what to do."""

    error: str  # the error code, e.g. "invalid_input", "not_found", "forbidden"
    message: str


class RunErrorModel(BaseModel):
    name: str | None = None
    value: str | None = None
    cell_index: int | None = None
    reason: str | None = None


class RunSummary(BaseModel):
    run_id: str
    name: str | None
    experiment: str
    notebook: str | None  # absolute path as recorded
    notebook_path: str | None  # relative to the server root, when under it
    status: RunStatus
    source: str
    started_at: str
    ended_at: str | None
    duration_s: float | None
    params: dict[str, Any]
    metrics: dict[str, float]
    tags: dict[str, str]
    has_executed_notebook: bool
    error: RunErrorModel | None = None


class MetricPointModel(BaseModel):
    step: int
    value: float
    timestamp: str


class ArtifactModel(BaseModel):
    name: str
    digest: str
    size: int
    created_at: str


class RunDetail(RunSummary):
    metric_history: dict[str, list[MetricPointModel]]
    provenance: dict[str, Any]
    artifacts: list[ArtifactModel]


class ListRunsQuery(BaseModel):
    notebook: str | None = None  # a path relative to the server root
    experiment: str | None = None
    status: RunStatus | None = None
    where: str | None = Field(default=None, max_length=4000)  # the runs query language
    order_by: str | None = Field(default=None, max_length=1000)  # "metrics.acc desc, name"
    columns: str | None = Field(default=None, max_length=4000)  # "name,params.lr,metrics.acc.max"
    deleted: bool = False  # list deleted runs instead of live ones
    limit: int = Field(default=50, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class ListRunsResponse(BaseModel):
    runs: list[RunSummary]  # the page (empty when ``columns`` is asked: see rows)
    total: int  # every run that matches, not only this page
    limit: int
    offset: int
    columns: list[str] | None = None  # with ``columns``: the fields asked for, in order
    rows: list[list[Any]] | None = None  # with ``columns``: one list of values per run


def _relative(path: str | None, root: str | None) -> str | None:
    if path is None or root is None:
        return None
    import os

    try:
        rel = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    except ValueError:
        return None
    if rel == ".." or rel.startswith(".." + os.sep):
        return None
    return rel.replace(os.sep, "/")


# A listing shows parameters, it does not ship data: a value longer than this (as JSON) is
# shown as a short note in list answers; the run's own answer (GET runs/{id}) has it whole.
LIST_VALUE_CHARS = 1000


def _listed(value: Any) -> Any:
    if isinstance(value, (str, list, dict)):
        size = len(json.dumps(value))
        if size > LIST_VALUE_CHARS:
            return f"<{size:,} characters: open the run to see it>"
    return value


def run_summary(run: Run, root: str | None, *, listing: bool = False) -> RunSummary:
    return RunSummary(
        run_id=run.run_id,
        name=run.name,
        experiment=run.experiment,
        notebook=run.notebook,
        notebook_path=_relative(run.notebook, root),
        status=run.status,
        source=run.source,
        started_at=iso(run.started_at) or "",
        ended_at=iso(run.ended_at),
        duration_s=run.duration_s,
        params={k: _listed(v) for k, v in run.params.items()} if listing else run.params,
        metrics=run.metrics,
        tags=run.tags,
        has_executed_notebook=run.executed_notebook is not None,
        error=RunErrorModel(**run.error.__dict__) if run.error else None,
    )


def run_detail(run: Run, root: str | None, *, max_points: int | None = None) -> RunDetail:
    """The run with its histories; with ``max_points``, each downsampled (LTTB) to that."""
    summary = run_summary(run, root)
    histories = run.metric_history
    if max_points is not None:
        histories = {
            key: downsample(points, [p.step for p in points], [p.value for p in points], max_points)
            for key, points in histories.items()
        }
    return RunDetail(
        **summary.model_dump(),
        metric_history={
            key: [
                MetricPointModel(step=p.step, value=p.value, timestamp=iso(p.timestamp) or "")
                for p in points
            ]
            for key, points in histories.items()
        },
        provenance=run.provenance,
        artifacts=[
            ArtifactModel(
                name=a.name, digest=a.digest, size=a.size, created_at=iso(a.created_at) or ""
            )
            for a in run.artifacts
        ],
    )
