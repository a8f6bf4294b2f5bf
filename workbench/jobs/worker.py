"""What runs in a worker (a local pool process or a Dask worker): one sweep job.

:func:`execute_job` is a top-level function of plain arguments, so it pickles by reference
to any worker, near or far. It opens the store named by (home, db_url), runs the job's
queued run through :func:`workbench.notebooks.execute.run_notebook` (which heartbeats the
run while its kernel runs), and returns the final status. Beside it, a watchdog thread polls
for a cancel request (of the run or of its sweep): on one, it kills the kernel's process
group and the job ends ``cancelled``. The same store poll works for local processes, Dask
workers on other hosts and a `workbench cancel` typed in another terminal.

Kernels are warm (forked from a zygote this worker process keeps, see
:mod:`workbench.notebooks.warm`) unless the sweep's options say ``cold``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from workbench.entities import RunError, RunStatus, SweepOptions
from workbench.errors import WorkbenchError


class JobLost(WorkbenchError):
    """The worker that held a job died or vanished before the job reported its end."""


CANCEL_POLL_S = 0.5
PR_SET_PDEATHSIG = 1


def execute_job(run_id: str, home: str, db_url: str) -> str:
    """Run the sweep job ``run_id`` (a queued run) to its end; return its status value.

    A run that is not queued any more is not run again: its current status is returned.
    """
    from workbench.notebooks.execute import run_notebook
    from workbench.store import open_store

    quiet_logs()
    store = open_store(home, db_url)
    run = store.get_run(run_id, history=False)
    if run.status is not RunStatus.QUEUED:
        return str(run.status.value)
    info = store.job_info(run_id)
    if info.cancel_requested:
        store.finish_if_active(
            run_id,
            RunStatus.CANCELLED,
            RunError(name="Cancelled", reason="the job was cancelled before it started"),
        )
        return store.get_run(run_id, history=False).status.value
    options = SweepOptions() if info.sweep_id is None else _options_of(store, info.sweep_id)
    watchdog = Watchdog(store, run_id)
    watchdog.start()
    try:
        with _kernels(run.notebook, options):
            done = run_notebook(
                run.notebook or "",
                run.params,
                run_id=run_id,
                timeout=options.timeout,
                kernel_name=options.kernel,
                store=store,
                # BLAS/OpenMP caps: this many jobs share the machine
                workers=options.workers or 1,
                on_kernel_started=watchdog.kernel_started,
                cancelled=watchdog.cancelled.is_set,
                history=False,
            )
    finally:
        watchdog.stop()
    return done.status.value


_options: dict[str, SweepOptions] = {}  # a sweep's options never change: read once here


def _options_of(store: Any, sweep_id: str) -> SweepOptions:
    if sweep_id not in _options:
        _options[sweep_id] = store.get_sweep(sweep_id).options
    return _options[sweep_id]


def _kernels(notebook: str | None, options: SweepOptions) -> AbstractContextManager[Any]:
    """Warm kernels (forked from this worker's zygote) unless the sweep asked for cold ones
    (option ``cold``); ``preload`` lists module names to add (``-name`` to leave out)."""
    if options.cold:
        return contextlib.nullcontext()
    from workbench.notebooks.preloads import warm_kernels

    return warm_kernels(notebook, preload=options.preload or ())


class Watchdog(threading.Thread):
    """Kills a running job's kernel when a cancel is requested. (The job's heartbeat is
    run_notebook's, as for any job.)"""

    def __init__(self, store: Any, run_id: str) -> None:
        super().__init__(name=f"workbench-watchdog-{run_id[:8]}", daemon=True)
        self.store, self.run_id = store, run_id
        self.cancelled = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._kernel: tuple[int, int | None] | None = None

    def kernel_started(self, pid: int, pgid: int | None) -> None:
        with self._lock:
            self._kernel = (pid, pgid)
            if self.cancelled.is_set():  # the request came while the kernel was starting
                self._kill()

    def run(self) -> None:
        while not self._done.wait(CANCEL_POLL_S):
            try:
                if (
                    not self.cancelled.is_set()
                    and self.store.job_info(self.run_id).cancel_requested
                ):
                    with self._lock:
                        self.cancelled.set()
                        self._kill()
            except Exception as exc:  # a busy or unreachable store: try again next time
                print(f"workbench: job {self.run_id[:8]} watchdog: {exc}", file=sys.stderr)

    def stop(self) -> None:
        self._done.set()
        if self.is_alive():
            self.join(timeout=5)

    def _kill(self) -> None:
        if self._kernel is None:
            return
        pid, pgid = self._kernel
        try:
            # The kernel leads its own session: its group holds whatever it started too.
            if pgid is not None:
                os.killpg(pgid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@dataclass(frozen=True)
class WarmStart:
    """What a local worker needs to start its zygote as it starts, before its first job:
    the sweep's notebook, its (resolved) kernel, the ``preload`` option and the number of
    workers (the kernels' thread caps)."""

    notebook: str
    kernel: str
    preload: tuple[str, ...] = ()
    workers: int = 1


def init_local_worker(
    parent_pid: int, log_path: str | None = None, warm: WarmStart | None = None
) -> None:
    """Initializer of the local pool's processes: die with the coordinator (Linux), leave
    Ctrl-C to it (it cancels cleanly; a worker interrupted mid-job would not), write
    their output and their kernels' to the sweep's log, not over the progress bar, and
    start the zygote of a warm sweep from a thread (its imports overlap the worker's)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    output_to(log_path)
    die_with_parent()
    if os.getppid() != parent_pid:  # the coordinator died before prctl took effect
        os._exit(1)
    from workbench.notebooks.reader import skip_iri_grammar

    skip_iri_grammar()
    quiet_logs()
    if warm is not None:
        threading.Thread(
            target=_prestart, args=(warm,), name="workbench-zygote-start", daemon=True
        ).start()


def _prestart(warm: WarmStart) -> None:
    from workbench.notebooks.kernel import prestart_warm_kernels

    try:
        prestart_warm_kernels(warm.notebook, warm.kernel, warm.preload, workers=warm.workers)
    except Exception as exc:  # the first job starts the zygote itself, or runs cold
        print(f"workbench: warm kernels could not start ahead: {exc}", file=sys.stderr)


def output_to(log_path: str | None) -> None:
    """This process's output (and its children's) goes to ``log_path``, if it can be opened."""
    if log_path is None:
        return
    try:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        return
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def die_with_parent() -> None:
    """SIGKILL when the parent process dies (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def quiet_logs() -> None:
    # papermill and nbclient log every dead kernel and timeout at ERROR level; the run's
    # status and reason say it better, and a worker's stderr is not the user's terminal.
    for name in ("papermill", "nbclient", "traitlets"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
