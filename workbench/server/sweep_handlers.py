"""REST handlers for sweeps (filled in by the sweep work)."""

from __future__ import annotations

from workbench.server.handlers import WorkbenchHandler

ROUTES: list[tuple[str, type[WorkbenchHandler]]] = []
