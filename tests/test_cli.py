"""The ``workbench`` command, run as a real subprocess against a store in a temp folder."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.store import open_store

NOTEBOOKS = Path(__file__).parent / "notebooks"
ROOT = Path(__file__).parents[1]


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_count(home: Path) -> int:
    return open_store(home=str(home)).search_runs(limit=1)[1]


@pytest.fixture(scope="module")
def ran(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """A store holding one succeeded and one failed run, made through the CLI."""
    home = tmp_path_factory.mktemp("cli") / ".workbench"
    ok = cli(
        home,
        "run",
        str(NOTEBOOKS / "tracked.ipynb"),
        "-p",
        "lr",
        "0.05",
        "-p",
        "epochs",
        "3",
        "--experiment",
        "cli-exp",
        "--name",
        "first",
    )
    bad = cli(home, "run", str(NOTEBOOKS / "raises.ipynb"), "--experiment", "cli-exp")
    return home, ok, bad


@pytest.mark.slow
def test_run_prints_id_and_status_and_records_typed_params(ran) -> None:
    home, ok, _ = ran
    assert ok.returncode == 0, ok.stderr
    words = ok.stdout.split()
    assert words[0] == "run" and words[2] == "succeeded", ok.stdout
    run = open_store(home=str(home)).get_run(words[1])
    assert run.params == {"lr": 0.05, "epochs": 3}
    assert isinstance(run.params["lr"], float) and isinstance(run.params["epochs"], int)
    assert run.metrics["accuracy"] == 0.9
    assert "Traceback" not in ok.stderr


@pytest.mark.slow
def test_the_command_exits_with_the_database_whole(tmp_path: Path) -> None:
    # The command skips the interpreter's last collection (workbench.cli.run): its store's
    # connections are closed first, so SQLite's write-ahead log is folded back into the
    # database file, which alone then holds the run (a copy of it loses nothing).
    home = tmp_path / ".workbench"
    done = cli(
        home, "run", str(NOTEBOOKS / "tracked.ipynb"), "-p", "lr", "0.1", "-p", "epochs", "2"
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in home.glob("workbench.db*")) == ["workbench.db"]
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "workbench.db").write_bytes((home / "workbench.db").read_bytes())
    (run,), _ = open_store(home=str(copy)).search_runs()
    assert run.run_id == done.stdout.split()[1] and run.params == {"lr": 0.1, "epochs": 2}
    bad = cli(home, "show", "nope")  # the exit code still comes through
    assert bad.returncode == 2 and bad.stderr.startswith("workbench: error:")


@pytest.mark.slow
def test_failed_job_exits_1_with_an_error_line(ran) -> None:
    _, _, bad = ran
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert lines[0].split()[2] == "failed"
    assert lines[1].startswith("error: cell ") and "ValueError: bad value for x" in lines[1]


@pytest.mark.slow
def test_runs_table(ran) -> None:
    home, ok, _ = ran
    out = cli(home, "runs")
    assert out.returncode == 0, out.stderr
    header, _, *rows = out.stdout.splitlines()
    for column in (
        "id",
        "name",
        "experiment",
        "notebook",
        "status",
        "started",
        "duration",
        "lr",
        "epochs",
        "accuracy",
    ):
        assert column in header.split()
    assert len(rows) == 2
    assert rows[0].split()[0] == rows[0].split()[0][:8]  # short ids
    first = next(r for r in rows if "tracked.ipynb" in r)
    assert ok.stdout.split()[1][:8] in first and "succeeded" in first and "0.05" in first
    only_failed = cli(home, "runs", "--status", "failed")
    assert "raises.ipynb" in only_failed.stdout and "tracked.ipynb" not in only_failed.stdout
    by_notebook = cli(home, "runs", "--notebook", str(NOTEBOOKS / "tracked.ipynb"))
    assert "tracked.ipynb" in by_notebook.stdout and "raises.ipynb" not in by_notebook.stdout


@pytest.mark.slow
def test_runs_json_and_csv(ran) -> None:
    home, ok, _ = ran
    run_id = ok.stdout.split()[1]
    listed = json.loads(cli(home, "runs", "--json").stdout)
    assert {r["status"] for r in listed} == {"succeeded", "failed"}
    mine = next(r for r in listed if r["run_id"] == run_id)
    assert mine["params"] == {"lr": 0.05, "epochs": 3}
    assert mine["experiment"] == "cli-exp" and mine["provenance"]["kernel_name"] == "python3"
    assert len(json.loads(cli(home, "runs", "--json", "--limit", "1").stdout)) == 1

    rows = list(csv.DictReader(io.StringIO(cli(home, "runs", "--csv").stdout)))
    assert len(rows) == 2
    row = next(r for r in rows if r["run_id"] == run_id)
    assert float(row["params.lr"]) == 0.05 and float(row["metrics.accuracy"]) == 0.9
    assert row["status"] == "succeeded"


@pytest.mark.slow
def test_show_accepts_a_unique_prefix(ran) -> None:
    home, ok, bad = ran
    run_id = ok.stdout.split()[1]
    out = cli(home, "show", run_id[:6])
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert run_id in text and "succeeded" in text
    assert "lr" in text and "0.05" in text
    assert "loss" in text and "3" in text  # metric with its number of points
    assert "executed.ipynb" in text and "python_executable" in text
    failed = cli(home, "show", bad.stdout.split()[1])
    assert "ValueError: bad value for x" in failed.stdout
    as_json = json.loads(cli(home, "show", "--json", run_id).stdout)
    assert as_json["metric_points"] == {"loss": 3, "accuracy": 1}


def test_help_and_version(tmp_path: Path) -> None:
    home = tmp_path / ".workbench"
    for args in (["--help"], ["run", "--help"], ["runs", "--help"], ["show", "--help"]):
        out = cli(home, *args)
        assert out.returncode == 0 and "usage:" in out.stdout, args
    assert cli(home, "--version").stdout.startswith("workbench ")


def _bad_notebooks(folder: Path) -> dict[str, Path]:
    files = {
        "not_json": "{ this is not json",
        "a_list": "[1, 2, 3]",
        "no_nbformat": json.dumps({"cells": [], "metadata": {}}),
    }
    paths = {}
    for name, text in files.items():
        paths[name] = folder / f"{name}.ipynb"
        paths[name].write_text(text)
    return paths


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not_json", "is not valid JSON (line 1, column 3"),
        ("a_list", "is not a notebook (top level is a list"),
        ("no_nbformat", "has no 'nbformat' field"),
        ("bad_name", "parameter name 'x=1\\nimport os' is not a Python identifier"),
        ("missing", "not found"),
        ("negative_timeout", "timeout -1.0 is not usable"),
        ("timeout_not_number", "argument --timeout: invalid float value"),
        ("unknown_status", "unknown run status 'done'"),
        ("unknown_run", "no run id starts with"),
        ("short_prefix", "too short"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, case: str, message: str
) -> None:
    home = tmp_path / ".workbench"
    paths = _bad_notebooks(tmp_path)
    good = str(NOTEBOOKS / "raises.ipynb")
    args = {
        "not_json": ["run", str(paths["not_json"])],
        "a_list": ["run", str(paths["a_list"])],
        "no_nbformat": ["run", str(paths["no_nbformat"])],
        "bad_name": ["run", good, "-p", "x=1\nimport os", "1"],
        "missing": ["run", str(tmp_path / "nope.ipynb")],
        "negative_timeout": ["run", good, "--timeout", "-1"],
        "timeout_not_number": ["run", good, "--timeout", "soon"],
        "unknown_status": ["runs", "--status", "done"],
        "unknown_run": ["show", "0123456789abcdef"],
        "short_prefix": ["show", "abc"],
    }[case]
    before = run_count(home)
    out = cli(home, *args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("workbench: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert run_count(home) == before == 0


def test_init_creates_the_store_where_it_says(tmp_path: Path) -> None:
    home = tmp_path / "elsewhere" / ".workbench"
    home.parent.mkdir()
    out = cli(home, "init")
    assert out.returncode == 0, out.stderr
    assert str(home) in out.stdout
    assert (home / "workbench.db").is_file()
