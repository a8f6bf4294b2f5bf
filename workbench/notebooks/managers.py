"""The kernel manager and client classes of a job's kernel (cold; the warm manager in
workbench.notebooks.provisioner derives from them). The one seam that picks a class for a
job is workbench.notebooks.kernel.job_kernel_manager."""

from __future__ import annotations

import math
import os
import queue
import time
from typing import Any, ClassVar

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

FLUSH_TIMEOUT_S = 2.0
IDLE_REPLY_S = 0.5  # an idle kernel answers the flush in milliseconds
READY_IOPUB_S = 0.5
AFTER_WELCOME_S = 0.05
RECONNECT_FIRST_MS = 5
RECONNECT_MAX_MS = 1000

# Run in the kernel just before it is killed: a kill skips atexit, so metric points still
# buffered by the fluent API (workbench.tracking.fluent) are written now. Silent, and it
# leaves no names behind in the user's namespace.
_FLUSH_CODE = (
    "(lambda m: m.flush() if m is not None and hasattr(m, 'flush') else None)"
    "(__import__('sys').modules.get('workbench.tracking.fluent'))"
)


class JobKernelClient(AsyncKernelClient):
    """The job's kernel client: ready as soon as the kernel answered and IOPub delivered
    that answer's ``idle`` status (jupyter_client's own check then waits for 0.2 s of IOPub
    silence on top, which is most of a warm kernel's start).

    Its sockets retry a refused connection after 5 ms, backing off to 1 s: the client
    connects right after the launch, before the kernel has bound its ports, and ZMQ's
    default of 100 ms between tries was most of the wait for a warm kernel to be ready."""

    @default("context")
    def _job_context(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        # Defaults for every socket this context makes (pyzmq's Context.setsockopt).
        context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_FIRST_MS)
        context.setsockopt(zmq.RECONNECT_IVL_MAX, RECONNECT_MAX_MS)
        return context

    async def wait_for_ready(self, timeout: float | None = None) -> None:
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
        return "auto" if zmq.has("curve") else "disabled"

    # True once this kernel's buffered metrics were flushed after its last cell ran (see
    # flush_tracking): its shutdown then need not ask again.
    tracking_flushed = False
    _killing = False  # shutting down: jupyter_client's interrupt before the kill is skipped

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        self.tracking_flushed = False
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
        # buffered metrics are flushed first (unless they were after its last cell), since
        # a kill skips its atexit handlers.
        if (
            not restart
            and not self.tracking_flushed
            and self._python()
            and self.has_kernel
            and await self.is_alive()
        ):
            client = self.client()
            client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
            try:
                await self.flush_tracking(client)
            finally:
                client.stop_channels()
        self._killing = True
        try:
            await super().shutdown_kernel(now=True, restart=restart)
        finally:
            self._killing = False

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts a kernel before it kills it: a SIGINT that only makes a
        # kernel about to die raise KeyboardInterrupt, in every job (its whole process
        # group gets the SIGKILL that follows).
        if not self._killing:
            await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel

    async def flush_tracking(self, client: AsyncKernelClient) -> None:
        """Have the kernel write the metric points its fluent API still buffers, through
        ``client`` (its shell channel started): a running cell is interrupted first. Sets
        ``tracking_flushed`` once the kernel says it did."""
        if not self._python():
            return
        try:
            msg_id = client.execute(
                _FLUSH_CODE, silent=True, store_history=False, allow_stdin=False
            )
            reply = await _reply_to(client, msg_id, IDLE_REPLY_S)
            if reply is None:
                # A cell still runs (the job timed out): interrupt it. The flush queued
                # behind it then runs, or is aborted with the cell (sent again).
                await self.interrupt_kernel()
                reply = await _reply_to(client, msg_id, FLUSH_TIMEOUT_S)
                if reply is not None and reply["content"].get("status") == "aborted":
                    msg_id = client.execute(
                        _FLUSH_CODE, silent=True, store_history=False, allow_stdin=False
                    )
                    reply = await _reply_to(client, msg_id, FLUSH_TIMEOUT_S)
            if reply is None:
                self.log.warning("Workbench: the kernel did not flush its metrics in time")
            elif reply["content"].get("status") == "ok":
                self.tracking_flushed = True
        except RuntimeError as exc:
            self.log.warning("Workbench: could not flush the kernel's metrics (%s)", exc)

    def _python(self) -> bool:
        """Whether the kernel runs Python (only there can the fluent API buffer points)."""
        spec = self.kernel_spec
        return spec is not None and (spec.language or "").lower() == "python"


async def _reply_to(client: AsyncKernelClient, msg_id: str, timeout: float) -> Any:
    """The shell reply to ``msg_id`` within ``timeout`` seconds, else None."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await client.get_shell_msg(timeout=left)
        except (queue.Empty, TimeoutError):
            return None
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return reply
    return None
