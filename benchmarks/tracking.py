"""Tracking speed against the peers, measured in one run; prints figures and ratios.

    python benchmarks/tracking.py [--mlflow-python PATH] [--repeats 3]

- 100,000 metric points logged in one run: Workbench's wb.log_metric loop, MLflow's
  mlflow.log_metric loop on a sqlite store (MLflow writes one transaction per call, so it
  logs --mlflow-points points and the figure is scaled per point), and raw sqlite3
  executemany into an indexed table of the same shape (the floor).
- wb.runs() over 10,000 runs with 10 params and 5 metrics each.
- `python -c "import workbench"` against `import mlflow` and an empty interpreter.

Each case runs in a fresh subprocess; figures are medians of the repeats. Nothing is asserted.
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

WB_LOG = """
import time, workbench as wb
t = time.perf_counter()
wb.start_run(name="bench")
for i in range({n}):
    wb.log_metric("loss", 1.0 / (i + 1), step=i)
wb.end_run()
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

RAW_SQLITE = """
import sqlite3, time
c = sqlite3.connect("{db}")
c.execute("PRAGMA journal_mode=WAL")
c.execute("CREATE TABLE metrics (id INTEGER PRIMARY KEY, run_id TEXT, key TEXT, step INT,"
          " value REAL, timestamp REAL)")
c.execute("CREATE INDEX ix ON metrics (run_id, key, step)")
t = time.perf_counter()
rows = [("r", "loss", i, 1.0 / (i + 1), time.time()) for i in range({n})]
c.executemany("INSERT INTO metrics (run_id, key, step, value, timestamp) VALUES (?,?,?,?,?)",
              rows)
c.commit()
print(time.perf_counter() - t)
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

WB_RUNS = """
import time, pandas, workbench as wb  # pandas imported first: its own 0.5 s is not ours
t = time.perf_counter()
df = wb.runs()
elapsed = time.perf_counter() - t
assert len(df) == {n} and df.shape[1] >= 24, df.shape
print(elapsed)
"""


def timed(python: str, code: str, env: dict[str, str], repeats: int, fresh_home: bool) -> float:
    times = []
    for _ in range(repeats):
        home = tempfile.mkdtemp(prefix="wb-bench-") if fresh_home else env["WORKBENCH_HOME"]
        out = subprocess.run(
            [python, "-c", textwrap.dedent(code)],
            env={**env, "WORKBENCH_HOME": home},
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
        if fresh_home:
            shutil.rmtree(home, ignore_errors=True)
    return statistics.median(times)


def import_time(python: str, module: str, env: dict[str, str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(
            [python, "-c", f"import {module}" if module else "pass"], env=env, check=True
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mlflow-python", help="interpreter with mlflow installed (optional)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--mlflow-points", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=10_000)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("WORKBENCH_RUN_ID", None)
    py = sys.executable
    n = args.points

    print(f"== {n:,} metric points in one run (median of {args.repeats}) ==")
    wb_s = timed(py, WB_LOG.format(n=n), env, args.repeats, True)
    tmp = tempfile.mkdtemp()
    raws = []
    for i in range(args.repeats):
        raws.append(timed(py, RAW_SQLITE.format(n=n, db=f"{tmp}/raw{i}.db"), env, 1, True))
    raw_s = statistics.median(raws)
    print(f"workbench wb.log_metric loop      {wb_s:8.3f} s   {n / wb_s:12,.0f} points/s")
    print(f"raw sqlite3 executemany (floor)   {raw_s:8.3f} s   {n / raw_s:12,.0f} points/s")
    print(f"  ratio workbench / raw sqlite3: {wb_s / raw_s:.2f}x the time")
    if args.mlflow_python:
        m = args.mlflow_points
        ml = [
            timed(
                args.mlflow_python, MLFLOW_LOG.format(n=m, db=f"{tmp}/mlflow{i}.db"), env, 1, True
            )
            for i in range(args.repeats)
        ]
        ml_s = statistics.median(ml) * n / m
        print(
            f"mlflow.log_metric loop (sqlite)   {ml_s:8.3f} s   {n / ml_s:12,.0f} points/s"
            f"   (measured on {m:,} points, scaled)"
        )
        print(f"  ratio mlflow / workbench: {ml_s / wb_s:.0f}x the time")
    else:
        print("mlflow: skipped (pass --mlflow-python; `make bench` sets it up)")

    print(f"\n== wb.runs() over {args.runs:,} runs, 10 params + 5 metrics each ==")
    home = tempfile.mkdtemp(prefix="wb-bench-runs-")
    seed_env = {**env, "WORKBENCH_HOME": home}
    subprocess.run(
        [py, "-c", textwrap.dedent(SEED_RUNS.format(n=args.runs))], env=seed_env, check=True
    )
    runs_s = timed(py, WB_RUNS.format(n=args.runs), seed_env, args.repeats, False)
    print(f"wb.runs()                         {runs_s:8.3f} s   {args.runs / runs_s:12,.0f} runs/s")

    print(f"\n== interpreter start + import (median of {max(5, args.repeats)}) ==")
    base = import_time(py, "", env, max(5, args.repeats))
    wb_imp = import_time(py, "workbench", env, max(5, args.repeats))
    print(f"python -c pass                    {base:8.3f} s")
    print(f"python -c 'import workbench'      {wb_imp:8.3f} s   (+{wb_imp - base:.3f} s)")
    if args.mlflow_python:
        ml_base = import_time(args.mlflow_python, "", env, max(5, args.repeats))
        ml_imp = import_time(args.mlflow_python, "mlflow", env, max(5, args.repeats))
        print(f"python -c 'import mlflow'         {ml_imp:8.3f} s   (+{ml_imp - ml_base:.3f} s)")
        print(
            f"  ratio import cost mlflow / workbench: "
            f"{(ml_imp - ml_base) / max(wb_imp - base, 1e-9):.1f}x"
        )
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
