"""Starter templates: `workbench new` copies them into place; each runs top to bottom with
papermill (`workbench run`) in a real kernel and logs metrics with steps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workbench.cli import main
from workbench.entities import RunStatus
from workbench.notebooks.schema import notebook_schema
from workbench.store import Store, locate

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ("classification", "regression")
# metric -> points it has after a run with the default parameters
EXPECTED = {
    "classification": {"train_loss": 20, "val_accuracy": 20, "accuracy": 1, "f1_macro": 1},
    "regression": {"train_rmse": 30, "val_rmse": 30, "val_r2": 30, "rmse": 1, "mae": 1, "r2": 1},
}


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_has_typed_documented_parameters_and_ends_with_the_runs_widget(
    name: str,
) -> None:
    path = ROOT / "templates" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    schema = notebook_schema(path)
    assert len(schema) >= 4
    for spec in schema:
        assert spec.type in ("int", "float", "str"), spec
        assert spec.help, f"{spec.name} has no trailing help comment"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[-1].source.strip() == "wb.widgets.runs()"
    assert all(not c.outputs for c in code), "templates are committed without outputs"
    source = "\n".join(c.source for c in code)
    assert "wb.log_metric(" in source and "step=" in source
    assert "load_" in source  # a dataset bundled with scikit-learn: no download


@pytest.mark.slow
@pytest.mark.parametrize("name", TEMPLATES)
def test_template_runs_with_papermill_and_logs_metrics(name: str, tmp_path: Path) -> None:
    home = tmp_path / ".workbench"
    target = tmp_path / f"my-{name}.ipynb"
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_RUN_ID", "WORKBENCH_DB_URL")}
    env.update(WORKBENCH_HOME=str(home), PYTHONPATH=str(ROOT))
    new = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "new",
            target.stem,
            "--template",
            name,
            "--dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert new.returncode == 0, new.stderr
    assert target.read_bytes() == (ROOT / "templates" / f"{name}.ipynb").read_bytes()

    run = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(target), "-p", "seed", "1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    store = Store(locate(home))
    runs, total = store.search_runs()
    assert total == 1
    result = store.get_run(runs[0].run_id)
    assert result.status is RunStatus.SUCCEEDED, result.error
    assert result.params["seed"] == 1
    points = {k: len(v) for k, v in result.metric_history.items()}
    assert points == EXPECTED[name]
    steps = [
        p.step
        for p in next(iter(v for k, v in result.metric_history.items() if EXPECTED[name][k] > 1))
    ]
    assert steps == list(range(len(steps)))
    if name == "classification":
        assert result.metrics["accuracy"] > 0.85
    else:
        assert 0.2 < result.metrics["r2"] < 1
    store.close()


# -- workbench new ------------------------------------------------------------------------------


def test_new_copies_a_template_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "exp1", "--template", "regression", "--dir", str(tmp_path / "sub")]) == 0
    made = tmp_path / "sub" / "exp1.ipynb"
    assert made.read_bytes() == (ROOT / "templates" / "regression.ipynb").read_bytes()
    assert f"created {made}" in capsys.readouterr().out

    made.write_text("{}")  # the user's own work
    assert main(["new", "exp1.ipynb", "--dir", str(tmp_path / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: ") and "already exists" in err
    assert err.count("\n") == 1
    assert made.read_text() == "{}"

    monkey_cwd = tmp_path / "cwd"
    monkey_cwd.mkdir()
    old = Path.cwd()
    os.chdir(monkey_cwd)
    try:
        assert main(["new", "default"]) == 0  # classification, here
    finally:
        os.chdir(old)
    assert (monkey_cwd / "default.ipynb").read_bytes() == (
        ROOT / "templates" / "classification.ipynb"
    ).read_bytes()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["new", "../escape", "--dir", "{dir}"], "is not usable"),
        (["new", "a/b", "--dir", "{dir}"], "is not usable"),
        (["new", ".hidden", "--dir", "{dir}"], "is not usable"),
        (["new", "", "--dir", "{dir}"], "is not usable"),
        (["new", "x" * 101, "--dir", "{dir}"], "is not usable"),
        (["new", "ok", "--template", "vision", "--dir", "{dir}"], "invalid choice"),
        (["new", "-x"], "required: NAME"),
        (["new"], "required: NAME"),
    ],
)
def test_new_refuses_bad_input_with_one_line(
    argv: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([a.replace("{dir}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: ") and err.count("\n") == 1, err
    assert fragment in err
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_a_file_as_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["new", "n", "--dir", str(blocker)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
