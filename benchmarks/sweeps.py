"""Sweep throughput against plain papermill, measured in one run; prints figures and ratios.

    python benchmarks/sweeps.py [--jobs 32] [--workers 2] [--repeats 3]

The same jobs (templates/demo.ipynb with seed = 0..N-1, every other parameter at its
default) run three ways, each in a fresh store:

- the sweep engine: `workbench sweep demo.ipynb --grid seed=0,...  --workers 2` (local
  worker processes, each job a tracked run with its executed notebook stored), timed from
  the command's start to its exit;
- a serial loop of the `papermill` CLI, one process per job, as a shell loop would;
- a serial loop of `papermill.execute_notebook` in one process (papermill imported once,
  before the clock starts).

The notebook logs its metrics with `wb.log_metric` in all three (outside the engine each
kernel opens its own run). Figures are medians of the repeats; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "templates" / "demo.ipynb"

PAPERMILL_LOOP = """
import sys, time, papermill
nb, out, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
for seed in range(jobs):
    papermill.execute_notebook(nb, out, parameters={"seed": seed}, progress_bar=False)
print(time.perf_counter() - t)
"""


def fresh_env(work: Path) -> dict[str, str]:
    home = work / ".workbench"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    env.pop("WORKBENCH_RUN_ID", None)
    return env


def sweep_engine(work: Path, jobs: int, workers: int) -> float:
    seeds = ",".join(str(i) for i in range(jobs))
    cmd = [
        sys.executable,
        "-m",
        "workbench",
        "sweep",
        str(DEMO),
        "--grid",
        f"seed={seeds}",
        "--workers",
        str(workers),
        "--force",
    ]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=fresh_env(work), cwd=work, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the sweep failed:\n{done.stdout}\n{done.stderr}")
    return took


def papermill_cli(work: Path, jobs: int, _workers: int) -> float:
    env = fresh_env(work)
    papermill = shutil.which("papermill", path=str(Path(sys.executable).parent)) or "papermill"
    started = time.perf_counter()
    for seed in range(jobs):
        subprocess.run(
            [
                papermill,
                str(DEMO),
                str(work / "out.ipynb"),
                "-p",
                "seed",
                str(seed),
                "--no-progress-bar",
            ],
            env=env,
            cwd=work,
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def papermill_api(work: Path, jobs: int, _workers: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PAPERMILL_LOOP, str(DEMO), str(work / "out.ipynb"), str(jobs)],
        env=fresh_env(work),
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


CASES: dict[str, Callable[[Path, int, int], float]] = {
    "workbench sweep (local, {w} workers)": sweep_engine,
    "papermill CLI, serial loop": papermill_cli,
    "papermill.execute_notebook, serial loop": papermill_api,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SystemExit("the demo notebook needs scikit-learn: pip install -e '.[demo]'") from None

    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        work = Path(tmp)
        for repeat in range(args.repeats):
            for label, case in CASES.items():
                name = label.format(w=args.workers)
                took = case(work, args.jobs, args.workers)
                results.setdefault(name, []).append(took)
                print(f"  repeat {repeat + 1}: {name}: {took:.1f} s", file=sys.stderr)

    print(
        f"\n{args.jobs} jobs of {DEMO.name}, {os.cpu_count()} cores, "
        f"median of {args.repeats} repeat(s)\n"
    )
    medians = {name: statistics.median(times) for name, times in results.items()}
    engine = next(iter(medians.values()))
    width = max(len(n) for n in medians)
    print(f"{'':{width}}  {'seconds':>8}  {'jobs/min':>8}  {'engine is':>10}")
    for name, seconds in medians.items():
        speedup = "" if seconds == engine else f"{seconds / engine:.2f}x faster"
        print(f"{name:{width}}  {seconds:8.1f}  {args.jobs * 60 / seconds:8.1f}  {speedup:>10}")


if __name__ == "__main__":
    main()
