"""Warm kernels, runner side: which zygote forks which kernels (a zygote itself, seen from
its runner, is :mod:`workbench.notebooks.zygote_client`; what it preloads is
:mod:`workbench.notebooks.preloads`).

A sweep worker runs its jobs inside :func:`~workbench.notebooks.preloads.warm_kernels`;
the kernel seam (:func:`workbench.notebooks.kernel.job_kernel_manager`) then hands papermill
a kernel manager whose provisioner (:mod:`workbench.notebooks.provisioner`) asks this
process's zygote for the kernel instead of starting a new interpreter. One zygote per
process, per interpreter and kernel spec; it is started on the first job (or adopted: a
local sweep's worker forks its own, see :mod:`workbench.jobs.forked`) and again if it died.

This process becomes a child subreaper, so that each forked kernel (forked through an
intermediate process that exits) is its child, as a cold kernel is. Every kernel holds the
read end of one lifeline pipe whose write end only this process holds: when this process
dies, however it dies, its kernels end too.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections.abc import Sequence

from workbench.notebooks.preloads import WarmKernels, excluded
from workbench.notebooks.zygote_client import Zygote, ZygoteUnavailable

log = logging.getLogger(__name__)

# -- one zygote per interpreter and kernel spec in this process ----------------------------

_registry_lock = threading.Lock()
_zygotes: dict[tuple[str, str, frozenset[str]], Zygote] = {}
_unsafe: set[str] = set()  # modules seen starting threads at import: never preloaded
_broken: dict[tuple[str, str], str] = {}


def unsafe_modules() -> list[str]:
    """Modules seen starting threads at import in this process (never preloaded)."""
    with _registry_lock:
        return sorted(_unsafe)


def never_preload(names: Sequence[str]) -> None:
    """Never preload ``names`` here (another process saw them start threads)."""
    with _registry_lock:
        _unsafe.update(names)


def adopt_zygote(interpreter: str, spec_dir: str, warm: WarmKernels, zygote: Zygote) -> None:
    """Make ``zygote`` this process's zygote for the interpreter, kernel spec and ``warm``
    (what ``zygote_for`` then returns for them, while it lives)."""
    with _registry_lock:
        _zygotes[interpreter, spec_dir, frozenset(warm.exclude | _unsafe)] = zygote


def start_zygote(
    interpreter: str, env: dict[str, str], warm: WarmKernels, output: str | None = None
) -> Zygote:
    """A new zygote for the caller alone, asked to preload ``warm.preload`` but not waited
    for: its imports overlap the caller's work until :func:`zygote_for` (``started=``) takes
    it. ZygoteUnavailable if it cannot start."""
    zygote = Zygote(interpreter, env, output, wait=False)
    with _registry_lock:
        names = _preload_names(warm)
    try:
        zygote.request_preload(names)
    except ZygoteUnavailable:
        zygote.kill()
        raise
    return zygote


def zygote_for(
    interpreter: str,
    spec_dir: str,
    env: dict[str, str],
    warm: WarmKernels,
    output: str | None = None,
    *,
    shared: bool = True,
    started: Zygote | None = None,
) -> Zygote:
    """This process's zygote for the interpreter and kernel spec, started (again) if needed,
    with ``warm.preload`` imported; a zygote it starts writes to the file ``output``.
    ``shared=False``: a new zygote for the caller alone (this process's kernels never use
    it; the caller closes it), or ``started`` (see :func:`start_zygote`) once it has
    imported them. ZygoteUnavailable if none can run here."""
    with _registry_lock:
        zygotes = _zygotes if shared else {}
        if started is not None and not shared:
            zygotes[interpreter, spec_dir, frozenset(warm.exclude | _unsafe)] = started
        try:
            return _obtain(zygotes, interpreter, spec_dir, env, warm, output)
        except ZygoteUnavailable:
            if started is not None:
                started.kill()
            raise


def _preload_names(warm: WarmKernels) -> list[str]:
    """What a zygote preloads for ``warm`` here (the registry lock is held)."""
    exclude = warm.exclude | _unsafe
    return [n for n in warm.preload if not excluded(n, exclude)]


def _obtain(
    zygotes: dict[tuple[str, str, frozenset[str]], Zygote],
    interpreter: str,
    spec_dir: str,
    env: dict[str, str],
    warm: WarmKernels,
    output: str | None,
) -> Zygote:
    """The zygote of ``zygotes`` for these, started (again) if needed (the registry lock is
    held)."""
    if (interpreter, spec_dir) in _broken:
        raise ZygoteUnavailable(_broken[interpreter, spec_dir])
    while True:
        exclude = warm.exclude | _unsafe
        key = (interpreter, spec_dir, frozenset(exclude))
        zygote = zygotes.get(key)
        fresh = zygote is None or not zygote.alive()
        if fresh:
            if zygote is not None:
                log.warning("Workbench: the zygote %s died; starting a new one", zygote.pid)
            try:
                zygote = zygotes[key] = Zygote(interpreter, env, output)
            except ZygoteUnavailable as exc:
                _broken[interpreter, spec_dir] = str(exc)
                raise
        assert zygote is not None
        names = _preload_names(warm)
        try:
            threaded = zygote.preload(names)
        except ZygoteUnavailable as exc:
            del zygotes[key]
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
        del zygotes[key]
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
