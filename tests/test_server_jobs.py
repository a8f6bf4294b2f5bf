"""The job routes on a real jupyter_server over a real SQLite store: a job's log and
progress, cancel and retry of one job, retry of a sweep's failed jobs, resume; ranked runs
and the ETA of GET sweeps/{id}. The last tests drive real sweeps with real kernels."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from server_api import as_json, assert_error, call, ok, write_notebook
from sql_count import statements

from workbench.entities import RunStatus, SweepOptions
from workbench.notebooks.joblog import JobLogWriter, keep_log, log_path
from workbench.notebooks.progress import CellProgress, progress_path, write_progress
from workbench.store import Store

FINISHED = {s.value for s in RunStatus if s.finished}

# A job that waits while hold-<x> exists next to it (at most 120 s), fails if fail-<x> does.
HOLDING = (
    "import os, time\nt0 = time.time()\n"
    "while os.path.exists(f'hold-{x}') and time.time() - t0 < 120:\n    time.sleep(0.1)",
    "if os.path.exists(f'fail-{x}'):\n    raise ValueError(f'asked to fail: {x}')",
    "import workbench as wb\nwb.log_metric('y', x * 10)",
)


@pytest.fixture
def root(wb_home: Path, jp_root_dir: Path) -> Path:
    root = Path(jp_root_dir).resolve()
    write_notebook(root / "hold.ipynb", "x: int = 1", *HOLDING)
    return root


def _sweep(store: Store, root: Path, xs: list[int], **options: Any) -> tuple[str, list[str]]:
    """A sweep planned in the store with one queued job per x, and no runner."""
    from workbench.notebooks.reader import read_notebook
    from workbench.tracking.provenance import notebook_sha256

    sha = notebook_sha256(read_notebook(root / "hold.ipynb"))
    sweep_id = store.create_sweep(
        notebook=str(root / "hold.ipynb"),
        notebook_sha256=sha,
        experiment="jobs",
        spec={"grid": {"x": xs}},
        options=SweepOptions(**options),
        jobs=[({"x": x}, f"key-{x}-{time.time()}") for x in xs],
    ).sweep_id
    return sweep_id, [j.run_id for j in store.job_runs(sweep_id)]


# -- GET runs/{id}/log ------------------------------------------------------------------------


async def test_log_by_offset_with_progress(jp_fetch, root, store: Store) -> None:
    _, (run_id,) = _sweep(store, root, [1])
    store.start_queued_run(run_id, {})
    writer = JobLogWriter(log_path(store.location.home, run_id))
    writer.cell_output(2, "import os, time", {"output_type": "stream", "text": "hello\n"})
    write_progress(
        progress_path(store.location.home, run_id),
        CellProgress(run_id, 2, 5, 2, "import os, time", time.time()),
    )

    first = ok(await call(jp_fetch, "GET", "runs", run_id, "log"))
    assert first["text"] == "── cell 2: import os, time\nhello\n"
    assert (first["offset"], first["next_offset"]) == (0, first["size"])
    assert (first["status"], first["final"]) == ("running", False)
    assert first["cap_bytes"] == 1024 * 1024
    assert first["progress"]["cells_done"] == 2
    assert first["progress"]["cells_total"] == 5
    assert first["progress"]["current_cell"] == 2
    assert first["progress"]["current_source"] == "import os, time"

    writer.cell_output(2, "import os, time", {"output_type": "stream", "text": "again\n"})
    params = {"offset": str(first["next_offset"])}
    second = ok(await call(jp_fetch, "GET", "runs", run_id, "log", params=params))
    assert second["text"] == "again\n"  # only what is new

    # The job ends: its log is stored, the status final, the last progress kept.
    writer.close()
    write_progress(
        progress_path(store.location.home, run_id),
        CellProgress(run_id, 5, 5, None, "", time.time()),
    )
    assert keep_log(store, run_id)
    store.set_status(run_id, RunStatus.SUCCEEDED)
    progress_path(store.location.home, run_id).unlink()
    ended = ok(await call(jp_fetch, "GET", "runs", run_id, "log", params=params))
    assert (ended["text"], ended["status"], ended["final"]) == ("again\n", "succeeded", True)
    assert ended["progress"]["cells_done"] == 5


async def test_stored_log_is_read_from_its_offset(
    jp_fetch, jp_serverapp, root, store: Store
) -> None:
    _, (run_id,) = _sweep(store, root, [1])
    store.start_queued_run(run_id, {})
    writer = JobLogWriter(log_path(store.location.home, run_id))
    for _ in range(110):  # multi-byte characters (chunks cut through some) past the 1 MiB cap
        writer.cell_output(0, "", {"output_type": "stream", "text": "é€😀 " * 1000 + "\n"})
    writer.close()

    async def walk() -> list[tuple[str, int, int, bool]]:
        chunks, offset = [], 0
        for _ in range(3):
            params = {"offset": str(offset), "limit": "4099"}
            got = ok(await call(jp_fetch, "GET", "runs", run_id, "log", params=params))
            chunks.append((got["text"], got["next_offset"], got["size"], got["final"]))
            offset = got["next_offset"]
        return chunks

    running = await walk()  # from the job's scratch file
    assert keep_log(store, run_id)
    store.set_status(run_id, RunStatus.SUCCEEDED)
    stored = await walk()  # from its job.log artifact
    assert [c[:3] for c in stored] == [c[:3] for c in running]  # same bytes, same offsets
    assert not any(c[3] for c in stored)
    assert "".join(c[0] for c in stored).startswith("── cell 0\né€😀 ")
    size = stored[0][2]
    assert size > 1024 * 1024  # capped: 1 MiB of output and the note that says so

    engine = jp_serverapp.web_app.settings["workbench"].store().engine
    params = {"offset": str(size - 1000), "limit": "4099"}
    tracemalloc.start()
    try:
        with statements(engine) as seen:
            tail = ok(await call(jp_fetch, "GET", "runs", run_id, "log", params=params))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tail["final"] and "the executed notebook has every output" in tail["text"]
    assert peak < size // 4, peak  # the tail was read, not the whole log
    assert len([s for s in seen if "FROM artifacts" in s]) == 1  # the run read once


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"offset": "-1"}, 400, ["offset"]),
        ({"offset": "x"}, 400, ["offset"]),
        ({"limit": "0"}, 400, ["limit"]),
        ({"limit": str(2 * 1024 * 1024)}, 400, ["limit"]),
        ({"offset": "999"}, 400, ["past the end"]),
    ],
)
async def test_bad_log_queries(jp_fetch, root, store, params, status, words) -> None:
    _, (run_id,) = _sweep(store, root, [1])
    JobLogWriter(log_path(store.location.home, run_id)).cell_output(
        0, "", {"output_type": "stream", "text": "short\n"}
    )
    response = await call(jp_fetch, "GET", "runs", run_id, "log", params=params)
    message = assert_error(response, status, "invalid_input")
    for word in words:
        assert word in message


async def test_log_of_unknown_run_is_404(jp_fetch, root) -> None:
    for run_id in ("nope", "0" * 32, "..%2F..%2Fsecret"):
        assert_error(await call(jp_fetch, "GET", "runs", run_id, "log"), 404, "not_found")


# -- GET sweeps/{id}: progress, ranking, latest attempts, ETA ---------------------------------


async def test_sweep_runs_ranked_with_progress_and_eta(jp_fetch, root, store: Store) -> None:
    sweep_id, (a, b, c) = _sweep(store, root, [1, 2, 3], workers=2)
    now = time.time()
    for run_id, y in ((a, 5.0), (b, 9.0)):
        store.start_queued_run(run_id, {})
        store.log_batch(run_id, metrics=[("y", y, 0, now)])
        store.set_status(run_id, RunStatus.FAILED if run_id == b else RunStatus.SUCCEEDED)
    retry = store.new_attempt(b)
    store.start_queued_run(retry, {})
    (store.location.home / "tmp").mkdir(exist_ok=True)
    write_progress(
        progress_path(store.location.home, retry),
        CellProgress(retry, 3, 6, 3, "while os.path.exists(f'hold-{x}')", now),
    )

    detail = ok(await call(jp_fetch, "GET", "sweeps", sweep_id))
    assert detail["runner_alive"] is False
    assert detail["eta_s"] is not None and detail["eta_s"] >= 0
    by_id = {r["run_id"]: r for r in detail["runs"]}
    assert by_id[retry]["progress"]["cells_done"] == 3
    assert by_id[retry]["progress"]["current_source"].startswith("while os.path")
    assert by_id[a]["progress"] is None and by_id[c]["progress"] is None
    assert (by_id[b]["latest"], by_id[retry]["latest"]) == (False, True)
    assert [r["run_id"] for r in detail["runs"]][-1] == c  # queued last

    assert detail["metric_names"] == ["y"]
    assert detail["default_order_by"] == "metrics.y desc"
    ranked = ok(
        await call(jp_fetch, "GET", "sweeps", sweep_id, params={"order_by": "metrics.y desc"})
    )
    assert [r["run_id"] for r in ranked["runs"]][:2] == [b, a]  # no metric yet: last
    latest = ok(
        await call(
            jp_fetch,
            "GET",
            "sweeps",
            sweep_id,
            params={"order_by": "metrics.y desc", "latest_only": "true"},
        )
    )
    assert [r["run_id"] for r in latest["runs"]][0] == a
    assert {r["run_id"] for r in latest["runs"]} == {a, retry, c}
    assert latest["runs_total"] == 3
    bad = await call(jp_fetch, "GET", "sweeps", sweep_id, params={"order_by": "bogus desc"})
    assert_error(bad, 400, "invalid_input")

    listed = ok(await call(jp_fetch, "GET", "sweeps"))["sweeps"][0]
    assert listed["eta_s"] is not None
    store.set_sweep_status(sweep_id, RunStatus.CANCELLED)
    assert ok(await call(jp_fetch, "GET", "sweeps", sweep_id))["eta_s"] is None


async def test_listing_sweeps_reads_their_jobs_at_once(
    jp_fetch, jp_serverapp, root, store: Store
) -> None:
    def planned(seconds: float, queued: int, workers: int) -> str:
        """A sweep whose first job took ``seconds``, with ``queued`` jobs left."""
        sweep_id, (first, *_) = _sweep(store, root, list(range(queued + 1)), workers=workers)
        store.start_queued_run(first, {})
        started = store.get_run(first, history=False).started_at
        store.set_status(first, RunStatus.SUCCEEDED, ended_at=started + seconds)
        return sweep_id

    engine = jp_serverapp.web_app.settings["workbench"].store().engine
    one = planned(10.0, queued=1, workers=1)
    with statements(engine) as alone:
        ok(await call(jp_fetch, "GET", "sweeps"))
    more = [planned(20.0, queued=2, workers=2) for _ in range(3)]
    ended = planned(5.0, queued=1, workers=1)
    store.set_sweep_status(ended, RunStatus.CANCELLED)
    with statements(engine) as five:
        listed = ok(await call(jp_fetch, "GET", "sweeps"))["sweeps"]
    assert len(five) == len(alone), five  # not one more query per sweep
    etas = {s["sweep_id"]: s["eta_s"] for s in listed}
    # queued jobs x mean duration / workers; an ended sweep has none
    assert etas == {
        one: pytest.approx(10.0),
        **dict.fromkeys(more, pytest.approx(20.0)),
        ended: None,
    }


# -- cancel, retry, resume: refusals ----------------------------------------------------------


async def test_job_actions_refuse_what_cannot_be_done(jp_fetch, root, store: Store) -> None:
    sweep_id, (a, b) = _sweep(store, root, [1, 2])
    store.start_queued_run(a, {})
    store.set_status(a, RunStatus.SUCCEEDED)
    store.start_queued_run(b, {})
    store.set_status(b, RunStatus.FAILED)
    store.set_sweep_status(sweep_id, RunStatus.SUCCEEDED)
    one_off = store.create_run(source="job")

    message = assert_error(await call(jp_fetch, "POST", "runs", a, "retry"), 409, "conflict")
    assert "succeeded" in message
    message = assert_error(
        await call(jp_fetch, "POST", "runs", one_off, "retry"), 400, "invalid_input"
    )
    assert "not a job of a sweep" in message
    assert_error(await call(jp_fetch, "POST", "runs", one_off, "cancel"), 400, "invalid_input")
    assert_error(await call(jp_fetch, "POST", "runs", "nope", "cancel"), 404, "not_found")
    assert_error(await call(jp_fetch, "POST", "runs", "nope", "retry"), 404, "not_found")
    assert_error(await call(jp_fetch, "POST", "sweeps", "nope", "retry"), 404, "not_found")
    assert_error(await call(jp_fetch, "POST", "sweeps", "nope", "resume"), 404, "not_found")
    assert_error(await call(jp_fetch, "GET", "runs", a, "cancel"), 405, "method_not_allowed")

    # A retried attempt is superseded: retry the latest one.
    newer = store.new_attempt(b)
    store.set_status(newer, RunStatus.CANCELLED)
    message = assert_error(await call(jp_fetch, "POST", "runs", b, "retry"), 409, "conflict")
    assert newer[:8] in message
    # No failed job left (the latest attempt is cancelled: resume runs that one).
    message = assert_error(
        await call(jp_fetch, "POST", "sweeps", sweep_id, "retry"), 409, "conflict"
    )
    assert "no failed job" in message

    # A sweep a live runner runs cannot be resumed.
    store.sweep_heartbeat(sweep_id, runner=f"{socket.gethostname()}:{os.getpid()}")
    store.set_sweep_status(sweep_id, RunStatus.RUNNING)
    message = assert_error(
        await call(jp_fetch, "POST", "sweeps", sweep_id, "resume"), 409, "conflict"
    )
    assert "still running" in message
    assert len(store.job_runs(sweep_id)) == 3  # nothing was queued by the refusals


async def test_cancel_a_queued_job(jp_fetch, root, store: Store) -> None:
    sweep_id, (a, b) = _sweep(store, root, [1, 2])
    detail = ok(await call(jp_fetch, "POST", "runs", a, "cancel"))
    assert detail["sweep_id"] == sweep_id
    statuses = {r["run_id"]: r["status"] for r in detail["runs"]}
    assert statuses == {a: "cancelled", b: "queued"}


# -- real sweeps ------------------------------------------------------------------------------


async def _wait(jp_fetch, sweep_id: str, until: Any, timeout_s: float = 150) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        sweep = ok(await call(jp_fetch, "GET", "sweeps", sweep_id))
        if until(sweep):
            return sweep
        if time.monotonic() > deadline:
            pytest.fail(f"sweep {sweep_id} did not get there in {timeout_s}s: {sweep}")
        await asyncio.sleep(0.3)


def _runs(sweep: dict, x: int) -> list[dict]:
    return sorted((r for r in sweep["runs"] if r["params"]["x"] == x), key=lambda r: r["attempt"])


@pytest.mark.slow
async def test_cancel_one_job_retry_it_then_retry_the_failed(jp_fetch, root) -> None:
    for x in (1, 2):
        (root / f"hold-{x}").touch()
    body = {"notebook": "hold.ipynb", "grid": {"x": [1, 2]}, "workers": 2, "timeout": 200}
    response = await call(jp_fetch, "POST", "sweeps", body=json.dumps(body))
    assert response.code == 201, response.body
    sweep_id = as_json(response)["sweep_id"]
    sweep = await _wait(jp_fetch, sweep_id, lambda s: s["counts"]["running"] == 2)
    assert sweep["runner_alive"] is True
    (first,) = _runs(sweep, 1)

    # Cancel job x=1 alone: its kernel is killed, x=2 goes on.
    ok(await call(jp_fetch, "POST", "runs", first["run_id"], "cancel"))
    sweep = await _wait(jp_fetch, sweep_id, lambda s: _runs(s, 1)[0]["status"] in FINISHED)
    assert _runs(sweep, 1)[0]["status"] == "cancelled"
    assert _runs(sweep, 2)[0]["status"] == "running"

    # Retry it while the sweep's runner still runs x=2: that runner picks it up.
    (root / "hold-1").unlink()
    retried = ok(await call(jp_fetch, "POST", "runs", first["run_id"], "retry"))
    assert [r["attempt"] for r in _runs(retried, 1)] == [1, 2]
    sweep = await _wait(jp_fetch, sweep_id, lambda s: _runs(s, 1)[-1]["status"] in FINISHED)
    assert _runs(sweep, 1)[-1]["status"] == "succeeded"
    assert _runs(sweep, 1)[-1]["metrics"] == {"y": 10.0}
    assert _runs(sweep, 2)[0]["status"] == "running"

    # x=2 fails; the sweep ends; "retry failed" starts a runner for that job alone.
    (root / "fail-2").touch()
    (root / "hold-2").unlink()
    sweep = await _wait(jp_fetch, sweep_id, lambda s: s["status"] in FINISHED)
    assert sweep["status"] == "succeeded"  # it ran to its end
    assert sweep["counts"]["failed"] == 1 and sweep["counts"]["succeeded"] == 1
    (root / "fail-2").unlink()
    again = ok(await call(jp_fetch, "POST", "sweeps", sweep_id, "retry"))
    assert again["counts"]["queued"] == 1
    sweep = await _wait(
        jp_fetch, sweep_id, lambda s: s["status"] in FINISHED and s["counts"]["queued"] == 0
    )
    assert sweep["counts"]["succeeded"] == 2, sweep["counts"]
    assert [r["status"] for r in _runs(sweep, 1)] == ["cancelled", "succeeded"]
    assert [r["status"] for r in _runs(sweep, 2)] == ["failed", "succeeded"]
    assert sweep["runs_total"] == 4
    # The failed attempt's log and executed notebook say what happened.
    failed = _runs(sweep, 2)[0]
    log = ok(await call(jp_fetch, "GET", "runs", failed["run_id"], "log"))
    assert log["final"] and "ValueError: asked to fail: 2" in log["text"]


@pytest.mark.slow
async def test_resume_a_sweep_cancelled_before_it_ran(jp_fetch, root, store: Store) -> None:
    sweep_id, (run_id,) = _sweep(store, root, [3], timeout=120)
    store.request_cancel(sweep_id=sweep_id)
    store.cancel_active(sweep_id, "cancelled before it ran")
    store.set_sweep_status(sweep_id, RunStatus.CANCELLED)
    resumed = ok(await call(jp_fetch, "POST", "sweeps", sweep_id, "resume"))
    assert resumed["sweep_id"] == sweep_id
    sweep = await _wait(
        jp_fetch,
        sweep_id,
        lambda s: s["status"] in FINISHED and s["counts"]["succeeded"] == 1,
    )
    assert [r["status"] for r in _runs(sweep, 3)] == ["cancelled", "succeeded"]
