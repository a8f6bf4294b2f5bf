"""Tracking speed against the peers, measured in one run; prints figures and ratios.

    python benchmarks/tracking.py [--mlflow-python PATH] [--repeats 3]

- 100,000 metric points logged in one run: Workbench's wb.log_metric loop (start_run to
  end_run, the store opened before), Workbench's store.log_batch in one call, raw sqlite3
  executemany into an indexed table of the same shape (a 32-character run id like
  Workbench's; the floor), and MLflow's mlflow.log_metric loop and MlflowClient.log_batch
  (1,000 metrics per call, its limit) on a sqlite store. MLflow writes one transaction per
  call, so its loop logs --mlflow-points points and the figure is scaled to 100,000.
- wb.runs() over 10,000 runs with 10 params and 5 metrics each: in a fresh process with the
  store already imported (as `import workbench` used to do), cold (SQLAlchemy loaded on
  first use, store opened), and repeated.
- A filtered, sorted page of 100 runs from store.search_runs(where=..., order_by=...), first
  call (the query parser is built then) and repeated; beside it MLflow's search_runs with the
  same filter and order on --mlflow-runs runs (seeding MLflow is slow), and Workbench's on
  the same number of runs.
- `python -c "import workbench"` against `import mlflow` and an empty interpreter.

Each case runs in a fresh subprocess; figures are medians of the repeats, wall-clock time
(the process's CPU time beside the main ones: on a shared machine the wall clock also counts
waiting for a core). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The store is created (and migrated) before the clock starts, as in any notebook that has
# logged before; creating a store in an empty folder is measured on its own line.
WB_LOG = """
import time, workbench as wb
from workbench.store import open_store
t = time.perf_counter()
open_store()
created = time.perf_counter() - t
t, cpu = time.perf_counter(), time.process_time()
wb.start_run(name="bench")
for i in range({n}):
    wb.log_metric("loss", 1.0 / (i + 1), step=i)
wb.end_run()
print(time.perf_counter() - t, created, time.process_time() - cpu)
"""

WB_BATCH = """
import time
from workbench.store import open_store
store = open_store()
run_id = store.create_run(name="bench")
points = [("loss", 1.0 / (i + 1), i, time.time()) for i in range({n})]
t = time.perf_counter()
store.log_batch(run_id, points)
print(time.perf_counter() - t)
"""

MLFLOW_LOG = """
import time, mlflow, logging
logging.disable(logging.WARNING)
mlflow.set_tracking_uri("sqlite:///{db}")
mlflow.set_experiment("bench")
t = time.perf_counter()
with mlflow.start_run():
    for i in range({n}):
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
print(time.perf_counter() - t)
"""

MLFLOW_BATCH = """
import time, mlflow, logging
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
logging.disable(logging.WARNING)
mlflow.set_tracking_uri("sqlite:///{db}")
mlflow.set_experiment("bench")
client = MlflowClient()
now = int(time.time() * 1000)
points = [Metric("loss", 1.0 / (i + 1), now, i) for i in range({n})]
with mlflow.start_run() as run:
    t = time.perf_counter()
    for i in range(0, len(points), 1000):
        client.log_batch(run.info.run_id, metrics=points[i:i + 1000])
    print(time.perf_counter() - t)
"""

RAW_SQLITE = """
import sqlite3, time, uuid
c = sqlite3.connect("{db}")
c.execute("PRAGMA journal_mode=WAL")
c.execute("CREATE TABLE metrics (id INTEGER PRIMARY KEY, run_id TEXT, key TEXT, step INT,"
          " value REAL, timestamp REAL)")
c.execute("CREATE INDEX ix ON metrics (run_id, key, step)")
run_id = uuid.uuid4().hex
t, cpu = time.perf_counter(), time.process_time()
rows = [(run_id, "loss", i, 1.0 / (i + 1), time.time()) for i in range({n})]
c.executemany("INSERT INTO metrics (run_id, key, step, value, timestamp) VALUES (?,?,?,?,?)",
              rows)
c.commit()
print(time.perf_counter() - t, time.process_time() - cpu)
"""

SEED_RUNS = """
import random, time
from workbench.store import open_store
store = open_store()
rng = random.Random(0)
for i in range({n}):
    run_id = store.create_run(experiment="bench", name=f"run{{i}}", source="job",
                              params={{f"p{{j}}": rng.random() for j in range(10)}})
    store.log_batch(run_id, [(f"m{{j}}", rng.random(), 0, time.time()) for j in range(5)])
"""

SEED_MLFLOW = """
import random, time, mlflow, logging
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
logging.disable(logging.WARNING)
mlflow.set_tracking_uri("sqlite:///{db}")
exp = mlflow.set_experiment("bench")
client = MlflowClient()
rng = random.Random(0)
for i in range({n}):
    run = client.create_run(exp.experiment_id, run_name=f"run{{i}}")
    now = int(time.time() * 1000)
    client.log_batch(
        run.info.run_id,
        params=[Param(f"p{{j}}", str(rng.random())) for j in range(10)],
        metrics=[Metric(f"m{{j}}", rng.random(), now, 0) for j in range(5)],
    )
    client.set_terminated(run.info.run_id)
"""

WB_RUNS = """
import time, pandas  # pandas imported first: its own 0.5 s is not ours
{preload}
t, cpu = time.perf_counter(), time.process_time()
import workbench as wb
df = wb.runs()
first, first_cpu = time.perf_counter() - t, time.process_time() - cpu
assert len(df) == {n} and df.shape[1] >= 24, df.shape
t = time.perf_counter()
wb.runs()
print(first, time.perf_counter() - t, first_cpu)
"""

WB_SEARCH = """
import time
from workbench.store import open_store
store = open_store()
t = time.perf_counter()
runs, total = store.search_runs(where={where!r}, order_by={order!r}, limit=100)
first = time.perf_counter() - t
assert len(runs) == 100, len(runs)
best = []
for _ in range(5):
    t = time.perf_counter()
    store.search_runs(where={where!r}, order_by={order!r}, limit=100)
    best.append(time.perf_counter() - t)
print(first, sorted(best)[2])
"""

MLFLOW_SEARCH = """
import time, mlflow, logging
logging.disable(logging.WARNING)
mlflow.set_tracking_uri("sqlite:///{db}")
exp = mlflow.get_experiment_by_name("bench")
args = dict(experiment_ids=[exp.experiment_id], filter_string={where!r},
            order_by=[{order!r}], max_results=100, output_format="list")
t = time.perf_counter()
runs = mlflow.search_runs(**args)
first = time.perf_counter() - t
assert len(runs) == 100, len(runs)
best = []
for _ in range(5):
    t = time.perf_counter()
    mlflow.search_runs(**args)
    best.append(time.perf_counter() - t)
print(first, sorted(best)[2])
"""

# The same question in both languages; and one only Workbench can ask (MLflow's params are
# strings that compare only with =, !=, LIKE).
WB_WHERE, WB_ORDER = "metrics.m1 > 0.5 and metrics.m3 < 0.5", "metrics.m2 desc"
ML_WHERE, ML_ORDER = "metrics.m1 > 0.5 and metrics.m3 < 0.5", "metrics.m2 DESC"
WB_PARAM_WHERE = "metrics.m1 > 0.5 and params.p3 < 0.5"


def run_code(python: str, code: str, env: dict[str, str]) -> list[float]:
    out = subprocess.run(
        [python, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr}")
    return [float(x) for x in out.stdout.strip().splitlines()[-1].split()]


def timed(python: str, code: str, env: dict[str, str], repeats: int, fresh_home: bool) -> float:
    return timed_all(python, code, env, repeats, fresh_home)[0]


def timed_all(
    python: str, code: str, env: dict[str, str], repeats: int, fresh_home: bool
) -> list[float]:
    """Medians, figure by figure, of what the code prints on its last line."""
    runs = []
    for _ in range(repeats):
        if fresh_home:
            home = tempfile.mkdtemp(prefix="wb-bench-")
            runs.append(run_code(python, code, {**env, "WORKBENCH_HOME": home}))
            shutil.rmtree(home, ignore_errors=True)
        else:
            runs.append(run_code(python, code, env))
    return [statistics.median(figures) for figures in zip(*runs, strict=True)]


def import_time(python: str, module: str, env: dict[str, str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(
            [python, "-c", f"import {module}" if module else "pass"], env=env, check=True
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def line(label: str, seconds: float, extra: str = "") -> None:
    print(f"{label:40s} {seconds * 1000:9.1f} ms   {extra}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mlflow-python", help="interpreter with mlflow installed (optional)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--mlflow-points", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--mlflow-runs", type=int, default=2_000)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("WORKBENCH_RUN_ID", "WORKBENCH_DB_URL", "MLFLOW_TRACKING_URI"):
        env.pop(name, None)
    py, ml, n, reps = sys.executable, args.mlflow_python, args.points, args.repeats
    tmp = tempfile.mkdtemp(prefix="wb-bench-tmp-")
    try:
        print(f"== {n:,} metric points in one run (median of {reps}) ==")
        wb_s, created, wb_cpu = timed_all(py, WB_LOG.format(n=n), env, reps, True)
        batch_s = timed(py, WB_BATCH.format(n=n), env, reps, True)
        raws = [
            run_code(py, RAW_SQLITE.format(n=n, db=f"{tmp}/raw{i}.db"), env) for i in range(reps)
        ]
        raw_s, raw_cpu = (statistics.median(f) for f in zip(*raws, strict=True))
        wb_rate, raw_rate = f"{n / wb_s:12,.0f} points/s", f"{n / raw_s:12,.0f} points/s"
        line("workbench wb.log_metric loop", wb_s, f"{wb_rate}  CPU {wb_cpu * 1e3:.0f} ms")
        line("workbench store.log_batch (one call)", batch_s, f"{n / batch_s:12,.0f} points/s")
        line("raw sqlite3 executemany (floor)", raw_s, f"{raw_rate}  CPU {raw_cpu * 1e3:.0f} ms")
        line("  (a new store in an empty folder)", created, "(not in the loop's figure)")
        print(
            f"  ratio wb.log_metric loop / raw sqlite3: {wb_s / raw_s:.2f}x the time"
            f" ({wb_cpu / raw_cpu:.2f}x the CPU)"
        )
        print(f"  ratio store.log_batch / raw sqlite3:    {batch_s / raw_s:.2f}x the time")
        if ml:
            m = args.mlflow_points
            scale = n / m
            ml_loop = scale * statistics.median(
                run_code(ml, MLFLOW_LOG.format(n=m, db=f"{tmp}/ml{i}.db"), env)[0]
                for i in range(reps)
            )
            ml_batch = statistics.median(
                run_code(ml, MLFLOW_BATCH.format(n=n, db=f"{tmp}/mlb{i}.db"), env)[0]
                for i in range(reps)
            )
            line("mlflow.log_metric loop (sqlite)", ml_loop, f"(measured on {m:,}, scaled)")
            line("mlflow client.log_batch (sqlite)", ml_batch, "(1,000 metrics per call)")
            print(f"  ratio mlflow loop / workbench loop:   {ml_loop / wb_s:.0f}x the time")
            print(f"  ratio mlflow log_batch / workbench:   {ml_batch / batch_s:.1f}x the time")
        else:
            print("mlflow: skipped (pass --mlflow-python; `make bench` sets it up)")

        print(f"\n== wb.runs() over {args.runs:,} runs, 10 params + 5 metrics each ==")
        home = f"{tmp}/runs"
        seed_env = {**env, "WORKBENCH_HOME": home}
        run_code(py, SEED_RUNS.format(n=args.runs) + "\nprint(0)", seed_env)
        preload = "import workbench.store.store, workbench.store.reads"
        loaded, again, loaded_cpu = timed_all(
            py, WB_RUNS.format(n=args.runs, preload=preload), seed_env, reps, False
        )
        cold, _, _ = timed_all(py, WB_RUNS.format(n=args.runs, preload=""), seed_env, reps, False)
        rate = f"{args.runs / loaded:12,.0f} runs/s"
        line("wb.runs(), store already imported", loaded, f"{rate}  CPU {loaded_cpu * 1e3:.0f} ms")
        line("wb.runs(), cold (loads SQLAlchemy)", cold)
        line("wb.runs(), repeated", again)

        print(f"\n== a filtered, sorted page of 100: where {WB_WHERE!r}, order {WB_ORDER!r} ==")
        code = WB_SEARCH.format(where=WB_WHERE, order=WB_ORDER)
        first, warm = timed_all(py, code, seed_env, reps, False)
        line(f"store.search_runs, {args.runs:,} runs", warm, f"(first call {first * 1000:.0f} ms)")
        param_code = WB_SEARCH.format(where=WB_PARAM_WHERE, order=WB_ORDER)
        _, param_warm = timed_all(py, param_code, seed_env, reps, False)
        line("  the same, filtering params.p3 < 0.5", param_warm, "(numeric params)")
        if ml:
            k = args.mlflow_runs
            small_env = {**env, "WORKBENCH_HOME": f"{tmp}/runs-small"}
            run_code(py, SEED_RUNS.format(n=k) + "\nprint(0)", small_env)
            ml_db = f"{tmp}/mlflow-runs.db"
            run_code(ml, SEED_MLFLOW.format(n=k, db=ml_db) + "\nprint(0)", env)
            _, wb_small = timed_all(py, code, small_env, reps, False)
            ml_code = MLFLOW_SEARCH.format(db=ml_db, where=ML_WHERE, order=ML_ORDER)
            ml_first, ml_warm = timed_all(ml, ml_code, env, reps, False)
            line(f"store.search_runs, {k:,} runs", wb_small)
            line(f"mlflow.search_runs, {k:,} runs", ml_warm, f"(first {ml_first * 1000:.0f} ms)")
            print(f"  ratio mlflow / workbench at {k:,} runs: {ml_warm / wb_small:.1f}x the time")

        print(f"\n== interpreter start + import (median of {max(5, reps)}) ==")
        base = import_time(py, "", env, max(5, reps))
        wb_imp = import_time(py, "workbench", env, max(5, reps))
        line("python -c pass", base)
        line("python -c 'import workbench'", wb_imp, f"(+{(wb_imp - base) * 1000:.0f} ms)")
        if ml:
            ml_base = import_time(ml, "", env, max(5, reps))
            ml_imp = import_time(ml, "mlflow", env, max(5, reps))
            line("python -c 'import mlflow'", ml_imp, f"(+{(ml_imp - ml_base) * 1000:.0f} ms)")
            ratio = (ml_imp - ml_base) / max(wb_imp - base, 1e-9)
            print(f"  ratio import cost mlflow / workbench: {ratio:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
