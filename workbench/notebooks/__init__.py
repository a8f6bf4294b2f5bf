"""Notebooks: reading with clear errors, parameters, and papermill execution into runs.

``run_notebook`` and ``read_notebook`` load on first use: papermill and nbformat are heavy,
and ``import workbench`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.notebooks.execute import run_notebook
    from workbench.notebooks.reader import read_notebook

__all__ = ["read_notebook", "run_notebook"]


def __getattr__(name: str) -> Any:
    if name == "run_notebook":
        from workbench.notebooks.execute import run_notebook

        return run_notebook
    if name == "read_notebook":
        from workbench.notebooks.reader import read_notebook

        return read_notebook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
