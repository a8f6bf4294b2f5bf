"""``wb.widgets.monitor()``: a live chart of the active run's metrics while the notebook logs.

A daemon thread polls every ``interval`` seconds: it flushes this kernel's buffered metric
points, reads the run from the store (the same read as ``wb.get_run``) and extends the
figure's traces, one per metric. Widget state set from a thread reaches the frontend because
ipykernel sends comm messages through its thread-safe IOPub channel; execution of other
cells goes on meanwhile. ``.stop()`` (or the Stop button, or closing the widget) ends the
thread; monitoring an explicit ``run_id`` also ends once that run has finished.
"""

from __future__ import annotations

import os
import threading
import time

import ipywidgets as w

from workbench import plots
from workbench.entities import Run
from workbench.store import Store
from workbench.widgets._common import (
    Backoff,
    chart,
    error_text,
    fresh_store,
    message_html,
    outage_text,
)

DEFAULT_INTERVAL = 1.0


class Monitor(w.VBox):
    """Live metric chart of one run (by default the active run of this kernel)."""

    def __init__(
        self,
        run_id: str | None = None,
        interval: float = DEFAULT_INTERVAL,
        store: Store | None = None,
        start: bool = True,
    ) -> None:
        if interval <= 0:
            from workbench.errors import InvalidInput

            raise InvalidInput(f"interval {interval!r} is not usable: give seconds above 0")
        self.run_id = run_id
        self.interval = interval
        self.updates = 0  # polls that changed the chart, for tests and the status line
        self._store = store
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown_run: str | None = None
        self._points: dict[str, int] = {}
        self._text = ""
        self.figure = chart(plots.metric_history_figure([], []))
        self.figure.update_layout(title={"text": "Waiting for metrics"})
        self.status = w.HTML()
        self.status.add_class("wb-Monitor-status")
        self.stop_button = w.Button(description="Stop", icon="stop", layout=w.Layout(width="90px"))
        self.stop_button.on_click(lambda _: self.stop())
        super().__init__(
            [
                w.HBox([self.stop_button, self.status], layout=w.Layout(align_items="center")),
                self.figure,
            ]
        )
        self.add_class("wb-Monitor")
        self._backoff = Backoff()
        self._next_wait = self._poll()
        if start:
            self.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="workbench-monitor", daemon=True)
        self._thread.start()
        self.stop_button.disabled = False

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5 * self.interval + 5)
        self.stop_button.disabled = True
        self._set_status(
            self._text.removesuffix(" (live)").removesuffix(" (stopped)") + " (stopped)"
        )

    def close(self) -> None:
        self.stop()
        super().close()

    def refresh(self) -> bool:
        """One poll: returns True when the monitored run has finished (explicit run only)."""
        run_id = self.run_id or _current_run_id()
        if run_id is None:
            self._set_status("No active run yet: the chart follows the first wb.log_metric.")
            return False
        store = self._store or fresh_store()
        run = store.get_run(run_id)
        changed = self._draw(run)
        if changed:
            self.updates += 1
        total = sum(len(p) for p in run.metric_history.values())
        clock = time.strftime("%H:%M:%S")
        self._set_status(
            f"run {plots.run_label(run.run_id, run.name)}: {run.status.value}, {total} points, "
            f"read at {clock}" + (" (live)" if not self._stop.is_set() else "")
        )
        return self.run_id is not None and run.status.finished

    # -- internals -----------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.wait(self._next_wait):
            self._next_wait = self._poll()
        self.stop_button.disabled = True

    def _poll(self) -> float:
        """One refresh that never raises: the seconds to wait before the next one (longer,
        with a backoff, while the store is unavailable)."""
        try:
            if self.refresh():
                self._stop.set()
        except Exception as exc:  # the status line says what went wrong; the loop goes on
            delay = self._backoff.delay(exc)
            if delay is not None:
                self._set_status(outage_text(exc, delay))
                return delay
            self._set_status(f"could not read the run: {error_text(exc)}")
        else:
            self._backoff.reset()
        return self.interval

    def _draw(self, run: Run) -> bool:
        counts = {k: len(v) for k, v in run.metric_history.items()}
        if run.run_id == self._shown_run and counts == self._points:
            return False
        fig = plots.metric_history_figure([run])
        with self.figure.batch_update():
            if run.run_id != self._shown_run or set(counts) != set(self._points):
                self.figure.data = []
                self.figure.add_traces(list(fig.data))
                for trace, metric in zip(self.figure.data, sorted(counts), strict=True):
                    trace.name = metric  # one run: the legend names the metrics
            else:
                fresh = {t.meta["metric"]: t for t in fig.data}
                for trace in self.figure.data:
                    new = fresh[trace.meta["metric"]]
                    trace.x, trace.y, trace.mode = new.x, new.y, new.mode
            self.figure.layout.title.text = (
                f"Live metrics of run {plots.run_label(run.run_id, run.name)}"
            )
            self.figure.layout.legend.title.text = "metric"
        self._shown_run, self._points = run.run_id, counts
        return True

    def _set_status(self, text: str) -> None:
        self._text = text
        kind = "error" if text.startswith(("Store unavailable", "could not")) else "info"
        self.status.value = message_html(text, kind)


def _current_run_id() -> str | None:
    """This kernel's active run, or the job run it belongs to (papermill jobs)."""
    from workbench.tracking.fluent import active_run

    active = active_run()
    if active is not None:
        return active.run_id
    return os.environ.get("WORKBENCH_RUN_ID") or None


def monitor(run_id: str | None = None, interval: float = DEFAULT_INTERVAL) -> Monitor:
    """A live chart of the active run's metrics (or of ``run_id``), refreshed every
    ``interval`` seconds until ``.stop()``."""
    return Monitor(run_id=run_id, interval=interval)
