"""``workbench rerun``: a deterministic run reproduces exactly; an edited notebook is named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.store import open_store
from workbench.validate.snapshot import input_notebook

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture
def notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "wbhome"))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    nb = tmp_path / "project" / "model.ipynb"
    nb.parent.mkdir()
    shutil.copy(NOTEBOOKS / "ship_ok.ipynb", nb)
    return nb


def _edit(nb: Path) -> None:
    data = json.loads(nb.read_text())
    cell = data["cells"][2]
    cell["source"] = "".join(cell["source"]).replace("x * 0.25", "x * 0.5")
    nb.write_text(json.dumps(data))


def test_snapshot_drops_injected_cell_and_outputs(notebook: Path) -> None:
    from workbench.notebooks.execute import run_notebook
    from workbench.tracking.provenance import notebook_sha256

    run = run_notebook(notebook, {"x": 2})
    nb = input_notebook(open_store().executed_notebook(run.run_id))
    assert len(nb.cells) == 3
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert notebook_sha256(nb) == run.notebook_sha256


@pytest.mark.slow
def test_rerun_reproduces_then_names_the_edited_notebook(
    notebook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.notebooks.execute import run_notebook

    original = run_notebook(notebook, {"x": 2, "label": "abc"})
    assert original.metrics == {"score": 0.5, "label_len": 3.0}

    assert main(["rerun", original.run_id[:10]]) == 0
    out = capsys.readouterr().out
    assert "metrics reproduced exactly (2 metrics)" in out
    assert "changed since" not in out

    _edit(notebook)
    # From the stored snapshot: still the same metrics, and it says the notebook changed.
    assert main(["rerun", original.run_id, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reproduced"] is True
    assert any(c.startswith("notebook: model.ipynb was edited") for c in data["changes"])
    rerun_run = open_store().get_run(data["rerun_id"])
    assert rerun_run.notebook == str(notebook.resolve())  # stands for the real notebook
    assert rerun_run.tags["workbench.rerun_of"] == original.run_id
    assert rerun_run.params == {"x": 2, "label": "abc"}

    # From the file as it is now: the metrics differ, and the notebook is named as the cause.
    assert main(["rerun", original.run_id, "--from-file"]) == 1
    out = capsys.readouterr().out
    assert "metrics differ:" in out and "score: 0.5 -> 1" in out
    assert "notebook: model.ipynb was edited since the run" in out
    assert "parameters:" not in out


def test_rerun_bad_input(notebook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rerun", "zz"]) == 2
    assert main(["rerun", "0123456789abcdef"]) == 2
    assert "workbench runs" in capsys.readouterr().err
