"""Workbench's store: runs, params, metrics, tags and artifacts (SQLite or PostgreSQL)."""

from workbench.store.location import StoreLocation, find_home, locate
from workbench.store.reads import RunFilter, RunTable
from workbench.store.store import DEFAULT_EXPERIMENT, Store, open_store

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
