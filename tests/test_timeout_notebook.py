"""The stored notebook of a job that was stopped says where and why, and that later cells
did not run: its timeout (through the real CLI's --timeout), a cancel request (the kernel
killed as the sweep watchdog does), the kernel dying, Ctrl-C. Real kernels, real SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from workbench.entities import RunStatus
from workbench.notebooks.execute import run_notebook
from workbench.store import Store, open_store

NOTEBOOKS = Path(__file__).parent / "notebooks"
ROOT = Path(__file__).parents[1]
SLEEPS = NOTEBOOKS / "sleeps.ipynb"  # import time | time.sleep(30) | print('never')

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / ".workbench"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_RUN_ID", raising=False)
    return home


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    store = open_store(home=str(home))
    yield store
    store.close()


def stored(store: Store, run_id: str) -> nbformat.NotebookNode:
    nb = nbformat.reads(store.executed_notebook(run_id).decode(), as_version=4)
    nbformat.validate(nb)
    return nb


def papermill(cell: Any) -> dict[str, Any]:
    return dict(cell.metadata.papermill)


def assert_stopped_at(nb: nbformat.NotebookNode, index: int, name: str, words: str) -> None:
    """Cells before ``index`` completed, ``index`` failed with the reason, the rest pending."""
    assert nb.metadata.papermill.exception is True
    for cell in nb.cells[:index]:
        assert papermill(cell)["status"] == "completed" and not papermill(cell)["exception"]
    stopped = nb.cells[index]
    meta = papermill(stopped)
    assert meta["status"] == "failed" and meta["exception"] is True
    assert meta["end_time"] is not None and meta["duration"] is not None
    marker = stopped.outputs[-1]
    assert (marker.output_type, marker.ename) == ("error", name)
    assert words in marker.evalue
    assert "the cells below did not run" in marker.evalue
    for cell in nb.cells[index + 1 :]:
        meta = papermill(cell)
        assert meta["status"] == "pending" and meta["start_time"] is None
        assert cell.execution_count is None and cell.outputs == []


def test_timeout_through_the_cli(home: Path) -> None:
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(SLEEPS), "--timeout", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "timed_out" in done.stdout
    store = open_store(home=str(home))
    try:
        (run,), _ = store.search_runs()
        assert run.status is RunStatus.TIMED_OUT
        assert run.error.cell_index == 1
        nb = stored(store, run.run_id)
        assert nb.cells[1].source == "time.sleep(30)"
        assert_stopped_at(nb, 1, "CellTimeoutError", "the job exceeded its timeout of 3 s")
        assert not list((home / "tmp").iterdir())  # snapshot and progress record removed
    finally:
        store.close()


def test_cancel_request(store: Store) -> None:
    # What the sweep watchdog does on a cancel request: kill the kernel's process group.
    requested = threading.Event()

    def kill_soon(pid: int, pgid: int | None) -> None:
        def kill() -> None:
            requested.set()
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)

        threading.Timer(2.5, kill).start()

    run = run_notebook(
        SLEEPS, store=store, timeout=60, on_kernel_started=kill_soon, cancelled=requested.is_set
    )
    assert run.status is RunStatus.CANCELLED
    assert_stopped_at(stored(store, run.run_id), 1, "Cancelled", "cancelled on request")


def test_kernel_death(store: Store) -> None:
    run = run_notebook(NOTEBOOKS / "dies.ipynb", store=store)
    assert run.status is RunStatus.FAILED
    assert_stopped_at(stored(store, run.run_id), 1, "DeadKernelError", "the kernel died")


@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c(store: Store) -> None:
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_notebook(SLEEPS, store=store, timeout=30)
    finally:
        timer.cancel()
    (run,), _ = store.search_runs()
    assert run.status is RunStatus.CANCELLED
    assert_stopped_at(stored(store, run.run_id), 1, "KeyboardInterrupt", "the job was cancelled")


def test_a_cell_error_keeps_papermill_markers_and_later_cells_pending(store: Store) -> None:
    run = run_notebook(NOTEBOOKS / "raises.ipynb", store=store)
    assert run.status is RunStatus.FAILED
    nb = stored(store, run.run_id)
    assert nb.metadata.papermill.exception is True
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert sum("papermill-error-cell-tag" in t for t in tags) == 2  # papermill's markers
    failing = nb.cells[run.error.cell_index]
    assert failing.source.startswith("raise ValueError")
    assert papermill(failing)["status"] == "failed"
    assert papermill(nb.cells[-1])["status"] == "pending"


def test_success_marks_every_cell_completed(store: Store) -> None:
    run = run_notebook(NOTEBOOKS / "tracked.ipynb", store=store)
    assert run.status is RunStatus.SUCCEEDED, run.error
    nb = stored(store, run.run_id)
    assert not nb.metadata.papermill.exception
    assert all(papermill(c)["status"] == "completed" for c in nb.cells)
    assert all(not any(o.output_type == "error" for o in c.get("outputs", [])) for c in nb.cells)
