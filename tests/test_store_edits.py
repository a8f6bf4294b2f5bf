"""Editing a run after the fact (name, tags) and listing the keys runs use, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.errors import InvalidInput, NotFound
from workbench.store import Store
from workbench.store.location import locate


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    s = Store(locate(tmp_path / ".workbench", url))
    yield s
    s.close()


def test_rename_and_tags_in_one_edit(store: Store) -> None:
    run_id = store.create_run(name="old", tags={"a": "1", "b": "2"})
    store.edit_run(run_id, name="new", set_tags={"b": "3", "c": "4"}, remove_tags=["a"])
    run = store.get_run(run_id, history=False)
    assert (run.name, run.tags) == ("new", {"b": "3", "c": "4"})
    store.edit_run(run_id, clear_name=True)
    assert store.get_run(run_id, history=False).name is None
    store.edit_run(run_id, remove_tags=["missing"])  # removing an absent tag is no error


def test_bad_edits_write_nothing(store: Store) -> None:
    run_id = store.create_run(name="keep", tags={"a": "1"})
    with pytest.raises(InvalidInput, match="tag name"):
        store.edit_run(run_id, name="changed", set_tags={"": "x"})
    with pytest.raises(InvalidInput, match="run name"):
        store.edit_run(run_id, name="x" * 251)
    run = store.get_run(run_id, history=False)
    assert (run.name, run.tags) == ("keep", {"a": "1"})
    with pytest.raises(NotFound):
        store.edit_run("f" * 32, name="x")


def test_field_keys(store: Store) -> None:
    assert store.field_keys() == {"params": [], "metrics": [], "tags": []}
    a = store.create_run(params={"lr": 0.1, "depth": 2}, tags={"team": "x"})
    b = store.create_run(params={"lr": 0.2})
    store.log_batch(a, metrics=[("loss", 1.0, 0, 0.0)])
    store.log_batch(b, metrics=[("acc", 0.5, 0, 0.0), ("loss", 0.5, 0, 0.0)])
    assert store.field_keys() == {
        "params": ["depth", "lr"],
        "metrics": ["acc", "loss"],
        "tags": ["team"],
    }
    assert store.field_keys(limit=1)["params"] == ["depth"]
