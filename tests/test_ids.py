"""Id resolution (workbench.ids) on both backends: full ids and unique prefixes of runs and
sweeps, by one query on the id column alone."""

from __future__ import annotations

import pytest
from sql_count import selects, statements

from workbench.entities import SweepOptions
from workbench.errors import InvalidInput, NotFound
from workbench.ids import resolve_run_id, resolve_sweep_id, resolve_target
from workbench.store import Store


@pytest.fixture
def store(both_backends_store: Store) -> Store:
    return both_backends_store


def test_full_ids_and_prefixes_resolve_by_one_light_query(store: Store) -> None:
    run_id = store.create_run(
        experiment="e", run_id="abcd" + "0" * 28, params={"lr": 0.1}, tags={"t": "x"}
    )
    store.log_batch(run_id, [("loss", 1.0, 0, 1.0)])
    store.create_run(experiment="e", run_id="abce" + "0" * 28)
    for text in (run_id, run_id[:6], f"  {run_id[:6].upper()} "):
        with statements(store.engine) as seen:
            assert resolve_run_id(store, text) == run_id
        queries = selects(seen)
        assert len(queries) == 1, queries
        # ids only: no params, metrics, tags or artifacts read to find one
        assert not any(t in queries[0] for t in ("params", "metrics", "tags", "artifacts"))


def test_an_id_that_begins_another_is_itself(store: Store) -> None:
    # Ids may be given (create_run(run_id=...)); a full id wins over the longer ones it begins.
    short = store.create_run(experiment="e", run_id="abcd")
    for i in range(8):
        store.create_run(experiment="e", run_id=f"abcd{i:028x}")
    assert resolve_run_id(store, "abcd") == short
    named = store.create_run(experiment="e", run_id="my-run")  # not hex: found whole only
    assert resolve_run_id(store, "my-run") == named
    with pytest.raises(NotFound, match="no run id starts with 'my-r'"):
        resolve_run_id(store, "my-r")


def test_errors_keep_their_words(store: Store) -> None:
    store.create_run(experiment="e", run_id="abcd" + "1" * 28)
    store.create_run(experiment="e", run_id="abcd" + "2" * 28)
    with pytest.raises(InvalidInput, match=r"several runs start with 'abcd' \(abcd11111111, "):
        resolve_run_id(store, "abcd")
    with pytest.raises(InvalidInput, match="run id 'abc' is too short: give at least 4"):
        resolve_run_id(store, "abc")
    with pytest.raises(NotFound, match="no run id starts with 'ffff': list them with `workbench"):
        resolve_run_id(store, "ffff")


def test_sweeps_and_targets(store: Store) -> None:
    sweep_id = store.create_sweep(
        notebook="/nb.ipynb",
        notebook_sha256="s",
        experiment=None,
        spec={},
        options=SweepOptions(),
        jobs=[({"x": 1}, "k1")],
    ).sweep_id
    (job,) = store.job_runs(sweep_id)
    with statements(store.engine) as seen:
        assert resolve_sweep_id(store, sweep_id) == sweep_id
    assert len(selects(seen)) == 1
    assert resolve_sweep_id(store, sweep_id[:8]) == sweep_id
    assert resolve_target(store, sweep_id[:8]) == ("sweep", sweep_id)
    assert resolve_target(store, job.run_id) == ("run", job.run_id)
    with pytest.raises(NotFound, match="no sweep or run id starts with 'ffffff'"):
        resolve_target(store, "ffffff")
