"""What every widget needs: the store (after a flush of this kernel's buffered metrics), run
id resolution, messages and charts styled by the theme, and riding out store outages."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from workbench.errors import StoreError, WorkbenchError
from workbench.store import Store, open_store

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

# The longest wait between two tries while the store is unavailable.
RETRY_CAP_S = 60.0
# Inline fallbacks for a frontend without Workbench's CSS (labextension/style/widgets.css sets
# the --wb-* variables from the JupyterLab theme): the text stays readable on white.
MESSAGE_FALLBACK = {"info": "#555", "error": "#b00020", "ok": "#1b7f3b"}


CHART_CLASS = "wb-Chart"  # labextension/style/widgets.css recolours these in a dark theme


def chart(fig: go.Figure) -> go.FigureWidget:
    """``fig`` as a FigureWidget on the notebook's own background. The kernel cannot know
    JupyterLab's theme: the figure keeps the light template's colours, on a transparent
    background, and Workbench's CSS gives its text and lines the theme's colours in a dark
    theme (the ``wb-Chart`` class)."""
    import plotly.graph_objects as go

    from workbench.plots import themed

    widget = go.FigureWidget(themed(fig))
    widget.add_class(CHART_CLASS)
    return widget


def fresh_store() -> Store:
    """The store, once the points this kernel has logged but not written yet are in it."""
    from workbench.tracking.fluent import flush

    flush()
    return open_store()


def resolve_ids(store: Store, run_ids: Any) -> list[str]:
    """Run ids from ids or unique prefixes, a ``wb.runs()`` DataFrame (its ``run_id``
    column) or a runs widget (its selection); order kept, duplicates dropped."""
    from workbench.ids import resolve_run_id

    if hasattr(run_ids, "selected") and not isinstance(run_ids, (str, bytes)):
        run_ids = run_ids.selected
    elif hasattr(run_ids, "columns") and "run_id" in getattr(run_ids, "columns", ()):
        run_ids = list(run_ids["run_id"])
    elif isinstance(run_ids, str):
        run_ids = [run_ids]
    out: list[str] = []
    for text in run_ids:
        run_id = resolve_run_id(store, str(text))
        if run_id not in out:
            out.append(run_id)
    return out


def message_html(text: str, kind: str = "info") -> str:
    """A one-line message; its colour comes from the theme (``--wb-message-color`` is set
    per kind in widgets.css), with a readable fallback where that CSS is not loaded."""
    role = "alert" if kind == "error" else "status"
    style = f"color:var(--wb-message-color, {MESSAGE_FALLBACK[kind]})"
    if "\n" in text:  # a query error's caret line must stay under its column
        style += ";white-space:pre-wrap;font-family:var(--jp-code-font-family, monospace)"
    return (
        f'<span class="wb-message wb-message-{kind}" role="{role}" style="{style}">'
        f"{html.escape(text)}</span>"
    )


def message(text: str, kind: str = "info") -> w.HTML:
    return w.HTML(message_html(text, kind))


def hint_html(text: str) -> str:
    """Secondary text (a parameter's help, a leaderboard note) in the theme's muted colour."""
    return (
        f'<span class="wb-hint" style="color:var(--wb-hint-color, #666)">{html.escape(text)}</span>'
    )


def html_table(headers: Iterable[str], rows: Iterable[Iterable[Any]], css_class: str) -> str:
    """A plain HTML table (escaped), for read-only listings such as a leaderboard; widgets.css
    gives its header the theme's colours."""
    pad = 'style="padding:2px 10px;text-align:left"'
    head = "".join(f"<th {pad}>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td {pad}>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return (
        f'<table class="wb-table {css_class}" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def frame_ids(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame["run_id"]]


# -- store outages --------------------------------------------------------------------------


class Backoff:
    """Waits between tries while the store is unavailable: the store's ``retry_after`` first,
    then twice as long each time, up to ``cap`` seconds; ``reset()`` after a success."""

    def __init__(self, cap: float = RETRY_CAP_S) -> None:
        self.cap = cap
        self.failures = 0

    def delay(self, exc: BaseException) -> float | None:
        """Seconds to wait before trying again after ``exc``; None when waiting will not
        help (not a store error, or one without ``retry_after``, such as a read-only store)."""
        if not isinstance(exc, StoreError) or exc.retry_after is None:
            return None
        delay: float = min(self.cap, float(exc.retry_after) * 2**self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


def outage_text(exc: BaseException, delay: float) -> str:
    return f"Store unavailable: {error_text(exc)}; retrying in {delay:g} s"


def error_text(exc: BaseException) -> str:
    if isinstance(exc, WorkbenchError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


class StoreRetry:
    """Runs a read now and, while the store is unavailable, again after a backoff (in a timer
    thread: widget state set from a thread reaches the frontend through ipykernel's
    thread-safe IOPub channel). ``show(text, kind)`` shows the outage; ``show(None, "")``
    clears it once a try succeeds. One pending retry at a time; ``cancel()`` drops it."""

    def __init__(self, show: Callable[[str | None, str], None], cap: float = RETRY_CAP_S) -> None:
        self._show = show
        self._backoff = Backoff(cap)
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        self.outage = False  # the last try met an outage

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def call(self, attempt: Callable[[], None]) -> bool:
        """Try ``attempt`` now: True when it ran. A store outage is shown and retried
        later (False); any other error is raised."""
        with self._lock:
            self.cancel()
            try:
                attempt()
            except Exception as exc:
                delay = self._backoff.delay(exc)
                if delay is None:
                    raise
                self.outage = True
                self._show(outage_text(exc, delay), "error")
                self._timer = threading.Timer(delay, self._retry, (attempt,))
                self._timer.daemon = True
                self._timer.name = "workbench-store-retry"
                self._timer.start()
                return False
            self._backoff.reset()
            if self.outage:
                self.outage = False
                self._show(None, "")
            return True

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _retry(self, attempt: Callable[[], None]) -> None:
        try:
            self.call(attempt)
        except Exception as exc:  # a thread has no caller to raise to: show it
            self._show(f"could not read the store: {error_text(exc)}", "error")
