"""Runs as columns, for DataFrames (``wb.runs()``): few queries, plain tuples, bulk decoding.

Listing 10,000 runs with 15 params and metrics each reads about 160,000 rows. Through
SQLAlchemy's Row objects that costs three times the query itself, so these bulk reads take
the statement SQLAlchemy compiled and run it on the DBAPI cursor of the same connection
(inside the same transaction), and JSON params are decoded in one call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from workbench.store.query import EXPERIMENTS, RUNS, RunQuery, runs_with_experiments
from workbench.store.schema import LatestMetricRow, ParamRow, TagRow

if TYPE_CHECKING:
    from typing import TypeVarTuple, Unpack

    _Ts = TypeVarTuple("_Ts")
    AnySelect = Select[Unpack[tuple[Any, ...]]]

# The base columns of a run table, in order (duration_s is computed by the frame).
BASE = (
    ("run_id", RUNS.c.run_id),
    ("name", RUNS.c.name),
    ("experiment", EXPERIMENTS.c.name),
    ("notebook", RUNS.c.notebook),
    ("source", RUNS.c.source),
    ("status", RUNS.c.status),
    ("started_at", RUNS.c.started_at),
    ("ended_at", RUNS.c.ended_at),
)


@dataclass
class RunTable:
    """Columns of a table of runs. ``data`` maps each column to its values (one per run,
    in order); without asked-for columns, every param, last metric value and tag comes as
    (run_id, key, value) triples beside the base columns."""

    columns: list[str]
    data: dict[str, list[Any]]
    params: list[tuple[str, str, Any]] = field(default_factory=list)
    metrics: list[tuple[str, str, float]] = field(default_factory=list)
    tags: list[tuple[str, str, str]] = field(default_factory=list)
    total: int = 0  # matches before paging
    picked: bool = False  # True when ``columns`` were asked for: data holds exactly those

    @property
    def runs(self) -> list[dict[str, Any]]:
        """One dict per run (row-wise view of ``data``)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows()]

    def rows(self) -> list[list[Any]]:
        """One list of values per run, in ``columns`` order."""
        values = [self.data[c] for c in self.columns]
        return [list(row) for row in zip(*values, strict=True)]


def read_run_table(
    conn: Connection,
    query: RunQuery,
    conditions: list[ColumnElement[bool]],
    *,
    limit: int | None,
    offset: int,
    picked: bool,
    narrowed: bool,
) -> RunTable:
    """Call inside one transaction of ``conn`` (``conn.begin()``): one snapshot for all.
    ``narrowed`` says ``conditions`` leave out runs the store has (not only in principle)."""
    if picked:
        shown = [expr.label(label) for label, expr, _ in query.columns]
        names = [label for label, _, _ in query.columns]
    else:
        shown = [expr.label(name) for name, expr in BASE]
        names = [name for name, _ in BASE]
    page = query.apply(select(*shown).select_from(runs_with_experiments()).where(*conditions))
    if limit is not None:
        page = page.limit(limit)
    if offset:
        page = page.offset(offset)
    total = None
    if limit is not None or offset:
        counting = select(func.count()).select_from(runs_with_experiments()).where(*conditions)
        total = conn.execute(query.apply(counting, count=True)).scalar_one()
    rows = plain_rows(conn, page)
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in names]
    table = RunTable(names, dict(zip(names, columns, strict=True)), picked=picked)
    table.total = len(rows) if total is None else total
    if picked:
        for label, _, how in query.columns:
            if how == "json":
                table.data[label] = decode_json(table.data[label])
        return table
    # Params, metrics and tags of the matching runs; all of them when nothing narrows.
    ids = None
    if narrowed or query.where is not None or limit is not None or offset:
        ids = page.with_only_columns(RUNS.c.run_id)
    params = _of_runs(select(ParamRow.run_id, ParamRow.key, ParamRow.value), ids)
    triples = plain_rows(conn, params)
    values = decode_json([t[2] for t in triples])
    table.params = [(t[0], t[1], v) for t, v in zip(triples, values, strict=True)]
    latest = select(LatestMetricRow.run_id, LatestMetricRow.key, LatestMetricRow.value)
    table.metrics = plain_rows(conn, _of_runs(latest, ids))
    table.tags = plain_rows(conn, _of_runs(select(TagRow.run_id, TagRow.key, TagRow.value), ids))
    return table


def _of_runs(select_: Select[Unpack[_Ts]], ids: Select[str] | None) -> Select[Unpack[_Ts]]:
    if ids is None:
        return select_
    run_id = select_.selected_columns[0]
    return select_.where(run_id.in_(ids))


def plain_rows(conn: Connection, statement: AnySelect) -> list[tuple[Any, ...]]:
    """The rows of a compiled statement as plain tuples from the DBAPI cursor."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    order = compiled.positiontup
    args: Any = [params[name] for name in order] if order is not None else params
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        # PEP 249 promises a sequence of sequences; sqlite3 and psycopg give lists of tuples
        return cast(list[tuple[Any, ...]], cursor.fetchall())
    finally:
        cursor.close()


def decode_json(texts: list[Any]) -> list[Any]:
    """JSON texts decoded in one C-level call (a list of them) instead of one per value."""
    if not texts:
        return []
    if None not in texts:
        try:
            values: list[Any] = json.loads("[" + ",".join(texts) + "]")
        except ValueError:
            pass
        else:
            if len(values) == len(texts):
                return values
    return [None if t is None else json.loads(t) for t in texts]
