"""``--require`` conditions on logged metrics: ``accuracy>=0.9``, ``loss < 0.2``.

A tiny explicit grammar, never ``eval``::

    condition := METRIC OP NUMBER
    METRIC    := one or more characters other than whitespace and ``<>=!``
    OP        := ">=" | "<=" | ">" | "<" | "==" | "!="
    NUMBER    := a finite decimal number, optionally signed, with an optional exponent

Conditions come from the command line and from the notebook's metadata
(``metadata.workbench.require``: a list of such strings), so they travel with the notebook.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.errors import InvalidInput

_CONDITION = re.compile(
    r"^\s*(?P<metric>[^\s<>=!]+)\s*(?P<op>>=|<=|==|!=|>|<)\s*"
    r"(?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
EXAMPLE = 'give METRIC OP NUMBER, for example "accuracy>=0.9" (OP: >=, <=, >, <, ==, !=)'


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    threshold: float
    origin: str = "command line"  # or "notebook metadata"

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "op": self.op,
            "threshold": self.threshold,
            "origin": self.origin,
        }


def parse_condition(text: object, origin: str = "command line") -> Condition:
    if not isinstance(text, str):
        raise InvalidInput(f"condition {text!r} ({origin}) is not text: {EXAMPLE}")
    match = _CONDITION.match(text)
    if match is None:
        raise InvalidInput(f"condition {text!r} ({origin}) cannot be read: {EXAMPLE}")
    threshold = float(match["number"])
    if not math.isfinite(threshold):
        raise InvalidInput(f"condition {text!r} ({origin}) has a number out of range")
    return Condition(match["metric"], match["op"], threshold, origin)


def notebook_conditions(metadata: Mapping[str, Any]) -> list[Condition]:
    """The conditions kept in ``metadata.workbench.require`` (absent: none)."""
    section = metadata.get("workbench") or {}
    if not isinstance(section, Mapping):
        raise InvalidInput("notebook metadata 'workbench' must be an object")
    found = section.get("require", [])
    if isinstance(found, str):
        found = [found]
    if not isinstance(found, list):
        raise InvalidInput(
            "notebook metadata workbench.require must be a list of strings such as "
            '["accuracy>=0.9"]'
        )
    return [parse_condition(text, "notebook metadata") for text in found]


def collect_conditions(
    given: Iterable[str] | None, metadata: Mapping[str, Any], origin: str = "command line"
) -> list[Condition]:
    """The given conditions (labelled ``origin``: where they were typed), then the
    notebook's; an exact repeat is kept once."""
    out: list[Condition] = []
    seen: set[tuple[str, str, float]] = set()
    typed = [parse_condition(t, origin) for t in given or ()]
    for cond in [*typed, *notebook_conditions(metadata)]:
        key = (cond.metric, cond.op, cond.threshold)
        if key not in seen:
            seen.add(key)
            out.append(cond)
    return out
