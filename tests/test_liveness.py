"""A job whose notebook makes no wb call stays `running` to every other process while its
kernel works, and ends `succeeded` with no error: liveness comes from the runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.entities import RunStatus
from workbench.store import Store, locate

pytestmark = pytest.mark.slow


def _silent_notebook(path: Path, seconds: float) -> Path:
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": f"import time\ntime.sleep({seconds})"}  # fmt: skip
    path.write_text(
        json.dumps(
            {
                "cells": [cell],
                "metadata": {
                    "kernelspec": {
                        "name": "python3",
                        "language": "python",
                        "display_name": "Python 3",
                    }
                },  # fmt: skip
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    return path


def test_a_silent_long_job_is_not_lost(tmp_path: Path) -> None:
    home = tmp_path / ".workbench"
    # lost after 3 s without a heartbeat: the 12 s sleep is four times that
    env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_LOST_AFTER": "3"}
    env.pop("WORKBENCH_DB_URL", None)
    notebook = _silent_notebook(tmp_path / "silent.ipynb", 12)
    job = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", str(notebook)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        seen = []
        deadline = time.monotonic() + 90
        while job.poll() is None and time.monotonic() < deadline:
            # Another process opening the store judges stale runs (mark_lost) each time.
            probe = subprocess.run(
                [sys.executable, "-c", "import json, workbench as wb; "
                 "print(json.dumps(list(wb.runs()['status'])))"],
                env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            if probe.returncode == 0 and probe.stdout.strip():
                seen.extend(json.loads(probe.stdout))
            time.sleep(1.0)
        out, err = job.communicate(timeout=120)
    finally:
        job.kill()
    assert job.returncode == 0, err
    assert "running" in seen and "lost" not in seen, seen
    store = Store(locate(home))
    (run,) = store.search_runs()[0]
    assert run.status is RunStatus.SUCCEEDED and run.error is None
    assert run.duration_s is not None and run.duration_s >= 12
    store.close()
