"""The runs explorer over 10,000 runs in a real JupyterLab and headless Chromium; prints times.

    python benchmarks/explorer.py [--runs 10000] [--repeats 3]

Measured from the browser's side, each from the action to the grid showing its answer:
- first rows: the explorer command run from the palette until the first row is drawn;
- sort: a click on a metric's header until the run with the highest value is the first row;
- filter: a query applied until the status shows its total;
- scroll to the end: Ctrl+End in the grid until the last run is drawn.
Beside them, the REST call behind each (the server's share). Medians of the repeats, wall
clock; nothing is asserted. Needs Debian's Chromium (see tests/browser/lab_server.py).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))

from explore_lab import GRID, apply_query, grid_rows, open_palette_command, seed_store  # noqa: E402
from lab_server import CHROMIUM, CHROMIUM_ARGS, start_lab, stop_lab  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

WHERE = "metrics.acc > 0.9 and params.model = 'a'"


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="wb-explorer-bench-"))
    (base / "root").mkdir()
    t = time.perf_counter()
    seed_store(base / "home", base / "root", runs=args.runs)["store"].close()
    print(f"seeded {args.runs:,} runs in {_ms(t) / 1000:.1f} s")
    server, proc, log = start_lab(base, [])
    times: dict[str, list[float]] = {}
    try:
        rest = {
            "REST page of 200 rows": "workbench/api/runs?limit=200&columns=run_id,name,status,"
            "params.lr,metrics.acc",
            "REST sorted page": "workbench/api/runs?limit=200&order_by=metrics.acc%20desc&"
            "columns=run_id,metrics.acc",
            "REST filtered page": "workbench/api/runs?limit=200&columns=run_id&where="
            + urllib.parse.quote(WHERE),
        }
        for _ in range(args.repeats):
            for label, path in rest.items():
                t = time.perf_counter()
                status, _ = server.api(path)
                times.setdefault(label, []).append(_ms(t))
                assert status == 200
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for _ in range(args.repeats):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(60_000)
                page.goto(server.lab_url())
                expect(page.locator("#jp-main-dock-panel")).to_be_visible()
                page.wait_for_timeout(2000)  # let the Launcher settle
                t = time.perf_counter()
                open_palette_command(page, "Open runs explorer")
                expect(grid_rows(page).first).to_have_attribute("data-run-id", _ANY_ID)
                times.setdefault("first rows", []).append(_ms(t))

                status, body = server.api("workbench/api/runs?order_by=metrics.acc%20desc&limit=1")
                best = body["runs"][0]["run_id"]  # type: ignore[index]
                t = time.perf_counter()
                page.locator(
                    f'{GRID} .wb-Grid-header[data-field="metrics.acc"] .wb-Grid-sort'
                ).click()
                expect(page.locator(f'{GRID} .wb-Grid-row[aria-rowindex="2"]')).to_have_attribute(
                    "data-run-id", best
                )
                times.setdefault("sort by a metric", []).append(_ms(t))

                total = server.api("workbench/api/runs?limit=1&where=" + urllib.parse.quote(WHERE))[
                    1
                ]["total"]  # type: ignore[index]
                t = time.perf_counter()
                apply_query(page, WHERE)
                expect(page.locator(".wb-Explorer-status")).to_contain_text(f"{total:,} runs")
                times.setdefault("filter (query)", []).append(_ms(t))

                everything = server.api("workbench/api/runs?limit=1")[1]["total"]  # type: ignore[index]
                apply_query(page, "")
                expect(page.locator(".wb-Explorer-status")).to_contain_text(f"{everything:,} runs")
                count = everything + 1
                page.locator(GRID).focus()
                t = time.perf_counter()
                page.keyboard.press("Control+End")
                expect(
                    page.locator(f'{GRID} .wb-Grid-row[aria-rowindex="{count}"]')
                ).to_have_attribute("data-run-id", _ANY_ID)
                times.setdefault("scroll to the last run", []).append(_ms(t))
                page.close()
            browser.close()
    finally:
        stop_lab(proc, log)
    print(f"\nexplorer over {args.runs:,} runs, median of {args.repeats} (ms):")
    for label, values in times.items():
        print(f"  {label:28s} {statistics.median(values):8.0f}   (all: "
              + ", ".join(f"{v:.0f}" for v in values) + ")")  # fmt: skip


_ANY_ID = re.compile("[0-9a-f]{32}")  # any run id


if __name__ == "__main__":
    main()
