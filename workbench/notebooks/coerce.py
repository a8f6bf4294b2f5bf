"""Values from the CLI, a file or the API, checked and converted against a notebook's
typed parameter schema: the one check for a sweep's jobs and for a single run."""

from __future__ import annotations

import ast
import difflib
import json
import math
from collections.abc import Mapping
from typing import Any

from workbench.entities import check_json_value, check_param_name
from workbench.errors import InvalidInput
from workbench.notebooks.params import check_params
from workbench.notebooks.reader import shown
from workbench.notebooks.schema import HOW_TO_TAG, ParamSchema, notebook_schema, parameters_cell

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
_NULLS = {"null", "None"}
_HOW = {
    "int": "give a whole number such as 3",
    "float": "give a number such as 0.1",
    "bool": "give true/false, yes/no or 1/0",
    "str": "give a text value",
    "list": "give a JSON list such as [1, 2]",
    "dict": 'give a JSON object such as {"a": 1}',
}


def coerce(
    schema: ParamSchema, values: dict[str, Any], *, allow_unknown: bool = False
) -> dict[str, Any]:
    """Check ``values`` against ``schema`` and convert them; the result holds JSON types only.

    Strings (from the CLI or a CSV cell) are parsed to the parameter's type; JSON values
    (YAML, JSON, the REST API) are checked and converted where it is lossless (2.0 -> 2).
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        check_param_name(name)
        spec = schema.get(name)
        if spec is None and not allow_unknown:
            raise InvalidInput(_unknown_message(schema, name))
        type_ = spec.type if spec else "any"
        # One rule for every face: a value is a JSON value before any conversion, so NaN,
        # infinities (even inside lists) and non-JSON objects never reach a str parameter
        # as "nan"; text naming a non-finite number is refused where it would be a number.
        if not isinstance(value, str):
            value = check_json_value(name, value)
        elif type_ in ("int", "float", "any", "None") and _non_finite(value):
            wanted = f"expects {type_}, got" if type_ in ("int", "float") else "got"
            raise InvalidInput(
                f"parameter {name!r} {wanted} {shown(value, quoted=True)}: use a finite number"
            )
        nullable = spec.nullable or type_ == "any" if spec else True
        if value is None or (nullable and isinstance(value, str) and value.strip() in _NULLS):
            if not nullable:
                raise InvalidInput(f"parameter {name!r} expects {type_}, got None: {_HOW[type_]}")
            out[name] = None
            continue
        converted = _convert(type_, value)
        if converted is _FAIL:
            got = shown(value, quoted=True)
            raise InvalidInput(f"parameter {name!r} expects {type_}, got {got}: {_HOW[type_]}")
        out[name] = check_json_value(name, converted)
    return out


def coerce_for_notebook(
    nb: Mapping[str, Any],
    values: Mapping[str, Any] | None,
    *,
    allow_unknown: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    """The parameters of one run of ``nb``, checked and converted as a sweep's jobs are.

    An unknown name is an error unless ``allow_unknown``; so is any parameter of a notebook
    without a ``parameters`` cell (papermill would inject it in a new first cell, before
    the defaults it was meant to override). ``name`` is how messages call the notebook.
    """
    given = check_params(values)
    if not given:
        return {}
    if parameters_cell(nb) is None:
        if not allow_unknown:
            label = f"notebook {name}" if name else "the notebook"
            listed = ", ".join(given)
            raise InvalidInput(
                f"{label} has no cell tagged `parameters`, so it takes no parameters "
                f"(got {shown(listed)}): {HOW_TO_TAG}; or pass --allow-unknown to inject "
                "them in a new first cell anyway"
            )
        return coerce(ParamSchema(), given, allow_unknown=True)
    return coerce(notebook_schema(nb, name=name), given, allow_unknown=allow_unknown)


def _unknown_message(schema: ParamSchema, name: str) -> str:
    known = ", ".join(schema.names) or "(none)"
    close = difflib.get_close_matches(name, schema.names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"the notebook has no parameter {name!r}{hint}; its parameters are: {known}. "
        "Pass --allow-unknown to inject it anyway"
    )


_FAIL: Any = object()


def _convert(type_: str, value: Any) -> Any:
    text = value.strip() if isinstance(value, str) else None
    if type_ == "int":
        if isinstance(value, bool):
            return _FAIL
        if isinstance(value, int):
            return value
        if text is not None:
            try:
                return int(text)
            except ValueError:
                value = _float(text)
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        return _FAIL
    if type_ == "float":
        if isinstance(value, bool):
            return _FAIL
        number = _float(text) if text is not None else value
        if isinstance(number, (int, float)) and math.isfinite(number):
            return float(number)
        return _FAIL
    if type_ == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if text is not None and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        return _FAIL
    if type_ == "str":
        if isinstance(value, str):
            return value
        return str(value) if isinstance(value, (int, float)) else _FAIL
    if type_ in ("list", "dict"):
        want = list if type_ == "list" else dict
        if text is not None:
            value = _parse_text(text)
        if isinstance(value, tuple):
            value = list(value)
        return value if isinstance(value, want) else _FAIL
    # "any", "None": JSON text becomes its value, other text stays text
    if text is not None:
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


def _non_finite(text: str) -> bool:
    """``nan``, ``-inf``, ``Infinity``, ``1e999``: text Python reads as a non-finite float."""
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def _float(text: str) -> float | Any:
    try:
        return float(text)
    except ValueError:
        return _FAIL


def _parse_text(text: str) -> Any:
    """JSON first; Python literals (``['a', 'b']``, ``(1, 2)``) are read too, never evaluated."""
    try:
        return json.loads(text)
    except ValueError:
        if not text.startswith(("[", "(", "{")):  # "1,2" would read as a tuple
            return _FAIL
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _FAIL
