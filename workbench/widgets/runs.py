"""``wb.widgets.runs()``: the runs of the store as an interactive table.

The rows come from :func:`workbench.tracking.frames.runs_frame` (what ``wb.runs()``, the CLI
and the REST API read); the status filter is passed to it as a ``RunFilter``. The text filter
and the sorting only rearrange rows already read. One row is a checkbox and a few ``HTML``
cells in a ``GridBox``; row widgets are kept per run, so sorting and filtering reorder them
instead of rebuilding them, and a ticked box stays ticked.
"""

from __future__ import annotations

import html
import math
import os
from numbers import Real
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import ipywidgets as w
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from workbench.entities import RunStatus
from workbench.store import RunFilter, Store
from workbench.widgets._common import fresh_store, message

if TYPE_CHECKING:
    import pandas as pd

    from workbench.widgets.compare import Compare

PAGE_SIZE = 100
STATUS_COLOURS = {
    "queued": "var(--jp-ui-font-color2)",
    "running": "var(--jp-brand-color1)",
    "succeeded": "var(--jp-success-color1)",
    "failed": "var(--jp-error-color1)",
    "timed_out": "var(--jp-warn-color1)",
    "cancelled": "var(--jp-warn-color1)",
    "lost": "var(--jp-error-color1)",
}
# Shown column -> frame column it sorts by.
BASE = {
    "id": "run_id",
    "name": "name",
    "status": "status",
    "notebook": "notebook",
    "started": "started_at",
    "duration": "duration_s",
}


class RunsTable(w.VBox):
    """Runs with a status filter, a text filter, sortable columns and a selection.

    ``.selected`` is the list of ticked run ids; the Compare button shows
    ``wb.widgets.compare(selected)`` below the table (also ``.compare()``).
    """

    def __init__(
        self,
        notebook: str | os.PathLike[str] | None = None,
        experiment: str | None = None,
        status: RunStatus | str | None = None,
        store: Store | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._store = store
        self._notebook = str(Path(notebook).resolve()) if notebook else None
        self._experiment = experiment
        self.page_size = page_size
        self.sort_by: str | None = None  # a frame column
        self.ascending = True
        self.frame: pd.DataFrame | None = None  # what the store returned
        self.view: pd.DataFrame | None = None  # after the text filter and sorting
        self.comparison: Compare | None = None
        self._columns: list[tuple[str, str]] = []  # (label, frame column)
        self._cells: dict[str, list[w.Widget]] = {}
        self._checks: dict[str, w.Checkbox] = {}
        self._header: list[w.Button] = []
        self._selected: list[str] = []
        # One layout and style model shared by every cell: a table of N cells syncs (and
        # saves into an executed notebook) N models instead of 3N.
        self._cell_layout = w.Layout()
        self._cell_style = HTMLStyle()
        self._check_layout = w.Layout(width="24px")
        self._check_style = CheckboxStyle()
        self._header_layout = w.Layout(width="auto")
        # Theme variables: readable headers in JupyterLab's light and dark themes.
        self._header_style = w.ButtonStyle(
            button_color="var(--jp-layout-color2)",
            text_color="var(--jp-ui-font-color1)",
            font_weight="bold",
        )

        statuses = [("all", "")] + [(s.value.replace("_", " "), s.value) for s in RunStatus]
        self.status_filter = w.Dropdown(
            options=statuses,
            value=RunStatus.parse(status).value if status else "",
            description="status",
            layout=w.Layout(width="190px"),
        )
        self.text_filter = w.Text(
            placeholder="filter: id, name, notebook, params, tags",
            continuous_update=True,
            layout=w.Layout(width="300px"),
        )
        self.refresh_button = w.Button(
            description="Refresh", icon="refresh", layout=w.Layout(width="100px")
        )
        self.compare_button = w.Button(
            description="Compare",
            icon="line-chart",
            button_style="primary",
            disabled=True,
            layout=w.Layout(width="130px"),
        )
        self.count = w.HTML()
        self.grid = w.GridBox(
            layout=w.Layout(
                grid_gap="0px 12px", align_items="center", overflow="auto", max_height="420px"
            )
        )
        self.grid.add_class("wb-RunsTable-grid")
        self._corner = w.HTML("")
        self.below = w.VBox()
        self.status_filter.observe(lambda _: self.refresh(), "value")
        self.text_filter.observe(lambda _: self._render(), "value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.compare_button.on_click(lambda _: self.compare())
        bar = w.HBox(
            [
                self.status_filter,
                self.text_filter,
                self.refresh_button,
                self.compare_button,
                self.count,
            ],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        super().__init__([bar, self.grid, self.below])
        self.add_class("wb-RunsTable")
        self.refresh()

    # -- public --------------------------------------------------------------------------

    @property
    def selected(self) -> list[str]:
        """Ticked run ids, in the order they were ticked."""
        return list(self._selected)

    @selected.setter
    def selected(self, run_ids: list[str]) -> None:
        known = set(self._checks)
        wanted = [r for r in run_ids if r in known]
        self._selected = []
        for run_id, check in self._checks.items():
            check.value = run_id in wanted
        self._selected = wanted
        self._update_buttons()

    @property
    def rows(self) -> list[str]:
        """Run ids shown, top to bottom."""
        return [] if self.view is None else [str(r) for r in self.view["run_id"]][: self.page_size]

    def refresh(self) -> None:
        """Read the runs again (the status filter goes to the store's query)."""
        from workbench.tracking.frames import runs_frame

        store = self._store or fresh_store()
        status = self.status_filter.value
        filt = RunFilter(
            notebook=self._notebook,
            experiment=self._experiment,
            status=RunStatus(status) if status else None,
        )
        self.frame = runs_frame(store, filt)
        # A base column empty for every run (no notebook for script runs) is left out.
        columns = [
            (label, col)
            for label, col in BASE.items()
            if label in ("id", "status") or self.frame[col].notna().any()
        ]
        for prefix in ("params.", "metrics."):
            columns += [(c, c) for c in self.frame.columns if c.startswith(prefix)]
        if columns != self._columns:  # new params or metrics: every row gets new cells
            self._drop_cells()
            self._columns = columns
            self._make_header()
        ids = set(self.frame["run_id"])
        for run_id in [r for r in self._checks if r not in ids]:
            for cell in self._cells.pop(run_id, [])[1:]:
                cell.close()
            self._checks.pop(run_id).close()
        self._selected = [r for r in self._selected if r in ids]
        for _, row in self.frame.iterrows():
            self._make_row(row)
        self._render()

    def sort(self, column: str, ascending: bool | None = None) -> None:
        """Sort by a shown column label (``id``, ``status``, ``params.lr``...) or frame
        column; the same column again flips the direction."""
        target = BASE.get(column, column)
        if ascending is None:
            ascending = not self.ascending if target == self.sort_by else True
        self.sort_by, self.ascending = target, ascending
        self._render()

    def compare(self) -> Compare | None:
        """Show ``compare(self.selected)`` below the table and return it (None, with a hint,
        when nothing is ticked)."""
        from workbench.widgets.compare import Compare

        if self.comparison is not None:
            self.comparison.close()
        if not self._selected:
            self.below.children = [message("Tick one or more runs to compare them.")]
            self.comparison = None
            return None
        self.comparison = Compare(self._selected, store=self._store)
        self.below.children = [self.comparison]
        return self.comparison

    def close(self) -> None:
        self._drop_cells()
        for widget in [*self._header, *self._checks.values()]:
            widget.close()
        super().close()

    # -- rows ----------------------------------------------------------------------------

    def _make_row(self, row: pd.Series) -> None:
        run_id = str(row["run_id"])
        check = self._checks.get(run_id)
        if check is None:
            check = w.Checkbox(
                value=run_id in self._selected,
                indent=False,
                layout=self._check_layout,
                style=self._check_style,
            )
            check.add_class("wb-RunsTable-check")
            check.observe(lambda change, r=run_id: self._ticked(r, change["new"]), "value")
            self._checks[run_id] = check
        values = [_cell_html(label, row.get(column)) for label, column in self._columns]
        cells = self._cells.get(run_id)
        if cells is not None:  # a run read again: its values may have changed
            for cell, value in zip(cells[1:], values, strict=True):
                cell.value = value
            return
        cells = [check]
        for value in values:
            cell = w.HTML(value, layout=self._cell_layout, style=self._cell_style)
            cell.add_class("wb-RunsTable-cell")
            cells.append(cell)
        self._cells[run_id] = cells

    def _drop_cells(self) -> None:
        for cells in self._cells.values():
            for cell in cells[1:]:
                cell.close()
        self._cells = {}

    def _make_header(self) -> None:
        for button in self._header:
            button.close()
        self._header = []
        for label, column in self._columns:
            button = w.Button(
                description=label,
                tooltip=f"sort by {label}",
                layout=self._header_layout,
                style=self._header_style,
            )
            button.add_class("wb-RunsTable-header")
            button.on_click(lambda _, c=column: self.sort(c))
            self._header.append(button)

    def _ticked(self, run_id: str, on: bool) -> None:
        if on and run_id not in self._selected:
            self._selected.append(run_id)
        elif not on and run_id in self._selected:
            self._selected.remove(run_id)
        self._update_buttons()

    def _update_buttons(self) -> None:
        n = len(self._selected)
        self.compare_button.disabled = n == 0
        self.compare_button.description = f"Compare ({n})" if n else "Compare"

    # -- rendering -----------------------------------------------------------------------

    def _render(self) -> None:
        assert self.frame is not None
        view = self.frame
        words = self.text_filter.value.lower().split()
        if words:
            keep = [all(word in _row_text(row) for word in words) for _, row in view.iterrows()]
            view = view[keep]
        if self.sort_by is not None and self.sort_by in view.columns:
            view = view.sort_values(
                self.sort_by,
                ascending=self.ascending,
                na_position="last",
                key=_sort_key,
                kind="stable",
            )
        self.view = view
        for button, (label, column) in zip(self._header, self._columns, strict=True):
            arrow = (" ▲" if self.ascending else " ▼") if column == self.sort_by else ""
            button.description = label + arrow
        shown = self.rows
        body = [cell for run_id in shown for cell in self._cells[run_id]]
        self.grid.layout.grid_template_columns = "24px " + " ".join(
            "max-content" for _ in self._columns
        )
        self.grid.children = [self._corner, *self._header, *body]
        total, matching = len(self.frame), len(view)
        text = f"{matching} of {total} runs" if words else f"{total} runs"
        if matching > len(shown):
            text += f" (first {len(shown)} shown: filter to narrow)"
        if not total and self.status_filter.value:
            text = f"No {self.status_filter.value.replace('_', ' ')} runs."
        elif not total:
            text = "No runs yet: log a metric with wb.log_metric or run a notebook as a job."
        self.count.value = f'<span class="wb-RunsTable-count">{html.escape(text)}</span>'
        self._update_buttons()


def _cell_html(label: str, value: Any) -> str:
    from workbench.text import duration, local_time, value_text

    if label == "id":
        text = str(value)[:8]
        return f'<code title="{html.escape(str(value))}">{html.escape(text)}</code>'
    if label == "status":
        colour = STATUS_COLOURS.get(str(value), "var(--jp-ui-font-color1)")
        return (
            f'<span class="wb-RunsTable-status" style="color:{colour};font-weight:600">'
            f"{html.escape(str(value))}</span>"
        )
    if label == "notebook":
        name = PurePath(str(value)).name if _present(value) else ""
        return f'<span title="{html.escape(str(value))}">{html.escape(name)}</span>'
    if label == "started":
        return html.escape(local_time(value.timestamp()) if _present(value) else "-")
    if label == "duration":
        return html.escape(duration(value if _present(value) else None))
    return html.escape(value_text(value) if _present(value) else "")


def _row_text(row: pd.Series) -> str:
    parts = []
    for column, value in row.items():
        if not _present(value):
            continue
        if str(column).startswith(("params.", "tags.")):
            parts.append(f"{str(column).split('.', 1)[1]}={value}")
        parts.append(str(value))
    return " ".join(parts).lower()


def _sort_key(series: pd.Series) -> pd.Series:
    """Numbers sort as numbers; mixed or text columns sort by their text."""
    import pandas as pd

    values = [v for v in series if _present(v)]
    if values and all(isinstance(v, Real) and not isinstance(v, bool) for v in values):
        return pd.to_numeric(series, errors="coerce")
    if series.dtype.kind in "mM":
        return series
    return series.map(lambda v: str(v).lower() if _present(v) else None)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    try:
        import pandas as pd

        return not (pd.api.types.is_scalar(value) and pd.isna(value))
    except (TypeError, ValueError):
        return True


def runs(
    notebook: str | os.PathLike[str] | None = None,
    experiment: str | None = None,
    status: RunStatus | str | None = None,
) -> RunsTable:
    """An interactive table of runs (filters, sorting, selection, Compare)."""
    return RunsTable(notebook=notebook, experiment=experiment, status=status)
