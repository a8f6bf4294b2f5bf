"""Workbench's sidebar (runs and sweeps) in a JupyterLab page started with EXPOSE_APP."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

SIDEBAR_TAB = '.jp-SideBar [data-id="workbench-sidebar"]'
PANEL = "#workbench-sidebar"


def open_sidebar(page: Page) -> Locator:
    """The sidebar panel, opened by a click on its tab if it is closed.

    Whether it is open is asked only once JupyterLab has restored its layout: before that,
    a sidebar a previous page left open still looks closed, the click opens it, and the
    restore then toggles it shut again."""
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.evaluate("() => window.jupyterapp.restored")
    panel = page.locator(PANEL)
    if not panel.is_visible():
        page.locator(SIDEBAR_TAB).click()
    expect(panel).to_be_visible()
    return panel
