"""Notebook parameters: parse ``-p NAME VALUE`` pairs and check any parameters dict.

Papermill writes each parameter into the notebook as ``name = <literal>``, so a name must be
a Python identifier (anything else would inject code) and a value a JSON type (so it has a
faithful literal and can be stored). Every check runs before a run exists or a kernel starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.entities import check_json_value, check_param_name
from workbench.errors import InvalidInput


def parse_cli_params(pairs: Iterable[tuple[str, str] | list[str]] | None) -> dict[str, str]:
    """``[(name, value_text), ...]`` from repeated ``-p NAME VALUE``; a later name wins.

    The texts stay texts: the notebook's schema reads each for its parameter's type, as it
    does a sweep's (``-p lr 0.1`` is a float, ``-p name 1e3`` the text "1e3"); a name the
    schema does not type is read as JSON when it parses, as papermill does.
    """
    raw: dict[str, str] = {}
    for pair in pairs or ():
        name, text = pair
        raw[check_param_name(name)] = text
    return raw


def check_params(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """A checked copy of ``parameters``: identifier names, JSON values (tuples become lists)."""
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise InvalidInput(
            f"parameters must be a dict of name to value, not {type(parameters).__name__}"
        )
    return {
        check_param_name(name): check_json_value(name, value) for name, value in parameters.items()
    }
