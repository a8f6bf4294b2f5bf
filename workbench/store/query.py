"""The runs query language compiled to SQLAlchemy: the same expressions on SQLite and
PostgreSQL, every value a bound parameter (never pasted into SQL).

    q = compile_query("metrics.acc > 0.9 and params.model in ('a', 'b')",
                      "metrics.acc desc", dialect="sqlite")
    select_ = q.apply(select(...).select_from(runs_with_experiments()))

Semantics, in short:

- ``params.X``, ``metrics.X``, ``tags.X`` are LEFT JOINs on the primary key (run, key), so a
  run without the key reads NULL: it matches neither ``metrics.acc > 0.9`` nor its ``not``,
  and it matches ``metrics.acc is null``. A param logged as JSON ``null`` counts as missing.
- Params are JSON text. A number literal compares with the param's numeric value (JSON
  numbers only: ``"3"`` the string does not match ``= 3``); a string literal with its decoded
  string; ``true``/``false`` with JSON booleans. A param of another type is simply false.
  Tags are text; a number literal compares with tags that read as a number.
- ``contains`` is a case-insensitive substring test (ASCII case folding, as on both backends).
- Time fields take UNIX seconds or ISO dates; a date without a zone is UTC.
- ``order_by`` puts NULLs last in both directions, then ties on started_at desc, run_id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Float,
    Numeric,
    Select,
    String,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from workbench.entities import RunSource, RunStatus
from workbench.errors import InvalidInput
from workbench.store.query_fields import BASE_FIELDS, Field, KeyLookup, resolve
from workbench.store.query_syntax import (
    BoolOp,
    Compare,
    Contains,
    InList,
    IsNull,
    Node,
    Not,
    parse_order_by,
    parse_where,
)
from workbench.store.schema import ExperimentRow, LatestMetricRow, ParamRow, RunRow, TagRow

if TYPE_CHECKING:
    from typing import TypeVarTuple, Unpack

    _Ts = TypeVarTuple("_Ts")

RUNS = RunRow.__table__
EXPERIMENTS = ExperimentRow.__table__
_KEYED = {
    "params": ParamRow.__table__,
    "metrics": LatestMetricRow.__table__,
    "tags": TagRow.__table__,
}
_SUMMARY_COLUMN = {
    "last": "value",
    "min": "min_value",
    "max": "max_value",
    "count": "point_count",
    "step": "step",
}
# A JSON number, as json.dumps writes one (PostgreSQL guard before a numeric cast).
_JSON_NUMBER = r"^\s*-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*$"
_OPS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def runs_with_experiments() -> Any:
    """The FROM every query starts with: runs and their experiment's name."""
    return RUNS.join(EXPERIMENTS, RUNS.c.experiment_id == EXPERIMENTS.c.experiment_id)


@dataclass
class RunQuery:
    """SQLAlchemy pieces of a where/order_by pair, to put on a select over runs."""

    where: ColumnElement[bool] | None
    order_by: list[ColumnElement[Any]]
    joins: list[tuple[Any, ColumnElement[bool], bool]] = field(default_factory=list)
    columns: list[tuple[str, ColumnElement[Any], str]] = field(default_factory=list)

    def apply(self, select_: Select[Unpack[_Ts]], *, count: bool = False) -> Select[Unpack[_Ts]]:
        """``select_`` (FROM ``runs_with_experiments()``) filtered, joined, ordered; for a
        count only the joins the filter needs and no order."""
        for table, on, in_where in self.joins:
            if in_where or not count:
                select_ = select_.outerjoin(table, on)
        if self.where is not None:
            select_ = select_.where(self.where)
        return select_ if count else select_.order_by(*self.order_by)


def compile_query(
    where: str | None = None,
    order_by: str | None = None,
    *,
    dialect: str,
    columns: list[Field] | None = None,
    lookup: KeyLookup | None = None,
) -> RunQuery:
    """Parse and compile. Raises InvalidInput for a malformed string or an unknown field."""
    compiler = _Compiler(dialect, lookup)
    tree = parse_where(where or "")
    condition = compiler.condition(tree) if tree is not None else None
    compiler.in_where = False
    order: list[ColumnElement[Any]] = []
    for item in parse_order_by(order_by or ""):
        order.extend(compiler.sort_keys(resolve(item.field, lookup), item.descending))
    order += [RUNS.c.started_at.desc(), RUNS.c.run_id]
    picked = [(f.label, *compiler.column(f)) for f in columns or []]
    joins = [(t, on, key in compiler.where_keys) for key, (t, on) in compiler.joins.items()]
    return RunQuery(condition, order, joins, picked)


class _Compiler:
    def __init__(self, dialect: str, lookup: KeyLookup | None) -> None:
        self.pg = dialect == "postgresql"
        self.lookup = lookup
        self.joins: dict[tuple[str, str], tuple[Any, ColumnElement[bool]]] = {}
        self.where_keys: set[tuple[str, str]] = set()
        self.in_where = True

    # -- fields to SQL values -------------------------------------------------------------

    def keyed(self, kind: str, key: str) -> Any:
        """The aliased params/metrics/tags table LEFT JOINed for one key (one per key)."""
        ident = (kind, key)
        if ident not in self.joins:
            table = _KEYED[kind].alias(f"{kind[0]}{len(self.joins)}")
            on = and_(table.c.run_id == RUNS.c.run_id, table.c.key == key)
            self.joins[ident] = (table, on)
        if self.in_where:
            self.where_keys.add(ident)
        return self.joins[ident][0]

    def base(self, name: str) -> ColumnElement[Any]:
        if name == "experiment":
            return EXPERIMENTS.c.name
        if name == "sweep":
            return RUNS.c.sweep_id
        if name == "duration_s":
            return RUNS.c.ended_at - RUNS.c.started_at
        return RUNS.c[name]

    def column(self, f: Field) -> tuple[ColumnElement[Any], str]:
        """A field's value as a result column, and how to decode it ("json" for params)."""
        if f.key is None:
            return self.base(f.kind), "plain"
        table = self.keyed(f.kind, f.key)
        if f.kind == "metrics":
            return table.c[_SUMMARY_COLUMN[f.summary]], "plain"
        return table.c.value, "json" if f.kind == "params" else "plain"

    def number(self, text: ColumnElement[Any], canonical: bool = False) -> ColumnElement[Any]:
        """The numeric value of JSON text, NULL unless it is a JSON number. ``canonical``
        text (params, written by json.dumps without NaN) is a number when it starts like
        one: a cheaper test than validating it."""
        if canonical:
            if self.pg:
                return case((text.regexp_match("^[-0-9]"), cast(text, Numeric)), else_=null())
            return case((text.op("GLOB")("[-0-9]*"), cast(text, Float)), else_=null())
        if self.pg:
            return case((text.regexp_match(_JSON_NUMBER), cast(text, Numeric)), else_=null())
        kind = func.json_type(text)
        inner = case((kind.in_(["integer", "real"]), cast(text, Float)), else_=null())
        return case((func.json_valid(text) == 1, inner), else_=null())  # CASE is lazy

    def string(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        """The decoded value of JSON text, NULL unless it is a JSON string."""
        if self.pg:
            from sqlalchemy.dialects.postgresql import JSONB

            decoded = cast(text, JSONB).op("#>>", return_type=Text)(literal_column("'{}'"))
            return case((text.like('"%'), decoded), else_=null())
        inner = case((func.json_type(text) == "text", func.json_extract(text, "$")), else_=null())
        return type_coerce(case((func.json_valid(text) == 1, inner), else_=null()), String)

    def bytewise(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        """Text ordered by code point, as SQLite does, whatever PostgreSQL's collation."""
        return text.collate("C") if self.pg else text

    def literal_number(self, value: int | float) -> ColumnElement[Any]:
        # PostgreSQL compares numeric with numeric: a float8 literal would cast every param.
        if self.pg:
            return literal(Decimal(repr(value)), Numeric)
        return literal(value, Float)

    # -- predicates -------------------------------------------------------------------------

    def condition(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, BoolOp):
            parts = [self.condition(item) for item in node.items]
            return and_(*parts) if node.op == "and" else or_(*parts)
        if isinstance(node, Not):
            return not_(self.condition(node.item))
        f = resolve(node.field, self.lookup)
        if isinstance(node, IsNull):
            present = self.present(f)
            return present if node.negated else not_(present)
        if isinstance(node, Compare):
            if node.value is None:
                if node.op not in ("=", "!="):
                    raise InvalidInput(f"{node.field.text} {node.op} null: use `is null`")
                present = self.present(f)
                return present if node.op == "!=" else not_(present)
            return self.compare(f, node.field.text, node.op, [node.value])
        if isinstance(node, InList):
            if any(v is None for v in node.values):
                raise InvalidInput(
                    f"{node.field.text} in (...) holds null: test it with `is null` instead"
                )
            test = self.compare(f, node.field.text, "in", list(node.values))
            return not_(test) if node.negated else test
        if isinstance(node, Contains):
            return self.contains(f, node.field.text, node.value)
        raise AssertionError(node)

    def present(self, f: Field) -> ColumnElement[bool]:
        value, _ = self.column(f)
        if f.kind == "params":
            return and_(value.is_not(None), value != "null")
        return value.is_not(None)

    def compare(self, f: Field, text: str, op: str, values: list[Any]) -> ColumnElement[bool]:
        """``op`` is a comparison or "in" (values then holds the list)."""

        def apply(
            expr: ColumnElement[Any], vals: list[Any], is_text: bool = False
        ) -> ColumnElement[bool]:
            if op == "in":
                return expr.in_(vals)
            if is_text and op not in ("=", "!="):
                expr = self.bytewise(expr)
            return _OPS[op](expr, vals[0])

        if f.key is None:
            kind = BASE_FIELDS[f.kind]
            if kind == "text":
                vals = [_text_value(f, text, v) for v in values]
                return apply(self.base(f.kind), vals, is_text=True)
            if kind == "time":
                return apply(self.base(f.kind), [_seconds(text, v) for v in values])
            return apply(self.base(f.kind), [_number(text, v) for v in values])
        value, _ = self.column(f)
        if f.kind == "metrics":
            return apply(value, [_number(text, v) for v in values])
        if op == "!=":  # as `not (x = v)`: true for a value of another type
            return not_(self.compare(f, text, "=", values))
        # params and tags: one test per type of literal, false for a value of another type
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        strings = [v for v in values if isinstance(v, str)]
        bools = [v for v in values if isinstance(v, bool)]
        if bools and op not in ("=", "!=", "in"):
            raise InvalidInput(f"{text} {op} {str(bools[0]).lower()}: use = or != with booleans")
        tests = []
        if numbers:
            num = self.number(value, canonical=f.kind == "params")
            tests.append(apply(num, [self.literal_number(v) for v in numbers]))
        if strings:
            as_text = self.string(value) if f.kind == "params" else value
            tests.append(apply(as_text, strings, is_text=True))
        if bools:
            as_text = value if f.kind == "params" else func.lower(value)
            tests.append(apply(as_text, ["true" if b else "false" for b in bools]))
        return _false_unless_missing(self.present(f), or_(*tests) if len(tests) > 1 else tests[0])

    def contains(self, f: Field, text: str, value: Any) -> ColumnElement[bool]:
        if not isinstance(value, str):
            raise InvalidInput(f"{text} contains ...: give a quoted string, e.g. contains 'abc'")
        if f.key is None:
            if BASE_FIELDS[f.kind] != "text":
                raise InvalidInput(f"{text} is not text: contains works on text fields")
            return self.base(f.kind).icontains(value, autoescape=True)
        if f.kind == "metrics":
            raise InvalidInput(f"{text} is a number: contains works on text (params, tags)")
        column, _ = self.column(f)
        if f.kind == "tags":
            return column.icontains(value, autoescape=True)
        found = self.string(column).icontains(value, autoescape=True)
        return _false_unless_missing(self.present(f), found)

    # -- order -------------------------------------------------------------------------------

    def sort_keys(self, f: Field, descending: bool) -> list[ColumnElement[Any]]:
        """ORDER BY terms: NULLs (missing) last in both directions; params sort numbers
        first, then strings, then other JSON (booleans, lists) by their text."""

        def way(expr: ColumnElement[Any]) -> ColumnElement[Any]:
            return expr.desc() if descending else expr.asc()

        if f.key is None or f.kind == "metrics":
            value = self.base(f.kind) if f.key is None else self.column(f)[0]
            if f.key is None and BASE_FIELDS[f.kind] == "text":
                return [value.is_(None), way(self.bytewise(value))]
            return [value.is_(None), way(value)]
        value, _ = self.column(f)
        num = self.number(value, canonical=f.kind == "params")
        text = self.bytewise(value)
        if f.kind == "tags":
            return [value.is_(None), num.is_(None), way(num), way(text)]
        string = self.bytewise(self.string(value))
        missing = or_(value.is_(None), value == "null")
        other = self.bytewise(func.nullif(value, "null"))  # JSON null ties with missing
        return [missing, num.is_(None), way(num), string.is_(None), way(string), way(other)]


def _false_unless_missing(
    present: ColumnElement[bool], test: ColumnElement[bool]
) -> ColumnElement[bool]:
    """NULL when the key is missing (SQL's unknown, so `not` does not match it either),
    else the test with NULL (a value of another type) read as false."""
    return case((present, func.coalesce(test, false())), else_=null())


def _number(text: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{text} is a number: compare it with a number, not {value!r}")
    return value


def _seconds(text: str, value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.timestamp()
    raise InvalidInput(
        f"{text} takes UNIX seconds or an ISO date ('2024-05-01', '2024-05-01T12:30:00Z'), "
        f"not {value!r}"
    )


# Text fields with a fixed set of values, in their order
_CHOICES = {
    "status": tuple(s.value for s in RunStatus),
    "source": tuple(s.value for s in RunSource),
}


def _text_value(f: Field, text: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{text} is text: put the value in quotes, e.g. {text} = '{value}'")
    allowed = _CHOICES.get(f.kind)
    if allowed is not None and value not in allowed:
        names = ", ".join(allowed)
        raise InvalidInput(f"{text} is never {value!r}; it is one of: {names}")
    return value
