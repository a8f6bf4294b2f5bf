"""The one seam where a job's kernel is started and stopped.

The job runner hands papermill (and through it nbclient) a kernel manager class made by
:func:`job_kernel_manager`. That class launches the kernel with the job's environment (run
context, BLAS/OpenMP thread caps) merged in, without touching the runner's ``os.environ``,
and shuts the kernel down at once. Inside :func:`workbench.notebooks.warm.warm_kernels` (a
sweep job), the class forks the kernel from a pre-imported zygote instead
(:mod:`workbench.notebooks.provisioner`); everything else about the job is the same.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import queue
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

from workbench.errors import InvalidInput

if TYPE_CHECKING:
    from workbench.notebooks.warm import WarmKernels

THREAD_CAP_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
FLUSH_TIMEOUT_S = 2.0
READY_IOPUB_S = 0.5
AFTER_WELCOME_S = 0.05

# Run in the kernel just before it is killed: a kill skips atexit, so metric points still
# buffered by the fluent API (workbench.tracking.fluent) are written now. Silent, and it
# leaves no names behind in the user's namespace.
_FLUSH_CODE = (
    "(lambda m: m.flush() if m is not None and hasattr(m, 'flush') else None)"
    "(__import__('sys').modules.get('workbench.tracking.fluent'))"
)


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def thread_caps(workers: int = 1) -> dict[str, str]:
    """``OMP_NUM_THREADS`` and friends = cores // workers (at least 1), unless the runner's
    environment already sets them: an explicit choice of the user wins."""
    if workers < 1:
        raise InvalidInput(f"workers must be at least 1, not {workers}")
    threads = str(max(1, available_cores() // workers))
    return {var: os.environ.get(var) or threads for var in THREAD_CAP_VARS}


@functools.lru_cache(maxsize=1)
def source_tree_path() -> str | None:
    """The folder holding the ``workbench`` package, when the kernel's interpreter (this
    one) would not import this same package from elsewhere (it is not installed); else None.
    """
    here = Path(__file__).resolve().parents[1]
    probe = "import importlib.util as u; s = u.find_spec('workbench'); print(s.origin if s else '')"
    try:
        out = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    if out and Path(out).resolve().parent == here:
        return None
    return str(here.parent)


def job_env(run_context: Mapping[str, str | None], *, workers: int = 1) -> dict[str, str | None]:
    """Environment changes for a job's kernel: run context, thread caps, PYTHONPATH.

    A value of None removes that variable from the kernel's environment.
    """
    env: dict[str, str | None] = {**thread_caps(workers), **run_context}
    source = source_tree_path()
    if source is not None:
        current = os.environ.get("PYTHONPATH")
        env["PYTHONPATH"] = source + (os.pathsep + current if current else "")
    return env


class JobKernelClient(AsyncKernelClient):
    """The job's kernel client: ready as soon as the kernel answered and IOPub delivered
    that answer's ``idle`` status (jupyter_client's own check then waits for 0.2 s of IOPub
    silence on top, which is most of a warm kernel's start)."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        while True:
            self.kernel_info()
            try:
                reply = await self.get_shell_msg(timeout=1)
            except queue.Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                if await self._iopub_idle(reply["parent_header"].get("msg_id"), READY_IOPUB_S):
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    async def _iopub_idle(self, msg_id: str | None, timeout: float) -> bool:
        """Whether IOPub brings the request's idle status: False if IOPub was not connected
        yet when the kernel sent it. The reply came first, so once IOPub's welcome (sent to
        a new subscriber) is in, the status is either right behind it or lost."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await self.get_iopub_msg(timeout=left)
            except queue.Empty:
                return False
            if msg["msg_type"] == "iopub_welcome":
                deadline = min(deadline, time.monotonic() + AFTER_WELCOME_S)
            elif (
                msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
                and msg["parent_header"].get("msg_id") == msg_id
            ):
                return True
        return False


class JobKernelManager(AsyncKernelManager):
    """Starts the kernel with ``job_env`` merged into its environment; stops it at once."""

    job_env: ClassVar[dict[str, str | None]] = {}

    @default("client_factory")
    def _job_client(self) -> type[JobKernelClient]:
        return JobKernelClient

    @default("transport_encryption")
    def _encrypt_when_possible(self) -> str:
        # CurveZMQ when the kernelspec declares it: no plain-text TCP between the runner and
        # the kernel (and no warning about it from every job's kernel).
        import zmq

        return "auto" if zmq.has("curve") else "disabled"

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        env = dict(kw.pop("env", None) or os.environ)
        for key, value in self.job_env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        await super().start_kernel(env=env, **kw)

    async def shutdown_kernel(  # type: ignore[override]
        self, now: bool = False, restart: bool = False
    ) -> None:
        # Always at once: a graceful shutdown was seen to stall for seconds. The kernel's
        # buffered metrics are flushed first, since a kill skips its atexit handlers.
        if not restart and self.has_kernel and await self.is_alive():
            await self._flush_tracking()
        await super().shutdown_kernel(now=True, restart=restart)

    async def _flush_tracking(self) -> None:
        spec = self.kernel_spec
        if spec is None or (spec.language or "").lower() != "python":
            return
        # A kernel still busy (a timed-out cell) is interrupted first; an idle ipykernel
        # ignores SIGINT, so this is harmless otherwise.
        await self.interrupt_kernel()
        client = self.client()
        await _maybe_await(
            client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        )
        try:
            msg_id = client.execute(
                _FLUSH_CODE, silent=True, store_history=False, allow_stdin=False
            )
            deadline = time.monotonic() + FLUSH_TIMEOUT_S
            while (left := deadline - time.monotonic()) > 0:
                reply = await client.get_shell_msg(timeout=left)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    break
        except (queue.Empty, TimeoutError, RuntimeError) as exc:
            self.log.warning("Workbench: could not flush the kernel's metrics (%s)", exc)
        finally:
            await _maybe_await(client.stop_channels())


def job_kernel_manager(
    run_context: Mapping[str, str | None],
    *,
    workers: int = 1,
    warm: WarmKernels | None = None,
) -> type[JobKernelManager]:
    """A kernel manager class for one job (nbclient instantiates it by class).

    With ``warm`` (by default: the settings of the enclosing
    :func:`~workbench.notebooks.warm.warm_kernels` block, if any) the kernel is forked from a
    zygote where the platform allows; otherwise it is started cold.
    """
    from workbench.notebooks.warm import current_warm_kernels, warm_supported

    env = job_env(run_context, workers=workers)
    warm = warm if warm is not None else current_warm_kernels()
    if warm is not None and warm_supported():
        from workbench.notebooks.provisioner import WarmKernelManager

        attrs = {"job_env": env, "warm": warm}
        return type("WarmKernelManagerForRun", (WarmKernelManager,), attrs)
    return type("JobKernelManagerForRun", (JobKernelManager,), {"job_env": env})


def kernel_language(kernel_name: str) -> str:
    """The language of an installed kernel; InvalidInput naming the installed ones if absent."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        return ksm.get_kernel_spec(kernel_name).language or "python"
    except NoSuchKernel:
        names = ", ".join(sorted(ksm.find_kernel_specs())) or "none"
        raise InvalidInput(
            f"no Jupyter kernel named {kernel_name!r} (installed: {names}): pass --kernel "
            "with one of those, or install the kernel"
        ) from None


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
