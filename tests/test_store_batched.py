"""Reads of many runs or sweeps at once, on both backends: one query whatever their number
(the figures' metric histories, the sweep list's ETA)."""

from __future__ import annotations

import pytest
from sql_count import selects, statements

from workbench.entities import RunStatus, SweepOptions
from workbench.store import Store


@pytest.fixture
def store(both_backends_store: Store) -> Store:
    return both_backends_store


def test_metric_histories_of_many_runs_in_one_query(store: Store) -> None:
    runs = [store.create_run(experiment="e") for _ in range(4)]
    for i, run_id in enumerate(runs[:3]):
        # written out of step order: read back in it
        store.log_batch(run_id, [("loss", 1.0 / (s + 1) + i, s, 10.0 + s) for s in (2, 0, 1)])
        store.log_batch(run_id, [("acc", 0.5 + i, 0, 10.0)])
    with statements(store.engine) as seen:
        histories = store.metric_histories(runs)
    assert len(selects(seen)) == 1
    assert set(histories) == set(runs[:3])  # the run without points has no entry
    loss = histories[runs[1]]["loss"]
    assert [(p.step, p.value, p.timestamp) for p in loss] == [
        (0, 2.0, 10.0),
        (1, 1.5, 11.0),
        (2, 1.0 + 1 / 3, 12.0),
    ]
    only = store.metric_histories(runs, ["acc"])
    assert {run_id: list(h) for run_id, h in only.items()} == {r: ["acc"] for r in runs[:3]}
    # get_run reads its history the same way
    assert store.get_run(runs[1]).metric_history == histories[runs[1]]
    assert store.metric_histories([]) == {}


def test_job_times_of_many_sweeps_in_one_query(store: Store) -> None:
    def sweep(keys: list[str]) -> str:
        return store.create_sweep(
            notebook="/nb.ipynb",
            notebook_sha256="s",
            experiment=None,
            spec={},
            options=SweepOptions(),
            jobs=[({"x": k}, k) for k in keys],
        ).sweep_id

    first, second, empty = sweep(["a", "b"]), sweep(["c"]), sweep(["a"])  # "a" is in flight
    done, queued = (j.run_id for j in store.job_runs(first))
    store.start_queued_run(done, {})
    started = store.get_run(done, history=False).started_at
    store.set_status(done, RunStatus.FAILED, ended_at=started + 4.0)
    retry = store.new_attempt(done)
    store.cancel_queued(second)
    store.delete_runs([store.job_runs(second)[0].run_id])
    with statements(store.engine) as seen:
        times = store.sweep_job_times([first, second, empty])
    assert len(selects(seen)) == 1
    assert set(times) == {first, second, empty}
    assert sorted(times[first], key=lambda t: t[0]) == sorted(
        [
            ("failed", started, pytest.approx(4.0)),
            ("queued", store.get_run(queued, history=False).started_at, None),
            ("queued", store.get_run(retry, history=False).started_at, None),
        ],
        key=lambda t: t[0],
    )
    assert times[second] == [] and times[empty] == []  # deleted runs left out
    assert store.sweep_job_times([]) == {}
