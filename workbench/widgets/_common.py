"""What every widget needs: the store (after a flush of this kernel's buffered metrics), run
id resolution, and small layout helpers."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from workbench.store import Store, open_store

if TYPE_CHECKING:
    import pandas as pd


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


def message(text: str, kind: str = "info") -> w.HTML:
    colours = {
        "info": "var(--jp-ui-font-color2)",
        "error": "var(--jp-error-color1)",
        "ok": "var(--jp-success-color1)",
    }
    return w.HTML(
        f'<span class="wb-message wb-message-{kind}" style="color:{colours[kind]}">'
        f"{html.escape(text)}</span>"
    )


def html_table(headers: Iterable[str], rows: Iterable[Iterable[Any]], css_class: str) -> str:
    """A plain HTML table (escaped), for read-only listings such as a leaderboard."""
    pad = 'style="padding:2px 10px;text-align:left"'
    head = "".join(f"<th {pad}>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td {pad}>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return (
        f'<table class="{css_class}" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def frame_ids(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame["run_id"]]
