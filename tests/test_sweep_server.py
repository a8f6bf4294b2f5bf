"""The sweeps REST API on a real jupyter_server, a real SQLite store and real kernels.

Routes: GET/POST sweeps, GET/DELETE sweeps/{id}, GET notebooks/parameters. The launch and
cancel tests start real sweep runners (papermill jobs in fresh kernels) through the API.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from server_api import as_json, assert_error, call, write_notebook
from tornado.httpclient import HTTPResponse

from workbench.entities import RunStatus, SweepOptions
from workbench.store import Store

FINISHED = {s.value for s in RunStatus if s.finished}


# -- server, store and notebooks ------------------------------------------------------------


@pytest.fixture
def root(wb_home: Path, jp_root_dir: Path) -> Path:
    """The server root with three notebooks: typed parameters, a sleeper, no parameters."""
    root = Path(jp_root_dir).resolve()
    write_notebook(
        root / "square.ipynb",
        'x: int = 1  # the input\nscale: float = 0.5  # multiplier\nlabel = "a"',
        'import workbench as wb\nwb.log_metric("y", x * scale)',
    )
    (root / "sub").mkdir()
    write_notebook(
        root / "sub" / "sleeper.ipynb", "seconds: float = 60", "import time\ntime.sleep(seconds)"
    )
    write_notebook(root / "plain.ipynb", None, "print(1)")
    return root


async def _sweeps(jp_fetch) -> list[dict[str, Any]]:
    response = await call(jp_fetch, "GET", "sweeps")
    assert response.code == 200, response.body
    return list(as_json(response)["sweeps"])


async def _wait_sweep(jp_fetch, sweep_id: str, until: Any, timeout_s: float = 180) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        response = await call(jp_fetch, "GET", "sweeps", sweep_id)
        assert response.code == 200, response.body
        sweep = as_json(response)
        if until(sweep):
            return sweep
        if time.monotonic() > deadline:
            pytest.fail(f"sweep {sweep_id} did not get there in {timeout_s}s: {sweep}")
        await asyncio.sleep(0.5)


# -- GET notebooks/parameters -----------------------------------------------------------------


async def test_parameters_schema(jp_fetch, root) -> None:
    response = await call(
        jp_fetch, "GET", "notebooks", "parameters", params={"path": "square.ipynb"}
    )
    assert response.code == 200, response.body
    body = as_json(response)
    assert body["path"] == "square.ipynb"
    by_name = {p["name"]: p for p in body["parameters"]}
    assert list(by_name) == ["x", "scale", "label"]
    assert by_name["x"] == {
        "name": "x",
        "type": "int",
        "nullable": False,
        "default": 1,
        "default_repr": "1",
        "default_is_literal": True,
        "help": "the input",
    }
    assert by_name["scale"]["type"] == "float" and by_name["scale"]["help"] == "multiplier"
    assert by_name["label"]["type"] == "str" and by_name["label"]["default"] == "a"

    nested = await call(
        jp_fetch, "GET", "notebooks", "parameters", params={"path": "sub/sleeper.ipynb"}
    )
    assert [p["name"] for p in as_json(nested)["parameters"]] == ["seconds"]


async def test_parameters_errors(jp_fetch, root) -> None:
    outside = root.parent / "outside.ipynb"
    write_notebook(outside, "secret = 1")
    (root / "link.ipynb").symlink_to(outside)

    async def get(**params: str) -> HTTPResponse:
        return await call(jp_fetch, "GET", "notebooks", "parameters", params=params)

    message = assert_error(await get(path="plain.ipynb"), 400, "invalid_input")
    assert "parameters" in message and "tag" in message
    assert "not found" in assert_error(await get(path="missing.ipynb"), 404, "not_found")
    assert_error(await get(), 400, "invalid_input")  # no path at all
    for escape in ("../outside.ipynb", str(outside), "link.ipynb", "sub/../../outside.ipynb"):
        message = assert_error(await get(path=escape), 403, "forbidden")
        assert "secret" not in message


# -- POST sweeps: bad requests launch nothing -------------------------------------------------


BAD_BODIES = [
    # (body, status, words the message must contain)
    ({"notebook": "square.ipynb", "grid": {"nope": [1]}}, 400, ["nope", "x, scale, label"]),
    ({"notebook": "square.ipynb", "grid": {"x": ["abc"]}}, 400, ["'x'", "int"]),
    ({"notebook": "square.ipynb", "params": {"scale": "fast"}}, 400, ["'scale'", "float"]),
    ({"notebook": "square.ipynb", "grid": {"x": []}}, 400, ["grid", "x", "no values"]),
    ({"notebook": "square.ipynb", "grid": {}}, 400, ["grid", "empty"]),
    ({"notebook": "square.ipynb", "executor": "mpi"}, 400, ["executor", "tcp://HOST:PORT"]),
    ({"notebook": "square.ipynb", "executor": "tcp://host:99999"}, 400, ["executor"]),
    ({"notebook": "square.ipynb", "workers": 0}, 400, ["workers"]),
    ({"notebook": "square.ipynb", "workers": 65}, 400, ["workers"]),
    ({"notebook": "square.ipynb", "workers": "2"}, 400, ["workers"]),
    ({"notebook": "square.ipynb", "timeout": 0}, 400, ["timeout"]),
    ({"notebook": "square.ipynb", "retries": 11}, 400, ["retries"]),
    ({"notebook": "square.ipynb", "grid": {"x y": [1]}}, 400, ["grid", "identifier"]),
    ({"notebook": "square.ipynb", "random": {"scale": "lognormal("}}, 400, ["random scale"]),
    ({"notebook": "square.ipynb", "random": {"scale": "uniform(0,1)"}}, 400, ["needs n"]),
    ({"notebook": "square.ipynb", "n": 3}, 400, ["n", "random"]),
    ({"notebook": "square.ipynb", "values": []}, 400, ["values", "rows"]),
    ({"notebook": "square.ipynb", "gird": {"x": [1]}}, 400, ["gird"]),
    ({"grid": {"x": [1]}}, 400, ["notebook: required"]),
    ({"notebook": "plain.ipynb", "grid": {"x": [1]}}, 400, ["parameters"]),
    ({"notebook": "missing.ipynb"}, 400, ["notebook", "not found"]),
    ({"notebook": "../outside.ipynb"}, 403, ["outside the server root"]),
    ({"notebook": "/etc/passwd"}, 403, ["absolute"]),
    ({"notebook": "link.ipynb"}, 403, ["outside the server root"]),
    ("{not json", 400, ["JSON"]),
]


@pytest.mark.parametrize(("body", "status", "words"), BAD_BODIES)
async def test_bad_sweep_requests_launch_nothing(
    jp_fetch, root, store: Store, body: Any, status: int, words: list[str]
) -> None:
    outside = root.parent / "outside.ipynb"
    write_notebook(outside, "x = 1")
    (root / "link.ipynb").symlink_to(outside)
    response = await call(jp_fetch, "POST", "sweeps", body=body)
    message = assert_error(response, status, "invalid_input" if status == 400 else "forbidden")
    for word in words:
        assert word in message, message
    assert store.list_sweeps() == []
    assert store.search_runs()[1] == 0


# -- GET sweeps, GET sweeps/{id}: progress and runs, from the store ---------------------------


async def test_list_and_describe_progress(jp_fetch, root, store: Store) -> None:
    notebook = str(root / "square.ipynb")
    jobs = [({"x": x}, f"key{x}") for x in (1, 2, 3)]
    older = store.create_sweep(
        notebook=notebook,
        notebook_sha256="s",
        experiment="old",
        spec={},
        options=SweepOptions(),
        jobs=[({"x": 1}, "an-older-job")],  # its own key: a key is queued once
    ).sweep_id
    store.set_sweep_status(older, RunStatus.SUCCEEDED)
    sweep_id = store.create_sweep(
        notebook=notebook,
        notebook_sha256="s",
        experiment="exp",
        spec={"grid": {"x": [1, 2, 3]}},
        options=SweepOptions(workers=2),
        jobs=jobs,
    ).sweep_id
    first, second, third = (j.run_id for j in store.job_runs(sweep_id))
    store.log_batch(first, metrics=[("y", 0.5, 0, time.time())])
    store.set_status(first, RunStatus.SUCCEEDED)
    store.set_status(second, RunStatus.FAILED)
    retry = store.new_attempt(second)  # queued, attempt 2
    store.set_status(third, RunStatus.RUNNING)

    listed = await _sweeps(jp_fetch)
    assert [s["sweep_id"] for s in listed] == [sweep_id, older]  # newest first
    summary = listed[0]
    assert summary["notebook_path"] == "square.ipynb"
    assert summary["experiment"] == "exp"
    assert summary["status"] == "running"
    assert summary["counts"] == {
        "queued": 1,
        "running": 1,
        "succeeded": 1,
        "failed": 0,
        "timed_out": 0,
        "cancelled": 0,
        "lost": 0,
    }  # the failed first attempt is superseded by its queued retry
    assert (summary["total"], summary["done"]) == (3, 1)
    assert summary["spec"] == {"grid": {"x": [1, 2, 3]}}
    assert "runs" not in summary
    limited = as_json(await call(jp_fetch, "GET", "sweeps", params={"limit": "1"}))
    assert [s["sweep_id"] for s in limited["sweeps"]] == [sweep_id]

    response = await call(jp_fetch, "GET", "sweeps", sweep_id)
    assert response.code == 200, response.body
    detail = as_json(response)
    assert {k: v for k, v in detail.items() if k in summary} == summary
    assert detail["runs_total"] == 4
    runs = [(r["run_id"], r["attempt"], r["status"]) for r in detail["runs"]]
    assert runs == [
        (first, 1, "succeeded"),
        (second, 1, "failed"),
        (third, 1, "running"),
        (retry, 2, "queued"),
    ]
    assert detail["runs"][0]["params"] == {"x": 1}
    assert detail["runs"][0]["metrics"] == {"y": 0.5}
    assert detail["runs"][0]["source"] == "job"
    assert detail["runs"][0]["notebook_path"] == "square.ipynb"

    page = as_json(
        await call(jp_fetch, "GET", "sweeps", sweep_id, params={"limit": "2", "offset": "1"})
    )
    assert [r["run_id"] for r in page["runs"]] == [second, third]
    assert (page["limit"], page["offset"], page["runs_total"]) == (2, 1, 4)


async def test_unknown_sweep_and_bad_queries(jp_fetch, root) -> None:
    assert_error(await call(jp_fetch, "GET", "sweeps", "nope"), 404, "not_found")
    assert_error(await call(jp_fetch, "DELETE", "sweeps", "nope"), 404, "not_found")
    bad = await call(jp_fetch, "GET", "sweeps", params={"limit": "0"})
    assert "limit" in assert_error(bad, 400, "invalid_input")
    bad = await call(jp_fetch, "GET", "sweeps", "nope", params={"offset": "-1"})
    assert "offset" in assert_error(bad, 400, "invalid_input")
    assert_error(await call(jp_fetch, "PUT", "sweeps", body="{}"), 405, "method_not_allowed")


# -- real sweeps: launch, progress, cancel ----------------------------------------------------


@pytest.mark.slow
async def test_launched_sweep_completes(jp_fetch, root) -> None:
    body = {
        "notebook": "square.ipynb",
        "grid": {"x": [1, 2, 3]},
        "params": {"scale": 2},
        "workers": 2,
        "timeout": 120,
        "experiment": "api",
    }
    response = await call(jp_fetch, "POST", "sweeps", body=body)
    assert response.code == 201, response.body
    created = as_json(response)
    sweep_id = created["sweep_id"]
    assert created["total"] == 3
    assert created["notebook_path"] == "square.ipynb"
    assert created["experiment"] == "api"
    assert [s["sweep_id"] for s in await _sweeps(jp_fetch)] == [sweep_id]

    done = await _wait_sweep(jp_fetch, sweep_id, lambda s: s["status"] in FINISHED)
    assert done["status"] == "succeeded", done
    assert done["counts"]["succeeded"] == 3
    assert (done["total"], done["done"], done["runs_total"]) == (3, 3, 3)
    runs = done["runs"]
    assert sorted(r["params"]["x"] for r in runs) == [1, 2, 3]
    for run in runs:
        assert run["status"] == "succeeded"
        assert run["source"] == "job"
        assert run["params"]["scale"] == 2.0
        assert run["metrics"] == {"y": run["params"]["x"] * 2.0}
        assert run["has_executed_notebook"] is True
        assert run["attempt"] == 1


@pytest.mark.slow
async def test_cancel_running_sweep(jp_fetch, root) -> None:
    body = {"notebook": "sub/sleeper.ipynb", "grid": {"seconds": [60, 61, 62]}, "workers": 1}
    response = await call(jp_fetch, "POST", "sweeps", body=body)
    assert response.code == 201, response.body
    sweep_id = as_json(response)["sweep_id"]
    await _wait_sweep(jp_fetch, sweep_id, lambda s: s["counts"]["running"] == 1, timeout_s=90)

    started = time.monotonic()
    response = await call(jp_fetch, "DELETE", "sweeps", sweep_id)
    assert response.code == 200, response.body
    cancelled = as_json(response)
    assert cancelled["sweep_id"] == sweep_id
    assert cancelled["cancel_requested"] is True

    done = await _wait_sweep(jp_fetch, sweep_id, lambda s: s["status"] in FINISHED, timeout_s=60)
    assert time.monotonic() - started < 45, "cancel must not wait for the 60 s sleep"
    assert done["status"] == "cancelled", done
    assert done["counts"]["cancelled"] == 3, done["counts"]
    assert {r["status"] for r in done["runs"]} == {"cancelled"}
    assert all(r["ended_at"] for r in done["runs"])
