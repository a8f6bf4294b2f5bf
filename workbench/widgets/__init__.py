"""Workbench's views inside a notebook (ipywidgets and plotly ``FigureWidget``).

    import workbench as wb
    wb.widgets.runs()              # the runs table: filters, sorting, selection, Compare
    wb.widgets.compare(run_ids)    # metric histories, metric against parameter, parallel coords
    wb.widgets.sweep("train.ipynb")  # a form from the notebook's parameters; launches a sweep
    wb.widgets.monitor()           # live chart of the active run's metrics

They work in any Jupyter frontend with ipywidgets 8 (JupyterLab, Notebook 7, Voila) and need
the ``widgets`` extra: ``pip install "jupyter-mlops-workbench[widgets]"``.
"""

from __future__ import annotations

try:
    import anywidget  # noqa: F401  (go.FigureWidget is an anywidget since plotly 6)
    import ipywidgets  # noqa: F401
    import plotly  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"wb.widgets needs {exc.name}: install the widgets extra with "
        '`pip install "jupyter-mlops-workbench[widgets]"`'
    ) from exc

from workbench.widgets.compare import Compare, compare
from workbench.widgets.monitor import Monitor, monitor
from workbench.widgets.runs import RunsTable, runs
from workbench.widgets.sweep import SweepForm, sweep

__all__ = ["Compare", "Monitor", "RunsTable", "SweepForm", "compare", "monitor", "runs", "sweep"]
