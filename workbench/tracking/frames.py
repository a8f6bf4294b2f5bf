"""Runs as a pandas DataFrame: one row per run, params./metrics./tags. columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.store import RunFilter, Store

if TYPE_CHECKING:
    import pandas as pd

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


def runs_frame(store: Store, filt: RunFilter | None = None) -> pd.DataFrame:
    import pandas as pd

    table = store.run_table(filt)
    rows = {r["run_id"]: dict(r) for r in table.runs}
    extra: dict[str, set[str]] = {"params": set(), "metrics": set(), "tags": set()}
    for prefix, triples in (
        ("params", table.params),
        ("metrics", table.metrics),
        ("tags", table.tags),
    ):
        for run_id, key, value in triples:
            column = f"{prefix}.{key}"
            extra[prefix].add(column)
            row = rows.get(run_id)
            if row is not None:
                row[column] = value
    columns = BASE_COLUMNS + [c for p in ("params", "metrics", "tags") for c in sorted(extra[p])]
    records = list(rows.values())
    frame = pd.DataFrame.from_records(records, columns=columns)
    # Params keep their JSON types: an int stays an int where other runs lack the param.
    for column in sorted(extra["params"]):
        frame[column] = pd.Series([r.get(column) for r in records], dtype=object)
    ended = frame["ended_at"].astype("float64")
    frame["duration_s"] = ended - frame["started_at"].astype("float64")
    for col in ("started_at", "ended_at"):
        frame[col] = pd.to_datetime(frame[col].astype("float64"), unit="s", utc=True)
    return frame
