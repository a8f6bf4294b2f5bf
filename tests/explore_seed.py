"""A store seeded for the run page, artifacts, figures and diff REST tests (not a test
module: imported by tests/test_server_runs_*.py; their calls are tests/server_api.py's)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat

from workbench.entities import RunStatus
from workbench.store import Store

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000020001e221bc330000000049454e44ae426082"
)


def notebook(marker: str, output: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f"print({marker!r})")
    cell.outputs = [nbformat.v4.new_output("stream", text=output + "\n")]
    nb.cells = [
        nbformat.v4.new_code_cell("lr = 0.1", metadata={"tags": ["parameters"]}),
        cell,
        nbformat.v4.new_markdown_cell("# same"),
    ]
    return nbformat.writes(nb).encode()


def seed(store: Store, root: Path) -> dict[str, Any]:
    """Three runs of one sweep-like family: a long history, artifacts, executed notebooks."""
    now = time.time()
    ids = []
    for i, lr in enumerate((0.1, 0.2, 0.3)):
        run_id = store.create_run(
            experiment="exp",
            name=f"run{i}",
            notebook=str(root / "train.ipynb"),
            source="job",
            params={"lr": lr, "depth": i + 2, "model": "a"},
            provenance={"python": "3.11", "git": {"commit": "abc", "dirty": False}},
        )
        steps = 5000 if i == 0 else 20
        store.log_batch(
            run_id,
            metrics=[("loss", 1.0 / (s + 1) + lr, s, now + s) for s in range(steps)]
            + [("acc", 0.5 + lr, 0, now)],
        )
        store.set_executed_notebook(run_id, notebook(f"run{i}", f"out{i}"))
        store.set_status(run_id, RunStatus.SUCCEEDED)
        ids.append(run_id)
    first = ids[0]
    store.put_artifact_bytes(first, "notes.txt", b"hello\nworld\n")
    store.put_artifact_bytes(first, "table.csv", b"a,b\n1,2\n3,4\n")
    store.put_artifact_bytes(first, "conf.json", b'{"x": [1, 2]}')
    store.put_artifact_bytes(first, "plot.png", PNG)
    store.put_artifact_bytes(first, "weights.bin", b"\x00\x01\x02" * 10)
    store.put_artifact_bytes(first, "../evil name.txt", b"<script>alert(1)</script>")
    interactive = store.create_run(experiment="exp", source="interactive")
    store.set_status(interactive, RunStatus.SUCCEEDED)
    return {"ids": ids, "interactive": interactive, "root": root}
