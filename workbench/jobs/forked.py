"""A warm local sweep's workers: processes forked from one zygote per sweep runner.

The runner (the coordinator's process) starts one zygote with the notebook's imports
(:mod:`workbench.notebooks.zygote`); each worker is a fork of it (``spawn``), so a worker
starts in milliseconds with everything imported once for all of them. A worker first forks
its own zygote from itself, while it is still one thread, then takes jobs one at a time
over a socket from the runner, runs each with :func:`workbench.jobs.worker.execute_job` and
answers its status. Its kernels are forked by its own zygote and are its children (it is a
child subreaper), as in a worker process of the spawned pool: the same kernels, the same
isolation, cancel and cleanup.

A worker dies with the runner (it watches the runner's lifeline pipe), not with the
runner's zygote, which is started again when a new worker is needed after it died; the
worker's kernels die with the worker (its own lifeline). A worker that dies loses only its
own job.

:class:`ForkedWorkers` is the executor (see :mod:`workbench.jobs.executors`); it is used
for warm sweeps whose kernel runs this same interpreter, the spawned pool otherwise.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workbench.errors import WorkbenchError
from workbench.jobs.worker import JobLost, WarmStart, output_to, quiet_logs

ENTRY = "workbench.jobs.forked:worker_main"
MAX_MESSAGE = 1 << 16
STOP_WAIT_S = 10.0
TITLE = "workbench: sweep worker"


@dataclass
class _Worker:
    pid: int
    pidfd: int
    sock: socket.socket
    job: tuple[str, cf.Future[str]] | None = None

    def exited(self) -> bool:
        return bool(select.select([self.pidfd], [], [], 0)[0])


class ForkedWorkers:
    """Up to ``workers`` worker processes forked from the runner's zygote (``started``, see
    :func:`forked_workers`), each running one job at a time."""

    def __init__(
        self,
        workers: int,
        home: str,
        db_url: str,
        log_path: str | None,
        warm: WarmStart,
        started: _Started,
    ) -> None:
        self.max_workers, self.zygote = workers, started.zygote
        self.warm, self.log_path = warm, log_path
        self.prefetch = 1  # see the coordinator: a job taken ahead starts as one ends
        self._args = {
            "home": home,
            "db_url": db_url,
            "log_path": log_path,
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "sys_path": list(sys.path),
            "launch": started.launch,
            "source_tree": _source_tree(),
        }
        self._workers: list[_Worker] = []
        self._pending: deque[tuple[str, cf.Future[str]]] = deque()

    # -- the executor's four calls ----------------------------------------------------------

    def submit(self, run_id: str) -> cf.Future[str]:
        future: cf.Future[str] = cf.Future()
        self._pending.append((run_id, future))
        self._assign()
        return future

    def wait_first(self, handles: Iterable[cf.Future[str]], timeout: float) -> set[cf.Future[str]]:
        handles = list(handles)
        deadline = time.monotonic() + timeout
        while not (done := {h for h in handles if h.done()}):
            busy = {w.sock.fileno(): w for w in self._workers if w.job is not None}
            left = deadline - time.monotonic()
            if not busy or left <= 0:
                break
            ready, _, _ = select.select(list(busy), [], [], left)
            for fd in ready:
                self._collect(busy[fd])
            self._assign()
        return done

    def result(self, handle: cf.Future[str]) -> str:
        try:
            return handle.result()  # JobLost if its worker died
        except cf.CancelledError:
            raise JobLost("it was withdrawn from the workers") from None

    def shutdown(self, cancel: bool) -> None:
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        # A worker ends when its socket closes, after the job it runs (whose watchdog sees
        # a cancel request); one that does not end in time is killed.
        for worker in self._workers:
            worker.sock.close()
        deadline = time.monotonic() + STOP_WAIT_S
        for worker in self._workers:
            select.select([worker.pidfd], [], [], max(0.0, deadline - time.monotonic()))
            if not worker.exited():
                signal.pidfd_send_signal(worker.pidfd, signal.SIGKILL)
            os.close(worker.pidfd)
        self._workers.clear()
        self.zygote.close()

    # -- workers ----------------------------------------------------------------------------

    def _assign(self) -> None:
        while self._pending:
            worker = self._idle_worker()
            if worker is None:
                return
            run_id, future = self._pending.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            worker.job = (run_id, future)
            try:
                worker.sock.send(json.dumps({"run_id": run_id}).encode())
            except OSError:
                self._collect(worker)

    def _idle_worker(self) -> _Worker | None:
        for worker in list(self._workers):
            if worker.job is None and worker.exited():  # died between two jobs
                self._drop(worker)
        for worker in self._workers:
            if worker.job is None:
                return worker
        if len(self._workers) >= self.max_workers:
            return None
        return self._new_worker()

    def _new_worker(self) -> _Worker:
        """A new worker, forked by the runner's zygote; a zygote found dead on the way is
        started again (the workers it forked live on without it)."""
        from workbench.notebooks.zygote_client import ZygoteUnavailable

        for attempt in (1, 2):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                pid, pidfd = self.zygote.spawn(ENTRY, [theirs.fileno()], self._args)
            except ZygoteUnavailable as exc:
                ours.close()
                if attempt == 2 or self.zygote.alive():
                    raise WorkbenchError(f"cannot start a sweep worker: {exc}") from None
                self._restart_zygote()
                continue
            finally:
                theirs.close()
            worker = _Worker(pid, pidfd, ours)
            self._workers.append(worker)
            return worker
        raise AssertionError("unreachable")

    def _restart_zygote(self) -> None:
        self.zygote.close()
        warm = self.warm
        started = _start(warm.notebook, warm.kernel, warm.preload, warm.workers, self.log_path)
        if started is None:
            raise WorkbenchError("cannot start a sweep worker: the runner's zygote is gone")
        self.zygote, self._args["launch"] = started.zygote, started.launch

    def _collect(self, worker: _Worker) -> None:
        """The answer of ``worker`` to its job: a status, an error, or its death."""
        assert worker.job is not None
        run_id, future = worker.job
        worker.job = None
        try:
            data = worker.sock.recv(MAX_MESSAGE)
        except OSError:
            data = b""
        if not data:
            self._drop(worker)
            future.set_exception(JobLost("its worker process died"))
            return
        answer = json.loads(data)
        if "status" in answer:
            future.set_result(str(answer["status"]))
        else:
            future.set_exception(RuntimeError(answer.get("error") or "the worker failed"))

    def _drop(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        worker.sock.close()
        if not worker.exited():
            signal.pidfd_send_signal(worker.pidfd, signal.SIGKILL)
        os.close(worker.pidfd)


def _source_tree() -> str | None:
    from workbench.notebooks.kernel import source_tree_path

    return source_tree_path()


# -- in the worker ----------------------------------------------------------------------------


def worker_main(fds: list[int], args: dict[str, Any], template: Any) -> int:
    """A worker, right after the runner's zygote (``template``) forked it: its own zygote
    first (forked while this process has one thread), then jobs until the runner closes
    the socket ``fds[0]``."""
    from workbench.notebooks import warm, zygote, zygote_client

    (sock_fd,) = fds
    output_to(args.get("log_path"))  # before the zygote forks: its kernels' output too
    zygote_client.become_subreaper()
    lifeline, lifeline_write = zygote_client.lifeline_pipe()
    zsock, zpid = zygote.fork_zygote(
        template, lifeline, close=(sock_fd, lifeline_write, template.lifeline)
    )
    _become_worker(args, template.lifeline)
    from workbench.notebooks.preloads import WarmKernels

    launch = args["launch"]
    warm.never_preload(launch["unsafe"])  # what the runner's zygote found starting threads
    own = zygote_client.Zygote.adopt(zsock, zpid)
    settings = WarmKernels(exclude=frozenset(launch["exclude"]))
    warm.adopt_zygote(launch["interpreter"], launch["spec_dir"], settings, own)
    return _serve(socket.socket(fileno=sock_fd), args["home"], args["db_url"])


def _become_worker(args: dict[str, Any], runner_lifeline: int) -> None:
    """The runner's environment, folder and import path (the zygote's are a kernel's); its
    signals as a worker's; death with the runner (the read end of the runner's lifeline
    pipe, which its zygote held, sees the write end close), not with the zygote."""
    from workbench.notebooks.reader import skip_iri_grammar
    from workbench.notebooks.zygote_child import retitle

    os.environ.clear()
    os.environ.update(args["env"])
    from workbench.notebooks.kernel import known_source_tree

    known_source_tree(args["source_tree"])  # the runner asked, in this same environment
    retitle([TITLE], dict(os.environ))  # what ps shows: not a zygote
    os.chdir(args["cwd"])
    sys.path[:] = args["sys_path"]
    for sig in (signal.SIGCHLD, signal.SIGTERM):  # SIGPIPE stays ignored, as in Python
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    threading.Thread(
        target=_exit_on_hangup, args=(runner_lifeline,), name="workbench-runner", daemon=True
    ).start()
    skip_iri_grammar()
    quiet_logs()


def _exit_on_hangup(fd: int) -> None:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while not poller.poll():
        pass
    os._exit(1)  # the runner died: so does this worker (and, by their lifeline, its kernels)


def _serve(sock: socket.socket, home: str, db_url: str) -> int:
    from workbench.jobs.worker import execute_job

    while True:
        data = sock.recv(MAX_MESSAGE)
        if not data:  # the runner closed it: no more jobs
            return 0
        run_id = json.loads(data)["run_id"]
        try:
            answer: dict[str, Any] = {"status": execute_job(run_id, home, db_url)}
        except Exception as exc:  # the coordinator records it on the run
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            sock.send(json.dumps(answer).encode())
        except OSError:  # the runner is gone
            return 1


# -- in the runner ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Started:
    zygote: Any
    launch: dict[str, Any]


@dataclass(frozen=True)
class _Begun:
    """A runner's zygote whose process runs, asked to preload, not yet waited for."""

    zygote: Any
    launch: Any  # the kernel's WarmLaunch
    settings: Any  # its WarmKernels
    log_path: str | None


_early: dict[tuple[str, str, tuple[str, ...], str | None], _Begun] = {}


def forked_workers(
    workers: int, home: str, db_url: str, log_path: str | None, warm: WarmStart
) -> ForkedWorkers | None:
    """Workers forked from this sweep runner's zygote, or None when they cannot be (the
    kernel runs another interpreter than this one, no fork here, or the zygote does not
    start): the caller then uses the spawned pool. The zygote :func:`start_early` started
    for this sweep is taken if there is one."""
    early = _early.pop(_early_key(warm.notebook, warm.kernel, warm.preload, log_path), None)
    started = _finish(early) if early is not None else None
    if started is None:
        started = _start(warm.notebook, warm.kernel, warm.preload, warm.workers, log_path)
    if started is None:
        return None
    return ForkedWorkers(workers, home, db_url, log_path, warm, started)


def start_early(
    notebook: str, kernel: str | None, preload: Iterable[str], workers: int, log_path: str
) -> None:
    """Start the zygote of a warm local sweep of ``notebook`` now, without waiting for its
    imports, which then overlap the caller's planning: the runner's :func:`forked_workers`
    takes it if the sweep is this one, else :func:`discard_early` ends it. ``kernel``
    None is the notebook's own."""
    from workbench.notebooks.kernel import notebook_kernel

    kernel = kernel or notebook_kernel(notebook)
    if kernel is None:
        return
    key = _early_key(notebook, kernel, tuple(preload), log_path)
    begun = _begin(notebook, kernel, key[2], workers, log_path)
    if begun is not None:
        _early[key] = begun


def discard_early() -> None:
    """End the zygotes :func:`start_early` started that no sweep took (its planning
    failed, or it had nothing to run), without waiting for their imports."""
    while _early:
        _, begun = _early.popitem()
        begun.zygote.kill()


def _early_key(
    notebook: str, kernel: str, preload: tuple[str, ...], log_path: str | None
) -> tuple[str, str, tuple[str, ...], str | None]:
    return (os.path.realpath(notebook), kernel, preload, log_path)


def _start(
    notebook: str, kernel: str, preload: tuple[str, ...], workers: int, log_path: str | None
) -> _Started | None:
    begun = _begin(notebook, kernel, preload, workers, log_path)
    return None if begun is None else _finish(begun)


def _begin(
    notebook: str, kernel: str, preload: tuple[str, ...], workers: int, log_path: str | None
) -> _Begun | None:
    """The runner's zygote for these, started and asked to preload the notebook's imports
    (not waited for); None if there can be none."""
    from workbench.notebooks import warm as zygotes
    from workbench.notebooks.kernel import job_env
    from workbench.notebooks.preloads import settings_for
    from workbench.notebooks.provisioner import warm_launch
    from workbench.notebooks.zygote_client import ZygoteUnavailable, warm_supported

    if not warm_supported():
        return None
    launch = warm_launch(kernel, job_env({}, workers=workers))
    # A worker runs this process's code (papermill, the store) in the kernel's interpreter.
    if launch is None or os.path.abspath(launch.interpreter) != os.path.abspath(sys.executable):
        return None
    settings = settings_for(notebook, preload)
    try:
        # This sweep's own: started now, with the environment as it is now
        zygote = zygotes.start_zygote(launch.interpreter, launch.env, settings, log_path)
    except ZygoteUnavailable:
        return None
    return _Begun(zygote, launch, settings, log_path)


def _finish(begun: _Begun) -> _Started | None:
    """``begun``'s zygote once it has imported what it preloads (one started again if it
    died on the way), or None if none can run."""
    from workbench.notebooks import warm as zygotes
    from workbench.notebooks.zygote_client import ZygoteUnavailable

    launch = begun.launch
    try:
        zygote = zygotes.zygote_for(
            launch.interpreter,
            launch.spec_dir,
            launch.env,
            begun.settings,
            output=begun.log_path,
            shared=False,
            started=begun.zygote,
        )
    except ZygoteUnavailable:
        return None
    shared = {
        "interpreter": launch.interpreter,
        "spec_dir": launch.spec_dir,
        "exclude": sorted(begun.settings.exclude),
        "unsafe": zygotes.unsafe_modules(),
    }
    return _Started(zygote, shared)
