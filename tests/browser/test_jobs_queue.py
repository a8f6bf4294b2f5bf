"""The sweep dialog and the job queue in a real JupyterLab, driven in headless Chromium.

The notebook toolbar's Sweep… button opens the dialog on the notebook's typed parameters; a
grid of 4 jobs launched from it shows in the job queue at once; a sweep launched through the
REST API (another face) shows within 2 s; a running job shows its progress by cell and its
log; one job is cancelled and retried; the finished sweep ranks its jobs by its metric.
Screenshots of both views, in the light and the dark theme, go to docs/.
"""

from __future__ import annotations

import re

import pytest
from jobs_lab import QUEUE, post
from lab_server import LabServer
from playwright.sync_api import Locator, Page, expect
from themes import shoot

pytestmark = pytest.mark.browser


def _row(queue: Locator, x: int) -> Locator:
    return queue.locator(".wb-JobRow").filter(
        has=queue.page.locator(".wb-JobRow-label", has_text=re.compile(rf"^x={x}\b"))
    )


def test_sweep_dialog_and_job_queue(steps_lab: LabServer, page: Page) -> None:
    page.goto(steps_lab.lab_url("lab/tree/steps.ipynb"))
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel).to_be_visible(timeout=60_000)

    # The toolbar button opens the dialog on the notebook's typed parameters.
    button = panel.locator('.jp-Toolbar-item[data-jp-item-name="workbench-sweep"] button')
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    dialog = page.locator(".wb-SweepDialog")
    expect(dialog).to_contain_text("Sweep steps.ipynb")
    params = dialog.locator(".wb-SweepForm-param")
    expect(params).to_have_count(2)
    expect(params.nth(0).locator(".wb-SweepForm-paramName")).to_have_text("x")
    expect(params.nth(0).locator(".wb-SweepForm-paramType")).to_have_text("int")
    expect(params.nth(0)).to_contain_text("the input")
    expect(params.nth(1).locator(".wb-SweepForm-paramName")).to_have_text("pause")
    count = dialog.locator(".wb-SweepForm-count")
    expect(count).to_have_text("1 job to run")  # no change: one job, the defaults

    # A bad value is refused beside its field, in the dialog's words.
    x = dialog.locator('[data-param="x"]')
    x.get_by_label("x value").fill("two")
    expect(x.locator(".wb-SweepForm-problem")).to_have_text(
        "expects int, got 'two': give a whole number such as 3"
    )
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(dialog).to_be_visible()  # Launch waits for a fix

    x.get_by_label("x: how to vary it").select_option("list")
    x.get_by_label("x values").fill("1, 2, 3, 4")
    dialog.get_by_label("Jobs at once").fill("2")
    expect(count).to_have_text("4 jobs to run")
    expect(dialog.locator(".wb-SweepForm-first tbody tr")).to_have_count(4)
    expect(x.locator(".wb-SweepForm-problem")).to_have_count(0)
    shoot(page, dialog.locator(".jp-Dialog-content"), "sweep-dialog")

    (steps_lab.root / "fail-3").touch()  # job x=3 fails at its third cell
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(dialog).to_have_count(0)
    queue = page.locator(QUEUE)
    expect(queue).to_be_visible(timeout=2_000)  # opened with the sweep it launched
    sweep = queue.locator(".wb-QueueSweep.wb-mod-selected")
    expect(sweep).to_contain_text("steps.ipynb")
    expect(queue.locator(".wb-JobRow")).to_have_count(4, timeout=10_000)

    # A running job: its progress by cell, between the first and the last, and its log.
    first = _row(queue, 1)
    expect(first).to_have_attribute("data-status", "running", timeout=60_000)
    first.click()
    detail = queue.locator(".wb-JobDetail")
    progress = detail.locator(".wb-JobDetail-progress")
    expect(progress).to_have_attribute("data-cells-done", re.compile(r"^[3-5]$"), timeout=60_000)
    expect(detail.locator(".wb-CellMeter-text")).to_have_text(re.compile(r"^[3-5]/6 cells$"))
    expect(detail.locator(".wb-JobDetail-cell")).to_have_text("running time.sleep(pause)")
    expect(detail.locator(".wb-JobLog-text")).to_contain_text("start 1", timeout=30_000)
    expect(detail.locator(".wb-JobLog-text")).to_contain_text("halfway 1", timeout=30_000)
    shoot(page, queue, "job-queue")

    # Cancel job x=4 (queued or running), then retry it.
    fourth = _row(queue, 4)
    fourth.locator('[data-action="cancel"]').click()
    confirm = page.locator(".jp-Dialog").filter(has_text="Cancel job?")
    confirm.locator(".jp-Dialog-button.jp-mod-warn").click()
    expect(fourth).to_have_attribute("data-status", "cancelled", timeout=60_000)
    fourth.locator('[data-action="retry"]').click()
    retried = _row(queue, 4)
    expect(retried).to_have_attribute("data-status", re.compile("queued|running"), timeout=15_000)
    expect(retried).to_have_attribute("data-status", "succeeded", timeout=120_000)

    # The sweep ends; its jobs rank by y, the failed one last; "Retry failed" is offered.
    expect(sweep).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(queue.locator(".wb-SweepDetail-counts")).to_contain_text(
        "4 of 4 ran: 3 succeeded, 1 failed"
    )
    labels = queue.locator(".wb-JobRow-label")
    expect(labels).to_have_text([re.compile(rf"^x={x}") for x in (4, 2, 1, 3)])
    expect(queue.locator('.wb-JobRow-metric[data-metric="y"]').first).to_have_text("8")
    expect(queue.locator('[data-action="retry-failed"]')).to_have_text("Retry failed (1)")
    failed = _row(queue, 3)
    failed.click()
    expect(queue.locator(".wb-JobLog-text")).to_contain_text("ZeroDivisionError")
    expect(queue.locator(".wb-JobDetail-error")).to_contain_text("ZeroDivisionError")
    shoot(page, queue, "job-queue-done")

    # A sweep launched from another face (REST) shows within 2 s of its launch, although
    # nothing was in flight (the queue then polls every 1.5 s, QUEUE_IDLE_POLL_MS).
    other = post(steps_lab, "sweeps", {"notebook": "steps.ipynb", "params": {"pause": 0.1, "x": 9}})
    expect(queue.locator(f'.wb-QueueSweep[data-sweep-id="{other["sweep_id"]}"]')).to_be_visible(
        timeout=2_000
    )

    # The file browser's menu on a notebook: Run as Job… and Sweep… open the same dialog.
    item = page.locator('.jp-DirListing-item[data-file-type="notebook"]', has_text="steps.ipynb")
    item.click(button="right")
    menu = page.locator(".lm-Menu:visible")
    expect(menu.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Sweep…$"))).to_be_visible()
    menu.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run as Job…$")).click()
    job = page.locator(".wb-SweepDialog")
    expect(job).to_contain_text("Run steps.ipynb as a job")
    expect(job.locator(".wb-SweepForm-count")).to_have_text("1 job to run")
    job.locator(".jp-Dialog-button.jp-mod-reject").click()
    expect(job).to_have_count(0)
