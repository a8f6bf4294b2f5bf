"""Sweep faults on real kernels: timeouts, dead kernels and workers with retries, a runner
killed with SIGKILL then resumed, and cancel (no kernel left behind)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_sweeps import NOTEBOOK, cli, fresh_store, job_kernels, sweep_id_from

from workbench.entities import RunStatus
from workbench.jobs.engine import latest_attempts
from workbench.store import RunFilter, Store

pytestmark = pytest.mark.slow


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    return fresh_store(tmp_path, monkeypatch)


def attempts_by_mode(store: Store, sweep_id: str) -> dict[str, list[str]]:
    runs, _ = store.search_runs(RunFilter(sweep_id=sweep_id))
    attempt = {r.run_id: r.attempt for r in store.job_runs(sweep_id)}
    out: dict[str, list[str]] = {}
    for run in sorted(runs, key=lambda r: attempt[r.run_id]):
        out.setdefault(run.params["mode"], []).append(run.status.value)
    return out


def wait_for(condition, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


def test_timeout_and_kernel_death_with_retries(
    store: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("mode,seconds\nok,30\ndie,0\nok,0\n")
    code, out, err = cli(
        capsys,
        "sweep",
        NOTEBOOK,
        "--values",
        rows,
        "--timeout",
        "3",
        "--retries",
        "1",
        "--workers",
        "2",
    )
    assert code == 1
    sweep_id = sweep_id_from(out)
    runs, _ = store.search_runs(RunFilter(sweep_id=sweep_id))
    by_job: dict[tuple[str, float], list] = {}
    for run in runs:
        by_job.setdefault((run.params["mode"], run.params["seconds"]), []).append(run)
    # The slow job timed out once (no retry for a timeout); the dying one used its retry.
    (slow,) = by_job["ok", 30.0]
    assert slow.status is RunStatus.TIMED_OUT
    assert slow.error.reason.startswith("the job exceeded its timeout of 3 s")
    dead = by_job["die", 0.0]
    assert [r.status for r in dead] == [RunStatus.FAILED, RunStatus.FAILED]
    assert {r.error.name for r in dead} == {"DeadKernelError"}
    assert sorted(
        r.attempt for r in store.job_runs(sweep_id) if r.run_id in {d.run_id for d in dead}
    ) == [1, 2]
    assert [r.status for r in by_job["ok", 0.0]] == [RunStatus.SUCCEEDED]
    assert all(r.executed_notebook for r in runs)
    assert "retrying" in err
    assert store.get_sweep(sweep_id).counts == {"timed_out": 1, "failed": 1, "succeeded": 1}
    assert not job_kernels(r.run_id for r in runs)


def test_a_dead_worker_process_loses_its_job_and_the_sweep_goes_on(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        capsys, "sweep", NOTEBOOK, "--grid", "mode=kill_worker,ok", "--workers", "1"
    )
    assert code == 1, err
    sweep_id = sweep_id_from(out)
    # A lost job gets one more attempt (its worker's death may not be its fault).
    assert attempts_by_mode(store, sweep_id) == {
        "kill_worker": ["lost", "lost"],
        "ok": ["succeeded"],
    }
    runs, _ = store.search_runs(RunFilter(sweep_id=sweep_id, status=RunStatus.LOST))
    assert all("worker process died" in r.error.reason for r in runs)
    assert store.get_sweep(sweep_id).status is RunStatus.SUCCEEDED


def test_runner_killed_then_resume_runs_every_job_exactly_once(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default heartbeat limit (120 s): resume must not wait for it, since the runner
    # was on this host and is gone, and its jobs' worker processes with it.
    monkeypatch.delenv("WORKBENCH_LOST_AFTER", raising=False)
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "sweep",
            NOTEBOOK,
            "--grid",
            "x=1,2,3,5,6,7",
            "-p",
            "seconds",
            "1.5",
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        sweep_id = sweep_id_from(runner.stdout.readline())
        wait_for(
            lambda: (lambda c: c.get("succeeded", 0) >= 2 and c.get("running", 0) >= 1)(
                store.get_sweep(sweep_id).counts
            )
        )
        code, _, err = cli(capsys, "resume", sweep_id[:8])  # its runner is alive: refused
        assert code == 2 and "is still running in process" in err
        runner.kill()
    finally:
        runner.kill()
        runner.wait()
        runner.stdout.close()
    interrupted = store.get_sweep(sweep_id)
    assert interrupted.status is RunStatus.RUNNING and interrupted.counts.get("running")

    interrupted_ids = {r.run_id for r in store.job_runs(sweep_id) if r.status == "running"}
    code, out, err = cli(capsys, "resume", sweep_id[:8])
    assert code == 0, err
    for run_id in interrupted_ids:
        reason = store.get_run(run_id, history=False).error.reason
        assert "runner" in reason and "is gone" in reason, reason
    jobs = store.job_runs(sweep_id)
    latest = latest_attempts(jobs)
    assert len(latest) == 6 and {r.status.value for r in latest} == {"succeeded"}
    succeeded_keys = [r.job_key for r in jobs if r.status == "succeeded"]
    assert sorted(succeeded_keys) == sorted({r.job_key for r in jobs})  # once per job
    assert not [r for r in jobs if r.status in ("queued", "running")]
    assert {r.status.value for r in jobs if r.attempt > 1} <= {"succeeded"}
    assert {r.status.value for r in jobs} <= {"succeeded", "lost"}
    sweep = store.get_sweep(sweep_id)
    assert sweep.status is RunStatus.SUCCEEDED and sweep.counts == {"succeeded": 6}
    wait_for(lambda: not job_kernels(r.run_id for r in jobs), timeout=15)

    # Nothing is missing any more: resuming again runs nothing.
    code, out, _ = cli(capsys, "resume", sweep_id)
    assert code == 0 and len(store.job_runs(sweep_id)) == len(jobs)


def test_cancel_stops_kernels_and_marks_runs_cancelled(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    import workbench as wb

    handle = wb.sweep(NOTEBOOK, grid={"x": [1, 2, 3]}, params={"seconds": 60}, workers=2)
    sweep_id = handle.sweep_id
    wait_for(lambda: handle.status().counts.get("running", 0) == 2)
    run_ids = [r.run_id for r in store.job_runs(sweep_id)]
    wait_for(lambda: len(job_kernels(run_ids)) == 2)
    queued = next(r.run_id for r in store.job_runs(sweep_id) if r.status == "queued")

    code, out, _ = cli(capsys, "cancel", queued[:10])  # one job: it never starts
    assert code == 0 and out.startswith(f"cancelled run {queued[:8]}: 1 job cancelled")
    assert store.get_run(queued).status is RunStatus.CANCELLED

    code, out, _ = cli(capsys, "cancel", sweep_id[:8])  # the sweep: kernels killed
    assert code == 0, out
    assert out.startswith(f"cancelled sweep {sweep_id[:8]}: 2 jobs cancelled")
    sweep = handle.wait(timeout=60)
    assert sweep.status is RunStatus.CANCELLED and sweep.counts == {"cancelled": 3}
    runs, _ = store.search_runs(RunFilter(sweep_id=sweep_id))
    running_ones = [r for r in runs if r.run_id != queued]
    assert all(
        r.error.reason.startswith("the job was cancelled on request") for r in running_ones
    ), [r.error for r in running_ones]
    assert all(r.executed_notebook for r in running_ones)
    assert not job_kernels(run_ids)


def test_a_kernel_that_dies_before_it_is_ready_is_started_once_more(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a port taken by another job's kernel looks like: the kernel exits at once.
    import json

    from workbench.notebooks.execute import run_notebook

    starts = tmp_path / "starts.txt"
    spec = tmp_path / "share" / "jupyter" / "kernels" / "dying"
    spec.mkdir(parents=True)
    code = f"open({str(starts)!r}, 'a').write('start\\n')"
    spec.joinpath("kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-c", code, "{connection_file}"],
                "display_name": "dying",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    run = run_notebook(NOTEBOOK, store=store, kernel_name="dying", timeout=60)
    assert run.status is RunStatus.FAILED
    assert run.error.reason == "the job could not run: RuntimeError"
    assert starts.read_text().splitlines() == ["start", "start"]
