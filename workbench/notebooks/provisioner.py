"""The warm kernel behind jupyter_client's provisioner interface.

:class:`WarmProvisioner` is jupyter_client's :class:`LocalProvisioner` (ports, connection
file, CurveZMQ keys, process-group signals, all unchanged) with one difference: its process
is forked by this worker's zygote (:mod:`workbench.notebooks.warm`) instead of started with
``Popen``. papermill and nbclient drive it like any other kernel. A kernel spec that is not
an ipykernel, a platform without fork or pidfds, or a zygote that cannot start falls back to
the ``LocalProvisioner`` launch: a cold kernel.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import signal
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

if TYPE_CHECKING:
    import subprocess

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.provisioning import LocalProvisioner

from workbench.notebooks.managers import JobKernelManager
from workbench.notebooks.preloads import WarmKernels
from workbench.notebooks.warm import fork_kernel, zygote_for
from workbench.notebooks.zygote_client import ZygoteUnavailable, warm_supported

log = logging.getLogger("workbench.notebooks.warm")

# The exit code of a kernel that another process reaped (this one could not adopt it).
UNKNOWN_EXIT = 1
KILL_WAIT_S = 2.0
LAUNCHERS = ("ipykernel_launcher", "ipykernel")


class ForkedKernel:
    """A forked kernel with the part of ``Popen``'s interface LocalProvisioner uses. It is
    this process's child (see :func:`workbench.notebooks.zygote_client.become_subreaper`);
    signals go through a pidfd, so they can never reach another process that reused the
    pid."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.pidfd: int | None = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # not adopted here (no subreaper): the zygote reaps it
            if self.pidfd is None or not select.select([self.pidfd], [], [], 0)[0]:
                return None
            self.returncode = UNKNOWN_EXIT
        else:
            if pid == 0:
                return None
            self.returncode = os.waitstatus_to_exitcode(status)
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.pidfd is not None:
            select.select([self.pidfd], [], [], timeout)
        return self.poll()

    async def exited(self, timeout: float) -> None:
        """Return once the kernel exited, or after ``timeout`` seconds."""
        if self.pidfd is None:
            return
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        fd = self.pidfd
        try:
            loop.add_reader(fd, lambda: None if done.done() else done.set_result(None))
        except NotImplementedError:  # a loop without readers: poll instead
            await asyncio.to_thread(self.wait, timeout)
            return
        try:
            await asyncio.wait_for(done, timeout)
        except TimeoutError:
            pass
        finally:
            loop.remove_reader(fd)

    def send_signal(self, signum: int) -> None:
        if self.pidfd is None:
            raise ProcessLookupError(f"kernel {self.pid} has exited")
        signal.pidfd_send_signal(self.pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class WarmProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernel process comes from the zygote when it can."""

    warm: WarmKernels = WarmKernels()

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        if self._forkable(cmd, kwargs):
            env = dict(kwargs["env"])
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid, pidfd = fork_kernel(
                    cmd[0], self.kernel_spec.resource_dir or "", self.warm, cmd, env, cwd
                )
            except ZygoteUnavailable as exc:
                log.warning("Workbench: no warm kernel (%s); starting a cold one", exc)
            else:
                # A Popen look-alike: the provisioner only polls, waits on and signals it.
                self.process = cast("subprocess.Popen[Any]", ForkedKernel(pid, pidfd))
                self.pid = self.pgid = pid  # the kernel leads its own session and group
                self.cwd = cwd
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)

    async def kill(self, restart: bool = False) -> None:
        process = self.process
        await super().kill(restart=restart)
        # Back as soon as it is gone, not at the manager's next 0.1 s poll.
        if isinstance(process, ForkedKernel):
            await process.exited(KILL_WAIT_S)

    def _forkable(self, cmd: list[str], kwargs: dict[str, Any]) -> bool:
        return (
            forkable(self.kernel_spec, cmd)
            and "env" in kwargs
            # output redirected by the caller is not ours to replicate
            and kwargs.get("stdout") is None
            and kwargs.get("stderr") is None
        )


def forkable(spec: KernelSpec, cmd: list[str]) -> bool:
    """Whether a kernel of ``spec`` started as ``cmd`` can be forked from a zygote: an
    ipykernel started with ``-m``, on a platform that has what forking needs."""
    return (
        warm_supported()
        and (spec.language or "").lower() == "python"
        and len(cmd) >= 3
        and cmd[1] == "-m"
        and cmd[2] in LAUNCHERS
    )


@dataclass(frozen=True)
class WarmLaunch:
    """How a kernel spec's kernels are forked: the zygote's interpreter (the kernel
    command's, as jupyter_client resolves it), the spec's folder (with the interpreter, a
    zygote's identity) and the environment a zygote gets before any job."""

    interpreter: str
    spec_dir: str
    env: dict[str, str]


def warm_launch(kernel_name: str, env_changes: dict[str, str | None]) -> WarmLaunch | None:
    """How kernels of ``kernel_name`` are forked, or None if they cannot be. The
    environment is the one a job's kernel gets, as far as it is known without a job
    (``env_changes`` as in ``JobKernelManager.job_env``); it only matters to what a zygote
    imports."""
    manager = JobKernelManager(kernel_name=kernel_name)
    spec = manager.kernel_spec
    if spec is None:
        return None
    cmd = manager.format_kernel_cmd()
    if not forkable(spec, cmd):
        return None
    env = {**os.environ, **(spec.env or {})}
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return WarmLaunch(cmd[0], spec.resource_dir or "", env)


def prestart(kernel_name: str, warm: WarmKernels, env_changes: dict[str, str | None]) -> bool:
    """Start this process's zygote for ``kernel_name`` (with ``warm.preload`` imported) now,
    before its first job asks for it; True if one runs."""
    launch = warm_launch(kernel_name, env_changes)
    if launch is None:
        return False
    try:
        zygote_for(launch.interpreter, launch.spec_dir, launch.env, warm)
    except ZygoteUnavailable as exc:
        log.warning("Workbench: no warm kernels ahead of the first job (%s)", exc)
        return False
    return True


class WarmKernelManager(JobKernelManager):
    """The job kernel manager with a WarmProvisioner, unless the kernel spec names its own
    provisioner (that one is respected: a cold start)."""

    warm: ClassVar[WarmKernels] = WarmKernels()

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        spec = self.kernel_spec
        metadata = (spec.metadata if spec is not None else None) or {}
        named = (metadata.get("kernel_provisioner") or {}).get("provisioner_name")
        if self.provisioner is None and named in (None, "local-provisioner"):
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            provisioner = WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=spec, parent=self)
            provisioner.warm = self.warm
            self.provisioner = provisioner
        return await super()._async_pre_start_kernel(**kw)
