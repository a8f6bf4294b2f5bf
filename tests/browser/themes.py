"""Screenshots in JupyterLab's light and dark themes, for docs/, and the legibility of text
in each (the browser tests' helpers).

The server must be started with ``--LabApp.expose_app_in_browser=True``: the theme changes
through the app's own command, which works under an open dialog too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

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


def shoot(page: Page, target: Locator, name: str, readable: Sequence[str] = ()) -> None:
    """``docs/<name>-light.png`` and ``docs/<name>-dark.png`` of ``target``; in each theme the
    text of the first element matching each selector in ``readable`` meets WCAG AA (4.5:1)."""
    for theme, suffix in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
        set_theme(page, theme)
        for selector in readable:
            ratio = contrast(page, selector)
            assert ratio >= 4.5, f"{selector} in {theme}: contrast {ratio:.2f}, not 4.5"
        target.screenshot(path=str(DOCS / f"{name}-{suffix}.png"))
    set_theme(page, "JupyterLab Light")


def contrast(page: Page, selector: str) -> float:
    """WCAG contrast ratio of the text of the first element matching ``selector`` against
    the first opaque background behind it."""
    return float(page.evaluate(_CONTRAST_JS, selector))


_CONTRAST_JS = """selector => {
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
