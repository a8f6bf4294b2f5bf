"""Store rules every face shares: a cap on parameter values, one file mode for the store's
files, and SQLite's WAL mode verified rather than assumed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.errors import InvalidInput, StoreError
from workbench.store import Store
from workbench.store.location import StoreLocation
from workbench.store.policy import MAX_PARAM_BYTES


def _store(home: Path) -> Store:
    return Store(StoreLocation(home=home, db_url=f"sqlite:///{home / 'workbench.db'}"))


def test_a_huge_parameter_value_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = _store(tmp_path / "home")
    run_id = store.create_run(params={"ok": 1})
    with pytest.raises(InvalidInput, match=r"parameter 'blob' is .* capped at 65,536"):
        store.log_batch(run_id, params={"small": 2, "blob": "x" * MAX_PARAM_BYTES})
    with pytest.raises(InvalidInput, match="capped"):
        store.create_run(params={"blob": ["y"] * MAX_PARAM_BYTES})
    assert store.get_run(run_id).params == {"ok": 1}  # "small" was not written either
    assert store.search_runs()[1] == 1
    just_fits = "z" * (MAX_PARAM_BYTES - 2)  # two quotes make it exactly the cap
    store.log_batch(run_id, params={"fits": just_fits})
    assert store.get_run(run_id).params["fits"] == just_fits


def test_workbench_run_refuses_a_huge_parameter_in_one_line(tmp_path: Path) -> None:
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path / "home")}
    env.pop("WORKBENCH_DB_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(notebook), "--allow-unknown",
         "-p", "big", "x" * 70_000],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done
    assert len(done.stderr.strip().splitlines()) == 1 and "capped" in done.stderr
    assert _store(tmp_path / "home").search_runs()[1] == 0


def test_artifacts_follow_the_umask_like_the_database(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        store = _store(tmp_path / "home")
        run_id = store.create_run()
        artifact = store.put_artifact_bytes(run_id, "a.txt", b"hello")
        store.close()
    finally:
        os.umask(old)
    blob = store.blobs.path(artifact.digest)
    db = tmp_path / "home" / "workbench.db"
    assert stat.S_IMODE(blob.stat().st_mode) == 0o640
    assert stat.S_IMODE(blob.stat().st_mode) == stat.S_IMODE(db.stat().st_mode)


def test_a_filesystem_without_wal_is_named(tmp_path: Path, monkeypatch) -> None:
    """SQLite answers the WAL pragma with the mode it could set; anything but wal is said."""
    from workbench.store import engine as engine_module

    monkeypatch.setattr(engine_module, "_WAL_PRAGMA", "PRAGMA journal_mode=DELETE")
    with pytest.raises(StoreError, match="cannot use WAL mode .* journal_mode='delete'"):
        _store(tmp_path / "home")
