"""Sweeps from Python and the server: launch in the background, follow, cancel.

``launch_sweep`` plans the sweep, then starts a detached runner process (`workbench resume
SWEEP_ID --quiet` in its own session), so the sweep outlives the notebook's kernel and the
Jupyter server. ``wb.sweep(...)`` wraps it in a :class:`SweepHandle`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from workbench.entities import Run, RunError, RunStatus, Sweep, SweepOptions
from workbench.errors import Conflict, InvalidInput
from workbench.jobs.engine import latest_attempts, runner_alive
from workbench.jobs.plan import plan_sweep, spec_from_api
from workbench.jobs.spec import SweepSpec
from workbench.store import RunFilter, Store, open_store
from workbench.store.policy import lost_after

if TYPE_CHECKING:
    import pandas as pd

_runners: list[subprocess.Popen[bytes]] = []  # reaped as they end, so none lingers as a zombie


def launch_sweep(
    notebook_path: str,
    spec: SweepSpec,
    options: SweepOptions | None = None,
    *,
    store: Store | None = None,
) -> Sweep:
    """Plan a sweep (everything checked first: InvalidInput and nothing written if not)
    and run it in a detached background process. Returns the sweep as stored."""
    store = store or open_store()
    plan = plan_sweep(notebook_path, spec, options, store=store)
    if plan.jobs:
        start_runner(store, plan.sweep_id)
    return store.get_sweep(plan.sweep_id)


def start_runner(store: Store, sweep_id: str, *, retry: bool = True) -> int:
    """Start `workbench resume SWEEP_ID --quiet` detached (with ``retry=False``, a runner
    of the sweep's queued jobs only: ``python -m workbench.jobs.runner``); its output goes
    to ``<home>/sweeps/<sweep_id>.log``. Returns its pid."""
    _reap()
    location = store.location
    env = {**os.environ, "WORKBENCH_HOME": str(location.home), "WORKBENCH_DB_URL": location.db_url}
    # Launched from a notebook's kernel: the runner and its jobs are not that kernel's.
    for name in ("WORKBENCH_RUN_ID", "JPY_SESSION_NAME", "JPY_PARENT_PID"):
        env.pop(name, None)
    with open(location.sweep_log(sweep_id), "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench", "resume", sweep_id, "--quiet"]
            if retry
            else [sys.executable, "-m", "workbench.jobs.runner", sweep_id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            cwd=str(location.home),
        )
    _runners.append(proc)
    # Known at once, so a cancel right now reaches the runner instead of racing its start.
    import socket

    store.sweep_heartbeat(sweep_id, runner=f"{socket.gethostname()}:{proc.pid}")
    return proc.pid


def _reap() -> None:
    _runners[:] = [p for p in _runners if p.poll() is None]


def cancel_sweep(store: Store, sweep_id: str) -> Sweep:
    """Ask the sweep's runner to stop: queued jobs are dropped and running jobs' kernels
    killed, all marked cancelled. With no live runner, its jobs are marked cancelled here,
    so nothing stays running."""
    sweep = store.get_sweep(sweep_id)
    store.request_cancel(sweep_id=sweep_id)
    starting = (
        sweep.runner is None
        and sweep.heartbeat_at is not None
        and time.time() - sweep.heartbeat_at < lost_after()
    )
    if not runner_alive(sweep) and not starting:
        store.cancel_active(sweep_id, "cancelled while no runner was running the sweep")
        if not sweep.status.finished or sweep.status is RunStatus.LOST:
            store.set_sweep_status(sweep_id, RunStatus.CANCELLED)
    return store.get_sweep(sweep_id)


def cancel_run(store: Store, run_id: str) -> Run:
    """Cancel one job: a queued one never starts, a running one has its kernel killed by
    its watchdog. A run nobody watches any more (stale heartbeat) is marked at once."""
    info = store.job_info(run_id)
    store.request_cancel(run_id=run_id)
    run = store.get_run(run_id, history=False)
    stale = run.heartbeat_at is None or time.time() - run.heartbeat_at > lost_after()
    if run.status is RunStatus.QUEUED or (run.status is RunStatus.RUNNING and stale):
        store.finish_if_active(
            run_id,
            RunStatus.CANCELLED,
            RunError(name="Cancelled", reason="the job was cancelled on request"),
        )
    elif run.status is RunStatus.RUNNING and info.sweep_id is None:
        raise Conflict(
            f"run {run_id[:8]} is a single job, not part of a sweep: stop it with "
            "Ctrl-C in the terminal that runs it"
        )
    return store.get_run(run_id, history=False)


RETRYABLE = (RunStatus.FAILED, RunStatus.TIMED_OUT, RunStatus.LOST, RunStatus.CANCELLED)
FAILED_STATUSES = (RunStatus.FAILED, RunStatus.TIMED_OUT, RunStatus.LOST)


def retry_run(store: Store, run_id: str) -> str:
    """Queue a new attempt of one ended job of a sweep (failed, timed out, lost or
    cancelled) and make sure a runner runs it; returns the new attempt's run id."""
    info = store.job_info(run_id)
    if info.sweep_id is None or info.job_key is None:
        raise InvalidInput(
            f"run {run_id[:8]} is not a job of a sweep: run its notebook again instead"
        )
    latest = next(
        r for r in latest_attempts(store.job_runs(info.sweep_id)) if r.job_key == info.job_key
    )
    if latest.run_id != run_id:
        raise Conflict(
            f"run {run_id[:8]} is attempt {info.attempt} of its job, which has a newer one "
            f"({latest.run_id[:8]}, {latest.status.value}): retry that one"
        )
    if info.status not in RETRYABLE:
        raise Conflict(
            f"run {run_id[:8]} is {info.status.value}: only a failed, timed out, lost or "
            "cancelled job can be retried"
        )
    new_id = store.new_attempt(run_id)
    ensure_runner(store, info.sweep_id)
    return new_id


def retry_failed(store: Store, sweep_id: str) -> list[str]:
    """Queue a new attempt of every job of the sweep whose latest attempt failed, timed
    out or was lost (not the cancelled ones: resume runs those), and run them."""
    store.get_sweep(sweep_id)  # NotFound for an unknown sweep
    failed = [
        r.run_id for r in latest_attempts(store.job_runs(sweep_id)) if r.status in FAILED_STATUSES
    ]
    if not failed:
        raise Conflict(f"sweep {sweep_id[:8]} has no failed job to retry")
    new_ids = [store.new_attempt(run_id) for run_id in failed]
    ensure_runner(store, sweep_id)
    return new_ids


def resume(store: Store, sweep_id: str) -> Sweep:
    """`workbench resume` in the background: queued jobs run, ended jobs that did not
    succeed get a new attempt. Conflict while a runner runs the sweep."""
    sweep = store.get_sweep(sweep_id)
    if runner_alive(sweep):
        raise Conflict(
            f"sweep {sweep_id[:8]} is still running: wait for it to end, or cancel it first"
        )
    start_runner(store, sweep_id)
    return store.get_sweep(sweep_id)


def ensure_runner(store: Store, sweep_id: str) -> None:
    """Queued jobs of the sweep will run: its live runner picks them up (it looks every
    second, and once more before it ends), else a runner of queued jobs starts."""
    sweep = store.get_sweep(sweep_id)
    if sweep.status.finished or not runner_alive(sweep):
        start_runner(store, sweep_id, retry=False)


class SweepHandle:
    """A sweep running in the background: ``.wait()``, ``.status()``, ``.runs()``,
    ``.cancel()``, ``.leaderboard()``."""

    def __init__(self, sweep_id: str, store: Store | None = None) -> None:
        self.sweep_id = sweep_id
        self.store = store or open_store()

    def status(self) -> Sweep:
        return self.store.get_sweep(self.sweep_id)

    def wait(self, timeout: float | None = None, poll: float = 0.5) -> Sweep:
        """Block until the sweep ends (TimeoutError after ``timeout`` seconds). A runner
        that died leaves the sweep lost instead of waiting forever."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            _reap()
            sweep = self.status()
            if sweep.status.finished:
                return sweep
            if sweep.runner is not None and not runner_alive(sweep):
                self.store.mark_lost(0, sweep_id=self.sweep_id)
                return self.status()
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(
                    f"sweep {self.sweep_id[:8]} is still {sweep.status.value} after {timeout:g} s"
                )
            time.sleep(poll)

    def runs(self) -> pd.DataFrame:
        """Every attempt of every job, as ``wb.runs()`` shows runs."""
        from workbench.tracking.frames import runs_frame

        return runs_frame(self.store, RunFilter(sweep_id=self.sweep_id))

    def leaderboard(self, sort: str | None = None) -> pd.DataFrame:
        """The latest attempt of each job, best first (see ``workbench sweep --sort``)."""
        import pandas as pd

        from workbench.jobs.progress import leaderboard

        board = leaderboard(self.store, self.sweep_id, sort)
        return pd.DataFrame(
            [
                {
                    "run_id": r["run_id"],
                    "status": r["status"],
                    "attempt": r["attempt"],
                    **{f"params.{k}": v for k, v in r["params"].items()},
                    **{f"metrics.{k}": v for k, v in r["metrics"].items()},
                    "duration_s": r["duration_s"],
                }
                for r in board.records
            ]
        )

    def cancel(self) -> Sweep:
        return cancel_sweep(self.store, self.sweep_id)

    def __repr__(self) -> str:
        from workbench.jobs.progress import sweep_line

        try:
            return f"<{sweep_line(self.status())}>"
        except Exception as exc:  # a repr must not raise
            return f"<sweep {self.sweep_id[:8]} ({type(exc).__name__})>"


def sweep(
    notebook: str | os.PathLike[str],
    *,
    grid: dict[str, list[Any]] | None = None,
    random: dict[str, str] | None = None,
    n: int | None = None,
    seed: int | None = None,
    values: list[dict[str, Any]] | None = None,
    params: dict[str, Any] | None = None,
    workers: int | None = None,
    executor: str = "local",
    timeout: float | None = None,
    retries: int = 0,
    kernel: str | None = None,
    force: bool = False,
    allow_unknown: bool = False,
    experiment: str | None = None,
    cold: bool = False,
    preload: list[str] | None = None,
) -> SweepHandle:
    """Run a sweep of papermill jobs over ``notebook`` in the background; returns at once.

    ``grid={"lr": [0.01, 0.1]}`` (every combination), ``random={"lr":
    "loguniform(1e-4,1e-1)"}`` with ``n`` draws (``seed`` makes them repeatable),
    ``values=[{...}, ...]`` (one job per dict), ``params={...}`` (in every job). Each job is
    a tracked run of its own. The options are those of ``workbench sweep`` (see
    :class:`workbench.entities.SweepOptions`), checked the same way.
    """
    store = open_store()
    spec = spec_from_api(grid=grid, random=random, n=n, seed=seed, values=values, params=params)
    options = SweepOptions(
        workers=workers,
        executor=executor,
        timeout=timeout,
        retries=retries,
        kernel=kernel,
        force=force,
        allow_unknown=allow_unknown,
        experiment=experiment,
        cold=cold,
        preload=preload,
    )
    launched = launch_sweep(os.fspath(notebook), spec, options, store=store)
    return SweepHandle(launched.sweep_id, store)
