"""Artifacts (preview, download, confinement), figures (plotly JSON from workbench.plots)
and the run diff (nbdime) over REST, on a real jupyter_server and a real SQLite store."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from explore_seed import PNG, seed
from server_api import assert_error, call, ok
from sql_count import selects, statements

from workbench.store import Store


@pytest.fixture
def seeded(store: Store, jp_root_dir: Path) -> dict[str, Any]:
    return seed(store, Path(jp_root_dir).resolve())


async def _preview(jp_fetch, run_id: str, name: str) -> Any:
    response = await call(
        jp_fetch, "GET", "runs", run_id, "artifacts", "preview", params={"name": name}
    )
    return response


# -- artifacts ------------------------------------------------------------------------------


async def test_previews_by_kind(jp_fetch, seeded) -> None:
    run_id = seeded["ids"][0]
    text = ok(await _preview(jp_fetch, run_id, "notes.txt"))
    assert (text["kind"], text["text"], text["truncated"]) == ("text", "hello\nworld\n", False)
    table = ok(await _preview(jp_fetch, run_id, "table.csv"))
    assert (table["kind"], table["rows"]) == ("csv", [["a", "b"], ["1", "2"], ["3", "4"]])
    conf = ok(await _preview(jp_fetch, run_id, "conf.json"))
    assert conf["kind"] == "json" and conf["text"] == '{\n  "x": [\n    1,\n    2\n  ]\n}'
    image = ok(await _preview(jp_fetch, run_id, "plot.png"))
    assert image["kind"] == "image"
    assert image["data_url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    binary = ok(await _preview(jp_fetch, run_id, "weights.bin"))
    assert binary["kind"] == "binary" and "download" in binary["message"]


async def test_preview_is_capped(jp_fetch, seeded, store: Store) -> None:
    run_id = seeded["ids"][1]
    store.put_artifact_bytes(run_id, "big.log", b"x" * 300_000)
    store.put_artifact_bytes(run_id, "rows.csv", b"".join(b"%d,1\n" % i for i in range(500)))
    big = ok(await _preview(jp_fetch, run_id, "big.log"))
    assert big["truncated"] is True and len(big["text"]) == 256 * 1024
    rows = ok(await _preview(jp_fetch, run_id, "rows.csv"))
    assert len(rows["rows"]) == 200 and rows["truncated"] is True


async def test_download_is_an_attachment(jp_fetch, seeded) -> None:
    run_id = seeded["ids"][0]
    response = await call(
        jp_fetch, "GET", "runs", run_id, "artifacts", "download", params={"name": "table.csv"}
    )
    assert response.code == 200
    assert response.body == b"a,b\n1,2\n3,4\n"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="table.csv"')
    # A name with a path in it is served under its last part, never rendered as HTML.
    evil = await call(
        jp_fetch,
        "GET",
        "runs",
        run_id,
        "artifacts",
        "download",
        params={"name": "../evil name.txt"},
    )
    assert evil.code == 200 and evil.headers["Content-Type"] == "application/octet-stream"
    disposition = evil.headers["Content-Disposition"]
    assert 'filename="evil name.txt"' in disposition and "evil%20name.txt" in disposition


@pytest.mark.parametrize(
    "name", ["../../workbench.db", "/etc/passwd", "artifacts/../workbench.db", "nope.txt"]
)
async def test_artifact_names_never_become_paths(jp_fetch, seeded, name) -> None:
    run_id = seeded["ids"][0]
    for verb in ("preview", "download"):
        response = await call(
            jp_fetch, "GET", "runs", run_id, "artifacts", verb, params={"name": name}
        )
        message = assert_error(response, 404, "not_found")
        assert "has no artifact" in message and "notes.txt" in message


async def test_artifact_of_another_run_is_404(jp_fetch, seeded) -> None:
    other = seeded["ids"][1]  # notes.txt belongs to the first run only
    assert_error(await _preview(jp_fetch, other, "notes.txt"), 404, "not_found")
    assert_error(await _preview(jp_fetch, "f" * 32, "notes.txt"), 404, "not_found")
    response = await call(jp_fetch, "GET", "runs", other, "artifacts", "preview")
    assert "name" in assert_error(response, 400, "invalid_input")


# -- figures --------------------------------------------------------------------------------


async def test_history_figure_one_trace_per_run(jp_fetch, seeded) -> None:
    ids = seeded["ids"]
    answer = ok(
        await call(
            jp_fetch,
            "GET",
            "figures",
            "history",
            params={"run_ids": ",".join(ids), "metric": "loss"},
        )
    )
    traces = answer["figure"]["data"]
    assert [t["meta"]["run_id"] for t in traces] == ids
    assert max(len(t["x"]) for t in traces) == 2000  # 5,000 points downsampled
    assert answer["choices"]["metrics"] == ["acc", "loss"]
    assert answer["choices"]["numeric_params"] == ["depth", "lr"]
    assert answer["figure"]["layout"]["paper_bgcolor"] == "rgba(0,0,0,0)"
    dark = ok(
        await call(
            jp_fetch,
            "GET",
            "figures",
            "history",
            params={"run_ids": ids[1], "theme": "dark", "smoothing": "0.6", "log_y": "true"},
        )
    )
    layout = dark["figure"]["layout"]
    assert layout["yaxis"]["type"] == "log"
    assert layout["template"]["layout"]["paper_bgcolor"] == "rgb(17,17,17)"  # plotly_dark
    assert len(dark["figure"]["data"]) == 2  # the raw line and its smoothed one


async def test_history_figure_reads_all_runs_at_once(jp_fetch, jp_serverapp, seeded) -> None:
    ids = seeded["ids"]
    engine = jp_serverapp.web_app.settings["workbench"].store().engine

    async def history(run_ids: list[str]) -> tuple[list[str], Any]:
        params = {"run_ids": ",".join(run_ids), "metric": "loss"}
        with statements(engine) as seen:
            answer = ok(await call(jp_fetch, "GET", "figures", "history", params=params))
        return seen, answer

    alone, _ = await history(ids[:1])
    three, answer = await history(ids)
    assert len(three) == len(alone), three  # not one more run read per run
    points = [s for s in selects(three) if "FROM metrics" in s]
    assert len(points) == 1 and '"key" IN' in points[0]  # only the drawn metric
    traces = answer["figure"]["data"]
    assert [len(t["x"]) for t in traces] == [2000, 20, 20]  # downsampled to 2,000 each
    assert traces[1]["y"][:2] == [pytest.approx(1.0 + 0.2), pytest.approx(0.5 + 0.2)]


@pytest.mark.parametrize(
    ("kind", "params", "trace"),
    [
        ("param", {"metric": "acc", "param": "lr"}, "scatter"),
        ("parallel", {"metric": "acc"}, "parcoords"),
        ("contour", {"metric": "acc", "x": "lr", "y": "depth"}, "contour"),
    ],
)
async def test_other_figures(jp_fetch, seeded, kind, params, trace) -> None:
    answer = ok(
        await call(
            jp_fetch,
            "GET",
            "figures",
            kind,
            params={"run_ids": ",".join(seeded["ids"]), **params},
        )
    )
    assert answer["figure"]["data"][0]["type"] == trace


@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        ({"run_ids": "RUN", "metric": "nope"}, 400, "nope"),
        ({"run_ids": "RUN", "smoothing": "1.5"}, 400, "smoothing"),
        ({"run_ids": "RUN", "theme": "pink"}, 400, "theme"),
        ({"run_ids": "RUN", "x": "wall"}, 400, "wall"),
        ({"run_ids": " , "}, 400, "at least one run"),
        ({"run_ids": ",".join(f"{i:032x}" for i in range(201))}, 400, "at most 200"),
        ({"run_ids": "f" * 32}, 404, "f" * 32),
        ({}, 400, "run_ids"),
    ],
)
async def test_bad_figure_requests(jp_fetch, seeded, params, status, needle) -> None:
    params = {k: seeded["ids"][0] if v == "RUN" else v for k, v in params.items()}
    response = await call(jp_fetch, "GET", "figures", "history", params=params)
    assert needle in assert_error(
        response, status, "invalid_input" if status == 400 else "not_found"
    )


async def test_unknown_figure_kind_is_404(jp_fetch, seeded) -> None:
    response = await call(jp_fetch, "GET", "figures", "pie", params={"run_ids": seeded["ids"][0]})
    assert response.code == 404


# -- diff -----------------------------------------------------------------------------------


async def test_diff_of_two_runs(jp_fetch, seeded) -> None:
    a, b = seeded["ids"][:2]
    diff = ok(await call(jp_fetch, "GET", "diff", params={"base": a, "remote": b}))
    assert (diff["base"]["run_id"], diff["remote"]["run_id"]) == (a, b)
    assert (diff["base"]["params"]["lr"], diff["remote"]["params"]["lr"]) == (0.1, 0.2)
    statuses = [c["status"] for c in diff["cells"]]
    assert statuses == ["unchanged", "modified", "unchanged"]
    changed = diff["cells"][1]
    assert changed["source_changed"] and changed["outputs_changed"]
    assert changed["source"] == [
        {"op": "-", "text": "print('run0')"},
        {"op": "+", "text": "print('run1')"},
    ]
    assert changed["outputs"] == [{"op": "-", "text": "out0"}, {"op": "+", "text": "out1"}]
    assert diff["base_provenance"]["git"]["commit"] == "abc"


async def test_diff_without_executed_notebook_compares_the_rest(jp_fetch, seeded) -> None:
    a = seeded["ids"][0]
    diff = ok(
        await call(jp_fetch, "GET", "diff", params={"base": a, "remote": seeded["interactive"]})
    )
    assert diff["cells"] is None and "no executed notebook" in diff["message"]


async def test_bad_diff_requests(jp_fetch, seeded) -> None:
    a = seeded["ids"][0]
    assert_error(await call(jp_fetch, "GET", "diff", params={"base": a}), 400, "invalid_input")
    response = await call(jp_fetch, "GET", "diff", params={"base": a, "remote": "f" * 32})
    assert_error(response, 404, "not_found")
