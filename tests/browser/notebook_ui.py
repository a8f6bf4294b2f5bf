"""Driving a notebook in JupyterLab from Playwright, shared by the browser tests."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, Page, expect


def notebook_panel(page: Page) -> Locator:
    return page.locator(".jp-NotebookPanel:visible")


def run_all_cells(page: Page) -> None:
    """Run All, retried: a Run All sent right after the kernel first idles can be dropped."""
    panel = notebook_panel(page)
    expect(panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')).to_be_visible(
        timeout=60_000
    )
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    for _ in range(3):
        time.sleep(1.0)
        panel.locator(".jp-Notebook").click()  # focus the notebook, not the launcher
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            expect(prompts.first).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=10_000)
            break
        except AssertionError:
            continue
    else:
        pytest.fail("Run All Cells never started executing the notebook")
    # Done when every code cell shows an execution count and none is still queued.
    expect(prompts.filter(has_text="[*]")).to_have_count(0, timeout=120_000)
    expect(prompts.last).to_have_text(re.compile(r"\[\d+\]"))
    errors = panel.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
    assert errors.count() == 0, errors.all_inner_texts()
