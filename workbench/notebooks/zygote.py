"""The zygote: a pre-imported Python process that forks one kernel per sweep job.

Started by :mod:`workbench.notebooks.zygote_client` as ``python -m workbench.notebooks.zygote``
with the kernel spec's interpreter. It imports ipykernel, workbench and the installed modules a
notebook imports, never user code, then waits on a Unix socket for requests from its runner
(the sweep worker process that started it). Each ``fork`` request becomes a kernel that a
cold start could not tell apart: a child of the runner (forked through an intermediate
process that exits at once; the runner is a child subreaper), its own session, default
signal handlers, the job's environment, working folder and ``sys.argv``, fresh random
state, thread caps applied with threadpoolctl, then ipykernel on the job's connection file.

It holds no threads and no ZMQ context when it forks (checked before each fork) and exits
when its runner closes the socket. A kernel does not depend on it: the kernel dies with the
runner (through the runner's lifeline pipe), not with the zygote, so a zygote that dies is
simply started again.

Only the standard library (and :mod:`workbench.notebooks.zygote_child`, the child's side of
a fork) is imported at the top: this module runs in the kernel spec's interpreter.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import json
import os
import select
import signal
import socket
import sys
import sysconfig
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any

from workbench.notebooks.zygote_child import become_kernel

# What every kernel needs, imported before anything else; a zygote without them is useless.
# The tracking client and its store (SQLAlchemy) are what a notebook's first ``wb.log_*``
# imports: about 0.2 s of CPU per job if a kernel had to import them itself.
REQUIRED = (
    "ipykernel.kernelapp",
    "workbench",
    "workbench.tracking.fluent",
    "workbench.tracking.client",
    "workbench.store.store",
    "threadpoolctl",
)
# What ipykernel imports while it starts and runs its first cell (found by diffing a job
# kernel's sys.modules against its zygote's): preloaded, they cost a kernel nothing. Any of
# them may fail or be absent. What a notebook's own code imports is the notebook's preload.
KERNEL_STARTUP = (
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "IPython.core.oinspect",
    "IPython.core.logger",
    "sqlite3",
    "tornado.queues",
    "tornado.platform.asyncio",
    "psutil",
    # the store's database drivers, as the job's store URL will need one of them
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
)
# What ipykernel sets when the environment names no backend: set before matplotlib may load.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
MAX_MESSAGE = 1 << 20
# Room reserved in the zygote's argv and environment so that a kernel can show its own
# command line and environment in /proc, as a cold kernel does (see zygote_child.retitle).
ROOM_VAR = "WORKBENCH_ZYGOTE_ROOM"
ARGV_ROOM = 512
ENV_ROOM = 8192

# In a kernel forked by a zygote: that zygote's pid (``from workbench.notebooks import
# zygote; zygote.forked_from``); None in any other process.
forked_from: int | None = None


class Zygote:
    def __init__(self, sock: socket.socket, lifeline: int) -> None:
        self.sock, self.lifeline = sock, lifeline
        self.preloaded: set[str] = set()  # top-level names preloaded for notebooks
        self.tried: set[str] = set()
        self.controller: Any = None
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    # -- requests ----------------------------------------------------------------------------

    def serve(self) -> None:
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select through the wakeup fd
        self.send({"op": "ready", "pid": os.getpid()})
        while True:
            watched: list[Any] = [self.sock, self.wake_r]  # a socket and a pipe's fd
            ready, _, _ = select.select(watched, [], [])
            if self.wake_r in ready:
                while _read_some(self.wake_r):
                    pass
            self.reap()
            if self.sock in ready:
                data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 4)
                if not data:  # the runner is gone
                    break
                self.handle(json.loads(data), fds)
        self.reap()

    def handle(self, req: dict[str, Any], fds: list[int] | None = None) -> None:
        op = req.get("op")
        if op == "spawn":
            self.spawn(req, fds or [])
            return
        for fd in fds or []:  # only a spawn passes descriptors
            os.close(fd)
        if op == "preload":
            self.send(self.preload(req["modules"], installed_only=True))
        elif op == "fork":
            self.fork(req)
        else:
            self.send({"op": "error", "reason": f"unknown request {op!r}"})

    def send(self, msg: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(msg).encode()
        if fds:
            socket.send_fds(self.sock, [data], fds)
        else:
            self.sock.send(data)

    def preload(self, names: list[str], *, installed_only: bool) -> dict[str, Any]:
        """Import ``names`` (skipping any that fail or are not installed packages); stop at
        the first one that started a thread, which makes this zygote unsafe to fork."""
        loaded, skipped = [], {}
        before = set(sys.modules)
        for name in names:
            if name in self.tried:
                continue
            self.tried.add(name)
            if installed_only and (why := _not_installed(name)):
                skipped[name] = why
                continue
            try:
                importlib.import_module(name)
            except BaseException as exc:  # noqa: BLE001 - a broken module must not stop us
                skipped[name] = f"{type(exc).__name__}: {exc}"
                continue
            loaded.append(name)
            if _thread_count() > 1:
                return {"op": "preloaded", "loaded": loaded, "skipped": skipped, "threads": name}
        if installed_only:
            self.preloaded |= {m.partition(".")[0] for m in set(sys.modules) - before}
        from threadpoolctl import ThreadpoolController

        self.controller = ThreadpoolController()  # the libraries loaded so far
        return {"op": "preloaded", "loaded": loaded, "skipped": skipped, "threads": None}

    def fork(self, req: dict[str, Any]) -> None:
        """Fork a kernel. With ``reparent`` (the runner is a child subreaper), through an
        intermediate process that exits at once, so that the kernel's parent is the runner,
        as a cold kernel's is: its getppid(), its exit status, its fate if the zygote dies."""
        if why := _unsafe_to_fork():
            self.send({"op": "error", "reason": f"the zygote has {why}: it cannot fork safely"})
            return
        _before_fork()
        me = os.getpid()
        read, write = os.pipe()  # the intermediate tells the kernel's pid
        go_read, go_write = os.pipe()  # the zygote tells the kernel that its runner knows it
        first = os.fork()
        if first == 0:
            global forked_from
            forked_from = me
            os.close(read)
            os.close(go_write)
            if req.get("reparent"):
                intermediate = os.getpid()
                try:
                    kernel = os.fork()
                except OSError:
                    os._exit(1)
                if kernel:  # the intermediate: tell the zygote who the kernel is, and go
                    os.write(write, str(kernel).encode())
                    os._exit(0)
                while os.getppid() == intermediate:  # until the runner is the parent
                    time.sleep(0.0002)
            os.close(write)
            # No kernel unless its runner got its handle: a zygote killed meanwhile (the
            # runner gave up waiting) leaves nothing running.
            if os.read(go_read, 1) != b"1":
                os._exit(1)
            os.close(go_read)
            code = 1
            try:
                self._let_go()
                code = become_kernel(req, self.lifeline, self.preloaded, self.controller)
            except BaseException:  # noqa: BLE001 - reported like a kernel that failed to start
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(write)
        os.close(go_read)
        try:
            if req.get("reparent"):
                answer = os.read(read, 32)
                os.waitpid(first, 0)
                pid = int(answer or 0)
            else:
                pid = first
            try:
                pidfd = os.pidfd_open(pid) if pid else -1
            except OSError:  # it is gone already
                pidfd = -1
            if pidfd < 0:
                self.send({"op": "error", "pid": pid, "reason": "the kernel could not be forked"})
                return
            try:
                self.send({"op": "forked", "pid": pid}, [pidfd])
            finally:
                os.close(pidfd)
            os.write(go_write, b"1")
        finally:
            os.close(read)
            os.close(go_write)

    def spawn(self, req: dict[str, Any], fds: list[int]) -> None:
        """Fork a child that calls ``req["entry"]`` (``module:function``, Workbench's own
        code, never the user's) with the descriptors passed (``fds``), ``req["args"]`` and
        this zygote (the child starts with everything it preloaded). The child is this
        zygote's; the runner gets its pid and a pidfd. A local sweep's workers start so."""
        if why := _unsafe_to_fork():
            for fd in fds:
                os.close(fd)
            self.send({"op": "error", "reason": f"the zygote has {why}: it cannot fork safely"})
            return
        _before_fork()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                self._let_go()
                gc.enable()  # a worker, not a zygote: see _before_fork
                module, _, function = str(req["entry"]).partition(":")
                entry = getattr(importlib.import_module(module), function)
                code = int(entry(fds, req.get("args") or {}, self) or 0)
            except BaseException:  # noqa: BLE001 - the runner sees it exit
                traceback.print_exc()
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            self.send({"op": "error", "pid": pid, "reason": "the child exited at once"})
            return
        try:
            self.send({"op": "spawned", "pid": pid}, [pidfd])
        finally:
            os.close(pidfd)

    def _let_go(self) -> None:
        """In a child just forked: drop the zygote's socket and wake-up pipe."""
        signal.set_wakeup_fd(-1)
        for fd in (self.sock.fileno(), self.wake_r, self.wake_w):
            os.close(fd)

    def reap(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return


def fork_zygote(
    template: Zygote, lifeline: int, close: Sequence[int] = ()
) -> tuple[socket.socket, int]:
    """In a child that :meth:`Zygote.spawn` started (still one thread): fork a zygote for
    this process, with everything ``template`` preloaded, whose kernels hold ``lifeline``
    (this process's lifeline pipe, read end); it closes ``close`` (descriptors of this
    process its kernels must not hold). Returns the socket to it and its pid."""
    if why := _unsafe_to_fork():
        raise RuntimeError(f"a zygote cannot be forked from a process with {why}")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    _before_fork()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            gc.disable()  # a zygote again (its template's worker collects)
            ours.close()
            for fd in close:
                os.close(fd)
            zygote = Zygote(theirs, lifeline)
            zygote.preloaded, zygote.tried = set(template.preloaded), set(template.tried)
            zygote.controller = template.controller
            zygote.serve()
        except BaseException:  # noqa: BLE001 - its runner sees the socket close
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    theirs.close()
    return ours, pid


# -- helpers ---------------------------------------------------------------------------------


def _unsafe_to_fork() -> str | None:
    """What makes forking this process unsafe now (threads, a ZMQ context), if anything."""
    threads = _thread_count()
    if threads > 1:
        return f"{threads} threads"
    return "an open ZMQ context" if _zmq_context_open() else None


def _before_fork() -> None:
    """Output flushed (a child would print it again) and every object frozen: a child's
    collector leaves the zygote's objects, and so their pages, shared copy-on-write.

    The zygote's own collector is off from its start (``main``): it never runs user code,
    and collections while it imports would only leave holes in pages its children share.
    A forked kernel or worker turns it on again. (Python's documentation of gc.freeze
    recommends this order.)"""
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _zmq_context_open() -> bool:
    """Whether a preloaded module left pyzmq's global context open (a child must not share
    it: ZMQ contexts do not survive a fork)."""
    context = getattr(sys.modules.get("zmq"), "Context", None)
    return getattr(context, "_instance", None) is not None


def _read_some(fd: int) -> bool:
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return False


def _installed_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    import site

    roots.update(getattr(site, "getsitepackages", list)())
    roots.add(site.getusersitepackages())
    return tuple(os.path.realpath(r) + os.sep for r in roots if r)


def _not_installed(name: str) -> str | None:
    """Why ``name`` is not preloaded (None if it is a stdlib or installed module): code from
    the notebook's folder or the user's own paths is user code, imported by the job only."""
    top = name.partition(".")[0]
    if top in sys.modules:
        return None
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if spec is None:
        return "not found"
    if spec.origin in ("built-in", "frozen"):
        return None
    where = [spec.origin] if spec.has_location else list(spec.submodule_search_locations or [])
    roots = _installed_roots()
    if where and all(os.path.realpath(w).startswith(roots) for w in where if w):
        return None
    return "not an installed package"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workbench.notebooks.zygote")
    parser.add_argument("--socket", type=int, required=True)
    parser.add_argument("--lifeline", type=int, required=True)
    parser.add_argument("room", nargs="*")  # blank room for a kernel's command line
    args = parser.parse_args(argv)
    gc.disable()  # see _before_fork
    # Run as __main__, known by its name too: a kernel importing it finds forked_from set.
    sys.modules.setdefault("workbench.notebooks.zygote", sys.modules[__name__])
    # Like ipykernel_launcher: not the start folder on sys.path (a kernel adds its own).
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]
    os.environ.pop(ROOM_VAR, None)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=args.socket)
    zygote = Zygote(sock, args.lifeline)
    result = zygote.preload(list(REQUIRED), installed_only=False)
    if not result["threads"]:
        result = zygote.preload(list(KERNEL_STARTUP), installed_only=False)
    missing = [n for n in REQUIRED if n not in sys.modules]
    if missing or result["threads"]:
        why = f"cannot import {missing}" if missing else f"{result['threads']} started threads"
        zygote.send({"op": "failed", "reason": why})
        return
    zygote.serve()
    # Nothing of the zygote's needs finalizing, and tearing down everything it imported
    # would cost its runner's exit a good part of a second.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
