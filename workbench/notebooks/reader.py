"""Read a notebook file, turning every way it can be wrong into one clear InvalidInput."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import InvalidInput

if TYPE_CHECKING:
    from nbformat import NotebookNode

_REPAIR = "open and save it in Jupyter to repair it"

_JSON_KINDS = {
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def read_notebook(path: str | os.PathLike[str]) -> NotebookNode:
    """The notebook at ``path`` as nbformat v4, validated against its schema."""
    import nbformat
    from nbformat import validator
    from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning

    p = Path(path)
    data = _load_json(p)
    if not isinstance(data, dict):
        kind = _JSON_KINDS.get(type(data), type(data).__name__)
        raise InvalidInput(f"{p} is not a notebook (top level is {kind}, not an object)")
    major = data.get("nbformat")
    if major is None:
        raise InvalidInput(f"{p} is not a notebook: it has no 'nbformat' field; {_REPAIR}")
    if not isinstance(major, int) or isinstance(major, bool) or major not in nbformat.versions:
        known = ", ".join(str(v) for v in sorted(nbformat.versions))
        raise InvalidInput(
            f"{p} has nbformat {major!r}, which Workbench cannot read (known: {known}); {_REPAIR}"
        )
    try:
        with warnings.catch_warnings():
            # Cells without ids (nbformat 4.5+) get fresh ones: the file on disk is not changed.
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            warnings.simplefilter("ignore", DuplicateCellId)
            nb = nbformat.convert(nbformat.from_dict(data), 4)
            if "cells" not in nb:
                raise validator.ValidationError("'cells' is a required property")
            _, normalized = validator.normalize(nb)
            nb = nbformat.from_dict(normalized)
            validator.validate(nb)
    except validator.ValidationError as exc:
        problem = _schema_problem(exc)
        raise InvalidInput(f"{p} is not a valid notebook: {problem}; {_REPAIR}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"{p} is not a valid notebook ({exc!r}); {_REPAIR}") from None
    return nb


def _load_json(p: Path) -> Any:
    if not p.exists():
        raise InvalidInput(f"notebook {p} not found: check the path")
    if p.is_dir():
        raise InvalidInput(f"{p} is a folder: give the path of a .ipynb file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{p} is not UTF-8 text (byte {exc.start}): is it a notebook (.ipynb)?"
        ) from None
    except OSError as exc:
        raise InvalidInput(f"cannot read notebook {p}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{p} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): "
            "a notebook is a JSON file; is this a .ipynb?"
        ) from None


def _schema_problem(exc: Exception) -> str:
    """The first line of a jsonschema error, with where in the notebook it is."""
    message = str(getattr(exc, "message", None) or exc).splitlines()[0]
    if len(message) > 200:
        message = message[:197] + "..."
    where = "/".join(str(part) for part in getattr(exc, "absolute_path", None) or ())
    return f"{message} (at {where})" if where else message
