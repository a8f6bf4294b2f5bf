"""The runs widget over a big store, measured; prints figures, asserts nothing.

    python benchmarks/widgets.py [--runs 10000] [--repeats 3] [--home DIR] [--kernel] [--browser]

A store of --runs runs with 10 params and 5 metrics each is seeded once (kept in --home when
given, so a second invocation reuses it). Then, in a fresh interpreter per repeat (pandas,
ipywidgets and plotly imported before the clock starts, as in a notebook that has used them):

- construction: ``wb.widgets.runs()`` until its first page (100 runs) is in the widget;
- a sort by a metric (a header click: ``table.sort("metrics.m2", ascending=False)``);
- a filter (the box: ``metrics.m1 > 0.5 and params.p3 < 0.5``), then a sort of that;
- the next page, and a refresh.

With --kernel the same steps run inside a real IPython kernel (jupyter_client), the table
displayed, so the cost of the comm messages to the frontend is included. With --browser, a
real JupyterLab in headless Chromium (Debian's, as the browser tests use) runs the cell; the
clock runs from Shift+Enter until the page's 100 rows are drawn, from a header click until
the sorted page is drawn, and from Enter in the filter box until the filtered page is drawn.
Figures are medians.
Targets (issue 8): construction <= 1 s, a sort or a filter <= 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

SEED = """
import random, time
from workbench.store import open_store
store = open_store()
rng = random.Random(0)
for i in range({n}):
    run_id = store.create_run(experiment="bench", name=f"run{{i}}", source="job",
                              params={{f"p{{j}}": rng.random() for j in range(10)}})
    store.log_batch(run_id, [(f"m{{j}}", rng.random(), 0, time.time()) for j in range(5)])
    if i % 3:
        from workbench.entities import RunStatus
        store.set_status(run_id, RunStatus.SUCCEEDED)
print(store.search_runs(limit=1)[1])
"""

STEPS = """
import json, time
import pandas, ipywidgets, plotly.graph_objects  # a notebook that has used them
{preload}
timings = {{}}
t = time.perf_counter()
import workbench as wb
table = wb.widgets.runs()
{show}
timings["construction"] = time.perf_counter() - t
assert len(table.rows) == 100 and table.total == {n}, (len(table.rows), table.total)
t = time.perf_counter()
table.sort("metrics.m2", ascending=False)
timings["sort"] = time.perf_counter() - t
t = time.perf_counter()
table.filter("metrics.m1 > 0.5 and params.p3 < 0.5")
timings["filter"] = time.perf_counter() - t
assert table.error is None and 0 < table.total < {n}, (table.error, table.total)
t = time.perf_counter()
table.sort("params.p1")
timings["sort filtered"] = time.perf_counter() - t
t = time.perf_counter()
table.next_page()
timings["next page"] = time.perf_counter() - t
t = time.perf_counter()
table.refresh()
timings["refresh"] = time.perf_counter() - t
timings["cells on a page"] = sum(len(r["cells"]) for r in table.grid.rows)
page = [table.grid.rows, table.grid.columns]
timings["page message (bytes)"] = len(json.dumps(page))
print(json.dumps(timings))
"""


def seed(home: Path, runs: int) -> None:
    marker = home / f"seeded-{runs}"
    if marker.exists():
        return
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    t = time.perf_counter()
    out = run_python(SEED.format(n=runs), home)
    print(f"seeded {out.strip()} runs in {time.perf_counter() - t:.0f} s into {home}")
    marker.touch()


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_RUN_ID", "WORKBENCH_DB_URL")}
    env.update(WORKBENCH_HOME=str(home), PYTHONPATH=str(ROOT))
    return env


def run_python(code: str, home: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env_for(home),
        capture_output=True,
        text=True,
        cwd=home,
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr}")
    return out.stdout


def in_process(home: Path, runs: int) -> dict[str, float]:
    code = STEPS.format(n=runs, preload="", show="")
    return json.loads(run_python(code, home).strip().splitlines()[-1])


def in_kernel(home: Path, runs: int) -> dict[str, float]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=env_for(home), cwd=str(home))
    try:
        code = STEPS.format(n=runs, preload="", show="display(table)")
        outputs: list[str] = []

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                outputs.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                outputs.append("\n".join(msg["content"]["traceback"]))

        reply = kc.execute_interactive(textwrap.dedent(code), timeout=300, output_hook=hook)
        if reply["content"]["status"] != "ok":
            raise SystemExit("benchmark step failed in the kernel:\n" + "".join(outputs))
        return json.loads("".join(outputs).strip().splitlines()[-1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# A first cell that the kernel has run proves it takes input (a Shift+Enter sent right after
# the kernel first idles can be dropped); the clock runs for the second.
BROWSER_CELLS = ["import workbench as wb, pandas, ipywidgets", "table = wb.widgets.runs()\ntable"]


def drawn(page: Any, condition: str) -> None:
    """Wait for a DOM condition, checked every animation frame (Playwright's expect polls
    at 100 ms and longer steps, too coarse for these figures)."""
    page.wait_for_function(f"() => {condition}", polling="raf", timeout=60_000)


def in_browser(home: Path, runs: int, repeats: int) -> list[dict[str, float]]:
    import re

    import nbformat
    from playwright.sync_api import expect, sync_playwright

    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from lab_server import CHROMIUM, CHROMIUM_ARGS, start_lab, stop_lab

    base = Path(tempfile.mkdtemp(prefix="wb-bench-lab-"))
    (base / "root").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in BROWSER_CELLS])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    # A notebook (a kernel session) and a workspace per repeat: one notebook in the DOM.
    for i in range(repeats):
        nbformat.write(nb, base / "root" / f"bench-{i}.ipynb")
    (base / "home").symlink_to(home.resolve())  # the lab's store (and its kernels')
    server, proc, log = start_lab(base, [])
    figures = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for i in range(repeats):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(server.lab_url(f"lab/workspaces/bench-{i}/tree/bench-{i}.ipynb"))
                panel = page.locator(".jp-NotebookPanel:visible")
                idle = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
                expect(panel.locator(idle)).to_be_visible(timeout=60_000)
                prompt = panel.locator(".jp-CodeCell .jp-InputPrompt").first
                for _ in range(5):
                    panel.locator(".jp-CodeCell").first.click()
                    page.keyboard.press("Shift+Enter")
                    try:
                        expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=10_000)
                        break
                    except AssertionError:
                        continue
                else:
                    raise SystemExit("the notebook's first cell never ran")
                t = time.perf_counter()
                page.keyboard.press("Shift+Enter")  # the second cell has the focus now
                drawn(page, "document.querySelectorAll('.wb-RunsTable-row').length === 100")
                first = {"first page drawn": time.perf_counter() - t}
                # Clicked from the page's script: Playwright's own click waits for the
                # element to be stable first, which is not the widget's time.
                t = time.perf_counter()
                page.evaluate(
                    "[...document.querySelectorAll('.wb-RunsTable-sort')]"
                    ".find(b => b.textContent === 'metrics.m2').click()"
                )
                drawn(
                    page,
                    "[...document.querySelectorAll('.wb-RunsTable-header')]"
                    ".some(h => h.textContent === 'metrics.m2 ▲')",
                )
                first["sort drawn"] = time.perf_counter() - t
                box = panel.locator(".wb-RunsTable-query input")
                box.fill("metrics.m1 > 0.5 and params.p3 < 0.5")
                t = time.perf_counter()
                box.press("Enter")
                drawn(
                    page,
                    "!document.querySelector('.wb-RunsTable-count').textContent"
                    f".includes('of {runs:,} runs')",
                )
                first["filter drawn"] = time.perf_counter() - t
                figures.append(first)
                page.close()
            browser.close()
    finally:
        stop_lab(proc, log)
        shutil.rmtree(base, ignore_errors=True)
    return figures


def report(label: str, figures: list[dict[str, float]]) -> None:
    print(f"\n{label}")
    for key in figures[0]:
        value = statistics.median(f[key] for f in figures)
        if isinstance(figures[0][key], int):
            print(f"  {key:32s} {value:9.0f}")
        else:
            print(f"  {key:32s} {value * 1000:9.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--home", type=Path, help="keep the seeded store here and reuse it")
    ap.add_argument("--kernel", action="store_true", help="also inside a real IPython kernel")
    ap.add_argument("--browser", action="store_true", help="also in JupyterLab in Chromium")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="wb-bench-widgets-"))
    try:
        seed(home.resolve(), args.runs)
        print(f"wb.widgets.runs() over {args.runs:,} runs (10 params, 5 metrics each)")
        report(
            "in process (targets: construction <= 1000 ms, sort/filter <= 300 ms)",
            [in_process(home, args.runs) for _ in range(args.repeats)],
        )
        if args.kernel:
            report(
                "in a real kernel, displayed (comm messages included)",
                [in_kernel(home, args.runs) for _ in range(args.repeats)],
            )
        if args.browser:
            report(
                "in JupyterLab (headless Chromium), until drawn",
                in_browser(home, args.runs, args.repeats),
            )
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
