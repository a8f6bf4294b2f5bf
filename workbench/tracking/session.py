"""What a kernel knows about the notebook it serves: its path (from the server's session
environment), whether a cell starts the notebook again (its first code cell or its
``parameters`` cell), and the IPython cell events that interactive runs follow."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Protocol

IDLE_END_SECONDS = 30.0


class CellHooks(Protocol):
    def pre_cell(self, info: Any) -> None: ...

    def post_cell(self, result: Any) -> None: ...


def idle_end_seconds() -> float:
    """Seconds of an idle kernel after which its interactive run ends
    (``WORKBENCH_IDLE_END_SECONDS`` overrides; 0 or less turns this off)."""
    return float(os.environ.get("WORKBENCH_IDLE_END_SECONDS", IDLE_END_SECONDS))


def in_kernel() -> bool:
    return (
        "ipykernel" in sys.modules
        and "JPY_SESSION_NAME" in os.environ
        or ("ipykernel" in sys.modules and "JPY_PARENT_PID" in os.environ)
    )


def current_notebook() -> str | None:
    """Absolute path of the notebook this kernel serves, from the server's session env."""
    session = os.environ.get("JPY_SESSION_NAME")
    if not session:
        return None
    path = Path(session)
    if not path.is_absolute():
        path = Path(os.environ.get("WORKBENCH_SERVER_ROOT") or os.getcwd()) / path
    return str(path.resolve())


def follow_kernel(tracker: CellHooks) -> None:
    """Register the tracker's cell hooks with this IPython kernel, once."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_workbench_hooked", False):
        return
    shell.events.register("pre_run_cell", lambda info: tracker.pre_cell(info))
    shell.events.register("post_run_cell", lambda result: tracker.post_cell(result))
    shell._workbench_hooked = True


_markers: dict[str, Any] = {}


def starts_notebook(info: Any) -> bool:
    """Whether the cell about to run is the notebook's first code cell or its parameters
    cell (by the cell id JupyterLab sends, else by the parameters cell's source), read from
    the saved notebook file."""
    path = current_notebook()
    if not path:
        return False
    try:
        mtime = os.stat(path).st_mtime
        if _markers.get("key") != (path, mtime):
            import json

            with open(path, encoding="utf-8") as f:
                cells = [c for c in json.load(f).get("cells", []) if c.get("cell_type") == "code"]
            ids, sources = set(), set()
            if cells:
                ids.add(cells[0].get("id"))
            for cell in cells:
                if "parameters" in cell.get("metadata", {}).get("tags", []):
                    ids.add(cell.get("id"))
                    text = cell.get("source", "")
                    sources.add(("".join(text) if isinstance(text, list) else text).strip())
            _markers.update(key=(path, mtime), ids=ids - {None}, sources=sources - {""})
    except (OSError, ValueError, AttributeError):
        return False
    cell_id = getattr(info, "cell_id", None)
    if cell_id and cell_id in _markers["ids"]:
        return True
    raw = (getattr(info, "raw_cell", "") or "").strip()
    return bool(raw) and raw in _markers["sources"]
