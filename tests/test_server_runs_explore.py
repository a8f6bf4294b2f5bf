"""The explorer's REST routes on a real jupyter_server over a real SQLite store: the run page
(downsampled histories), edits, delete and restore, and the fields the query bar completes.
Credentials and authorization of every verb: tests/test_server_auth.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from explore_seed import seed
from server_api import assert_error, call, ok

from workbench.store import Store


@pytest.fixture
def seeded(store: Store, jp_root_dir: Path) -> dict[str, Any]:
    return seed(store, Path(jp_root_dir).resolve())


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
