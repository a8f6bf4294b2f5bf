"""What a zygote preloads for a job's warm kernel: the modules its notebook imports (found
with ``ast``), its ``workbench.preload`` metadata and the sweep's ``preload`` option, where
``-name`` leaves a name out.

A sweep worker runs its jobs inside :func:`warm_kernels`; the kernel seam
(:func:`workbench.notebooks.kernel.job_kernel_manager`) then forks each job's kernel from a
zygote (:mod:`workbench.notebooks.warm`) that preloaded these names.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

METADATA_KEY = "preload"  # notebook metadata: {"workbench": {"preload": ["name", "-name"]}}


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
    warm = settings_for(notebook, preload)
    token = _current.set(warm)
    try:
        yield warm
    finally:
        _current.reset(token)


def settings_for(
    notebook: str | os.PathLike[str] | None = None, preload: Iterable[str] = ()
) -> WarmKernels:
    """What the kernels of ``notebook`` preload: its imports, its ``workbench.preload``
    metadata and ``preload``."""
    names = list(notebook_imports(notebook)) if notebook else []
    return preload_settings([*names, *preload])


def current_warm_kernels() -> WarmKernels | None:
    return _current.get()


def preload_settings(names: Sequence[str]) -> WarmKernels:
    """Module names to preload; ``-name`` leaves out ``name`` and its submodules."""
    names = [str(n).strip() for n in names]
    exclude = {n[1:].strip() for n in names if n.startswith("-")}
    keep = [n for n in dict.fromkeys(names) if n and n[0] != "-" and not excluded(n, exclude)]
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


def excluded(name: str, exclude: Iterable[str]) -> bool:
    return any(name == x or name.startswith(x + ".") for x in exclude)
