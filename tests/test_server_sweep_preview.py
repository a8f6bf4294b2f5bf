"""POST sweeps/preview on a real jupyter_server: what the sweep dialog shows as you type,
from the code that launches sweeps, each problem beside its field, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from server_api import API, write_notebook

from workbench.entities import RunStatus
from workbench.jobs.plan import plan_sweep, spec_from_api
from workbench.store import Store


@pytest.fixture
def root(wb_home: Path, jp_root_dir: Path) -> Path:
    root = Path(jp_root_dir).resolve()
    write_notebook(
        root / "square.ipynb",
        'x: int = 1\nscale: float = 0.5\nopt: str = "adam"',
        "print(x * scale)",
    )
    write_notebook(root / "plain.ipynb", None, "print(1)")
    return root


async def _preview(jp_fetch, body: Any, **kwargs: Any) -> dict[str, Any]:
    response = await jp_fetch(
        *API, "sweeps", "preview", method="POST", body=json.dumps(body), raise_error=False, **kwargs
    )
    assert response.code == 200, response.body
    return dict(json.loads(response.body))


async def test_preview_counts_and_first_jobs(jp_fetch, root, store: Store) -> None:
    body = {"notebook": "square.ipynb", "grid": {"x": [1, 2, 3], "opt": ["adam", "sgd"]}}
    preview = await _preview(jp_fetch, {**body, "params": {"scale": "2"}})
    assert preview["problems"] == []
    assert (preview["jobs"], preview["expanded"], preview["duplicates"]) == (6, 6, 0)
    assert preview["first"][:3] == [
        {"scale": 2.0, "x": 1, "opt": "adam"},
        {"scale": 2.0, "x": 1, "opt": "sgd"},
        {"scale": 2.0, "x": 2, "opt": "adam"},
    ]
    assert len(preview["first"]) == 5
    assert preview["seed"] is None
    # Duplicates merge; nothing was written.
    twice = await _preview(jp_fetch, {"notebook": "square.ipynb", "grid": {"x": [1, 1]}})
    assert (twice["jobs"], twice["duplicates"]) == (1, 1)
    assert store.list_sweeps() == [] and store.search_runs()[1] == 0


async def test_no_change_is_one_job_with_the_defaults(jp_fetch, root) -> None:
    for notebook in ("square.ipynb", "plain.ipynb"):
        preview = await _preview(jp_fetch, {"notebook": notebook})
        assert (preview["jobs"], preview["first"], preview["problems"]) == (1, [{}], [])


async def test_random_draws_come_with_their_seed(jp_fetch, root) -> None:
    body = {"notebook": "square.ipynb", "random": {"scale": "loguniform(0.01,1)"}, "n": 4}
    first = await _preview(jp_fetch, body)
    assert first["jobs"] == 4 and isinstance(first["seed"], int)
    again = await _preview(jp_fetch, {**body, "seed": first["seed"]})
    assert again["first"] == first["first"]  # the seed named gives the same jobs
    assert all(0.01 <= job["scale"] <= 1 for job in first["first"])


async def test_skips_what_already_succeeded_unless_forced(jp_fetch, root, store: Store) -> None:
    plan = plan_sweep(str(root / "square.ipynb"), spec_from_api(params={"x": 7}), store=store)
    (run,) = store.job_runs(plan.sweep_id)
    store.start_queued_run(run.run_id, {})
    store.set_status(run.run_id, RunStatus.SUCCEEDED)
    body = {"notebook": "square.ipynb", "grid": {"x": [7, 8]}}
    preview = await _preview(jp_fetch, body)
    assert (preview["jobs"], preview["skipped"], preview["first"]) == (1, 1, [{"x": 8}])
    forced = await _preview(jp_fetch, {**body, "force": True})
    assert (forced["jobs"], forced["skipped"]) == (2, 0)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"grid": {"x": [1, "abc"]}}, "x", "expects int, got 'abc': give a whole number"),
        ({"params": {"scale": "fast"}}, "scale", "expects float, got 'fast'"),
        ({"random": {"scale": "loguniform(0,1)"}, "n": 2}, "scale", "bounds above 0"),
        ({"random": {"opt": "choice(adam,3)"}, "n": 2}, None, None),  # a str takes "3"
        ({"random": {"x": "choice(1,two)"}, "n": 2}, "x", "expects int, got 'two'"),
        ({"grid": {"x": []}}, "x", "at least one value"),
        ({"workers": 0}, "workers", "whole number from 1 to 64"),
        ({"timeout": -1}, "timeout", "positive number of seconds"),
        ({"executor": "mpi"}, "executor", "tcp://HOST:PORT"),
        ({"random": {"scale": "uniform(0,1)"}}, None, "random needs n"),
        ({"grid": {"x": list(range(101)), "scale": list(range(100))}}, None, "10,100 jobs"),
        ({"notebook": "missing.ipynb"}, "notebook", "not found"),
    ],
)
async def test_problems_name_their_field(jp_fetch, root, store, body, field, words) -> None:
    preview = await _preview(jp_fetch, {"notebook": "square.ipynb", **body})
    if words is None:
        assert preview["problems"] == [] and preview["expanded"] == 2
        return
    assert preview["jobs"] == 0 and preview["first"] == []
    (problem,) = preview["problems"]
    assert problem["field"] == field
    assert words in problem["message"]
    assert "--" not in problem["message"]  # the dialog's words, not the CLI's
    assert store.list_sweeps() == []


async def test_preview_refuses_paths_outside_the_root(jp_fetch, root) -> None:
    preview = await _preview(jp_fetch, {"notebook": "../outside.ipynb"})
    (problem,) = preview["problems"]
    assert problem["field"] == "notebook" and "outside the server root" in problem["message"]
    response = await jp_fetch(
        *API, "sweeps", "preview", method="POST", body="[1]", raise_error=False
    )
    assert response.code == 400


async def test_grid_values_as_one_text_split_like_the_cli(jp_fetch, root) -> None:
    preview = await _preview(
        jp_fetch, {"notebook": "square.ipynb", "grid": {"x": "1, 2,3", "opt": '"a,b", c'}}
    )
    assert preview["problems"] == [] and preview["jobs"] == 6
    assert preview["first"][:2] == [{"x": 1, "opt": "a,b"}, {"x": 1, "opt": "c"}]
    bad = await _preview(jp_fetch, {"notebook": "square.ipynb", "grid": {"x": "1,,2"}})
    assert bad["problems"] == [
        {
            "field": "x",
            "message": 'empty value between commas (quote it as "" to mean empty text)',
        }
    ]
