"""One run per job key, whoever submits it and however many submit it at once.

A job key is claimed in the store in the same write transaction that queues its run: on
SQLite (writers serialized) and PostgreSQL (the claim's primary key) alike, concurrent
identical submissions queue each job once; the others skip it. ``force`` runs it again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from test_sweeps import NOTEBOOK

from workbench.entities import RunStatus, SweepOptions
from workbench.errors import NotFound
from workbench.store import RunFilter, Store, locate

KEYS = ["k1", "k2", "k3"]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return locate(tmp_path / ".workbench", db_url=url)


def _create(store: Store, *, force: bool = False):
    return store.create_sweep(
        notebook="nb.ipynb",
        notebook_sha256="0" * 64,
        experiment=None,
        spec={},
        options=SweepOptions(force=force),
        jobs=[({"x": i}, key) for i, key in enumerate(KEYS)],
    )


def _runs_per_key(store: Store) -> Counter[str]:
    return Counter(r.job_key for s in store.list_sweeps() for r in store.job_runs(s.sweep_id))


def test_concurrent_identical_submissions_queue_each_job_once(location) -> None:
    # One Store (one engine, one connection pool) per submitter, as separate processes have.
    stores = [Store(location) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    results, errors = [], []

    def submit(store: Store) -> None:
        barrier.wait()
        try:
            results.append(_create(store))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 4
    assert sum(r.queued for r in results) == 3
    assert sum(r.in_flight for r in results) == 9
    assert _runs_per_key(stores[0]) == {key: 1 for key in KEYS}
    for store in stores:
        store.close()


def test_done_keys_skip_failed_keys_claim_again_force_runs_all(location) -> None:
    store = Store(location)
    first = _create(store)
    runs = {r.job_key: r.run_id for r in store.job_runs(first.sweep_id)}
    store.set_status(runs["k1"], RunStatus.SUCCEEDED)
    store.set_status(runs["k2"], RunStatus.FAILED)
    # k3 still queued in the first sweep
    second = _create(store)
    assert (second.queued, second.done, second.in_flight) == (1, 1, 1)
    (retried,) = store.job_runs(second.sweep_id)
    assert retried.job_key == "k2"
    assert store.get_sweep(second.sweep_id).status is RunStatus.RUNNING

    # A retry of the first sweep's failed k2 finds the claim gone to the second sweep's run.
    store.set_status(retried.run_id, RunStatus.SUCCEEDED)
    third = _create(store)
    assert (third.queued, third.done, third.in_flight) == (0, 2, 1)
    assert store.get_sweep(third.sweep_id).status is RunStatus.SUCCEEDED  # nothing of its own

    forced = _create(store, force=True)
    assert forced.queued == 3
    assert _runs_per_key(store) == {"k1": 2, "k2": 3, "k3": 2}
    store.close()


def test_a_retry_takes_over_the_claim(location) -> None:
    store = Store(location)
    first = _create(store)
    run = next(r for r in store.job_runs(first.sweep_id) if r.job_key == "k1")
    store.set_status(run.run_id, RunStatus.FAILED)
    retry = store.new_attempt(run.run_id)  # queued: the job is in flight again
    again = _create(store)
    assert again.in_flight == 3 and again.queued == 0
    store.set_status(retry, RunStatus.SUCCEEDED)
    assert _create(store).done == 1
    store.close()


@pytest.mark.slow
def test_three_concurrent_cli_sweeps_run_three_jobs(tmp_path: Path) -> None:
    home = tmp_path / ".workbench"
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    command = [sys.executable, "-m", "workbench", "sweep", str(NOTEBOOK), "--grid", "x=1,2,3"]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    store = Store(locate(home))
    runs, total = store.search_runs(RunFilter())
    assert total == 3, [r.params for r in runs]
    assert sorted(r.params["x"] for r in runs) == [1, 2, 3]
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}
    said = b"".join(out for out, _ in outputs)
    assert said.count(b"skipped") >= 2, said  # the other two said what they skipped
    store.close()


@pytest.mark.slow
async def test_four_concurrent_identical_posts_run_each_job_once(
    jp_fetch, jp_root_dir: Path, wb_home: Path
) -> None:
    import asyncio
    import json
    import shutil

    from workbench.store import open_store

    shutil.copy(NOTEBOOK, Path(jp_root_dir) / "job.ipynb")
    body = json.dumps({"notebook": "job.ipynb", "grid": {"x": [1, 2, 3]}, "workers": 1})
    answers = await asyncio.gather(
        *(
            jp_fetch("workbench", "api", "sweeps", method="POST", body=body, raise_error=False)
            for _ in range(4)
        )
    )
    assert [a.code for a in answers] == [201] * 4, [a.body for a in answers]
    store = open_store(home=str(wb_home))
    sweeps = [json.loads(a.body) for a in answers]
    assert sum(s["total"] for s in sweeps) == 3  # the other three queued nothing
    deadline = time.monotonic() + 180
    while not all(store.get_sweep(s["sweep_id"]).status.finished for s in sweeps):
        assert time.monotonic() < deadline, "the sweeps did not finish"
        await asyncio.sleep(0.5)
    runs, total = store.search_runs(RunFilter())
    assert total == 3 and sorted(r.params["x"] for r in runs) == [1, 2, 3]
    assert {r.status for r in runs} == {RunStatus.SUCCEEDED}


def test_a_job_is_retried_once_however_many_ask(location) -> None:
    from workbench.errors import Conflict

    store = Store(location)
    first = _create(store)
    run = next(r for r in store.job_runs(first.sweep_id) if r.job_key == "k1")
    with pytest.raises(Conflict, match="still queued or running"):
        store.new_attempt(run.run_id)  # queued: nothing to retry yet
    store.set_status(run.run_id, RunStatus.FAILED)
    store.new_attempt(run.run_id)
    with pytest.raises(Conflict, match="retried already"):
        store.new_attempt(run.run_id)  # a second click, or the runner racing it
    assert _runs_per_key(store)["k1"] == 2
    store.close()


def test_a_sweep_cannot_end_as_succeeded_while_a_job_is_queued(location) -> None:
    store = Store(location)
    created = _create(store)
    sweep_id = created.sweep_id
    # its three jobs are queued: a success is refused; a cancel or a failure is not
    assert store.finish_sweep(sweep_id, RunStatus.SUCCEEDED) is False
    assert store.get_sweep(sweep_id).status is not RunStatus.SUCCEEDED
    for row in store.job_runs(sweep_id):
        store.set_status(row.run_id, RunStatus.SUCCEEDED)
    assert store.finish_sweep(sweep_id, RunStatus.SUCCEEDED) is True
    assert store.get_sweep(sweep_id).status is RunStatus.SUCCEEDED
    retry = store.new_attempt(store.job_runs(sweep_id)[0].run_id)  # queued again
    assert store.finish_sweep(sweep_id, RunStatus.SUCCEEDED) is False
    assert store.finish_sweep(sweep_id, RunStatus.CANCELLED) is True
    assert store.get_sweep(sweep_id).status is RunStatus.CANCELLED
    assert store.get_run(retry).status is RunStatus.QUEUED
    with pytest.raises(NotFound):
        store.finish_sweep("0" * 32, RunStatus.SUCCEEDED)


def test_a_retry_queued_as_the_runner_ends_is_run_by_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_sweeps import fresh_store

    from workbench.jobs.engine import run_sweep
    from workbench.jobs.plan import plan_sweep, spec_from_api

    store = fresh_store(tmp_path, monkeypatch)
    plan = plan_sweep(
        NOTEBOOK, spec_from_api(grid={"x": [1, 2]}), SweepOptions(workers=1), store=store
    )
    seen: list[tuple[RunStatus, bool]] = []
    retried: list[str] = []
    real = Store.finish_sweep

    def finish(self: Store, sweep_id: str, status: RunStatus) -> bool:
        if not retried:  # a retry arrives just as the runner ends the sweep
            first = store.job_runs(sweep_id)[0].run_id
            retried.append(store.new_attempt(first))
        ended = real(self, sweep_id, status)
        seen.append((status, ended))
        return ended

    monkeypatch.setattr(Store, "finish_sweep", finish)
    sweep = run_sweep(plan.sweep_id, store)
    # the first ending was refused, the runner ran the retry, then the sweep ended
    assert seen == [(RunStatus.SUCCEEDED, False), (RunStatus.SUCCEEDED, True)]
    assert sweep.status is RunStatus.SUCCEEDED
    assert store.get_run(retried[0]).status is RunStatus.SUCCEEDED
    attempts = {r.run_id: r.attempt for r in store.job_runs(plan.sweep_id)}
    assert attempts[retried[0]] == 2
