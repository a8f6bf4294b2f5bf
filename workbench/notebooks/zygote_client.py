"""A zygote seen from its runner: the process, its socket and the requests it answers
(preload, fork a kernel, spawn a worker), plus the process-wide handles every forked kernel
relies on: this process as the child subreaper that adopts its kernels, and the lifeline
pipe whose write end only this process holds (when it dies, however it dies, its kernels
end too). Which zygote serves which kernels is :mod:`workbench.notebooks.warm`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import IO, Any

from workbench.errors import WorkbenchError

log = logging.getLogger("workbench.notebooks.warm")

START_TIMEOUT_S = 60.0  # as long as nbclient waits for a cold kernel to be ready
REPLY_TIMEOUT_S = 30.0
MAX_MESSAGE = 1 << 20


class ZygoteUnavailable(WorkbenchError):
    """No zygote can serve this kernel: the caller starts a cold one instead."""


def warm_supported() -> bool:
    """Forking kernels needs fork, pidfds and descriptor passing (Linux 5.3 and later)."""
    return (
        hasattr(os, "fork")
        and hasattr(os, "pidfd_open")
        and hasattr(socket, "send_fds")
        and hasattr(socket, "SOCK_SEQPACKET")
        and sys.platform.startswith("linux")
    )


# -- the zygote, seen from its runner -----------------------------------------------------


class Zygote:
    """One zygote process and the socket to it. Thread-safe: one request at a time.

    Made by starting ``python -m workbench.notebooks.zygote`` (the constructor), or
    :meth:`adopt`-ed: a zygote this process forked (a local sweep worker, itself spawned by
    a zygote, forks its own as it starts)."""

    proc: subprocess.Popen[bytes] | _Forked

    def __init__(
        self,
        interpreter: str,
        env: dict[str, str],
        output: str | None = None,
        *,
        wait: bool = True,
    ) -> None:
        """Start the zygote; ``wait=False`` returns as soon as its process runs (its imports
        then overlap the caller's work; the first request's reply waits for them)."""
        from workbench.notebooks import zygote as program
        from workbench.notebooks.threads import THREAD_CAP_VARS

        self._init_state()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        zenv = {k: v for k, v in env.items() if not k.startswith("WORKBENCH_RUN")}
        # Loaded with 1 thread each, BLAS and OpenMP start no threads; kernels raise it.
        zenv.update({var: "1" for var in THREAD_CAP_VARS})
        zenv[program.ROOM_VAR] = " " * program.ENV_ROOM
        # debugpy (ipykernel's debugger, preloaded) warns at import that Python's frozen
        # modules may hide breakpoints: noise at the top of every sweep log, about a
        # debugger no batch job attaches.
        zenv.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        log_file = _open_output(output)
        try:
            self.proc = subprocess.Popen(
                [
                    interpreter,
                    "-m",
                    "workbench.notebooks.zygote",
                    "--socket",
                    str(theirs.fileno()),
                    "--lifeline",
                    str(_lifeline()),
                    " " * program.ARGV_ROOM,
                ],
                pass_fds=(theirs.fileno(), _lifeline()),
                env=zenv,
                cwd=tempfile.gettempdir(),
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C in the terminal is not for it
                stdout=log_file,
                stderr=log_file,
            )
        except OSError as exc:
            ours.close()
            raise ZygoteUnavailable(f"cannot start {interpreter}: {exc}") from None
        finally:
            theirs.close()
            if log_file is not None:
                log_file.close()
        self.sock, self.pid = ours, self.proc.pid
        if not wait:  # its "ready" is skipped by the first reply awaited
            return
        try:
            self._reply(START_TIMEOUT_S, expect="ready")
        except ZygoteUnavailable:
            self.kill()
            raise

    def _init_state(self) -> None:
        self.lock = threading.Lock()
        self.gone = False  # its socket reached end of file
        self.requested: set[str] = set()
        self.pending: list[str] = []  # asked to preload, reply not read yet

    @classmethod
    def adopt(cls, sock: socket.socket, pid: int) -> Zygote:
        """The zygote ``pid``, a child of this process, served on ``sock``."""
        self = cls.__new__(cls)
        self._init_state()
        self.sock, self.proc = sock, _Forked(pid)
        self.pid = int(self._reply(START_TIMEOUT_S, expect="ready")["pid"])
        return self

    def alive(self) -> bool:
        return not self.gone and self.proc.poll() is None

    def request_preload(self, names: Sequence[str]) -> None:
        """Ask it to import what it has not been asked for yet, without waiting (one request
        at a time: none while one is unanswered); :meth:`preload` reads the answer."""
        with self.lock:
            todo = [n for n in names if n not in self.requested]
            if todo and not self.pending:
                self._send({"op": "preload", "modules": todo})
                self.pending.extend(todo)

    def preload(self, names: Sequence[str]) -> str | None:
        """Import what it has not been asked for yet, after what :meth:`request_preload`
        asked; the name of a module that started a thread (this zygote must then be
        replaced), else None."""
        threads = self._preloaded()
        if threads is None:
            self.request_preload(names)
            threads = self._preloaded()
        return threads

    def _preloaded(self) -> str | None:
        """The answer to the preload request in flight, if any (see :meth:`preload`)."""
        with self.lock:
            if not self.pending:
                return None
            reply = self._reply(START_TIMEOUT_S, expect="preloaded")
            self.requested.update(self.pending)
            self.pending.clear()
        for name, why in reply["skipped"].items():
            log.debug("Workbench: not preloading %s (%s)", name, why)
        return reply["threads"]

    def fork(
        self, cmd: list[str], argv: list[str], env: dict[str, str], cwd: str
    ) -> tuple[int, int]:
        """A new kernel: (pid, pidfd). The pidfd is the caller's to close."""
        req = {"op": "fork", "cmd": cmd, "argv": argv, "env": env, "cwd": cwd}
        with self.lock:
            self._send({**req, "reparent": become_subreaper()})
            try:
                reply, fds = self._reply_with_fds(REPLY_TIMEOUT_S, expect="forked")
            except ZygoteUnavailable:
                # Killed, a zygote sends no late reply, and a kernel it forked but could
                # not hand over never starts (it waits for the zygote's word).
                self.kill()
                raise
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise ZygoteUnavailable("the zygote sent no process handle for its kernel")
        return int(reply["pid"]), fds[0]

    def spawn(self, entry: str, fds: Sequence[int], args: dict[str, Any]) -> tuple[int, int]:
        """A child of the zygote that runs ``entry`` (``module:function``) with ``fds``
        and ``args`` (see ``zygote.Zygote.spawn``): (pid, pidfd), the pidfd the caller's."""
        data = json.dumps({"op": "spawn", "entry": entry, "args": args}).encode()
        with self.lock:
            try:
                socket.send_fds(self.sock, [data], list(fds))
            except OSError as exc:
                self.gone = True
                raise ZygoteUnavailable(f"the zygote is gone ({exc})") from None
            reply, got = self._reply_with_fds(REPLY_TIMEOUT_S, expect="spawned")
        if len(got) != 1:
            for fd in got:
                os.close(fd)
            raise ZygoteUnavailable("the zygote sent no process handle for its child")
        return int(reply["pid"]), got[0]

    def kill(self) -> None:
        self.proc.kill()
        self.close()

    def close(self) -> None:
        self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    # -- the socket --------------------------------------------------------------------------

    def _send(self, msg: dict[str, Any]) -> None:
        try:
            self.sock.send(json.dumps(msg).encode())
        except OSError as exc:
            self.gone = True
            raise ZygoteUnavailable(f"the zygote is gone ({exc})") from None

    def _reply(self, timeout: float, expect: str) -> dict[str, Any]:
        return self._reply_with_fds(timeout, expect)[0]

    def _reply_with_fds(self, timeout: float, expect: str) -> tuple[dict[str, Any], list[int]]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ZygoteUnavailable(f"the zygote did not answer within {timeout:g} s")
            try:
                msg, fds = self._read_one(left)
            except TimeoutError:
                continue
            if msg.get("op") == expect:
                return msg, fds
            for fd in fds:
                os.close(fd)
            if msg.get("op") in ("error", "failed"):
                if msg.get("pid"):  # a kernel that exited at once, adopted here: reap it
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(int(msg["pid"]), os.WNOHANG)
                raise ZygoteUnavailable(f"the zygote refused: {msg.get('reason')}")

    def _read_one(self, timeout: float) -> tuple[dict[str, Any], list[int]]:
        """One message, and the descriptors passed with it."""
        self.sock.settimeout(timeout)
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 4)
        except (TimeoutError, BlockingIOError):
            raise TimeoutError from None
        except OSError as exc:
            self.gone = True
            raise ZygoteUnavailable(f"the zygote is gone ({exc})") from None
        if not data:
            self.gone = True
            raise ZygoteUnavailable(f"the zygote exited (status {self.proc.poll()})")
        return json.loads(data), fds


def _open_output(path: str | None) -> IO[bytes] | None:
    if path is None:
        return None
    try:
        return open(path, "ab")  # noqa: SIM115 - closed once the zygote holds it
    except OSError:
        return None


class _Forked:
    """A child process this one forked, with the part of ``Popen`` a Zygote uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = 1  # reaped elsewhere
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"zygote {self.pid}", timeout or 0)
            time.sleep(0.005)
        return code

    def kill(self) -> None:
        if self.poll() is None:  # not reaped: the pid is still this child's
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


# -- this process's handles for its kernels ---------------------------------------------

_lifeline_fds: list[int] = []
_subreaper_state: list[bool] = []
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux), once: a kernel forked by
    the zygote then becomes this process's child, as a cold kernel is."""
    if not _subreaper_state:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            _subreaper_state.append(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
        except (OSError, AttributeError):
            _subreaper_state.append(False)
    return _subreaper_state[0]


def lifeline_pipe() -> tuple[int, int]:
    """This process's lifeline pipe (read end, write end), created once and never closed
    here: its kernels hold the read end, only this process the write end."""
    if not _lifeline_fds:
        read, write = os.pipe()  # not inheritable: only passed on purpose
        _lifeline_fds.extend((read, write))
    return _lifeline_fds[0], _lifeline_fds[1]


def _lifeline() -> int:
    return lifeline_pipe()[0]
