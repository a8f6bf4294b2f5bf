"""Workbench: track, batch and ship Jupyter notebooks.

    import workbench as wb
    wb.log_param("lr", 0.1)
    for i in range(10):
        wb.log_metric("loss", 1 / (i + 1), step=i)

Heavy modules (papermill, pandas) load on first use, so ``import workbench`` stays light.
"""

from __future__ import annotations

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
]
