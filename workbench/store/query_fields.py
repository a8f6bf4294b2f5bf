"""The fields of the runs query language, and how a written field resolves to one.

Shared by the compiler (``query.py``) and the faces that list fields or columns.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from workbench.errors import InvalidInput
from workbench.store.query_syntax import FieldRef

# name -> kind of value: text, time (UNIX seconds or ISO dates) or number
BASE_FIELDS: dict[str, str] = {
    "run_id": "text",
    "name": "text",
    "status": "text",
    "source": "text",
    "experiment": "text",
    "notebook": "text",
    "sweep": "text",
    "started_at": "time",
    "ended_at": "time",
    "duration_s": "number",
}
PREFIXES = ("params", "metrics", "tags")
# metrics.NAME.<summary>; a bare metrics.NAME is its last value
METRIC_SUMMARIES = ("last", "min", "max", "count", "step")

FIELDS_HELP = (
    ", ".join(BASE_FIELDS)
    + ", params.NAME, metrics.NAME (last value; also metrics.NAME.min, .max, .count, .step),"
    " tags.NAME (backquote a NAME that is not an identifier: params.`my-param`)"
)


@dataclass(frozen=True)
class Field:
    """A resolved field: a base column, or a key of params, metrics or tags."""

    kind: str  # a BASE_FIELDS name, or "params" | "metrics" | "tags"
    key: str | None = None
    summary: str = "last"  # metrics only

    @property
    def label(self) -> str:
        """The canonical spelling, used as a DataFrame column name."""
        if self.key is None:
            return self.kind
        key = self.key if self.key.isidentifier() else "`" + self.key.replace("`", "``") + "`"
        suffix = "" if self.summary == "last" else f".{self.summary}"
        return f"{self.kind}.{key}{suffix}"


# Which of params/metrics/tags hold a key (the store answers), for "did you mean" hints.
KeyLookup = Callable[[str], list[str]]


def resolve(ref: FieldRef, lookup: KeyLookup | None = None) -> Field:
    parts, quoted = ref.parts, ref.quoted
    head = parts[0]
    if len(parts) == 1 and not quoted[0] and head in BASE_FIELDS:
        return Field(head)
    if head in PREFIXES and not quoted[0]:
        if len(parts) == 1:
            raise InvalidInput(
                f"field {head!r} at column {ref.column} needs a name: {head}.NAME "
                f"(for example {head}.{'accuracy' if head == 'metrics' else 'lr'})"
            )
        if head == "metrics" and len(parts) >= 3 and not quoted[-1]:
            if parts[-1] in METRIC_SUMMARIES:
                return Field("metrics", ".".join(parts[1:-1]), parts[-1])
        return Field(head, ".".join(parts[1:]))
    raise InvalidInput(_unknown_message(ref, lookup))


def parse_field(text: str, lookup: KeyLookup | None = None) -> Field:
    """One field from its spelling (a column name such as ``metrics.acc.max``)."""
    from workbench.store.query_syntax import parse_order_by

    items = parse_order_by(text)
    if len(items) != 1 or items[0].field.text != text.strip():
        raise InvalidInput(f"{text!r} is not one field; known fields: {FIELDS_HELP}")
    return resolve(items[0].field, lookup)


def _unknown_message(ref: FieldRef, lookup: KeyLookup | None) -> str:
    text = ref.text
    head = ref.parts[0]
    hint = ""
    if len(ref.parts) == 1:
        holders = lookup(head) if lookup else []
        if holders:
            hint = "did you mean " + " or ".join(f"{p}.{text}" for p in holders) + "? "
        else:
            close = difflib.get_close_matches(head, list(BASE_FIELDS), n=1, cutoff=0.75)
            hint = (
                f"did you mean {close[0]}? "
                if close
                else f"did you mean metrics.{text} or params.{text}? "
            )
    else:
        close = difflib.get_close_matches(head, [*PREFIXES, *BASE_FIELDS], n=1, cutoff=0.6)
        if close and close[0] in PREFIXES:
            rest = text.split(".", 1)[1]
            hint = f"did you mean {close[0]}.{rest}? "
    return f"unknown field {text!r} at column {ref.column}; {hint}known fields: {FIELDS_HELP}"
