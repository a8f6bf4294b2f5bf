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
    RUNS,
    apply_query,
    grid_rows,
    open_explorer,
    open_palette_command,
    seed_store,
    set_theme,
)
from lab_server import LabServer
from playwright.sync_api import Page, expect

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
    total = RUNS + 3
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
    explorer.get_by_label("Only what differs").check()
    expect(seed).to_have_count(0)
    expect(page.locator(f'{GRID} .wb-Grid-header[data-field="params.lr"]')).to_have_count(1)
    explorer.screenshot(path=str(artifacts / "explorer-query-light.png"))
    explorer.get_by_label("Only what differs").uncheck()


def _cell_text_of_start(page: Page, run: dict[str, Any]) -> str:
    """How the grid shows a run's start (formatted in the browser, like the grid does)."""
    return str(
        page.evaluate(
            """iso => {
              const date = new Date(iso);
              const time = date.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
              return date.toDateString() === new Date().toDateString() ? time : `${date.toLocaleDateString()} ${time}`;
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
    page.keyboard.press("Enter")
    run_id = third.get_attribute("data-run-id")
    expect(page.locator(f'.wb-RunPage[data-run-id="{run_id}"]')).to_be_visible(timeout=30_000)

    # The dark theme keeps the header text readable (WCAG AA: 4.5:1).
    set_theme(page, "JupyterLab Dark")
    page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Runs").click()
    expect(grid_rows(page).first).to_be_visible()
    ratio = page.evaluate(CONTRAST_JS, f"{GRID} .wb-Grid-header .wb-Grid-sort")
    assert ratio >= 4.5, ratio
    explorer.screenshot(path=str(artifacts / "explorer-dark.png"))
    set_theme(page, "JupyterLab Light")


# The contrast of an element's text against the first opaque background behind it.
CONTRAST_JS = """selector => {
  const el = document.querySelector(selector);
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  let bg = el, color = rgb(getComputedStyle(el).color);
  let back = [0, 0, 0, 0];
  while (bg) {
    const c = rgb(getComputedStyle(bg).backgroundColor);
    if (c.length < 4 || c[3] > 0) { back = c; break; }
    bg = bg.parentElement;
  }
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(color), lum(back)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""
