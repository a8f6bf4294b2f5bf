"""Sweep throughput: warm and cold sweeps against plain papermill and a reused kernel, in one
run; prints figures, ratios, CPU per job and memory per kernel.

    python benchmarks/sweeps.py [--jobs 32] [--workers 2] [--repeats 1] [--cases warm,cold,...]

The same jobs (templates/demo.ipynb with seed = 0..N-1, every other parameter at its
default) run five ways, each in a fresh store:

- warm: ``workbench sweep demo.ipynb --grid seed=0,...,N-1 --workers W --force``, the
  command a user types: worker processes forked from the runner's pre-imported zygote,
  each forking its jobs' kernels from its own copy of it, each job a tracked run with its
  executed notebook stored; timed from the command's start to its exit (planning, the
  leaderboard and all);
- cold: the same command with ``--cold``: a new kernel process per job;
- api: a serial loop of `papermill.execute_notebook` in one process (papermill imported
  before the clock starts);
- cli: a serial loop of the `papermill` CLI, one process per job, as a shell loop would;
- bound: ``--workers`` kernels started once, each running its share of the jobs' cells one
  job after another (not isolated: globals and imports carry over). A lower bound only.

The notebook logs its metrics with `wb.log_metric` in all of them. CPU seconds are those of
every process the case started (user + system, from the reaped children's usage). Memory is
the unique set size (USS) of each kernel and zygote, sampled every 0.25 s during separate,
untimed warm and cold sweeps (sampling costs CPU the timed ones must not pay). Figures are
medians of the repeats; the load average is printed since other work on
the machine slows every case. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
WORKER = "workbench: sweep worker"  # what ps shows for a warm sweep's worker process
KINDS = ("runner's zygote", "sweep worker", "worker's zygote", "warm kernel", "cold kernel")
DEMO = ROOT / "templates" / "demo.ipynb"
MEMORY_JOBS = 12  # jobs of the untimed warm and cold sweeps whose memory is sampled

PAPERMILL_LOOP = """
import sys, time, papermill
nb, out, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
for seed in range(jobs):
    papermill.execute_notebook(nb, out, parameters={"seed": seed}, progress_bar=False)
print(time.perf_counter() - t)
"""

REUSED_KERNELS = """
import asyncio, json, sys, time
from jupyter_client.manager import AsyncKernelManager
nb, jobs, workers = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
sources = ["".join(c["source"]) for c in cells]
after = next(i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", []))

def job(seed):
    return [*sources[: after + 1], f"seed = {seed}", *sources[after + 1 :], "wb.end_run()"]

async def kernel(todo):
    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    while todo:
        for code in job(todo.pop()):
            reply = await kc.execute_interactive(code, output_hook=lambda msg: None, timeout=60)
            if reply["content"]["status"] != "ok":
                raise SystemExit(f"a cell failed: {reply['content']}")
    kc.stop_channels()
    await km.shutdown_kernel(now=True)

async def main():
    todo = list(range(jobs))
    await asyncio.gather(*(kernel(todo) for _ in range(workers)))

t = time.perf_counter()
asyncio.run(main())
print(time.perf_counter() - t)
"""


def fresh_env(work: Path) -> dict[str, str]:
    home = work / ".workbench"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "WORKBENCH_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("WORKBENCH_DB_URL", None)
    env.pop("WORKBENCH_RUN_ID", None)
    return env


def run(cmd: list[str], work: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, env=env or fresh_env(work), cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def sweep(cold: bool) -> Callable[[Path, int, int], float]:
    def case(work: Path, jobs: int, workers: int) -> float:
        workbench = shutil.which("workbench", path=str(Path(sys.executable).parent))
        if workbench is None:
            raise SystemExit("no `workbench` command beside this Python: pip install -e .")
        grid = ",".join(str(seed) for seed in range(jobs))
        cmd = [workbench, "sweep", str(DEMO), "--grid", f"seed={grid}", "--workers"]
        cmd += [str(workers), "--force", *(["--cold"] if cold else [])]
        started = time.perf_counter()
        run(cmd, work)  # exit code 0: every job succeeded
        return time.perf_counter() - started

    return case


def papermill_cli(work: Path, jobs: int, _workers: int) -> float:
    env = fresh_env(work)
    papermill = shutil.which("papermill", path=str(Path(sys.executable).parent)) or "papermill"
    started = time.perf_counter()
    for seed in range(jobs):
        out = str(work / "out.ipynb")
        run([papermill, str(DEMO), out, "-p", "seed", str(seed), "--no-progress-bar"], work, env)
    return time.perf_counter() - started


def papermill_api(work: Path, jobs: int, _workers: int) -> float:
    out = run(
        [sys.executable, "-c", PAPERMILL_LOOP, str(DEMO), str(work / "o.ipynb"), str(jobs)], work
    )
    return float(out.strip().splitlines()[-1])


def reused_kernels(work: Path, jobs: int, workers: int) -> float:
    out = run([sys.executable, "-c", REUSED_KERNELS, str(DEMO), str(jobs), str(workers)], work)
    return float(out.strip().splitlines()[-1])


CASES: dict[str, tuple[str, Callable[[Path, int, int], float]]] = {
    "warm": ("warm sweep (local, {w} workers)", sweep(cold=False)),
    "cold": ("cold sweep (local, {w} workers)", sweep(cold=True)),
    "api": ("papermill.execute_notebook, serial loop", papermill_api),
    "cli": ("papermill CLI, serial loop", papermill_cli),
    "bound": ("reused kernels x{w} (bound, not isolated)", reused_kernels),
}


class Memory(threading.Thread):
    """Samples the USS of the kernels and zygotes among this process's descendants; a
    kernel counts as warm or cold after the case that runs it (``case``)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.case = ""
        self.mem: dict[tuple[str, int], tuple[int, int, int]] = {}  # max USS, PSS, RSS
        self.seen: dict[tuple[str, int], int] = {}

    def run(self) -> None:
        while not self.stop.wait(0.25):
            case = self.case
            if case not in ("warm", "cold"):
                continue
            for proc in psutil.Process().children(recursive=True):
                try:
                    cmdline = " ".join(proc.cmdline())
                    if "workbench.notebooks.zygote" in cmdline:
                        parent = " ".join(proc.parent().cmdline()).strip()
                        kind = "worker's zygote" if parent == WORKER else "runner's zygote"
                    elif cmdline.strip() == WORKER:
                        kind = "sweep worker"
                    elif "ipykernel" in cmdline:
                        kind = f"{case} kernel"
                    else:
                        continue
                    info = proc.memory_full_info()
                except psutil.Error:
                    continue
                key = (kind, proc.pid)
                self.seen[key] = self.seen.get(key, 0) + 1
                seen = self.mem.get(key, (0, 0, 0))
                self.mem[key] = (
                    max(info.uss, seen[0]),
                    max(info.pss, seen[1]),
                    max(info.rss, seen[2]),
                )

    def summary(self) -> dict[str, tuple[int, float, float, float]]:
        """Per kind: processes sampled, median of their largest USS, PSS and RSS (MiB)."""
        by_kind: dict[str, list[tuple[int, int, int]]] = {}
        for (kind, pid), sizes in self.mem.items():
            # a zygote's fork is a zygote for a few milliseconds: count the ones that lived
            if "zygote" not in kind or self.seen[kind, pid] > 1:
                by_kind.setdefault(kind, []).append(sizes)
        return {
            k: (len(v), *(statistics.median(x[i] for x in v) / 2**20 for i in range(3)))
            for k, v in by_kind.items()
        }


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset")
    args = parser.parse_args()
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(CASES))
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}: choose from {', '.join(CASES)}")
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SystemExit("the demo notebook needs scikit-learn: pip install -e '.[demo]'") from None

    seconds: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    memory = Memory()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        work = Path(tmp)
        for repeat in range(args.repeats):
            for key in chosen:
                label, case = CASES[key]
                cpu_before = children_cpu()
                took = case(work, args.jobs, args.workers)
                seconds.setdefault(key, []).append(took)
                cpu.setdefault(key, []).append((children_cpu() - cpu_before) / args.jobs)
                name = label.format(w=args.workers)
                print(f"  repeat {repeat + 1}: {name}: {took:.1f} s", file=sys.stderr)
        load_after = os.getloadavg()
        # Memory from a separate pass: sampling every process's pages costs CPU that the
        # timed sweeps above must not pay.
        memory.start()
        for key in [k for k in ("warm", "cold") if k in chosen]:
            memory.case = key
            CASES[key][1](work, min(args.jobs, MEMORY_JOBS), args.workers)
            memory.case = ""
        memory.stop.set()

    print(
        f"\n{args.jobs} jobs of {DEMO.name}, {os.cpu_count()} cores, median of "
        f"{args.repeats} repeat(s); load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after (other work on the machine slows every case)\n"
    )
    medians = {k: statistics.median(v) for k, v in seconds.items()}
    warm = medians.get("warm")
    names = {k: CASES[k][0].format(w=args.workers) for k in medians}
    width = max(len(n) for n in names.values())
    header = (
        f"{'':{width}}  {'seconds':>8}  {'jobs/min':>8}  {'CPU s/job':>9}  {'warm sweep is':>18}"
    )
    print(header)
    for key, secs in medians.items():
        if warm is None or key == "warm":
            ratio = ""
        elif key == "bound":
            ratio = f"{warm / secs:.2f}x the bound"
        else:
            ratio = f"{secs / warm:.2f}x faster"
        per_job = statistics.median(cpu[key])
        print(
            f"{names[key]:{width}}  {secs:8.1f}  {args.jobs * 60 / secs:8.1f}  "
            f"{per_job:9.2f}  {ratio:>18}"
        )
    mem = memory.summary()
    if mem:
        print(
            f"\nmemory, MiB, from separate untimed sweeps of {min(args.jobs, MEMORY_JOBS)} jobs "
            "(median over the processes"
            "\nsampled of each one's largest value; a worker, its zygote and its kernels are"
            "\nforks of the runner's zygote and share its pages: their USS is what each adds):"
        )
        print(f"  {'':16} {'USS':>7} {'PSS':>7} {'RSS':>7}")
        for kind in KINDS:
            if kind in mem:
                count, uss, pss, rss = mem[kind]
                print(f"  {kind:16} {uss:7.1f} {pss:7.1f} {rss:7.1f}  ({count} sampled)")


if __name__ == "__main__":
    main()
