"""Warm kernels on real kernels, real papermill and real SQLite: sweep jobs forked from a
zygote are as isolated as cold ones, fail, time out and cancel the same way, leave nothing
behind, run on Dask workers, and fall back to cold kernels when asked or when they cannot
be forked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from test_sweeps import fresh_store, job_kernels

from workbench.entities import Run, RunStatus, SweepOptions
from workbench.jobs.engine import run_sweep
from workbench.jobs.forked import TITLE as WORKER_TITLE
from workbench.jobs.plan import plan_sweep, spec_from_api
from workbench.store import RunFilter, Store

pytestmark = pytest.mark.slow

ZYGOTE = "workbench.notebooks.zygote"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

# Each job records what would tell it apart from another job or from a cold kernel.
PROBE = """
import gc, json, os, random, signal, sys, threading, time
import numpy, psutil, sklearn.ensemble, threadpoolctl  # BLAS and OpenMP
from tqdm.auto import tqdm as auto_tqdm  # which tqdm depends on a kernel at import
import workbench as wb
from workbench.notebooks import zygote
if seed >= 0:
    random.seed(seed)
    numpy.random.seed(seed)
leaked = "LEAK" in globals() or hasattr(numpy, "_leak")
parent = psutil.Process(os.getppid())
probe = {
    "py": random.random(),
    "np": float(numpy.random.rand()),
    "pid": os.getpid(),
    "leaked": leaked,
    "run_env": os.environ.get("WORKBENCH_RUN_ID"),
    "parent_pid": parent.pid,
    "forked_from": zygote.forked_from,
    "zygote": " ".join(psutil.Process(zygote.forked_from).cmdline()) if zygote.forked_from else "",
    "zygote_parent": psutil.Process(zygote.forked_from).ppid() if zygote.forked_from else None,
    "jpy_parent_pid": os.environ.get("JPY_PARENT_PID"),
    "argv0": os.path.basename(sys.argv[0]),
    "argv_flags": sys.argv[1:2],
    "path": sys.path,
    "cwd": os.getcwd(),
    "session_leader": os.getsid(0) == os.getpid(),
    "pgid_is_pid": os.getpgid(0) == os.getpid(),
    "sigterm": str(signal.getsignal(signal.SIGTERM)),
    "sigchld": str(signal.getsignal(signal.SIGCHLD)),
    "mask": sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    "env_keys": sorted(k for k in os.environ if k.startswith(("WORKBENCH_", "JPY_", "OMP_"))),
    "threads": sorted({(i["user_api"], i["num_threads"]) for i in threadpoolctl.threadpool_info()}),
    "proc_cmdline": " ".join(psutil.Process().cmdline()),
    "proc_env_run": psutil.Process().environ().get("WORKBENCH_RUN_ID"),
    "tqdm_auto": auto_tqdm.__module__,
    "gc": [gc.isenabled(), list(gc.get_threshold())],  # the zygote's collector is off
}
path = os.path.join(out, f"{os.getpid()}.json")
open(path + ".tmp", "w").write(json.dumps(probe))
os.replace(path + ".tmp", path)  # whole, for the test that polls the folder
LEAK = 1
numpy._leak = 1
wb.log_metric("py", probe["py"])
time.sleep(seconds)
if mode == "raise":
    raise ValueError("bad mode")
if mode == "die":
    os._exit(1)
"""


def probe_notebook(
    folder: Path, name: str = "probe.ipynb", extra: str = "", out: Path | None = None
) -> Path:
    params = new_code_cell(
        'seed: int = -1\nmode: str = "ok"\nseconds: float = 0.0\nx: int = 0\n'
        f"out: str = {str(out or '.')!r}"
    )
    params.metadata["tags"] = ["parameters"]
    cells = [params, new_code_cell(PROBE)]
    if extra:
        cells.append(new_code_cell(extra))
    path = folder / name
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}), path)
    return path


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    return fresh_store(tmp_path, monkeypatch)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "probes"
    folder.mkdir()
    return folder


def sweep(
    store: Store, notebook: Path, values: list[dict[str, Any]], **options: Any
) -> tuple[str, list[Run]]:
    """Plan and run a sweep here (its workers are real processes); its runs."""
    plan = plan_sweep(notebook, spec_from_api(values=values), SweepOptions(**options), store=store)
    run_sweep(plan.sweep_id, store)
    runs, _ = store.search_runs(RunFilter(sweep_id=plan.sweep_id))
    return plan.sweep_id, runs


def probes(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]


def warm(probe: dict[str, Any]) -> bool:
    """Forked by a zygote of the job's worker process (the kernel's parent, as cold)."""
    return (
        probe["forked_from"] is not None
        and ZYGOTE in probe["zygote"]
        and probe["zygote_parent"] == probe["parent_pid"]
    )


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(condition, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


# -- isolation ----------------------------------------------------------------------------


def test_warm_jobs_are_isolated_and_look_like_cold_ones(
    store: Store, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An explicit thread cap of 2: the zygote loaded BLAS with 1, so only threadpoolctl in
    # the forked kernel can make the job see 2.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "2")
    nb = probe_notebook(tmp_path)
    values = [{"x": i, "out": str(out)} for i in range(6)]
    values += [{"x": 6, "seed": 7, "out": str(out)}, {"x": 7, "seed": 7, "out": str(out)}]
    _, runs = sweep(store, nb, values, workers=2)
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}, [r.error for r in runs]
    found = probes(out)
    assert len(found) == 8
    by_run = {p["run_env"]: p for p in found}
    assert set(by_run) == {r.run_id for r in runs}  # each job saw its own run id
    unseeded = [by_run[r.run_id] for r in runs if "seed" not in r.params]
    seeded = [by_run[r.run_id] for r in runs if r.params.get("seed") == 7]
    assert len({p["py"] for p in unseeded}) == 6
    assert len({p["np"] for p in unseeded}) == 6
    assert seeded[0]["py"] == seeded[1]["py"] and seeded[0]["np"] == seeded[1]["np"]
    assert not any(p["leaked"] for p in found)
    assert len({p["pid"] for p in found}) == 8
    for p in found:
        assert warm(p), p
        assert p["threads"] == [["blas", 2], ["openmp", 2]], p["threads"]
        assert p["argv0"] == "ipykernel_launcher.py" and p["argv_flags"] == ["-f"]
        assert p["cwd"] == str(tmp_path) and "" in p["path"]
        assert p["session_leader"] and p["pgid_is_pid"]
        assert p["jpy_parent_pid"] == str(p["parent_pid"])  # the job's worker, as cold
        assert p["mask"] == []
        assert p["gc"] == [True, [700, 10, 10]]
        # what ps and psutil show: a kernel of this run, not the zygote
        assert "ipykernel_launcher" in p["proc_cmdline"] and ZYGOTE not in p["proc_cmdline"]
        assert p["proc_env_run"] == p["run_env"]
    assert all(r.executed_notebook for r in runs)


def test_a_cold_kernel_sees_the_same_process_as_a_warm_one(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "2")
    nb = probe_notebook(tmp_path)
    seen = {}
    for mode in ("warm", "cold"):
        folder = tmp_path / mode
        folder.mkdir()
        _, runs = sweep(store, nb, [{"x": 1, "out": str(folder)}], cold=mode == "cold")
        assert runs[0].status is RunStatus.SUCCEEDED, runs[0].error
        (seen[mode],) = probes(folder)
    hot, cold = seen["warm"], seen["cold"]
    assert warm(seen["warm"]) and seen["cold"]["forked_from"] is None
    same = (
        "argv0",
        "argv_flags",
        "path",
        "cwd",
        "session_leader",
        "pgid_is_pid",
        "sigterm",
        "sigchld",
        "mask",
        "env_keys",
        "threads",
        "leaked",
        "tqdm_auto",
        "gc",
    )
    assert {k: hot[k] for k in same} == {k: cold[k] for k in same}
    assert hot["proc_cmdline"].split()[1:3] == cold["proc_cmdline"].split()[1:3]
    assert hot["jpy_parent_pid"] == str(hot["parent_pid"])
    assert cold["jpy_parent_pid"] == str(cold["parent_pid"])


# -- faults -------------------------------------------------------------------------------


def test_faults_end_warm_jobs_as_they_end_cold_ones(
    store: Store, out: Path, tmp_path: Path
) -> None:
    nb = probe_notebook(tmp_path)
    values = [
        {"x": 1, "mode": "raise", "out": str(out)},
        {"x": 2, "mode": "die", "out": str(out)},
        {"x": 3, "seconds": 60.0, "out": str(out)},
        {"x": 4, "out": str(out)},
    ]
    _, runs = sweep(store, nb, values, workers=2, timeout=8)
    by_x = {r.params["x"]: r for r in runs}
    assert by_x[1].status is RunStatus.FAILED
    assert (by_x[1].error.name, by_x[1].error.value) == ("ValueError", "bad mode")
    assert by_x[2].status is RunStatus.FAILED
    assert by_x[2].error.name == "DeadKernelError"
    assert by_x[2].error.reason == "the kernel died while running cell 2"
    assert by_x[3].status is RunStatus.TIMED_OUT
    assert by_x[3].error.reason.startswith("the job exceeded its timeout of 8 s")
    # logged before the cell that timed out; written because the interrupt reached the
    # kernel's process group, so that the flush before the kill could run
    assert "py" in by_x[3].metrics
    assert by_x[4].status is RunStatus.SUCCEEDED
    assert all(r.executed_notebook for r in runs)
    assert all(warm(p) for p in probes(out))
    wait_for(lambda: not any(alive(p["pid"]) for p in probes(out)), timeout=10)


def test_cancel_kills_warm_kernels(store: Store, out: Path, tmp_path: Path) -> None:
    import workbench as wb

    nb = probe_notebook(tmp_path)
    handle = wb.sweep(nb, grid={"x": [1, 2, 3]}, params={"seconds": 60, "out": str(out)}, workers=2)
    wait_for(lambda: len(probes(out)) == 2)
    run_ids = [r.run_id for r in store.job_runs(handle.sweep_id)]
    assert len(job_kernels(run_ids)) == 2  # found as cold kernels are found
    store.request_cancel(sweep_id=handle.sweep_id)
    swept = handle.wait(timeout=60)
    assert swept.status is RunStatus.CANCELLED and swept.counts == {"cancelled": 3}
    pids = [p["pid"] for p in probes(out)]
    wait_for(lambda: not any(alive(pid) for pid in pids), timeout=10)
    assert not job_kernels(run_ids)


def test_sigkill_of_the_runner_leaves_no_kernel_or_zygote(
    store: Store, out: Path, tmp_path: Path
) -> None:
    nb = probe_notebook(tmp_path)
    code = (
        "import sys\n"
        "from workbench.jobs.engine import run_sweep\n"
        "from workbench.entities import SweepOptions\n"
        "from workbench.jobs.plan import plan_sweep, spec_from_api\n"
        f"plan = plan_sweep({str(nb)!r}, spec_from_api(grid={{'x': [1, 2, 3, 4]}}, "
        f"params={{'seconds': 60, 'out': {str(out)!r}}}), SweepOptions(workers=2))\n"
        "run_sweep(plan.sweep_id)\n"
    )
    runner = subprocess.Popen([sys.executable, "-c", code])
    try:
        wait_for(lambda: len(probes(out)) == 2)
        family = psutil.Process(runner.pid).children(recursive=True)
        zygotes = [p.pid for p in family if ZYGOTE in " ".join(p.cmdline())]
        workers = [p.pid for p in family if " ".join(p.cmdline()).strip() == WORKER_TITLE]
        # the runner's (its workers are forks of it), and one per worker process
        assert len(zygotes) == 3 and len(workers) == 2
        kernels = [p["pid"] for p in probes(out)]
        assert all(alive(pid) for pid in kernels)
        assert {psutil.Process(pid).ppid() for pid in kernels} == set(workers)
    finally:
        runner.kill()
        runner.wait()
    everything = [*kernels, *zygotes, *workers]
    wait_for(lambda: not any(alive(pid) for pid in everything), timeout=10)


def test_a_zygote_killed_mid_sweep_is_started_again(
    store: Store, out: Path, tmp_path: Path
) -> None:
    import workbench as wb

    nb = probe_notebook(tmp_path)
    handle = wb.sweep(
        nb, grid={"x": [1, 2, 3, 4, 5]}, params={"seconds": 1.0, "out": str(out)}, workers=1
    )
    wait_for(lambda: len(probes(out)) == 2)  # the second job's kernel runs
    first_zygote = probes(out)[0]["forked_from"]
    os.kill(first_zygote, signal.SIGKILL)
    swept = handle.wait(timeout=120)
    # the running kernel did not depend on its zygote; later jobs had a new one
    assert swept.counts == {"succeeded": 5}, [r.error for r in store.search_runs()[0]]
    zygotes = [p["forked_from"] for p in sorted(probes(out), key=lambda p: p["pid"])]
    assert len(set(zygotes)) == 2 and zygotes[:2] == [first_zygote] * 2
    assert all(warm(p) for p in probes(out))


# -- Dask -----------------------------------------------------------------------------------


def test_dask_workers_fork_warm_kernels(store: Store, out: Path, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    nb = probe_notebook(tmp_path)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        workers = set(client.run(os.getpid).values())
        _, runs = sweep(
            store,
            nb,
            [{"x": i, "out": str(out)} for i in range(4)],
            executor=cluster.scheduler_address,
        )
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}, [r.error for r in runs]
    found = probes(out)
    assert len(found) == 4
    assert all(warm(p) for p in found)
    # each kernel and its zygote belong to a Dask worker process, not to this process
    assert {p["parent_pid"] for p in found} <= workers


# -- fallback -------------------------------------------------------------------------------


def test_cold_option_and_a_non_python_kernel_run_cold(
    store: Store, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = probe_notebook(tmp_path)
    _, runs = sweep(store, nb, [{"x": 1, "out": str(out)}], cold=True)
    assert runs[0].status is RunStatus.SUCCEEDED
    (cold,) = probes(out)
    assert cold["forked_from"] is None and cold["jpy_parent_pid"] == str(cold["parent_pid"])

    # A kernel spec whose language is not Python (it runs ipykernel; bash's parameter
    # syntax x=2 is Python too) is started cold although the sweep is warm.
    nb = probe_notebook(tmp_path, name="other.ipynb", out=out)
    spec = tmp_path / "share" / "jupyter" / "kernels" / "notpython"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "not Python", "language": "bash"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    for p in out.glob("*.json"):
        p.unlink()
    _, runs = sweep(store, nb, [{"x": 2}], kernel="notpython")
    assert runs[0].status is RunStatus.SUCCEEDED, runs[0].error
    (other,) = probes(out)
    assert other["forked_from"] is None
    assert other["parent_pid"] == int(other["jpy_parent_pid"])


# -- what a zygote preloads -------------------------------------------------------------------


def test_preload_names_come_from_code_metadata_and_options(tmp_path: Path) -> None:
    from workbench.notebooks.preloads import notebook_imports, preload_settings

    cells = [
        new_code_cell(
            "%matplotlib inline\nimport os, json as j\nfrom sklearn.metrics import f1_score"
        ),
        new_code_cell("!pip list\nfrom . import sibling\nimport numpy.linalg"),
        new_code_cell("def f(:\n    import never"),  # does not parse: skipped
        new_code_cell("def g():\n    import pandas\n    return pandas"),
    ]
    nb = new_notebook(cells=cells, metadata={"workbench": {"preload": ["scipy", "-numpy"]}})
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    found = notebook_imports(path)
    assert found == ("os", "json", "sklearn.metrics", "numpy.linalg", "pandas", "scipy", "-numpy")
    warm = preload_settings([*found, "torch", "-pandas"])
    assert warm.preload == ("os", "json", "sklearn.metrics", "scipy", "torch")
    assert warm.exclude == {"numpy", "pandas"}


def test_the_zygote_never_imports_the_users_own_modules(
    store: Store, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A module of the user's (here on PYTHONPATH, so the zygote could find it) is user
    # code: only the jobs import it, each one afresh.
    lib = tmp_path / "lib"
    lib.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(lib))
    marker = tmp_path / "imported.txt"
    (lib / "mylocal.py").write_text(
        f"import os\nopen({str(marker)!r}, 'a').write(f'{{os.getpid()}}\\n')\nVALUE = 1\n"
    )
    nb = probe_notebook(tmp_path, extra="import mylocal\nassert mylocal.VALUE == 1")
    _, runs = sweep(store, nb, [{"x": i, "out": str(out)} for i in range(3)], workers=1)
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}, [r.error for r in runs]
    importers = [int(line) for line in marker.read_text().split()]
    assert sorted(importers) == sorted(p["pid"] for p in probes(out))


def test_a_module_in_the_jobs_folder_wins_over_a_preloaded_one(
    store: Store, out: Path, tmp_path: Path
) -> None:
    # tabulate is installed, so the zygote preloads it for this notebook; a cold kernel
    # imports the folder's tabulate.py instead (the folder comes first), so must a warm one.
    (tmp_path / "tabulate.py").write_text("SHADOWED = True\n")
    nb = probe_notebook(tmp_path, extra="import tabulate\nassert tabulate.SHADOWED")
    _, runs = sweep(store, nb, [{"x": 1, "out": str(out)}])
    assert runs[0].status is RunStatus.SUCCEEDED, runs[0].error
    assert warm(probes(out)[0])


def test_the_zygote_reports_a_module_that_starts_threads(tmp_path: Path) -> None:
    # Forking a process with threads is unsafe: such a module must not stay preloaded.
    (tmp_path / "spinner.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
    )
    (tmp_path / "quiet.py").write_text("VALUE = 1\n")
    code = (
        "import json, os, socket, sys\n"
        "from workbench.notebooks.zygote import Zygote\n"
        "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
        "z = Zygote(b, os.pipe()[0])\n"
        "print(json.dumps(z.preload(['quiet', 'spinner', 'json'], installed_only=False)))\n"
    )
    import workbench

    source = str(Path(workbench.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), source])}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert result["threads"] == "spinner" and result["loaded"] == ["quiet", "spinner"]
