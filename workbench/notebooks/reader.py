"""Read a notebook file, turning every way it can be wrong into one clear InvalidInput.

Hostile or broken input must never escape as a traceback: a path that is really notebook
JSON, a name longer than the file system allows, JSON nested deeper than anything here
can walk, a number with thousands of digits. Older formats (nbformat 3, with its
``worksheets`` and lines split into lists) are upgraded to v4 the way nbformat reads them.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import InvalidInput

if TYPE_CHECKING:
    from nbformat import NotebookNode

_REPAIR = "open and save it in Jupyter to repair it"

# Deeper than any real notebook (outputs and widget state stay far below), and shallow
# enough that nbformat, papermill and json (all recursive) stay inside Python's stack.
MAX_DEPTH = 100

_JSON_KINDS = {
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def skip_iri_grammar() -> None:
    """In a process of ours (the CLI, a sweep's worker), before nbformat is first imported:
    keep jsonschema from loading ``rfc3987_syntax``, which builds a grammar for IRI formats
    at import, about 0.8 s of CPU. nbformat's schemas check no string format; an IRI format
    checked elsewhere in this process is then simply not checked. Not for a user's process
    (a kernel, the Jupyter server): it changes what jsonschema checks there."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def notebook_path(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute, or InvalidInput if it cannot name a file at all."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        raise InvalidInput("give the notebook path as text, not bytes")
    if "\x00" in text:
        raise InvalidInput(f"the notebook path {shown(text)} contains a NUL character")
    if _looks_like_json(text) and not _exists(text):
        raise InvalidInput(_JSON_TEXT)
    return Path(text).resolve()


def read_notebook(path: str | os.PathLike[str]) -> NotebookNode:
    """The notebook at ``path`` as nbformat v4, validated against its schema."""
    import nbformat
    from nbformat import validator
    from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning

    p = notebook_path(path)
    data = _load_json(p)
    name = shown(p)
    if not isinstance(data, dict):
        kind = _JSON_KINDS.get(type(data), type(data).__name__)
        raise InvalidInput(f"{name} is not a notebook (top level is {kind}, not an object)")
    _check_depth(name, data)
    major = data.get("nbformat")
    if major is None:
        raise InvalidInput(f"{name} is not a notebook: it has no 'nbformat' field; {_REPAIR}")
    if not isinstance(major, int) or isinstance(major, bool) or major not in nbformat.versions:
        known = ", ".join(str(v) for v in sorted(nbformat.versions))
        raise InvalidInput(
            f"{name} has nbformat {shown(major)}, which Workbench cannot read (known: {known}); "
            f"{_REPAIR}"
        )
    try:
        with warnings.catch_warnings():
            # Cells without ids (nbformat 4.5+) get fresh ones: the file on disk is not changed.
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            warnings.simplefilter("ignore", DuplicateCellId)
            # The on-disk form to the in-memory one (lines joined), as nbformat.reads does;
            # then older versions upgraded to v4.
            minor = data.get("nbformat_minor", 0)
            nb = nbformat.versions[major].to_notebook_json(data, minor=minor)
            nb = nbformat.convert(nb, 4)
            if "cells" not in nb:
                raise validator.ValidationError("'cells' is a required property")
            _, normalized = validator.normalize(nb)
            nb = nbformat.from_dict(normalized)
            validator.validate(nb)
    except validator.ValidationError as exc:
        problem = _schema_problem(exc)
        raise InvalidInput(f"{name} is not a valid notebook: {problem}; {_REPAIR}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = "a valid notebook" if major >= 4 else f"an nbformat {major} notebook it can upgrade"
        raise InvalidInput(f"{name} is not {what} ({shown(exc, 120)}); {_REPAIR}") from None
    except RecursionError:  # the depth check should make this unreachable
        raise InvalidInput(f"{name} is nested too deeply to read; {_REPAIR}") from None
    return nb


def shown(value: Any, limit: int = 80, *, quoted: bool = False) -> str:
    """``value`` for a one-line message: control characters escaped, long text shortened;
    text in quotes (as repr would) when ``quoted``."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    text = value if isinstance(value, str) and not quoted else repr(value)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) > limit:
        keep = limit - 20
        text = f"{text[:keep]}...{text[-15:]} ({len(text):,} characters)"
    return text


_JSON_TEXT = (
    "got notebook JSON text where a notebook path was expected: save it as a .ipynb file "
    "and give that file's path"
)


def _looks_like_json(text: str) -> bool:
    # also when a server joined the text under its root folder
    return text.lstrip().startswith(("{", "[")) or '"nbformat"' in text


def _exists(text: str) -> bool:
    try:
        return os.path.lexists(text)
    except (OSError, ValueError):
        return False


def _load_json(p: Path) -> Any:
    name = shown(p)
    try:
        if p.is_dir():
            raise InvalidInput(f"{name} is a folder: give the path of a .ipynb file")
        raw = p.read_bytes()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            longest = max(len(part) for part in p.parts)
            raise InvalidInput(
                f"the notebook path {name} is too long for the file system (a name of "
                f"{longest} characters; most allow 255): give a shorter path"
            ) from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise InvalidInput(f"notebook {name} not found: check the path") from None
        raise InvalidInput(f"cannot read notebook {name}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name} is not UTF-8 text (byte {exc.start}): is it a notebook (.ipynb)?"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): "
            "a notebook is a JSON file; is this a .ipynb?"
        ) from None
    except RecursionError:
        raise InvalidInput(
            f"{name} is nested more than {MAX_DEPTH} levels deep: no notebook is; {_REPAIR}"
        ) from None
    except ValueError:  # an integer past Python's limit on digits for conversions
        raise InvalidInput(
            f"{name} holds an integer of more than {sys.get_int_max_str_digits()} digits: "
            f"no notebook field needs one; {_REPAIR}"
        ) from None


def _check_depth(name: str, data: Any) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH, walking it without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(
                f"{name} is nested more than {MAX_DEPTH} levels deep: no notebook is; {_REPAIR}"
            )
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def _schema_problem(exc: Exception) -> str:
    """The first line of a jsonschema error, with where in the notebook it is."""
    message = str(getattr(exc, "message", None) or exc).splitlines()[0]
    if len(message) > 200:
        message = message[:197] + "..."
    where = "/".join(str(part) for part in getattr(exc, "absolute_path", None) or ())
    return f"{message} (at {where})" if where else message
