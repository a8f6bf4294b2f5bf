"""A store that cannot answer: PostgreSQL refusing connections, a read-only SQLite store.

Outages are answered as "store unavailable" (503 with Retry-After on the REST API, one line
and exit 1 on the CLI), nothing half-written when the store comes back; a read-only store
can still be read, and writing commands say why in one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from workbench.errors import StoreReadOnly, StoreUnavailable
from workbench.store import Store
from workbench.store.location import StoreLocation

pytestmark = pytest.mark.slow


def _cli(env_url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "WORKBENCH_DB_URL": env_url, "WORKBENCH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_says_store_unavailable_in_one_line(outage, tmp_path: Path) -> None:
    url, switch = outage
    store = Store(StoreLocation(home=tmp_path / "home", db_url=url))
    store.create_run(name="before")
    store.close()
    switch(False)
    done = _cli(url, tmp_path / "home", "runs")
    assert done.returncode == 1, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "store" in lines[0] and "unavailable" in lines[0], lines[0]
    assert "workbench:workbench@" not in lines[0]  # the password is masked
    switch(True)
    done = _cli(url, tmp_path / "home", "runs", "--json")
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in json.loads(done.stdout)] == ["before"]


def test_writes_during_an_outage_leave_nothing_half_written(outage, tmp_path: Path) -> None:
    url, switch = outage
    store = Store(StoreLocation(home=tmp_path / "home", db_url=url))
    run_id = store.create_run(name="r", params={"a": 1})
    store.log_batch(run_id, metrics=[("m", 1.0, 0, time.time())])
    switch(False)
    with pytest.raises(StoreUnavailable, match="unavailable"):
        store.log_batch(
            run_id,
            metrics=[("m", float(i), i, time.time()) for i in range(1, 50)],
            params={"b": 2},
        )
    with pytest.raises(StoreUnavailable):
        store.create_run(name="never")
    switch(True)
    run = store.get_run(run_id)
    assert [p.value for p in run.metric_history["m"]] == [1.0]
    assert run.params == {"a": 1}
    assert [r.name for r in store.search_runs()[0]] == ["r"]
    store.close()


@pytest.fixture
def read_only_home(tmp_path: Path) -> Iterator[Path]:
    """A store with one run, seen through a read-only bind mount (root can write through
    file modes, not through a read-only mount)."""
    home = tmp_path / "home"
    store = Store(StoreLocation(home=home, db_url=f"sqlite:///{home / 'workbench.db'}"))
    run_id = store.create_run(name="kept", params={"lr": 0.1})
    store.log_batch(run_id, metrics=[("acc", 0.9, 0, time.time())])
    store.close()
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "--bind", "-o", "ro", str(home), str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_read_only_store_reads_and_refuses_writes_in_one_line(
    read_only_home: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{read_only_home / 'workbench.db'}"
    listed = _cli(url, read_only_home, "runs", "--json")
    assert listed.returncode == 0, listed.stderr
    (run,) = json.loads(listed.stdout)
    assert run["name"] == "kept" and run["params"] == {"lr": 0.1}
    shown = _cli(url, read_only_home, "show", run["run_id"][:8])
    assert shown.returncode == 0 and "acc" in shown.stdout, shown.stderr
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    ran = _cli(url, read_only_home, "run", str(notebook))
    assert ran.returncode == 1, ran
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0], ran.stderr

    store = Store(StoreLocation(home=read_only_home, db_url=url))
    assert store.get_run(run["run_id"]).metrics == {"acc": 0.9}
    with pytest.raises(StoreReadOnly, match="read-only"):
        store.create_run(name="no")
    store.close()


@pytest.fixture
def server_on_postgres(outage, wb_home: Path, monkeypatch: pytest.MonkeyPatch):
    """The extension's store is the test database (set before the server starts)."""
    url, switch = outage
    monkeypatch.setenv("WORKBENCH_DB_URL", url)
    return url, switch


async def test_rest_answers_503_with_retry_after_and_recovers(server_on_postgres, jp_fetch):
    from tornado.httpclient import HTTPClientError

    url, switch = server_on_postgres
    ok = await jp_fetch("workbench", "api", "runs", method="GET")
    assert ok.code == 200
    switch(False)
    for parts in (("runs",), ("sweeps",), ("runs", "0" * 32)):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("workbench", "api", *parts, method="GET")
        response = info.value.response
        assert response.code == 503, (parts, response.body)
        assert response.headers["Retry-After"] == "5"
        body = json.loads(response.body)
        assert body["error"] == "store_unavailable"
        assert "unavailable" in body["message"] and make_url(url).database in body["message"]
        assert "workbench:workbench@" not in body["message"]
    switch(True)
    again = await jp_fetch("workbench", "api", "runs", method="GET")
    assert again.code == 200 and json.loads(again.body)["total"] == 0
