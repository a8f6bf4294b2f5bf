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
from themes import contrast

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
        "import workbench as wb\ntable = wb.widgets.runs(experiment='widgets', page_size=3)\ntable",
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
    checks = table.locator("input.wb-RunsTable-check")
    count = table.locator(".wb-RunsTable-count")
    expect(checks).to_have_count(3)  # one page of 3
    expect(count).to_have_text("1–3 of 4 runs · 3 ticked")
    headers = table.locator(".wb-RunsTable-header")
    expect(headers.filter(has_text="params.lr")).to_have_count(1)
    sorted_header = headers.filter(has_text="metrics.accuracy ▼")  # sorted in Python
    expect(sorted_header).to_have_count(1)
    expect(sorted_header).to_have_attribute("aria-sort", "descending")

    # The comparison the second cell asked for: three runs, three plotly figures.
    compare = table.locator(".wb-Compare")
    expect(compare).to_be_visible(timeout=30_000)
    plots = compare.locator(".js-plotly-plot")
    expect(plots).to_have_count(3, timeout=30_000)
    expect(plots.first.locator("svg.main-svg").first).to_be_visible()
    # metric histories: one visible line per compared run
    expect(plots.first.locator(".scatterlayer .trace")).to_have_count(3)
    expect(plots.nth(2).locator(".parcoords")).to_have_count(1)
    expect(table.locator("input.wb-RunsTable-check:checked")).to_have_count(3)
    compare.screenshot(path=str(artifacts / "widgets-compare.png"))

    # Paging from the browser: page 2 has the fourth run; the ticks on page 1 stay.
    table.locator(".wb-RunsTable-next").click()
    expect(count).to_have_text("4–4 of 4 runs · 3 ticked", timeout=15_000)
    expect(checks).to_have_count(1)
    checks.first.check()  # a tick in the browser reaches Python: the button counts it
    expect(table.locator(".wb-RunsTable-count")).to_have_text(re.compile("4 ticked"))
    expect(table.get_by_role("button", name="Compare (4)")).to_be_visible()
    table.locator(".wb-RunsTable-prev").click()
    expect(table.locator("input.wb-RunsTable-check:checked")).to_have_count(3, timeout=15_000)

    # The filter box takes the query language, applied on Enter; a malformed one is named.
    query = table.locator(".wb-RunsTable-query input")
    query.fill("params.opt = 'adam'")
    query.press("Enter")
    expect(count).to_have_text("1–2 of 2 runs · 4 ticked", timeout=15_000)
    expect(checks).to_have_count(2)
    query.fill("accuracy > 0.95")
    query.press("Enter")
    notice = table.locator(".wb-RunsTable-notice .wb-message-error")
    expect(notice).to_contain_text("unknown field 'accuracy'", timeout=15_000)
    expect(checks).to_have_count(2)  # the last good page stays
    query.fill("")
    query.press("Enter")
    expect(count).to_have_text("1–3 of 4 runs · 4 ticked", timeout=15_000)
    expect(notice).to_have_count(0)

    # A header click sorts in the store: ascending by lr, the smallest first.
    headers.filter(has_text=re.compile(r"^params\.lr")).click()
    expect(headers.filter(has_text="params.lr ▲")).to_have_count(1, timeout=15_000)
    first_name = table.locator(".wb-RunsTable-row").first.locator(".wb-RunsTable-cell").nth(1)
    expect(first_name).to_have_text("lr-0.01")
    grid = table.locator(".wb-RunsTable-grid")
    grid.screenshot(path=str(artifacts / "widgets-runs.png"))
    page.screenshot(path=str(artifacts / "widgets-page.png"), full_page=False)
    assert contrast(page, ".wb-RunsTable-sort") >= 4.5

    # The dark theme, chosen from the Settings menu: the header follows it and stays legible.
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Settings$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^JupyterLab Dark$")).click()
    expect(page.locator("body[data-jp-theme-light='false']")).to_have_count(1, timeout=15_000)
    # the header text takes the dark theme's --jp-ui-font-color1 (once its CSS has loaded)
    sort_button = table.locator(".wb-RunsTable-sort").first
    expect(sort_button).to_have_css("color", "rgba(255, 255, 255, 0.87)", timeout=15_000)
    header_bg = page.evaluate(
        "getComputedStyle(document.querySelector('.wb-RunsTable-header')).backgroundColor"
    )
    assert sum(int(x) for x in re.findall(r"\d+", header_bg)[:3]) < 3 * 128, header_bg
    assert contrast(page, ".wb-RunsTable-sort") >= 4.5
    assert contrast(page, ".wb-RunsTable-cell") >= 4.5
    grid.screenshot(path=str(artifacts / "widgets-runs-dark.png"))
    # The charts: drawn by the kernel with the light template on a transparent background,
    # recoloured for the dark theme by widgets.css (no white blocks, legible ticks).
    chart = compare.locator(".wb-Chart").first
    expect(chart.locator(".xtick text").first).to_have_css(
        "fill", "rgba(255, 255, 255, 0.87)", timeout=15_000
    )
    expect(chart.locator(".legendtext").first).to_have_css("fill", "rgba(255, 255, 255, 0.87)")
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.wb-Chart svg.main-svg')).backgroundColor"
    )
    assert background == "rgba(0, 0, 0, 0)", background
    compare.screenshot(path=str(artifacts / "widgets-compare-dark.png"))
    # A message (here a malformed filter) takes the theme's colour from widgets.css.
    query.fill("metrics.accuracy >")
    query.press("Enter")
    expect(notice).to_contain_text("Filter not applied", timeout=15_000)
    assert contrast(page, ".wb-RunsTable-notice .wb-message-error") >= 4.5
    table.screenshot(path=str(artifacts / "widgets-runs-dark-error.png"))
    page.screenshot(path=str(artifacts / "widgets-page-dark.png"), full_page=False)
