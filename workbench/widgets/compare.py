"""``wb.widgets.compare(run_ids)``: plotly charts of a few runs side by side.

- metric histories: one trace per run per metric, a dropdown picks the metric shown;
- a metric (last value) against a parameter, one marker trace per run;
- parallel coordinates of the numeric parameters and a metric, when the runs are jobs of one
  sweep, or at least three runs with numeric parameters.

Runs are read with ``Store.get_run`` and ``runs_frame`` (the layers the CLI and the server
use); the figures come from :mod:`workbench.plots` and are wrapped in ``go.FigureWidget``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import plotly.graph_objects as go

from workbench import plots
from workbench.store import RunFilter, Store
from workbench.widgets._common import StoreRetry, chart, fresh_store, message, resolve_ids

if TYPE_CHECKING:
    import pandas as pd

    from workbench.entities import Run

PARALLEL_MIN_RUNS = 3


class Compare(w.VBox):
    """Charts of ``run_ids`` (ids, unique prefixes, a ``wb.runs()`` frame or a runs table)."""

    def __init__(self, run_ids: Any, store: Store | None = None) -> None:
        super().__init__([])
        self.add_class("wb-Compare")
        # A runs table's ticks as they are now, even if the charts are drawn after an outage.
        self._wanted = run_ids.selected if hasattr(run_ids, "selected") else run_ids
        self._store = store
        self.run_ids: list[str] = []
        self.runs: list[Run] = []
        self.frame: pd.DataFrame | None = None
        self.sweep_ids: set[str | None] = set()
        self.history: go.FigureWidget | None = None
        self.scatter: go.FigureWidget | None = None
        self.parallel: go.FigureWidget | None = None
        self._retry = StoreRetry(self._show_outage)
        self._retry.call(self._load)  # unknown ids raise; an outage is shown and retried

    def _load(self) -> None:
        from workbench.tracking.frames import runs_frame

        store = self._store or fresh_store()
        run_ids = resolve_ids(store, self._wanted)
        runs = [store.get_run(r) for r in run_ids]
        frame = runs_frame(store, RunFilter(run_ids=run_ids))
        order = {r: i for i, r in enumerate(run_ids)}
        self.frame = frame.sort_values("run_id", key=lambda s: s.map(order)).reset_index(drop=True)
        self.sweep_ids = {store.job_info(r).sweep_id for r in run_ids}
        self.run_ids, self.runs = run_ids, runs
        sections: list[w.Widget] = [
            w.HTML(
                f"<b>Comparing {len(self.runs)} run{'s' if len(self.runs) != 1 else ''}</b>: "
                + ", ".join(html.escape(plots.run_label(r.run_id, r.name)) for r in self.runs)
            )
        ]
        sections += self._history_section()
        sections += self._scatter_section()
        sections += self._parallel_section()
        self.children = sections

    def _show_outage(self, text: str | None, kind: str) -> None:
        if text is not None:
            self.children = [message(text, kind)]

    def close(self) -> None:
        self._retry.cancel()
        super().close()

    @property
    def figures(self) -> list[go.FigureWidget]:
        return [f for f in (self.history, self.scatter, self.parallel) if f is not None]

    # -- metric histories ----------------------------------------------------------------

    def _history_section(self) -> list[w.Widget]:
        metrics = plots.metric_names(self.runs)
        if not metrics:
            return [message("These runs have no metric history yet.")]
        self.history_metric = w.Dropdown(options=metrics, value=metrics[0], description="metric")
        self.history = chart(plots.metric_history_figure(self.runs, metrics, visible=metrics[0]))
        self.history_metric.observe(self._show_history_metric, "value")
        return [self.history_metric, self.history]

    def _show_history_metric(self, change: dict[str, Any]) -> None:
        assert self.history is not None
        with self.history.batch_update():
            plots.set_visible_metric(self.history, change["new"])

    # -- a metric against a parameter ----------------------------------------------------

    def _scatter_section(self) -> list[w.Widget]:
        metrics, params = plots.metric_columns(self.frame), plots.param_columns(self.frame)
        if not metrics or not params:
            return [message("A metric against a parameter needs runs with both.")]
        # The parameter that varies most (numeric first) says the most against a metric.
        frame = self.frame
        assert frame is not None
        numeric = set(plots.numeric_params(frame))
        varied = max(params, key=lambda p: (p in numeric, _distinct(frame[f"params.{p}"])))
        self.scatter_metric = w.Dropdown(options=metrics, value=metrics[0], description="metric")
        self.scatter_param = w.Dropdown(options=params, value=varied, description="parameter")
        self.scatter = chart(
            plots.metric_vs_param_figure(
                self.frame, self.scatter_metric.value, self.scatter_param.value
            )
        )
        self.scatter_metric.observe(self._redraw_scatter, "value")
        self.scatter_param.observe(self._redraw_scatter, "value")
        return [w.HBox([self.scatter_metric, self.scatter_param]), self.scatter]

    def _redraw_scatter(self, _: Any = None) -> None:
        _replace(
            self.scatter,
            plots.metric_vs_param_figure(
                self.frame, self.scatter_metric.value, self.scatter_param.value
            ),
        )

    # -- parallel coordinates ------------------------------------------------------------

    @property
    def one_sweep(self) -> bool:
        return len(self.sweep_ids) == 1 and None not in self.sweep_ids

    def _parallel_section(self) -> list[w.Widget]:
        metrics, numeric = plots.metric_columns(self.frame), plots.numeric_params(self.frame)
        if not metrics or not numeric:
            return []
        if not (self.one_sweep or len(self.runs) >= PARALLEL_MIN_RUNS):
            return []
        self.parallel_metric = w.Dropdown(
            options=metrics, value=metrics[0], description="colour by"
        )
        self.parallel = chart(
            plots.parallel_coordinates_figure(self.frame, metrics[0], self._axes())
        )
        self.parallel_metric.observe(self._redraw_parallel, "value")
        return [self.parallel_metric, self.parallel]

    def _axes(self) -> list[str]:
        """Numeric parameters that vary between the runs (all of them if none varies)."""
        frame = self.frame
        assert frame is not None
        numeric = plots.numeric_params(frame)
        varied = [p for p in numeric if _distinct(frame[f"params.{p}"]) > 1]
        return varied or numeric

    def _redraw_parallel(self, _: Any = None) -> None:
        _replace(
            self.parallel,
            plots.parallel_coordinates_figure(self.frame, self.parallel_metric.value, self._axes()),
        )


def _distinct(values: pd.Series) -> int:
    return len(
        {json.dumps(v, sort_keys=True, default=str) for v in values if v is not None and v == v}
    )  # v == v drops NaN


def _replace(widget: go.FigureWidget | None, fig: go.Figure) -> None:
    """Put ``fig``'s traces and titles into a shown FigureWidget, in one update."""
    assert widget is not None
    with widget.batch_update():
        widget.data = []
        widget.add_traces(list(fig.data))
        widget.layout.title = fig.layout.title
        widget.layout.xaxis = fig.layout.xaxis
        widget.layout.yaxis = fig.layout.yaxis


def compare(run_ids: Sequence[str] | Any) -> Compare:
    """Metric histories, a metric against a parameter and (for a sweep) parallel
    coordinates of ``run_ids``: run ids or unique prefixes, a ``wb.runs()`` DataFrame, or a
    ``wb.widgets.runs()`` table (its ticked runs)."""
    return Compare(run_ids)
