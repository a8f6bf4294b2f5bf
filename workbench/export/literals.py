"""Values as literals of the languages the export writes: Python, YAML, TOML, JSON.

Every user value reaches a generated file through one of these functions (Jinja filters in
:mod:`workbench.export.render`), never as raw text. Only JSON types are accepted; strings
are written quoted with every character outside printable ASCII escaped, so a value such
as ``');import os#`` or one holding quotes, backslashes or newlines stays one literal.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from workbench.errors import InvalidInput

# Plain ASCII that needs no escape inside a double-quoted YAML/TOML/JSON string.
_SAFE = re.compile(r'[^\x20-\x7e]|["\\]')
_SHORT = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def quoted(text: str) -> str:
    """A double-quoted string valid as YAML, TOML (basic string) and, for BMP text, JSON.

    Surrogates (lone halves that JSON would allow) cannot be written in YAML or TOML and are
    refused.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"expected text, got {type(text).__name__}")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise InvalidInput(f"text {text[:40]!r} holds a lone surrogate character")
    return '"' + _SAFE.sub(_escape_char, text) + '"'


def _number(value: int | float, *, yaml: bool) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{value!r} cannot be written: use a finite number")
        text = repr(value)
        # YAML 1.1 (PyYAML) reads a float only with a dot and a signed exponent: 1e-05 is text.
        if yaml and ("e" in text or "E" in text):
            mantissa, _, exponent = text.lower().partition("e")
            if "." not in mantissa:
                mantissa += ".0"
            if exponent[0] not in "+-":
                exponent = "+" + exponent
            text = f"{mantissa}e{exponent}"
        return text
    return str(int(value))


def py_literal(value: Any) -> str:
    """A Python expression that evaluates to ``value`` (JSON types only)."""
    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    if isinstance(value, (int, float)):
        return _number(value, yaml=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{py_literal(_key(k))}: {py_literal(v)}" for k, v in value.items())
            + "}"
        )
    raise InvalidInput(
        f"a value of type {type(value).__name__} cannot be exported: "
        "use a JSON type (number, string, boolean, null, list or object)"
    )


def yaml_literal(value: Any) -> str:
    """A YAML flow value that loads back as ``value`` with ``yaml.safe_load``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value, yaml=True)
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{quoted(_key(k))}: {yaml_literal(v)}" for k, v in value.items()) + "}"
        )
    raise InvalidInput(f"a value of type {type(value).__name__} cannot be exported to YAML")


def toml_literal(value: Any) -> str:
    """A TOML value (strings, numbers, booleans, arrays, inline tables); TOML has no null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value, yaml=False)
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{quoted(_key(k))} = {toml_literal(v)}" for k, v in value.items())
            + "}"
        )
    raise InvalidInput(f"a value of type {type(value).__name__} cannot be exported to TOML")


def json_literal(value: Any) -> str:
    return json.dumps(value, allow_nan=False, ensure_ascii=True)


def gha_text(value: str) -> str:
    """Text for a GitHub Actions workflow: ``${{`` would start an expression there, so it
    is written as the expression that yields it. Quote the result with yaml_literal."""
    return value.replace("${{", "${{ '${{' }}")


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise InvalidInput(f"object key {key!r} is not text")
    return key


def md_text(value: Any) -> str:
    """Text for Markdown prose, a table cell or a code span: one line, no markup."""
    text = " ".join(str(value).split())
    for ch, rep in (
        ("\\", "\\\\"),
        ("|", "\\|"),
        ("`", "'"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("*", "\\*"),
        ("_", "\\_"),
        ("[", "\\["),
        ("]", "\\]"),
        ("#", "\\#"),
    ):
        text = text.replace(ch, rep)
    return text
