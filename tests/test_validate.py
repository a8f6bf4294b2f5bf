"""The validation gate: conditions grammar, report, and real fresh-kernel validations.

Notebooks (tests/notebooks/ship_*.ipynb): ship_ok passes (and keeps ``score>=0.5`` in its
metadata); ship_raises raises in a cell; ship_missing_import imports a module that is not
installed; ship_no_params has no parameters cell and no kernelspec; ship_abs_path reads
/etc/hostname (a warning).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.errors import InvalidInput
from workbench.store import open_store
from workbench.validate.conditions import collect_conditions, notebook_conditions, parse_condition
from workbench.validate.report import (
    REPORT_JSON,
    REPORT_MD,
    RESULT_TAG,
    Check,
    CheckStatus,
    ValidationReport,
)

NOTEBOOKS = Path(__file__).parent / "notebooks"
DEMO = Path(__file__).resolve().parents[1] / "templates" / "demo.ipynb"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "wbhome"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    return home


def _checks(report: ValidationReport) -> dict[str, CheckStatus]:
    return {c.name: c.status for c in report.checks}


# -- conditions: a tiny grammar, never eval ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metric", "op", "threshold"),
    [
        ("accuracy>=0.9", "accuracy", ">=", 0.9),
        ("  loss <  1e-3 ", "loss", "<", 0.001),
        ("val/acc==1", "val/acc", "==", 1.0),
        ("delta != -2.5", "delta", "!=", -2.5),
        ("f1>.5", "f1", ">", 0.5),
    ],
)
def test_condition_parses(text: str, metric: str, op: str, threshold: float) -> None:
    cond = parse_condition(text)
    assert (cond.metric, cond.op, cond.threshold) == (metric, op, threshold)


@pytest.mark.parametrize(
    "text",
    [
        "accuracy=>0.9",
        "accuracy >= ",
        ">= 0.9",
        "accuracy >= 0.9 or True",
        "accuracy >= 1e999",
        "a >= nan",
        "a >= 0x10",
        "",
    ],
)
def test_condition_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidInput, match="METRIC OP NUMBER|out of range"):
        parse_condition(text)


def test_condition_text_is_never_evaluated() -> None:
    cond = parse_condition("__import__('os').system('x')>0")
    assert cond.metric == "__import__('os').system('x')"  # just a metric name, looked up


def test_condition_semantics() -> None:
    assert parse_condition("a>=1").holds(1.0)
    assert not parse_condition("a>1").holds(1.0)
    assert parse_condition("a<=1").holds(0.5)


def test_conditions_from_metadata_and_command_line() -> None:
    meta = {"workbench": {"require": ["score>=0.5", "loss<1"]}}
    conds = collect_conditions(["score>=0.5", "f1>0.1"], meta)
    assert [str(c) for c in conds] == ["score >= 0.5", "f1 > 0.1", "loss < 1"]
    assert conds[2].origin == "notebook metadata"
    assert notebook_conditions({}) == []
    with pytest.raises(InvalidInput, match="list of strings"):
        notebook_conditions({"workbench": {"require": {"a": 1}}})
    with pytest.raises(InvalidInput, match="notebook metadata"):
        notebook_conditions({"workbench": {"require": ["a >> 1"]}})


def test_report_round_trips_and_renders() -> None:
    report = ValidationReport(
        notebook="/x/a|b.ipynb",
        run_id="r1",
        params={"x": 1},
        metrics={"score": 0.75},
        requirements=["numpy==2.0.0"],
    )
    report.add("execution", CheckStatus.PASS, "fine")
    report.add("require: score >= 0.9", CheckStatus.FAIL, "score = 0.75, which is not >= 0.9")
    report.add("paths", CheckStatus.WARN, "an `/abs` path\nsomewhere")
    assert not report.passed and report.exit_code == 1
    again = ValidationReport.from_json(json.loads(report.json_bytes()))
    assert again.to_json() == report.to_json()
    md = report.markdown()
    assert "| require: score &gt;= 0.9 | fail |" in md
    assert "a\\|b.ipynb" in md
    text = report.text()
    assert "FAIL  require: score >= 0.9" in text and "FAILED (1 check), 1 warning" in text
    assert Check("a", CheckStatus.WARN, "w").to_json()["status"] == "warn"


# -- real validations (fresh kernels) -------------------------------------------------------


@pytest.mark.slow
def test_demo_notebook_passes(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["validate", str(DEMO), "-p", "n_estimators", "10", "--require", "accuracy>=0.8", "--json"]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data
    assert data["passed"] is True
    names = [c["name"] for c in data["checks"]]
    assert names == [
        "notebook",
        "parameters",
        "imports",
        "paths",
        "execution",
        "require: accuracy >= 0.8",
        "time",
    ]
    assert all(c["status"] == "pass" for c in data["checks"]), data["checks"]
    assert any(r.startswith("scikit-learn==") for r in data["requirements"])
    assert data["params"]["n_estimators"] == 10

    store = open_store()
    run = store.get_run(data["run_id"])
    assert run.source == "validation" and run.tags[RESULT_TAG] == "passed"
    stored = {a.name: a for a in run.artifacts}
    assert json.loads(store.blobs.read_bytes(stored[REPORT_JSON].digest)) == data
    assert b"# Validation passed" in store.blobs.read_bytes(stored[REPORT_MD].digest)


@pytest.mark.slow
def test_ok_notebook_with_metadata_condition(home: Path) -> None:
    import workbench.validate

    # The module is callable, so wb.validate(...) works whichever of function and
    # package ends up as the attribute of `workbench`.
    report = workbench.validate(NOTEBOOKS / "ship_ok.ipynb", {"x": "4"})  # "4" becomes int
    assert report.passed, report.text()
    assert report.params["x"] == 4
    assert _checks(report)["require: score >= 0.5"] is CheckStatus.PASS
    assert report.metrics == {"score": 1.0, "label_len": 1.0}


@pytest.mark.slow
def test_raising_cell_is_named(home: Path) -> None:
    from workbench.validate import validate

    report = validate(NOTEBOOKS / "ship_raises.ipynb")
    assert _checks(report)["execution"] is CheckStatus.FAIL
    detail = next(c.detail for c in report.checks if c.name == "execution")
    assert "cell 2 raised RuntimeError: the data is broken" in detail
    assert open_store().get_run(report.run_id).tags[RESULT_TAG] == "failed"


@pytest.mark.slow
def test_metric_under_threshold_is_named(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["validate", str(NOTEBOOKS / "ship_ok.ipynb"), "-p", "x", "1", "--require", "label_len<=1"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  require: score >= 0.5" in out
    assert "score = 0.25, which is not >= 0.5 (notebook metadata)" in out
    assert "PASS  require: label_len <= 1" in out


@pytest.mark.slow
def test_missing_import_is_named(home: Path) -> None:
    from workbench.validate import validate

    report = validate(NOTEBOOKS / "ship_missing_import.ipynb")
    status = _checks(report)
    assert status["imports"] is CheckStatus.FAIL
    detail = next(c.detail for c in report.checks if c.name == "imports")
    assert "wb_surely_missing_module_x (cell 1)" in detail
    assert status["execution"] is CheckStatus.FAIL  # and it failed to run, too


@pytest.mark.slow
def test_missing_parameters_cell_and_kernelspec_are_named(home: Path) -> None:
    from workbench.validate import validate

    report = validate(NOTEBOOKS / "ship_no_params.ipynb")
    status = _checks(report)
    assert status["parameters"] is CheckStatus.FAIL
    assert status["notebook"] is CheckStatus.FAIL
    assert status["execution"] is CheckStatus.PASS
    assert not report.passed


@pytest.mark.slow
def test_absolute_path_is_a_warning(home: Path) -> None:
    from workbench.validate import validate

    report = validate(NOTEBOOKS / "ship_abs_path.ipynb")
    assert _checks(report)["paths"] is CheckStatus.WARN
    assert "'/etc/hostname'" in next(c.detail for c in report.checks if c.name == "paths")
    assert report.passed  # a warning does not fail the gate


@pytest.mark.slow
def test_time_budget(home: Path, tmp_path: Path) -> None:
    from workbench.validate import validate

    nb = tmp_path / "sleeps.ipynb"
    shutil.copy(NOTEBOOKS / "sleeps.ipynb", nb)
    report = validate(nb, max_seconds=1.5)
    assert _checks(report)["time"] is CheckStatus.FAIL
    assert "1.5 s" in next(c.detail for c in report.checks if c.name == "time")


def test_bad_input_exits_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = str(NOTEBOOKS / "ship_ok.ipynb")
    assert main(["validate", str(NOTEBOOKS / "nope.ipynb")]) == 2
    assert main(["validate", ok, "--require", "score => 1"]) == 2
    assert main(["validate", ok, "-p", "y", "1"]) == 2  # unknown parameter
    assert main(["validate", ok, "-p", "x", "many"]) == 2  # ill-typed
    assert main(["validate", ok, "--max-seconds", "0"]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "METRIC OP NUMBER" in err and "no parameter 'y'" in err
    assert "expects int" in err and "positive number" in err
    assert not (home / "workbench.db").exists() or not open_store().search_runs()[0]
