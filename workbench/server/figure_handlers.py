"""``GET figures/{kind}``: the plotly figures of workbench.plots as JSON, for the
labextension to draw with JupyterLab's plotly MIME renderer (one chart implementation).

Kinds: ``history`` (a metric's history per run: step or time axis, smoothing, log scale),
``param`` (a metric against a parameter), ``parallel`` (parallel coordinates coloured by a
metric), ``contour`` (a metric over two parameters). Runs keep their colour across kinds:
their place in ``run_ids``. Every answer also names the metrics and parameters the runs
have, so the compare view fills its pickers from the same call.
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.entities import Run
from workbench.errors import InvalidInput, NotFound
from workbench.server.base import WorkbenchHandler
from workbench.server.run_models import FigureQuery
from workbench.store import RunFilter, Store

KINDS = ("history", "param", "parallel", "contour")


def _frame(store: Store, ids: list[str]) -> Any:
    from workbench.tracking.frames import runs_frame

    frame = runs_frame(store, RunFilter(run_ids=ids, deleted=None))
    found = set(frame["run_id"])
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no run with id {missing[0]!r}: list runs with `workbench runs`")
    order = {run_id: i for i, run_id in enumerate(ids)}
    return frame.iloc[sorted(range(len(frame)), key=lambda i: order[frame["run_id"].iat[i]])]


def _with_history(store: Store, ids: list[str], metric: str) -> list[Run]:
    """The runs, in ``ids`` order, with their history of ``metric``: a few queries whatever
    their number (the figure downsamples each series)."""
    runs = {r.run_id: r for r in store.search_runs(RunFilter(run_ids=ids, deleted=None))[0]}
    histories = store.metric_histories(ids, [metric])
    for run_id, run in runs.items():
        run.metric_history = histories.get(run_id, {})
    return [runs[run_id] for run_id in ids if run_id in runs]


def _need(value: str | None, what: str, choices: list[str]) -> str:
    if value is None:
        if not choices:
            raise InvalidInput(f"these runs have no {what} to draw")
        return choices[0]
    if value not in choices:
        known = ", ".join(choices[:20]) or "none"
        raise InvalidInput(f"{what} {value!r} is not one of these runs'; they have: {known}")
    return value


def figure_json(store: Store, kind: str, query: FigureQuery) -> str:
    from workbench import plots

    ids = query.run_ids
    frame = _frame(store, ids)
    metrics = plots.metric_columns(frame)
    params = plots.param_columns(frame)
    numeric = plots.numeric_params(frame)
    if kind == "history":
        metric = _need(query.metric, "metric", metrics)
        fig = plots.metric_history_figure(
            _with_history(store, ids, metric),
            [metric],
            x=query.x or "step",
            smoothing=query.smoothing,
            log_y=query.log_y,
        )
    elif kind == "param":
        metric = _need(query.metric, "metric", metrics)
        param = _need(query.param, "parameter", params)
        fig = plots.metric_vs_param_figure(frame, metric, param)
    elif kind == "parallel":
        metric = _need(query.metric, "metric", metrics)
        fig = plots.parallel_coordinates_figure(frame, metric)
    else:
        metric = _need(query.metric, "metric", metrics)
        x = _need(query.x, "parameter", numeric)
        y = _need(query.y, "parameter", [p for p in numeric if p != x] or numeric)
        fig = plots.contour_figure(frame, metric, x, y)
    plots.themed(fig, query.theme)
    choices = json.dumps({"metrics": metrics, "params": params, "numeric_params": numeric})
    return f'{{"figure": {fig.to_json()}, "choices": {choices}}}'


class FigureHandler(WorkbenchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, kind: str) -> None:
        query = self.parse_query(FigureQuery)
        body = await self.workbench.call(lambda store: figure_json(store, kind, query))
        self.finish(body, set_content_type="application/json")


ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    (f"figures/(?P<kind>{'|'.join(KINDS)})", FigureHandler),
]
