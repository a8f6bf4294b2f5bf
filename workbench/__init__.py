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
    get_run,
    log_artifact,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    runs,
    set_tag,
    set_tags,
    start_run,
)

if TYPE_CHECKING:
    from workbench.jobs.api import SweepHandle


def sweep(notebook: Any, **options: Any) -> SweepHandle:
    """Run a sweep of papermill jobs over ``notebook`` in the background; returns at once
    with a handle: ``.wait()``, ``.status()``, ``.runs()``, ``.cancel()``.

        s = wb.sweep("train.ipynb", grid={"lr": [0.01, 0.1]}, workers=2)
        s.wait(); s.runs()

    Options: grid, random (with n), values, params, workers, executor, timeout, retries,
    seed, force, allow_unknown, experiment (see ``workbench sweep --help``).
    """
    from workbench.jobs.api import sweep as _sweep

    return _sweep(notebook, **options)


def validate(notebook: Any, params: Any = None, **options: Any) -> Any:
    """Run the validation gate on ``notebook`` in a fresh kernel; returns the report.

    Options: require (["accuracy>=0.9"]), max_seconds, experiment (see ``workbench validate``).
    """
    from workbench.validate.gate import validate as _validate

    return _validate(notebook, params, **options)


def export(source: Any, **options: Any) -> Any:
    """Export a validated run (or a notebook, validated first) into a package and pipeline
    steps. Options: to, out, name, version (see ``workbench export --help``)."""
    from workbench.export.exporter import export as _export

    return _export(source, **options)


def __getattr__(name: str) -> Any:
    # wb.widgets pulls in ipywidgets and plotly: loaded on first use, not at import.
    if name == "widgets":
        import importlib

        return importlib.import_module("workbench.widgets")
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
