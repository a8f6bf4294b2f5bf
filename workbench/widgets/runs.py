"""``wb.widgets.runs()``: the runs of the store as a paged, sortable, filterable table.

Only the page shown is read: ``Store.run_table`` (what ``wb.runs()``, the CLI and the REST
API read) answers one page, its params and last metric values, and the total, with the
status dropdown as a ``RunFilter``, the filter box as the query language's ``where`` and a
header click as its ``order_by``; filtering, sorting, paging and counting happen in SQL. The
page is drawn by one small anywidget (:mod:`workbench.widgets.runs_grid`) instead of a widget
per cell, so a page of 100 runs with 20 columns is one comm message, not 2,000 widgets.
"""

from __future__ import annotations

import html
import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from workbench.entities import RunStatus
from workbench.errors import InvalidInput
from workbench.store import RunFilter, Store
from workbench.widgets._common import (
    StoreRetry,
    error_text,
    fresh_store,
    message_html,
    resolve_ids,
)
from workbench.widgets.runs_grid import RunsGrid

if TYPE_CHECKING:
    from workbench.entities import Run
    from workbench.store.query_fields import Field
    from workbench.widgets.compare import Compare

PAGE_SIZE = 100
# Shown label -> the query field it sorts by.
BASE = {
    "id": "run_id",
    "name": "name",
    "status": "status",
    "notebook": "notebook",
    "started": "started_at",
    "duration": "duration_s",
}
CELL_CHARS = 40  # longer values are cut, whole in the tooltip
PLACEHOLDER = "filter, then Enter: metrics.acc > 0.9 and params.opt = 'adam'"


class RunsTable(w.VBox):
    """One page of runs with a status filter, a query filter, sorting in the store, paging
    and a selection that survives paging, sorting and refresh.

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
        where: str = "",
    ) -> None:
        if not isinstance(page_size, int) or not 1 <= page_size <= 10_000:
            raise InvalidInput(f"page_size {page_size!r} is not usable: give 1 to 10000 runs")
        self._store = store
        self._notebook = str(Path(notebook).resolve()) if notebook else None
        self._experiment = experiment
        self.page_size = page_size
        self.offset = 0
        self.total = 0
        self.where = ""  # the filter applied (the box may hold a malformed one)
        self.sort_by: str | None = None  # a query field; None is the store's newest first
        self.ascending = True
        self.page: list[Run] = []  # the runs shown, with params and last metric values
        self.error: str | None = None  # why the last filter or sort was not applied
        self.comparison: Compare | None = None

        statuses = [("all", "")] + [(s.value.replace("_", " "), s.value) for s in RunStatus]
        self.status_filter = w.Dropdown(
            options=statuses,
            value=RunStatus.parse(status).value if status else "",
            description="status",
            layout=w.Layout(width="190px"),
        )
        # continuous_update=False: the value arrives on Enter (or leaving the box), so a
        # half-typed expression is never sent to the store.
        self.query = w.Text(
            value=where,
            placeholder=PLACEHOLDER,
            continuous_update=False,
            layout=w.Layout(width="420px"),
        )
        self.query.add_class("wb-RunsTable-query")
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
        self.prev_button = w.Button(
            icon="chevron-left",
            tooltip="previous page",
            disabled=True,
            layout=w.Layout(width="36px"),
        )
        self.next_button = w.Button(
            icon="chevron-right", tooltip="next page", disabled=True, layout=w.Layout(width="36px")
        )
        self.prev_button.add_class("wb-RunsTable-prev")
        self.next_button.add_class("wb-RunsTable-next")
        self.count = w.HTML()
        self.notice = w.HTML()  # a malformed filter, or the store being unavailable
        self.notice.add_class("wb-RunsTable-notice")
        self.grid = RunsGrid()
        self.below = w.VBox()
        self._retry = StoreRetry(self._show_notice)

        self.status_filter.observe(lambda _: self._first_page(), "value")
        self.query.observe(lambda change: self.filter(change["new"]), "value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.compare_button.on_click(lambda _: self.compare())
        self.prev_button.on_click(lambda _: self.previous_page())
        self.next_button.on_click(lambda _: self.next_page())
        self.grid.observe(lambda _: self._update_buttons(), "selected")
        self.grid.on_msg(self._grid_message)
        bar = w.HBox(
            [
                self.status_filter,
                self.query,
                self.refresh_button,
                self.compare_button,
                self.prev_button,
                self.next_button,
                self.count,
            ],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        super().__init__([bar, self.notice, self.grid, self.below])
        self.add_class("wb-RunsTable")
        self._pending_where = where.strip()
        self.refresh()

    # -- public --------------------------------------------------------------------------

    @property
    def selected(self) -> list[str]:
        """Ticked run ids, in the order they were ticked (on any page)."""
        return list(self.grid.selected)

    @selected.setter
    def selected(self, run_ids: Any) -> None:
        """Tick these runs (ids, unique prefixes, a frame...) and nothing else."""
        self.grid.selected = resolve_ids(self._store_now(), run_ids) if run_ids else []

    @property
    def rows(self) -> list[str]:
        """Run ids shown, top to bottom."""
        return [run.run_id for run in self.page]

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(label, query field) of the columns shown."""
        return [(c["label"], c["field"]) for c in self.grid.columns]

    @property
    def page_number(self) -> int:
        return self.offset // self.page_size + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def refresh(self) -> None:
        """Read the page again (new runs, changed values); a store outage is shown and
        retried with a backoff until the store answers."""
        self._retry.call(self._load)

    def filter(self, where: str) -> None:
        """Apply a query-language filter (``metrics.acc > 0.9 and params.opt = 'adam'``);
        a malformed one is shown above the table and the last good filter stays."""
        if self.query.value != where:
            self.query.value = where  # observed: comes back here once
            return
        self._pending_where = where.strip()
        self._first_page()

    def sort(self, column: str, ascending: bool | None = None) -> None:
        """Sort in the store by a shown column label (``id``, ``status``, ``params.lr``...)
        or any query field; the same column again flips the direction. NULLs go last."""
        field = BASE.get(column, column)
        if ascending is None:
            ascending = not self.ascending if field == self.sort_by else True
        previous = self.sort_by, self.ascending
        self.sort_by, self.ascending = field, ascending
        self.offset = 0
        self.refresh()
        if self.error is not None and self.error.startswith("Cannot sort"):
            self.sort_by, self.ascending = previous

    def next_page(self) -> None:
        if self.offset + self.page_size < self.total:
            self.offset += self.page_size
            self.refresh()

    def previous_page(self) -> None:
        if self.offset:
            self.offset = max(0, self.offset - self.page_size)
            self.refresh()

    def go_to_page(self, number: int) -> None:
        """Show page ``number`` (1-based; past the end shows the last page)."""
        self.offset = (min(max(1, number), self.pages) - 1) * self.page_size
        self.refresh()

    def compare(self) -> Compare | None:
        """Show ``compare(self.selected)`` below the table and return it (None, with a hint,
        when nothing is ticked)."""
        from workbench.widgets.compare import Compare

        if self.comparison is not None:
            self.comparison.close()
        if not self.selected:
            self.below.children = [w.HTML(message_html("Tick one or more runs to compare them."))]
            self.comparison = None
            return None
        self.comparison = Compare(self.selected, store=self._store)
        self.below.children = [self.comparison]
        return self.comparison

    def close(self) -> None:
        self._retry.cancel()
        if self.comparison is not None:
            self.comparison.close()
        super().close()

    # -- reading -------------------------------------------------------------------------

    def _store_now(self) -> Store:
        return self._store or fresh_store()

    def _first_page(self) -> None:
        self.offset = 0
        self.refresh()

    def _filter(self) -> RunFilter:
        status = self.status_filter.value
        return RunFilter(
            notebook=self._notebook,
            experiment=self._experiment,
            status=RunStatus(status) if status else None,
        )

    def _order_by(self) -> str | None:
        if self.sort_by is None:
            return None
        return f"{self.sort_by} {'asc' if self.ascending else 'desc'}"

    def _load(self) -> None:
        store = self._store_now()
        where = self._pending_where
        try:
            page, total = store.search_runs(
                self._filter(),
                where=where or None,
                order_by=self._order_by(),
                limit=self.page_size,
                offset=self.offset,
            )
        except InvalidInput as exc:
            what = "Filter not applied" if where != self.where else "Cannot sort"
            self.error = f"{what}: {exc.message}"
            self._pending_where = self.where
            self._show_notice(self.error, "error")
            return
        if not page and self.offset and total:  # runs went away: show the last page
            self.offset = (total - 1) // self.page_size * self.page_size
            self._load()
            return
        self.where, self.error, self.page, self.total = where, None, page, total
        self._show_notice(None, "")
        self._prune_selection(store)
        self._render()

    def _prune_selection(self, store: Store) -> None:
        """Ticked runs that are gone (deleted) are unticked; ticked runs on other pages or
        hidden by the filter stay ticked."""
        ticked = self.grid.selected
        if not ticked:
            return
        found = store.run_table(RunFilter(run_ids=ticked), columns=["run_id"])
        alive = set(found.data["run_id"])
        if len(alive) < len(ticked):
            self.grid.selected = [r for r in ticked if r in alive]

    # -- drawing -------------------------------------------------------------------------

    def _render(self) -> None:
        page = self.page
        # (label, query field, params/metrics, key); base columns have no key
        columns: list[tuple[str, str, str, str | None]] = [
            (label, BASE[label], "base", None)
            for label in ("id", "name", "status", "notebook", "started", "duration")
            if label != "notebook" or any(run.notebook for run in page)
        ]
        for kind in ("params", "metrics"):
            keys = {key for run in page for key in getattr(run, kind)}
            columns += [(f.label, f.label, kind, f.key) for f in _fields(kind, keys, self.sort_by)]
        rows = []
        for run in page:
            cells = []
            for label, _, kind, key in columns:
                if key is None:
                    cells.append(_base_html(label, run))
                else:
                    cells.append(_value_html(getattr(run, kind).get(key)))
            rows.append({"id": run.run_id, "label": run.name or run.run_id[:8], "cells": cells})
        arrow = "asc" if self.ascending else "desc"
        self.grid.set_page(
            [
                {"label": label, "field": field, "sort": arrow if field == self.sort_by else ""}
                for label, field, _, _ in columns
            ],
            rows,
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        n = len(self.grid.selected)
        self.compare_button.disabled = n == 0
        self.compare_button.description = f"Compare ({n})" if n else "Compare"
        self.prev_button.disabled = self.offset == 0
        self.next_button.disabled = self.offset + self.page_size >= self.total
        shown = len(self.rows)
        if shown:
            text = f"{self.offset + 1:,}–{self.offset + shown:,} of {self.total:,} run"
            text += "" if self.total == 1 else "s"
        elif self.where:
            text = "No runs match the filter."
        elif self.status_filter.value:
            text = f"No {self.status_filter.value.replace('_', ' ')} runs."
        else:
            text = "No runs yet: log a metric with wb.log_metric or run a notebook as a job."
        if n:
            text += f" · {n} ticked"
        self.count.value = f'<span class="wb-RunsTable-count">{html.escape(text)}</span>'

    def _show_notice(self, text: str | None, kind: str) -> None:
        self.notice.value = "" if text is None else message_html(text, kind)

    def _grid_message(self, _: Any, content: dict[str, Any], buffers: list[bytes]) -> None:
        if isinstance(content, dict) and content.get("type") == "sort":
            try:
                self.sort(str(content.get("field", "")))
            except Exception as exc:  # a click has no caller: say it above the table
                self._show_notice(error_text(exc), "error")


def _fields(kind: str, keys: set[str], sort_by: str | None) -> list[Field]:
    """The fields of the keys the page's runs have (and the one sorted by, so its arrow
    shows), in name order."""
    from workbench.store.query_fields import Field, parse_field

    fields = {Field(kind, key).label: Field(kind, key) for key in keys}
    if sort_by is not None and sort_by.startswith(f"{kind}.") and sort_by not in fields:
        try:
            extra = parse_field(sort_by)
        except InvalidInput:
            extra = None
        if extra is not None and extra.summary == "last":
            fields[sort_by] = extra
    return sorted(fields.values(), key=lambda f: f.key or "")


def _value_html(value: Any) -> str:
    from workbench.text import value_text

    return _cut(value_text(value))


def _cut(text: str) -> str:
    if len(text) <= CELL_CHARS:
        return html.escape(text)
    return f'<span title="{html.escape(text)}">{html.escape(text[: CELL_CHARS - 1])}…</span>'


def _base_html(label: str, run: Run) -> str:
    from workbench.text import duration, local_time

    if label == "id":
        run_id = html.escape(run.run_id)
        return f'<code title="{run_id}">{run_id[:8]}</code>'
    if label == "status":
        status = html.escape(run.status.value)
        return f'<span class="wb-status wb-status-{status}">{status}</span>'
    if label == "notebook":
        if not run.notebook:
            return ""
        path = html.escape(run.notebook)
        return f'<span title="{path}">{html.escape(PurePath(run.notebook).name)}</span>'
    if label == "started":
        return html.escape(local_time(run.started_at))
    if label == "duration":
        if run.ended_at is None:
            return '<span class="wb-muted">-</span>'
        return html.escape(duration(run.ended_at - run.started_at))
    return _cut(run.name or "")


def runs(
    notebook: str | os.PathLike[str] | None = None,
    experiment: str | None = None,
    status: RunStatus | str | None = None,
    where: str = "",
    page_size: int = PAGE_SIZE,
) -> RunsTable:
    """An interactive table of runs, one page at a time: a status filter, a query filter
    (``where``, the language of ``wb.runs``), sorting by a header click, paging, ticks and
    Compare."""
    return RunsTable(
        notebook=notebook, experiment=experiment, status=status, where=where, page_size=page_size
    )
