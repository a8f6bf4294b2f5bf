"""The runs query language on a seeded store, on real SQLite files and a real PostgreSQL.

Every expression is checked against the exact set (or order) of runs it must give, on both
backends; malformed expressions, unknown fields and bad values must raise InvalidInput with
the position or the known fields; quotes and injection attempts stay data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from workbench.entities import RunStatus, SweepOptions
from workbench.errors import InvalidInput
from workbench.store import RunFilter, Store, locate
from workbench.store.schema import RunRow

INJECTION_NAME = "x' or 1=1 --"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Store, dict[str, str]]]:
    """Five runs with known params, metrics, tags and times; labels -> run ids."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_module_url")
    store = Store(locate(tmp_path_factory.mktemp("query") / ".workbench", db_url=url))
    ids = {}
    ids["alpha"] = store.create_run(
        experiment="e1",
        name="alpha",
        notebook="/proj/train.ipynb",
        source="job",
        params={"lr": 0.1, "model": "tree", "layers": [1, 2], "flag": True, "n": 3},
        tags={"stage": "dev", "epochs": "10"},
    )
    store.log_batch(
        ids["alpha"],
        [
            ("acc", 0.5, 0, 1.0),
            ("acc", 0.95, 1, 2.0),
            ("loss", 1.0, 0, 1.0),
            ("val.loss", 0.3, 0, 1.0),
            ("accuracy", 0.97, 0, 1.0),
        ],
    )
    ids["beta"] = store.create_run(
        experiment="e1",
        name="beta",
        notebook="/proj/eval.ipynb",
        source="interactive",
        params={"lr": 0.01, "model": "forest", "n": "3", "my-param": 5},
        tags={"stage": "prod"},
    )
    store.log_batch(ids["beta"], [("acc", 0.8, 0, 1.0), ("loss", 2.0, 0, 1.0)])
    store.log_batch(ids["beta"], [("loss", 0.5, 1, 2.0), ("loss", 0.7, 2, 3.0)])
    store.log_batch(ids["beta"], [("loss.min", 7.0, 0, 1.0)])
    ids["gamma"] = store.create_run(
        experiment="e2", name="gamma", source="script", params={"lr": None, "model": "Tree"}
    )
    ids["inj"] = store.create_run(
        experiment="e2",
        name=INJECTION_NAME,
        params={"model": 'it\'s "quoted"'},
        tags={"note": "100%_done"},
    )
    store.log_batch(ids["inj"], [("acc", 0.9, 0, 1.0)])
    sweep_id = store.create_sweep(
        notebook="/proj/sweep.ipynb",
        notebook_sha256="0" * 64,
        experiment="e2",
        spec={},
        options=SweepOptions(),
        jobs=[({}, "job-key-1")],
    ).sweep_id
    ids["swept"] = store.search_runs(RunFilter(sweep_id=sweep_id))[0][0].run_id
    ids["sweep_id"] = sweep_id
    store.set_status(ids["alpha"], RunStatus.SUCCEEDED)
    store.set_status(ids["beta"], RunStatus.FAILED)
    store.set_status(ids["inj"], RunStatus.SUCCEEDED)
    times = {"alpha": (1000, 1010), "beta": (2000, 2100), "gamma": (3000, None)}
    times |= {"inj": (4000, 4001), "swept": (5000, None)}
    with store.engine.begin() as conn:
        for label, (start, end) in times.items():
            conn.execute(
                update(RunRow)
                .where(RunRow.run_id == ids[label])
                .values(started_at=start, ended_at=end)
            )
    yield store, ids
    store.close()


@pytest.fixture(scope="module")
def postgres_module_url(postgres_admin_url: str) -> Iterator[str]:
    """One fresh PostgreSQL database for this module's seeded store."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_admin_url)
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def labels(ids: dict[str, str], runs: list) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[r.run_id] for r in runs]


ALL = {"alpha", "beta", "gamma", "inj", "swept"}

CASES = [
    ("", ALL),
    ("   ", ALL),
    # metrics: last value, NULL semantics
    ("metrics.acc > 0.9", {"alpha"}),
    ("metrics.acc >= 0.9", {"alpha", "inj"}),
    ("not metrics.acc > 0.9", {"beta", "inj"}),
    ("metrics.acc is null", {"gamma", "swept"}),
    ("metrics.acc is not null", {"alpha", "beta", "inj"}),
    ("metrics.acc = 0.8", {"beta"}),
    ("metrics.acc != 0.8", {"alpha", "inj"}),
    ("metrics.acc in (0.8, 0.9)", {"beta", "inj"}),
    ("metrics.acc not in (0.8, 0.9)", {"alpha"}),
    ("metrics.loss = 1", {"alpha"}),
    ("metrics.loss < -1e3", set()),
    # summaries
    ("metrics.loss.last = 0.7", {"beta"}),
    ("metrics.loss.min < 0.6", {"beta"}),
    ("metrics.loss.max >= 2", {"beta"}),
    ("metrics.loss.count = 3", {"beta"}),
    ("metrics.loss.count = 1", {"alpha"}),
    ("metrics.loss.step = 2", {"beta"}),
    ("metrics.acc.min = 0.5 and metrics.acc.max = 0.95", {"alpha"}),
    # dotted and quoted names
    ("metrics.val.loss < 1", {"alpha"}),
    ("metrics.`loss.min` = 7", {"beta"}),
    ("params.`my-param` = 5", {"beta"}),
    # params: numbers compare as numbers, strings as decoded strings
    ("params.lr > 0.05", {"alpha"}),
    ("params.lr <= 0.1", {"alpha", "beta"}),
    ("params.lr = 0.01", {"beta"}),
    ("params.n = 3", {"alpha"}),
    ("params.n = '3'", {"beta"}),
    ("params.n > 2", {"alpha"}),
    ("params.model = 'tree'", {"alpha"}),
    ('params.model = "tree"', {"alpha"}),
    ("params.model != 'tree'", {"beta", "gamma", "inj"}),
    ("params.model > 'f'", {"alpha", "beta", "inj"}),  # bytewise: 'Tree' < 'f'
    ("params.model < 'a'", {"gamma"}),
    ("params.model in ('tree', 'forest')", {"alpha", "beta"}),
    ("params.model not in ('tree', 'forest')", {"gamma", "inj"}),
    ("params.model in ('tree', 3)", {"alpha"}),
    ("params.n in (3, '3')", {"alpha", "beta"}),
    ("params.n not in (3)", {"beta"}),
    ("params.model contains 'TREE'", {"alpha", "gamma"}),
    ("params.model = 'it''s \"quoted\"'", {"inj"}),
    ('params.model = "it\'s \\"quoted\\""', {"inj"}),
    ("params.flag = true", {"alpha"}),
    ("params.flag != true", set()),
    ("params.flag = false", set()),
    ("params.lr is null", {"gamma", "inj", "swept"}),
    ("params.lr = null", {"gamma", "inj", "swept"}),
    ("params.lr is not null", {"alpha", "beta"}),
    ("params.layers is not null", {"alpha"}),
    ("params.nosuch > 0", set()),
    ("params.nosuch is null", ALL),
    # tags: text, numbers when they read as numbers
    ("tags.stage = 'dev'", {"alpha"}),
    ("tags.stage != 'dev'", {"beta"}),
    ("tags.epochs > 5", {"alpha"}),
    ("tags.epochs = '10'", {"alpha"}),
    ("tags.stage > 5", set()),
    ("tags.stage is null", {"gamma", "inj", "swept"}),
    ("tags.note contains '%'", {"inj"}),
    ("tags.note contains '_d'", {"inj"}),
    ("tags.stage contains '_'", set()),
    # base fields
    ("experiment = 'e1'", {"alpha", "beta"}),
    ("source = 'job'", {"alpha", "swept"}),
    ("status in ('failed', 'running')", {"beta", "gamma"}),
    ("status = 'queued'", {"swept"}),
    ("notebook contains 'TRAIN'", {"alpha"}),
    ("notebook is null", {"gamma", "inj"}),
    ("name contains 'a'", {"alpha", "beta", "gamma"}),
    ("name is null", {"swept"}),
    ("name = 'x'' or 1=1 --'", {"inj"}),
    ('name = "x\' or 1=1 --"', {"inj"}),
    ("name = 'alpha'' or ''1''=''1'", set()),
    ("name contains '%'", set()),
    ("started_at >= 2000 and started_at < 4000", {"beta", "gamma"}),
    ("started_at > '1970-01-01T00:50:00Z'", {"inj", "swept"}),
    ("started_at > '1970-01-01T01:50:00+01:00'", {"inj", "swept"}),
    ("started_at < '1970-01-01 00:20'", {"alpha"}),
    ("ended_at is null", {"gamma", "swept"}),
    ("duration_s > 5", {"alpha", "beta"}),
    ("duration_s < 5", {"inj"}),
    ("duration_s is null", {"gamma", "swept"}),
    # logic, nesting, keywords in any case
    ("name = 'alpha' OR name = 'beta'", {"alpha", "beta"}),
    ("not (experiment = 'e1' or status = 'running')", {"inj", "swept"}),
    ("(experiment = 'e2' and not metrics.acc is null) or name = 'alpha'", {"inj", "alpha"}),
    ("not not name = 'beta'", {"beta"}),
    ("NOT (metrics.acc < 0.9 AND (params.lr > 0 Or tags.stage = 'dev'))", {"alpha", "inj"}),
    ("experiment = 'e1' and (metrics.loss.count > 1 or params.flag = true)", {"alpha", "beta"}),
]


@pytest.mark.parametrize(("where", "expected"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_where(seeded: tuple[Store, dict[str, str]], where: str, expected: set[str]) -> None:
    store, ids = seeded
    runs, total = store.search_runs(where=where)
    assert set(labels(ids, runs)) == expected
    assert total == len(expected)


def test_fields_that_need_ids(seeded: tuple[Store, dict[str, str]]) -> None:
    store, ids = seeded
    runs, _ = store.search_runs(where=f"sweep = '{ids['sweep_id']}'")
    assert labels(ids, runs) == ["swept"]
    runs, _ = store.search_runs(where=f"run_id = '{ids['beta']}' or run_id = 'nope'")
    assert labels(ids, runs) == ["beta"]
    runs, _ = store.search_runs(where="sweep is null")
    assert set(labels(ids, runs)) == ALL - {"swept"}


ORDERS = [
    ("", ["swept", "inj", "gamma", "beta", "alpha"]),
    ("metrics.acc desc", ["alpha", "inj", "beta", "swept", "gamma"]),
    ("metrics.acc", ["beta", "inj", "alpha", "swept", "gamma"]),
    ("metrics.acc ASC", ["beta", "inj", "alpha", "swept", "gamma"]),
    ("duration_s desc", ["beta", "alpha", "inj", "swept", "gamma"]),
    ("params.lr", ["beta", "alpha", "swept", "inj", "gamma"]),
    ("params.lr desc", ["alpha", "beta", "swept", "inj", "gamma"]),
    # numbers first, then strings, each in the asked direction; missing last
    ("params.n", ["alpha", "beta", "swept", "inj", "gamma"]),
    ("params.model", ["gamma", "beta", "inj", "alpha", "swept"]),
    ("name desc", ["inj", "gamma", "beta", "alpha", "swept"]),
    ("experiment, started_at", ["alpha", "beta", "gamma", "inj", "swept"]),
    ("experiment desc, metrics.acc desc", ["inj", "swept", "gamma", "alpha", "beta"]),
    ("status", ["beta", "swept", "gamma", "inj", "alpha"]),
    ("tags.epochs desc", ["alpha", "swept", "inj", "gamma", "beta"]),
    ("metrics.loss.count desc, name", ["beta", "alpha", "gamma", "inj", "swept"]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDERS, ids=[o[0] or "default" for o in ORDERS])
def test_order_by(seeded: tuple[Store, dict[str, str]], order_by: str, expected: list[str]) -> None:
    store, ids = seeded
    runs, total = store.search_runs(order_by=order_by)
    assert labels(ids, runs) == expected
    assert total == 5


def test_paging_and_total(seeded: tuple[Store, dict[str, str]]) -> None:
    store, ids = seeded
    runs, total = store.search_runs(order_by="metrics.acc desc", limit=2, offset=1)
    assert labels(ids, runs) == ["inj", "beta"] and total == 5
    runs, total = store.search_runs(where="metrics.acc is not null", limit=2, offset=2)
    assert labels(ids, runs) == ["alpha"] and total == 3  # newest first: inj, beta, alpha
    runs, total = store.search_runs(where="metrics.acc > 0.5", order_by="name", offset=1)
    assert labels(ids, runs) == ["beta", "inj"] and total == 3
    runs, total = store.search_runs(limit=0)
    assert runs == [] and total == 5
    runs, total = store.search_runs(offset=10)
    assert runs == [] and total == 5
    runs, total = store.search_runs(where="experiment = 'e2'", offset=10, limit=5)
    assert runs == [] and total == 3  # past the end of a filtered set: counted apart
    # RunFilter and the language together
    runs, total = store.search_runs(RunFilter(experiment="e2"), where="metrics.acc > 0", limit=1)
    assert labels(ids, runs) == ["inj"] and total == 1


def test_page_carries_summaries(seeded: tuple[Store, dict[str, str]]) -> None:
    store, ids = seeded
    (beta,), _ = store.search_runs(where="name = 'beta'")
    loss = beta.metric_summary["loss"]
    assert (loss.last, loss.min, loss.max, loss.count, loss.step) == (0.7, 0.5, 2.0, 3, 2)
    assert beta.metrics == {"acc": 0.8, "loss": 0.7, "loss.min": 7.0}
    assert beta.params["my-param"] == 5 and beta.params["n"] == "3"
    assert beta.tags == {"stage": "prod"}


def test_run_table_takes_the_language(seeded: tuple[Store, dict[str, str]]) -> None:
    store, ids = seeded
    table = store.run_table(where="metrics.acc > 0.5", order_by="metrics.acc", limit=2)
    assert [r["name"] for r in table.runs] == ["beta", INJECTION_NAME] and table.total == 3
    assert {r for r, _, _ in table.params} == {ids["beta"], ids["inj"]}
    table = store.run_table(
        columns=["name", "params.lr", "metrics.loss.max", "tags.stage", "duration_s"],
        order_by="name",
        where="experiment = 'e1'",
    )
    assert table.columns == ["name", "params.lr", "metrics.loss.max", "tags.stage", "duration_s"]
    assert table.runs == [
        {
            "name": "alpha",
            "params.lr": 0.1,
            "metrics.loss.max": 1.0,
            "tags.stage": "dev",
            "duration_s": 10,
        },
        {
            "name": "beta",
            "params.lr": 0.01,
            "metrics.loss.max": 2.0,
            "tags.stage": "prod",
            "duration_s": 100,
        },
    ]


def test_threads_share_one_parser(seeded: tuple[Store, dict[str, str]]) -> None:
    """The REST server searches from worker threads: the first use races to build it."""
    from concurrent.futures import ThreadPoolExecutor

    from workbench.store import query_syntax

    store, ids = seeded
    query_syntax._built.clear()  # first use again, from many threads at once
    cases = [c for c in CASES if c[0].strip()] * 2
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda c: set(labels(ids, store.search_runs(where=c[0])[0])), cases))
    assert got == [expected for _, expected in cases]
    assert len(query_syntax._built) == 1


# -- errors ----------------------------------------------------------------------------------

MALFORMED = [
    ("metrics.acc >", 14, "expected a value"),
    ("metrics.acc > 0.9 and", 22, "expected"),
    ("(status = 'failed'", 19, "expected ')'"),
    ("metrics.acc foo 3", 13, "expected '.', an operator"),
    ("status = succeeded", 10, "text values go in quotes"),
    ("name = 'open", 8, "closing quote"),
    ("params.`open = 1", 8, "closing backquote"),
    ("name = 'a' name = 'b'", 12, "and, or"),
    ("= 3", 1, "a field"),
    ("params.a in 1", 13, "'('"),
    ("params.a in ()", 14, "a value"),
    ("metrics.acc > 0.9 ;drop table runs", 19, "found ';drop"),
]


@pytest.mark.parametrize(("where", "column", "says"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_points_at_the_position(
    seeded: tuple[Store, dict[str, str]], where: str, column: int, says: str
) -> None:
    store, _ = seeded
    with pytest.raises(InvalidInput) as err:
        store.search_runs(where=where)
    message = str(err.value)
    assert f"malformed where at column {column}:" in message
    assert says in message
    lines = message.splitlines()
    assert lines[1] == f"  {where}"
    assert lines[2] == "  " + " " * (column - 1) + "^"


def test_malformed_order_by(seeded: tuple[Store, dict[str, str]]) -> None:
    store, _ = seeded
    with pytest.raises(
        InvalidInput, match="malformed order_by at column 13: expected .*asc or desc"
    ):
        store.search_runs(order_by="metrics.acc down")
    with pytest.raises(InvalidInput, match="malformed order_by at column 6"):
        store.search_runs(order_by="name,,")


UNKNOWN = [
    ("accuracy>0.95", "unknown field 'accuracy' at column 1; did you mean metrics.accuracy?"),
    ("acc > 0.9", "did you mean metrics.acc?"),
    ("lr > 0", "did you mean params.lr?"),
    ("stage = 'dev'", "did you mean tags.stage?"),
    ("nosuch = 1", "did you mean metrics.nosuch or params.nosuch?"),
    ("stauts = 'failed'", "did you mean status?"),
    ("name = 'a' and metric.acc > 1", "unknown field 'metric.acc' at column 16; did you mean"),
    ("params > 1", "field 'params' at column 1 needs a name"),
    ("`name` = 'alpha'", "unknown field '`name`'"),
]


@pytest.mark.parametrize(("where", "says"), UNKNOWN, ids=[u[0] for u in UNKNOWN])
def test_unknown_field_lists_the_known_ones(
    seeded: tuple[Store, dict[str, str]], where: str, says: str
) -> None:
    store, _ = seeded
    with pytest.raises(InvalidInput) as err:
        store.search_runs(where=where)
    assert says in str(err.value)
    if "needs a name" not in says:
        assert "known fields: run_id, name, status" in str(err.value)
        assert "params.NAME, metrics.NAME" in str(err.value)


def test_unknown_field_in_order_by_and_columns(seeded: tuple[Store, dict[str, str]]) -> None:
    store, _ = seeded
    with pytest.raises(InvalidInput, match="unknown field 'accuracy'.*metrics.accuracy"):
        store.search_runs(order_by="accuracy desc")
    with pytest.raises(InvalidInput, match="unknown field 'lr'.*params.lr"):
        store.run_table(columns=["name", "lr"])
    with pytest.raises(InvalidInput, match="not one field"):
        store.run_table(columns=["name desc"])
    with pytest.raises(InvalidInput, match="no columns asked for"):
        store.run_table(columns=[])
    with pytest.raises(InvalidInput, match="'name' is asked for twice"):
        store.run_table(columns=["name", " name"])
    table = store.run_table(columns=["metrics.loss.last", "params.`my-param`"], limit=1)
    assert table.columns == ["metrics.loss.last", "params.`my-param`"]


BAD_VALUES = [
    ("status = 'succeded'", "status is never 'succeded'; it is one of: queued, running"),
    ("source = 'notebook'", "it is one of: interactive, script, job"),
    ("metrics.acc = 'high'", "metrics.acc is a number"),
    ("metrics.acc contains 'x'", "contains works on text"),
    ("name = 5", "name is text: put the value in quotes"),
    ("started_at > 'yesterday'", "takes UNIX seconds or an ISO date"),
    ("started_at > true", "takes UNIX seconds or an ISO date"),
    ("duration_s > '5'", "duration_s is a number"),
    ("metrics.acc > null", "use `is null`"),
    ("params.a in (1, null)", "test it with `is null`"),
    ("params.flag > true", "use = or != with booleans"),
    ("name contains 3", "give a quoted string"),
    ("started_at contains '2024'", "contains works on text fields"),
]


@pytest.mark.parametrize(("where", "says"), BAD_VALUES, ids=[b[0] for b in BAD_VALUES])
def test_bad_values(seeded: tuple[Store, dict[str, str]], where: str, says: str) -> None:
    store, _ = seeded
    with pytest.raises(InvalidInput, match=None) as err:
        store.search_runs(where=where)
    assert says in str(err.value)


@pytest.mark.parametrize("bad", [{"limit": -1}, {"offset": -3}, {"limit": 1.5}, {"offset": None}])
def test_bad_paging(seeded: tuple[Store, dict[str, str]], bad: dict) -> None:
    store, _ = seeded
    with pytest.raises(InvalidInput, match="must be a whole number >= 0"):
        store.search_runs(**bad)


INJECTIONS = [
    "name = 'a''; DROP TABLE runs; --'",
    'name = "a\\"; DROP TABLE runs; --"',
    "params.`x'); DROP TABLE runs; --` = 1",
    "tags.`k\" = 1 or 1=1 --` = 'v'",
    "metrics.`a' or '1'='1` > 0",
    "name in ('a'' or 1=1 --', 'b\\' or 1=1')",
    "notebook contains '%'' or 1=1 --'",
]


@pytest.mark.parametrize("where", INJECTIONS)
def test_injection_attempts_are_data(seeded: tuple[Store, dict[str, str]], where: str) -> None:
    store, _ = seeded
    runs, total = store.search_runs(where=where, order_by="params.`x'); DROP TABLE runs; --`")
    assert runs == [] and total == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RunRow)).scalar_one() == 5
