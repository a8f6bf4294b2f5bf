"""`workbench run` checks parameters as a sweep does, and NaN is refused on every face.

Refusals happen before a run row is written or a kernel starts: the tests count runs and
sweeps in a real SQLite store and look for kernel processes. The accepted cases run real
kernels; the CLI is the real `python -m workbench` in a subprocess; POST sweeps goes to a
real jupyter_server.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
from test_cli import cli

import workbench as wb
from workbench.entities import RunStatus, SweepOptions
from workbench.errors import InvalidInput
from workbench.jobs.plan import plan_sweep, spec_from_api
from workbench.jobs.spec import SweepSpec, expand
from workbench.notebooks.execute import run_notebook
from workbench.notebooks.schema import notebook_schema
from workbench.store import Store, open_store

NOTEBOOKS = Path(__file__).parent / "notebooks"
SWEEP_JOB = NOTEBOOKS / "sweep_job.ipynb"  # x: int, opt: str, mode: str, seconds: float
NO_PARAMS = NOTEBOOKS / "raises.ipynb"  # no cell tagged parameters
NAN, INF = float("nan"), float("inf")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    home = tmp_path / ".workbench"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_RUN_ID", raising=False)
    store = open_store(home=str(home))
    yield store
    store.close()


def kernels_started() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def nothing_written(store: Store) -> bool:
    return store.search_runs(limit=1)[1] == 0 and store.list_sweeps() == []


# -- run_notebook refuses before anything exists --------------------------------------------

REFUSED = [
    # (notebook, parameters, words the message must contain)
    (
        SWEEP_JOB,
        {"nosuch": 1},
        ["no parameter 'nosuch'", "x, opt, mode, seconds", "--allow-unknown"],
    ),
    (SWEEP_JOB, {"x": "abc"}, ["parameter 'x' expects int, got 'abc'"]),
    (SWEEP_JOB, {"seconds": "fast"}, ["parameter 'seconds' expects float"]),
    (SWEEP_JOB, {"x": 2.5}, ["parameter 'x' expects int, got 2.5"]),
    (SWEEP_JOB, {"opt": NAN}, ["parameter 'opt' is nan", "finite"]),
    (SWEEP_JOB, {"seconds": "inf"}, ["parameter 'seconds' expects float, got 'inf'", "finite"]),
    (
        NO_PARAMS,
        {"x": 1},
        ["raises.ipynb has no cell tagged `parameters`", "View > Cell Toolbar > Tags", "(got x)"],
    ),
]


@pytest.mark.parametrize(("notebook", "params", "words"), REFUSED)
def test_run_refuses_bad_parameters_before_anything(
    store: Store, notebook: Path, params: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(InvalidInput) as err:
        run_notebook(notebook, params, store=store)
    for word in words:
        assert word in err.value.message, err.value.message
    assert "\n" not in err.value.message
    assert nothing_written(store)
    assert not kernels_started()


def test_cli_texts_are_read_for_the_parameter_type(store: Store) -> None:
    from workbench.notebooks.coerce import coerce_for_notebook
    from workbench.notebooks.params import parse_cli_params

    nb = nbformat.read(SWEEP_JOB, as_version=4)
    raw = parse_cli_params([("x", "3"), ("seconds", "0.1"), ("opt", "1e3"), ("mode", "true")])
    got = coerce_for_notebook(nb, raw)
    assert got == {"x": 3, "seconds": 0.1, "opt": "1e3", "mode": "true"}
    assert [type(v) for v in got.values()] == [int, float, str, str]


@pytest.mark.slow
def test_allow_unknown_injects_what_the_notebook_does_not_declare(store: Store) -> None:
    run = run_notebook(SWEEP_JOB, {"x": "2", "extra": "[1, 2]"}, store=store, allow_unknown=True)
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.params == {"x": 2, "extra": [1, 2]}
    # no parameters cell: allowed only when asked, injected in a new first cell
    plain = run_notebook(NOTEBOOKS / "tracked.ipynb", store=store)  # has one; sanity
    assert plain.status is RunStatus.SUCCEEDED
    run = run_notebook(NO_PARAMS, {"x": 5}, store=store, allow_unknown=True)
    assert run.status is RunStatus.FAILED and run.error.name == "ValueError"  # its own raise
    nb = nbformat.reads(store.executed_notebook(run.run_id).decode(), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "x = 5" in injected[0].source
    assert not kernels_started()


# -- the same refusals through the real CLI ---------------------------------------------------


CLI_REFUSED = [
    (["run", str(SWEEP_JOB), "-p", "nosuch", "1"], "no parameter 'nosuch'"),
    (["run", str(SWEEP_JOB), "-p", "x", "abc"], "parameter 'x' expects int, got 'abc'"),
    (["run", str(SWEEP_JOB), "-p", "seconds", "NaN"], "finite number"),
    (["run", str(NO_PARAMS), "-p", "x", "1"], "has no cell tagged `parameters`"),
    (["sweep", str(SWEEP_JOB), "--grid", "seconds=nan,1", "--workers", "1"], "'seconds'"),
    (["sweep", str(SWEEP_JOB), "--grid", "x=1", "-p", "seconds", "-inf"], "finite number"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "words"), CLI_REFUSED)
def test_cli_refusals_exit_2_with_nothing_written(
    tmp_path: Path, args: list[str], words: str
) -> None:
    home = tmp_path / ".workbench"
    done = cli(home, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: "), done.stderr
    assert words in lines[0]
    assert "running" not in done.stderr  # no run was announced
    store = open_store(home=str(home))
    try:
        assert nothing_written(store)
    finally:
        store.close()


@pytest.mark.slow
def test_cli_run_accepts_texts_of_the_right_type(tmp_path: Path) -> None:
    home = tmp_path / ".workbench"
    done = cli(
        home, "run", str(SWEEP_JOB), "-p", "x", "3", "-p", "opt", "1e3", "-p", "seconds", "0"
    )
    assert done.returncode == 0, done.stderr
    store = open_store(home=str(home))
    try:
        (run,), total = store.search_runs()
        assert total == 1
        assert run.params == {"x": 3, "opt": "1e3", "seconds": 0.0}
        assert isinstance(run.params["seconds"], float)
    finally:
        store.close()


# -- NaN: one rule for every sweep face --------------------------------------------------------

NAN_SPECS = [
    # (how the spec is made, the parameter the message must name)
    (lambda: spec_from_api(grid={"opt": [NAN, "adam"]}), "opt"),
    (lambda: spec_from_api(grid={"seconds": [INF]}), "seconds"),
    (lambda: spec_from_api(grid={"x": [1], "extra": [[1, NAN]]}), "extra"),
    (lambda: spec_from_api(params={"opt": -INF}), "opt"),
    (lambda: spec_from_api(values=[{"x": 1}, {"opt": NAN}]), "opt"),
    (lambda: spec_from_api(values=[{"extra": {"a": NAN}}]), "extra"),
    (lambda: SweepSpec.from_cli(grid=["seconds=nan,1"]), "seconds"),
    (lambda: SweepSpec.from_cli(grid=["extra=1,Infinity"]), "extra"),
    (lambda: SweepSpec.from_cli(grid=["x=1"], fixed={"extra": "-inf"}), "extra"),
    (lambda: SweepSpec.from_cli(random=["extra=choice(1,nan)"], n=2), "extra"),
]


@pytest.mark.parametrize(("make", "name"), NAN_SPECS)
def test_nan_is_refused_by_name_before_anything_is_stored(
    store: Store, tmp_path: Path, make: Any, name: str
) -> None:
    spec = make()
    schema = notebook_schema(SWEEP_JOB)
    with pytest.raises(InvalidInput, match=f"parameter '{name}'.*finite number"):
        expand(spec, schema, allow_unknown=True)
    with pytest.raises(InvalidInput, match=f"parameter '{name}'.*finite number"):
        plan_sweep(SWEEP_JOB, make(), SweepOptions(workers=1, allow_unknown=True), store=store)
    assert nothing_written(store)


def test_nan_is_refused_by_wb_sweep(store: Store) -> None:
    with pytest.raises(InvalidInput, match="parameter 'opt' is nan"):
        wb.sweep(str(SWEEP_JOB), grid={"opt": [NAN]}, workers=1)
    with pytest.raises(InvalidInput, match="parameter 'seconds' is inf"):
        wb.sweep(str(SWEEP_JOB), values=[{"seconds": INF}], workers=1)
    assert nothing_written(store)


def test_distributions_that_would_draw_infinities_are_refused() -> None:
    with pytest.raises(InvalidInput, match="too far apart"):
        SweepSpec.from_cli(random=["seconds=uniform(-1.7e308,1.7e308)"], n=3)
    with pytest.raises(InvalidInput, match="too large"):
        SweepSpec.from_cli(random=["seconds=normal(1e308,1e307)"], n=3)
    spec = SweepSpec.from_cli(random=["seconds=uniform(-1e300,1e300)"], n=50, seed=1)
    assert all(math.isfinite(p["seconds"]) for p in expand(spec, notebook_schema(SWEEP_JOB)))


# -- POST sweeps on a real server --------------------------------------------------------------


@pytest.fixture
def served_notebook(wb_home: Path, jp_root_dir: Path) -> str:
    path = Path(jp_root_dir) / "job.ipynb"
    path.write_bytes(SWEEP_JOB.read_bytes())
    return path.name


@pytest.mark.parametrize(
    "body",
    [
        '{"notebook": "job.ipynb", "grid": {"opt": [NaN]}}',
        '{"notebook": "job.ipynb", "params": {"seconds": Infinity}}',
        '{"notebook": "job.ipynb", "values": [{"opt": -Infinity}]}',
        json.dumps({"notebook": "job.ipynb", "grid": {"seconds": ["nan", "1"]}}),
    ],
)
async def test_post_sweeps_refuses_nan(jp_fetch, served_notebook: str, body: str) -> None:
    response = await jp_fetch(
        "workbench", "api", "sweeps", method="POST", body=body, raise_error=False
    )
    assert response.code == 400, response.body
    message = json.loads(response.body)["message"]
    assert "parameter '" in message and "use a finite number" in message, message
    store = open_store()
    try:
        assert nothing_written(store)
    finally:
        store.close()
