"""The REST API on a real jupyter_server with the extension loaded, over a real SQLite store."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from server_api import API, as_json, assert_error
from tornado.httpclient import HTTPResponse

from workbench.entities import RunError, RunStatus
from workbench.errors import Forbidden
from workbench.server.paths import resolve_under_root
from workbench.store import Store, open_store
from workbench.store.location import display_url

# -- server and store ---------------------------------------------------------------------


def _notebook_bytes(marker: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("lr = 0.1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"print({marker!r})"),
    ]
    return nbformat.writes(nb).encode()


@pytest.fixture
def seeded(wb_home: Path, jp_root_dir: Path) -> dict[str, Any]:
    """Three runs: a rich one on train.ipynb, one in another experiment, one failed."""
    root = Path(jp_root_dir).resolve()
    train = root / "train.ipynb"
    train.write_bytes(_notebook_bytes("train"))
    (root / "sub").mkdir()
    other = root / "sub" / "other.ipynb"
    other.write_bytes(_notebook_bytes("other"))

    store: Store = open_store(home=str(wb_home))
    now = time.time()
    rich = store.create_run(
        experiment="exp1",
        name="rich",
        notebook=str(train),
        source="job",
        params={"lr": 0.1, "layers": [64, 32]},
        tags={"team": "vision"},
        provenance={"python": "3.11", "git": {"commit": "abc123"}},
    )
    # Logged out of step order: the API must hand the history back sorted by step.
    store.log_batch(
        rich,
        metrics=[("loss", 1.0 / (s + 1), s, now + s) for s in (3, 0, 2, 1, 4)]
        + [("acc", 0.5 + s / 10, s, now + s) for s in range(3)],
        params={"epochs": 5},
        tags={"stage": "dev"},
    )
    store.put_artifact_bytes(rich, "model.bin", b"weights")
    store.set_executed_notebook(rich, _notebook_bytes("executed"))
    store.set_status(rich, RunStatus.SUCCEEDED)

    other_run = store.create_run(experiment="exp2", notebook=str(other), source="job")
    store.set_status(other_run, RunStatus.SUCCEEDED)

    failed = store.create_run(experiment="exp1", notebook=str(train), source="interactive")
    store.set_status(
        failed,
        RunStatus.FAILED,
        error=RunError(name="ValueError", value="bad lr", cell_index=1, reason="exception"),
    )
    yield {"rich": rich, "other": other_run, "failed": failed, "root": root, "train": train}
    store.close()


async def _get(jp_fetch, *parts: str, **kwargs: Any) -> HTTPResponse:
    return await jp_fetch(*API, *parts, raise_error=False, **kwargs)


# -- extension load -------------------------------------------------------------------------


async def test_load_exports_store_home_and_root(jp_serverapp, wb_home, jp_root_dir) -> None:
    assert os.environ["WORKBENCH_HOME"] == str(wb_home.resolve())
    assert os.environ["WORKBENCH_SERVER_ROOT"] == str(Path(jp_root_dir).resolve())
    context = jp_serverapp.web_app.settings["workbench"]
    assert context.db_url == f"sqlite:///{wb_home.resolve() / 'workbench.db'}"


async def test_load_finds_home_from_root_when_unset(
    jp_server_config, jp_configurable_serverapp, jp_root_dir, monkeypatch
) -> None:
    monkeypatch.delenv("WORKBENCH_HOME")
    jp_configurable_serverapp(config=jp_server_config)
    expected = Path(jp_root_dir).resolve() / ".workbench"
    assert os.environ["WORKBENCH_HOME"] == str(expected)


def test_logged_store_url_hides_password() -> None:
    shown = display_url("postgresql+psycopg://wb:s3cret@db.example:5432/workbench")
    assert "s3cret" not in shown
    assert shown.startswith("postgresql+psycopg://wb:")


# -- GET runs ---------------------------------------------------------------------------------


async def _list(jp_fetch, **params: Any) -> dict[str, Any]:
    response = await _get(jp_fetch, "runs", params=params)
    assert response.code == 200, response.body
    return as_json(response)


def _ids(page: dict[str, Any]) -> set[str]:
    return {run["run_id"] for run in page["runs"]}


async def test_list_runs_and_filters(jp_fetch, seeded) -> None:
    everything = await _list(jp_fetch)
    assert everything["total"] == 3
    assert (everything["limit"], everything["offset"]) == (50, 0)
    assert _ids(everything) == {seeded["rich"], seeded["other"], seeded["failed"]}

    by_notebook = await _list(jp_fetch, notebook="train.ipynb")
    assert _ids(by_notebook) == {seeded["rich"], seeded["failed"]}
    assert {r["notebook_path"] for r in by_notebook["runs"]} == {"train.ipynb"}
    assert {r["notebook"] for r in by_notebook["runs"]} == {str(seeded["train"])}
    assert _ids(await _list(jp_fetch, notebook="sub/other.ipynb")) == {seeded["other"]}
    assert _ids(await _list(jp_fetch, notebook="sub/../train.ipynb")) == _ids(by_notebook)
    assert (await _list(jp_fetch, notebook="missing.ipynb"))["total"] == 0

    assert _ids(await _list(jp_fetch, experiment="exp2")) == {seeded["other"]}
    failed = await _list(jp_fetch, status="failed")
    assert _ids(failed) == {seeded["failed"]}
    assert failed["runs"][0]["error"] == {
        "name": "ValueError",
        "value": "bad lr",
        "cell_index": 1,
        "reason": "exception",
    }
    both = await _list(jp_fetch, experiment="exp1", status="succeeded", notebook="train.ipynb")
    assert _ids(both) == {seeded["rich"]}
    summary = both["runs"][0]
    assert summary["params"] == {"lr": 0.1, "layers": [64, 32], "epochs": 5}
    assert summary["metrics"] == {"loss": 1.0 / 5, "acc": 0.7}
    assert summary["tags"] == {"team": "vision", "stage": "dev"}
    assert summary["has_executed_notebook"] is True


async def test_list_runs_paging(jp_fetch, seeded) -> None:
    first = await _list(jp_fetch, limit=2)
    second = await _list(jp_fetch, limit=2, offset=2)
    assert (first["total"], second["total"]) == (3, 3)
    assert (len(first["runs"]), len(second["runs"])) == (2, 1)
    assert (second["limit"], second["offset"]) == (2, 2)
    assert not _ids(first) & _ids(second)
    assert _ids(first) | _ids(second) == {seeded["rich"], seeded["other"], seeded["failed"]}
    assert (await _list(jp_fetch, offset=10))["runs"] == []
    assert len((await _list(jp_fetch, limit=1000))["runs"]) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"status": "bogus"}, "status"),
    ],
)
async def test_list_runs_bad_query_is_400(jp_fetch, seeded, params, field) -> None:
    message = assert_error(await _get(jp_fetch, "runs", params=params), 400, "invalid_input")
    assert field in message
    if field == "status":
        assert "succeeded" in message  # says which values would do


@pytest.mark.parametrize(
    "notebook", ["../outside.ipynb", "sub/../../outside.ipynb", "escape.ipynb", "linked"]
)
async def test_list_runs_refuses_paths_outside_root(jp_fetch, seeded, notebook) -> None:
    root: Path = seeded["root"]
    outside = root.parent / "outside.ipynb"
    outside.write_bytes(_notebook_bytes("outside"))
    (root / "escape.ipynb").symlink_to(outside)
    (root / "linked").symlink_to(root.parent, target_is_directory=True)
    response = await _get(jp_fetch, "runs", params={"notebook": notebook})
    assert "outside the server root" in assert_error(response, 403, "forbidden")


async def test_list_runs_refuses_absolute_path(jp_fetch, seeded) -> None:
    response = await _get(jp_fetch, "runs", params={"notebook": str(seeded["train"])})
    assert "absolute" in assert_error(response, 403, "forbidden")


# -- GET runs/{id}, runs/{id}/notebook -----------------------------------------------------


async def test_run_detail(jp_fetch, seeded) -> None:
    response = await _get(jp_fetch, "runs", seeded["rich"])
    assert response.code == 200
    run = as_json(response)
    assert run["run_id"] == seeded["rich"]
    assert (run["name"], run["experiment"], run["status"]) == ("rich", "exp1", "succeeded")
    assert run["notebook_path"] == "train.ipynb"
    assert run["params"] == {"lr": 0.1, "layers": [64, 32], "epochs": 5}
    assert run["tags"] == {"team": "vision", "stage": "dev"}
    assert [p["step"] for p in run["metric_history"]["loss"]] == [0, 1, 2, 3, 4]
    assert [p["value"] for p in run["metric_history"]["loss"]] == [1 / (s + 1) for s in range(5)]
    assert [p["value"] for p in run["metric_history"]["acc"]] == [0.5, 0.6, 0.7]
    assert run["provenance"] == {"python": "3.11", "git": {"commit": "abc123"}}
    assert {a["name"] for a in run["artifacts"]} == {"model.bin", "executed.ipynb"}
    model = next(a for a in run["artifacts"] if a["name"] == "model.bin")
    assert model["size"] == len(b"weights")
    assert run["ended_at"] is not None and run["duration_s"] >= 0


async def test_run_detail_unknown_id_is_404(jp_fetch, seeded) -> None:
    message = assert_error(await _get(jp_fetch, "runs", "nope"), 404, "not_found")
    assert "nope" in message


async def test_executed_notebook_round_trips(jp_fetch, seeded) -> None:
    response = await _get(jp_fetch, "runs", seeded["rich"], "notebook")
    assert response.code == 200
    assert response.headers["Content-Type"] == "application/json"
    nb = nbformat.reads(response.body.decode(), as_version=4)
    assert nb.cells[1].source == "print('executed')"


async def test_executed_notebook_missing_is_404(jp_fetch, seeded) -> None:
    response = await _get(jp_fetch, "runs", seeded["failed"], "notebook")
    assert "no executed notebook" in assert_error(response, 404, "not_found")
    assert_error(await _get(jp_fetch, "runs", "nope", "notebook"), 404, "not_found")


async def test_unexpected_error_is_500_without_traceback(jp_fetch, seeded, monkeypatch) -> None:
    def boom(self, *args: Any, **kwargs: Any) -> Any:
        raise KeyError("secret internals")

    monkeypatch.setattr(Store, "search_runs", boom)
    response = await _get(jp_fetch, "runs")
    message = assert_error(response, 500, "internal")
    assert "secret" not in message


async def test_unknown_method_is_json_405(jp_fetch, seeded) -> None:
    response = await jp_fetch(*API, "runs", method="DELETE", raise_error=False)
    assert_error(response, 405, "method_not_allowed")


# -- path confinement -------------------------------------------------------------------------


def test_resolve_under_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("x")
    (root / "out").symlink_to(tmp_path / "secret.txt")
    (root / "in").symlink_to(root / "a")
    (root / "loop").symlink_to(root / "loop")

    assert resolve_under_root(root, "a/nb.ipynb") == root.resolve() / "a" / "nb.ipynb"
    assert resolve_under_root(root, "in/nb.ipynb") == root.resolve() / "a" / "nb.ipynb"
    assert resolve_under_root(root, "a/../b.ipynb") == root.resolve() / "b.ipynb"
    assert resolve_under_root(root, "") == root.resolve()
    for bad in ("/etc/passwd", "../secret.txt", "a/../../secret.txt", "out", "x\x00y", "loop"):
        with pytest.raises(Forbidden):
            resolve_under_root(root, bad)
