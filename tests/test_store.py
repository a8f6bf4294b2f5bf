"""The store on real SQLite files: schema, SQLite settings, location rules, artifacts."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from workbench.entities import RunError, RunStatus
from workbench.errors import InvalidInput, NotFound
from workbench.store import RunFilter, Store, find_home, locate
from workbench.store.engine import HEAD_REVISION, WRITE_OPTION, alembic_config
from workbench.store.schema import Base


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(locate(tmp_path / ".workbench"))
    yield s
    s.close()


def test_models_match_migrations(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    head = ScriptDirectory.from_config(alembic_config(store.engine)).get_current_head()
    assert head == HEAD_REVISION


def test_sqlite_settings(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_write_transactions_begin_immediate(store: Store) -> None:
    statements: list[str] = []
    from sqlalchemy import event

    def record(conn, cursor, statement, *args):
        statements.append((conn.get_execution_options().get(WRITE_OPTION, False), statement))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        run_id = store.create_run(experiment="e")
        store.log_batch(run_id, [("m", 1.0, 0, time.time())], params={"a": 1})
        store.set_status(run_id, RunStatus.SUCCEEDED)
        store.get_run(run_id)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    writes = [s for w, s in statements if w]
    reads = [s for w, s in statements if not w]
    assert writes.count("BEGIN IMMEDIATE") == 3
    assert "BEGIN IMMEDIATE" not in reads and "BEGIN" in reads
    # Every INSERT/UPDATE/DELETE runs on a write connection.
    assert not [s for s in reads if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]


def test_round_trip(store: Store) -> None:
    run_id = store.create_run(
        experiment="exp",
        name="first",
        notebook="/x/nb.ipynb",
        source="job",
        params={"lr": 0.1, "layers": [1, 2]},
        tags={"team": "a"},
    )
    store.log_batch(run_id, [("loss", 3.0, 0, 1.0), ("loss", 2.0, 1, 2.0), ("acc", 0.5, 0, 1.0)])
    store.log_batch(run_id, [("loss", 1.0, 2, 3.0)], params={"lr": 0.2})
    store.set_status(run_id, RunStatus.FAILED, error=RunError(name="ValueError", cell_index=3))
    run = store.get_run(run_id)
    assert run.params == {"lr": 0.2, "layers": [1, 2]}
    assert run.metrics == {"loss": 1.0, "acc": 0.5}
    assert [p.value for p in run.metric_history["loss"]] == [3.0, 2.0, 1.0]
    assert run.tags == {"team": "a"}
    assert run.status is RunStatus.FAILED and run.ended_at is not None
    assert run.error.name == "ValueError" and run.error.cell_index == 3
    assert run.experiment == "exp" and run.notebook == "/x/nb.ipynb"


def test_latest_metric_is_highest_step(store: Store) -> None:
    run_id = store.create_run()
    store.log_batch(run_id, [("m", 5.0, 5, 1.0)])
    store.log_batch(run_id, [("m", 1.0, 1, 2.0)])  # logged later, but an earlier step
    assert store.get_run(run_id).metrics == {"m": 5.0}


def test_search_filters_and_paging(store: Store) -> None:
    ids = [
        store.create_run(experiment="a" if i % 2 else "b", notebook=f"/n{i % 3}") for i in range(9)
    ]
    store.set_status(ids[0], RunStatus.SUCCEEDED)
    runs, total = store.search_runs(RunFilter(experiment="a"), limit=2, offset=1)
    assert total == 4 and len(runs) == 2
    assert {r.experiment for r in runs} == {"a"}
    assert store.search_runs(RunFilter(notebook="/n0"))[1] == 3
    done, n = store.search_runs(RunFilter(status=RunStatus.SUCCEEDED))
    assert n == 1 and done[0].run_id == ids[0]
    newest_first = [r.run_id for r in store.search_runs()[0]]
    assert newest_first == list(reversed(ids))


def test_bad_input_writes_nothing(store: Store) -> None:
    run_id = store.create_run()
    with pytest.raises(InvalidInput):
        store.log_batch(run_id, [("ok", 1.0, 0, 1.0)], params={"p": object()})
    with pytest.raises(InvalidInput):
        store.log_batch(run_id, [("ok", 1.0, 0, 1.0)], params={"": 1})
    assert store.count_metric_points(run_id) == 0
    with pytest.raises(NotFound):
        store.log_batch("nope", [("m", 1.0, 0, 1.0)])
    with pytest.raises(NotFound):
        store.get_run("nope")


def test_artifacts_content_addressed_and_atomic(store: Store, tmp_path: Path) -> None:
    run_id = store.create_run()
    f = tmp_path / "model.bin"
    f.write_bytes(b"weights" * 1000)
    a = store.put_artifact_file(run_id, "model.bin", str(f))
    b = store.put_artifact_bytes(run_id, "copy.bin", b"weights" * 1000)
    assert a.digest == b.digest and a.size == 7000
    blob = store.blobs.path(a.digest)
    assert blob.read_bytes() == f.read_bytes()
    assert blob.parent.name == a.digest[:2]
    assert not [p for p in blob.parent.iterdir() if p.name.startswith(".tmp-")]
    assert [x.name for x in store.get_run(run_id).artifacts] == ["model.bin", "copy.bin"]


def test_executed_notebook(store: Store) -> None:
    run_id = store.create_run()
    with pytest.raises(NotFound, match="no executed notebook"):
        store.executed_notebook(run_id)
    store.set_executed_notebook(run_id, b'{"cells": []}')
    assert json.loads(store.executed_notebook(run_id)) == {"cells": []}


def test_location_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_HOME", raising=False)
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    project = tmp_path / "project"
    deep = project / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_home() == deep / ".workbench"  # none found: created here
    (project / ".workbench").mkdir()
    assert find_home() == project / ".workbench"  # found upward, like .git
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "elsewhere"))
    assert find_home() == tmp_path / "elsewhere"
    monkeypatch.setenv("WORKBENCH_DB_URL", "sqlite:////tmp/other.db")
    loc = locate()
    assert loc.db_url == "sqlite:////tmp/other.db" and loc.home == tmp_path / "elsewhere"


def test_opening_existing_store_skips_migrations(tmp_path: Path) -> None:
    Store(locate(tmp_path)).close()
    db = sqlite3.connect(tmp_path / "workbench.db")
    assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]
    db.close()
    s = Store(locate(tmp_path))
    assert s.search_runs() == ([], 0)
    s.close()


# -- the same store on a real PostgreSQL server ----------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    s = Store(locate(tmp_path / ".workbench", db_url=url))
    yield s
    s.close()


def test_models_match_migrations_on_both_backends(any_store: Store) -> None:
    with any_store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_round_trip_on_both_backends(any_store: Store) -> None:
    store = any_store
    run_id = store.create_run(experiment="exp", params={"lr": 0.1, "n": [1, 2]}, tags={"t": "x"})
    store.log_batch(run_id, [("loss", 2.0, 0, 1.0), ("loss", 1.0, 1, 2.0)])
    store.log_batch(run_id, [("loss", 0.5, 2, 3.0)], params={"lr": 0.2})
    store.set_status(run_id, RunStatus.SUCCEEDED)
    other = store.create_run(experiment="other")
    run = store.get_run(run_id)
    assert run.params == {"lr": 0.2, "n": [1, 2]} and run.tags == {"t": "x"}
    assert run.metrics == {"loss": 0.5}
    assert [p.step for p in run.metric_history["loss"]] == [0, 1, 2]
    assert store.search_runs(RunFilter(experiment="exp"))[1] == 1
    assert store.find_run_ids(run_id[:8]) == [run_id]
    table = store.run_table()
    assert {r["run_id"] for r in table.runs} == {run_id, other}
    assert "loss" in {k for _, k, _ in table.metrics}


def test_concurrent_experiment_creation_on_both_backends(any_store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: any_store.create_run(experiment="shared"), range(16)))
    assert len(set(ids)) == 16
    assert any_store.experiments() == ["shared"]


def test_metric_summaries_kept_on_write_on_both_backends(any_store: Store) -> None:
    store = any_store
    run_id = store.create_run()
    # interleaved keys in one batch, then a later batch with an older step for "a"
    store.log_batch(
        run_id, [("a", 3.0, 0, 1.0), ("b", -1.0, 0, 1.0), ("a", 5.0, 2, 2.0), ("a", 4.0, 1, 3.0)]
    )
    store.log_batch(run_id, [("a", -2.0, 1, 4.0), ("b", 7.0, 3, 5.0), ("c", 0.5, 0, 5.0)])
    summary = store.get_run(run_id, history=False).metric_summary
    a, b, c = summary["a"], summary["b"], summary["c"]
    assert (a.last, a.step, a.min, a.max, a.count) == (5.0, 2, -2.0, 5.0, 4)
    assert (b.last, b.step, b.min, b.max, b.count) == (7.0, 3, -1.0, 7.0, 2)
    assert (c.last, c.min, c.max, c.count) == (0.5, 0.5, 0.5, 1)
    # same step and time: the point written last wins, as before
    store.log_batch(run_id, [("c", 9.0, 0, 5.0)])
    assert store.get_run(run_id).metrics["c"] == 9.0
    assert store.get_run(run_id).metric_summary["c"].count == 2


def test_nan_metric_refused_before_any_write_on_both_backends(any_store: Store) -> None:
    store = any_store
    run_id = store.create_run()
    with pytest.raises(InvalidInput, match="metric 'loss' got NaN"):
        store.log_batch(run_id, [("loss", 1.0, 0, 1.0), ("loss", float("nan"), 1, 2.0)])
    assert store.count_metric_points(run_id) == 0
    assert store.get_run(run_id).metric_summary == {}
    store.log_batch(run_id, [("loss", float("inf"), 0, 1.0), ("loss", 1.0, 1, 2.0)])
    loss = store.get_run(run_id).metric_summary["loss"]
    assert (loss.max, loss.min, loss.count) == (float("inf"), 1.0, 2)
