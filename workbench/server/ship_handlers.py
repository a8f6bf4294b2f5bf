"""REST handlers for ships (filled in by the ship work)."""

from __future__ import annotations

from workbench.server.handlers import WorkbenchHandler

ROUTES: list[tuple[str, type[WorkbenchHandler]]] = []
