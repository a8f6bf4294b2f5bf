"""The fluent tracking API, in subprocesses and in a real kernel, on real SQLite files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.entities import RunStatus
from workbench.errors import InvalidInput
from workbench.store import Store, locate

ROOT = Path(__file__).resolve().parents[1]


def python(code: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "WORKBENCH_RUN_ID"}
    full_env = {**base, "WORKBENCH_HOME": str(home), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / ".workbench"


def open_home(home: Path) -> Store:
    return Store(locate(home))


def test_points_buffered_are_written_at_exit(home: Path) -> None:
    out = python(
        """
        import workbench as wb
        wb.log_param("lr", 0.1)
        for i in range(100_000):
            wb.log_metric("loss", 1 / (i + 1), step=i)
        wb.log_metric("acc", 0.9)
        # no end_run: interpreter exit must flush and end the run
        """,
        home,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("Workbench: logging to run") == 1
    store = open_home(home)
    runs, total = store.search_runs()
    assert total == 1
    run = store.get_run(runs[0].run_id)
    assert run.status is RunStatus.SUCCEEDED
    assert len(run.metric_history["loss"]) == 100_000
    assert run.metrics == {"loss": 1 / 100_000, "acc": 0.9}
    assert run.params == {"lr": 0.1}
    assert run.source == "script"
    prov = run.provenance
    assert prov["python_version"] and prov["host"] and prov["user"]
    assert [a.name for a in run.artifacts] == ["environment/packages.txt"]
    packages = store.blobs.read_bytes(run.artifacts[0].digest).decode()
    assert "SQLAlchemy==" in packages or "sqlalchemy==" in packages.lower()


def test_start_run_context_manager_and_steps(home: Path) -> None:
    out = python(
        """
        import workbench as wb
        with wb.start_run(name="ctx", experiment="e1", tags={"k": "v"}) as run:
            for v in (3.0, 2.0, 1.0):
                wb.log_metric("loss", v)          # steps 0, 1, 2
            wb.log_metrics({"a": 1, "b": 2}, step=7)
            wb.set_tag("stage", "dev")
            print("ID", run.run_id, wb.active_run().run_id == run.run_id)
        print("AFTER", wb.active_run())
        try:
            with wb.start_run(name="boom"):
                raise ValueError("bad data")
        except ValueError:
            pass
        """,
        home,
    )
    assert out.returncode == 0, out.stderr
    assert "AFTER None" in out.stdout and " True" in out.stdout
    store = open_home(home)
    by_name = {r.name: r for r in store.search_runs()[0]}
    run = store.get_run(by_name["ctx"].run_id)
    assert run.status is RunStatus.SUCCEEDED and run.experiment == "e1"
    assert [p.step for p in run.metric_history["loss"]] == [0, 1, 2]
    assert run.metric_history["a"][0].step == 7
    assert run.tags == {"k": "v", "stage": "dev"}
    boom = by_name["boom"]
    assert boom.status is RunStatus.FAILED
    assert boom.error.name == "ValueError" and boom.error.value == "bad data"


def test_job_run_is_used_and_left_to_the_runner(home: Path) -> None:
    store = open_home(home)
    run_id = store.create_run(source="job")
    out = python(
        """
        import workbench as wb
        wb.log_metric("m", 1.0)
        wb.end_run()          # the runner owns the status: only flushes
        wb.log_metric("m", 2.0)
        """,
        home,
        WORKBENCH_RUN_ID=run_id,
    )
    assert out.returncode == 0, out.stderr
    assert "logging to run" not in out.stdout
    run = store.get_run(run_id)
    assert run.status is RunStatus.RUNNING
    assert [p.value for p in run.metric_history["m"]] == [1.0, 2.0]
    assert store.search_runs()[1] == 1


def test_bad_values_are_refused(home: Path) -> None:
    out = python(
        """
        import workbench as wb
        from workbench.errors import InvalidInput
        for call in (lambda: wb.log_metric("m", "abc"), lambda: wb.log_metric("", 1.0),
                     lambda: wb.log_metric("m", 1.0, step=1.5), lambda: wb.log_artifact("/nope")):
            try:
                call()
            except InvalidInput as e:
                print("REFUSED", e)
        """,
        home,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("REFUSED") == 4
    assert "log a number" in out.stdout


def test_nan_is_refused_at_the_call_and_nothing_is_kept(home: Path) -> None:
    out = python(
        """
        import workbench as wb
        from workbench.errors import InvalidInput
        with wb.start_run(name="n") as run:
            wb.log_metric("loss", 1.0)
            try:
                wb.log_metric("loss", float("nan"))
            except InvalidInput as e:
                print("REFUSED", e)
            wb.log_metric("loss", 0.5)
        """,
        home,
    )
    assert out.returncode == 0, out.stderr
    assert "REFUSED metric 'loss' got NaN" in out.stdout
    (run,), _ = open_home(home).search_runs()
    assert run.status is RunStatus.SUCCEEDED
    summary = run.metric_summary["loss"]
    assert (summary.last, summary.min, summary.max, summary.count) == (0.5, 0.5, 1.0, 2)


def test_a_refused_value_says_what_the_store_says_and_opens_no_run(home: Path) -> None:
    out = python(
        """
        import numpy as np
        import workbench as wb
        from workbench.errors import InvalidInput
        from workbench.store import open_store
        for value in (float("nan"), np.float64("nan"), np.float32("nan")):
            try:
                wb.log_metric("loss", value)  # no run yet: this call would open one
            except InvalidInput as e:
                print("FLUENT", e)
        store = open_store()
        print("RUNS", len(store.search_runs()[0]))
        run_id = store.create_run()
        try:
            store.log_batch(run_id, [("loss", float("nan"), 0, 0.0)])
        except InvalidInput as e:
            print("STORE", e)
        """,
        home,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    fluent = [line.removeprefix("FLUENT ") for line in lines if line.startswith("FLUENT ")]
    (store,) = [line.removeprefix("STORE ") for line in lines if line.startswith("STORE ")]
    assert fluent == [store] * 3 and "metric 'loss' got NaN" in store
    assert "RUNS 0" in lines  # a refused value opened no run


def test_import_workbench_leaves_the_store_unloaded(home: Path) -> None:
    """`import workbench` stays light: SQLAlchemy, pandas and lark load on first use."""
    out = python(
        """
        import sys
        import workbench as wb
        heavy = ("sqlalchemy", "pandas", "lark", "papermill", "alembic")
        print("LOADED", [m for m in heavy if m in sys.modules])
        wb.log_param("lr", 0.1)
        print("AFTER", "sqlalchemy" in sys.modules)
        """,
        home,
    )
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stdout and "AFTER True" in out.stdout


def test_runs_frame_takes_the_query_language(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = python(
        """
        import workbench as wb
        for i in range(6):
            with wb.start_run(name=f"r{i}", experiment="even" if i % 2 == 0 else "odd"):
                wb.log_params({"lr": i / 10, "model": "tree" if i < 3 else "forest"})
                for step in range(i + 1):
                    wb.log_metric("acc", i / 10 + step / 100)
                if i != 5:
                    wb.set_tag("stage", "dev")
        """,
        home,
    )
    assert out.returncode == 0, out.stderr
    import workbench as wb

    store = open_home(home)
    where = "metrics.acc > 0.2 and params.model = 'forest' or tags.stage is null"
    runs, total = store.search_runs(where=where, order_by="metrics.acc desc")
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    frame = wb.runs(where=where, order_by="metrics.acc desc")
    assert list(frame["run_id"]) == [r.run_id for r in runs] and len(frame) == total == 3
    assert list(frame["name"]) == ["r5", "r4", "r3"]
    assert frame["metrics.acc"].tolist() == pytest.approx([0.55, 0.44, 0.33])
    assert frame["params.lr"].tolist() == [0.5, 0.4, 0.3]
    # paging, the old filters, and columns picked by field
    page = wb.runs(experiment="even", order_by="params.lr", limit=2, offset=1)
    assert page["name"].tolist() == ["r2", "r4"]
    picked = wb.runs(where="params.lr < 0.25", columns="name, metrics.acc.count, metrics.acc.max")
    assert picked.columns.tolist() == ["name", "metrics.acc.count", "metrics.acc.max"]
    assert picked["name"].tolist() == ["r2", "r1", "r0"]  # newest first
    assert picked["metrics.acc.count"].tolist() == [3, 2, 1]
    assert picked["metrics.acc.max"].tolist() == pytest.approx([0.22, 0.11, 0.0])
    assert len(wb.runs()) == 6 and wb.runs()["name"].tolist()[0] == "r5"
    empty = wb.runs(where="metrics.acc > 5")
    assert len(empty) == 0 and "params.lr" not in empty.columns
    with pytest.raises(InvalidInput, match="did you mean metrics.acc"):
        wb.runs(where="acc > 0.5")


def test_concurrent_writers(home: Path) -> None:
    """8 processes each logging 2,000 points into one store: 16,000 rows, no error."""
    open_home(home).close()
    code = """
        import workbench as wb
        from workbench.tracking import fluent
        fluent.FLUSH_POINTS = 100   # many small write transactions, to contend for the lock
        with wb.start_run(name="w"):
            for i in range(2000):
                wb.log_metric("x", float(i), step=i)
        """
    env = {**os.environ, "WORKBENCH_HOME": str(home), "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    errors = [p.communicate(timeout=180)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    store = open_home(home)
    assert store.count_metric_points() == 16_000
    runs, total = store.search_runs()
    assert total == 8 and {r.status for r in runs} == {RunStatus.SUCCEEDED}


@pytest.mark.slow
def test_interactive_kernel_run_is_attributed_to_its_notebook(home: Path, tmp_path: Path) -> None:
    """A real kernel with the server's session env: first log call opens a run for the notebook."""
    from jupyter_client.manager import start_new_kernel

    nb = tmp_path / "analysis.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "JPY_SESSION_NAME": "analysis.ipynb",
        "WORKBENCH_SERVER_ROOT": str(tmp_path),
    }
    env.pop("WORKBENCH_RUN_ID", None)
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    try:
        outputs: list[str] = []

        def run(code: str) -> None:
            reply = kc.execute_interactive(
                code,
                timeout=60,
                output_hook=lambda m: outputs.append(m["content"].get("text", "")),
            )
            assert reply["content"]["status"] == "ok", reply["content"]

        run("import workbench as wb\nwb.log_param('lr', 0.1)")
        run("for i in range(50):\n    wb.log_metric('loss', 1 / (i + 1), step=i)")
        run("wb.log_metric('loss', 0.001, step=50)")
        text = "".join(outputs)
        assert text.count("Workbench: logging to run") == 1
        assert "analysis.ipynb" in text
    finally:
        km.shutdown_kernel(now=False)  # a normal shutdown: buffered points must survive
        kc.stop_channels()
    store = open_home(home)
    runs, _ = store.search_runs()
    assert len(runs) == 1
    run = store.get_run(runs[0].run_id)
    assert run.notebook == str(nb.resolve()) and run.source == "interactive"
    assert len(run.metric_history["loss"]) == 51 and run.metrics["loss"] == 0.001
    assert run.provenance["notebook_sha256"] and run.status is RunStatus.SUCCEEDED


def test_git_provenance_names_the_commit_and_whether_tracked_files_changed(
    tmp_path: Path,
) -> None:
    from workbench.tracking.provenance import git_info

    repo = tmp_path / "repo"
    repo.mkdir()
    assert git_info(repo) == {}  # not a repository

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.email=a@b.c", "-c", "user.name=n", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    git("init", "-q")
    assert git_info(repo) == {}  # no commit yet
    (repo / "train.py").write_text("x = 1\n")
    git("add", "train.py")
    git("commit", "-qm", "first")
    head = git("rev-parse", "HEAD")
    assert git_info(repo) == {"git_commit": head, "git_dirty": False}
    (repo / "notes.txt").write_text("untracked files do not count\n")
    assert git_info(repo) == {"git_commit": head, "git_dirty": False}
    (repo / "train.py").write_text("x = 2\n")
    assert git_info(repo) == {"git_commit": head, "git_dirty": True}
