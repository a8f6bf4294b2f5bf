"""Row readers and writers Store's parts share (runs, sweeps): each runs on the caller's
connection (a writer in the caller's write transaction)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, case, delete, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from workbench.entities import check_key
from workbench.errors import InvalidInput, NotFound
from workbench.store.policy import MAX_PARAM_BYTES
from workbench.store.schema import ExperimentRow, ParamRow, RunRow, TagRow, table_of


def experiment_id(conn: Connection, name: str, now: float) -> int:
    """The experiment's id, created if it is new."""
    found = conn.execute(
        select(ExperimentRow.experiment_id).where(ExperimentRow.name == name)
    ).scalar_one_or_none()
    if found is not None:
        return found
    created = conn.execute(table_of(ExperimentRow).insert().values(name=name, created_at=now))
    key = created.inserted_primary_key
    assert key is not None  # typed optional; a one-row INSERT without RETURNING has one
    return int(key[0])


def ids_matching(
    conn: Connection, column: InstrumentedAttribute[str], text: str, limit: int
) -> list[str]:
    """Ids equal to ``text`` (first), then those starting with it, in id order: one query on
    the id column alone. Only hex digits make a prefix (so LIKE needs no escaping)."""
    match = column == text
    if text and all(c in "0123456789abcdef" for c in text.lower()):
        match = or_(match, column.like(text.lower() + "%"))
    exact_first = case((column == text, 0), else_=1)
    return list(
        conn.execute(
            select(column).where(match).order_by(exact_first, column).limit(limit)
        ).scalars()
    )


def require_run(conn: Connection, run_id: str) -> None:
    if conn.execute(select(RunRow.run_id).where(RunRow.run_id == run_id)).first() is None:
        raise NotFound(f"no run with id {run_id!r}: list runs with `workbench runs`")


def write_params(conn: Connection, run_id: str, params: dict[str, Any]) -> None:
    if not params:
        return
    # Re-running a cell may log a parameter again with a new value: the last one wins.
    keys = [check_key("param", k) for k in params]
    conn.execute(delete(ParamRow).where(ParamRow.run_id == run_id, ParamRow.key.in_(keys)))
    try:
        rows = [
            {"run_id": run_id, "key": k, "value": json.dumps(v, allow_nan=False)}
            for k, v in params.items()
        ]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"a parameter value cannot be stored ({exc}): log numbers, strings, "
            "booleans, None, or lists and dicts of those"
        ) from None
    for row in rows:
        if len(row["value"]) > MAX_PARAM_BYTES:
            raise InvalidInput(
                f"parameter {row['key']!r} is {len(row['value']):,} characters as JSON; "
                f"values are capped at {MAX_PARAM_BYTES:,}: log large data as an "
                "artifact (wb.log_artifact) and its name or digest as the parameter"
            )
    conn.execute(table_of(ParamRow).insert(), rows)


def write_tags(conn: Connection, run_id: str, tags: dict[str, str]) -> None:
    if not tags:
        return
    keys = [check_key("tag", k) for k in tags]
    conn.execute(delete(TagRow).where(TagRow.run_id == run_id, TagRow.key.in_(keys)))
    conn.execute(
        table_of(TagRow).insert(),
        [{"run_id": run_id, "key": k, "value": str(v)} for k, v in tags.items()],
    )
