"""Cost of one job as its number of cells grows, against plain papermill; prints the curve.

    python benchmarks/cells.py [--cells 100,1000,10000] [--cap 300]

A notebook of N trivial code cells (``x = i``) runs three ways, each in a fresh process
(imports done before the clock starts; kernel start and shutdown inside it):

- Workbench: ``run_notebook`` into a fresh store (a tracked run, progress visible while it
  runs, the executed notebook stored at the end);
- papermill: ``papermill.execute_notebook`` as called by default, which saves the whole
  notebook at every cell's start and end (``request_save_on_cell_execute=True``);
- papermill no-save: the same with ``request_save_on_cell_execute=False``, the floor: it
  saves only at the end and shows no progress while it runs.

A case that takes longer than ``--cap`` seconds is stopped and shown as ``> cap``. Nothing
is asserted: the figures and ratios are printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKBENCH = """
import sys, time
from workbench.notebooks import execute
import papermill  # imported before the clock, as in the papermill cases
t = time.perf_counter()
run = execute.run_notebook(sys.argv[1])
took = time.perf_counter() - t
assert run.status.value == "succeeded", run.error
print(took)
"""

PAPERMILL = """
import sys, time, papermill
t = time.perf_counter()
papermill.execute_notebook(
    sys.argv[1], sys.argv[2], progress_bar=False,
    request_save_on_cell_execute=sys.argv[3] == "save",
)
print(time.perf_counter() - t)
"""


def make_notebook(path: Path, cells: int) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = new_notebook(
        cells=[new_code_cell(f"x = {i}") for i in range(cells)], metadata={"kernelspec": kernelspec}
    )
    nbformat.write(nb, path)


def timed(code: str, args: list[str], work: Path, cap: float) -> float | None:
    home = work / ".workbench"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    env.pop("WORKBENCH_RUN_ID", None)
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=cap + 60,  # imports and kernel shutdown are outside the measured time
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise SystemExit(f"a case failed:\n{done.stdout}\n{done.stderr}")
    took = float(done.stdout.strip().splitlines()[-1])
    return took if took <= cap else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", default="100,1000,10000", help="comma-separated sizes")
    parser.add_argument("--cap", type=float, default=300.0, help="seconds before a case stops")
    args = parser.parse_args()
    sizes = [int(s) for s in args.cells.split(",")]
    cases = {
        "workbench": lambda nb, out: (WORKBENCH, [str(nb)]),
        "papermill": lambda nb, out: (PAPERMILL, [str(nb), str(out), "save"]),
        "papermill no-save": lambda nb, out: (PAPERMILL, [str(nb), str(out), "nosave"]),
    }
    rows: list[tuple[int, dict[str, float | None]]] = []
    with tempfile.TemporaryDirectory(prefix="wb-cells-") as tmp:
        work = Path(tmp)
        for size in sizes:
            nb = work / f"cells{size}.ipynb"
            make_notebook(nb, size)
            figures: dict[str, float | None] = {}
            for label, case in cases.items():
                code, case_args = case(nb, work / "out.ipynb")
                figures[label] = timed(code, case_args, work, args.cap)
                shown = "stopped" if figures[label] is None else f"{figures[label]:.1f} s"
                print(f"  {size:>6} cells: {label}: {shown}", file=sys.stderr)
            rows.append((size, figures))

    print(f"\none job of N trivial cells, {os.cpu_count()} cores, seconds (cap {args.cap:g} s)\n")
    labels = list(cases)
    peers = labels[1:]
    columns = labels + [f"{peer} / workbench" for peer in peers]
    print(f"{'cells':>6}  " + "  ".join(columns))
    for size, figures in rows:
        ours = figures["workbench"]
        out = []
        for label in labels:
            value = figures[label]
            text = f"> {args.cap:g}" if value is None else f"{value:.1f}"
            out.append(f"{text:>{len(label)}}")
        for peer, column in zip(peers, columns[len(labels) :], strict=True):
            theirs = figures[peer]
            if ours is None:
                ratio = "n/a"
            elif theirs is None:
                ratio = f"> {args.cap / ours:.1f}x"
            else:
                ratio = f"{theirs / ours:.2f}x"
            out.append(f"{ratio:>{len(column)}}")
        print(f"{size:>6}  " + "  ".join(out))
    print("\nratios: the peer's seconds over Workbench's (above 1: Workbench is faster)")


if __name__ == "__main__":
    main()
