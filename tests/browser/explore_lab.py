"""A store of 10,000 runs for the explorer's browser tests and benchmark, and the steps
that drive the explorer, run page, compare and diff views in JupyterLab."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
from playwright.sync_api import Locator, Page, expect

from workbench.entities import RunError, RunStatus, SweepOptions
from workbench.store import RunFilter, Store, open_store

RUNS = 10_000
SWEEP_RUNS = 4
RICH_RUNS = 4  # three rich runs and a failed one
EXPLORER = ".wb-Explorer"
GRID = ".wb-Explorer .wb-Grid"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000020001e221bc330000000049454e44ae426082"
)


def _executed(marker: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(f"lr = {marker}", metadata={"tags": ["parameters"]})
    body = nbformat.v4.new_code_cell("import workbench as wb\nprint(lr * 2)")
    body.outputs = [nbformat.v4.new_output("stream", text=f"{marker}*2\n")]
    body.execution_count = 2
    nb.cells = [params, body, nbformat.v4.new_markdown_cell("# Results")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nbformat.writes(nb).encode()


def seed_store(home: Path, root: Path, runs: int = RUNS) -> dict[str, object]:
    """``runs`` job runs (params lr, depth, model and a constant seed; metrics acc and loss),
    then three rich runs, newest: long histories, artifacts and executed notebooks."""
    store: Store = open_store(home=str(home))
    notebook = root / "train.ipynb"
    notebook.write_bytes(_executed("0.1"))
    now = time.time()
    for i in range(runs):
        run_id = store.create_run(
            experiment="sweep-a" if i % 2 else "sweep-b",
            notebook=str(notebook),
            source="job",
            params={
                "lr": round(0.001 * (i % 100), 4),
                "depth": i % 7,
                "model": "ab"[i % 3 % 2],
                "seed": 0,
            },
        )
        store.log_batch(
            run_id,
            metrics=[("acc", (i * 7919 % 10_000) / 10_000, 0, now), ("loss", 1 / (i + 1), 0, now)],
        )
        store.set_status(run_id, RunStatus.SUCCEEDED if i % 10 else RunStatus.FAILED)
    # A sweep of four jobs, for grouping by sweep.
    sweep = store.create_sweep(
        notebook=str(notebook),
        notebook_sha256="0" * 64,
        experiment="sweep-a",
        spec={"grid": {"lr": [0.5, 0.6, 0.7, 0.8]}},
        options=SweepOptions(),
        jobs=[({"lr": lr}, f"browser-sweep-{lr}") for lr in (0.5, 0.6, 0.7, 0.8)],
    )
    for k, run in enumerate(store.search_runs(RunFilter(sweep_id=sweep.sweep_id))[0]):
        store.log_batch(run.run_id, metrics=[("acc", 0.5 + k / 10, 0, now)])
        store.set_status(run.run_id, RunStatus.SUCCEEDED)
    rich = []
    for j, lr in enumerate((0.1, 0.2, 0.3)):
        run_id = store.create_run(
            experiment="sweep-a",
            name=f"rich-{j}",
            notebook=str(notebook),
            source="job",
            params={"lr": lr, "depth": j + 2, "model": "a", "seed": 0},
            provenance={"python_version": "3.11.2", "git_commit": "abc1234def", "git_dirty": True},
        )
        store.log_batch(
            run_id,
            metrics=[("loss", 1.0 / (s + 1) + lr, s, now + s) for s in range(3000)]
            + [("acc", 0.6 + lr, s, now + s) for s in range(0, 3000, 100)],
        )
        store.put_artifact_bytes(run_id, "plots/confusion.png", PNG)
        store.put_artifact_bytes(
            run_id, "predictions.csv", b"id,label,score\n1,cat,0.9\n2,dog,0.4\n"
        )
        store.put_artifact_bytes(run_id, "notes.txt", f"run {j} notes\n".encode())
        store.set_executed_notebook(run_id, _executed(str(lr)))
        store.set_status(run_id, RunStatus.SUCCEEDED)
        rich.append(run_id)
    failed = store.create_run(
        experiment="sweep-a", name="failed-0", notebook=str(notebook), source="job"
    )
    store.set_executed_notebook(failed, _executed("0.9"))
    store.set_status(
        failed,
        RunStatus.FAILED,
        error=RunError(name="ValueError", value="lr too high", cell_index=1, reason="exception"),
    )
    return {
        "rich": rich,
        "failed": failed,
        "store": store,
        "notebook": notebook,
        "sweep": sweep.sweep_id,
    }


def open_palette_command(page: Page, label: str) -> None:
    """Run a command by its label through the command palette (retried: the Launcher
    opening late can steal focus from the palette)."""
    for _ in range(3):
        page.keyboard.press("Control+Shift+C")
        search = page.locator(".lm-CommandPalette-input")
        try:
            expect(search).to_be_focused(timeout=5_000)
        except AssertionError:
            page.keyboard.press("Escape")
            continue
        page.keyboard.type(label)
        item = page.locator(".lm-CommandPalette-item", has_text=re.compile(f"^{re.escape(label)}"))
        expect(item.first).to_be_visible()
        page.keyboard.press("Enter")
        return
    raise AssertionError(f"the command palette never took focus for {label!r}")


def set_theme(page: Page, theme: str) -> None:
    """Settings > Theme > `theme` ("JupyterLab Light" or "JupyterLab Dark")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Settings$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{theme}$")).click()
    light = "true" if "Light" in theme else "false"
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", light, timeout=30_000)


def grid_rows(page: Page) -> Locator:
    return page.locator(f"{GRID} .wb-Grid-body .wb-Grid-row")


def open_explorer(page: Page) -> Locator:
    open_palette_command(page, "Open runs explorer")
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=30_000)
    expect(explorer.locator(".wb-Explorer-status")).to_contain_text("runs", timeout=30_000)
    return explorer


def apply_query(page: Page, where: str) -> None:
    box = page.locator(f"{EXPLORER} .wb-QueryBar-input")
    box.click()
    box.press("Control+a")
    box.press("Delete")
    page.keyboard.type(where)
    page.keyboard.press("Escape")  # close the completions
    page.locator(f"{EXPLORER} .wb-QueryBar-line button", has_text="Apply").click()
