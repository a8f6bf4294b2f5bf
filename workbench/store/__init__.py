"""Workbench's store: runs, params, metrics, tags and artifacts (SQLite or PostgreSQL).

The names below load on first use (PEP 562), so that ``import workbench`` does not pay for
SQLAlchemy (about 150 ms) until something actually touches the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.store.location import StoreLocation, find_home, locate
    from workbench.store.policy import DEFAULT_EXPERIMENT
    from workbench.store.reads import RunFilter
    from workbench.store.store import Store, open_store
    from workbench.store.tables import RunTable

_HOMES = {
    "DEFAULT_EXPERIMENT": "workbench.store.policy",
    "RunFilter": "workbench.store.reads",
    "RunTable": "workbench.store.tables",
    "Store": "workbench.store.store",
    "StoreLocation": "workbench.store.location",
    "find_home": "workbench.store.location",
    "locate": "workbench.store.location",
    "open_store": "workbench.store.store",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'workbench.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = [
    "DEFAULT_EXPERIMENT",
    "RunFilter",
    "RunTable",
    "Store",
    "StoreLocation",
    "find_home",
    "locate",
    "open_store",
]
