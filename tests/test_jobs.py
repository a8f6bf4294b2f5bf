"""One notebook job into one run: real kernels, real papermill, real SQLite in tmp_path."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from workbench.entities import RunStatus
from workbench.errors import InvalidInput
from workbench.notebooks import threads
from workbench.notebooks.coerce import coerce_for_notebook
from workbench.notebooks.execute import run_notebook
from workbench.notebooks.managers import JobKernelManager
from workbench.notebooks.params import check_params, parse_cli_params
from workbench.store import Store, open_store

NOTEBOOKS = Path(__file__).parent / "notebooks"
DEMO = Path(__file__).parents[1] / "templates" / "demo.ipynb"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    home = tmp_path / ".workbench"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_RUN_ID", raising=False)
    return open_store(home=str(home))


def run_count(store: Store) -> int:
    return store.search_runs(limit=1)[1]


def kernels_left() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def executed(store: Store, run_id: str) -> nbformat.NotebookNode:
    nb = nbformat.reads(store.executed_notebook(run_id).decode(), as_version=4)
    nbformat.validate(nb)
    return nb


# -- parameters (no kernel) ---------------------------------------------------------------


def test_cli_values_are_read_for_their_type_else_json_else_strings() -> None:
    nb = nbformat.read(NOTEBOOKS / "tracked.ipynb", as_version=4)  # lr = 0.1, epochs = 2
    raw = parse_cli_params([("lr", "0.1"), ("lr", "0.2"), ("epochs", "3")])
    assert raw == {"lr": "0.2", "epochs": "3"}  # texts: the schema reads them
    got = coerce_for_notebook(nb, raw)
    assert got == {"lr": 0.2, "epochs": 3} and isinstance(got["lr"], float)
    # names the notebook does not type (with allow_unknown): JSON when it parses, as papermill
    untyped = parse_cli_params(
        [("a", "0.05"), ("b", "3"), ("c", "true"), ("d", '"x"'), ("e", "[1,2]"), ("f", "adam")]
    )
    assert coerce_for_notebook(nb, untyped, allow_unknown=True) == {
        "a": 0.05,
        "b": 3,
        "c": True,
        "d": "x",
        "e": [1, 2],
        "f": "adam",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"x=1\nimport os": 1},
        {"class": 1},
        {"1x": 1},
        {"x": object()},
        {"x": float("nan")},
        {"x": {1: 2}},
    ],
)
def test_bad_parameters_are_refused(params: dict) -> None:
    with pytest.raises(InvalidInput):
        check_params(params)


def test_cli_nan_is_refused() -> None:
    nb = nbformat.read(NOTEBOOKS / "tracked.ipynb", as_version=4)
    with pytest.raises(InvalidInput, match="finite"):
        coerce_for_notebook(nb, parse_cli_params([("lr", "NaN")]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"parameters": {"x": object()}}, "JSON type"),
        ({"parameters": {"x=1\nimport os": 1}}, "not a Python identifier"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": 0}, "timeout"),
        ({"kernel_name": "no-such-kernel"}, "no Jupyter kernel named 'no-such-kernel'"),
        ({"tags": {"": "x"}}, "tag name"),
    ],
)
def test_bad_arguments_raise_before_anything_is_written(
    store: Store, kwargs: dict, message: str
) -> None:
    before = run_count(store)
    with pytest.raises(InvalidInput, match=message):
        run_notebook(NOTEBOOKS / "raises.ipynb", store=store, **kwargs)
    assert run_count(store) == before
    assert not kernels_left()


def test_thread_caps_divide_cores_by_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in threads.THREAD_CAP_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    assert threads.thread_caps(1)["OMP_NUM_THREADS"] == "8"
    assert threads.thread_caps(3)["MKL_NUM_THREADS"] == "2"
    assert threads.thread_caps(16)["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "5")  # the user's explicit choice wins
    assert threads.thread_caps(4)["OMP_NUM_THREADS"] == "5"


# -- real kernels -------------------------------------------------------------------------


@pytest.mark.slow
def test_success_records_params_metrics_and_executed_notebook(store: Store) -> None:
    run = run_notebook(
        NOTEBOOKS / "tracked.ipynb",
        {"lr": 0.05, "epochs": 3},
        store=store,
        experiment="exp",
        name="ok",
        tags={"team": "a"},
    )
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.error is None and run.ended_at is not None
    assert run.params == {"lr": 0.05, "epochs": 3}
    assert (run.experiment, run.name, run.tags, run.source) == ("exp", "ok", {"team": "a"}, "job")
    assert run.notebook == str((NOTEBOOKS / "tracked.ipynb").resolve())
    # Logged from inside the kernel; the last points were flushed before the kernel was killed.
    assert run.metrics == {"loss": pytest.approx(0.05 / 3), "accuracy": 0.9}
    assert [p.step for p in run.metric_history["loss"]] == [0, 1, 2]

    nb = executed(store, run.run_id)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert "WORKBENCH" not in injected[0].source  # the run context is not a parameter
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "float int" in out  # the parameters arrived typed
    assert f"executable {sys.executable}" in out  # the runner's interpreter
    expected_threads = os.environ.get("OMP_NUM_THREADS") or str(threads.available_cores())
    assert f"threads {expected_threads}" in out
    assert nb.metadata.papermill.input_path == run.notebook

    assert "WORKBENCH_RUN_ID" not in os.environ  # the runner's environment is untouched
    assert not list((store.location.home / "tmp").glob("*.ipynb"))
    assert not kernels_left()


@pytest.mark.slow
def test_metrics_are_flushed_through_the_jobs_own_client_once_its_cells_ran(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kill skips the kernel's atexit: the points its last cell buffered are flushed as
    # soon as the cells have run, over the channel the job already has open, so that the
    # shutdown need not connect a second client to ask for them.
    clients = []
    make_client = JobKernelManager.client

    def counted(self: JobKernelManager, **kwargs: object) -> object:
        clients.append(make_client(self, **kwargs))
        return clients[-1]

    monkeypatch.setattr(JobKernelManager, "client", counted)
    run = run_notebook(NOTEBOOKS / "tracked.ipynb", {"lr": 0.05, "epochs": 3}, store=store)
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.metrics == {"loss": pytest.approx(0.05 / 3), "accuracy": 0.9}
    assert len(clients) == 1  # the job's own
    assert not kernels_left()


@pytest.mark.slow
def test_cell_error_fails_with_name_value_and_cell(store: Store) -> None:
    run = run_notebook(NOTEBOOKS / "raises.ipynb", store=store)
    assert run.status is RunStatus.FAILED
    assert (run.error.name, run.error.value) == ("ValueError", "bad value for x")
    nb = executed(store, run.run_id)
    # The index counts all cells of the executed notebook (papermill's markers included).
    failing = nb.cells[run.error.cell_index]
    assert failing.source.startswith("raise ValueError")
    assert failing.outputs[0].output_type == "error"
    assert f"cell {run.error.cell_index}" in run.error.reason
    assert not kernels_left()


@pytest.mark.slow
def test_timeout_is_a_whole_job_budget(store: Store) -> None:
    started = time.monotonic()
    run = run_notebook(NOTEBOOKS / "sleeps.ipynb", store=store, timeout=2)
    assert time.monotonic() - started < 15
    assert run.status is RunStatus.TIMED_OUT
    assert run.error.reason.startswith("the job exceeded its timeout of 2 s")
    assert run.error.cell_index == 1
    nb = executed(store, run.run_id)
    assert nb.cells[1].source == "time.sleep(30)"
    assert not kernels_left()


@pytest.mark.slow
def test_metrics_buffered_before_a_timeout_are_kept(store: Store, tmp_path: Path) -> None:
    # The points wait in the kernel's buffer while the cell sleeps; the kernel is busy when
    # the budget runs out, so it is interrupted, then flushed, then killed.
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import time, workbench as wb\n"
                "for step in range(5):\n"
                "    wb.log_metric('loss', 1.0 / (step + 1), step=step)\n"
                "time.sleep(60)"
            )
        ],
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        },
    )
    path = tmp_path / "busy.ipynb"
    nbformat.write(nb, path)
    run = run_notebook(path, store=store, timeout=3)
    assert run.status is RunStatus.TIMED_OUT
    points = store.get_run(run.run_id).metric_history["loss"]
    assert [p.step for p in points] == [0, 1, 2, 3, 4]
    assert not kernels_left()


@pytest.mark.slow
def test_kernel_death_fails_with_reason(store: Store) -> None:
    run = run_notebook(NOTEBOOKS / "dies.ipynb", store=store)
    assert run.status is RunStatus.FAILED
    assert run.error.name == "DeadKernelError"
    assert run.error.reason == "the kernel died while running cell 1"
    executed(store, run.run_id)
    assert not kernels_left()


@pytest.mark.slow
@pytest.mark.usefixtures("ctrl_c")
def test_interrupt_cancels_the_run_and_stops_the_kernel(store: Store) -> None:
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_notebook(NOTEBOOKS / "sleeps.ipynb", store=store, timeout=25)
    finally:
        timer.cancel()
    (run,), _ = store.search_runs()
    assert run.status is RunStatus.CANCELLED
    assert run.executed_notebook is not None
    assert not kernels_left()


@pytest.mark.slow
def test_inherited_db_url_does_not_reach_the_kernel(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The runner's environment names another database; the job's kernel must log to the
    # store the job was given, whose database is the default one of its home.
    monkeypatch.setenv("WORKBENCH_DB_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    run = run_notebook(NOTEBOOKS / "tracked.ipynb", store=store)
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.metrics["accuracy"] == 0.9
    assert not (tmp_path / "elsewhere.db").exists()


@pytest.mark.slow
def test_demo_notebook_trains_and_logs(store: Store) -> None:
    source = json.loads(DEMO.read_text())
    assert all(not c.get("outputs") for c in source["cells"])  # shipped without outputs
    run = run_notebook(DEMO, {"n_estimators": 10}, store=store)
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.params["n_estimators"] == 10 and run.params["max_depth"] == 4
    assert len(run.metric_history["train_loss"]) == 10
    assert len(run.metric_history["val_accuracy"]) == 10
    assert 0.8 < run.metrics["accuracy"] <= 1 and 0.8 < run.metrics["f1"] <= 1
