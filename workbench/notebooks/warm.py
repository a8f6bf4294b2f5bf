"""Warm kernels, runner side: which modules to preload, and the zygotes that fork kernels.

A sweep worker runs its jobs inside :func:`warm_kernels`; the kernel seam
(:func:`workbench.notebooks.kernel.job_kernel_manager`) then hands papermill a kernel manager
whose provisioner (:mod:`workbench.notebooks.provisioner`) asks this process's zygote for
the kernel instead of starting a new interpreter. One zygote per worker process, per
interpreter and kernel spec; it is started on the first job and again if it died.

This process becomes a child subreaper, so that each forked kernel (forked through an
intermediate process that exits) is its child, as a cold kernel is. Every kernel holds the
read end of one lifeline pipe whose write end only this process holds: when this process
dies, however it dies, its kernels end too.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import contextvars
import ctypes
import json
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0  # as long as nbclient waits for a cold kernel to be ready
REPLY_TIMEOUT_S = 30.0
MAX_MESSAGE = 1 << 20
METADATA_KEY = "preload"  # notebook metadata: {"workbench": {"preload": ["name", "-name"]}}


class ZygoteUnavailable(WorkbenchError):
    """No zygote can serve this kernel: the caller starts a cold one instead."""


@dataclass(frozen=True)
class WarmKernels:
    """What a job's warm kernel needs: the modules to preload into its zygote, and the names
    never to preload (a ``-name`` in a preload list)."""

    preload: tuple[str, ...] = ()
    exclude: frozenset[str] = frozenset()


_current: contextvars.ContextVar[WarmKernels | None] = contextvars.ContextVar(
    "workbench_warm_kernels", default=None
)


@contextlib.contextmanager
def warm_kernels(
    notebook: str | os.PathLike[str] | None = None, preload: Iterable[str] = ()
) -> Iterator[WarmKernels]:
    """Kernels started by job runs inside this block (in this thread) are forked from a
    zygote that preloaded the notebook's imports, its ``workbench.preload`` metadata and
    ``preload`` (``-name`` removes a name)."""
    names = list(notebook_imports(notebook)) if notebook else []
    warm = preload_settings([*names, *preload])
    token = _current.set(warm)
    try:
        yield warm
    finally:
        _current.reset(token)


def current_warm_kernels() -> WarmKernels | None:
    return _current.get()


def warm_supported() -> bool:
    """Forking kernels needs fork, pidfds and descriptor passing (Linux 5.3 and later)."""
    return (
        hasattr(os, "fork")
        and hasattr(os, "pidfd_open")
        and hasattr(socket, "send_fds")
        and hasattr(socket, "SOCK_SEQPACKET")
        and sys.platform.startswith("linux")
    )


def preload_settings(names: Sequence[str]) -> WarmKernels:
    """Module names to preload; ``-name`` leaves out ``name`` and its submodules."""
    names = [str(n).strip() for n in names]
    exclude = {n[1:].strip() for n in names if n.startswith("-")}
    keep = [n for n in dict.fromkeys(names) if n and n[0] != "-" and not _excluded(n, exclude)]
    return WarmKernels(preload=tuple(keep), exclude=frozenset(exclude))


# -- what a notebook imports --------------------------------------------------------------

_MAGIC = re.compile(r"^\s*[%!]|\?\s*$")
_cache: dict[tuple[str, float], tuple[str, ...]] = {}


def notebook_imports(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Absolute imports in the notebook's code cells (found with ``ast``; IPython magics and
    cells that do not parse are skipped), then its ``workbench.preload`` metadata list."""
    path = Path(path)
    try:
        key = (str(path.resolve()), path.stat().st_mtime)
        if key in _cache:
            return _cache[key]
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    names: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        code = "\n".join("" if _MAGIC.search(line) else line for line in source.splitlines())
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.append(node.module)
    meta = (nb.get("metadata") or {}).get("workbench") or {}
    listed = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    if isinstance(listed, list):
        names.extend(str(n) for n in listed)
    _cache[key] = tuple(dict.fromkeys(names))
    return _cache[key]


# -- the zygote, seen from its runner -----------------------------------------------------


class Zygote:
    """One zygote process and the socket to it. Thread-safe: one request at a time."""

    def __init__(self, interpreter: str, env: dict[str, str]) -> None:
        from workbench.notebooks import zygote as program
        from workbench.notebooks.threads import THREAD_CAP_VARS

        self.lock = threading.Lock()
        self.gone = False  # its socket reached end of file
        self.requested: set[str] = set()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        zenv = {k: v for k, v in env.items() if not k.startswith("WORKBENCH_RUN")}
        # Loaded with 1 thread each, BLAS and OpenMP start no threads; kernels raise it.
        zenv.update({var: "1" for var in THREAD_CAP_VARS})
        zenv[program.ROOM_VAR] = " " * program.ENV_ROOM
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
            )
        except OSError as exc:
            ours.close()
            raise ZygoteUnavailable(f"cannot start {interpreter}: {exc}") from None
        finally:
            theirs.close()
        self.sock = ours
        try:
            self.pid = int(self._reply(START_TIMEOUT_S, expect="ready")["pid"])
        except ZygoteUnavailable:
            self.kill()
            raise

    def alive(self) -> bool:
        return not self.gone and self.proc.poll() is None

    def preload(self, names: Sequence[str]) -> str | None:
        """Import what it has not been asked for yet; the name of a module that started a
        thread (this zygote must then be replaced), else None."""
        todo = [n for n in names if n not in self.requested]
        if not todo:
            return None
        with self.lock:
            self._send({"op": "preload", "modules": todo})
            reply = self._reply(START_TIMEOUT_S, expect="preloaded")
        self.requested.update(todo)
        for name, why in reply["skipped"].items():
            log.debug("Workbench: not preloading %s (%s)", name, why)
        return reply["threads"]

    def fork(
        self, cmd: list[str], argv: list[str], env: dict[str, str], cwd: str
    ) -> tuple[int, int]:
        """A new kernel: (pid, pidfd). The pidfd is the caller's to close."""
        req = {"op": "fork", "cmd": cmd, "argv": argv, "env": env, "cwd": cwd}
        with self.lock:
            self._send({**req, "reparent": _subreaper()})
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


# -- one zygote per interpreter and kernel spec in this process ----------------------------

_registry_lock = threading.Lock()
_zygotes: dict[tuple[str, str, frozenset[str]], Zygote] = {}
_unsafe: set[str] = set()  # modules seen starting threads at import: never preloaded
_broken: dict[tuple[str, str], str] = {}
_lifeline_fds: list[int] = []
_subreaper_state: list[bool] = []
PR_SET_CHILD_SUBREAPER = 36


def _subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux), once: a kernel forked by
    the zygote then becomes this process's child, as a cold kernel is."""
    if not _subreaper_state:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            _subreaper_state.append(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
        except (OSError, AttributeError):
            _subreaper_state.append(False)
    return _subreaper_state[0]


def _lifeline() -> int:
    """The read end of this process's lifeline pipe, created once and never closed here."""
    if not _lifeline_fds:
        read, write = os.pipe()  # not inheritable: only passed on purpose
        _lifeline_fds.extend((read, write))
    return _lifeline_fds[0]


def zygote_for(interpreter: str, spec_dir: str, env: dict[str, str], warm: WarmKernels) -> Zygote:
    """This process's zygote for the interpreter and kernel spec, started (again) if needed,
    with ``warm.preload`` imported. ZygoteUnavailable if none can run here."""
    with _registry_lock:
        if (interpreter, spec_dir) in _broken:
            raise ZygoteUnavailable(_broken[interpreter, spec_dir])
        while True:
            exclude = warm.exclude | _unsafe
            key = (interpreter, spec_dir, frozenset(exclude))
            zygote = _zygotes.get(key)
            fresh = zygote is None or not zygote.alive()
            if fresh:
                if zygote is not None:
                    log.warning("Workbench: the zygote %s died; starting a new one", zygote.pid)
                try:
                    zygote = _zygotes[key] = Zygote(interpreter, env)
                except ZygoteUnavailable as exc:
                    _broken[interpreter, spec_dir] = str(exc)
                    raise
            assert zygote is not None
            names = [n for n in warm.preload if not _excluded(n, exclude)]
            try:
                threaded = zygote.preload(names)
            except ZygoteUnavailable as exc:
                del _zygotes[key]
                zygote.kill()
                if not fresh:  # it had died before this request: start a new one
                    continue
                # An import crashed or hung a new zygote: cold kernels from now on.
                _broken[interpreter, spec_dir] = f"preloading {', '.join(names)} failed: {exc}"
                raise
            if threaded is None:
                return zygote
            # A module that starts threads at import makes forking unsafe: drop this
            # zygote and never preload that module again in this process.
            log.warning("Workbench: %s starts threads when imported; not preloading it", threaded)
            _unsafe.add(threaded.partition(".")[0])
            del _zygotes[key]
            zygote.close()


def fork_kernel(
    interpreter: str,
    spec_dir: str,
    warm: WarmKernels,
    cmd: list[str],
    env: dict[str, str],
    cwd: str,
) -> tuple[int, int]:
    """A kernel forked by this process's zygote: (pid, pidfd). A zygote found dead on the
    way is replaced once. ZygoteUnavailable when no warm kernel can be had."""
    for attempt in (1, 2):
        zygote = zygote_for(interpreter, spec_dir, env, warm)
        try:
            return zygote.fork(cmd, cmd[3:], env, cwd)
        except ZygoteUnavailable:
            if attempt == 2 or zygote.alive():
                raise
    raise AssertionError("unreachable")


def _excluded(name: str, exclude: Iterable[str]) -> bool:
    return any(name == x or name.startswith(x + ".") for x in exclude)


def zygotes() -> list[Zygote]:
    """The zygotes this process runs now (for tests and the benchmark)."""
    with _registry_lock:
        return [z for z in _zygotes.values() if z.alive()]


@atexit.register
def _close_zygotes() -> None:
    # Waited for, so that their CPU time counts to this process's children.
    for zygote in list(_zygotes.values()):
        with contextlib.suppress(Exception):
            zygote.close()
