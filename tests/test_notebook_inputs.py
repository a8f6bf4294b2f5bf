"""Hostile and old notebook inputs: each a clear InvalidInput (CLI exit 2), never a run row.

Real files in tmp_path, a real nbformat v3 notebook run in a real kernel, and the real
``workbench`` command in a subprocess.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat import v3
from nbformat.v4 import new_code_cell, new_notebook
from test_cli import cli

from workbench.entities import RunStatus
from workbench.errors import InvalidInput
from workbench.notebooks.execute import run_notebook
from workbench.notebooks.reader import MAX_DEPTH, read_notebook
from workbench.notebooks.schema import notebook_schema
from workbench.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    home = tmp_path / ".workbench"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    return open_store(home=str(home))


def run_count(store: Store) -> int:
    return store.search_runs(limit=1)[1]


def good_text() -> str:
    return nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")]))


def deep_nested(tmp: Path) -> str:
    # 100,000 levels inside an otherwise valid notebook: json itself cannot walk it
    depth = 100_000
    text = good_text().replace(
        '"metadata": {}', '"metadata": {"deep": ' + "[" * depth + "]" * depth + "}", 1
    )
    path = tmp / "deep.ipynb"
    path.write_text(text)
    return str(path)


def moderately_deep(tmp: Path) -> str:
    # shallow enough for json, deeper than nbformat and papermill can safely recurse
    nested: dict = {}
    inner = nested
    for _ in range(MAX_DEPTH + 20):
        inner["a"] = {}
        inner = inner["a"]
    nb = json.loads(good_text())
    nb["metadata"]["deep"] = nested
    path = tmp / "deepish.ipynb"
    path.write_text(json.dumps(nb))
    return str(path)


def long_name(tmp: Path) -> str:
    return str(tmp / ("n" * 294 + ".ipynb"))  # 300 characters: past NAME_MAX


def huge_count(tmp: Path) -> str:
    text = good_text().replace('"execution_count": null', '"execution_count": ' + "7" * 5000)
    assert "7" * 5000 in text
    path = tmp / "count.ipynb"
    path.write_text(text)
    return str(path)


def json_as_path(_tmp: Path) -> str:
    return good_text()


def json_under_a_folder(tmp: Path) -> str:
    return str(tmp / good_text())  # as a server joins a request's path to its root


def short_json_as_path(_tmp: Path) -> str:
    return '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def nul_in_path(tmp: Path) -> str:
    return str(tmp / "a\x00b.ipynb")


BAD: list[tuple[Callable[[Path], str], str]] = [
    (deep_nested, f"nested more than {MAX_DEPTH} levels deep"),
    (moderately_deep, f"nested more than {MAX_DEPTH} levels deep"),
    (long_name, "too long for the file system"),
    (huge_count, "integer of more than"),
    (json_as_path, "got notebook JSON text where a notebook path was expected"),
    (json_under_a_folder, "got notebook JSON text where a notebook path was expected"),
    (short_json_as_path, "got notebook JSON text where a notebook path was expected"),
    (nul_in_path, "contains a NUL character"),
]
IDS = [make.__name__ for make, _ in BAD]


@pytest.mark.parametrize(("make", "message"), BAD, ids=IDS)
def test_bad_input_is_one_clear_error_and_no_run(
    store: Store, tmp_path: Path, make: Callable[[Path], str], message: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(InvalidInput, match=message) as info:
        read_notebook(path)
    text = info.value.message
    assert "\n" not in text and len(text) < 400, text
    with pytest.raises(InvalidInput, match=message):
        notebook_schema(path)
    with pytest.raises(InvalidInput, match=message):
        run_notebook(path, store=store)
    assert run_count(store) == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make", "message"), [b for b in BAD if b[0] is not nul_in_path], ids=IDS[:-1]
)
def test_cli_exits_2_with_one_line(
    tmp_path: Path, make: Callable[[Path], str], message: str
) -> None:
    home = tmp_path / ".workbench"
    done = cli(home, "run", make(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: "), done.stderr
    assert message in lines[0]
    assert done.stdout == ""
    if (home / "workbench.db").exists():
        assert open_store(home=str(home)).search_runs(limit=1)[1] == 0


def write_v3(path: Path) -> None:
    """An nbformat 3 notebook in its on-disk form: worksheets, lines split into lists."""
    params = v3.new_code_cell(input="x = 1\nlabel = 'a'", prompt_number=1)
    params.metadata["tags"] = ["parameters"]
    cells = [
        v3.new_heading_cell("An old notebook", level=1),
        params,
        v3.new_code_cell(
            input="y = x * 2\nprint('y is', y, label)",
            prompt_number=2,
            outputs=[v3.new_output("stream", output_text="y is 2 a\n", stream="stdout")],
        ),
    ]
    nb = v3.new_notebook(name="old", metadata=v3.new_metadata(name="old"))
    nb.worksheets.append(v3.new_worksheet(cells=cells))
    path.write_text(v3.writes_json(nb))


def test_v3_notebook_is_read_as_v4(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    write_v3(path)
    on_disk = json.loads(path.read_text())
    assert on_disk["nbformat"] == 3 and "worksheets" in on_disk and "cells" not in on_disk
    assert isinstance(on_disk["worksheets"][0]["cells"][1]["input"], list)
    nb = read_notebook(path)
    assert nb.nbformat == 4
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert nb.cells[0].source == "# An old notebook"
    assert nb.cells[1].source == "x = 1\nlabel = 'a'"
    assert [(p.name, p.type) for p in notebook_schema(path)] == [("x", "int"), ("label", "str")]


@pytest.mark.slow
def test_v3_notebook_runs_with_parameters(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    write_v3(path)
    run = run_notebook(path, {"x": 21, "label": "b"}, store=store)
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.params == {"x": 21, "label": "b"}
    nb = nbformat.reads(store.executed_notebook(run.run_id).decode(), as_version=4)
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert out == "y is 42 b\n"


# -- the REST routes that read a notebook answer 400, never 500 ---------------------------------

# The over-long name is refused by the server's path check (its own test below).
SERVED = [b for b in BAD if b[0] in (deep_nested, moderately_deep, huge_count)]


@pytest.mark.parametrize(("make", "message"), SERVED, ids=[m.__name__ for m, _ in SERVED])
async def test_rest_routes_answer_400(
    jp_fetch, wb_home: Path, jp_root_dir: Path, make: Callable[[Path], str], message: str
) -> None:
    root = Path(jp_root_dir)
    name = Path(make(root)).name
    params = await jp_fetch(
        "workbench",
        "api",
        "notebooks",
        "parameters",
        params={"path": name},
        raise_error=False,
    )
    sweep = await jp_fetch(
        "workbench",
        "api",
        "sweeps",
        method="POST",
        body=json.dumps({"notebook": name, "grid": {"x": [1]}}),
        raise_error=False,
    )
    for response in (params, sweep):
        assert response.code == 400, response.body
        body = json.loads(response.body)
        assert body["error"] == "invalid_input" and message in body["message"], body
    store = open_store()
    try:
        assert run_count(store) == 0 and store.list_sweeps() == []
    finally:
        store.close()


async def test_rest_routes_refuse_an_over_long_name_with_400(jp_fetch, wb_home: Path) -> None:
    name = "n" * 294 + ".ipynb"  # 300 characters: past NAME_MAX
    params = await jp_fetch(
        "workbench", "api", "notebooks", "parameters", params={"path": name}, raise_error=False
    )
    sweep = await jp_fetch(
        "workbench",
        "api",
        "sweeps",
        method="POST",
        body=json.dumps({"notebook": name, "grid": {"x": [1]}}),
        raise_error=False,
    )
    for response in (params, sweep):
        assert response.code == 400, response.body
        body = json.loads(response.body)
        assert body["error"] == "invalid_input" and "too long" in body["message"], body
    store = open_store()
    try:
        assert run_count(store) == 0 and store.list_sweeps() == []
    finally:
        store.close()
