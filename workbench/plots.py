"""Plotly figures of runs, shared by the widgets (which wrap them in ``go.FigureWidget``).

Pure functions: runs (entities with their metric histories) or a ``wb.runs()`` DataFrame in,
a ``go.Figure`` out. No store access here, so the figures are testable on plain data and the
same figure serves a notebook, a report or an export.

Each run keeps one colour in every figure (its place in the list of runs), so a run reads the
same in the histories, the metric-against-parameter chart and the legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.colors import qualitative

from workbench.entities import Run
from workbench.errors import InvalidInput
from workbench.series import MAX_POINTS, lttb_indices

if TYPE_CHECKING:
    import pandas as pd

_RUN_NAME = "<extra>%{fullData.name}</extra>"  # the hover box names the run
PALETTE: tuple[str, ...] = tuple(qualitative.Plotly) + tuple(qualitative.D3)
LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "height": 360,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "legend": {"title": {"text": "run"}},
}
THEMES = {"light": "plotly_white", "dark": "plotly_dark"}


def run_label(run_id: str, name: str | None = None) -> str:
    """``a1b2c3d4 (my-run)``: short id, and the name when there is one."""
    short = run_id[:8]
    return f"{short} ({name})" if name and not _is_nan(name) else short


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def metric_names(runs: Sequence[Run]) -> list[str]:
    """Every metric with a history in any of ``runs``, sorted."""
    return sorted({key for run in runs for key in run.metric_history})


def metric_history_figure(
    runs: Sequence[Run],
    metrics: Sequence[str] | None = None,
    visible: str | None = None,
    *,
    x: str = "step",
    smoothing: float = 0.0,
    log_y: bool = False,
    max_points: int = MAX_POINTS,
) -> go.Figure:
    """One line per run per metric (x: step, or ``x="time"``: seconds since the run started;
    y: value). With ``visible``, only that metric's traces show: the others stay in the
    figure, so a dropdown toggles them without redrawing. ``smoothing`` (0 to <1) draws an
    exponential moving average over the raw line, as TensorBoard does; ``log_y`` a log axis.
    Each series is downsampled (LTTB) to at most ``max_points`` points.
    """
    if x not in ("step", "time"):
        raise InvalidInput(f"x axis {x!r} is not known: use 'step' or 'time'")
    if not 0.0 <= smoothing < 1.0:
        raise InvalidInput(f"smoothing {smoothing!r} is out of range: use 0 (none) to 0.99")
    metrics = list(metrics) if metrics is not None else metric_names(runs)
    fig = go.Figure(layout=LAYOUT)
    x_label = "step" if x == "step" else "seconds since start"
    for metric in metrics:
        for i, run in enumerate(runs):
            points = run.metric_history.get(metric, [])
            xs = [p.step if x == "step" else p.timestamp - run.started_at for p in points]
            ys = [p.value for p in points]
            kept = lttb_indices(xs, ys, max_points) if len(points) > max_points else None
            if kept is not None:
                xs, ys = [xs[k] for k in kept], [ys[k] for k in kept]
            shown = visible is None or metric == visible
            common = {
                "name": run_label(run.run_id, run.name),
                "legendgroup": run.run_id,
                "meta": {"run_id": run.run_id, "metric": metric},
                "visible": shown,
                "hovertemplate": f"{metric}<br>{x_label} %{{x}}<br>%{{y}}" + _RUN_NAME,
            }
            if smoothing:
                fig.add_trace(  # the raw line, faint, under its smoothed one
                    go.Scatter(
                        x=xs,
                        y=ys,
                        mode="lines",
                        line={"color": colour(i), "width": 1},
                        opacity=0.3,
                        showlegend=False,
                        **common,
                    )
                )
                ys = ema(ys, smoothing)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers" if len(points) < 30 else "lines",
                    line={"color": colour(i)},
                    **common,
                )
            )
    title = visible if visible is not None else ", ".join(metrics)
    fig.update_layout(
        title={"text": f"Metric history: {title}" if metrics else "No metric history"},
        xaxis_title=x_label,
        yaxis={
            "title": {"text": visible if visible is not None else "value"},
            "type": "log" if log_y else "linear",
        },
    )
    return fig


def ema(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with TensorBoard's debiasing (the first points are not
    pulled towards zero); NaN points stay NaN and do not poison the average."""
    out: list[float] = []
    last, count = 0.0, 0
    for v in values:
        if _is_nan(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        count += 1
        out.append(last / (1 - weight**count))
    return out


def themed(fig: go.Figure, theme: str = "light") -> go.Figure:
    """The figure in JupyterLab's light or dark theme (in place, returned): plotly's white or
    dark template, with transparent backgrounds so the panel's own colour shows through."""
    if theme not in THEMES:
        raise InvalidInput(f"theme {theme!r} is not known: use 'light' or 'dark'")
    fig.update_layout(
        template=THEMES[theme], paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)"
    )
    return fig


def set_visible_metric(fig: go.Figure, metric: str) -> None:
    """Show only ``metric``'s traces of a :func:`metric_history_figure` (in place)."""
    for trace in fig.data:
        trace.visible = (trace.meta or {}).get("metric") == metric
    fig.layout.title.text = f"Metric history: {metric}"
    fig.layout.yaxis.title.text = metric


def metric_vs_param_figure(frame: pd.DataFrame, metric: str, param: str) -> go.Figure:
    """The last value of ``metric`` against ``param``, one marker trace per run.

    ``frame`` is a ``wb.runs()`` DataFrame; ``metric`` and ``param`` are bare names
    (``accuracy``, ``lr``). Runs lacking either value are left out. A parameter that is not
    numeric (a string, a list) is drawn on a category axis.
    """
    m_col, p_col = f"metrics.{metric}", f"params.{param}"
    fig = go.Figure(layout=LAYOUT)
    numeric = True
    if m_col in frame.columns and p_col in frame.columns:
        for i, (_, row) in enumerate(frame.iterrows()):
            x, y = row[p_col], row[m_col]
            if _missing(x) or _missing(y):
                continue
            numeric = numeric and _is_number(x)
            fig.add_trace(
                go.Scatter(
                    x=[x if _is_number(x) else str(x)],
                    y=[float(y)],
                    mode="markers",
                    marker={"size": 12, "color": colour(i)},
                    name=run_label(row["run_id"], row.get("name")),
                    meta={"run_id": row["run_id"]},
                    hovertemplate=f"{param}=%{{x}}<br>{metric}=%{{y}}" + _RUN_NAME,
                )
            )
    fig.update_layout(
        title={"text": f"{metric} against {param}"},
        xaxis={"title": {"text": param}, "type": "linear" if numeric else "category"},
        yaxis_title=metric,
    )
    return fig


def numeric_params(frame: pd.DataFrame) -> list[str]:
    """Parameters (bare names) whose values are numbers in every run that has them."""
    names = []
    for column in frame.columns:
        if not column.startswith("params."):
            continue
        values = [v for v in frame[column] if not _missing(v)]
        if values and all(_is_number(v) for v in values):
            names.append(column.removeprefix("params."))
    return names


def metric_columns(frame: pd.DataFrame) -> list[str]:
    return [c.removeprefix("metrics.") for c in frame.columns if c.startswith("metrics.")]


def param_columns(frame: pd.DataFrame) -> list[str]:
    return [c.removeprefix("params.") for c in frame.columns if c.startswith("params.")]


def parallel_coordinates_figure(
    frame: pd.DataFrame, metric: str, params: Sequence[str] | None = None
) -> go.Figure:
    """One axis per numeric parameter and a last axis for ``metric``, one line per run,
    coloured by the metric. Runs lacking the metric are left out."""
    params = list(params) if params is not None else numeric_params(frame)
    m_col = f"metrics.{metric}"
    rows = frame[frame[m_col].notna()] if m_col in frame.columns else frame.iloc[0:0]
    dimensions = []
    for param in params:
        values = [float(v) if _is_number(v) else math.nan for v in rows[f"params.{param}"]]
        dimensions.append({"label": param, "values": values})
    scores = [float(v) for v in rows[m_col]] if len(rows) else []
    dimensions.append({"label": metric, "values": scores})
    fig = go.Figure(
        go.Parcoords(
            line={
                "color": scores,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": metric}},
            },
            dimensions=dimensions,
            meta={"run_ids": list(rows["run_id"]) if len(rows) else []},
        ),
        layout=LAYOUT,
    )
    fig.update_layout(
        title={"text": f"Parameters and {metric}"}, margin={"l": 70, "r": 70, "t": 80, "b": 40}
    )
    return fig


def contour_figure(frame: pd.DataFrame, metric: str, x_param: str, y_param: str) -> go.Figure:
    """``metric`` (last value) over two numeric parameters: a contour interpolated between
    the runs, and the runs themselves as markers. Runs lacking a value are left out."""
    cols = [f"params.{x_param}", f"params.{y_param}", f"metrics.{metric}"]
    xs: list[float] = []
    ys: list[float] = []
    zs: list[float] = []
    labels: list[str] = []
    if all(c in frame.columns for c in cols):
        for _, row in frame.iterrows():
            x, y, z = (row[c] for c in cols)
            if _is_number(x) and _is_number(y) and not _missing(z):
                xs.append(float(x))
                ys.append(float(y))
                zs.append(float(z))
                labels.append(run_label(row["run_id"], row.get("name")))
    fig = go.Figure(layout=LAYOUT)
    if len(set(xs)) > 1 and len(set(ys)) > 1:
        fig.add_trace(
            go.Contour(
                x=xs,
                y=ys,
                z=zs,
                colorscale="Viridis",
                connectgaps=True,
                colorbar={"title": {"text": metric}},
                hovertemplate=f"{x_param}=%{{x}}<br>{y_param}=%{{y}}<br>{metric}=%{{z}}"
                "<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker={"size": 9, "color": "white", "line": {"width": 1, "color": "black"}},
            text=labels,
            name="runs",
            hovertemplate=f"{x_param}=%{{x}}<br>{y_param}=%{{y}}<extra>%{{text}}</extra>",
        )
    )
    fig.update_layout(
        title={"text": f"{metric} over {x_param} and {y_param}"},
        xaxis_title=x_param,
        yaxis_title=y_param,
        showlegend=False,
    )
    return fig


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and not _is_nan(value)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _missing(value: Any) -> bool:
    return value is None or _is_nan(value)
