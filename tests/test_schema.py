"""The typed parameter schema read from real notebooks, and coercion against it."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import nbformat
import pytest

from workbench.errors import InvalidInput
from workbench.notebooks.coerce import coerce
from workbench.notebooks.schema import (
    NOT_LITERAL,
    ParamSchema,
    ParamSpec,
    notebook_schema,
)

NOTEBOOKS = Path(__file__).parent / "notebooks"
TYPED = NOTEBOOKS / "typed_params.ipynb"


@pytest.fixture(scope="module")
def schema() -> ParamSchema:
    return notebook_schema(TYPED)


def test_names_in_cell_order_and_a_reassigned_name_kept_once(schema: ParamSchema) -> None:
    assert schema.names == [
        "lr",
        "epochs",
        "name",
        "use_gpu",
        "layers",
        "extra",
        "seed",
        "limit",
        "note",
        "ratio",
        "data_dir",
        "anything",
        "batch",
    ]
    epochs = schema.get("epochs")
    assert epochs is not None and epochs.default == 5  # the last assignment wins
    assert epochs.help == "epochs, assigned again"
    assert schema.get("nope") is None and "lr" in schema and len(schema) == 13


@pytest.mark.parametrize(
    ("name", "type_", "default", "help_", "nullable"),
    [
        ("lr", "float", 0.1, "learning rate", False),  # hint and help
        ("name", "str", "baseline", "", False),  # inferred
        ("use_gpu", "bool", False, "", False),
        ("layers", "list", [64, 32], "hidden sizes", False),
        ("extra", "dict", {"dropout": 0.5}, "extra options", False),  # multi-line: last line's help
        ("seed", "int", None, "random seed", True),  # Optional[int]
        ("limit", "int", 10, "", True),  # int | None
        ("note", "str", "a=b", "papermill's parser drops this line", False),
        ("ratio", "float", 1, "", False),  # the hint beats the int literal
        ("anything", "None", None, "", True),
        ("batch", "int", 16, "batch size", False),  # type comment, then help
    ],
)
def test_types_defaults_and_help(
    schema: ParamSchema, name: str, type_: str, default: object, help_: str, nullable: bool
) -> None:
    spec = schema.get(name)
    assert spec is not None
    assert (spec.type, spec.default, spec.help, spec.nullable) == (type_, default, help_, nullable)


def test_a_default_that_is_code_is_kept_as_text(schema: ParamSchema) -> None:
    spec = schema.get("data_dir")
    assert spec is not None and spec.type == "any" and spec.default is NOT_LITERAL
    assert spec.default_repr == 'os.path.join("data", "raw")'
    assert pickle.loads(pickle.dumps(spec)).default is NOT_LITERAL


def test_to_json_is_json_and_round_trips(schema: ParamSchema) -> None:
    data = json.loads(json.dumps(schema.to_json()))
    by_name = {d["name"]: d for d in data}
    assert by_name["lr"] == {
        "name": "lr",
        "type": "float",
        "nullable": False,
        "default": 0.1,
        "default_repr": "0.1",
        "default_is_literal": True,
        "help": "learning rate",
    }
    assert by_name["data_dir"]["default"] is None
    assert by_name["data_dir"]["default_is_literal"] is False
    assert ParamSchema.from_json(data) == schema


def test_to_json_of_a_non_json_literal() -> None:
    spec = ParamSpec("s", "any", {1, 2}, "{1, 2}")
    assert spec.to_json()["default"] is None and spec.to_json()["default_is_literal"] is False


def test_hints_of_every_shape() -> None:
    source = "\n".join(
        [
            "a: 'int' = 1",
            "b: typing.Optional[float] = None",
            "c: Union[str, None] = None",
            "d: list[int] = []",
            "e: Dict[str, int] = {}",
            "f: Path = 'data'",  # a hint Workbench cannot check: inferred from the default
            "g: int | str = 1",  # a real union: anything
            "h: Any = 3",
            "i, j = 1, 2",  # not a single name: not a parameter
            "k = l = 0.5",
            "print(a)",
        ]
    )
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]}),
        ]
    )
    got = {p.name: (p.type, p.nullable) for p in notebook_schema(nb)}
    assert got == {
        "a": ("int", False),
        "b": ("float", True),
        "c": ("str", True),
        "d": ("list", False),
        "e": ("dict", False),
        "f": ("str", False),
        "g": ("any", False),
        "h": ("any", False),
        "k": ("float", False),
        "l": ("float", False),
    }


def test_a_cell_python_cannot_parse_falls_back_to_papermill() -> None:
    # `files = !ls` is IPython, not Python: papermill's line parser still reads the rest
    got = notebook_schema(NOTEBOOKS / "schema_magic.ipynb")
    assert [(p.name, p.type, p.help) for p in got] == [
        ("lr", "float", "step size"),
        ("n", "int", ""),
        ("files", "any", ""),
    ]


def test_no_parameters_cell() -> None:
    path = NOTEBOOKS / "schema_no_params.ipynb"
    with pytest.raises(InvalidInput) as err:
        notebook_schema(path)
    assert str(path) in err.value.message
    assert "no cell tagged `parameters`" in err.value.message
    assert "Property Inspector > Cell Tags" in err.value.message


def test_a_missing_notebook_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not found"):
        notebook_schema(tmp_path / "missing.ipynb")


# --- coercion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"epochs": "3"}, {"epochs": 3}),
        ({"epochs": 2.0}, {"epochs": 2}),
        ({"epochs": " 4 "}, {"epochs": 4}),
        ({"epochs": "5.0"}, {"epochs": 5}),
        ({"lr": "0.01"}, {"lr": 0.01}),
        ({"lr": 1}, {"lr": 1.0}),
        ({"lr": "1e-3"}, {"lr": 0.001}),
        ({"use_gpu": "yes"}, {"use_gpu": True}),
        ({"use_gpu": "FALSE"}, {"use_gpu": False}),
        ({"use_gpu": "1"}, {"use_gpu": True}),
        ({"use_gpu": 0}, {"use_gpu": False}),
        ({"name": 7}, {"name": "7"}),  # a number for a str parameter becomes its text
        ({"name": "0.10"}, {"name": "0.10"}),  # text stays exactly as given
        ({"layers": "[1, 2]"}, {"layers": [1, 2]}),
        ({"layers": "['a', 'b']"}, {"layers": ["a", "b"]}),  # a Python literal, read not run
        ({"layers": (1, 2)}, {"layers": [1, 2]}),
        ({"extra": '{"dropout": 0.1}'}, {"extra": {"dropout": 0.1}}),
        ({"seed": None}, {"seed": None}),
        ({"seed": "null"}, {"seed": None}),
        ({"seed": "42"}, {"seed": 42}),
        ({"data_dir": "/tmp/x"}, {"data_dir": "/tmp/x"}),  # any: not JSON, kept as text
        ({"data_dir": "[1]"}, {"data_dir": [1]}),  # any: JSON text parsed
        ({"anything": "3"}, {"anything": 3}),
    ],
)
def test_coerce_accepts(schema: ParamSchema, values: dict, expected: dict) -> None:
    got = coerce(schema, values)
    assert got == expected
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


@pytest.mark.parametrize(
    ("name", "value", "type_"),
    [
        ("epochs", "abc", "int"),
        ("epochs", 2.5, "int"),
        ("epochs", "2.5", "int"),
        ("epochs", True, "int"),
        ("epochs", None, "int"),
        ("lr", "abc", "float"),
        ("lr", True, "float"),
        ("lr", "nan", "float"),
        ("lr", [0.1], "float"),
        ("use_gpu", "maybe", "bool"),
        ("use_gpu", 2, "bool"),
        ("name", [1], "str"),
        ("layers", "1,2", "list"),
        ("layers", '{"a": 1}', "list"),
        ("extra", "[1]", "dict"),
    ],
)
def test_coerce_refuses(schema: ParamSchema, name: str, value: object, type_: str) -> None:
    with pytest.raises(InvalidInput) as err:
        coerce(schema, {name: value})
    assert err.value.message.startswith(f"parameter {name!r} expects {type_}, got {value!r}")


def test_the_message_of_the_brief(schema: ParamSchema) -> None:
    with pytest.raises(InvalidInput, match=r"^parameter 'lr' expects float, got 'abc'"):
        coerce(schema, {"lr": "abc"})


def test_unknown_names(schema: ParamSchema) -> None:
    with pytest.raises(InvalidInput) as err:
        coerce(schema, {"lrr": 0.1})
    message = err.value.message
    assert "'lrr'" in message and "did you mean 'lr'" in message
    assert "lr, epochs, name" in message and "--allow-unknown" in message
    assert coerce(schema, {"lrr": "0.1", "tag": "x"}, allow_unknown=True) == {
        "lrr": 0.1,
        "tag": "x",
    }


def test_names_must_be_identifiers(schema: ParamSchema) -> None:
    with pytest.raises(InvalidInput, match="not a Python identifier"):
        coerce(schema, {"import os; x": 1}, allow_unknown=True)


def test_results_are_json_types(schema: ParamSchema) -> None:
    with pytest.raises(InvalidInput, match="JSON type"):
        coerce(schema, {"data_dir": object()})


def test_a_notebook_in_another_language_has_no_inspectable_parameters() -> None:
    # papermill has no parameter parser for R: the schema is empty, --allow-unknown lets values in
    nb = {
        "metadata": {"kernelspec": {"name": "ir", "language": "R"}},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"tags": ["parameters"]},
                "source": ["alpha <- 0.1\n"],
            }
        ],
    }
    got = notebook_schema(nb, name="model.ipynb")
    assert len(got) == 0
    assert coerce(got, {"alpha": "0.5"}, allow_unknown=True) == {"alpha": 0.5}
    with pytest.raises(InvalidInput, match="its parameters are: \\(none\\)"):
        coerce(got, {"alpha": "0.5"})


def test_a_notebook_object_is_named_in_messages() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(InvalidInput, match="^notebook train.ipynb has no cell tagged"):
        notebook_schema(nb, name="train.ipynb")
    with pytest.raises(InvalidInput, match="^the notebook has no cell tagged"):
        notebook_schema(nb)
