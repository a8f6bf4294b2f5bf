"""Typed parameter schema of a notebook, read from its cell tagged ``parameters``.

The cell is parsed with :mod:`ast` (it is Python the kernel will run anyway): every top-level
``name = value`` or ``name: hint = value`` is a parameter, its trailing comment is its help.
papermill's own line-based parser (``PythonTranslator.inspect``) drops lines such as
``x: int | None = 3`` or ``s = "a=b"``, so it is only the fallback for cells ast cannot read
(IPython magics left in the cell) and for notebooks in other languages.

:func:`workbench.notebooks.coerce.coerce` checks and converts values from the CLI, CSV,
YAML, JSON or the REST API against the schema, so a bad value is reported before any
kernel starts.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.entities import check_json_value
from workbench.errors import InvalidInput
from workbench.notebooks.reader import read_notebook

TYPES = ("int", "float", "str", "bool", "list", "dict", "None", "any")


class _NotLiteral:
    """Marks a default that is code (``os.getcwd()``), not a literal value."""

    def __repr__(self) -> str:
        return "NOT_LITERAL"

    def __reduce__(self) -> str:  # stays a singleton across pickling
        return "NOT_LITERAL"


NOT_LITERAL: Any = _NotLiteral()


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str  # one of TYPES
    default: Any  # the Python value, or NOT_LITERAL
    default_repr: str  # source text of the default
    help: str = ""
    nullable: bool = False  # Optional[...] / ``X | None`` hint, or a None default

    def to_json(self) -> dict[str, Any]:
        default, literal = None, self.default is not NOT_LITERAL
        if literal:
            try:
                default = check_json_value(self.name, self.default)
            except InvalidInput:  # a set, bytes, complex...: shown by its source text only
                literal = False
        return {
            "name": self.name,
            "type": self.type,
            "nullable": self.nullable,
            "default": default,
            "default_repr": self.default_repr,
            "default_is_literal": literal,
            "help": self.help,
        }


@dataclass(frozen=True)
class ParamSchema:
    params: tuple[ParamSpec, ...] = ()

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def get(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def __iter__(self) -> Iterator[ParamSpec]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __contains__(self, name: object) -> bool:
        return any(p.name == name for p in self.params)

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.params]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> ParamSchema:
        return cls(
            tuple(
                ParamSpec(
                    name=d["name"],
                    type=d["type"],
                    nullable=bool(d.get("nullable")),
                    default=d.get("default") if d.get("default_is_literal", True) else NOT_LITERAL,
                    default_repr=d.get("default_repr", ""),
                    help=d.get("help", ""),
                )
                for d in data
            )
        )


# --- reading the parameters cell --------------------------------------------------------------

HOW_TO_TAG = (
    "add the tag `parameters` to the cell that sets their defaults (JupyterLab: "
    "Property Inspector > Cell Tags, the gear icon in the right sidebar; classic Notebook: "
    "View > Cell Toolbar > Tags)"
)


def parameters_cell(nb: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first cell tagged ``parameters``, as papermill finds it; None if there is none."""
    return next(
        (c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])),
        None,
    )


def notebook_schema(
    nb_or_path: Mapping[str, Any] | str | os.PathLike[str], *, name: str | None = None
) -> ParamSchema:
    """The schema of a notebook (a NotebookNode/dict, or a path to an .ipynb file).

    ``name`` is how error messages refer to a notebook given as an object.
    """
    nb: Mapping[str, Any]
    if isinstance(nb_or_path, (str, os.PathLike)):
        name = name or str(nb_or_path)
        nb = read_notebook(nb_or_path)
    else:
        nb = nb_or_path
    label = f"notebook {name}" if name else "the notebook"
    cell = parameters_cell(nb)
    if cell is None:
        raise InvalidInput(f"{label} has no cell tagged `parameters`: {HOW_TO_TAG}")
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    language = (
        nb.get("metadata", {}).get("kernelspec", {}).get("language")
        or nb.get("metadata", {}).get("language_info", {}).get("name")
        or "python"
    )
    language = language.lower()
    specs = _parse_python(source) if language == "python" else None
    if specs is None:
        specs = _parse_with_papermill(nb, {"source": source}, language)
    latest: dict[str, ParamSpec] = {}
    for spec in specs:  # a name assigned twice keeps its first place and its last value
        latest[spec.name] = spec
    return ParamSchema(tuple(latest.values()))


def _parse_python(source: str) -> list[ParamSpec] | None:
    # Magics and shell lines are blanked (keeping line numbers); anything else ast cannot read
    # goes to papermill's tolerant line parser.
    lines = source.splitlines()
    code = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    comments = _comments(code)
    specs = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, hint = stmt.targets, None
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, hint = [stmt.target], stmt.annotation
        else:
            continue
        assert stmt.value is not None and stmt.end_lineno is not None
        default_repr = ast.get_source_segment(code, stmt.value) or ""
        comment = comments.get(stmt.end_lineno, "")
        for target in targets:
            if isinstance(target, ast.Name):
                specs.append(_spec(target.id, hint, default_repr, comment))
    return specs


def _comments(code: str) -> dict[int, str]:
    found: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                found[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _parse_with_papermill(nb: Any, cell: Any, language: str) -> list[ParamSpec]:
    from papermill.exceptions import PapermillException
    from papermill.translators import PythonTranslator, papermill_translators

    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    try:
        translator = (
            PythonTranslator
            if language == "python"
            else papermill_translators.find_translator(kernel, language)
        )
        found = translator.inspect(cell)
    except (PapermillException, NotImplementedError):  # no parser for this language
        return []
    specs = []
    for p in found:
        hint = None
        if p.inferred_type_name not in ("None", ""):
            try:
                hint = ast.parse(p.inferred_type_name, mode="eval").body
            except SyntaxError:
                pass
        specs.append(_spec(p.name, hint, p.default, p.help))
    return specs


def _spec(name: str, hint: ast.expr | None, default_repr: str, comment: str) -> ParamSpec:
    if comment.startswith("type:"):  # ``x = 3  # type: int  the help``
        word, _, comment = comment[5:].strip().partition(" ")
        try:
            hint = ast.parse(word, mode="eval").body
        except SyntaxError:
            pass
        comment = comment.strip()
    try:
        default = ast.literal_eval(default_repr)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        default = NOT_LITERAL
    hinted, nullable = _hint_type(hint) if hint is not None else (None, False)
    # no hint, or one Workbench cannot check (Path, np.ndarray): the default's type
    type_ = hinted or _literal_type(default)
    return ParamSpec(
        name, type_, default, default_repr, comment, nullable or default is None or type_ == "None"
    )


_NAMES = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "None": "None",
    "Any": "any",
    "list": "list",
    "List": "list",
    "tuple": "list",
    "Tuple": "list",
    "Sequence": "list",
    "dict": "dict",
    "Dict": "dict",
    "Mapping": "dict",
}


def _hint_type(hint: ast.expr) -> tuple[str | None, bool]:
    """(type, nullable) of an annotation; the type is None for a hint it cannot check."""
    if isinstance(hint, ast.Constant) and isinstance(hint.value, str):  # "int" (quoted hint)
        try:
            return _hint_type(ast.parse(hint.value, mode="eval").body)
        except SyntaxError:
            return None, False
    if isinstance(hint, ast.Constant) and hint.value is None:
        return "None", True
    if isinstance(hint, ast.Subscript):
        outer = _hint_type(hint.value)[0]
        if _dotted(hint.value) in ("Optional", "Union"):
            inner = hint.slice.elts if isinstance(hint.slice, ast.Tuple) else [hint.slice]
            if _dotted(hint.value) == "Optional":
                inner = [*inner, ast.Constant(None)]
            return _union(inner)
        return outer, False
    if isinstance(hint, ast.BinOp) and isinstance(hint.op, ast.BitOr):
        return _union(_flatten_or(hint))
    return _NAMES.get(_dotted(hint) or ""), False


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # typing.Optional, t.List: the last part decides
        return node.attr
    return None


def _flatten_or(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flatten_or(node.left) + _flatten_or(node.right)
    return [node]


def _union(members: list[ast.expr]) -> tuple[str | None, bool]:
    types = {_hint_type(m)[0] for m in members}
    nullable = "None" in types
    types.discard("None")
    if None in types:  # Path | None: the default tells the type
        return None, nullable
    if len(types) == 1:
        return types.pop(), nullable
    return ("None" if not types else "any"), nullable


def _literal_type(value: Any) -> str:
    if value is NOT_LITERAL:
        return "any"
    if value is None:
        return "None"
    for cls, name in (
        (bool, "bool"),
        (int, "int"),
        (float, "float"),
        (str, "str"),
        ((list, tuple), "list"),
        (dict, "dict"),
    ):
        if isinstance(value, cls):
            return name
    return "any"
