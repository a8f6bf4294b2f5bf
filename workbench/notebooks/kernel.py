"""The one seam where a job's kernel is started and stopped.

The job runner hands papermill (and through it nbclient) a kernel manager class made by
:func:`job_kernel_manager`. That class launches the kernel with the job's environment (run
context, BLAS/OpenMP thread caps) merged in, without touching the runner's ``os.environ``,
and shuts the kernel down at once. Inside :func:`workbench.notebooks.preloads.warm_kernels` (a
sweep job), the class forks the kernel from a pre-imported zygote instead
(:mod:`workbench.notebooks.provisioner`); everything else about the job is the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.errors import InvalidInput
from workbench.notebooks.managers import JobKernelManager
from workbench.notebooks.threads import thread_caps

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from workbench.notebooks.preloads import WarmKernels

DEFAULT_KERNEL = "python3"


_source_tree: list[str | None] = []  # the answer, once known (see source_tree_path)


def source_tree_path() -> str | None:
    """The folder holding the ``workbench`` package, when the kernel's interpreter (this
    one) would not import this same package from elsewhere (it is not installed); else None.
    Asked of a new interpreter once per process (a sweep's workers take their runner's
    answer, see :func:`known_source_tree`)."""
    if not _source_tree:
        _source_tree.append(_probe_source_tree())
    return _source_tree[0]


def known_source_tree(answer: str | None) -> None:
    """Take ``answer`` (another process's :func:`source_tree_path`, same interpreter and
    environment) instead of asking a new interpreter again."""
    _source_tree[:] = [answer]


def _probe_source_tree() -> str | None:
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


def job_kernel_manager(
    run_context: Mapping[str, str | None],
    *,
    workers: int = 1,
    warm: WarmKernels | None = None,
) -> type[JobKernelManager]:
    """A kernel manager class for one job (nbclient instantiates it by class).

    With ``warm`` (by default: the settings of the enclosing
    :func:`~workbench.notebooks.preloads.warm_kernels` block, if any) the kernel is forked from a
    zygote where the platform allows; otherwise it is started cold.
    """
    from workbench.notebooks.preloads import current_warm_kernels
    from workbench.notebooks.zygote_client import warm_supported

    env = job_env(run_context, workers=workers)
    warm = warm if warm is not None else current_warm_kernels()
    if warm is not None and warm_supported():
        from workbench.notebooks.provisioner import WarmKernelManager

        attrs = {"job_env": env, "warm": warm}
        return type("WarmKernelManagerForRun", (WarmKernelManager,), attrs)
    return type("JobKernelManagerForRun", (JobKernelManager,), {"job_env": env})


def kernel_name_for(nb: NotebookNode, kernel_name: str | None = None) -> str:
    """The kernel a notebook runs on: ``kernel_name`` if given, else the one its metadata
    names, else python3."""
    return kernel_name or (nb.metadata.get("kernelspec") or {}).get("name") or DEFAULT_KERNEL


def notebook_kernel(path: str | os.PathLike[str]) -> str | None:
    """The kernel the notebook at ``path`` runs on, as its metadata names it (else
    python3), read without nbformat; None if the file is not JSON."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        spec = (nb.get("metadata") or {}).get("kernelspec") or {}
    except (OSError, ValueError, AttributeError):
        return None
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) and name else DEFAULT_KERNEL


def prestart_warm_kernels(
    notebook: str, kernel_name: str, preload: Sequence[str] = (), *, workers: int = 1
) -> bool:
    """Start this process's zygote for ``kernel_name``, with ``notebook``'s imports and
    ``preload``, ahead of the first job (a local sweep worker does it from a thread as it
    starts, so that the zygote's imports overlap its own); the first job then finds it
    ready. Best effort: False if no zygote could start (jobs then try again, or run cold)."""
    from workbench.notebooks.preloads import warm_kernels
    from workbench.notebooks.provisioner import prestart
    from workbench.notebooks.zygote_client import warm_supported

    if not warm_supported():
        return False
    with warm_kernels(notebook, preload) as warm:
        return prestart(kernel_name, warm, job_env({}, workers=workers))


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
