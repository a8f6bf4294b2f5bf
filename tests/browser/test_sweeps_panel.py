"""The Sweeps tab of the Workbench sidebar in a real JupyterLab, driven in headless Chromium.

Sweeps are launched through the REST API (POST /workbench/api/sweeps) while the tab is open:
the tab must show each one by polling alone, its progress moving to done, its runs when
expanded, and a Cancel button that stops a sweep in flight. Screenshots of the tab, in the
light and the dark theme, go to docs/.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from lab_server import LabServer
from playwright.sync_api import Locator, Page, expect
from sidebar import SIDEBAR_TAB, open_sidebar
from themes import EXPOSE_APP, shoot

pytestmark = pytest.mark.browser

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def _write_notebook(path: Path, params: str, body: str) -> None:
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[cell, nbformat.v4.new_code_cell(body)], metadata={"kernelspec": KERNELSPEC}
    )
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory, lab_factory: Callable[..., LabServer]
) -> LabServer:
    base = tmp_path_factory.mktemp("sweeps-lab")
    root = base / "root"
    root.mkdir()
    _write_notebook(
        root / "square.ipynb",
        "x: int = 1  # the input\npause: float = 2.0",
        "import time\nimport workbench as wb\ntime.sleep(pause)\nwb.log_metric('y', x * 2)",
    )
    return lab_factory(base, [EXPOSE_APP])


def _post_sweep(lab: LabServer, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        lab.url + "workbench/api/sweeps",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        return dict(json.loads(response.read()))


def _open_sweeps_tab(page: Page) -> Locator:
    panel = open_sidebar(page)
    tab = panel.locator('.wb-RunsPanel-tab[data-view="sweeps"]')
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    return panel


def test_sweeps_tab_shows_progress_runs_and_cancels(
    lab: LabServer, page: Page, artifacts: Path
) -> None:
    page.goto(lab.lab_url())
    expect(page.locator(SIDEBAR_TAB)).to_be_visible(timeout=60_000)
    panel = _open_sweeps_tab(page)
    expect(panel.locator(".wb-RunsPanel-empty")).to_contain_text("No sweeps yet")

    # One worker and a pause per job, so the progress has steps to show.
    sweep = _post_sweep(
        lab,
        {
            "notebook": "square.ipynb",
            "grid": {"x": [1, 2, 3]},
            "params": {"pause": 5},
            "workers": 1,
        },
    )
    row = panel.locator(f'.wb-SweepRow[data-sweep-id="{sweep["sweep_id"]}"]')
    expect(row).to_be_visible(timeout=2_000)  # by polling alone (every 1.5 s), no click
    expect(row.locator(".wb-SweepRow-name")).to_have_text("square.ipynb")
    expect(row.locator(".wb-SweepRow-cancel")).to_be_visible()

    done = row.locator('.wb-SweepCount[data-count="ran"]')
    seen: list[str] = []
    deadline = time.monotonic() + 180
    while row.get_attribute("data-status") != "succeeded":
        text = done.inner_text()
        if not seen or seen[-1] != text:
            seen.append(text)
        if time.monotonic() > deadline:
            pytest.fail(f"the sweep did not finish in the panel; done counts seen: {seen}")
        time.sleep(0.2)
    expect(done).to_have_text("3 of 3 ran")
    seen.append("3 of 3 ran")
    assert len(seen) >= 3, f"no progress was shown on the way: {seen}"
    assert all(re.fullmatch(r"[0-3] of 3 ran", t) for t in seen), seen
    expect(row.locator(".wb-SweepProgress-segment.wb-mod-succeeded")).to_have_attribute(
        "style", re.compile(r"width: 100%")
    )
    expect(row.locator(".wb-SweepRow-cancel")).to_have_count(0)  # nothing left to cancel

    # Expanded, the sweep lists its runs, labelled by the parameters it varies.
    toggle = row.get_by_role("button", name="succeeded square.ipynb")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    runs = row.locator(".wb-SweepRuns .wb-RunRow")
    expect(runs).to_have_count(3, timeout=15_000)
    for i, x in enumerate((1, 2, 3)):
        run = runs.nth(i)
        expect(run.locator(".wb-RunRow-name")).to_have_text(f"x={x}")
        expect(run.locator(".wb-StatusBadge")).to_have_text("succeeded")
        expect(run.locator('.wb-Metric[data-metric="y"]')).to_have_text(f"y={x * 2}")
    # In the light and the dark theme: the sweep's name, its counts and its runs' names legible.
    shoot(
        page,
        panel,
        "sweeps-panel",
        readable=[".wb-SweepRow-name", ".wb-SweepCounts", ".wb-SweepRuns .wb-RunRow-name"],
    )

    # A sweep in flight is listed first, and its Cancel button stops it.
    slow = _post_sweep(
        lab,
        {
            "notebook": "square.ipynb",
            "grid": {"x": [4, 5, 6]},
            "params": {"pause": 120},
            "workers": 1,
        },
    )
    slow_row = panel.locator(f'.wb-SweepRow[data-sweep-id="{slow["sweep_id"]}"]')
    expect(panel.locator(".wb-SweepRow").first).to_have_attribute(
        "data-sweep-id", slow["sweep_id"], timeout=15_000
    )
    expect(slow_row.locator('.wb-SweepCount[data-count="running"]')).to_have_text(
        "1 running", timeout=60_000
    )
    slow_row.locator(".wb-SweepRow-cancel").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Cancel sweep?")
    dialog.locator(".jp-Dialog-button.jp-mod-warn").click()
    expect(slow_row).to_have_attribute("data-status", "cancelled", timeout=60_000)
    # Honest counts: none ran, all three were cancelled (not "3/3 done").
    expect(slow_row.locator('.wb-SweepCount[data-count="ran"]')).to_have_text("0 of 3 ran")
    expect(slow_row.locator('.wb-SweepCount[data-count="cancelled"]')).to_have_text("3 cancelled")
    slow_row.locator(".wb-SweepRow-toggle").click()
    expect(slow_row.locator(".wb-SweepRuns .wb-StatusBadge")).to_have_text(
        ["cancelled"] * 3, timeout=15_000
    )
    page.screenshot(path=str(artifacts / "sweeps-panel-page.png"))

    # Every Workbench route is authenticated: the server warns about none of them.
    log = lab.log.read_text(encoding="utf-8", errors="replace")
    assert not re.search(r"registered for /workbench", log), log


SWEEPS_POLL = re.compile(r"/workbench/api/sweeps\?")


def _set_page_visibility(page: Page, state: str) -> None:
    """What the browser does when its tab is hidden or shown again."""
    page.evaluate(
        """state => {
            Object.defineProperty(document, 'visibilityState', {
                configurable: true, get: () => state
            });
            document.dispatchEvent(new Event('visibilitychange'));
        }""",
        state,
    )


def test_sweeps_tab_stops_polling_while_the_browser_tab_is_hidden(
    lab: LabServer, page: Page
) -> None:
    page.goto(lab.lab_url())
    expect(page.locator(SIDEBAR_TAB)).to_be_visible(timeout=60_000)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if SWEEPS_POLL.search(r.url) else None)
    with page.expect_response(SWEEPS_POLL, timeout=10_000):
        panel = _open_sweeps_tab(page)

    # Hidden: a poll already on its way may still land, but none is asked after.
    _set_page_visibility(page, "hidden")
    before = len(polls)
    sweep = _post_sweep(
        lab, {"notebook": "square.ipynb", "grid": {"x": [7]}, "params": {"pause": 0}}
    )
    # Three polling periods (1.5 s) with the tab hidden: no request at all.
    page.wait_for_timeout(4_500)
    assert polls[before:] == [], polls[before:]
    row = panel.locator(f'.wb-SweepRow[data-sweep-id="{sweep["sweep_id"]}"]')
    expect(row).to_have_count(0)

    # Visible again: it asks at once, and the sweep launched meanwhile shows.
    with page.expect_request(SWEEPS_POLL, timeout=1_000):
        _set_page_visibility(page, "visible")
    expect(row).to_be_visible(timeout=2_000)
