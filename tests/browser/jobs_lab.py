"""A JupyterLab for the job queue's browser tests: a notebook whose steps sleep, sweeps posted
through the REST API (another face), and the keyboard helpers those tests share."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import nbformat
from lab_server import LabServer
from playwright.sync_api import Locator, Page

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
QUEUE = "#workbench-jobs"
CELLS = (
    "import time\nprint('start', x, flush=True)",
    "time.sleep(pause)\nprint('halfway', x, flush=True)",
    "time.sleep(pause)\nimport os\nos.path.exists(f'fail-{x}') and 1 / 0",
    "import workbench as wb\nwb.log_metric('y', x * 2)\nprint('done', x)",
)


def write_steps_notebook(path: Path) -> None:
    """steps.ipynb: parameters x (int) and pause (float, seconds per step), then four steps;
    job x fails at its third cell when a file fail-<x> exists."""
    params = nbformat.v4.new_code_cell(
        "x: int = 1  # the input\npause: float = 4.0  # seconds per step"
    )
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[params, *(nbformat.v4.new_code_cell(c) for c in CELLS)],
        metadata={"kernelspec": KERNELSPEC},
    )
    nbformat.write(nb, path)


def post(lab: LabServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a Workbench route with the token; the JSON answer."""
    request = urllib.request.Request(
        lab.url + "workbench/api/" + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read()))


def is_focused(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target: Locator, limit: int = 30, key: str = "Tab") -> int:
    """Press Tab (or `key`) until `target` has the focus; how many presses it took."""
    for presses in range(limit + 1):
        if is_focused(target):
            return presses
        page.keyboard.press(key)
    raise AssertionError(f"{limit} presses of {key} never reached {target}")


def focus_ring(page: Page) -> dict[str, str]:
    """The outline of the element in focus, as the browser draws it."""
    return dict(
        page.evaluate(
            """() => {
                const style = getComputedStyle(document.activeElement);
                return {style: style.outlineStyle, width: style.outlineWidth,
                        visible: String(document.activeElement.matches(':focus-visible'))};
            }"""
        )
    )
