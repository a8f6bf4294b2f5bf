"""The store: the only place in Workbench that speaks SQL.

One core write method, ``log_batch``, from which the tracking API's calls derive. Every
method takes and returns plain entities (workbench.entities); ORM rows stay here.
"""

from __future__ import annotations

import json
import math
import operator
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from workbench.entities import (
    Artifact,
    RunError,
    RunStatus,
    check_key,
)
from workbench.errors import InvalidInput, StoreReadOnly
from workbench.store.blobs import BlobStore
from workbench.store.edits import RunEdits
from workbench.store.engine import make_engine, migrate, write_connection
from workbench.store.exports import ExportStore
from workbench.store.jobs import JobStore
from workbench.store.location import StoreLocation, locate
from workbench.store.policy import DEFAULT_EXPERIMENT, lost_after
from workbench.store.reads import RunReads
from workbench.store.retention import RetentionStore
from workbench.store.rows import experiment_id, require_run, write_params, write_tags
from workbench.store.schema import ArtifactRow, LatestMetricRow, MetricRow, RunRow, table_of
from workbench.store.sweeps import SweepStore


class Store(RunReads, RunEdits, SweepStore, ExportStore, JobStore, RetentionStore):
    def __init__(self, location: StoreLocation, *, housekeeping: bool = True) -> None:
        self.location = location
        self.engine = make_engine(location)
        migrate(self.engine, location)
        self.blobs = BlobStore(location.artifact_root)
        self._metric_sql: tuple[str, list[str] | None] | None = None
        # Nothing stays running forever: whatever stopped beating while no Workbench
        # process watched it is marked lost when the next one starts (by one that can
        # write: a read-only store is still readable). A job's kernel leaves that to the
        # processes around it (``housekeeping=False``): a write transaction per job.
        if housekeeping:
            try:
                self.mark_lost(lost_after())
            except StoreReadOnly:
                pass

    def __repr__(self) -> str:
        return f"Store({self.location.db_url!r})"

    def close(self) -> None:
        self.engine.dispose()

    # -- writes -------------------------------------------------------------------------

    def create_run(
        self,
        *,
        experiment: str | None = None,
        name: str | None = None,
        notebook: str | None = None,
        notebook_sha256: str | None = None,
        source: str = "script",
        status: RunStatus = RunStatus.RUNNING,
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        provenance: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> str:
        experiment = check_key("experiment", experiment or DEFAULT_EXPERIMENT)
        if name is not None:
            check_key("run", name)
        run_id = run_id or uuid.uuid4().hex
        now = time.time()
        for attempt in range(2):
            try:
                with write_connection(self.engine) as conn, conn.begin():
                    exp_id = experiment_id(conn, experiment, now)
                    conn.execute(
                        table_of(RunRow)
                        .insert()
                        .values(
                            run_id=run_id,
                            name=name,
                            experiment_id=exp_id,
                            notebook=notebook,
                            notebook_sha256=notebook_sha256,
                            source=source,
                            status=RunStatus(status).value,
                            started_at=now,
                            heartbeat_at=now,
                            provenance=json.dumps(provenance or {}, default=str),
                        )
                    )
                    write_params(conn, run_id, params or {})
                    write_tags(conn, run_id, tags or {})
                return run_id
            except IntegrityError:
                # Another process created the same experiment between our read and insert
                # (PostgreSQL; SQLite serializes writers). Once more finds it.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def log_batch(
        self,
        run_id: str,
        metrics: Iterable[tuple[str, float, int, float]] = (),
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        """Write metric points (key, value, step, timestamp), params and tags at once."""
        points = list(metrics)
        summary = _summarize(points) if points else {}  # checks values before any write
        with write_connection(self.engine) as conn, conn.begin():
            require_run(conn, run_id)
            if points:
                self._insert_metrics(conn, run_id, points)
                _update_latest(conn, run_id, summary)
            if params:
                write_params(conn, run_id, params)
            if tags:
                write_tags(conn, run_id, tags)
            conn.execute(
                update(RunRow).where(RunRow.run_id == run_id).values(heartbeat_at=time.time())
            )

    def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: RunError | None = None,
        ended_at: float | None = None,
    ) -> None:
        status = RunStatus(status)
        values: dict[str, Any] = {"status": status.value, "heartbeat_at": time.time()}
        if status.finished:
            values["ended_at"] = ended_at or time.time()
        if error is not None or status is RunStatus.SUCCEEDED:
            # A success carries no error, even one an earlier status left (a run judged
            # lost while it was in fact still running, then ending well).
            error = error or RunError()
            values.update(
                error_name=error.name,
                error_value=error.value,
                error_cell_index=error.cell_index,
                error_reason=error.reason,
            )
        with write_connection(self.engine) as conn, conn.begin():
            require_run(conn, run_id)
            conn.execute(update(RunRow).where(RunRow.run_id == run_id).values(**values))

    def heartbeat(self, run_id: str) -> None:
        with write_connection(self.engine) as conn, conn.begin():
            conn.execute(
                update(RunRow).where(RunRow.run_id == run_id).values(heartbeat_at=time.time())
            )

    def put_artifact_bytes(self, run_id: str, name: str, data: bytes) -> Artifact:
        digest, size = self.blobs.put_bytes(data)
        return self._link_artifact(run_id, name, digest, size)

    def put_artifact_file(self, run_id: str, name: str, path: str) -> Artifact:
        digest, size = self.blobs.put_file(path)
        return self._link_artifact(run_id, name, digest, size)

    def set_executed_notebook(self, run_id: str, data: bytes) -> Artifact:
        artifact = self.put_artifact_bytes(run_id, "executed.ipynb", data)
        with write_connection(self.engine) as conn, conn.begin():
            conn.execute(
                update(RunRow)
                .where(RunRow.run_id == run_id)
                .values(executed_notebook=artifact.digest)
            )
        return artifact

    def merge_provenance(self, run_id: str, extra: dict[str, Any]) -> None:
        with write_connection(self.engine) as conn, conn.begin():
            current = conn.execute(
                select(RunRow.provenance).where(RunRow.run_id == run_id)
            ).scalar_one_or_none()
            merged = {**json.loads(current or "{}"), **extra}
            conn.execute(
                update(RunRow)
                .where(RunRow.run_id == run_id)
                .values(provenance=json.dumps(merged, default=str))
            )

    # -- internals ----------------------------------------------------------------------

    def _insert_metrics(self, conn: Connection, run_id: str, points: list[_Point]) -> None:
        # The hot path of wb.log_metric: a driver-level executemany of plain tuples costs a
        # third of building one dict per point. The SQL is compiled for this dialect; its
        # placeholders follow the table's column order.
        if self._metric_sql is None:
            compiled = (
                table_of(MetricRow)
                .insert()
                .compile(
                    dialect=self.engine.dialect,
                    column_keys=["run_id", "key", "value", "step", "timestamp"],
                )
            )
            self._metric_sql = (str(compiled), compiled.positiontup)
        sql, order = self._metric_sql
        rows: list[tuple[Any, ...]] | list[dict[str, Any]]
        if order == ["run_id", "key", "step", "value", "timestamp"]:
            rows = [(run_id, k, s, v, t) for k, v, s, t in points]
        elif order is None:  # named paramstyle (psycopg)
            rows = [
                {"run_id": run_id, "key": k, "value": v, "step": s, "timestamp": t}
                for k, v, s, t in points
            ]
        else:
            index = {"run_id": 0, "key": 1, "value": 2, "step": 3, "timestamp": 4}
            pick = operator.itemgetter(*(index[name] for name in order))
            rows = [pick((run_id, k, v, s, t)) for k, v, s, t in points]
        conn.exec_driver_sql(sql, rows)

    def _link_artifact(self, run_id: str, name: str, digest: str, size: int) -> Artifact:
        check_key("artifact", name)
        now = time.time()
        with write_connection(self.engine) as conn, conn.begin():
            require_run(conn, run_id)
            conn.execute(
                delete(ArtifactRow).where(ArtifactRow.run_id == run_id, ArtifactRow.name == name)
            )
            conn.execute(
                table_of(ArtifactRow)
                .insert()
                .values(run_id=run_id, name=name, digest=digest, size=size, created_at=now)
            )
        return Artifact(name=name, digest=digest, size=size, created_at=now)


# A metric point as logged: (key, value, step, timestamp)
_Point = tuple[str, float, int, float]
# (step, timestamp, value) of the last point, min, max, count
_Summary = tuple[int, float, float, float, float, int]
_SUMMARY_COLUMNS = ("key", "step", "timestamp", "value", "min_value", "max_value", "point_count")
# executemany parameters may not be named like the columns they set
_SUMMARY_BINDS = tuple(f"b_{c}" for c in _SUMMARY_COLUMNS)


def _update_latest(conn: Connection, run_id: str, batch: dict[str, _Summary]) -> None:
    """Fold a batch's summaries (``_summarize``) into the stored ones."""
    table = table_of(LatestMetricRow)
    existing = {
        row.key: row
        for row in conn.execute(
            select(
                table.c.key,
                table.c.step,
                table.c.timestamp,
                table.c.value,
                table.c.min_value,
                table.c.max_value,
                table.c.point_count,
            ).where(table.c.run_id == run_id, table.c.key.in_(list(batch)))
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key, (step, ts, value, low, high, count) in batch.items():
        old = existing.get(key)
        if old is not None:
            if (step, ts) < (old.step, old.timestamp):  # an older batch: the last stays
                step, ts, value = old.step, old.timestamp, old.value
            low, high = min(low, old.min_value), max(high, old.max_value)
            count += old.point_count
        row = (key, step, ts, value, low, high, count)
        (inserts if old is None else updates).append(dict(zip(_SUMMARY_BINDS, row, strict=True)))
    names = dict(zip(_SUMMARY_COLUMNS, _SUMMARY_BINDS, strict=True))
    if inserts:
        conn.execute(
            table.insert().values(run_id=run_id, **{c: bindparam(b) for c, b in names.items()}),
            inserts,
        )
    if updates:
        key = names.pop("key")
        conn.execute(
            table.update()
            .where(table.c.run_id == run_id, table.c.key == bindparam(key))
            .values(**{c: bindparam(b) for c, b in names.items()}),
            updates,
        )


def check_metric_values(key: str, values: list[float]) -> None:
    """The one rule for metric values, met by every writer (log_batch: the fluent API, the
    server, users): no NaN, which has no order, so no min, max or last. One sum in C says
    whether there may be one; only then are the values looked at one by one."""
    total = sum(values)
    if total != total and any(map(math.isnan, values)):  # else only inf - inf
        raise InvalidInput(
            f"metric {key!r} got NaN: log a number, or skip the point "
            "(for example `if math.isfinite(loss): wb.log_metric(...)`)"
        )


def _summarize(points: list[_Point]) -> dict[str, _Summary]:
    """Per key: (step, timestamp, value) of the last point, then min, max and count.

    The last point is the highest (step, timestamp); among equals the one written last.
    Grouping is the only Python loop; min and max run in C over each key's values.
    """
    keys = set(map(_key_of, points))
    groups: dict[str, list[_Point]]
    if len(keys) == 1:  # the common batch: one metric
        groups = {keys.pop(): points}
    else:
        groups = {}
        for p in points:
            group = groups.get(p[0])
            if group is None:
                groups[p[0]] = [p]
            else:
                group.append(p)
    out: dict[str, _Summary] = {}
    for key, group in groups.items():
        values = list(map(_value_of, group))
        check_metric_values(key, values)
        _, value, step, ts = max(reversed(group), key=_point_order)
        out[key] = (step, ts, value, min(values), max(values), len(values))
    return out


_point_order = operator.itemgetter(2, 3)
_key_of = operator.itemgetter(0)
_value_of = operator.itemgetter(1)

_stores: dict[tuple[str, str], Store] = {}
_stores_lock = threading.Lock()


def open_store(
    home: str | None = None, db_url: str | None = None, *, housekeeping: bool = True
) -> Store:
    """The store for this location (found by the rules in workbench.store.location), one
    per location in a process. The first open marks stale runs lost unless
    ``housekeeping`` is False (a job's kernel: its runner does it)."""
    location = locate(home, db_url)
    key = (str(location.home), location.db_url)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = Store(location, housekeeping=housekeeping)
        return store


def close_stores() -> None:
    """Close every store :func:`open_store` opened in this process (a later call opens it
    again)."""
    with _stores_lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()
