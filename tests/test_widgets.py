"""wb.widgets and workbench.plots: in-process (ipywidgets need no frontend to be built and
driven) and inside a real kernel started with jupyter_client, on real SQLite stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from workbench.entities import RunStatus
from workbench.errors import InvalidInput, NotFound
from workbench.store import RunFilter, Store, locate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / ".workbench"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_RUN_ID", raising=False)
    return home


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    store = Store(locate(home))
    yield store
    store.close()


def add_run(
    store: Store,
    name: str,
    params: dict[str, Any],
    history: dict[str, list[float]],
    status: RunStatus = RunStatus.SUCCEEDED,
) -> str:
    run_id = store.create_run(name=name, params=params)
    now = time.time()
    points = [(k, v, step, now) for k, values in history.items() for step, v in enumerate(values)]
    store.log_batch(run_id, points)
    store.set_status(run_id, status)
    time.sleep(0.002)  # distinct start times: newest first is a stable order
    return run_id


@pytest.fixture
def three_runs(store: Store) -> list[str]:
    return [
        add_run(
            store,
            "slow",
            {"lr": 0.01, "opt": "sgd"},
            {"loss": [1.0, 0.8, 0.7], "acc": [0.5, 0.6, 0.65]},
        ),
        add_run(
            store,
            "fast",
            {"lr": 0.1, "opt": "adam"},
            {"loss": [1.0, 0.5, 0.3], "acc": [0.5, 0.8, 0.9]},
        ),
        add_run(
            store, "broken", {"lr": 1.0, "opt": "adam"}, {"loss": [5.0]}, status=RunStatus.FAILED
        ),
    ]


def notebook(path: Path, params: str, body: str) -> Path:
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[cell, nbformat.v4.new_code_cell(body)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)
    return path


def scoring_notebook(tmp_path: Path) -> Path:
    return notebook(
        tmp_path / "score.ipynb",
        'x: int = 1  # the input\nopt: str = "adam"  # optimizer name',
        "import workbench as wb\n"
        "wb.log_metric('score', x * (2.0 if opt == 'sgd' else 1.0))\n"
        "wb.log_metric('loss', 1.0 / (x + 1))",
    )


# -- import cost ------------------------------------------------------------------------------


def test_import_workbench_leaves_widgets_unloaded_until_used() -> None:
    code = textwrap.dedent("""
        import sys
        import workbench as wb
        heavy = [m for m in ("ipywidgets", "plotly", "anywidget") if m in sys.modules]
        assert not heavy, heavy
        table = wb.widgets.runs
        assert "ipywidgets" in sys.modules and "plotly" in sys.modules
        assert wb.widgets.__name__ == "workbench.widgets"
        try:
            wb.no_such_thing
        except AttributeError as exc:
            print(exc)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "no attribute 'no_such_thing'" in out.stdout


# -- the runs table -------------------------------------------------------------------------


def _click_header(table: Any, field: str) -> None:
    """What the browser sends when a header is clicked (runs_grid.js)."""
    table.grid._handle_custom_msg({"type": "sort", "field": field}, [])


def _sorted_column(table: Any) -> list[tuple[str, str]]:
    return [(c["field"], c["sort"]) for c in table.grid.columns if c["sort"]]


def test_runs_table_filters_with_the_query_language_and_sorts_in_the_store(
    store: Store, three_runs: list[str]
) -> None:
    from workbench.widgets import RunsTable

    slow, fast, broken = three_runs
    table = RunsTable(store=store)
    assert table.rows == [broken, fast, slow]  # newest first, as the store lists them
    assert "1–3 of 3 runs" in table.count.value
    fields = [field for _, field in table.columns]
    assert fields[:5] == ["run_id", "name", "status", "started_at", "duration_s"]
    assert {"params.lr", "params.opt", "metrics.acc", "metrics.loss"} <= set(fields)
    # the page as the browser gets it: one row per run, one cell per column, escaped
    assert [r["id"] for r in table.grid.rows] == table.rows
    assert all(len(r["cells"]) == len(fields) for r in table.grid.rows)
    broken_row = table.grid.rows[0]["cells"]
    assert 'class="wb-status wb-status-failed"' in broken_row[2]
    assert broken_row[fields.index("metrics.acc")] == ""  # broken logged no acc

    table.status_filter.value = "failed"  # a RunFilter for the store
    assert table.rows == [broken]
    table.status_filter.value = "running"
    assert table.rows == [] and "No running runs" in table.count.value
    table.status_filter.value = ""

    table.query.value = "params.opt = 'adam'"  # what Enter in the box sends
    assert table.rows == [broken, fast] and table.where == "params.opt = 'adam'"
    assert "1–2 of 2 runs" in table.count.value
    table.filter("metrics.acc > 0.7 and params.lr < 1")
    assert table.rows == [fast] and table.notice.value == ""

    # A malformed filter or an unknown field: said above the table, the last page stays.
    table.filter("metrics.acc >")
    assert table.rows == [fast] and table.where == "metrics.acc > 0.7 and params.lr < 1"
    assert "Filter not applied" in table.notice.value and "column 14" in table.notice.value
    assert "wb-message-error" in table.notice.value
    table.filter("accuracy > 0.95")
    assert "unknown field &#x27;accuracy&#x27;" in table.notice.value
    assert "known fields" in table.notice.value and table.rows == [fast]
    table.filter("metrics.acc > 2")
    assert table.rows == [] and "No runs match the filter" in table.count.value
    assert table.notice.value == ""
    table.filter("")
    assert table.rows == [broken, fast, slow]

    table.sort("params.lr")
    assert table.rows == [slow, fast, broken]
    assert _sorted_column(table) == [("params.lr", "asc")]
    _click_header(table, "params.lr")  # the same column again: descending
    assert table.rows == [broken, fast, slow]
    assert _sorted_column(table) == [("params.lr", "desc")]
    table.sort("metrics.acc", ascending=False)  # the run without acc goes last...
    assert table.rows == [fast, slow, broken]
    table.sort("metrics.acc", ascending=True)  # ...in both directions
    assert table.rows == [slow, fast, broken]
    _click_header(table, "name")
    assert table.rows == [broken, fast, slow]
    table.sort("started")  # a shown label works too
    assert table.rows == [slow, fast, broken]
    assert _sorted_column(table) == [("started_at", "asc")]

    _click_header(table, "params")  # not a field: said, and the sort stays
    assert "Cannot sort" in table.notice.value and "needs a name" in table.notice.value
    assert table.rows == [slow, fast, broken] and table.sort_by == "started_at"
    table.close()


def test_runs_table_reads_one_page_at_a_time(store: Store) -> None:
    from workbench.widgets import RunsTable

    # Older runs have param "old", newer ones "new": a page shows only its runs' columns.
    ids = [
        add_run(store, f"r{i:02d}", {"old" if i < 12 else "new": i}, {"m": [i]}) for i in range(25)
    ]
    newest_first = ids[::-1]
    table = RunsTable(store=store, page_size=10)
    assert table.rows == newest_first[:10] and len(table.grid.rows) == 10
    assert "1–10 of 25 runs" in table.count.value
    assert table.prev_button.disabled and not table.next_button.disabled
    fields = {field for _, field in table.columns}
    assert "params.new" in fields and "params.old" not in fields

    table.next_button.click()
    assert table.rows == newest_first[10:20] and table.page_number == 2
    assert "11–20 of 25 runs" in table.count.value
    assert {"params.new", "params.old"} <= {field for _, field in table.columns}
    table.next_page()
    assert table.rows == newest_first[20:] and "21–25 of 25 runs" in table.count.value
    assert table.next_button.disabled
    table.next_page()  # past the end: stays
    assert table.page_number == 3 and table.pages == 3
    assert "params.new" not in {field for _, field in table.columns}

    # Sorting is done over every run, not the page: the largest m comes first.
    table.sort("metrics.m", ascending=False)
    assert table.page_number == 1 and table.rows == newest_first[:10]
    table.sort("metrics.m", ascending=True)
    assert table.rows == ids[:10]
    table.go_to_page(99)
    assert table.page_number == 3 and table.rows == ids[20:]
    table.prev_button.click()
    assert table.rows == ids[10:20]

    # A filter and the status dropdown go back to page 1 and count what matches.
    table.filter("metrics.m >= 12")
    assert table.page_number == 1 and table.total == 13
    assert table.rows == ids[12:22] and "1–10 of 13 runs" in table.count.value

    # Runs deleted under a later page: Refresh shows the last page that still exists.
    table.next_page()
    assert table.rows == ids[22:25]
    store.delete_runs(ids[20:25])
    table.refresh()
    assert table.page_number == 1 and table.rows == ids[12:20] and table.total == 8

    with pytest.raises(InvalidInput, match="page_size"):
        RunsTable(store=store, page_size=0)


def test_runs_table_selection_survives_paging_sorting_refresh(
    store: Store, three_runs: list[str]
) -> None:
    from workbench.widgets import Compare, RunsTable

    slow, fast, broken = three_runs
    table = RunsTable(store=store, page_size=2)
    assert table.rows == [broken, fast]
    assert table.selected == [] and table.compare_button.disabled
    table.compare_button.click()
    assert "Tick one or more runs" in table.below.children[0].value

    table.grid.selected = [fast]  # what ticking a box in the browser sends
    table.next_page()
    assert table.rows == [slow]
    table.grid.selected = [fast, slow]
    assert table.selected == [fast, slow]
    assert table.compare_button.description == "Compare (2)"
    assert "2 ticked" in table.count.value
    table.sort("params.lr", ascending=False)
    table.filter("params.opt = 'sgd'")  # fast is hidden by the filter: still ticked
    table.refresh()
    assert table.rows == [slow] and table.selected == [fast, slow]
    table.filter("")

    table.compare_button.click()
    comparison = table.below.children[0]
    assert isinstance(comparison, Compare) and comparison is table.comparison
    assert comparison.run_ids == [fast, slow]

    table.selected = [broken[:8], slow]  # prefixes resolve
    assert table.selected == [broken, slow] and table.grid.selected == [broken, slow]
    with pytest.raises(NotFound):
        table.selected = ["ffffffffffff"]
    assert table.selected == [broken, slow]

    # A new run shows after Refresh, with its new param; a deleted run is unticked.
    newer = add_run(store, "newer", {"lr": 0.5, "opt": "sgd", "batch": 32}, {"loss": [0.2]})
    store.delete_runs([broken])
    table.sort("started", ascending=False)
    assert table.rows == [newer, fast]
    assert "params.batch" in {field for _, field in table.columns}
    assert table.selected == [slow]
    table.close()


# -- compare and the figures ----------------------------------------------------------------


def test_compare_gives_one_trace_per_run(store: Store, three_runs: list[str]) -> None:
    from workbench.widgets import Compare

    slow, fast, broken = three_runs
    two = Compare([slow[:8], fast], store=store)  # a unique prefix works too
    assert two.run_ids == [slow, fast]
    # histories: one trace per run per metric; the dropdown shows one metric at a time
    assert sorted((t.meta["run_id"], t.meta["metric"]) for t in two.history.data) == sorted(
        (r, m) for r in (slow, fast) for m in ("acc", "loss")
    )
    shown = [t for t in two.history.data if t.visible]
    assert [t.meta["run_id"] for t in shown] == [slow, fast]
    assert {t.meta["metric"] for t in shown} == {two.history_metric.value}
    two.history_metric.value = "loss"
    shown = [t for t in two.history.data if t.visible]
    assert {t.meta["metric"] for t in shown} == {"loss"} and len(shown) == 2
    assert list(shown[0].y) == [1.0, 0.8, 0.7] and list(shown[0].x) == [0, 1, 2]
    assert two.history.layout.yaxis.title.text == "loss"

    # metric against parameter: one marker trace per run, numeric parameter first
    assert two.scatter_param.value == "lr"
    assert [t.meta["run_id"] for t in two.scatter.data] == [slow, fast]
    assert [t.x[0] for t in two.scatter.data] == [0.01, 0.1]
    two.scatter_metric.value = "loss"
    two.scatter_param.value = "opt"
    assert [t.x[0] for t in two.scatter.data] == ["sgd", "adam"]
    assert two.scatter.layout.xaxis.type == "category"
    assert [t.y[0] for t in two.scatter.data] == [0.7, 0.3]

    # two runs outside a sweep: no parallel coordinates
    assert two.parallel is None and len(two.figures) == 2

    # three runs with numeric params: parallel coordinates; the run without acc is left out
    three = Compare([slow, fast, broken], store=store)
    assert three.parallel is not None
    dims = three.parallel.data[0].dimensions
    assert [d.label for d in dims] == ["lr", three.parallel_metric.value]
    assert three.parallel_metric.value == "acc"
    assert list(three.parallel.data[0].meta["run_ids"]) == [slow, fast]
    three.parallel_metric.value = "loss"
    assert list(three.parallel.data[0].meta["run_ids"]) == [slow, fast, broken]
    assert len(three.history.data) == 3 * 2


def test_compare_accepts_a_frame_and_rejects_unknown_ids(
    store: Store, three_runs: list[str]
) -> None:
    from workbench.tracking.frames import runs_frame
    from workbench.widgets import Compare

    frame = runs_frame(store, RunFilter(status=RunStatus.SUCCEEDED))
    assert Compare(frame, store=store).run_ids == list(frame["run_id"])
    with pytest.raises(NotFound):
        Compare(["ffffffffffff"], store=store)


def test_plots_are_pure_functions_of_runs(store: Store, three_runs: list[str]) -> None:
    from workbench import plots
    from workbench.tracking.frames import runs_frame

    runs = [store.get_run(r) for r in three_runs]
    fig = plots.metric_history_figure(runs)
    assert len(fig.data) == 3 * 2  # every run, every metric (broken has no acc: empty trace)
    assert all(t.visible is True for t in fig.data)
    plots.set_visible_metric(fig, "acc")
    assert sum(bool(t.visible) for t in fig.data) == 3
    frame = runs_frame(store)
    assert plots.numeric_params(frame) == ["lr"]
    assert plots.param_columns(frame) == ["lr", "opt"]
    empty = plots.metric_vs_param_figure(frame, "nope", "lr")
    assert len(empty.data) == 0


# -- monitor --------------------------------------------------------------------------------


def test_monitor_follows_a_run_until_it_ends(store: Store) -> None:
    from workbench.widgets import Monitor

    run_id = store.create_run(name="live")
    monitor = Monitor(run_id=run_id, interval=0.1, store=store)
    try:
        assert monitor.running
        for step in range(5):
            store.log_batch(run_id, [("loss", 1 / (step + 1), step, time.time())])
            time.sleep(0.05)
        _until(lambda: [len(t.x) for t in monitor.figure.data] == [5])
        store.log_batch(run_id, [("acc", 0.9, 0, time.time())])
        _until(lambda: sorted(t.name for t in monitor.figure.data) == ["acc", "loss"])
        assert monitor.updates >= 2
        assert "live" in monitor.figure.layout.title.text
        store.set_status(run_id, RunStatus.SUCCEEDED)
        _until(lambda: not monitor.running)  # an explicit run: stops when it has finished
        assert "succeeded" in monitor.status.value
    finally:
        monitor.close()


def test_monitor_waits_for_an_active_run_and_stops_on_request(store: Store) -> None:
    from workbench.widgets import Monitor

    monitor = Monitor(interval=0.1, store=store)
    assert "No active run yet" in monitor.status.value
    assert monitor.running
    monitor.stop_button.click()
    assert not monitor.running
    assert "(stopped)" in monitor.status.value
    with pytest.raises(InvalidInput):
        Monitor(interval=0, store=store)


# -- sweep form -----------------------------------------------------------------------------


def test_sweep_form_builds_launch_options_from_the_schema(store: Store, tmp_path: Path) -> None:
    from workbench.widgets import SweepForm

    form = SweepForm(scoring_notebook(tmp_path), store=store)
    assert list(form.rows) == ["x", "opt"]
    assert form.rows["x"].text.value == "1" and form.rows["opt"].text.value == '"adam"'
    spec, options = form.request()
    assert spec.grid == {} and spec.fixed == {}  # defaults stay the notebook's
    form.set("x", "list", "1, 2, 3")
    form.set("opt", "fixed", '"sgd"')
    form.timeout.value = 60
    spec, options = form.request()
    assert spec.grid == {"x": ["1", "2", "3"]}
    assert spec.fixed == {"opt": "sgd"}
    assert options.timeout == 60 and spec.random == {} and spec.n is None
    form.set("opt", "random", "choice(adam,sgd)")
    form.n.value = 4
    spec, _ = form.request()
    assert {k: d.to_text() for k, d in spec.random.items()} == {"opt": "choice(adam,sgd)"}
    assert spec.n == 4
    form.rows["x"].mode.value = "random"  # switching mode clears the old default text
    form.rows["x"].text.value = ""
    with pytest.raises(InvalidInput, match="'x' is set to random"):
        form.request()
    with pytest.raises(InvalidInput, match="no parameter 'y'"):
        form.set("y", "list", "1")

    # A bad value is refused by the sweep engine before anything starts; the form says so.
    form.set("x", "list", "1, two")
    form.launch_button.click()
    assert "expects int" in form.feedback.children[0].value
    assert store.list_sweeps() == []


@pytest.mark.slow
def test_sweep_form_launches_a_sweep_whose_runs_land_in_the_store(
    store: Store, tmp_path: Path
) -> None:
    from workbench.widgets import SweepForm

    form = SweepForm(scoring_notebook(tmp_path), store=store, poll=0.5)
    form.set("x", "list", "1, 2, 3")
    form.set("opt", "fixed", "sgd")
    form.workers.value = 2
    sweep = form.launch()
    assert sweep.total == 3
    done = form.wait(timeout=240)
    assert done is not None and done.status is RunStatus.SUCCEEDED, done
    assert form.progress.value == form.progress.max == 3
    assert "3/3 done: 3 succeeded" in form.counts.value
    assert form.leaderboard.value.count("<tr>") == 1 + 3
    runs, total = store.search_runs(RunFilter(sweep_id=sweep.sweep_id))
    assert total == 3
    assert sorted(r.params["x"] for r in runs) == [1, 2, 3]
    assert {r.params["opt"] for r in runs} == {"sgd"}
    assert sorted(r.metrics["score"] for r in runs) == [2.0, 4.0, 6.0]
    assert form.cancel_button.disabled

    # The same spec again: every job already succeeded, nothing runs.
    again = form.launch()
    assert again.total == 0
    assert "nothing to run" in form.feedback.children[0].value


# -- store outages ----------------------------------------------------------------------------


@pytest.fixture
def pg_store(outage: tuple[str, Any], tmp_path: Path) -> Iterator[tuple[Store, Any]]:
    """A store on a real PostgreSQL database, and the switch that makes it refuse."""
    from workbench.store.location import StoreLocation

    url, switch = outage
    store = Store(StoreLocation(home=tmp_path / "pghome", db_url=url))
    yield store, switch
    store.close()


@pytest.mark.slow
def test_widgets_show_a_store_outage_and_recover_by_themselves(
    pg_store: tuple[Store, Any],
) -> None:
    from workbench.widgets import Compare, Monitor, RunsTable

    store, switch = pg_store
    first = add_run(store, "first", {"lr": 0.1}, {"loss": [1.0, 0.5]})
    live = store.create_run(name="live")
    store.log_batch(live, [("loss", 1.0, 0, time.time())])
    table = RunsTable(store=store)
    monitor = Monitor(run_id=live, interval=0.2, store=store)
    try:
        assert table.rows == [live, first] and table.notice.value == ""
        switch(False)
        table.refresh()  # Refresh during the outage: a message, not a traceback
        notice = table.notice.value
        assert "Store unavailable:" in notice and "retrying in 5 s" in notice, notice
        assert "wb-message-error" in notice and "Traceback" not in notice
        assert table.rows == [live, first]  # the last page stays on screen
        comparison = Compare([first], store=store)  # drawn once the store answers
        assert "Store unavailable" in comparison.children[0].value
        assert comparison.history is None
        _until(lambda: "Store unavailable" in monitor.status.value, timeout=15)
        assert "retrying in 5 s" in monitor.status.value

        switch(True)
        # Nobody clicks anything: each widget tries again after the store's retry_after.
        _until(lambda: table.notice.value == "", timeout=20)
        _until(lambda: comparison.history is not None, timeout=20)
        store.log_batch(live, [("loss", 0.5, 1, time.time())])
        _until(lambda: [len(t.x) for t in monitor.figure.data] == [2], timeout=20)
        assert "Store unavailable" not in monitor.status.value
        assert comparison.run_ids == [first] and len(comparison.history.data) == 1
        table.refresh()
        assert table.rows == [live, first] and table.notice.value == ""
    finally:
        monitor.close()
        table.close()


# -- in a real kernel ---------------------------------------------------------------------


class KernelSession:
    """A real IPython kernel (jupyter_client) with a store of its own."""

    def __init__(self, home: Path, cwd: Path) -> None:
        from jupyter_client.manager import start_new_kernel

        env = {
            k: v for k, v in os.environ.items() if k not in ("WORKBENCH_RUN_ID", "WORKBENCH_DB_URL")
        }
        env.update(WORKBENCH_HOME=str(home), PYTHONPATH=str(ROOT))
        self.km, self.kc = start_new_kernel(
            kernel_name="python3", env=env, cwd=str(cwd), startup_timeout=60
        )

    def run(self, code: str, timeout: float = 240) -> tuple[str, list[dict[str, Any]]]:
        messages: list[dict[str, Any]] = []
        reply = self.kc.execute_interactive(
            textwrap.dedent(code), timeout=timeout, output_hook=messages.append, allow_stdin=False
        )
        errors = [m["content"] for m in messages if m["msg_type"] == "error"]
        assert reply["content"]["status"] == "ok", "\n".join(
            "\n".join(e["traceback"]) for e in errors
        )
        stdout = "".join(
            m["content"]["text"]
            for m in messages
            if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
        )
        return stdout, messages

    def result(self, code: str, timeout: float = 240) -> dict[str, Any]:
        """Run ``code``; its last stdout line is a JSON object."""
        stdout, _ = self.run(code, timeout)
        return json.loads(stdout.strip().splitlines()[-1])

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(home: Path, tmp_path: Path) -> Iterator[KernelSession]:
    session = KernelSession(home, tmp_path)
    yield session
    session.close()


def _widget_views(messages: list[dict[str, Any]]) -> list[str]:
    return [
        m["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for m in messages
        if m["msg_type"] == "display_data"
        and "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
    ]


def _opened_models(messages: list[dict[str, Any]]) -> list[str]:
    return [
        m["content"]["data"]["state"].get("_model_name", "")
        for m in messages
        if m["msg_type"] == "comm_open"
    ]


@pytest.mark.slow
def test_widgets_in_a_real_kernel(kernel: KernelSession, home: Path, tmp_path: Path) -> None:
    out = kernel.result("""
        import json
        import workbench as wb
        ids = {}
        for name, lr, opt in (("k0", 0.01, "sgd"), ("k1", 0.1, "adam"), ("k2", 0.3, "sgd")):
            with wb.start_run(name=name) as run:
                wb.log_params({"lr": lr, "opt": opt})
                for step in range(4):
                    wb.log_metric("loss", lr / (step + 1), step=step)
                    wb.log_metric("acc", 1 - lr / (step + 1), step=step)
            ids[name] = run.run_id
        try:
            with wb.start_run(name="broken") as run:
                wb.log_metric("loss", 9.0)
                raise RuntimeError("boom")
        except RuntimeError:
            ids["broken"] = run.run_id
        print(json.dumps(ids))
    """)
    ids = out
    store = Store(locate(home))
    assert {r.name for r in store.search_runs()[0]} == {"k0", "k1", "k2", "broken"}

    stdout, messages = kernel.run("""
        table = wb.widgets.runs()
        display(table)
        seen = {"rows": table.rows, "frame": list(wb.runs()["run_id"])}
        table.status_filter.value = "failed"
        seen["failed"] = table.rows
        table.status_filter.value = ""
        table.query.value = "params.opt = 'sgd'"
        seen["sgd"] = table.rows
        table.query.value = ""
        table.sort("params.lr", ascending=False)
        seen["by_lr"] = table.rows
        seen["cells"] = len(table.grid.rows[0]["cells"])
        print(json.dumps(seen))
    """)
    seen = json.loads(stdout.strip().splitlines()[-1])
    assert seen["rows"] == seen["frame"] and len(seen["rows"]) == 4
    assert seen["failed"] == [ids["broken"]]
    assert sorted(seen["sgd"]) == sorted([ids["k0"], ids["k2"]])
    assert seen["by_lr"][:3] == [ids["k2"], ids["k1"], ids["k0"]]
    assert len(_widget_views(messages)) == 1
    models = _opened_models(messages)
    # The page is one anywidget model, whatever the number of runs and columns.
    assert "VBoxModel" in models and models.count("AnyModel") == 1, models
    assert "HTMLModel" in models and "CheckboxModel" not in models
    assert seen["cells"] == 5 + 2 + 2  # base columns, lr and opt, loss and acc

    stdout, messages = kernel.run(f"""
        table.selected = [{ids["k0"]!r}, {ids["k1"]!r}, {ids["k2"]!r}]
        table.compare_button.click()
        c = table.comparison
        print(json.dumps({{
            "shown": [t.meta["run_id"] for t in c.history.data if t.visible],
            "history": len(c.history.data),
            "scatter": [t.meta["run_id"] for t in c.scatter.data],
            "parallel": len(c.parallel.data[0].dimensions),
            "types": [type(f).__name__ for f in c.figures],
        }}))
    """)
    cmp = json.loads(stdout.strip().splitlines()[-1])
    three = [ids["k0"], ids["k1"], ids["k2"]]
    assert cmp["shown"] == three and cmp["history"] == 3 * 2
    assert cmp["scatter"] == three
    assert cmp["parallel"] == 2  # lr and the metric
    assert cmp["types"] == ["FigureWidget"] * 3
    # plotly's FigureWidget is an anywidget model: its comm opened in this kernel
    assert sum("AnyModel" in m for m in _opened_models(messages)) == 3

    live = kernel.result("""
        import time
        m = wb.widgets.monitor(interval=0.3)
        display(m)
        run = wb.start_run(name="live")
        for step in range(6):
            wb.log_metric("loss", 1 / (step + 1), step=step)
            time.sleep(0.2)
        deadline = time.time() + 15
        while time.time() < deadline and [len(t.x) for t in m.figure.data] != [6]:
            time.sleep(0.2)
        points = [len(t.x) for t in m.figure.data]
        m.stop()
        wb.end_run()
        print(json.dumps({"points": points, "updates": m.updates, "running": m.running,
                          "run": run.run_id, "title": m.figure.layout.title.text}))
    """)
    assert live["points"] == [6] and live["updates"] >= 1 and not live["running"]
    assert live["run"][:8] in live["title"]
    assert len(store.get_run(live["run"]).metric_history["loss"]) == 6


@pytest.mark.slow
def test_sweep_form_in_a_real_kernel(kernel: KernelSession, home: Path, tmp_path: Path) -> None:
    nb = scoring_notebook(tmp_path)
    out = kernel.result(f"""
        import json
        import workbench as wb
        form = wb.widgets.sweep({str(nb)!r})
        display(form)
        form.set("x", "list", "1, 2")
        form.set("opt", "list", "adam, sgd")
        form.workers.value = 2
        form.launch_button.click()
        done = form.wait(240)
        print(json.dumps({{"sweep": form.sweep.sweep_id, "status": done.status.value,
                          "done": form.progress.value, "counts": form.counts.value}}))
    """)
    assert out["status"] == "succeeded" and out["done"] == 4, out
    store = Store(locate(home))
    runs, total = store.search_runs(RunFilter(sweep_id=out["sweep"]))
    assert total == 4
    assert sorted((r.params["x"], r.params["opt"]) for r in runs) == [
        (1, "adam"),
        (1, "sgd"),
        (2, "adam"),
        (2, "sgd"),
    ]
    assert sorted(r.metrics["score"] for r in runs) == [1.0, 2.0, 2.0, 4.0]
    assert all(r.status is RunStatus.SUCCEEDED for r in runs)


def _until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
