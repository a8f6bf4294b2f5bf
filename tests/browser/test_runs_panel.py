"""The Workbench sidebar in a real JupyterLab, driven in headless Chromium.

One interactive run (the demo notebook run from the JupyterLab UI) and one job run (the
demo notebook run by `python -m workbench run` before the browser opens) must both show in
the panel, and clicking each must open a notebook. Screenshots of the panel, in the light
and the dark theme, go to docs/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lab_server import REPO, LabServer
from notebook_ui import notebook_panel, run_all_cells
from playwright.sync_api import Locator, Page, expect
from sidebar import SIDEBAR_TAB, open_sidebar
from themes import EXPOSE_APP, shoot

pytestmark = pytest.mark.browser

DEMO = REPO / "templates" / "demo.ipynb"
NOTEBOOK = "demo.ipynb"


def _seed_notebook(root: Path) -> Path:
    """The demo notebook, or a minimal stand-in while templates/demo.ipynb does not exist."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / NOTEBOOK
    if DEMO.exists():
        target.write_bytes(DEMO.read_bytes())
        return target
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("lr = 0.1\nsteps = 5")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import workbench as wb\n"
            'wb.log_param("lr", lr)\n'
            "for i in range(steps):\n"
            '    wb.log_metric("loss", lr / (i + 1), step=i)'
        ),
    ]
    nbformat.write(nb, target)
    return target


def _first_parameter(notebook: Path) -> tuple[str, str]:
    """An override for the notebook's parameters cell: its first numeric name, a new value."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"])
            match = re.search(r"^(\w+)\s*(?::[^=]+)?=\s*([0-9.eE+-]+)\s*(?:#.*)?$", source, re.M)
            if match:
                value = float(match.group(2))
                new = value / 2 if "." in match.group(2) else int(value) + 1
                return match.group(1), str(new)
    pytest.fail(f"{notebook} has no numeric parameter in a cell tagged 'parameters'")


def _job(root: Path, home: Path, name: str) -> subprocess.Popen[str]:
    """Start `python -m workbench run` on the demo notebook with one parameter changed."""
    param, value = _first_parameter(root / NOTEBOOK)
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    cmd = [sys.executable, "-m", "workbench", "run", NOTEBOOK, "-p", param, value, "--name", name]
    return subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_job(job: subprocess.Popen[str]) -> None:
    output, _ = job.communicate(timeout=240)
    assert job.returncode == 0, f"workbench run failed:\n{output}"


@pytest.fixture(scope="module")
def lab(lab_env: Path, lab_factory: Callable[..., LabServer]) -> LabServer:
    """A JupyterLab whose store already holds one job run of the demo notebook."""
    root, home = lab_env / "root", lab_env / "home"
    _seed_notebook(root)
    home.mkdir()
    _wait_job(_job(root, home, "browser-job"))
    return lab_factory(lab_env, [EXPOSE_APP])


def _runs(lab: LabServer) -> list[dict[str, object]]:
    status, body = lab.api("workbench/api/runs?limit=100")
    assert status == 200, body
    assert isinstance(body, dict)
    return list(body["runs"])


def _interactive_run_with_metrics(lab: LabServer, timeout_s: float = 20.0) -> dict[str, object]:
    """The one interactive run, once its buffered metrics have reached the store."""
    deadline = time.monotonic() + timeout_s
    while True:
        runs = _runs(lab)
        interactive = [r for r in runs if r["source"] == "interactive"]
        assert len(interactive) <= 1, runs
        if interactive and interactive[0]["metrics"]:
            return interactive[0]
        if time.monotonic() > deadline:
            pytest.fail(f"no interactive run with metrics after {timeout_s}s: {runs}")
        time.sleep(0.5)


def _active_tab_title(page: Page) -> Locator:
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")


def test_panel_lists_runs_and_opens_their_notebooks(
    lab: LabServer, page: Page, artifacts: Path
) -> None:
    jobs = _runs(lab)
    assert [r["source"] for r in jobs] == ["job"], jobs
    job = jobs[0]
    assert job["has_executed_notebook"] is True, job
    job_id = str(job["run_id"])

    page.goto(lab.lab_url(f"lab/tree/{NOTEBOOK}"))
    expect(notebook_panel(page)).to_be_visible(timeout=60_000)
    run_all_cells(page)

    run = _interactive_run_with_metrics(lab)
    runs = _runs(lab)
    run_id = str(run["run_id"])
    assert run["notebook_path"] == NOTEBOOK, run
    metric = next(iter(run["metrics"]))  # type: ignore[call-overload]

    panel = open_sidebar(page)
    expect(panel.locator('.wb-RunsPanel-tab[data-view="notebook"]')).to_have_attribute(
        "aria-selected", "true"
    )
    expect(panel.locator(".wb-RunsPanel-context")).to_have_text(NOTEBOOK)
    # Both runs of this notebook, each with a status badge and its key metric.
    row = panel.locator(f'.wb-RunRow[data-run-id="{run_id}"]')
    job_row = panel.locator(f'.wb-RunRow[data-run-id="{job_id}"]')
    expect(row).to_be_visible(timeout=15_000)
    expect(job_row).to_be_visible()
    expect(row.locator(".wb-StatusBadge")).to_have_text(re.compile(r"^(running|succeeded)$"))
    expect(job_row.locator(".wb-StatusBadge")).to_have_text("succeeded")
    expect(row.locator(f'.wb-Metric[data-metric="{metric}"]')).to_contain_text(f"{metric}=")
    expect(job_row.locator(".wb-Metric").first).to_be_visible()
    # In the light and the dark theme: the context, the runs' names and metrics legible.
    shoot(
        page,
        panel,
        "runs-panel",
        readable=[".wb-RunsPanel-context", ".wb-RunRow-name", ".wb-RunRow .wb-Metric"],
    )
    page.screenshot(path=str(artifacts / "runs-panel-page.png"))

    # The "All runs" view lists them too.
    panel.locator('.wb-RunsPanel-tab[data-view="all"]').click()
    expect(panel.locator(".wb-RunRow")).to_have_count(len(runs))
    panel.locator('.wb-RunsPanel-tab[data-view="notebook"]').click()

    # A job run opens its run page; its executed notebook opens read-only from the store,
    # with no kernel and no file written into the project.
    job_row.click()
    run_page = page.locator(f'.wb-RunPage[data-run-id="{job_id}"]')
    expect(run_page).to_be_visible(timeout=30_000)
    run_page.get_by_role("button", name="Open notebook").click()
    executed = page.locator(f'.wb-RunNotebook[data-run-id="{job_id}"]')
    expect(executed.locator(".jp-Cell").first).to_be_visible(timeout=30_000)
    assert not (lab.root / "workbench-runs").exists()
    page.screenshot(path=str(artifacts / "opened-executed-notebook.png"))

    # "This notebook" keeps following the project's notebook, not the run's output.
    expect(panel.locator(".wb-RunsPanel-context")).to_have_text(NOTEBOOK)

    # An interactive run has no executed notebook: its page opens the source notebook.
    panel.locator('.wb-RunsPanel-tab[data-view="all"]').click()
    panel.locator(f'.wb-RunRow[data-run-id="{run_id}"]').click()
    interactive_page = page.locator(f'.wb-RunPage[data-run-id="{run_id}"]')
    expect(interactive_page).to_be_visible(timeout=30_000)
    interactive_page.get_by_role("button", name="Open notebook").click()
    expect(_active_tab_title(page)).to_have_text(NOTEBOOK, timeout=30_000)
    page.screenshot(path=str(artifacts / "opened-source-notebook.png"))

    # A run started while the panel is open shows up by polling alone, no refresh click.
    job2 = _job(lab.root, lab.home, "browser-job-2")
    try:
        new_row = panel.locator(".wb-RunRow", has_text="browser-job-2")
        expect(new_row).to_be_visible(timeout=60_000)
    finally:
        _wait_job(job2)
    panel.locator(".wb-RunsPanel-refresh").click()
    expect(new_row.locator(".wb-StatusBadge")).to_have_text("succeeded", timeout=15_000)

    # Every Workbench route is authenticated: the server warns about none of them.
    log = lab.log.read_text(encoding="utf-8", errors="replace")
    assert not re.search(r"registered for /workbench", log), log


def test_panel_says_when_the_server_extension_is_missing(
    lab_factory: Callable[..., LabServer], page: Page, artifacts: Path
) -> None:
    lab = lab_factory(extra_args=["--ServerApp.jpserver_extensions=workbench=False", EXPOSE_APP])
    status, _ = lab.api("workbench/api/runs")
    assert status == 404, "the workbench server extension should be disabled here"

    page.goto(lab.lab_url())
    expect(page.locator(SIDEBAR_TAB)).to_be_visible(timeout=60_000)
    panel = open_sidebar(page)
    panel.locator('.wb-RunsPanel-tab[data-view="all"]').click()
    expect(panel.locator(".wb-RunsPanel-errorMessage")).to_have_text(
        "Workbench server extension not found"
    )
    expect(panel.locator(".wb-RunsPanel-hint")).to_contain_text("jupyter server extension list")
    panel.screenshot(path=str(artifacts / "runs-panel-no-server-extension.png"))
