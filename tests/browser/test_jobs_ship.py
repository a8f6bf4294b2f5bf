"""The validate and export dialogs and the exports view in a real JupyterLab, in Chromium.

Validating a notebook with an unsaved failing cell fails (what is on screen is validated),
its report opens in one tab per notebook and links each check to its cell; after the fix,
an export with two targets writes exactly those files and lists them, clickable. Light and
dark screenshots of the report, the export dialog and the exports view go to docs/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lab_server import REPO, LabServer
from playwright.sync_api import Page, expect
from themes import EXPOSE_APP, set_theme, shoot

pytestmark = pytest.mark.browser

NOTEBOOK = REPO / "tests" / "notebooks" / "ship_ok.ipynb"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """A wheel of this Workbench (an export ships it), built once and cached by pytest."""
    from workbench.export.wheels import workbench_wheel

    cache = getattr(pytestconfig, "cache", None)
    folder = Path(cache.mkdir("workbench-wheels")) if cache else tmp_path_factory.mktemp("w")
    return workbench_wheel(folder)


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
    lab_factory: Callable[..., LabServer],
    wheel: Path,
) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("ship-lab")
    (base / "root").mkdir()
    shutil.copy(NOTEBOOK, base / "root" / "model.ipynb")
    before = os.environ.get("WORKBENCH_WHEEL")
    os.environ["WORKBENCH_WHEEL"] = str(wheel)  # the server's exports ship this wheel
    try:
        yield lab_factory(base, [EXPOSE_APP])
    finally:
        if before is None:
            os.environ.pop("WORKBENCH_WHEEL", None)
        else:
            os.environ["WORKBENCH_WHEEL"] = before


def command(page: Page, name: str) -> None:
    """Start a command; not awaited: a dialog's command ends when the dialog does."""
    page.evaluate("name => { window.jupyterapp.commands.execute(name); }", name)


def test_validate_what_is_on_screen_then_export_two_targets(lab: LabServer, page: Page) -> None:
    page.goto(lab.lab_url("lab/tree/model.ipynb"))
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel.locator(".jp-Cell")).to_have_count(3, timeout=60_000)

    # A failing line typed into the last cell, not saved.
    editor = panel.locator(".jp-Cell").nth(2).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nraise ValueError('only on screen')")
    expect(page.locator(".lm-TabBar-tab.jp-mod-dirty")).to_have_count(1)  # unsaved
    command(page, "workbench:validate-notebook")
    dialog = page.locator(".jp-Dialog").filter(has_text="Validate model.ipynb")
    expect(dialog).to_contain_text("unsaved changes")
    dialog.get_by_label("Conditions on metrics").fill("label_len>=1")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()

    report = page.locator(".wb-ReportPanel:visible")
    expect(report.locator(".wb-Report-verdict")).to_contain_text(
        "Validation failed", timeout=120_000
    )
    execution = report.locator('tr[data-check="execution"]')
    expect(execution).to_have_attribute("data-status", "fail")
    expect(execution).to_contain_text("ValueError: only on screen")
    expect(execution.locator(".wb-Report-cell")).to_have_text("cell 2")
    typed = report.locator('tr[data-check="require: label_len >= 1"]')
    expect(typed).to_contain_text("(typed in the dialog)")
    shoot(page, report, "validation-report")

    # The check's link opens the notebook at that cell.
    execution.locator(".wb-Report-cell").click()
    expect(panel.locator(".jp-Cell.jp-mod-active")).to_contain_text("only on screen")

    # Fixed on screen (undone), validated again: the same tab, now passing.
    panel.locator(".jp-Cell").nth(2).locator(".cm-content").click()
    page.keyboard.press("Control+End")
    for _ in range(len("\nraise ValueError('only on screen')")):
        page.keyboard.press("Backspace")
    command(page, "workbench:validate-notebook")
    dialog = page.locator(".jp-Dialog").filter(has_text="Validate model.ipynb")
    dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    expect(report.locator(".wb-Report-verdict")).to_contain_text(
        "Validation passed", timeout=120_000
    )
    tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tabLabel", has_text="Validation: model")
    expect(tabs).to_have_count(1)  # one tab per notebook, not one per click

    # Export: two targets besides the package, the files listed before anything is written.
    page.get_by_role("tab", name="model.ipynb", exact=True).click()
    panel.locator(".jp-Cell").nth(1).click()  # the notebook in focus, for the command
    command(page, "workbench:export-notebook")
    export = page.locator(".jp-Dialog").filter(has_text="Export model.ipynb")
    expect(export.get_by_label("Run to export")).to_contain_text("(passed)")
    export.get_by_label("Kubeflow Pipelines component").check()
    export.get_by_label("Dockerfile").check()
    export.get_by_label("Name").fill("churn")
    files = export.locator(".wb-ExportForm-files li")
    expect(files.filter(has_text="kfp/component.yaml")).to_have_count(1)
    expect(files.filter(has_text="Dockerfile")).to_have_count(1)
    expect(files.filter(has_text="airflow")).to_have_count(0)
    expect(export.locator(".wb-SweepForm-count")).to_have_text("churn 0.1.0 into exports/model")
    assert not (lab.root / "exports").exists()  # a preview writes nothing
    shoot(page, export.locator(".jp-Dialog-content"), "export-dialog")
    export.locator(".jp-Dialog-button.jp-mod-accept").click()

    view = page.locator("#workbench-exports")
    expect(view.locator('tr[data-export="churn==0.1.0"]')).to_be_visible(timeout=300_000)
    written = view.locator(".wb-ExportFiles [data-file]")
    expect(written.filter(has_text="kfp/component.yaml")).to_have_count(1)
    out = lab.root / "exports" / "model"
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert "kfp/component.yaml" in on_disk and "Dockerfile" in on_disk
    assert not any(p.startswith(("airflow/", ".github/")) for p in on_disk), on_disk
    listed = set(written.all_inner_texts())
    assert listed == {p for p in on_disk if not p.endswith(".whl")}, (listed, on_disk)
    expect(page.locator(".Toastify__toast")).to_have_count(0, timeout=15_000)  # not in the shot
    shoot(page, view, "exports-view")

    # A listed file opens on click.
    written.filter(has_text="Dockerfile").click()
    expect(
        page.locator(".lm-TabBar-tabLabel", has_text=re.compile(r"^Dockerfile$"))
    ).to_be_visible()
    set_theme(page, "JupyterLab Light")
