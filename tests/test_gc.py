"""`workbench gc`: --dry-run lists, gc removes, exactly the orphans; deletion is a state."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.entities import RunStatus
from workbench.errors import Conflict
from workbench.store import Store, locate
from workbench.store.retention import GRACE_S

OLD = time.time() - GRACE_S - 600


def _age(path: Path) -> Path:
    os.utime(path, (OLD, OLD))
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / ".workbench"


@pytest.fixture
def world(home: Path) -> dict:
    """Live, deleted-long-ago, deleted-recently and exported-then-deleted runs, an orphan
    blob, a shared blob, stray temporary files and the scratch file of a running job."""
    store = Store(locate(home))
    keep = store.create_run(name="keep")
    store.put_artifact_bytes(keep, "shared.txt", b"shared by two runs")
    store.set_status(keep, RunStatus.SUCCEEDED)
    old = store.create_run(name="old")
    own = store.put_artifact_bytes(old, "own.txt", b"only the old run has this")
    store.put_artifact_bytes(old, "shared.txt", b"shared by two runs")
    store.set_status(old, RunStatus.SUCCEEDED)
    recent = store.create_run(name="recent")
    store.set_status(recent, RunStatus.SUCCEEDED)
    running = store.create_run(name="running")
    store.delete_runs([old, recent])
    with store.engine.begin() as conn:  # "old" was deleted 40 days ago
        conn.exec_driver_sql(
            "UPDATE runs SET deleted_at = ? WHERE run_id = ?", (time.time() - 40 * 86400, old)
        )
    for blob in store.blobs.root.glob("*/*"):
        _age(blob)
    orphan = hashlib.sha256(b"nobody").hexdigest()
    orphan_path = store.blobs.root / orphan[:2] / orphan
    orphan_path.parent.mkdir(parents=True, exist_ok=True)
    _age_tmp(orphan_path, b"nobody")
    fresh_orphan = hashlib.sha256(b"just written").hexdigest()
    fresh_path = store.blobs.root / fresh_orphan[:2] / fresh_orphan
    fresh_path.parent.mkdir(parents=True, exist_ok=True)
    fresh_path.write_bytes(b"just written")  # younger than the grace: left alone
    half = _age_tmp(store.blobs.root / orphan[:2] / ".tmp-abc", b"half")
    tmp = home / "tmp"
    tmp.mkdir(exist_ok=True)
    dead_scratch = _age_tmp(tmp / f"{'d' * 32}.ipynb", b"{}")
    live_scratch = _age_tmp(tmp / f"{running}.ipynb", b"{}")
    scratch_dir = tmp / "validate-xyz"
    scratch_dir.mkdir()
    _age_tmp(scratch_dir / "nb.ipynb", b"{}")
    _age(scratch_dir)
    store.close()
    return {
        "keep": keep, "old": old, "recent": recent, "running": running,
        "own": store.blobs.path(own.digest), "orphan": orphan_path, "fresh": fresh_path,
        "half": half, "dead_scratch": dead_scratch, "live_scratch": live_scratch,
        "scratch_dir": scratch_dir,
    }  # fmt: skip


def _age_tmp(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return _age(path)


def _gc(home: Path, *args: str) -> dict:
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "gc", "--json", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_dry_run_lists_and_gc_removes_exactly_the_orphans(home: Path, world: dict) -> None:
    expected_files = sorted(
        str(world[k]) for k in ("own", "orphan", "half", "dead_scratch", "scratch_dir")
    )
    listed = _gc(home, "--dry-run")
    assert listed["dry_run"] is True
    assert listed["runs"] == [world["old"]]
    assert sorted(f["path"] for f in listed["blobs"] + listed["temporary"]) == expected_files
    for key in ("own", "orphan", "half", "dead_scratch", "scratch_dir"):
        assert world[key].exists(), f"--dry-run removed {key}"
    store = Store(locate(home))
    assert store.get_run(world["old"]).deleted_at is not None
    store.close()

    removed = _gc(home)
    assert removed["runs"] == [world["old"]]
    assert sorted(f["path"] for f in removed["blobs"] + removed["temporary"]) == expected_files
    for key in ("own", "orphan", "half", "dead_scratch", "scratch_dir"):
        assert not world[key].exists(), f"gc left {key}"
    for key in ("fresh", "live_scratch"):
        assert world[key].exists(), f"gc removed {key}"
    store = Store(locate(home))
    names = {r.name for r in store.search_runs()[0]}
    assert names == {"keep", "running"}
    (recent,) = store.search_runs(_deleted())[0]
    assert recent.name == "recent"  # deleted 0 days ago: kept, restorable
    keep = store.get_run(world["keep"])
    assert store.blobs.read_bytes(keep.artifacts[0].digest) == b"shared by two runs"
    assert _gc(home)["runs"] == []  # nothing left to do
    store.close()


def test_delete_is_a_state_and_a_running_run_is_refused(home: Path, world: dict) -> None:
    store = Store(locate(home))
    with pytest.raises(Conflict, match="cancel it before deleting"):
        store.delete_runs([world["running"]])
    assert store.restore_runs([world["recent"]]) == 1
    assert {r.name for r in store.search_runs()[0]} == {"keep", "recent", "running"}
    store.close()


def _deleted():
    from workbench.store import RunFilter

    return RunFilter(deleted=True)
