"""The ship REST API (validate, exports) on a real jupyter_server with the extension."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from server_api import API, assert_error, call

from workbench.server import ship_handlers

NOTEBOOKS = Path(__file__).parent / "notebooks"


def cache_dir(config: pytest.Config, factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder kept between sessions (pytest's cache), or this session's without it."""
    cache = getattr(config, "cache", None)
    return Path(cache.mkdir(name)) if cache is not None else factory.mktemp(name)


@pytest.fixture(scope="session")
def wheel(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.export.wheels import workbench_wheel

    return workbench_wheel(cache_dir(pytestconfig, tmp_path_factory, "workbench-wheels"))


@pytest.fixture
def wb_home(wb_home: Path, monkeypatch: pytest.MonkeyPatch, wheel: Path) -> Path:
    """The shared server home (tests/conftest.py), with the Workbench wheel exports need."""
    monkeypatch.setenv("WORKBENCH_WHEEL", str(wheel))
    return wb_home


@pytest.fixture
def root(jp_root_dir: Path) -> Path:
    root = Path(jp_root_dir).resolve()
    (root / "nbs").mkdir()
    shutil.copy(NOTEBOOKS / "ship_ok.ipynb", root / "nbs" / "ok.ipynb")
    return root


def test_routes_are_listed() -> None:
    assert [p for p, _ in ship_handlers.ROUTES] == [
        "validate",
        "exports",
        r"runs/(?P<run_id>[^/]+)/validation",
    ]


async def test_bad_bodies_are_400(jp_fetch, root) -> None:
    cases = [
        ("validate", "not json", "invalid_input"),
        ("validate", {}, "invalid_input"),
        ("validate", {"path": "nbs/ok.ipynb", "max_seconds": -1}, "invalid_input"),
        ("validate", {"path": "nbs/ok.ipynb", "surprise": 1}, "invalid_input"),
        ("validate", {"path": "nbs/missing.ipynb"}, "invalid_input"),
        ("validate", {"path": "nbs/ok.ipynb", "require": ["score => 1"]}, "invalid_input"),
        ("validate", {"path": "nbs/ok.ipynb", "params": {"nope": 1}}, "invalid_input"),
        ("exports", {"out": "dist"}, "invalid_input"),
        ("exports", {"run_id": "a", "path": "nbs/ok.ipynb", "out": "dist"}, "invalid_input"),
        ("exports", {"path": "nbs/ok.ipynb", "out": "dist", "targets": ["helm"]}, "invalid_input"),
        ("exports", {"run_id": "0123456789", "out": "dist"}, "invalid_input"),
        (
            "exports",
            {"path": "nbs/ok.ipynb", "out": "dist", "name": "');import os#"},
            "invalid_input",
        ),
    ]
    for path, body, code in cases:
        message = assert_error(await call(jp_fetch, "POST", path, body=body), 400, code)
        assert message
    assert not (root / "dist").exists()


async def test_paths_outside_the_root_are_refused(jp_fetch, root, tmp_path) -> None:
    outside = tmp_path / "outside.ipynb"
    shutil.copy(NOTEBOOKS / "ship_ok.ipynb", outside)
    os.symlink(outside, root / "nbs" / "link.ipynb")
    for body in ({"path": "../outside.ipynb"}, {"path": str(outside)}, {"path": "nbs/link.ipynb"}):
        assert_error(await call(jp_fetch, "POST", "validate", body=body), 403, "forbidden")
    for out in ("../escape", "/tmp/escape", "."):
        body = {"path": "nbs/ok.ipynb", "out": out}
        assert_error(await call(jp_fetch, "POST", "exports", body=body), 403, "forbidden")
    assert not (tmp_path / "escape").exists()


@pytest.mark.slow
async def test_validate_export_and_list(jp_fetch, root) -> None:
    # The server answers other requests while a validation runs in its thread.
    task = asyncio.ensure_future(
        call(jp_fetch, "POST", "validate", body={"path": "nbs/ok.ipynb", "params": {"x": "1"}})
    )
    started = time.monotonic()
    listing = await call(jp_fetch, "GET", "exports")
    assert listing.code == 200 and json.loads(listing.body) == {"exports": []}
    assert not task.done() and time.monotonic() - started < 2
    response = await task
    assert response.code == 200, response.body
    report = json.loads(response.body)
    assert report["notebook"] == "nbs/ok.ipynb" and report["passed"] is False
    failed = [c for c in report["checks"] if c["status"] == "fail"]
    assert [c["name"] for c in failed] == ["require: score >= 0.5"]

    response = await call(
        jp_fetch,
        "POST",
        "exports",
        body={
            "path": "nbs/ok.ipynb",
            "out": "dist/ok",
            "targets": ["kfp"],
            "name": "ok-model",
            "params": {"x": 1},
        },
    )
    assert_error(response, 409, "validation_failed")

    response = await call(
        jp_fetch,
        "POST",
        "exports",
        body={"path": "nbs/ok.ipynb", "out": "dist/ok", "targets": ["kfp"], "name": "ok-model"},
    )
    assert response.code == 201, response.body
    created = json.loads(response.body)
    assert created["export"]["path"] == "dist/ok" and created["export"]["version"] == "0.1.0"
    assert created["export"]["targets"] == ["package", "kfp"]
    assert "kfp/component.yaml" in created["files"]
    assert created["report"]["passed"] is True
    assert (root / "dist" / "ok" / "kfp" / "component.yaml").is_file()

    response = await call(
        jp_fetch,
        "POST",
        "exports",
        body={
            "run_id": created["export"]["run_id"],
            "out": "dist/ok2",
            "targets": ["package"],
            "name": "ok-model",
        },
    )
    assert response.code == 201, response.body
    assert json.loads(response.body)["export"]["version"] == "0.1.1"
    assert json.loads(response.body)["report"] is None

    listing = json.loads((await call(jp_fetch, "GET", "exports")).body)["exports"]
    assert [(e["name"], e["version"]) for e in listing] == [
        ("ok-model", "0.1.1"),
        ("ok-model", "0.1.0"),
    ]
    only = await jp_fetch(*API, "exports", params={"name": "OK_model", "limit": "1"})
    assert [e["version"] for e in json.loads(only.body)["exports"]] == ["0.1.1"]

    # rollback through the API
    response = await call(
        jp_fetch,
        "POST",
        "exports",
        body={"name": "ok-model", "version": "0.1.0", "out": "dist/back"},
    )
    assert response.code == 201, response.body
    assert json.loads(response.body)["export"]["targets"] == ["package", "kfp"]
    assert (root / "dist" / "back" / "kfp" / "component.yaml").is_file()
