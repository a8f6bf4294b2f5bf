"""Migrations 0004 and 0005 on a store written at schema 0003 (the previous release's), in
place.

The old store is made by Alembic itself (upgrade to 0003) and filled with plain SQL the way
the previous release wrote it: runs, params, tags, metric histories with their last-point
rows, artifacts with their blobs, a sweep. Opening it with the current code must migrate it,
keep everything readable, compute the new per-key summaries from the histories (0004), and
claim each job key for its best run (0005).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from workbench.entities import RunStatus, SweepOptions
from workbench.store import Store, locate
from workbench.store.blobs import BlobStore
from workbench.store.engine import HEAD_REVISION, alembic_config, current_revision, make_engine
from workbench.store.location import StoreLocation
from workbench.store.schema import Base

# (run, key) -> points (step, value, timestamp), as written by the previous release
HISTORY = {
    ("run_a", "loss"): [(0, 3.0, 1.0), (1, 1.5, 2.0), (2, 2.0, 3.0)],
    ("run_a", "acc"): [(0, 0.25, 1.0), (5, 0.75, 2.0), (3, 0.9, 9.0)],  # last = highest step
    ("run_b", "loss"): [(0, -4.0, 1.0)],
    ("run_b", "orphan"): [(0, 1.0, 1.0), (1, 2.0, 2.0)],  # history without a summary row
}


@pytest.fixture(params=["sqlite", "postgresql"])
def old_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreLocation]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    location = locate(tmp_path / ".workbench", db_url=url)
    engine = make_engine(location)
    command.upgrade(alembic_config(engine), "0003")
    assert current_revision(engine) == "0003"
    _write_like_the_previous_release(engine, BlobStore(location.artifact_root))
    engine.dispose()
    yield location


def _write_like_the_previous_release(engine: sa.Engine, blobs: BlobStore) -> None:
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    digest, size = blobs.put_bytes(b"model weights")
    with engine.begin() as conn:
        conn.execute(t["experiments"].insert(), [{"name": "old", "created_at": 1.0}])
        exp_id = conn.execute(sa.select(t["experiments"].c.experiment_id)).scalar_one()
        conn.execute(
            t["sweeps"].insert(),
            [
                {
                    "sweep_id": "sweep_1",
                    "notebook": "/nb.ipynb",
                    "notebook_sha256": "0" * 64,
                    "experiment_id": exp_id,
                    "spec": "{}",
                    "options": "{}",
                    "status": "succeeded",
                    "created_at": 1.0,
                }
            ],
        )
        runs = [
            ("run_a", "first", "succeeded", 10.0, 20.0, None),
            ("run_b", None, "failed", 30.0, 31.0, "sweep_1"),
            ("run_c", "empty", "succeeded", 40.0, 41.0, None),
        ]
        conn.execute(
            t["runs"].insert(),
            [
                {
                    "run_id": rid,
                    "name": name,
                    "experiment_id": exp_id,
                    "notebook": "/nb.ipynb",
                    "source": "job",
                    "status": status,
                    "started_at": start,
                    "ended_at": end,
                    "provenance": json.dumps({"host": "old"}),
                    "sweep_id": sweep,
                    "job_key": None if sweep is None else f"key_{rid}",
                    "attempt": 1,
                }
                for rid, name, status, start, end, sweep in runs
            ],
        )
        conn.execute(
            t["params"].insert(),
            [
                {"run_id": "run_a", "key": "lr", "value": "0.1"},
                {"run_id": "run_a", "key": "model", "value": '"tree"'},
                {"run_id": "run_b", "key": "lr", "value": "0.5"},
            ],
        )
        conn.execute(t["tags"].insert(), [{"run_id": "run_a", "key": "team", "value": "a"}])
        conn.execute(
            t["metrics"].insert(),
            [
                {"run_id": r, "key": k, "step": s, "value": v, "timestamp": ts}
                for (r, k), points in HISTORY.items()
                for s, v, ts in points
            ],
        )
        latest = []
        for (r, k), points in HISTORY.items():
            if k == "orphan":
                continue
            s, v, ts = max(points, key=lambda p: (p[0], p[2]))
            latest.append({"run_id": r, "key": k, "step": s, "value": v, "timestamp": ts})
        conn.execute(t["latest_metrics"].insert(), latest)
        conn.execute(
            t["artifacts"].insert(),
            [
                {
                    "run_id": "run_a",
                    "name": "model.bin",
                    "digest": digest,
                    "size": size,
                    "created_at": 15.0,
                }
            ],
        )


def test_old_store_is_upgraded_in_place(old_location: StoreLocation) -> None:
    store = Store(old_location)  # migrates
    try:
        assert current_revision(store.engine) == HEAD_REVISION == "0005"
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []

        a = store.get_run("run_a")
        assert (a.name, a.status, a.experiment) == ("first", RunStatus.SUCCEEDED, "old")
        assert a.params == {"lr": 0.1, "model": "tree"} and a.tags == {"team": "a"}
        assert a.provenance == {"host": "old"}
        assert a.metrics == {"loss": 2.0, "acc": 0.75}
        assert [p.value for p in a.metric_history["loss"]] == [3.0, 1.5, 2.0]
        assert len(a.metric_history["acc"]) == 3
        [artifact] = a.artifacts
        assert artifact.name == "model.bin"
        assert store.blobs.read_bytes(artifact.digest) == b"model weights"

        for (run_id, key), points in HISTORY.items():
            summary = store.get_run(run_id, history=False).metric_summary[key]
            values = [v for _, v, _ in points]
            last_step, last_value, last_ts = max(points, key=lambda p: (p[0], p[2]))
            assert (summary.min, summary.max, summary.count) == (
                min(values),
                max(values),
                len(values),
            ), key
            assert (summary.last, summary.step, summary.timestamp) == (
                last_value,
                last_step,
                last_ts,
            )

        b = store.get_run("run_b")
        assert b.name is None and b.status is RunStatus.FAILED and b.params == {"lr": 0.5}
        assert store.get_run("run_c").metrics == {}
        assert store.count_metric_points() == sum(len(p) for p in HISTORY.values())
        assert store.get_sweep("sweep_1").status is RunStatus.SUCCEEDED

        # 0005: run_b (failed) holds its job's claim, so a new sweep may claim it again;
        # nothing is deleted.
        with store.engine.connect() as conn:
            claims = conn.execute(sa.text("SELECT job_key, run_id FROM job_claims")).all()
        assert [tuple(c) for c in claims] == [("key_run_b", "run_b")]
        again = store.create_sweep(
            notebook="/nb.ipynb",
            notebook_sha256="0" * 64,
            experiment="old",
            spec={},
            options=SweepOptions(),
            jobs=[({"lr": 0.5}, "key_run_b")],
        )
        assert again.queued == 1
        assert store.search_runs(where="name = 'first'")[0][0].params == {
            "lr": 0.1,
            "model": "tree",
        }

        # The upgraded store answers the query language and keeps summing on new writes.
        runs, total = store.search_runs(where="metrics.loss.min < 0", order_by="name")
        assert [r.run_id for r in runs] == ["run_b"] and total == 1
        store.log_batch("run_a", [("loss", 0.5, 3, 4.0), ("acc", 0.1, 0, 10.0)])
        loss = store.get_run("run_a").metric_summary["loss"]
        assert (loss.last, loss.min, loss.max, loss.count) == (0.5, 0.5, 3.0, 4)
        acc = store.get_run("run_a").metric_summary["acc"]
        assert (acc.last, acc.min, acc.count, acc.step) == (0.75, 0.1, 4, 5)  # older step
    finally:
        store.close()


def test_upgrade_from_0003_twice_opened_is_a_no_op(old_location: StoreLocation) -> None:
    Store(old_location).close()
    store = Store(old_location)
    try:
        assert store.get_run("run_a").metric_summary["loss"].count == 3
    finally:
        store.close()
