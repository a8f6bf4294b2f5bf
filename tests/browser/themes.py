"""Screenshots in JupyterLab's light and dark themes, for docs/ (the browser tests' helpers).

The server must be started with ``--LabApp.expose_app_in_browser=True``: the theme changes
through the app's own command, which works under an open dialog too.
"""

from __future__ import annotations

import time

from lab_server import REPO
from playwright.sync_api import Locator, Page, expect

DOCS = REPO / "docs"
EXPOSE_APP = "--LabApp.expose_app_in_browser=True"


def set_theme(page: Page, theme: str) -> None:
    page.evaluate(
        "theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme
    )
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", theme, timeout=30_000)
    time.sleep(0.5)  # the theme's stylesheet applies in the next frames


def shoot(page: Page, target: Locator, name: str) -> None:
    """``docs/<name>-light.png`` and ``docs/<name>-dark.png`` of ``target``."""
    for theme, suffix in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
        set_theme(page, theme)
        target.screenshot(path=str(DOCS / f"{name}-{suffix}.png"))
    set_theme(page, "JupyterLab Light")
