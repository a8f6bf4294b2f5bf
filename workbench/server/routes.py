"""Every route of the extension, relative to ``<base_url>/workbench/api/``."""

from __future__ import annotations

from jupyter_server.utils import url_path_join

from workbench.server import (
    artifact_handlers,
    diff_handlers,
    figure_handlers,
    handlers,
    job_handlers,
    ship_handlers,
    ship_preview,
    sweep_handlers,
    sweep_preview,
)
from workbench.server.base import API_PREFIX, WorkbenchHandler


def all_routes() -> list[tuple[str, type[WorkbenchHandler]]]:
    """Runs (and their artifacts, figures, diffs), sweeps, jobs and shipping, each from its
    own module."""
    return [
        *handlers.ROUTES,
        *handlers.EXPLORE_ROUTES,
        *artifact_handlers.ROUTES,
        *figure_handlers.ROUTES,
        *diff_handlers.ROUTES,
        *sweep_preview.ROUTES,  # sweeps/preview before sweeps/{id}
        *sweep_handlers.ROUTES,
        *job_handlers.ROUTES,
        *ship_preview.ROUTES,
        *ship_handlers.ROUTES,
    ]


def route_table(base_url: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    return [(url_path_join(base_url, API_PREFIX, pattern), cls) for pattern, cls in all_routes()]
