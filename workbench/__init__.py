"""Workbench: track, batch and ship Jupyter notebooks.

    import workbench as wb
    wb.log_param("lr", 0.1)
    for i in range(10):
        wb.log_metric("loss", 1 / (i + 1), step=i)

Heavy modules (papermill, pandas) load on first use, so ``import workbench`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench._version import __version__
from workbench.tracking.fluent import (
    active_run,
    end_run,
    log_artifact,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    set_tag,
    set_tags,
    start_run,
)
from workbench.tracking.frames import get_run, runs

if TYPE_CHECKING:
    from workbench.export.exporter import export
    from workbench.jobs.api import sweep
    from workbench.validate.gate import validate

# The batch and ship entry points are the real functions, with their typed signatures and
# docstrings (help(wb.sweep)), imported on first use: papermill and the engine are heavy.
_LAZY = {
    "sweep": "workbench.jobs.api",
    "validate": "workbench.validate.gate",
    "export": "workbench.export.exporter",
    "widgets": None,  # wb.widgets pulls in ipywidgets and plotly
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = _LAZY[name]
        if module is None:
            return importlib.import_module(f"workbench.{name}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-mlops-workbench"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbench.server"}]


__all__ = [
    "__version__",
    "active_run",
    "end_run",
    "get_run",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "runs",
    "set_tag",
    "set_tags",
    "start_run",
    "export",
    "sweep",
    "validate",
]
