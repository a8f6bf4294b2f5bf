"""The job queue by keyboard alone, in a real JupyterLab driven in headless Chromium.

Opened from the command palette, the queue takes the focus; Tab reaches the sweep list (one Tab
stop, a listbox), arrows move among the sweeps and Enter or Space selects one; Tab reaches a
job, whose disclosure button (aria-expanded) shows or hides its progress and log with Enter or
Space; Tab reaches its Cancel button, which cancels it after the confirmation, and the focus
stays on the job's row. Every stop has a visible focus ring and the role and name a screen
reader reads. Screenshots, in the light and the dark theme, go to docs/.
"""

from __future__ import annotations

import re
import time

import pytest
from explore_lab import open_palette_command
from jobs_lab import QUEUE, focus_ring, is_focused, post, tab_to
from lab_server import LabServer
from playwright.sync_api import Page, expect
from themes import shoot

pytestmark = pytest.mark.browser


def _sweep_status(steps_lab: LabServer, sweep_id: str) -> str:
    status, body = steps_lab.api(f"workbench/api/sweeps/{sweep_id}")
    assert status == 200 and isinstance(body, dict), body
    return str(body["status"])


def _wait_for(steps_lab: LabServer, sweep_id: str, statuses: set[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while (status := _sweep_status(steps_lab, sweep_id)) not in statuses:
        if time.monotonic() > deadline:
            pytest.fail(f"sweep {sweep_id} stayed {status}, never one of {statuses}")
        time.sleep(0.5)


def _assert_focus_visible(page: Page) -> None:
    ring = focus_ring(page)
    assert ring["visible"] == "true", ring
    assert ring["style"] != "none" and float(ring["width"].removesuffix("px")) >= 1, ring


def test_job_queue_by_keyboard(steps_lab: LabServer, page: Page) -> None:
    # Two sweeps from another face: one ended, one with a job running (long steps) and one queued.
    done = post(
        steps_lab,
        "sweeps",
        {"notebook": "steps.ipynb", "grid": {"x": [9]}, "params": {"pause": 0.1}},
    )
    _wait_for(steps_lab, done["sweep_id"], {"succeeded"}, 120)
    busy = post(
        steps_lab,
        "sweeps",
        {"notebook": "steps.ipynb", "grid": {"x": [1, 2]}, "params": {"pause": 60}, "workers": 1},
    )

    page.goto(steps_lab.lab_url())
    expect(page.locator(".jp-LauncherCard").first).to_be_visible(timeout=60_000)
    open_palette_command(page, "Open Job Queue")
    queue = page.locator(QUEUE)
    expect(queue).to_be_visible(timeout=30_000)

    # The sweep list: a listbox with one Tab stop, the selected sweep (the one in flight).
    sweeps = queue.get_by_role("listbox", name="Sweeps, newest first")
    expect(sweeps.get_by_role("option")).to_have_count(2, timeout=30_000)
    busy_option = sweeps.locator(f'[data-sweep-id="{busy["sweep_id"]}"]')
    done_option = sweeps.locator(f'[data-sweep-id="{done["sweep_id"]}"]')
    expect(sweeps.get_by_role("option", selected=True)).to_have_attribute(
        "data-sweep-id", busy["sweep_id"]
    )
    tab_to(page, busy_option)
    _assert_focus_visible(page)
    expect(done_option).to_have_attribute("tabindex", "-1")

    # Arrows move the focus; Enter selects, and the ended sweep's job shows.
    page.keyboard.press("ArrowDown")
    expect(done_option).to_be_focused()
    _assert_focus_visible(page)
    expect(done_option).to_have_attribute("aria-selected", "false")
    page.keyboard.press("Enter")
    expect(done_option).to_have_attribute("aria-selected", "true")
    jobs = queue.get_by_role("table", name="Jobs of the sweep")
    expect(jobs.get_by_role("button", name="x=9", exact=True)).to_be_visible(timeout=30_000)
    # ... and Space selects the sweep in flight again.
    page.keyboard.press("ArrowUp")
    expect(busy_option).to_be_focused()
    page.keyboard.press("Space")
    expect(busy_option).to_have_attribute("aria-selected", "true")
    expect(busy_option).to_have_attribute("tabindex", "0")

    # Tab on to the running job: a disclosure of its progress and log.
    job = jobs.get_by_role("button", name="x=1", exact=True)
    expect(job).to_be_visible(timeout=30_000)
    row = jobs.locator(".wb-JobRow").filter(has=page.get_by_role("button", name="x=1", exact=True))
    expect(row).to_have_attribute("data-status", "running", timeout=90_000)
    presses = tab_to(page, job)
    assert presses >= 2, "the sweep's own controls come before its jobs"
    _assert_focus_visible(page)
    expect(job).to_have_attribute("aria-expanded", "false")
    detail = queue.get_by_role("region", name="Job x=1")
    expect(detail).to_have_count(0)
    page.keyboard.press("Enter")
    expect(job).to_have_attribute("aria-expanded", "true")
    expect(job).to_have_attribute("aria-controls", "workbench-jobs-detail")
    expect(detail).to_be_visible()
    expect(detail.locator(".wb-JobLog-text")).to_contain_text("start 1", timeout=60_000)
    page.keyboard.press("Space")
    expect(job).to_have_attribute("aria-expanded", "false")
    expect(detail).to_have_count(0)
    page.keyboard.press("Enter")
    expect(detail).to_be_visible()
    expect(job).to_be_focused()

    # The next Tab stop is the job's Cancel button, named for its job.
    cancel = row.get_by_role("button", name="Cancel: job x=1")
    page.keyboard.press("Tab")
    expect(cancel).to_be_focused()
    _assert_focus_visible(page)
    # The queued job is a disclosure too, and offers its own Cancel.
    expect(jobs.get_by_role("button", name="x=2", exact=True)).to_have_attribute(
        "aria-expanded", "false"
    )
    expect(jobs.get_by_role("button", name="Cancel: job x=2")).to_be_visible()
    shoot(page, queue, "job-queue-keyboard")
    expect(cancel).to_be_focused()  # switching themes kept the focus where it was

    # Enter asks first; the dialog's warning button cancels; the focus stays on the row.
    page.keyboard.press("Enter")
    confirm = page.locator(".jp-Dialog").filter(has_text="Cancel job?")
    expect(confirm).to_be_visible()
    accept = confirm.get_by_role("button", name="Cancel job")
    tab_to(page, accept, limit=4)
    page.keyboard.press("Enter")
    expect(confirm).to_have_count(0)
    expect(row).to_have_attribute("data-status", "cancelled", timeout=60_000)
    expect(cancel).to_have_count(0)
    retry = row.get_by_role("button", name="Retry: job x=1")
    expect(retry).to_be_focused()
    _assert_focus_visible(page)

    # Shift+Tab back to "Cancel sweep" and cancel the rest the same way.
    cancel_sweep = queue.get_by_role("button", name="Cancel sweep")
    tab_to(page, cancel_sweep, key="Shift+Tab")
    _assert_focus_visible(page)
    page.keyboard.press("Enter")
    confirm = page.locator(".jp-Dialog").filter(has_text="Cancel sweep?")
    tab_to(page, confirm.get_by_role("button", name="Cancel sweep"), limit=4)
    page.keyboard.press("Enter")
    expect(busy_option).to_have_attribute("data-status", "cancelled", timeout=60_000)
    # Its button gone, the focus is still in the queue, not lost to the page.
    assert page.evaluate(f"document.querySelector('{QUEUE}').contains(document.activeElement)")
    assert not is_focused(page.locator("body"))
    expect(row.locator(".wb-StatusBadge")).to_have_text(re.compile("cancelled"))
