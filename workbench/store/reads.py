"""Reads of runs: one filter type, newest first, entities out. Mixed into Store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, func, select

from workbench.entities import Artifact, MetricPoint, Run, RunError, RunStatus
from workbench.errors import NotFound
from workbench.store.blobs import BlobStore
from workbench.store.schema import (
    ArtifactRow,
    ExperimentRow,
    LatestMetricRow,
    MetricRow,
    ParamRow,
    RunRow,
    TagRow,
)


@dataclass(frozen=True)
class RunFilter:
    notebook: str | None = None
    experiment: str | None = None
    status: RunStatus | None = None
    run_ids: Sequence[str] | None = None
    sweep_id: str | None = None  # every attempt of every job of one sweep


@dataclass
class RunTable:
    """Columns for a DataFrame of runs, fetched in four queries whatever the run count."""

    runs: list[dict[str, Any]]
    params: list[tuple[str, str, Any]]
    metrics: list[tuple[str, str, float]]
    tags: list[tuple[str, str, str]]


class RunReads:
    engine: Engine
    blobs: BlobStore

    def get_run(self, run_id: str, *, history: bool = True) -> Run:
        runs, _ = self.search_runs(RunFilter(run_ids=[run_id]), limit=1)
        if not runs:
            raise NotFound(f"no run with id {run_id!r}: list runs with `workbench runs`")
        run = runs[0]
        with self.engine.connect() as conn:
            if history:
                rows = conn.execute(
                    select(MetricRow.key, MetricRow.value, MetricRow.step, MetricRow.timestamp)
                    .where(MetricRow.run_id == run_id)
                    .order_by(MetricRow.key, MetricRow.step, MetricRow.id)
                )
                for key, value, step, ts in rows:
                    run.metric_history.setdefault(key, []).append(
                        MetricPoint(key=key, value=value, step=step, timestamp=ts)
                    )
            run.artifacts = [
                Artifact(name=n, digest=d, size=s, created_at=c)
                for n, d, s, c in conn.execute(
                    select(
                        ArtifactRow.name,
                        ArtifactRow.digest,
                        ArtifactRow.size,
                        ArtifactRow.created_at,
                    )
                    .where(ArtifactRow.run_id == run_id)
                    .order_by(ArtifactRow.id)
                )
            ]
        return run

    def executed_notebook(self, run_id: str) -> bytes:
        run = self.get_run(run_id, history=False)
        if run.executed_notebook is None:
            raise NotFound(
                f"run {run_id} has no executed notebook: only jobs (`workbench run`) keep one"
            )
        return self.blobs.read_bytes(run.executed_notebook)

    def search_runs(
        self, filt: RunFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Run], int]:
        """Runs matching ``filt``, newest first, with params, tags and last metric values."""
        base = self._filtered(filt)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
            page = base.order_by(RunRow.started_at.desc(), RunRow.run_id)
            if limit is not None:
                page = page.limit(limit)
            if offset:
                page = page.offset(offset)
            rows = conn.execute(page.add_columns(ExperimentRow.name.label("experiment_name"))).all()
            runs = {row.run_id: _run_entity(row) for row in rows}
            if runs:
                ids = list(runs)
                for rid, key, value in conn.execute(
                    select(ParamRow.run_id, ParamRow.key, ParamRow.value).where(
                        ParamRow.run_id.in_(ids)
                    )
                ):
                    runs[rid].params[key] = json.loads(value)
                for rid, key, value in conn.execute(
                    select(
                        LatestMetricRow.run_id, LatestMetricRow.key, LatestMetricRow.value
                    ).where(LatestMetricRow.run_id.in_(ids))
                ):
                    runs[rid].metrics[key] = value
                for rid, key, value in conn.execute(
                    select(TagRow.run_id, TagRow.key, TagRow.value).where(TagRow.run_id.in_(ids))
                ):
                    runs[rid].tags[key] = value
        return list(runs.values()), total

    def run_table(self, filt: RunFilter | None = None) -> RunTable:
        """Every matching run, flat, for wb.runs(): joins instead of one query per run."""
        ids = self._filtered(filt).with_only_columns(RunRow.run_id).subquery()
        with self.engine.connect() as conn:
            runs = [
                dict(row._mapping)
                for row in conn.execute(
                    self._filtered(filt)
                    .with_only_columns(
                        RunRow.run_id,
                        RunRow.name,
                        ExperimentRow.name.label("experiment"),
                        RunRow.notebook,
                        RunRow.source,
                        RunRow.status,
                        RunRow.started_at,
                        RunRow.ended_at,
                    )
                    .order_by(RunRow.started_at.desc(), RunRow.run_id)
                )
            ]
            params = [
                (r, k, json.loads(v))
                for r, k, v in conn.execute(
                    select(ParamRow.run_id, ParamRow.key, ParamRow.value).where(
                        ParamRow.run_id.in_(select(ids.c.run_id))
                    )
                )
            ]
            metrics = [
                tuple(row)
                for row in conn.execute(
                    select(
                        LatestMetricRow.run_id, LatestMetricRow.key, LatestMetricRow.value
                    ).where(LatestMetricRow.run_id.in_(select(ids.c.run_id)))
                )
            ]
            tags = [
                tuple(row)
                for row in conn.execute(
                    select(TagRow.run_id, TagRow.key, TagRow.value).where(
                        TagRow.run_id.in_(select(ids.c.run_id))
                    )
                )
            ]
        return RunTable(runs=runs, params=params, metrics=metrics, tags=tags)  # type: ignore[arg-type]

    def find_run_ids(self, prefix: str, limit: int = 10) -> list[str]:
        """Run ids starting with ``prefix`` (hex digits only, so LIKE needs no escaping)."""
        if not prefix or any(c not in "0123456789abcdef" for c in prefix.lower()):
            return []
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(RunRow.run_id)
                    .where(RunRow.run_id.like(prefix.lower() + "%"))
                    .order_by(RunRow.run_id)
                    .limit(limit)
                ).scalars()
            )

    def count_metric_points(self, run_id: str | None = None) -> int:
        q = select(func.count()).select_from(MetricRow)
        if run_id is not None:
            q = q.where(MetricRow.run_id == run_id)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one()

    def experiments(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(select(ExperimentRow.name).order_by(ExperimentRow.name)).scalars()
            )

    def _filtered(self, filt: RunFilter | None) -> Select:
        filt = filt or RunFilter()
        q = select(RunRow).join(ExperimentRow, RunRow.experiment_id == ExperimentRow.experiment_id)
        if filt.notebook is not None:
            q = q.where(RunRow.notebook == filt.notebook)
        if filt.experiment is not None:
            q = q.where(ExperimentRow.name == filt.experiment)
        if filt.status is not None:
            q = q.where(RunRow.status == RunStatus(filt.status).value)
        if filt.run_ids is not None:
            q = q.where(RunRow.run_id.in_(list(filt.run_ids)))
        if filt.sweep_id is not None:
            q = q.where(RunRow.sweep_id == filt.sweep_id)
        return q


def _run_entity(row) -> Run:
    r = row
    error = None
    if r.error_name or r.error_reason or r.error_value:
        error = RunError(
            name=r.error_name,
            value=r.error_value,
            cell_index=r.error_cell_index,
            reason=r.error_reason,
        )
    return Run(
        run_id=r.run_id,
        name=r.name,
        experiment=row.experiment_name,
        notebook=r.notebook,
        notebook_sha256=r.notebook_sha256,
        source=r.source,
        status=RunStatus(r.status),
        started_at=r.started_at,
        ended_at=r.ended_at,
        heartbeat_at=r.heartbeat_at,
        provenance=json.loads(r.provenance or "{}"),
        error=error,
        executed_notebook=r.executed_notebook,
    )
