"""The sweep coordinator: one loop, used by the CLI (foreground), by `workbench resume` and
by the background runner that ``wb.sweep`` starts.

It heartbeats the sweep (runner = ``host:pid``), dispatches the sweep's queued jobs to an
executor with at most ``workers`` in flight, retries failures, watches for a cancel
request, and ends the sweep ``succeeded`` (every job's latest attempt finished, whatever
its status: the sweep ran), ``cancelled``, or ``failed`` if the coordinator itself broke.

Jobs queued while it runs (a retry of one job asked from the job queue) are picked up
within ``ADOPT_POLL_S``; queued jobs found as it ends keep it going, so none is left behind.

Retries: a failed job (a cell raised, the kernel died) gets a new attempt while its attempt
number is at most ``retries``; a lost one (its worker process died, which takes the pool's
other jobs down with it) gets one more. Timed-out and cancelled jobs are not retried.
"""

from __future__ import annotations

import os
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.entities import JobInfo, JobRun, Run, RunError, RunStatus, Sweep
from workbench.errors import Conflict
from workbench.jobs.executors import LOCAL, Executor, make_executor
from workbench.jobs.worker import JobLost, WarmStart
from workbench.store import Store, open_store
from workbench.store.policy import lost_after

CANCEL_POLL_S = 0.5
WAIT_S = 0.5
EXTERNAL_POLL_S = 1.0
ADOPT_POLL_S = 1.0
MAX_REQUEUES = 2
RETRIED = (RunStatus.FAILED, RunStatus.LOST, RunStatus.CANCELLED, RunStatus.TIMED_OUT)


@dataclass(frozen=True)
class SweepProgress:
    """What the coordinator tells ``on_progress``: the sweep now, and the job that just
    ended (with its attempt and whether it is being retried), if any."""

    sweep: Sweep
    in_flight: int
    finished: Run | None = None
    attempt: int | None = None
    retry: bool = False
    cancelling: bool = False


ProgressCallback = Callable[[SweepProgress], None]


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_alive(sweep: Sweep) -> bool:
    """Whether a process is running this sweep now: it has a runner whose heartbeat is
    fresh and, when that runner is on this host, whose process still exists."""
    if sweep.status.finished or sweep.runner is None or sweep.heartbeat_at is None:
        return False
    if time.time() - sweep.heartbeat_at > lost_after():
        return False
    return not _gone_from_this_host(sweep.runner)


def _gone_from_this_host(runner: str | None) -> bool:
    """Whether ``runner`` (host:pid) was a process of this host that no longer exists."""
    if runner is None:
        return False
    host, _, pid = runner.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited child nobody reaped yet is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def run_sweep(
    sweep_id: str, store: Store | None = None, *, on_progress: ProgressCallback | None = None
) -> Sweep:
    """Run the sweep's queued jobs (and wait for its running ones) to the end."""
    store = store or open_store()
    return _Coordinator(store, store.get_sweep(sweep_id), on_progress).run()


def resume_sweep(
    sweep_id: str,
    store: Store | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    retry: bool = True,
) -> Sweep:
    """Take over a sweep whose runner is gone and finish it: queued jobs run, jobs whose
    latest attempt failed, was lost, cancelled or timed out get a new attempt (unless not
    ``retry``: then only what is queued runs); a job that succeeded never runs again.
    Conflict if its runner is still alive."""
    store = store or open_store()
    sweep = store.get_sweep(sweep_id)
    me = runner_id()
    if sweep.runner != me and runner_alive(sweep):
        raise Conflict(
            f"sweep {sweep_id[:8]} is still running in process {sweep.runner} (heartbeat "
            f"{time.time() - (sweep.heartbeat_at or 0):.0f} s ago): wait for it, or stop it "
            f"with `workbench cancel {sweep_id[:8]}`"
        )
    # A sweep that had ended is restarted (an old cancel request is cleared); one whose
    # runner died mid-way keeps a pending cancel request.
    if not store.claim_sweep(
        sweep_id,
        me,
        seen_runner=sweep.runner,
        seen_heartbeat=sweep.heartbeat_at,
        restart=sweep.status.finished,
    ):
        raise Conflict(f"another process took over sweep {sweep_id[:8]} just now")
    if _gone_from_this_host(sweep.runner) and sweep.options.executor == LOCAL:
        # Its local workers died with it (they hold PR_SET_PDEATHSIG): their jobs are lost
        # now, not after the heartbeat limit (it would make resume wait two minutes).
        store.mark_lost(
            0,
            sweep_id=sweep_id,
            reason=f"the sweep's runner ({sweep.runner}) is gone, and its worker processes with it",
        )
    store.mark_lost(lost_after(), sweep_id=sweep_id)
    if retry:
        for row in latest_attempts(store.job_runs(sweep_id)):
            if row.status in RETRIED:
                store.new_attempt(row.run_id)
    return run_sweep(sweep_id, store, on_progress=on_progress)


def latest_attempts(rows: list[JobRun]) -> list[JobRun]:
    """The latest attempt of each job, in the order the jobs were first created."""
    latest: dict[str, JobRun] = {}
    for row in rows:
        cur = latest.get(row.job_key)
        if cur is None or row.attempt > cur.attempt:
            latest[row.job_key] = row
    return list(latest.values())


class _Coordinator:
    def __init__(self, store: Store, sweep: Sweep, on_progress: ProgressCallback | None) -> None:
        self.store, self.sweep_id, self.on_progress = store, sweep.sweep_id, on_progress
        self.notebook = sweep.notebook
        self.options = sweep.options
        self.retries = self.options.retries
        self.runner = runner_id()
        self.queue: deque[str] = deque()
        self.in_flight: dict[Any, str] = {}
        self.external: set[str] = set()  # running, started by a runner before us (resume)
        self.requeued: dict[str, int] = {}
        self.executor: Executor | None = None
        self.limit = self.running_limit = 1
        self.cancelling = False
        self.interrupts = 0
        self.beat_every = min(2.0, lost_after() / 4)
        self.next_beat = self.next_cancel_check = self.next_external = 0.0
        self.next_adopt = time.monotonic() + ADOPT_POLL_S

    def run(self) -> Sweep:
        while True:
            sweep = self._run_once()
            if sweep is not None:
                return sweep
            # A job was queued between the loop's last look and the final status (a retry):
            # the sweep is still this runner's, and it runs that job too.
            self.executor, self.cancelling = None, False

    def _run_once(self) -> Sweep | None:
        """Run what is queued to the end; the sweep with its final status, or None if a job
        was queued as it was ending (the caller runs again)."""
        store = self.store
        store.sweep_heartbeat(self.sweep_id, self.runner)
        for row in store.job_runs(self.sweep_id):
            if row.status is RunStatus.QUEUED:
                self.queue.append(row.run_id)
            elif row.status is RunStatus.RUNNING:
                self.external.add(row.run_id)
        final = RunStatus.FAILED
        try:
            self._report()
            while True:
                while self.queue or self.in_flight or self.external:
                    try:
                        self._step()
                    except KeyboardInterrupt:
                        self._interrupted()
                if self.cancelling or not self._adopt_queued():
                    break
            # A cancel asked between two polls still counts: a job finishing then may have
            # let the loop empty before the next poll saw the request.
            cancelled = self.cancelling or store.sweep_cancel_requested(self.sweep_id)
            final = RunStatus.CANCELLED if cancelled else RunStatus.SUCCEEDED
        except BaseException as exc:
            final = RunStatus.CANCELLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
            self._abort(exc)
            raise
        finally:
            if self.executor is not None:
                try:
                    self.executor.shutdown(cancel=final is not RunStatus.SUCCEEDED)
                except Exception:  # the sweep's status matters more than a clean close
                    pass
            ended = store.finish_sweep(self.sweep_id, final)
        if not ended:
            return None
        sweep = store.get_sweep(self.sweep_id)
        self._report(sweep=sweep)
        return sweep

    # -- one turn of the loop ---------------------------------------------------------------

    def _step(self) -> None:
        now = time.monotonic()
        if now >= self.next_beat:
            self.store.sweep_heartbeat(self.sweep_id, self.runner)
            self.next_beat = now + self.beat_every
        if not self.cancelling and now >= self.next_cancel_check:
            self.next_cancel_check = now + CANCEL_POLL_S
            if self.store.sweep_cancel_requested(self.sweep_id):
                self._cancel()
        if not self.cancelling:
            self._dispatch()
        if self.in_flight:
            assert self.executor is not None
            for handle in self.executor.wait_first(list(self.in_flight), WAIT_S):
                self._finished(self.in_flight.pop(handle), handle)
        else:
            time.sleep(WAIT_S)
        if self.external and now >= self.next_external:
            self.next_external = now + EXTERNAL_POLL_S
            self._watch_external()
        if not self.cancelling and now >= self.next_adopt:
            self.next_adopt = now + ADOPT_POLL_S
            self._adopt_queued()

    def _adopt_queued(self) -> bool:
        """Queue the sweep's queued jobs this loop does not know yet (a retry asked from
        elsewhere); True if there were any."""
        known = set(self.queue) | set(self.in_flight.values())
        new = [
            row.run_id
            for row in self.store.job_runs(self.sweep_id)
            if row.status is RunStatus.QUEUED and row.run_id not in known
        ]
        self.queue.extend(new)
        return bool(new)

    def _dispatch(self) -> None:
        if not self.queue:
            return
        if self.executor is None:
            location = self.store.location
            workers = self.options.workers
            self.executor = make_executor(
                self.options.executor,
                workers,
                str(location.home),
                location.db_url,
                str(location.sweep_log(self.sweep_id)),
                self._warm_start(),
            )
            capacity = getattr(self.executor, "capacity", None)
            self.running_limit = workers or (capacity() if capacity else 1)
            # A local pool takes one job ahead: a worker that finishes starts the next at
            # once instead of waiting for this loop to hand it one.
            self.limit = self.running_limit + getattr(self.executor, "prefetch", 0)
            self.store.sweep_heartbeat(self.sweep_id, self.runner)  # a cluster start is slow
        while self.queue and len(self.in_flight) < self.limit:
            run_id = self.queue.popleft()
            self.in_flight[self.executor.submit(run_id)] = run_id

    def _warm_start(self) -> WarmStart | None:
        """What local workers preload as they start, for a warm sweep."""
        if self.options.cold or not self.notebook or not self.options.kernel:
            return None
        return WarmStart(
            self.notebook,
            self.options.kernel,
            tuple(self.options.preload or ()),
            self.options.workers or 1,
        )

    def _finished(self, run_id: str, handle: Any) -> None:
        assert self.executor is not None
        try:
            self.executor.result(handle)
        except JobLost as exc:
            if self._requeue_unstarted(run_id):
                return
            self.store.finish_if_active(
                run_id,
                RunStatus.LOST,
                RunError(name="JobLost", reason=f"the job was lost: {exc.message}"),
            )
        except Exception as exc:  # the worker could not even start the job
            self.store.finish_if_active(
                run_id,
                RunStatus.FAILED,
                RunError(
                    name=type(exc).__name__,
                    value=str(exc) or None,
                    reason=f"the worker could not run the job: {type(exc).__name__}",
                ),
            )
        # The store has the truth: a job another executor still holds (Dask re-ran a task
        # whose worker died) did not finish here, so it is lost.
        info = self.store.job_info(run_id)
        if not info.status.finished and self.store.finish_if_active(
            run_id,
            RunStatus.LOST,
            RunError(name="JobLost", reason="the job's worker stopped before the job ended"),
        ):
            info = self.store.job_info(run_id)
        self._ended(run_id, info)

    def _requeue_unstarted(self, run_id: str) -> bool:
        """A job lost before its worker started it (taken ahead by a pool that then broke)
        goes back to the queue, no attempt spent; True if it did. Twice at most: a pool
        that breaks before any job starts must not keep the sweep going forever."""
        if self.store.job_info(run_id).status is not RunStatus.QUEUED:
            return False
        if self.requeued.get(run_id, 0) >= MAX_REQUEUES:
            return False
        self.requeued[run_id] = self.requeued.get(run_id, 0) + 1
        self.queue.appendleft(run_id)
        return True

    def _watch_external(self) -> None:
        self.store.mark_lost(lost_after(), sweep_id=self.sweep_id)
        status = {r.run_id: r.status for r in self.store.job_runs(self.sweep_id)}
        for run_id in sorted(self.external):
            if status.get(run_id, RunStatus.LOST).finished:
                self.external.discard(run_id)
                self._ended(run_id, self.store.job_info(run_id))

    def _ended(self, run_id: str, info: JobInfo) -> None:
        status, attempt = info.status, info.attempt
        retry = not self.cancelling and (
            (status is RunStatus.FAILED and attempt <= self.retries)
            or (status is RunStatus.LOST and attempt <= self.retries + 1)
        )
        if retry:
            self.queue.append(self.store.new_attempt(run_id))
        self._report(run_id, attempt, retry)

    # -- cancel and failure -----------------------------------------------------------------

    def _cancel(self) -> None:
        """Stop dispatching; queued jobs are cancelled at once, running ones by their
        watchdogs (they read the same request), and the loop waits for them."""
        self.cancelling = True
        self.store.cancel_queued(self.sweep_id)
        self.queue.clear()
        self._report()

    def _interrupted(self) -> None:
        self.interrupts += 1
        if self.interrupts > 1:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now (see _abort)
        self.store.request_cancel(sweep_id=self.sweep_id)
        self._cancel()

    def _abort(self, exc: BaseException) -> None:
        """The coordinator itself stops: its jobs must not stay queued or running."""
        try:
            self.store.request_cancel(sweep_id=self.sweep_id)  # running jobs' watchdogs
            if isinstance(exc, KeyboardInterrupt):
                self.store.cancel_queued(self.sweep_id)
            else:
                self.store.fail_queued(
                    self.sweep_id, f"the sweep runner failed: {type(exc).__name__}: {exc}"
                )
            if self.executor is not None:
                self.executor.shutdown(cancel=True)
                self.executor = None
            self.store.cancel_active(self.sweep_id, "the sweep runner stopped")
        except Exception:  # keep the original error
            pass

    def _report(
        self,
        run_id: str | None = None,
        attempt: int | None = None,
        retry: bool = False,
        sweep: Sweep | None = None,
    ) -> None:
        if self.on_progress is None:
            return
        self.on_progress(
            SweepProgress(
                sweep=sweep or self.store.get_sweep(self.sweep_id),
                # a job taken ahead by the pool is not running yet
                in_flight=min(len(self.in_flight), self.running_limit) + len(self.external),
                finished=self.store.get_run(run_id, history=False) if run_id else None,
                attempt=attempt,
                retry=retry,
                cancelling=self.cancelling,
            )
        )
