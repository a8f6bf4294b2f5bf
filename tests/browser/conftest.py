"""Real JupyterLab servers and a real headless Chromium for the browser tests.

Self-contained on purpose: these tests run in their own pytest process
(`pytest -p no:asyncio tests/browser`) because pytest-jupyter's event loop and sync
Playwright clash in one process.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from jobs_lab import write_steps_notebook
from lab_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LabServer, start_lab, stop_lab
from playwright.sync_api import Browser, Page, sync_playwright
from themes import EXPOSE_APP

LabFactory = Callable[..., LabServer]


# tests/conftest.py loads pytest-jupyter for the server tests, and its autouse fixtures would
# run here too: they take the running loop of sync Playwright for their own and fail closing
# it ("Cannot close a running event loop"). These tests start no in-process server, so both
# are shadowed with no-ops.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    return None


@pytest.fixture(scope="session")
def lab_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the main server will use; tests may seed its root before the server starts."""
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="session")
def lab_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFactory]:
    """Start JupyterLab servers on demand; stop them all at the end of the session."""
    running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(base: Path | None = None, extra_args: list[str] | None = None) -> LabServer:
        base = base or tmp_path_factory.mktemp("lab")
        server, proc, log_file = start_lab(base, extra_args or [])
        running.append((proc, log_file))
        return server

    yield start
    for proc, log_file in running:
        stop_lab(proc, log_file)


@pytest.fixture(scope="module")
def steps_lab(tmp_path_factory: pytest.TempPathFactory, lab_factory: LabFactory) -> LabServer:
    """A JupyterLab of the test module's own whose root holds steps.ipynb (jobs_lab.py); the
    app in the page (window.jupyterapp) switches themes for the screenshots."""
    base = tmp_path_factory.mktemp("steps-lab")
    (base / "root").mkdir()
    write_steps_notebook(base / "root" / "steps.ipynb")
    return lab_factory(base, [EXPOSE_APP])


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Fail, never skip: a missing browser must not pass CI silently.
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Install it with `apt-get update && apt-get install -y chromium`."
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page; on failure a screenshot lands in test-artifacts/."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ at the repo top (gitignored): screenshots for humans to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
