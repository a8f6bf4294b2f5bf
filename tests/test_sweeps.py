"""Sweeps end to end: real kernels, real papermill, real SQLite files, a real Dask cluster.

The notebook (tests/notebooks/sweep_job.ipynb) is tiny: it raises for x == 4, logs
``score`` (x, doubled for opt=sgd) and ``loss``, and has modes that fail in other ways.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

import psutil
import pytest

from workbench.cli import main
from workbench.entities import RunStatus, SweepOptions
from workbench.errors import InvalidInput
from workbench.store import RunFilter, Store, locate, open_store

NOTEBOOK = Path(__file__).parent / "notebooks" / "sweep_job.ipynb"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    return fresh_store(tmp_path, monkeypatch)


def fresh_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store in tmp_path that every process of the test (runners, workers) finds."""
    home = tmp_path / ".workbench"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_RUN_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    return open_store(home=str(home))


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def sweep_id_from(out: str) -> str:
    first = out.splitlines()[0]
    assert first.startswith("sweep "), out
    return first.split()[1].rstrip(":")


def job_kernels(run_ids: Iterable[str]) -> list[psutil.Process]:
    """ipykernel processes started for these runs (their environment names the run)."""
    wanted, found = set(run_ids), []
    for proc in psutil.process_iter():
        try:
            if (
                "ipykernel" in " ".join(proc.cmdline())
                and proc.environ().get("WORKBENCH_RUN_ID") in wanted
            ):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


def kernel_children() -> list[psutil.Process]:
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if "ipykernel" in " ".join(proc.cmdline()):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return found


def counts(store: Store) -> tuple[int, int]:
    return len(store.list_sweeps()), store.search_runs(limit=1)[1]


# -- no kernel ------------------------------------------------------------------------------


def test_params_prints_the_typed_schema(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "params", NOTEBOOK)
    assert code == 0
    assert out.split("\n")[0].split() == ["name", "type", "default", "help"]
    assert "seconds  float   0.0        how long the job sleeps" in out
    code, out, _ = cli(capsys, "params", NOTEBOOK, "--json")
    schema = json.loads(out)
    assert [(p["name"], p["type"], p["default"]) for p in schema] == [
        ("x", "int", 1),
        ("opt", "str", "adam"),
        ("mode", "str", "ok"),
        ("seconds", "float", 0.0),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--random", "x=lognormal(", "-n", "2"], "cannot read --random 'x=lognormal('"),
        (["--grid", "x="], "--grid x has no values"),
        (["--grid", "nope=1,2"], "the notebook has no parameter 'nope'"),
        (["--values", "rows.csv"], "in row 1 of rows.csv: the notebook has no parameter 'zzz'"),
        (["--grid", "x=1,abc"], "in --grid x: parameter 'x' expects int, got 'abc'"),
        (["--grid", "x=1", "--workers", "0"], "workers 0 is not usable"),
        (["--grid", "x=1", "--workers", "65"], "workers 65 is not usable"),
        (["--grid", "x=1", "--retries", "11"], "retries 11 is not usable"),
        (["--grid", "x=1", "--executor", "ssh://h"], "executor 'ssh://h' is not known"),
        (["--grid", "x=1", "--sort", "-"], "--sort '-' names nothing"),
    ],
)
def test_bad_specs_exit_2_and_start_nothing(
    store: Store,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "rows.csv").write_text("x,zzz\n1,2\n")
    before = counts(store)
    code, out, err = cli(capsys, "sweep", NOTEBOOK, *args)
    assert code == 2
    assert err.startswith("workbench: error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1
    assert counts(store) == before  # no sweep, no run
    assert not kernel_children()


def test_bad_api_specs_raise_before_anything_is_written(store: Store) -> None:
    from workbench.entities import SweepOptions
    from workbench.jobs.api import launch_sweep
    from workbench.jobs.plan import spec_from_api

    before = counts(store)
    for kwargs, message in [
        ({"grid": {"x": []}}, "--grid x has no values"),
        ({"grid": {"x": "1,2"}}, "must be a list"),
        ({"random": {"x": "int(1,"}, "n": 2}, "cannot read --random"),
        ({"values": [{"x": 1, "zzz": 2}]}, "no parameter 'zzz'"),
        ({"params": {"x": "abc"}}, "expects int"),
        ({"grid": {"x": [1]}, "retries": -1}, "retries -1 is not usable"),
        ({"grid": {"x": [1]}, "workers": 65}, "workers 65 is not usable"),
        ({"grid": {"x": [1]}, "executor": "mpi"}, "executor 'mpi' is not known"),
    ]:
        opts = {k: kwargs.pop(k) for k in ("retries", "workers", "executor") if k in kwargs}
        with pytest.raises(InvalidInput, match=message):
            launch_sweep(str(NOTEBOOK), spec_from_api(**kwargs), SweepOptions(**opts), store=store)
    assert counts(store) == before


def test_a_run_whose_heartbeat_stopped_becomes_lost_when_a_store_opens(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = store.create_run(status=RunStatus.RUNNING)
    dead_sweep = store.create_sweep(
        notebook="nb",
        notebook_sha256="0" * 64,
        experiment=None,
        spec={},
        options=SweepOptions(),
        jobs=[({"x": 1}, "k1")],
    ).sweep_id
    monkeypatch.setenv("WORKBENCH_LOST_AFTER", "0.5")
    time.sleep(1.0)
    live_sweep = store.create_sweep(
        notebook="nb",
        notebook_sha256="0" * 64,
        experiment=None,
        spec={},
        options=SweepOptions(),
        jobs=[({"x": 2}, "k2")],
    ).sweep_id
    fresh = store.create_run(status=RunStatus.RUNNING)

    reopened = Store(locate(store.location.home))  # what any new Workbench process does
    try:
        assert reopened.get_run(stale).status is RunStatus.LOST
        assert "heartbeat stopped" in reopened.get_run(stale).error.reason
        assert reopened.get_run(fresh).status is RunStatus.RUNNING
        assert reopened.get_sweep(dead_sweep).status is RunStatus.LOST
        assert reopened.get_sweep(dead_sweep).counts == {"lost": 1}
        assert reopened.get_sweep(live_sweep).counts == {"queued": 1}  # its runner is alive
    finally:
        reopened.close()


# -- real kernels -------------------------------------------------------------------------


@pytest.mark.slow
def test_grid_of_12_with_2_failing_then_skip_and_force(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = ["--grid", "x=1,2,3,4,5,6", "--grid", "opt=adam,sgd"]
    code, out, err = cli(capsys, "sweep", NOTEBOOK, *grid, "--workers", "2", "--sort", "-score")
    assert code == 1, err  # two jobs failed
    sweep_id = sweep_id_from(out)
    assert "12 jobs" in out.splitlines()[0]
    sweep = store.get_sweep(sweep_id)
    assert sweep.status is RunStatus.SUCCEEDED  # the sweep ran, whatever its jobs did
    runs, total = store.search_runs(RunFilter(sweep_id=sweep_id))
    assert sweep.counts == {"succeeded": 10, "failed": 2}, [(r.params, r.error) for r in runs]
    assert total == 12 and {r.source for r in runs} == {"job"}
    for run in runs:
        assert run.executed_notebook is not None
        assert b"injected-parameters" in store.executed_notebook(run.run_id)
        assert run.provenance["notebook_sha256"] == sweep.notebook_sha256
    failed = sorted((r.params["x"], r.params["opt"]) for r in runs if r.status.value == "failed")
    assert failed == [(4, "adam"), (4, "sgd")]
    assert all(r.error.name == "ValueError" for r in runs if r.params["x"] == 4)
    best = max(runs, key=lambda r: r.metrics.get("score", -1))
    assert (best.params, best.metrics["score"]) == ({"x": 6, "opt": "sgd"}, 12.0)

    # The leaderboard: every job's latest attempt, best score first, failures last.
    board = out[out.index("run ") :].splitlines()
    assert board[0].split() == ["run", "status", "attempt", "opt", "x", "score", "loss", "duration"]
    assert board[2].split()[:6] == [best.run_id[:8], "succeeded", "1", "sgd", "6", "12"]
    assert [line.split()[1] for line in board[-4:-2]] == ["failed", "failed"]
    assert "sorted by score, descending" in out
    assert err.count(" succeeded ") == 10  # one line per finished job (no terminal here)

    code, out, _ = cli(capsys, "sweeps", "--json")
    listed = json.loads(out)
    assert listed[0]["sweep_id"] == sweep_id and listed[0]["counts"] == sweep.counts

    # The same sweep again: the 10 successes are skipped, the 2 failures run again.
    code, out, _ = cli(capsys, "sweep", NOTEBOOK, *grid, "--workers", "2")
    assert code == 1
    assert "2 jobs, 10 already succeeded, skipped" in out.splitlines()[0]
    assert store.get_sweep(sweep_id_from(out)).counts == {"failed": 2}

    # A job that succeeded is skipped (nothing starts) unless --force.
    code, out, _ = cli(capsys, "sweep", NOTEBOOK, "--grid", "x=5,5", "-p", "opt", "adam")
    assert code == 0
    assert "0 jobs, 1 duplicate parameter set merged, 1 already succeeded" in out
    assert store.get_sweep(sweep_id_from(out)).status is RunStatus.SUCCEEDED
    code, out, _ = cli(
        capsys, "sweep", NOTEBOOK, "--grid", "x=5", "-p", "opt", "adam", "--force", "--workers", "1"
    )
    assert code == 0
    assert store.get_sweep(sweep_id_from(out)).counts == {"succeeded": 1}


@pytest.mark.slow
def test_python_api_runs_in_the_background(store: Store) -> None:
    import workbench as wb

    handle = wb.sweep(
        NOTEBOOK, grid={"x": [1, 2]}, params={"opt": "sgd"}, workers=2, experiment="api"
    )
    launched = handle.status()  # returned before the jobs ran
    assert launched.total == 2 and launched.done < 2
    assert f"sweep {handle.sweep_id[:8]} of sweep_job.ipynb" in repr(handle)

    sweep = handle.wait(timeout=180)
    assert sweep.status is RunStatus.SUCCEEDED and sweep.counts == {"succeeded": 2}
    assert sweep.runner is not None and sweep.runner.split(":")[1] != str(os.getpid())
    frame = handle.runs()
    assert sorted(frame["params.x"]) == [1, 2]
    assert set(frame["status"]) == {"succeeded"} and set(frame["experiment"]) == {"api"}
    assert sorted(frame["metrics.score"]) == [2.0, 4.0]
    board = handle.leaderboard("-score")
    assert list(board["params.x"]) == [2, 1]
    # The query language's order works too, here ascending by a metric's summary.
    assert list(handle.leaderboard("metrics.score.max asc")["params.x"]) == [1, 2]
    with pytest.raises(InvalidInput, match="unknown field"):
        handle.leaderboard("score.max desc")
    assert (store.location.home / "sweeps" / f"{handle.sweep_id}.log").exists()


@pytest.mark.slow
def test_sweep_on_a_dask_local_cluster(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, "sweep", NOTEBOOK, "--grid", "x=1,2,3", "--executor", "dask", "--workers", "2"
    )
    assert code == 0, err
    sweep = store.get_sweep(sweep_id_from(out))
    assert sweep.options.executor == "dask"
    assert sweep.counts == {"succeeded": 3}
    runs, _ = store.search_runs(RunFilter(sweep_id=sweep.sweep_id))
    assert sorted(r.metrics["score"] for r in runs) == [1.0, 2.0, 3.0]
    assert not job_kernels(r.run_id for r in runs)
