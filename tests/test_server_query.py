"""GET runs with the query language: where, order_by, columns, paging and the total; bad
expressions are 400s that point at the problem; deleted runs leave the listing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from server_api import as_json, assert_error, call

from workbench.entities import RunStatus
from workbench.store import Store, open_store


@pytest.fixture
def many(wb_home: Path) -> dict[str, Any]:
    """30 runs: accuracy i/30, model tree for even i, lin for odd; one huge param."""
    store: Store = open_store(home=str(wb_home))
    ids = []
    for i in range(30):
        run_id = store.create_run(
            name=f"r{i:02d}",
            params={"model": "tree" if i % 2 == 0 else "lin", "lr": 10.0**-i},
        )
        store.log_batch(run_id, metrics=[("accuracy", i / 30, 0, 1.0), ("accuracy", 0.0, 1, 2.0)])
        store.set_status(run_id, RunStatus.SUCCEEDED)
        ids.append(run_id)
    store.log_batch(ids[0], params={"notes": "x" * 5000})
    yield {"ids": ids, "store": store}
    store.close()


async def test_where_order_and_paging_with_total(jp_fetch, many) -> None:
    query = {
        "where": "metrics.accuracy.max > 0.5 and params.model = 'tree'",
        "order_by": "metrics.accuracy.max desc",
        "limit": "3",
        "offset": "1",
    }
    body = as_json(await call(jp_fetch, "GET", "runs", params=query))
    # max accuracy > 0.5: i = 16..29; tree: even i -> 16..28 (7 runs); desc from 28, offset 1
    assert body["total"] == 7
    assert [r["name"] for r in body["runs"]] == ["r26", "r24", "r22"]
    store: Store = many["store"]
    page, total = store.search_runs(
        where=query["where"], order_by=query["order_by"], limit=3, offset=1
    )
    assert [r.name for r in page] == ["r26", "r24", "r22"] and total == 7


async def test_columns_answer_rows(jp_fetch, many) -> None:
    body = as_json(
        await call(
            jp_fetch,
            "GET",
            "runs",
            params={
                "columns": "name, params.model, metrics.accuracy, metrics.accuracy.max",
                "where": "name in ('r03', 'r04')",
                "order_by": "name",
            },
        )
    )
    assert body["runs"] == []
    assert body["columns"] == ["name", "params.model", "metrics.accuracy", "metrics.accuracy.max"]
    assert body["rows"] == [["r03", "lin", 0.0, 0.1], ["r04", "tree", 0.0, 4 / 30]]
    assert body["total"] == 2


async def test_a_big_param_is_shortened_in_listings_only(jp_fetch, many) -> None:
    listed = as_json(await call(jp_fetch, "GET", "runs", params={"where": "name = 'r00'"}))["runs"][
        0
    ]
    assert listed["params"]["notes"].startswith("<5,002 characters")
    one = as_json(await call(jp_fetch, "GET", "runs", many["ids"][0]))
    assert one["params"]["notes"] == "x" * 5000


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"where": "accuracy > 0.9"}, ["unknown field 'accuracy'", "metrics.accuracy"]),
        ({"where": "metrics.accuracy >> 0.9"}, ["column 19"]),
        ({"where": "name = 'unclosed"}, ["column"]),
        ({"order_by": "metrics.accuracy sideways"}, ["order"]),
        ({"columns": "name,nope"}, ["unknown field 'nope'"]),
        ({"limit": "0"}, ["limit"]),
    ],
)
async def test_bad_queries_are_400_naming_the_problem(jp_fetch, many, query, words) -> None:
    message = assert_error(await call(jp_fetch, "GET", "runs", params=query), 400, "invalid_input")
    for word in words:
        assert word in message, message


async def test_injection_in_values_is_data(jp_fetch, many) -> None:
    where = "name = 'r01'' or 1=1 --'"
    body = as_json(await call(jp_fetch, "GET", "runs", params={"where": where}))
    assert body["total"] == 0 and body["runs"] == []
    assert many["store"].search_runs()[1] == 30  # nothing was dropped either


async def test_deleted_runs_leave_the_listing_and_come_back(jp_fetch, many) -> None:
    store: Store = many["store"]
    gone = many["ids"][:2]
    store.delete_runs(gone)
    body = as_json(await call(jp_fetch, "GET", "runs", params={"limit": "100"}))
    assert body["total"] == 28 and not {r["run_id"] for r in body["runs"]} & set(gone)
    deleted = as_json(await call(jp_fetch, "GET", "runs", params={"deleted": "true"}))
    assert sorted(r["run_id"] for r in deleted["runs"]) == sorted(gone)
    assert (
        as_json(await call(jp_fetch, "GET", "runs", gone[0]))["run_id"] == gone[0]
    )  # still readable
    store.restore_runs(gone)
    assert as_json(await call(jp_fetch, "GET", "runs"))["total"] == 30
    assert json.loads(json.dumps(store.get_run(gone[0]).params))["model"] == "tree"
