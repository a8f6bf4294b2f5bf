"""Team scale: a sweep on a real Dask scheduler (separate worker processes) whose workers
and kernels write to a shared PostgreSQL store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_sweeps import NOTEBOOK, cli, job_kernels, sweep_id_from

from workbench.entities import RunStatus
from workbench.store import RunFilter, open_store
from workbench.store.location import DB_FILENAME

pytestmark = pytest.mark.slow


@pytest.fixture
def scheduler() -> Iterator[str]:
    """A Dask scheduler with two single-threaded worker processes, as a cluster would be."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_dask_sweep_writes_to_a_shared_postgres_store(
    scheduler: str,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "shared-home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_DB_URL", postgres_url)
    monkeypatch.delenv("WORKBENCH_RUN_ID", raising=False)

    code, out, err = cli(
        capsys, "sweep", NOTEBOOK, "--grid", "x=1,2,3,4", "--executor", scheduler, "--retries", "1"
    )
    assert code == 1, err  # x=4 raises, twice
    sweep_id = sweep_id_from(out)

    store = open_store(db_url=postgres_url)
    assert store.location.db_url == postgres_url
    assert not (home / DB_FILENAME).exists()  # nothing went to a local SQLite file
    sweep = store.get_sweep(sweep_id)
    assert sweep.options.executor == scheduler and sweep.options.workers is None
    assert sweep.status is RunStatus.SUCCEEDED
    assert sweep.counts == {"succeeded": 3, "failed": 1}
    runs, total = store.search_runs(RunFilter(sweep_id=sweep_id))
    assert total == 5  # x=4 was retried once
    done = [r for r in runs if r.status is RunStatus.SUCCEEDED]
    # metrics logged by the kernels, started by the Dask workers, into PostgreSQL
    assert sorted(r.metrics["score"] for r in done) == [1.0, 2.0, 3.0]
    assert all(r.executed_notebook for r in runs)
    assert not job_kernels(r.run_id for r in runs)
