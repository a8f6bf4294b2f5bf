"""Runs as a pandas DataFrame: one row per run, params./metrics./tags. columns; and the
fluent API's reads (``wb.runs()``, ``wb.get_run()``), which see this process's buffered
points."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.entities import Run, RunStatus
from workbench.tracking.fluent import flush, open_store

if TYPE_CHECKING:
    import pandas as pd

    from workbench.store import RunFilter, RunTable, Store

BASE_COLUMNS = [
    "run_id",
    "name",
    "experiment",
    "notebook",
    "source",
    "status",
    "started_at",
    "ended_at",
    "duration_s",
]
_TIMES = ("started_at", "ended_at")


def runs_frame(
    store: Store,
    filt: RunFilter | None = None,
    *,
    where: str | None = None,
    order_by: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    columns: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """Matching runs (the query language's ``where``/``order_by``, newest first by default),
    one row each. By default every param, last metric value and tag gets a column; with
    ``columns`` (query fields, a list or a comma-separated string, e.g.
    ``"name, params.lr, metrics.acc.max"``) the frame has exactly those, in that order."""
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    with _gc_paused():
        table = store.run_table(
            filt, where=where, order_by=order_by, limit=limit, offset=offset, columns=columns
        )
        return _frame(table)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Hundreds of thousands of small acyclic objects (rows, values) are made here: left on,
    the cycle collector would walk the whole heap (pandas' too) several times over them,
    a third of the time on a first call. They hold no cycles, so nothing is missed."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _frame(table: RunTable) -> pd.DataFrame:
    import pandas as pd

    n = len(table.data[table.columns[0]]) if table.columns else 0
    if table.picked:
        series = {c: _series(c, table.data[c], n) for c in table.columns}
        return pd.DataFrame(series, columns=table.columns)
    data: dict[str, Any] = dict(table.data)
    ended = pd.Series(data["ended_at"], dtype="float64")
    data["duration_s"] = ended - pd.Series(data["started_at"], dtype="float64")
    index = {run_id: i for i, run_id in enumerate(data["run_id"])}
    extra: dict[str, list[Any]] = {}
    for prefix, triples in (
        ("params", table.params),
        ("metrics", table.metrics),
        ("tags", table.tags),
    ):
        found: dict[str, list[Any]] = {}
        for run_id, key, value in triples:
            column = found.get(key)
            if column is None:
                column = found[key] = [None] * n
            column[index[run_id]] = value
        for key in sorted(found):
            extra[f"{prefix}.{key}"] = found[key]
    series = {c: _series(c, v, n) for c, v in {**data, **extra}.items()}
    return pd.DataFrame(series, columns=BASE_COLUMNS + list(extra))


def _series(column: str, values: Any, n: int) -> Any:
    import pandas as pd

    if isinstance(values, pd.Series):
        return values
    if column in _TIMES:
        return pd.to_datetime(pd.Series(values, dtype="float64"), unit="s", utc=True)
    if column.startswith("metrics."):
        whole = column.endswith((".count", ".step"))
        return pd.Series(values, dtype="Int64" if whole else "float64")
    if column == "duration_s":
        return pd.Series(values, dtype="float64")
    # Params keep their JSON types: an int stays an int where other runs lack the param.
    return pd.Series(values, dtype=object) if n else pd.Series([], dtype=object)


def runs(
    notebook: str | os.PathLike[str] | None = None,
    experiment: str | None = None,
    status: RunStatus | str | None = None,
    *,
    where: str | None = None,
    order_by: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    columns: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """Runs as a DataFrame, newest first, one row per run.

        wb.runs(where="metrics.accuracy > 0.9 and params.model = 'tree'",
                order_by="metrics.accuracy desc", limit=20)

    ``where`` and ``order_by`` use the runs query language (fields: run_id, name, status,
    source, experiment, notebook, sweep, started_at, ended_at, duration_s, params.NAME,
    metrics.NAME with .min/.max/.count, tags.NAME); ``columns`` picks the frame's columns
    from the same fields (default: all base columns, params, last metric values and tags).
    """
    from workbench.store import RunFilter

    flush()  # this process's buffered points first
    filt = None
    if notebook or experiment or status:
        filt = RunFilter(
            notebook=str(Path(notebook).resolve()) if notebook else None,
            experiment=experiment,
            status=RunStatus.parse(status) if status else None,
        )
    return runs_frame(
        open_store(),
        filt,
        where=where,
        order_by=order_by,
        limit=limit,
        offset=offset,
        columns=columns,
    )


def get_run(run_id: str) -> Run:
    """One run, with its metrics' history (this process's buffered points written first)."""
    flush()
    return open_store().get_run(run_id)
