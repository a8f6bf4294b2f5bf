"""Reads of runs: a filter (``RunFilter``) and/or the query language (``where``,
``order_by``), paged and counted in SQL, entities out. Mixed into Store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from workbench.entities import Artifact, MetricPoint, MetricSummary, Run, RunError, RunStatus
from workbench.errors import InvalidInput, NotFound
from workbench.store.base import StoreBase
from workbench.store.query import EXPERIMENTS, RUNS, RunQuery, compile_query, runs_with_experiments
from workbench.store.query_fields import Field, parse_field
from workbench.store.rows import ids_matching
from workbench.store.schema import (
    ArtifactRow,
    ExperimentRow,
    LatestMetricRow,
    MetricRow,
    ParamRow,
    RunRow,
    TagRow,
)
from workbench.store.tables import RunTable, read_run_table

if TYPE_CHECKING:
    from typing import TypeVarTuple, Unpack

    _Ts = TypeVarTuple("_Ts")
    AnySelect = Select[Unpack[tuple[Any, ...]]]


@dataclass(frozen=True)
class RunFilter:
    notebook: str | None = None
    experiment: str | None = None
    status: RunStatus | None = None
    run_ids: Sequence[str] | None = None
    sweep_id: str | None = None  # every attempt of every job of one sweep
    deleted: bool | None = False  # False: live runs, True: deleted ones, None: both


class RunReads(StoreBase):
    def get_run(self, run_id: str, *, history: bool = True) -> Run:
        runs, _ = self.search_runs(RunFilter(run_ids=[run_id], deleted=None))
        if not runs:
            raise NotFound(f"no run with id {run_id!r}: list runs with `workbench runs`")
        run = runs[0]
        with self.engine.connect() as conn:
            if history:
                run.metric_history = _histories(conn, [run_id]).get(run_id, {})
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

    def metric_histories(
        self, run_ids: Sequence[str], keys: Sequence[str] | None = None
    ) -> dict[str, dict[str, list[MetricPoint]]]:
        """The metric points of many runs (of ``keys`` only, when given) in one query: run
        id -> key -> points in step order. A run without points has no entry."""
        if not run_ids:
            return {}
        with self.engine.connect() as conn:
            return _histories(conn, run_ids, keys)

    def executed_notebook(self, run_id: str) -> bytes:
        run = self.get_run(run_id, history=False)
        if run.executed_notebook is None:
            raise NotFound(
                f"run {run_id} has no executed notebook: only jobs (`workbench run`) keep one"
            )
        return self.blobs.read_bytes(run.executed_notebook)

    def search_runs(
        self,
        filt: RunFilter | None = None,
        *,
        where: str | None = None,
        order_by: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[Run], int]:
        """One page of runs matching ``filt`` and the ``where`` expression, in ``order_by``
        order (default newest first), with params, tags and metric summaries, and the total
        number of matches. Filtering, sorting, paging and counting happen in SQL; only the
        page's params, tags and summaries are read. Raises InvalidInput for a malformed
        expression, an unknown field or a bad limit/offset."""
        _check_paging(limit, offset)
        query = self.compile_query(where, order_by)
        conditions = _filter_conditions(filt)
        paged = limit is not None or bool(offset)
        # A filtered page is counted by a window over the same scan: the filter runs once.
        windowed = paged and (query.where is not None or bool(conditions))
        shown = [*RUNS.c, EXPERIMENTS.c.name.label("experiment_name")]
        if windowed:
            shown.append(func.count().over().label("matches_total"))
        page = query.apply(select(*shown).select_from(runs_with_experiments()).where(*conditions))
        page = _paged(page, limit, offset)
        with self.engine.connect() as conn, conn.begin():
            rows = conn.execute(page).all()
            if not paged:
                total = len(rows)
            elif windowed and rows:
                total = rows[0].matches_total
            else:  # unfiltered (a cheap count), or a page past the end
                counting = select(func.count()).select_from(runs_with_experiments())
                counted = query.apply(counting.where(*conditions), count=True)
                total = conn.execute(counted).scalar_one()
            runs = {row.run_id: _run_entity(row) for row in rows}
            if runs:
                self._fill(conn, runs, _ids_of(runs, page))
        return list(runs.values()), total

    def compile_query(
        self,
        where: str | None = None,
        order_by: str | None = None,
        columns: list[Field] | None = None,
    ) -> RunQuery:
        """The query language compiled for this store's database (see workbench.store.query)."""
        return compile_query(
            where,
            order_by,
            dialect=self.engine.dialect.name,
            columns=columns,
            lookup=self._key_holders,
        )

    def run_table(
        self,
        filt: RunFilter | None = None,
        *,
        where: str | None = None,
        order_by: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        columns: Sequence[str] | None = None,
    ) -> RunTable:
        """Matching runs as columns, for DataFrames: the base columns, and every param, last
        metric value and tag as (run_id, key, value) triples, in a few queries whatever the
        run count. With ``columns`` (query fields such as ``params.lr`` or
        ``metrics.acc.max``) the table holds exactly those, read in one query."""
        _check_paging(limit, offset)
        picked = None if columns is None else self._columns(columns)
        query = self.compile_query(
            where, order_by, None if picked is None else [f for _, f in picked]
        )
        if picked:  # columns keep the names they were asked by
            query.columns = [
                (n, e, h) for (n, _), (_, e, h) in zip(picked, query.columns, strict=True)
            ]
        with self.engine.connect() as conn, conn.begin():
            # Listing every live run is the common case: it reads params, metrics and tags
            # without an IN over the runs when no deleted run is there to leave out.
            narrowed = (filt is not None and filt != RunFilter()) or (
                conn.execute(
                    select(RUNS.c.run_id).where(RUNS.c.deleted_at.is_not(None)).limit(1)
                ).first()
                is not None
            )
            return read_run_table(
                conn,
                query,
                _filter_conditions(filt),
                limit=limit,
                offset=offset,
                picked=picked is not None,
                narrowed=narrowed,
            )

    def find_run_ids(self, text: str, limit: int = 10) -> list[str]:
        """Run ids equal to ``text`` (first) or starting with it (see ``ids_matching``)."""
        with self.engine.connect() as conn:
            return ids_matching(conn, RunRow.run_id, text, limit)

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

    def _fill(self, conn: Connection, runs: dict[str, Run], ids: list[str] | AnySelect) -> None:
        """Params, tags and metric summaries of ``runs`` (their ids, or a subquery of them)."""
        for rid, key, value in conn.execute(
            select(ParamRow.run_id, ParamRow.key, ParamRow.value).where(ParamRow.run_id.in_(ids))
        ):
            runs[rid].params[key] = json.loads(value)
        latest = LatestMetricRow.__table__
        for row in conn.execute(select(latest).where(latest.c.run_id.in_(ids))):
            run = runs[row.run_id]
            run.metrics[row.key] = row.value
            run.metric_summary[row.key] = MetricSummary(
                last=row.value,
                min=row.min_value,
                max=row.max_value,
                count=row.point_count,
                step=row.step,
                timestamp=row.timestamp,
            )
        for rid, key, value in conn.execute(
            select(TagRow.run_id, TagRow.key, TagRow.value).where(TagRow.run_id.in_(ids))
        ):
            runs[rid].tags[key] = value

    def _columns(self, columns: Sequence[str]) -> list[tuple[str, Field]]:
        names = [c.strip() for c in columns]
        if not names:
            raise InvalidInput("no columns asked for: name at least one field, or leave it out")
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise InvalidInput(f"column {doubled[0]!r} is asked for twice: name it once")
        return [(n, parse_field(n, self._key_holders)) for n in names]

    def _key_holders(self, name: str) -> list[str]:
        """Which of metrics, params and tags have a key ``name`` (for "did you mean")."""
        found = []
        with self.engine.connect() as conn:
            for prefix, table in (
                ("metrics", LatestMetricRow),
                ("params", ParamRow),
                ("tags", TagRow),
            ):
                if conn.execute(select(table.key).where(table.key == name).limit(1)).first():
                    found.append(prefix)
        return found


# The page's ids go into IN (...) as bound values up to this many, else as a subquery
# (SQLite allows 32,766 bound values per statement).
_MAX_BOUND_IDS = 1000


def _ids_of(runs: dict[str, Run], page: AnySelect) -> list[str] | AnySelect:
    if len(runs) <= _MAX_BOUND_IDS:
        return list(runs)
    return page.with_only_columns(RUNS.c.run_id)


def _histories(
    conn: Connection, run_ids: Sequence[str], keys: Sequence[str] | None = None
) -> dict[str, dict[str, list[MetricPoint]]]:
    query = select(
        MetricRow.run_id, MetricRow.key, MetricRow.value, MetricRow.step, MetricRow.timestamp
    )
    query = query.where(MetricRow.run_id.in_(list(run_ids)))
    if keys is not None:
        query = query.where(MetricRow.key.in_(list(keys)))
    out: dict[str, dict[str, list[MetricPoint]]] = {}
    rows = conn.execute(
        query.order_by(MetricRow.run_id, MetricRow.key, MetricRow.step, MetricRow.id)
    )
    for run_id, key, value, step, ts in rows:
        out.setdefault(run_id, {}).setdefault(key, []).append(
            MetricPoint(key=key, value=value, step=step, timestamp=ts)
        )
    return out


def _paged(select_: Select[Unpack[_Ts]], limit: int | None, offset: int) -> Select[Unpack[_Ts]]:
    if limit is not None:
        select_ = select_.limit(limit)
    if offset:
        select_ = select_.offset(offset)
    return select_


def _check_paging(limit: int | None, offset: int) -> None:
    for name, value in (("limit", limit), ("offset", offset)):
        if value is None and name == "limit":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput(f"{name} must be a whole number >= 0, not {value!r}")


def _filter_conditions(filt: RunFilter | None) -> list[ColumnElement[bool]]:
    filt = filt or RunFilter()
    out: list[ColumnElement[bool]] = []
    if filt.deleted is not None:
        deleted = RUNS.c.deleted_at
        out.append(deleted.is_not(None) if filt.deleted else deleted.is_(None))
    if filt.notebook is not None:
        out.append(RUNS.c.notebook == filt.notebook)
    if filt.experiment is not None:
        out.append(EXPERIMENTS.c.name == filt.experiment)
    if filt.status is not None:
        out.append(RUNS.c.status == RunStatus(filt.status).value)
    if filt.run_ids is not None:
        out.append(RUNS.c.run_id.in_(list(filt.run_ids)))
    if filt.sweep_id is not None:
        out.append(RUNS.c.sweep_id == filt.sweep_id)
    return out


def _run_entity(row: Row[Unpack[tuple[Any, ...]]]) -> Run:
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
        deleted_at=r.deleted_at,
    )
