"""Counting the SQL statements a call sends through a store's engine (not a test module:
imported by the tests that prove a read costs a constant number of queries)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement ``engine`` runs while the block runs (SQLAlchemy's
    ``before_cursor_execute``; on SQLite that includes each read transaction's ``BEGIN``)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def selects(seen: list[str]) -> list[str]:
    """The queries among ``seen`` (transaction control left out)."""
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]
