"""The table body of ``wb.widgets.runs()``: one anywidget that draws a page of runs.

Python sends the page as two synced lists (``columns``, ``rows`` with HTML-escaped cells);
the browser draws a plain ``<table>`` (``runs_grid.js``, styled by ``runs_grid.css`` with
JupyterLab theme variables). Ticks come back as the synced ``selected`` list; a header click
comes back as a ``{"type": "sort", "field": ...}`` message for the table to handle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent


class RunsGrid(anywidget.AnyWidget):
    _esm = HERE / "runs_grid.js"
    _css = HERE / "runs_grid.css"

    # [{"label": "params.lr", "field": "params.lr", "sort": "asc" | "desc" | ""}]
    columns = traitlets.List(traitlets.Dict()).tag(sync=True)
    # [{"id": run_id, "label": name, "cells": [html, ...]}], cells in the order of columns
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    # ticked run ids, in the order they were ticked; may name runs on other pages
    selected = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("wb-RunsTable-grid")

    def set_page(self, columns: list[dict[str, str]], rows: list[dict[str, Any]]) -> None:
        """Both lists in one message to the frontend (one redraw)."""
        with self.hold_sync():
            self.columns = columns
            self.rows = rows
