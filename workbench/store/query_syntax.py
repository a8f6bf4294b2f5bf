"""The runs query language, parsed: ``metrics.acc > 0.9 and params.model in ('a', 'b')``.

A lark LALR grammar turns a ``where`` or ``order_by`` string into a small tree of frozen
dataclasses; ``workbench.store.query`` compiles that tree to SQLAlchemy. Nothing here knows
SQL. A malformed string raises ``InvalidInput`` naming the column, what was expected and
what was found, with the string and a caret under the spot.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from workbench.errors import InvalidInput

if TYPE_CHECKING:  # lark loads on first parse
    from lark import Lark, Token, Tree
    from lark.exceptions import UnexpectedInput

GRAMMAR = r"""
start_where: _expr
start_order: order_item ("," order_item)*

_expr: or_test
?or_test: and_test (_OR and_test)*
?and_test: not_test (_AND not_test)*
?not_test: _NOT not_test -> negate
         | _atom
_atom: predicate | "(" _expr ")"

?predicate: field OP value                      -> compare
          | field _IN _values                   -> in_
          | field _NOT _IN _values              -> not_in
          | field _CONTAINS value               -> contains
          | field _IS NULL                      -> is_null
          | field _IS _NOT NULL                 -> is_not_null
_values: "(" value ("," value)* ")"

order_item: field DIRECTION?

field: _part ("." _part)*
_part: NAME | QUOTED_NAME

?value: STRING | NUMBER | TRUE | FALSE | NULL

// Keywords win over names (priority 3) but only as whole words: `notebook` is a name.
_AND.3: /and\b/i
_OR.3: /or\b/i
_NOT.3: /not\b/i
_IN.3: /in\b/i
_IS.3: /is\b/i
_CONTAINS.3: /contains\b/i
TRUE.3: /true\b/i
FALSE.3: /false\b/i
NULL.3: /null\b/i
DIRECTION.3: /(asc|desc)\b/i

OP: "==" | "!=" | "<>" | "<=" | ">=" | "=" | "<" | ">"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
QUOTED_NAME: /`(?:[^`]|``)+`/
STRING: /'(?:[^'\\]|\\.|'')*'/s | /"(?:[^"\\]|\\.|"")*"/s
NUMBER: /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/

%import common.WS
%ignore WS
"""


# -- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRef:
    """A field as written: its dotted parts (``quoted`` marks backquoted ones)."""

    parts: tuple[str, ...]
    quoted: tuple[bool, ...]
    text: str  # as the user wrote it, for messages
    column: int


@dataclass(frozen=True)
class Compare:
    field: FieldRef
    op: str  # = != < <= > >=
    value: Any  # str, int, float, bool or None


@dataclass(frozen=True)
class InList:
    field: FieldRef
    values: tuple[Any, ...]
    negated: bool


@dataclass(frozen=True)
class Contains:
    field: FieldRef
    value: Any


@dataclass(frozen=True)
class IsNull:
    field: FieldRef
    negated: bool


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple[Node, ...]


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool


Node = Compare | InList | Contains | IsNull | Not | BoolOp


# -- parsing --------------------------------------------------------------------------------


_parser_lock = threading.Lock()
_built: list[Lark] = []  # the parser, once built


def _parser() -> Lark:
    """The LALR parser, built once per process (about 35 ms) on first use."""
    if _built:
        return _built[0]
    from lark import Lark

    with _parser_lock:
        if not _built:
            parser = Lark(
                GRAMMAR,
                start=["start_where", "start_order"],
                parser="lalr",
                lexer="contextual",
                propagate_positions=False,
                maybe_placeholders=False,
            )
            # Lexers build their scanners lazily: do it now, before threads share them.
            parser.parse("a = 1 and not b in ('x') or c is not null", start="start_where")
            parser.parse("a desc, `b` asc", start="start_order")
            _built.append(parser)
    return _built[0]


def parse_where(text: str) -> Node | None:
    """The tree of a ``where`` string; None when it is empty."""
    if not text or not text.strip():
        return None
    node = _transform(_parse(text, "start_where", "where"))
    assert not isinstance(node, list)  # start_where gives one node
    return node


def parse_order_by(text: str) -> list[OrderItem]:
    """The items of an ``order_by`` string (``FIELD [asc|desc], ...``); [] when empty."""
    if not text or not text.strip():
        return []
    items = _transform(_parse(text, "start_order", "order_by"))
    assert isinstance(items, list)  # start_order gives the items
    return items


def _parse(text: str, start: str, what: str) -> Tree[Token]:
    from lark.exceptions import UnexpectedInput

    try:
        return _parser().parse(text, start=start)
    except UnexpectedInput as exc:
        raise InvalidInput(_syntax_message(text, what, exc)) from None


def _transform(tree: Tree[Token]) -> Node | list[OrderItem]:
    from lark import Token, Transformer, v_args

    @v_args(inline=True)
    class ToNodes(Transformer[Token, Node | list[OrderItem]]):
        def start_where(self, node: Node) -> Node:
            return node

        def start_order(self, *items: OrderItem) -> list[OrderItem]:
            return list(items)

        def order_item(self, field: FieldRef, direction: Token | None = None) -> OrderItem:
            return OrderItem(field, direction is not None and direction.lower() == "desc")

        def field(self, *tokens: Token) -> FieldRef:
            parts = tuple(
                t[1:-1].replace("``", "`") if t.type == "QUOTED_NAME" else str(t) for t in tokens
            )
            quoted = tuple(t.type == "QUOTED_NAME" for t in tokens)
            text = ".".join(str(t) for t in tokens)
            column = tokens[0].column
            assert column is not None  # the lexer sets it on every token
            return FieldRef(parts, quoted, text, column)

        def or_test(self, *items: Node) -> BoolOp:
            return BoolOp("or", items)

        def and_test(self, *items: Node) -> BoolOp:
            return BoolOp("and", items)

        def negate(self, item: Node) -> Not:
            return Not(item)

        def compare(self, field: FieldRef, op: Token, value: Token) -> Compare:
            name = {"==": "=", "<>": "!="}.get(str(op), str(op))
            return Compare(field, name, _literal(value))

        def in_(self, field: FieldRef, *values: Token) -> InList:
            return InList(field, tuple(_literal(v) for v in values), negated=False)

        def not_in(self, field: FieldRef, *values: Token) -> InList:
            return InList(field, tuple(_literal(v) for v in values), negated=True)

        def contains(self, field: FieldRef, value: Token) -> Contains:
            return Contains(field, _literal(value))

        def is_null(self, field: FieldRef, _null: Token) -> IsNull:
            return IsNull(field, negated=False)

        def is_not_null(self, field: FieldRef, _null: Token) -> IsNull:
            return IsNull(field, negated=True)

    return ToNodes().transform(tree)


def _literal(token: Token) -> Any:
    kind = token.type
    if kind == "STRING":
        return unquote(str(token))
    if kind == "NUMBER":
        text = str(token)
        if any(c in text for c in ".eE"):
            return float(text)
        return int(text)
    return {"TRUE": True, "FALSE": False, "NULL": None}[kind]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"'}


def unquote(text: str) -> str:
    """A quoted string's value: backslash escapes (\\n, \\t, \\', \\uXXXX, ...) and the SQL
    habit of doubling the quote (``'it''s'``)."""
    quote, body = text[0], text[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and _is_hex(body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
        elif c == quote and body[i + 1 : i + 2] == quote:
            out.append(quote)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _is_hex(s: str) -> bool:
    return len(s) == 4 and all(c in "0123456789abcdefABCDEF" for c in s)


# -- syntax errors ----------------------------------------------------------------------------

_WORDS = {
    "NAME": "a field",
    "QUOTED_NAME": "a field",
    "OP": "an operator (=, !=, <, <=, >, >=)",
    "_IN": "in",
    "_NOT": "not",
    "_CONTAINS": "contains",
    "_IS": "is",
    "STRING": "a value",
    "NUMBER": "a value",
    "TRUE": "a value",
    "FALSE": "a value",
    "NULL": "a value",
    "_AND": "and",
    "_OR": "or",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
    "DIRECTION": "asc or desc",
    "$END": "the end",
}
_VALUE_HINT = "a value (a 'quoted string', a number, true, false or null)"


def _syntax_message(text: str, what: str, exc: UnexpectedInput) -> str:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        column, found = len(text) + 1, "the end"
    elif isinstance(exc, UnexpectedEOF):
        column, found = len(text) + 1, "the end"
    elif isinstance(exc, UnexpectedToken):
        column, found = exc.column, repr(str(exc.token))
    else:
        column = exc.column
        # lark declares pos_in_stream None on UnexpectedInput; UnexpectedCharacters sets it
        pos = cast(int, exc.pos_in_stream)
        found = repr(text[pos : pos + 12].split(" ")[0] or " ")
    expected = _expected_words(exc)
    hint = ""
    start = text[column - 1 : column] if column and column <= len(text) else ""
    if start == "`" and isinstance(exc, UnexpectedCharacters):
        hint = " (a backquoted name needs a closing backquote)"
    elif start in ("'", '"') and isinstance(exc, UnexpectedCharacters):
        hint = " (a quoted string needs its closing quote)"
    elif expected == [_VALUE_HINT] and (start.isalpha() or start == "_"):
        hint = " (text values go in quotes: 'like this')"
    listing = ", ".join(expected) if expected else "something else"
    caret = " " * (max(column, 1) - 1) + "^"
    return (
        f"malformed {what} at column {column}: expected {listing}, found {found}{hint}\n"
        f"  {text}\n  {caret}"
    )


def _expected_words(exc: UnexpectedInput) -> list[str]:
    names = getattr(exc, "accepts", None) or getattr(exc, "expected", None) or set()
    if hasattr(exc, "allowed") and exc.allowed:
        names = exc.allowed
    words: list[str] = []
    for name in sorted(names):
        word = _WORDS.get(name, name.lower().strip("_"))
        if word == "a value":
            word = _VALUE_HINT
        if word not in words:
            words.append(word)
    # Operators read better together, in the order people write them.
    ops = ["in", "not", "contains", "is"]
    if "an operator (=, !=, <, <=, >, >=)" in words:
        words = [w for w in words if w not in ops]
        words = [
            "an operator (=, !=, <, <=, >, >=, in, not in, contains, is null)"
            if w.startswith("an operator")
            else w
            for w in words
        ]
    return words
