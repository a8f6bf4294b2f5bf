"""The explorer's REST routes on a real jupyter_server over a real SQLite store: credentials
and authorization for every verb, the run page (downsampled histories), edits, delete and
restore, and the fields the query bar completes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from explore_seed import NO_CREDENTIALS, assert_error, call, ok, seed
from jupyter_server.auth import Authorizer

from workbench.server import artifact_handlers, diff_handlers, figure_handlers, handlers
from workbench.store import Store, open_store


@pytest.fixture
def store(wb_home: Path) -> Iterator[Store]:
    store = open_store(home=str(wb_home))
    yield store
    store.close()


@pytest.fixture
def seeded(store: Store, jp_root_dir: Path) -> dict[str, Any]:
    return seed(store, Path(jp_root_dir).resolve())


# (method, url parts, query, body, action): every verb of every explorer route, well formed.
CALLS = [
    ("GET", ("runs", "RUN"), {}, None, "read"),
    ("PATCH", ("runs", "RUN"), {}, {"name": "renamed"}, "write"),
    ("DELETE", ("runs", "RUN"), {}, None, "write"),
    ("POST", ("runs", "RUN", "restore"), {}, None, "write"),
    ("GET", ("fields",), {}, None, "read"),
    ("GET", ("runs", "RUN", "artifacts", "preview"), {"name": "notes.txt"}, None, "read"),
    ("GET", ("runs", "RUN", "artifacts", "download"), {"name": "notes.txt"}, None, "read"),
    ("GET", ("figures", "history"), {"run_ids": "RUN"}, None, "read"),
    ("GET", ("diff",), {"base": "RUN", "remote": "RUN"}, None, "read"),
]
EXPLORE_ROUTES = [
    *handlers.EXPLORE_ROUTES,
    *artifact_handlers.ROUTES,
    *figure_handlers.ROUTES,
    *diff_handlers.ROUTES,
]


def test_calls_cover_every_route() -> None:
    verbs = {
        (cls, m)
        for _p, cls in [*handlers.ROUTES, *EXPLORE_ROUTES]
        for m in ("get", "post", "patch", "delete")
        if m in cls.__dict__
    }
    covered_here = {(handlers.RunHandler, m) for m in ("get", "patch", "delete")}
    # GET runs and GET runs/{id}/notebook are covered by tests/test_server.py.
    assert len(verbs) == len(CALLS) + 2
    assert covered_here <= verbs


def _fill(parts: tuple[str, ...], query: dict[str, str], run_id: str) -> tuple[tuple, dict]:
    return (
        tuple(run_id if p == "RUN" else p for p in parts),
        {k: run_id if v == "RUN" else v for k, v in query.items()},
    )


async def test_every_route_needs_credentials(jp_fetch, seeded, store: Store) -> None:
    run_id = seeded["ids"][0]
    for method, parts, query, body, _ in CALLS:
        url, params = _fill(parts, query, run_id)
        for headers in (NO_CREDENTIALS, {"Authorization": "token wrong"}):
            response = await call(jp_fetch, method, *url, body=body, params=params, headers=headers)
            assert_error(response, 403, "forbidden")
    run = store.get_run(run_id, history=False)
    assert run.name == "run0" and run.deleted_at is None  # nothing was changed
    for method, parts, query, body, _ in CALLS:
        url, params = _fill(parts, query, run_id)
        response = await call(jp_fetch, method, *url, body=body, params=params)
        assert response.code == 200, (method, url, response.body)


class DenyWorkbench(Authorizer):
    seen: list[tuple[str, str]] = []

    def is_authorized(self, handler, user, action: str, resource: str) -> bool:
        DenyWorkbench.seen.append((action, resource))
        return not resource.startswith("workbench:")


@pytest.mark.parametrize("server_overrides", [{"authorizer_class": DenyWorkbench}])
async def test_every_route_is_authorized(jp_fetch, seeded, store, server_overrides) -> None:
    DenyWorkbench.seen.clear()
    run_id = seeded["ids"][0]
    for method, parts, query, body, _ in CALLS:
        url, params = _fill(parts, query, run_id)
        response = await call(jp_fetch, method, *url, body=body, params=params)
        assert_error(response, 403, "forbidden")
    assert DenyWorkbench.seen == [(action, "workbench:runs") for *_, action in CALLS]
    assert store.get_run(run_id, history=False).deleted_at is None


# -- the run page ---------------------------------------------------------------------------


async def test_run_page_downsamples_histories(jp_fetch, seeded, store: Store) -> None:
    run_id = seeded["ids"][0]
    page = ok(await call(jp_fetch, "GET", "runs", run_id))
    loss = page["metric_history"]["loss"]
    assert len(loss) == 2000 and page["max_points"] == 2000
    assert loss[0]["step"] == 0 and loss[-1]["step"] == 4999  # the ends stay
    assert [p["step"] for p in loss] == sorted(p["step"] for p in loss)
    assert page["metric_summary"]["loss"]["count"] == 5000
    assert page["metric_summary"]["loss"]["min"] == pytest.approx(1 / 5000 + 0.1)
    assert page["metric_summary"]["loss"]["max"] == pytest.approx(1.1)
    assert page["metric_history"]["acc"] == [
        {"step": 0, "value": 0.6, "timestamp": page["metric_history"]["acc"][0]["timestamp"]}
    ]
    assert (page["note"], page["deleted"], page["sweep_id"]) == ("", False, None)
    assert page["provenance"]["git"] == {"commit": "abc", "dirty": False}
    small = ok(await call(jp_fetch, "GET", "runs", run_id, params={"max_points": "100"}))
    assert len(small["metric_history"]["loss"]) == 100
    message = assert_error(
        await call(jp_fetch, "GET", "runs", run_id, params={"max_points": "5"}),
        400,
        "invalid_input",
    )
    assert "max_points" in message


async def test_edit_name_tags_and_note(jp_fetch, seeded, store: Store) -> None:
    run_id = seeded["ids"][1]
    body = {"name": "best", "tags": {"team": "vision"}, "note": "# Good\nkeep it"}
    page = ok(await call(jp_fetch, "PATCH", "runs", run_id, body=body))
    assert (page["name"], page["note"]) == ("best", "# Good\nkeep it")
    assert page["tags"] == {"team": "vision", "workbench.note": "# Good\nkeep it"}
    # Only what is given changes; null removes a tag, "" the note, null the name.
    page = ok(await call(jp_fetch, "PATCH", "runs", run_id, body={"tags": {"team": None}}))
    assert (page["name"], page["tags"]) == ("best", {"workbench.note": "# Good\nkeep it"})
    page = ok(await call(jp_fetch, "PATCH", "runs", run_id, body={"note": "", "name": None}))
    assert (page["name"], page["note"], page["tags"]) == (None, "", {})
    # The query language finds runs by a tag set here.
    ok(await call(jp_fetch, "PATCH", "runs", run_id, body={"tags": {"stage": "prod"}}))
    found = ok(await call(jp_fetch, "GET", "runs", params={"where": "tags.stage = 'prod'"}))
    assert [r["run_id"] for r in found["runs"]] == [run_id]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"name": ""}, None),
        ({"bogus": 1}, "bogus"),
        ({"tags": {"": "x"}}, "tag name"),
        ({"tags": {"workbench.note": "x"}}, "note field"),
        ({"name": "x" * 251}, "name"),
        ("not json", "invalid"),
        ({"note": "n" * 20_001}, "note"),
    ],
)
async def test_bad_edits_are_400_and_change_nothing(
    jp_fetch, seeded, store: Store, body, needle
) -> None:
    run_id = seeded["ids"][1]
    response = await call(jp_fetch, "PATCH", "runs", run_id, body=body)
    if needle is None:  # an empty name clears it, like null
        assert ok(response)["name"] is None
        return
    assert needle in assert_error(response, 400, "invalid_input")
    run = store.get_run(run_id, history=False)
    assert (run.name, run.tags) == ("run1", {})


async def test_edit_unknown_run_is_404(jp_fetch, seeded) -> None:
    response = await call(jp_fetch, "PATCH", "runs", "f" * 32, body={"name": "x"})
    assert_error(response, 404, "not_found")


async def test_delete_and_restore(jp_fetch, seeded, store: Store) -> None:
    run_id = seeded["ids"][2]
    assert ok(await call(jp_fetch, "DELETE", "runs", run_id)) == {
        "run_id": run_id,
        "deleted": True,
    }
    listed = ok(await call(jp_fetch, "GET", "runs"))
    assert run_id not in {r["run_id"] for r in listed["runs"]}
    deleted = ok(await call(jp_fetch, "GET", "runs", params={"deleted": "true"}))
    assert [r["run_id"] for r in deleted["runs"]] == [run_id]
    assert ok(await call(jp_fetch, "GET", "runs", run_id))["deleted"] is True  # still shown
    restored = ok(await call(jp_fetch, "POST", "runs", run_id, "restore"))
    assert restored == {"run_id": run_id, "deleted": False}
    assert store.get_run(run_id, history=False).deleted_at is None
    assert_error(await call(jp_fetch, "DELETE", "runs", "f" * 32), 404, "not_found")
    assert_error(await call(jp_fetch, "POST", "runs", "f" * 32, "restore"), 404, "not_found")


async def test_delete_running_run_is_409(jp_fetch, seeded, store: Store) -> None:
    running = store.create_run(experiment="exp")
    message = assert_error(await call(jp_fetch, "DELETE", "runs", running), 409, "conflict")
    assert "cancel it" in message
    assert store.get_run(running, history=False).deleted_at is None


async def test_fields_list_keys_and_experiments(jp_fetch, seeded) -> None:
    fields = ok(await call(jp_fetch, "GET", "fields"))
    assert "started_at" in fields["base"] and "sweep" in fields["base"]
    assert fields["params"] == ["depth", "lr", "model"]
    assert fields["metrics"] == ["acc", "loss"]
    assert fields["summaries"] == ["last", "min", "max", "count", "step"]
    assert fields["experiments"] == ["exp"]
