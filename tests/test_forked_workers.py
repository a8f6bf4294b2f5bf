"""A warm local sweep's workers, forked from one zygote per sweep runner: the zygote the
CLI starts before it plans, what happens to it when planning fails, a worker that dies
losing its own job only, and the zygote started again after it died (real CLI sweeps, real
kernels)."""

from __future__ import annotations

import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_sweeps import NOTEBOOK, cli, fresh_store, sweep_id_from

from workbench.entities import RunStatus
from workbench.jobs import forked
from workbench.store import RunFilter, Store

pytestmark = pytest.mark.slow


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    return fresh_store(tmp_path, monkeypatch)


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch, store: Store) -> list[dict[str, Any]]:
    """Every start of a runner's zygote: what it returned, and the sweeps stored then."""
    seen: list[dict[str, Any]] = []
    real = forked._begin

    def recording(*args: Any) -> Any:
        sweeps = len(store.list_sweeps())
        begun = real(*args)
        seen.append({"begun": begun, "sweeps_before": sweeps})
        return begun

    monkeypatch.setattr(forked, "_begin", recording)
    return seen


def test_the_cli_starts_the_runners_zygote_before_it_plans_and_the_sweep_uses_it(
    store: Store, capsys: pytest.CaptureFixture[str], starts: list[dict[str, Any]]
) -> None:
    code, out, err = cli(capsys, "sweep", NOTEBOOK, "--grid", "x=1,2,3", "--workers", "2")
    assert code == 0, err
    # one zygote for the whole sweep, started before the sweep was planned, then taken
    assert len(starts) == 1 and starts[0]["sweeps_before"] == 0
    assert not forked._early
    zygote = starts[0]["begun"].zygote
    assert not zygote.alive()  # closed with the sweep
    sweep = store.get_sweep(sweep_id_from(out))
    assert sweep.counts == {"succeeded": 3}
    runs, _ = store.search_runs(RunFilter(sweep_id=sweep.sweep_id))
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}


def test_a_sweep_that_fails_planning_ends_the_zygote_started_for_it(
    store: Store, capsys: pytest.CaptureFixture[str], starts: list[dict[str, Any]]
) -> None:
    code, _, err = cli(capsys, "sweep", NOTEBOOK, "--grid", "x=1,two", "--workers", "2")
    assert code == 2 and "x" in err
    assert not forked._early and store.list_sweeps() == []
    # the error does not wait for the zygote's imports: it is killed
    assert len(starts) == 1 and starts[0]["begun"] is not None
    wait_for(lambda: not starts[0]["begun"].zygote.alive())


def test_bad_options_are_refused_before_any_zygote_starts(
    store: Store, capsys: pytest.CaptureFixture[str], starts: list[dict[str, Any]]
) -> None:
    code, _, err = cli(capsys, "sweep", NOTEBOOK, "--grid", "x=1,2", "--workers", "0")
    assert code == 2 and "workers" in err
    code, _, err = cli(capsys, "sweep", NOTEBOOK, "--grid", "x=1", "--preload", "not a module")
    assert code == 2 and "preload" in err
    assert starts == [] and not forked._early and store.list_sweeps() == []


def test_a_worker_that_dies_loses_its_own_job_only(
    store: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Two workers: one job kills its worker while the other runs for a while; only the
    # killer is lost (twice: its retry kills its new worker too), the other succeeds at
    # its first attempt.
    rows = tmp_path / "rows.csv"
    rows.write_text("mode,seconds\nkill_worker,0\nok,3\n")
    code, out, err = cli(capsys, "sweep", NOTEBOOK, "--values", str(rows), "--workers", "2")
    assert code == 1, err
    sweep_id = sweep_id_from(out)
    attempts = {r.run_id: r.attempt for r in store.job_runs(sweep_id)}
    runs, _ = store.search_runs(RunFilter(sweep_id=sweep_id))
    by_mode: dict[str, list[tuple[int, RunStatus]]] = {}
    for run in runs:
        by_mode.setdefault(run.params["mode"], []).append((attempts[run.run_id], run.status))
    assert sorted(by_mode["kill_worker"]) == [(1, RunStatus.LOST), (2, RunStatus.LOST)]
    assert by_mode["ok"] == [(1, RunStatus.SUCCEEDED)]
    lost = [r for r in runs if r.status is RunStatus.LOST]
    assert all("worker process died" in (r.error.reason or "") for r in lost if r.error)


def test_the_runners_zygote_is_started_again_when_a_worker_is_needed_after_it_died(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # After the first job, the runner's zygote and then the (idle) worker are killed: the
    # next job needs a new worker, so a new zygote; no job is lost.
    killed: list[Any] = []
    real = forked.ForkedWorkers._collect

    def collect(self: forked.ForkedWorkers, worker: Any) -> None:
        real(self, worker)
        if not killed:
            killed.append(self.zygote)
            self.zygote.proc.kill()
            self.zygote.proc.wait(5)
            signal.pidfd_send_signal(worker.pidfd, signal.SIGKILL)
            select.select([worker.pidfd], [], [], 10)

    monkeypatch.setattr(forked.ForkedWorkers, "_collect", collect)
    code, out, err = cli(capsys, "sweep", NOTEBOOK, "--grid", "x=1,2,3", "--workers", "1")
    assert code == 0, err
    sweep_id = sweep_id_from(out)
    assert store.get_sweep(sweep_id).counts == {"succeeded": 3}
    assert len(store.job_runs(sweep_id)) == 3  # no attempt lost
    assert killed and not killed[0].alive()
