"""wb.widgets in a real JupyterLab, driven in headless Chromium.

The store is seeded with a few runs before the server starts; a notebook then shows
``wb.widgets.runs()``, filters and sorts it from the browser, ticks three runs and presses
Compare. The widget DOM and plotly's SVG must appear; screenshots land in test-artifacts/
(the README's pictures in docs/ are copies of them).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from lab_server import LabServer
from notebook_ui import notebook_panel, run_all_cells
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

NOTEBOOK = "widgets.ipynb"
SEED = """
import workbench as wb
runs = [(0.01, 32, "sgd"), (0.03, 128, "adam"), (0.1, 16, "sgd"), (0.3, 64, "adam")]
for i, (lr, batch, opt) in enumerate(runs):
    with wb.start_run(name=f"lr-{lr}", experiment="widgets"):
        wb.log_params({"lr": lr, "batch_size": batch, "opt": opt, "epochs": 12})
        for epoch in range(12):
            wb.log_metric("loss", (1.2 - i * 0.2) / (1 + lr * 10 * epoch), step=epoch)
            wb.log_metric("accuracy", 0.5 + 0.4 * (1 - 1 / (1 + lr * 5 * epoch)), step=epoch)
"""


def _seed(root: Path, home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_RUN_ID", "WORKBENCH_DB_URL")}
    env["WORKBENCH_HOME"] = str(home)
    out = subprocess.run(
        [sys.executable, "-c", SEED], env=env, cwd=root, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    cells = [
        "import workbench as wb\ntable = wb.widgets.runs(experiment='widgets')\ntable",
        textwrap.dedent("""\
            # the three best runs by accuracy, compared below the table
            table.sort("metrics.accuracy", ascending=False)
            table.selected = table.rows[:3]
            table.compare_button.click()
            print(len(table.comparison.figures), "figures")"""),
    ]
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
        },
    )
    nbformat.write(nb, root / NOTEBOOK)


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory, lab_factory: Callable[..., LabServer]
) -> LabServer:
    base = tmp_path_factory.mktemp("widgets-lab")
    (base / "root").mkdir()
    (base / "home").mkdir()
    _seed(base / "root", base / "home")
    return lab_factory(base)


def test_runs_widget_and_compare_figures_render_in_lab(
    lab: LabServer, page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1500, "height": 2000})  # the whole comparison in view
    page.goto(lab.lab_url(f"lab/tree/{NOTEBOOK}"))
    expect(notebook_panel(page)).to_be_visible(timeout=60_000)
    run_all_cells(page)

    table = notebook_panel(page).locator(".wb-RunsTable").first
    expect(table).to_be_visible(timeout=30_000)
    checks = table.locator(".wb-RunsTable-check input[type=checkbox]")
    expect(checks).to_have_count(4)
    expect(table.locator(".wb-RunsTable-count")).to_have_text("4 runs")
    headers = table.locator(".wb-RunsTable-header")
    expect(headers.filter(has_text="params.lr")).to_have_count(1)
    expect(headers.filter(has_text="metrics.accuracy ▼")).to_have_count(1)  # sorted in Python

    # The comparison the second cell asked for: three runs, three plotly figures.
    compare = table.locator(".wb-Compare")
    expect(compare).to_be_visible(timeout=30_000)
    plots = compare.locator(".js-plotly-plot")
    expect(plots).to_have_count(3, timeout=30_000)
    expect(plots.first.locator("svg.main-svg").first).to_be_visible()
    # metric histories: one visible line per compared run
    expect(plots.first.locator(".scatterlayer .trace")).to_have_count(3)
    expect(plots.nth(2).locator(".parcoords")).to_have_count(1)
    expect(table.locator(".wb-RunsTable-check input:checked")).to_have_count(3)
    compare.screenshot(path=str(artifacts / "widgets-compare.png"))

    # From the browser: filter by text, then sort by clicking a header.
    grid = table.locator(".wb-RunsTable-grid")
    table.locator("input[placeholder^='filter']").click()
    page.keyboard.type("opt=adam")
    expect(checks).to_have_count(2, timeout=15_000)
    expect(table.locator(".wb-RunsTable-count")).to_have_text("2 of 4 runs")
    table.locator("input[placeholder^='filter']").fill("")
    expect(checks).to_have_count(4, timeout=15_000)
    headers.filter(has_text=re.compile(r"^params\.lr")).click()
    expect(headers.filter(has_text="params.lr ▲")).to_have_count(1, timeout=15_000)
    expect(grid.locator(".wb-RunsTable-cell", has_text="lr-0.01").first).to_be_visible()
    first_name = grid.locator(".wb-RunsTable-cell").nth(1)  # row 1: id, then name
    expect(first_name).to_have_text("lr-0.01")
    grid.screenshot(path=str(artifacts / "widgets-runs.png"))
    page.screenshot(path=str(artifacts / "widgets-page.png"), full_page=False)
