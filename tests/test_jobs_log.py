"""A job's log and progress by cell: the writer's cap and offsets, then real sweeps (local
processes and a Dask LocalCluster) watched from outside while their kernels run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from workbench.entities import RunStatus, SweepOptions
from workbench.errors import InvalidInput, NotFound
from workbench.jobs.api import launch_sweep
from workbench.jobs.plan import spec_from_api
from workbench.notebooks import joblog
from workbench.notebooks.joblog import (
    ERROR_RESERVE_BYTES,
    LOG_ARTIFACT,
    MAX_LOG_BYTES,
    JobLogWriter,
    log_path,
    read_log,
    stored_progress,
)
from workbench.notebooks.progress import read_progress
from workbench.store import RunFilter, Store, open_store

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    home = tmp_path / ".workbench"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_RUN_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    return open_store(home=str(home))


def _stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def _error(name: str, value: str) -> dict[str, Any]:
    return {
        "output_type": "error",
        "ename": name,
        "evalue": value,
        "traceback": [f"\x1b[0;31m{name}\x1b[0m: {value}"],
    }


def _notebook(path: Path, params: str, *cells: str) -> Path:
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[first, *(nbformat.v4.new_code_cell(c) for c in cells)],
        metadata={"kernelspec": KERNELSPEC},
    )
    nbformat.write(nb, path)
    return path


# -- the writer and the reader, no kernel ---------------------------------------------------


def test_log_names_cells_strips_colours_and_reads_by_offset(store: Store) -> None:
    run_id = store.create_run(source="job")
    writer = JobLogWriter(log_path(store.location.home, run_id))
    writer.cell_output(2, "for i in range(3):", _stream("step 0\n"))
    writer.cell_output(2, "for i in range(3):", _stream("warn\n", "stderr"))
    writer.cell_output(2, "", {"output_type": "display_data", "data": {"text/plain": "x"}})
    writer.cell_output(5, "raise ValueError('no')", _error("ValueError", "no"))
    writer.close()

    whole = read_log(store, run_id)
    assert whole.text == (
        "── cell 2: for i in range(3):\nstep 0\nwarn\n── cell 5: raise ValueError('no')\n"
        "ValueError: no\n"
    )
    assert (whole.offset, whole.next_offset, whole.size) == (0, writer.size, writer.size)
    assert not whole.final  # the job has not ended: its file is still there

    # Only what is new from an offset; a limit that ends inside "──" ends before it.
    head = read_log(
        store, run_id, 0, len("── cell 2: for i in range(3):\nstep 0\nwarn\n".encode()) + 2
    )
    assert head.text.endswith("warn\n")
    rest = read_log(store, run_id, head.next_offset)
    assert head.text + rest.text == whole.text
    assert read_log(store, run_id, whole.next_offset).text == ""
    with pytest.raises(InvalidInput, match="past the end"):
        read_log(store, run_id, whole.size + 1)
    with pytest.raises(InvalidInput, match="offset"):
        read_log(store, run_id, -1)


def test_log_is_kept_as_an_artifact_with_the_same_offsets(store: Store) -> None:
    run_id = store.create_run(source="job")
    writer = JobLogWriter(log_path(store.location.home, run_id))
    writer.cell_output(1, "print('é')", _stream("é" * 10 + "\n"))
    writer.close()
    before = read_log(store, run_id, 4)
    assert joblog.keep_log(store, run_id) is True
    assert not log_path(store.location.home, run_id).exists()
    run = store.get_run(run_id, history=False)
    assert [a.name for a in run.artifacts] == [LOG_ARTIFACT]
    after = read_log(store, run_id, 4)
    assert (after.text, after.next_offset, after.size) == (
        before.text,
        before.next_offset,
        before.size,
    )
    assert after.final  # stored: it will not grow any more
    assert not read_log(store, run_id, 4, 10).final  # but this chunk is not its end
    # An offset inside a character reads on with a replacement mark, never an error.
    assert read_log(store, run_id, 1).text.startswith("\ufffd")


def test_log_of_a_run_without_one(store: Store) -> None:
    run_id = store.create_run(source="interactive")
    chunk = read_log(store, run_id)
    assert (chunk.text, chunk.size, chunk.final) == ("", 0, False)
    store.set_status(run_id, RunStatus.SUCCEEDED)
    assert read_log(store, run_id).final
    with pytest.raises(NotFound):
        read_log(store, "0" * 32)
    with pytest.raises(NotFound):
        read_log(store, "../../etc/passwd")


def test_log_cap_keeps_errors_past_it_and_says_so(store: Store) -> None:
    run_id = store.create_run(source="job")
    writer = JobLogWriter(log_path(store.location.home, run_id))
    line = "x" * 1023 + "\n"
    for _ in range(MAX_LOG_BYTES // 1024 + 10):
        writer.cell_output(1, "spam()", _stream(line))
    capped = writer.size
    assert MAX_LOG_BYTES <= capped < MAX_LOG_BYTES + 400
    writer.cell_output(1, "spam()", _stream("more\n"))
    assert writer.size == capped  # output past the cap is left out...
    writer.cell_output(2, "fail()", _error("RuntimeError", "late"))
    assert writer.size > capped  # ...errors are not
    writer.cell_output(3, "fail()", _error("RuntimeError", "y" * ERROR_RESERVE_BYTES))
    full = writer.size
    assert full < MAX_LOG_BYTES + ERROR_RESERVE_BYTES + 400
    writer.cell_output(4, "fail()", _error("RuntimeError", "after"))
    assert writer.size == full  # the reserve is spent too: nothing more
    writer.close()
    text = log_path(store.location.home, run_id).read_text(encoding="utf-8")
    assert "more than 1 MiB of output" in text
    assert "RuntimeError: late" in text
    assert "the log stops here at 1.25 MiB" in text
    assert "after" not in text


# -- real kernels: progress and log seen while the job runs, kept after -----------------------

SLOW_CELLS = (
    "import time\nprint('first', flush=True)\ntime.sleep(pause)",
    "print('second', flush=True)\ntime.sleep(pause)",
    "import sys\nprint('third', file=sys.stderr, flush=True)\ntime.sleep(pause)",
    "print('done', flush=True)",
)


def _watch(store: Store, executor: str, tmp_path: Path) -> None:
    notebook = _notebook(tmp_path / "slow.ipynb", "pause: float = 2.5", *SLOW_CELLS)
    sweep = launch_sweep(
        str(notebook),
        spec_from_api(values=[{"pause": 2.5}]),
        SweepOptions(executor=executor, workers=1, timeout=240),
        store=store,
    )
    progress_seen: set[int] = set()
    sizes: list[int] = []
    text, offset = "", 0
    deadline = time.monotonic() + 240
    run_id = None
    while True:
        run = store.search_runs(RunFilter(sweep_id=sweep.sweep_id))[0][0]
        run_id = run.run_id
        if run.status is RunStatus.RUNNING:
            progress = read_progress(run_id, store)
            if progress is not None:
                assert progress.cells_total == 6  # parameters, injected parameters, 4 cells
                progress_seen.add(progress.cells_done)
            chunk = read_log(store, run_id, offset)
            text += chunk.text
            offset = chunk.next_offset
            if not sizes or sizes[-1] != chunk.size:
                sizes.append(chunk.size)
        elif run.status.finished:
            break
        assert time.monotonic() < deadline, f"the job did not end: {run.status}"
        time.sleep(0.2)
    assert run.status is RunStatus.SUCCEEDED, run.error
    # Part way: some cells done and some not, seen from outside while the kernel ran.
    assert progress_seen & {2, 3, 4}, progress_seen
    # The log grew while the job ran: first one line, later more.
    assert len([s for s in sizes if s > 0]) >= 2, sizes
    # Kept after the end: the stored log is what was read, plus what came last.
    final = read_log(store, run_id, offset)
    assert final.final
    whole = text + final.text
    assert read_log(store, run_id).text == whole
    for word in ("first", "second", "third", "done"):
        assert word in whole
    assert "── In [5]: import sys" in whole  # as its traceback would name it
    assert not log_path(store.location.home, run_id).exists()
    kept = stored_progress(store, store.get_run(run_id, history=False))
    assert kept is not None and (kept.cells_done, kept.cells_total) == (6, 6)
    assert read_progress(run_id, store) is None  # the scratch record is gone


@pytest.mark.slow
def test_progress_and_log_of_a_local_job(store: Store, tmp_path: Path) -> None:
    _watch(store, "local", tmp_path)


@pytest.mark.slow
def test_progress_and_log_of_a_dask_job(store: Store, tmp_path: Path) -> None:
    _watch(store, "dask", tmp_path)


@pytest.mark.slow
def test_a_chatty_failing_job_keeps_a_capped_log_that_ends_with_its_error(
    store: Store, tmp_path: Path
) -> None:
    from workbench.notebooks.execute import run_notebook

    notebook = _notebook(
        tmp_path / "chatty.ipynb",
        "lines: int = 3000",
        "for i in range(lines):\n    print('x' * 500, i)",
        "raise ValueError('the end')",
    )
    run = run_notebook(notebook, {"lines": 3000}, store=store)
    assert run.status is RunStatus.FAILED
    artifact = next(a for a in run.artifacts if a.name == LOG_ARTIFACT)
    assert MAX_LOG_BYTES < artifact.size < MAX_LOG_BYTES + ERROR_RESERVE_BYTES
    chunk = read_log(store, run.run_id, MAX_LOG_BYTES - 100, 200_000)
    assert chunk.final
    assert "more than 1 MiB of output" in chunk.text
    assert "ValueError: the end" in chunk.text
