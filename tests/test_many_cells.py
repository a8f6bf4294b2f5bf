"""Many cells: a 1,000-cell job runs every cell in order, and progress shows while a job runs.

Speed is measured by benchmarks/cells.py, not asserted here. Real kernels, real SQLite; the
progress is read by this process while the real CLI runs the job in another.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from workbench.entities import RunStatus
from workbench.notebooks.execute import run_notebook
from workbench.notebooks.progress import read_progress
from workbench.store import open_store

ROOT = Path(__file__).parents[1]
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

pytestmark = pytest.mark.slow


def write(path: Path, sources: list[str]) -> Path:
    cells = [new_code_cell(src) for src in sources]
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}), path)
    return path


def test_a_thousand_cells_all_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / ".workbench"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    n = 1000
    sources = ["order = []"] + [f"order.append({i})" for i in range(1, n - 1)]
    sources.append(f"assert order == list(range(1, {n - 1})), order[:5]\nprint(len(order))")
    nb_path = write(tmp_path / "many.ipynb", sources)
    store = open_store(home=str(home))
    try:
        run = run_notebook(nb_path, store=store)
        assert run.status is RunStatus.SUCCEEDED, run.error
        nb = nbformat.reads(store.executed_notebook(run.run_id).decode(), as_version=4)
    finally:
        store.close()
    assert [c.source for c in nb.cells] == sources
    assert [c.execution_count for c in nb.cells] == list(range(1, n + 1))
    assert all(c.metadata.papermill.status == "completed" for c in nb.cells)
    starts = [datetime.fromisoformat(c.metadata.papermill.start_time) for c in nb.cells]
    assert starts == sorted(starts)
    assert nb.cells[-1].outputs[0].text == f"{n - 2}\n"
    assert not nb.metadata.papermill.exception
    assert not list((home / "tmp").iterdir())


def test_progress_is_visible_while_a_job_runs(tmp_path: Path) -> None:
    home = tmp_path / ".workbench"
    nb_path = write(
        tmp_path / "slow.ipynb",
        ["import time", "x = 1", "\n# the long one\ntime.sleep(6)  # wait", "y = 2"],
    )
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", str(nb_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        announced = proc.stderr.readline()  # "workbench: running slow.ipynb as run <id>"
        assert " as run " in announced, announced
        run_id = announced.split()[-1]
        store = open_store(home=str(home))
        seen = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            seen = read_progress(run_id, store)
            if seen is not None and seen.current_cell == 2:
                break
            time.sleep(0.05)
        assert seen is not None and seen.current_cell == 2, seen
        assert (seen.run_id, seen.cells_done, seen.cells_total) == (run_id, 2, 4)
        assert seen.current_source == "# the long one"
        assert proc.wait(timeout=60) == 0
        assert read_progress(run_id, store) is None  # gone with the job
        assert store.get_run(run_id).status is RunStatus.SUCCEEDED
        assert not list((home / "tmp").iterdir())
        store.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
