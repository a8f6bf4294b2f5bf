"""Interactive runs follow their kernel (real kernels, real SQLite): an idle kernel ends its
run, running the notebook again from the top starts a new run, a restart ends the run."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.entities import Run, RunStatus
from workbench.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
PARAMS = "lr = 0.1"

pytestmark = pytest.mark.slow


def _notebook(path: Path) -> None:
    cells = [
        {"id": "c-imports", "cell_type": "code", "source": "import workbench as wb",
         "metadata": {}, "outputs": [], "execution_count": None},
        {"id": "c-params", "cell_type": "code", "source": PARAMS,
         "metadata": {"tags": ["parameters"]}, "outputs": [], "execution_count": None},
        {"id": "c-train", "cell_type": "code", "source": "wb.log_metric('loss', lr)",
         "metadata": {}, "outputs": [], "execution_count": None},
    ]  # fmt: skip
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[tuple[Any, Any, Store]]:
    from jupyter_client.manager import start_new_kernel

    home = tmp_path / "home"
    _notebook(tmp_path / "train.ipynb")
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "JPY_SESSION_NAME": "train.ipynb",
        "WORKBENCH_SERVER_ROOT": str(tmp_path),
        "WORKBENCH_IDLE_END_SECONDS": "3",
    }
    env.pop("WORKBENCH_RUN_ID", None)
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    store = open_store(home=str(home))
    try:
        yield km, kc, store
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        store.close()


def _execute(kc: Any, code: str, cell_id: str | None = None) -> dict[str, Any]:
    """Execute like JupyterLab does: the cell's id in the request's metadata."""
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    msg = kc.session.msg(
        "execute_request", content, metadata={"cellId": cell_id} if cell_id else {}
    )
    kc.shell_channel.send(msg)
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply["content"]


def _run_all(kc: Any) -> None:
    for cell_id, code in (
        ("c-imports", "import workbench as wb"),
        ("c-params", PARAMS),
        ("c-train", "wb.log_metric('loss', lr)"),
    ):
        assert _execute(kc, code, cell_id)["status"] == "ok"


def _runs(store: Store) -> list[Run]:
    runs, _ = store.search_runs(order_by="started_at")
    return runs


def _wait(store: Store, until: Any, timeout_s: float = 30.0) -> list[Run]:
    deadline = time.monotonic() + timeout_s
    while True:
        runs = _runs(store)
        if until(runs):
            return runs
        if time.monotonic() > deadline:
            pytest.fail(f"runs never got there: {[(r.run_id[:8], r.status) for r in runs]}")
        time.sleep(0.3)


def test_an_idle_kernel_ends_its_run(kernel) -> None:
    _km, kc, store = kernel
    _run_all(kc)
    finished_cell = time.time()
    (run,) = _runs(store)
    assert run.status is RunStatus.RUNNING and run.source == "interactive"
    (run,) = _wait(store, lambda runs: runs[0].status is RunStatus.SUCCEEDED)
    # Ended when the last cell finished, not when the idle time ran out.
    assert run.ended_at is not None and run.ended_at <= finished_cell + 1.0
    # The next log call opens a new run.
    assert _execute(kc, "wb.log_metric('loss', 0.5)")["status"] == "ok"
    runs = _runs(store)
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.RUNNING]


def test_a_failing_last_cell_fails_the_idle_run(kernel) -> None:
    _km, kc, store = kernel
    _run_all(kc)
    assert _execute(kc, "raise ValueError('diverged')")["status"] == "error"
    (run,) = _wait(store, lambda runs: runs[0].status.finished)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and (run.error.name, run.error.value) == ("ValueError", "diverged")


def test_running_again_from_the_top_starts_a_new_run(kernel) -> None:
    _km, kc, store = kernel
    _run_all(kc)
    _run_all(kc)  # Run All again in the same kernel
    first, second = _runs(store)
    assert first.status is RunStatus.SUCCEEDED and second.status is RunStatus.RUNNING
    assert store.get_run(first.run_id).metric_history["loss"][0].value == 0.1
    assert len(store.get_run(second.run_id).metric_history.get("loss", [])) <= 1
    # The parameters cell run again (no cell id: matched by its source) does it too.
    assert _execute(kc, PARAMS)["status"] == "ok"
    assert _execute(kc, "wb.log_metric('loss', 0.2)")["status"] == "ok"
    statuses = [r.status for r in _runs(store)]
    assert statuses == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED, RunStatus.RUNNING]
    # Another cell run again does not.
    assert _execute(kc, "wb.log_metric('loss', 0.3)", "c-train")["status"] == "ok"
    assert len(_runs(store)) == 3


def test_a_kernel_restart_ends_the_run(kernel) -> None:
    km, kc, store = kernel
    _run_all(kc)
    km.restart_kernel(now=False)
    (run,) = _wait(store, lambda runs: runs[0].status.finished, timeout_s=30)
    assert run.status is RunStatus.SUCCEEDED
