"""Downsampling of metric series (LTTB) and the chart options built on it."""

from __future__ import annotations

import math

import pytest

from workbench import plots
from workbench.entities import MetricPoint, Run, RunStatus
from workbench.errors import InvalidInput
from workbench.series import downsample, lttb_indices


def test_short_series_are_kept_whole() -> None:
    assert lttb_indices([0, 1, 2], [5, 6, 7], 2000) == [0, 1, 2]
    assert downsample(["a", "b"], [0, 1], [0, 0], 10) == ["a", "b"]


def test_lttb_keeps_the_ends_and_the_spikes() -> None:
    n = 100_000
    xs = list(range(n))
    ys = [math.sin(i / 1000) for i in xs]
    ys[31_337] = 50.0  # one spike that a stride would drop
    kept = lttb_indices(xs, ys, 2000)
    assert len(kept) == 2000
    assert kept[0] == 0 and kept[-1] == n - 1
    assert kept == sorted(set(kept))
    assert 31_337 in kept


def test_lttb_refuses_unequal_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        lttb_indices([0, 1, 2, 3], [0, 1], 3)


def _run(points: int) -> Run:
    run = Run("a" * 32, "r", "e", None, None, "job", RunStatus.SUCCEEDED, 100.0, 200.0)
    run.metric_history = {
        "loss": [MetricPoint("loss", 1 / (s + 1), s, 100.0 + s / 10) for s in range(points)]
    }
    return run


def test_history_figure_downsamples_smooths_and_uses_time() -> None:
    fig = plots.metric_history_figure([_run(10_000)], x="time", smoothing=0.9, log_y=True)
    raw, smooth = fig.data
    assert len(raw.x) == len(smooth.x) == 2000
    assert raw.x[-1] == pytest.approx(999.9)  # seconds since the run started
    assert raw.showlegend is False and smooth.y[0] == pytest.approx(raw.y[0])  # debiased
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text == "seconds since start"


def test_ema_leaves_nan_alone() -> None:
    out = plots.ema([1.0, math.nan, 3.0], 0.5)
    assert out[0] == 1.0 and math.isnan(out[1]) and out[2] == pytest.approx(2.333333, rel=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "needle"), [({"x": "wall"}, "x axis"), ({"smoothing": 1.0}, "smoothing")]
)
def test_history_figure_bad_options(kwargs, needle) -> None:
    with pytest.raises(InvalidInput, match=needle):
        plots.metric_history_figure([_run(3)], **kwargs)


def test_themed_figures() -> None:
    fig = plots.themed(plots.metric_history_figure([_run(3)]), "dark")
    assert fig.layout.template.layout.paper_bgcolor == "rgb(17,17,17)"
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)"
    with pytest.raises(InvalidInput, match="theme"):
        plots.themed(fig, "pink")


def test_contour_figure_over_two_params() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "run_id": [f"{i:032x}" for i in range(4)],
            "name": [None] * 4,
            "params.lr": [0.1, 0.2, 0.1, 0.2],
            "params.depth": [2, 2, 4, 4],
            "metrics.acc": [0.5, 0.6, 0.7, None],
        }
    )
    fig = plots.contour_figure(frame, "acc", "lr", "depth")
    contour, markers = fig.data
    assert contour.type == "contour" and list(contour.z) == [0.5, 0.6, 0.7]
    assert len(markers.x) == 3  # the run without the metric is left out
