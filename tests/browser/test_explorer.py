"""The runs explorer, run page, compare and diff in a real JupyterLab over a store of 10,000
runs, driven in headless Chromium; screenshots in both themes go to test-artifacts/ (the
README's pictures in docs/ are copies of them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from explore_lab import (
    EXPLORER,
    GRID,
    RICH_RUNS,
    RUNS,
    SWEEP_RUNS,
    apply_query,
    grid_rows,
    open_explorer,
    seed_store,
    set_theme,
)
from lab_server import LabServer
from playwright.sync_api import Locator, Page, expect
from themes import contrast

from workbench.entities import RunStatus
from workbench.store import open_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded_lab(
    tmp_path_factory: pytest.TempPathFactory, lab_factory: Callable[..., LabServer]
) -> tuple[LabServer, dict[str, Any]]:
    base = tmp_path_factory.mktemp("explore")
    (base / "root").mkdir()
    seeded = seed_store(base / "home", base / "root")
    seeded["store"].close()
    return lab_factory(base), seeded


def _total(lab: LabServer, where: str) -> int:
    from urllib.parse import urlencode

    status, body = lab.api("workbench/api/runs?" + urlencode({"where": where, "limit": 1}))
    assert status == 200, body
    return int(body["total"])  # type: ignore[index]


def _toggle(box: Locator, on: bool) -> None:
    """Click a checkbox the view controls (it settles after the view redraws, a frame
    later, which Playwright's check() does not wait for)."""
    box.click()
    if on:
        expect(box).to_be_checked()
    else:
        expect(box).not_to_be_checked()


def _cell(page: Page, row: int, field: str) -> str:
    """The text of `field` in the row with aria-rowindex `row` (2 is the first run)."""
    header = page.locator(f'{GRID} .wb-Grid-header[data-field="{field}"]')
    col = header.get_attribute("aria-colindex")
    cell = page.locator(
        f'{GRID} .wb-Grid-row[aria-rowindex="{row}"] [role="gridcell"][aria-colindex="{col}"]'
    )
    return cell.inner_text().strip()


def test_explorer_grid(seeded_lab, page: Page, artifacts: Path) -> None:
    lab, seeded = seeded_lab
    page.goto(lab.lab_url())
    explorer = open_explorer(page)
    total = RUNS + SWEEP_RUNS + RICH_RUNS
    grid = page.locator(GRID)
    expect(grid).to_have_attribute("aria-rowcount", str(total + 1), timeout=30_000)
    expect(explorer.locator(".wb-Explorer-status")).to_contain_text(f"{total:,} runs")
    expect(grid_rows(page).first).to_have_attribute("data-run-id", re.compile("[0-9a-f]{32}"))
    assert grid_rows(page).count() < 100  # only the rows in view are in the DOM
    explorer.screenshot(path=str(artifacts / "explorer-light.png"))

    # Scrolled to the end, the last run is there (rows fetched as they come into view).
    grid.focus()
    page.keyboard.press("Control+End")
    last = page.locator(f'{GRID} .wb-Grid-row[aria-rowindex="{total + 1}"]')
    expect(last).to_have_attribute("data-run-id", re.compile("[0-9a-f]{32}"), timeout=30_000)
    oldest = lab.api("workbench/api/runs?order_by=started_at&limit=1")[1]["runs"][0]  # type: ignore[index]
    # Runs logged within one clock tick tie on started_at: the last row is one of the oldest.
    assert _cell(page, total + 1, "started_at") == _cell_text_of_start(page, oldest)

    # Sorting by a metric puts its maximum first.
    page.locator(f'{GRID} .wb-Grid-header[data-field="metrics.acc"] .wb-Grid-sort').click()
    expect(page.locator(f'{GRID} .wb-Grid-header[data-field="metrics.acc"]')).to_have_attribute(
        "aria-sort", "descending"
    )
    best = lab.api("workbench/api/runs?order_by=metrics.acc%20desc&limit=1")[1]["runs"][0]  # type: ignore[index]
    expect(page.locator(f'{GRID} .wb-Grid-row[aria-rowindex="2"]')).to_have_attribute(
        "data-run-id", best["run_id"], timeout=30_000
    )

    # A query narrows the rows; its total is what wb.runs(where=...) counts.
    where = "metrics.acc > 0.9 and params.model = 'a'"
    apply_query(page, where)
    expected = _total(lab, where)
    assert 0 < expected < total
    expect(explorer.locator(".wb-Explorer-status")).to_contain_text(f"{expected:,} runs")
    expect(grid).to_have_attribute("aria-rowcount", str(expected + 1))
    # A bad query says what is wrong, inline, and keeps the rows.
    apply_query(page, "metrics.acc >")
    expect(explorer.locator(".wb-QueryBar-error")).to_be_visible()
    expect(explorer.locator(".wb-QueryBar-input")).to_have_attribute("aria-invalid", "true")
    apply_query(page, where)
    expect(explorer.locator(".wb-QueryBar-error")).to_have_count(0)

    # "Only what differs" hides the constant columns (params.seed is 0 in every run).
    seed = page.locator(f'{GRID} .wb-Grid-header[data-field="params.seed"]')
    expect(seed).to_have_count(1)
    _toggle(explorer.get_by_label("Only what differs"), True)
    expect(seed).to_have_count(0)
    expect(page.locator(f'{GRID} .wb-Grid-header[data-field="params.lr"]')).to_have_count(1)
    explorer.screenshot(path=str(artifacts / "explorer-query-light.png"))
    _toggle(explorer.get_by_label("Only what differs"), False)


def _cell_text_of_start(page: Page, run: dict[str, Any]) -> str:
    """How the grid shows a run's start (formatted in the browser, like the grid does)."""
    return str(
        page.evaluate(
            """iso => {
              const date = new Date(iso);
              const time = date.toLocaleTimeString(
                [], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
              return date.toDateString() === new Date().toDateString()
                ? time : `${date.toLocaleDateString()} ${time}`;
            }""",
            run["started_at"],
        )
    )


def test_explorer_keyboard_and_dark_theme(seeded_lab, page: Page, artifacts: Path) -> None:
    lab, seeded = seeded_lab
    page.goto(lab.lab_url())
    explorer = open_explorer(page)
    grid = page.locator(GRID)
    expect(grid_rows(page).first).to_be_visible(timeout=30_000)
    grid.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    third = page.locator(f'{GRID} .wb-Grid-row[aria-rowindex="4"]')
    expect(third).to_have_attribute("aria-selected", "true")
    expect(explorer.locator(".wb-Explorer-status")).to_contain_text("1 selected")
    active = grid.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("class").count("wb-mod-active")
    selected_id = third.get_attribute("data-run-id")

    # Export CSV: the selected run, with the columns shown.
    with page.expect_download() as download:
        explorer.locator('[data-command="workbench:explorer-export-csv"]').click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("run_id,name,status,source,notebook")  # pinned name first
    assert len(lines) == 2 and lines[1].startswith(f"{selected_id},")

    # A run that starts while the explorer is open shows up in place, and its status
    # follows it, with the selection kept.
    store = open_store(home=str(lab.home))
    live = store.create_run(experiment="sweep-a", name="live-run", source="job")
    try:
        row = page.locator(f'{GRID} .wb-Grid-row[data-run-id="{live}"]')
        expect(row).to_have_attribute("data-status", "running", timeout=30_000)
        store.set_status(live, RunStatus.SUCCEEDED)
        expect(row).to_have_attribute("data-status", "succeeded", timeout=30_000)
        expect(page.locator(f'{GRID} .wb-Grid-row[data-run-id="{selected_id}"]')).to_have_attribute(
            "aria-selected", "true"
        )
    finally:
        store.delete_runs([live])
        store.close()

    grid.focus()
    row_of_selected = page.locator(f'{GRID} .wb-Grid-row[data-run-id="{selected_id}"]')
    index = int(row_of_selected.get_attribute("aria-rowindex") or "0")
    page.keyboard.press("Control+Home")
    for _ in range(index - 2):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    run_id = selected_id
    expect(page.locator(f'.wb-RunPage[data-run-id="{run_id}"]')).to_be_visible(timeout=30_000)

    # The dark theme keeps the header text readable (WCAG AA: 4.5:1).
    set_theme(page, "JupyterLab Dark")
    page.get_by_role("tab", name="Runs", exact=True).click()
    expect(grid_rows(page).first).to_be_visible()
    ratio = contrast(page, f"{GRID} .wb-Grid-header .wb-Grid-sort")
    assert ratio >= 4.5, ratio
    explorer.screenshot(path=str(artifacts / "explorer-dark.png"))
    set_theme(page, "JupyterLab Light")


def _wait_dark_charts(page: Page, selector: str) -> None:
    """Every chart redrawn from a figure the server themed dark (plotly_dark's font)."""
    page.wait_for_function(
        """selector => {
          const plots = [...document.querySelectorAll(selector)];
          const dark = p => p._fullLayout && p._fullLayout.font.color === '#f2f5fa';
          return plots.length > 0 && plots.every(dark);
        }""",
        arg=selector,
        timeout=30_000,
    )


def _open_rich_run(page: Page, name: str) -> None:
    """Find the run named `name` in the explorer and open its page from the keyboard."""
    apply_query(page, f"name = '{name}'")
    expect(page.locator(f"{EXPLORER} .wb-Explorer-status")).to_contain_text("1 run")
    grid = page.locator(GRID)
    grid.focus()
    page.keyboard.press("Home")
    page.keyboard.press("Enter")


def test_run_page_and_read_only_notebook(seeded_lab, page: Page, artifacts: Path) -> None:
    lab, seeded = seeded_lab
    run_id = seeded["rich"][0]
    page.goto(lab.lab_url())
    open_explorer(page)
    _open_rich_run(page, "rich-0")
    run_page = page.locator(f'.wb-RunPage[data-run-id="{run_id}"]')
    expect(run_page).to_be_visible(timeout=30_000)
    expect(run_page.get_by_label("Run name")).to_have_value("rich-0")
    params = run_page.locator('table[aria-label="Parameters"]')
    expect(params).to_contain_text("lr")
    expect(params).to_contain_text("0.1")
    expect(run_page.locator('table[aria-label="Metrics"] tr[data-metric="loss"]')).to_contain_text(
        "3000"
    )
    expect(run_page.locator(".wb-RunPage-meta")).to_contain_text("abc1234def (dirty)")
    # A note, saved and rendered as Markdown.
    run_page.get_by_role("button", name="Add a note").click()
    run_page.get_by_label("Note (Markdown)").fill("## Baseline\nthe **first** try")
    run_page.get_by_role("button", name="Save note").click()
    expect(run_page.locator(".wb-Markdown strong")).to_have_text("first", timeout=15_000)
    run_page.screenshot(path=str(artifacts / "run-page-light.png"))

    # Charts: the server's figure drawn by the plotly renderer, downsampled to 2,000 points.
    run_page.get_by_role("tab", name="Charts").click()
    expect(run_page.locator('[role="tabpanel"]')).to_have_attribute(
        "aria-labelledby", re.compile("charts")
    )
    chart = run_page.locator('.wb-Figure[aria-label="History of loss"] .js-plotly-plot')
    expect(chart).to_be_visible(timeout=30_000)
    expect(chart.locator(".scatterlayer .trace")).to_have_count(1)
    run_page.screenshot(path=str(artifacts / "run-page-charts-light.png"))
    set_theme(page, "JupyterLab Dark")
    _wait_dark_charts(page, ".wb-RunPage .js-plotly-plot")
    run_page.screenshot(path=str(artifacts / "run-page-charts-dark.png"))
    set_theme(page, "JupyterLab Light")

    # Artifacts: an image and a CSV previewed; the tabs move with the arrow keys.
    tab = run_page.get_by_role("tab", name="Charts")
    tab.focus()
    page.keyboard.press("ArrowRight")
    expect(run_page.get_by_role("tab", name="Artifacts")).to_be_focused()
    expect(run_page.get_by_role("tab", name="Artifacts")).to_have_attribute("aria-selected", "true")
    run_page.get_by_role("button", name="plots/confusion.png").click()
    expect(run_page.locator('img[alt="Artifact plots/confusion.png"]')).to_be_visible()
    run_page.get_by_role("button", name="predictions.csv").click()
    preview = run_page.locator('table[aria-label="Preview of predictions.csv"]')
    expect(preview).to_contain_text("dog")
    download = run_page.get_by_label("Download predictions.csv")
    assert "artifacts/download" in (download.get_attribute("href") or "")
    run_page.screenshot(path=str(artifacts / "run-page-artifacts-light.png"))

    # The executed notebook opens read-only from the store: no file, no kernel.
    before = sorted(p.name for p in lab.root.rglob("*"))
    run_page.get_by_role("button", name="Open notebook").click()
    notebook = page.locator(f'.wb-RunNotebook[data-run-id="{run_id}"]')
    expect(notebook).to_be_visible(timeout=30_000)
    expect(notebook.locator(".jp-Cell").nth(1)).to_contain_text("print(lr * 2)")
    expect(notebook.locator(".jp-OutputArea-output").first).to_contain_text("0.1*2")
    expect(notebook.locator(".wb-RunNotebook-banner")).to_have_text(
        "Output of run rich-0 (succeeded): read-only, no kernel"
    )
    expect(notebook.locator(".jp-Toolbar")).to_contain_text("read-only")
    page.screenshot(path=str(artifacts / "run-notebook-light.png"))
    assert sorted(p.name for p in lab.root.rglob("*")) == before
    assert lab.api("api/kernels") == (200, [])
    assert lab.api("api/sessions") == (200, [])


def test_failed_run_opens_at_its_failing_cell_and_delete_restore(
    seeded_lab, page: Page, artifacts: Path
) -> None:
    lab, seeded = seeded_lab
    run_id = seeded["failed"]
    page.goto(lab.lab_url())
    open_explorer(page)
    _open_rich_run(page, "failed-0")
    run_page = page.locator(f'.wb-RunPage[data-run-id="{run_id}"]')
    expect(run_page.locator(".wb-RunPage-reason")).to_contain_text("ValueError: lr too high")
    expect(run_page.locator(".wb-RunPage-reason")).to_contain_text("(cell 1)")
    run_page.get_by_role("button", name="Open at failing cell").click()
    notebook = page.locator(f'.wb-RunNotebook[data-run-id="{run_id}"]')
    failing = notebook.locator(".jp-Cell.wb-mod-failingCell")
    expect(failing).to_have_count(1, timeout=30_000)
    expect(failing).to_contain_text("print(lr * 2)")
    expect(failing).to_have_class(re.compile("jp-mod-active"))

    # Delete (with a confirmation), then restore: deletion is a state.
    page.get_by_role("tab", name="Run failed-0").click()
    run_page.get_by_role("button", name="Delete…").click()
    page.locator(".jp-Dialog").get_by_role("button", name="Delete").click()
    expect(run_page.locator(".wb-Badge.wb-mod-deleted")).to_have_text("deleted")
    status, body = lab.api("workbench/api/runs?where=name%20%3D%20%27failed-0%27")
    assert status == 200 and body["total"] == 0  # type: ignore[index]
    run_page.get_by_role("button", name="Restore").click()
    expect(run_page.locator(".wb-Badge.wb-mod-deleted")).to_have_count(0)
    status, body = lab.api("workbench/api/runs?where=name%20%3D%20%27failed-0%27")
    assert body["total"] == 1  # type: ignore[index]


def test_compare_three_runs_and_diff_two(seeded_lab, page: Page, artifacts: Path) -> None:
    lab, seeded = seeded_lab
    page.goto(lab.lab_url())
    explorer = open_explorer(page)
    apply_query(page, "name in ('rich-0', 'rich-1', 'rich-2')")
    expect(explorer.locator(".wb-Explorer-status")).to_contain_text("3 runs")
    for i in range(3):
        _toggle(
            page.locator(f'{GRID} .wb-Grid-row[aria-rowindex="{i + 2}"] input[type="checkbox"]'),
            True,
        )
    expect(explorer.locator(".wb-Explorer-status")).to_contain_text("3 selected")
    explorer.locator('[data-command="workbench:explorer-compare"]').click()
    compare = page.locator(".wb-Compare:visible")
    history = compare.locator('.wb-Compare-chart[data-kind="history"] .js-plotly-plot')
    expect(history).to_be_visible(timeout=30_000)
    expect(history.locator(".scatterlayer .trace")).to_have_count(3)
    # Each chart's figure is asked of the server on its own: each may take as long as the first.
    for kind in ("parallel", "contour"):
        expect(
            compare.locator(f'.wb-Compare-chart[data-kind="{kind}"] .js-plotly-plot')
        ).to_be_visible(timeout=30_000)
    differs = compare.locator('.wb-CompareTable tr.wb-mod-differs[data-field="params.lr"]')
    expect(differs).to_be_visible()
    expect(compare.locator('.wb-CompareTable tr[data-field="params.model"]')).not_to_have_class(
        re.compile("wb-mod-differs")
    )
    # Another metric, smoothed: the figure comes again from the server.
    compare.get_by_label("Metric", exact=True).select_option("loss")
    expect(history.locator(".gtitle")).to_have_text("Metric history: loss", timeout=30_000)
    expect(history.locator(".scatterlayer .trace")).to_have_count(3)
    compare.screenshot(path=str(artifacts / "compare-light.png"))
    set_theme(page, "JupyterLab Dark")
    _wait_dark_charts(page, ".wb-Compare .js-plotly-plot")
    compare.screenshot(path=str(artifacts / "compare-dark.png"))
    set_theme(page, "JupyterLab Light")

    # Diff of two: the changed cell, its source and output lines.
    page.get_by_role("tab", name="Runs", exact=True).click()
    _toggle(page.locator(f'{GRID} .wb-Grid-row[aria-rowindex="2"] input[type="checkbox"]'), False)
    explorer.locator('[data-command="workbench:explorer-diff"]').click()
    diff = page.locator(".wb-Diff:visible")
    changed = diff.locator('.wb-CellDiff[data-status="modified"]')
    expect(changed.first).to_be_visible(timeout=30_000)
    expect(changed.first.locator(".wb-DiffLine.wb-mod-removed").first).to_contain_text("lr = 0.")
    expect(changed.first.locator(".wb-DiffLine.wb-mod-added").first).to_contain_text("lr = 0.")
    expect(diff.locator('tr.wb-mod-differs[data-field="params.lr"]')).to_be_visible()
    diff.screenshot(path=str(artifacts / "diff-light.png"))


def test_columns_remembered_and_group_by_sweep(seeded_lab, page: Page, artifacts: Path) -> None:
    lab, seeded = seeded_lab
    page.goto(lab.lab_url())
    explorer = open_explorer(page)
    expect(grid_rows(page).first).to_be_visible(timeout=30_000)
    # Hide a column and pin another; both survive a reload (settings and layout restore).
    explorer.get_by_role("button", name="Columns…").click()
    picker = explorer.get_by_role("dialog", name="Columns")
    source = picker.locator('[data-field="source"] input[type="checkbox"]')
    source.click()  # not uncheck(): React settles the controlled box a frame later
    expect(source).not_to_be_checked()
    picker.get_by_label("Pin metrics.acc").click()
    expect(picker.get_by_label("Pin metrics.acc")).to_have_attribute("aria-pressed", "true")
    explorer.screenshot(path=str(artifacts / "explorer-columns-light.png"))
    picker.get_by_role("button", name="Done").click()
    header = page.locator(f"{GRID} .wb-Grid-header")
    expect(page.locator(f'{GRID} .wb-Grid-header[data-field="source"]')).to_have_count(0)
    expect(header.nth(1)).to_have_attribute("data-field", "metrics.acc")  # pinned first
    page.wait_for_timeout(1500)  # the settings and the workspace are saved debounced
    page.reload()
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=60_000)  # restored on reload
    expect(grid_rows(page).first).to_be_visible(timeout=30_000)
    expect(page.locator(f'{GRID} .wb-Grid-header[data-field="source"]')).to_have_count(0)
    expect(page.locator(f"{GRID} .wb-Grid-header").nth(1)).to_have_attribute(
        "data-field", "metrics.acc"
    )

    # Group by sweep: the sweep's runs under one collapsible header.
    _toggle(explorer.get_by_label("Group by sweep"), True)
    group = page.locator(f"{GRID} .wb-Grid-group", has_text=f"sweep {seeded['sweep'][:8]}")
    expect(group).to_contain_text(f"({SWEEP_RUNS} runs)", timeout=30_000)
    expect(group).to_have_attribute("aria-expanded", "true")
    explorer.screenshot(path=str(artifacts / "explorer-grouped-light.png"))
    group.locator('[role="gridcell"]').click()
    expect(group).to_have_attribute("aria-expanded", "false")
    _toggle(explorer.get_by_label("Group by sweep"), False)
