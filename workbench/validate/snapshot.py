"""The input notebook of a run, rebuilt from its stored executed notebook.

papermill adds one cell tagged ``injected-parameters`` and fills outputs, execution counts
and ``papermill`` metadata; dropping those gives back the notebook as it was given (its cell
sources, and so its ``notebook_sha256``, are untouched by execution).
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

from workbench.errors import InvalidInput

if TYPE_CHECKING:
    from nbformat import NotebookNode

INJECTED_TAG = "injected-parameters"


def load_notebook_bytes(data: bytes, label: str = "the stored notebook") -> NotebookNode:
    import nbformat
    from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning

    try:
        raw = json.loads(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            warnings.simplefilter("ignore", DuplicateCellId)
            nb = nbformat.convert(nbformat.from_dict(raw), 4)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"{label} cannot be read as a notebook ({exc})") from None
    return nb


def strip_outputs(nb: NotebookNode) -> NotebookNode:
    """Outputs, execution counts and per-run metadata removed, in place; returns ``nb``."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in ("papermill", "execution", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    return nb


def input_notebook(executed: bytes) -> NotebookNode:
    """The notebook as given to papermill: injected-parameters cell dropped, outputs stripped."""
    nb = load_notebook_bytes(executed, "the run's executed notebook")
    nb.cells = [c for c in nb.cells if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])]
    return strip_outputs(nb)


def notebook_bytes(nb: Any) -> bytes:
    import nbformat

    return nbformat.writes(nb).encode("utf-8")
