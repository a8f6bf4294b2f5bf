"""A zygote's child becoming a job's kernel, in the child right after the fork.

What a cold kernel gets from a fresh interpreter and jupyter_client's launcher, the child
sets up itself: its own session and process group, default signal handlers and mask, no
stdin, the job's working folder, environment and ``sys.argv`` (also shown in /proc), fresh
global random state, the job's BLAS/OpenMP thread caps (threadpoolctl: the libraries
loaded in the zygote read their environment variables then), then ipykernel on the job's
connection file. It ends with its runner, through the runner's lifeline pipe.

Only the standard library is imported at the top: this module runs in any interpreter.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import importlib
import importlib.machinery
import importlib.util
import os
import select
import signal
import sys
import threading
from typing import Any

SITE_DIRS = ("site-packages", "dist-packages")


def become_kernel(req: dict[str, Any], lifeline: int, preloaded: set[str], controller: Any) -> int:
    """Turn this fresh fork of the zygote (its own sockets closed) into the job's kernel;
    return its exit code once the kernel stops. ``req`` holds the job's kernel command
    (``cmd``, ``argv``), environment and working folder."""
    gc.enable()  # off in the zygote (see zygote._before_fork); on in a cold kernel
    os.setsid()  # its own session and process group, like a cold kernel
    _reset_signals()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    _watch_lifeline(lifeline)
    os.chdir(req["cwd"])
    env: dict[str, str] = req["env"]
    _replace_environ(env)
    retitle(req["cmd"], env)
    sys.argv = [_main_path(req["cmd"][2]), *req["argv"]]
    sys.orig_argv = list(req["cmd"])
    _forget_shadowed(preloaded, req["cwd"])
    importlib.invalidate_caches()
    _reseed()
    _cap_threads(controller, env)

    from ipykernel.kernelapp import IPKernelApp

    try:
        # parent_handle 1 means "started by a parent, do not poll it" to ipykernel: the
        # lifeline ends this kernel when its runner dies, and a zygote's death must not.
        IPKernelApp.launch_instance(argv=req["argv"], parent_handle=1)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _main_path(module: str) -> str:
    """``sys.argv[0]`` of ``python -m module``: the module's file, or its package's
    ``__main__.py``."""
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.submodule_search_locations is not None:
        spec = importlib.util.find_spec(module + ".__main__")
    return spec.origin if spec is not None and spec.origin else module


def _reset_signals() -> None:
    """Signal handlers and mask as a fresh interpreter has them."""
    for sig in signal.valid_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python sets them at startup
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _watch_lifeline(fd: int) -> None:
    """End this kernel's process group when the runner dies (the pipe's only writer)."""

    def watch() -> None:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        while True:
            if poller.poll():
                os.killpg(os.getpgid(0), signal.SIGKILL)

    threading.Thread(target=watch, name="workbench-lifeline", daemon=True).start()


def _replace_environ(env: dict[str, str]) -> None:
    # Every variable is set again, so that libc's environ points only at copies and the
    # original block can be rewritten by retitle.
    os.environ.clear()
    os.environ.update(env)


def retitle(cmd: list[str], env: dict[str, str]) -> None:
    """Show the kernel's command line and environment in /proc, as a cold kernel's: ps,
    psutil and anyone looking for a job's kernel see what they would see for a cold one.

    Both live in fixed blocks at the top of the stack (the zygote reserved room in them);
    they are written only if /proc/self/stat's addresses hold exactly what /proc says."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        arg_start, arg_end, env_start, env_end = (int(x) for x in fields[45:49])
        with open("/proc/self/cmdline", "rb") as f:
            old_cmd = f.read()
        with open("/proc/self/environ", "rb") as f:
            old_env = f.read()
    except (OSError, ValueError, IndexError):
        return
    new_cmd = b"".join(os.fsencode(a) + b"\0" for a in cmd)
    new_env = b"".join(os.fsencode(f"{k}={v}") + b"\0" for k, v in env.items())
    for start, end, old, new in (
        (arg_start, arg_end, old_cmd, new_cmd),
        (env_start, env_end, old_env, new_env),
    ):
        size = end - start
        if size <= 0 or len(new) > size or ctypes.string_at(start, len(old)) != old:
            continue
        ctypes.memmove(start, new + b"\0" * (size - len(new)), size)


def _forget_shadowed(preloaded: set[str], cwd: str) -> None:
    """A cold kernel finds modules in its working folder before installed ones (IPython
    puts the folder just before site-packages): forget preloaded modules from
    site-packages or later that a module in the job's folder shadows."""
    sites = [i for i, p in enumerate(sys.path) if os.path.basename(p) in SITE_DIRS]
    if not sites:
        return
    after = [os.path.join(p, "") for p in sys.path[sites[0] :] if p]
    for top in preloaded:
        origin = getattr(getattr(sys.modules.get(top), "__spec__", None), "origin", None)
        if not origin or not origin.startswith(tuple(after)):
            continue  # the standard library or PYTHONPATH: found before the folder
        spec = importlib.machinery.PathFinder.find_spec(top, [cwd])
        if spec is None or spec.loader is None:  # nothing there, or a namespace portion
            continue
        for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
            del sys.modules[name]


def _reseed() -> None:
    """Fresh global random state: every fork would otherwise draw the zygote's numbers."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.seed()


def _cap_threads(controller: Any, env: dict[str, str]) -> None:
    """BLAS and OpenMP read their thread counts when they load, which happened here in the
    zygote (with 1 thread): set the job's counts now; without one, the library default."""
    if controller is None:
        return
    cores = len(os.sched_getaffinity(0))
    omp = _positive(env.get("OMP_NUM_THREADS"))
    blas = _positive(env.get("OPENBLAS_NUM_THREADS") or env.get("MKL_NUM_THREADS")) or omp
    controller.limit(limits={"openmp": omp or cores, "blas": blas or cores})


def _positive(text: str | None) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if value > 0 else None
