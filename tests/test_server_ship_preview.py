"""The routes behind the validate and export dialogs on a real jupyter_server: the files an
export would write (POST exports/preview), a validation run's report with the cell of each
check (GET runs/{id}/validation), conditions labelled where they were typed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from server_api import assert_error, call, ok

from workbench.entities import RunStatus
from workbench.store import open_store
from workbench.validate.gate import save_report
from workbench.validate.report import CheckStatus, ValidationReport

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture
def root(jp_root_dir: Path, wb_home: Path) -> Path:
    root = Path(jp_root_dir).resolve()
    (root / "nbs").mkdir()
    shutil.copy(NOTEBOOKS / "ship_ok.ipynb", root / "nbs" / "ok.ipynb")
    return root


async def test_export_preview_lists_the_files_of_the_chosen_targets(jp_fetch, root) -> None:
    body = {"path": "nbs/ok.ipynb", "out": "dist/ok", "targets": ["kfp", "docker"]}
    preview = ok(await call(jp_fetch, "POST", "exports", "preview", body=body))
    assert (preview["name"], preview["version"], preview["problem"]) == ("ok", "0.1.0", None)
    files = preview["files"]
    assert "kfp/component.yaml" in files and "Dockerfile" in files
    assert not any(f.startswith(("airflow/", ".github/")) for f in files)
    assert "package/pyproject.toml" in files and "package/src/ok/notebook.ipynb" in files
    assert files[-1] == "wheels/" and preview["replaced"] == []
    assert not (root / "dist").exists()  # nothing written

    everything = {**body, "targets": None, "name": "churn-model"}
    preview = ok(await call(jp_fetch, "POST", "exports", "preview", body=everything))
    assert preview["name"] == "churn-model"
    assert "airflow/churn_model_dag.py" in preview["files"]
    assert ".github/workflows/churn-model.yml" in preview["files"]

    (root / "dist" / "ok").mkdir(parents=True)
    (root / "dist" / "ok" / "Dockerfile").write_text("FROM scratch\n")
    preview = ok(await call(jp_fetch, "POST", "exports", "preview", body=body))
    assert preview["replaced"] == ["Dockerfile"]


async def test_export_preview_says_a_version_is_taken(jp_fetch, root, wb_home) -> None:
    store = open_store(home=str(wb_home))
    run_id = store.create_run(source="validation", notebook=str(root / "nbs" / "ok.ipynb"))
    store.create_export(
        name="ok",
        version="0.1.0",
        run_id=run_id,
        validation_passed=True,
        targets=["package"],
        path=str(root / "dist"),
        notebook_sha256="0" * 64,
        manifest={},
    )
    body = {"run_id": run_id, "out": "dist2"}
    assert ok(await call(jp_fetch, "POST", "exports", "preview", body=body))["version"] == "0.1.1"
    taken = ok(
        await call(jp_fetch, "POST", "exports", "preview", body={**body, "version": "0.1.0"})
    )
    assert "already exported" in taken["problem"]
    store.close()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"path": "nbs/ok.ipynb", "out": "dist", "targets": ["helm"]}, 400, "invalid_input"),
        ({"path": "nbs/missing.ipynb", "out": "dist"}, 400, "invalid_input"),
        ({"run_id": "nope", "out": "dist"}, 400, "invalid_input"),
        ({"path": "nbs/ok.ipynb", "out": "../escape"}, 403, "forbidden"),
        ({"path": "nbs/ok.ipynb", "out": "dist", "name": "');import os#"}, 400, "invalid_input"),
        ({"out": "dist"}, 400, "invalid_input"),
        ({"name": "ok", "version": "9.9.9", "out": "dist"}, 404, "not_found"),
    ],
)
async def test_export_preview_refusals(jp_fetch, root, body, status, code) -> None:
    assert_error(await call(jp_fetch, "POST", "exports", "preview", body=body), status, code)


async def test_validation_report_of_a_run(jp_fetch, root, wb_home) -> None:
    store = open_store(home=str(wb_home))
    run_id = store.create_run(source="validation", notebook=str(root / "nbs" / "ok.ipynb"))
    store.set_status(run_id, RunStatus.FAILED)
    report = ValidationReport(notebook=str(root / "nbs" / "ok.ipynb"), run_id=run_id)
    report.add("notebook", CheckStatus.PASS, "valid")
    report.add("execution", CheckStatus.FAIL, "cell 2 raised ValueError: no", 2)
    save_report(store, report)
    other = store.create_run(source="job")
    store.close()

    got = ok(await call(jp_fetch, "GET", "runs", run_id, "validation"))
    assert got["notebook"] == "nbs/ok.ipynb" and got["passed"] is False
    assert [(c["name"], c["status"], c["cell"]) for c in got["checks"]] == [
        ("notebook", "pass", None),
        ("execution", "fail", 2),
    ]
    message = assert_error(
        await call(jp_fetch, "GET", "runs", other, "validation"), 404, "not_found"
    )
    assert "no validation report" in message
    assert_error(await call(jp_fetch, "GET", "runs", "nope", "validation"), 404, "not_found")


@pytest.mark.slow
async def test_conditions_typed_in_the_dialog_are_labelled_so(jp_fetch, root) -> None:
    body = {"path": "nbs/ok.ipynb", "require": ["score >= -1"], "require_from": "dialog"}
    report = ok(await call(jp_fetch, "POST", "validate", body=body))
    (check,) = [c for c in report["checks"] if c["name"] == "require: score >= -1"]
    assert check["status"] == "pass" and "(typed in the dialog)" in check["detail"]
    assert "command line" not in json.dumps(report)
