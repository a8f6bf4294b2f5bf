"""Every verb of every REST route needs credentials and asks the server's authorizer, on a
real jupyter_server over a real SQLite store; the routes registered are the ones checked,
and each handler method carries both decorators. The calls are tests/server_api.py's CALLS."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from server_api import (
    CALLS,
    NO_CREDENTIALS,
    WRONG_TOKEN,
    DenyWorkbench,
    assert_error,
    write_notebook,
)

from workbench.entities import RunStatus, SweepOptions
from workbench.server import routes
from workbench.store import Store
from workbench.validate.gate import save_report
from workbench.validate.report import CheckStatus, ValidationReport

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture
def ids(store: Store, jp_root_dir: Path) -> dict[str, str]:
    """What CALLS name: a finished run with what its reads need, a sweep with a queued job,
    and the notebooks the sweep, validate and export bodies point at."""
    root = Path(jp_root_dir).resolve()
    square = write_notebook(root / "square.ipynb", "x: int = 1", "print(x)")
    (root / "nbs").mkdir()
    shutil.copy(NOTEBOOKS / "ship_ok.ipynb", root / "nbs" / "ok.ipynb")

    run = store.create_run(name="run", source="validation", notebook=str(square))
    store.set_executed_notebook(run, nbformat.writes(nbformat.v4.new_notebook()).encode())
    store.put_artifact_bytes(run, "notes.txt", b"hello\n")
    store.log_batch(run, metrics=[("loss", 0.5, 0, time.time())])
    report = ValidationReport(notebook=str(square), run_id=run)
    report.add("notebook", CheckStatus.PASS, "valid")
    save_report(store, report)
    store.set_status(run, RunStatus.SUCCEEDED)

    sweep = store.create_sweep(
        notebook=str(square),
        notebook_sha256="0",
        experiment=None,
        spec={"grid": {"x": [1]}},
        options=SweepOptions(),
        jobs=[({"x": 1}, f"key-{time.time()}")],
    ).sweep_id
    (job,) = [j.run_id for j in store.job_runs(sweep)]
    return {"RUN": run, "JOB": job, "SWEEP": sweep, "root": str(root)}


def _state(store: Store, ids: dict[str, str]) -> tuple[Any, ...]:
    """What a refused call could have changed: the run, the job, the sweeps, exports, files."""
    run = store.get_run(ids["RUN"], history=False)
    return (
        run.name,
        run.deleted_at,
        store.get_run(ids["JOB"], history=False).status,
        [s.sweep_id for s in store.list_sweeps()],
        store.get_sweep(ids["SWEEP"]).cancel_requested,
        len(store.job_runs(ids["SWEEP"])),
        [e.name for e in store.list_exports()],
        (Path(ids["root"]) / "dist").exists(),
    )


# -- the table covers the routes --------------------------------------------------------------


def _verbs(cls: type) -> list[str]:
    return [
        m
        for m in cls.SUPPORTED_METHODS
        if getattr(cls, m.lower()) is not getattr(APIHandler, m.lower())
    ]


def test_calls_cover_every_route() -> None:
    """Each row reaches the verb of the route tornado would pick (first match), and every
    verb of every route has exactly one row."""
    table = routes.all_routes()
    reached = []
    for row in CALLS:
        path = "/".join(p if p.islower() else "x1" for p in row.parts)
        cls = next(c for pattern, c in table if re.fullmatch(pattern, path))
        assert row.method in _verbs(cls), f"{row.method} {path} reaches {cls.__name__}"
        reached.append((cls, row.method))
    assert len(reached) == len(set(reached)), "a verb has two rows in CALLS"
    expected = {(cls, m) for _p, cls in table for m in _verbs(cls)}
    assert set(reached) == expected, f"verbs without a row in CALLS: {expected - set(reached)}"


# -- credentials and authorization over the wire ------------------------------------------------


async def test_every_route_needs_credentials(jp_fetch, store: Store, ids) -> None:
    before = _state(store, ids)
    for row in CALLS:
        for headers in (NO_CREDENTIALS, WRONG_TOKEN):
            assert_error(await row.send(jp_fetch, ids, headers=headers), 403, "forbidden")
    assert _state(store, ids) == before  # nothing renamed, deleted, launched or written
    for row in CALLS:
        if row.method == "GET":  # the reads are well formed: with credentials they answer
            response = await row.send(jp_fetch, ids)
            assert response.code == 200, (row, response.body)


@pytest.mark.parametrize("server_overrides", [{"allow_unauthenticated_access": True}])
async def test_routes_closed_even_when_server_allows_unauthenticated(
    jp_fetch, store: Store, ids, server_overrides
) -> None:
    # Here only the handlers' own decorators stand between a stranger and the data.
    before = _state(store, ids)
    for row in CALLS:
        assert_error(await row.send(jp_fetch, ids, headers=NO_CREDENTIALS), 403, "forbidden")
    assert _state(store, ids) == before


@pytest.mark.parametrize("server_overrides", [{"authorizer_class": DenyWorkbench}])
async def test_every_route_is_authorized(jp_fetch, store: Store, ids, server_overrides) -> None:
    before = _state(store, ids)
    DenyWorkbench.seen.clear()
    for row in CALLS:
        message = assert_error(await row.send(jp_fetch, ids), 403, "forbidden")
        assert row.resource in message, row
    assert DenyWorkbench.seen == [(row.action, row.resource) for row in CALLS]
    assert _state(store, ids) == before


# -- the decorators, read from the code ---------------------------------------------------------


def _wrapper_codes(fn: Any) -> list[Any]:
    codes = []
    while fn is not None:
        codes.append(fn.__code__)
        fn = getattr(fn, "__wrapped__", None)
    return codes


def _registered_workbench_handlers(app: tornado.web.Application) -> set[type]:
    found: set[type] = set()

    def walk(router: Any) -> None:
        for rule in getattr(router, "rules", []):
            if hasattr(rule.target, "rules"):
                walk(rule.target)
            elif "workbench/api" in getattr(getattr(rule.matcher, "regex", None), "pattern", ""):
                found.add(rule.target)

    walk(app.default_router)
    walk(app.wildcard_router)
    return found


def test_check_auth_every_handler_method_is_decorated() -> None:
    def probe(self: Any) -> None: ...

    authenticated_code = tornado.web.authenticated(probe).__code__
    authorized_code = authorized(probe).__code__
    for _pattern, cls in routes.all_routes():
        assert cls.auth_resource.startswith("workbench:")
        verbs = _verbs(cls)
        assert verbs, f"{cls.__name__} defines no HTTP method"
        for verb in verbs:
            codes = _wrapper_codes(getattr(cls, verb.lower()))
            where = f"{verb} of {cls.__name__}"
            assert authenticated_code in codes, f"{where} lacks @tornado.web.authenticated"
            assert authorized_code in codes, f"{where} lacks @authorized"
            assert codes.index(authenticated_code) < codes.index(authorized_code), (
                f"{where}: put @tornado.web.authenticated above @authorized"
            )


async def test_check_auth_routes_registered_are_the_checked_ones(jp_serverapp) -> None:
    registered = _registered_workbench_handlers(jp_serverapp.web_app)
    listed = {cls for _pattern, cls in routes.all_routes()}
    assert registered == listed, (
        "the extension registered other handlers than routes.all_routes() lists "
        "(none at all means it failed to load: see the server log)"
    )
