"""The papermill engine jobs run with: cost linear in cells, and a notebook that tells the truth.

Asked to save as cells run, papermill's own engine rewrites the whole notebook at every
cell's start and end, so a job costs the square of its cell count (1,000 trivial cells took
107 s). This engine keeps papermill's semantics (papermill still parameterizes the notebook,
writes its metadata and its error markers) and changes two things:

- Saving. A tiny progress record (:mod:`workbench.notebooks.progress`) is replaced as each
  cell starts; the whole notebook at most every ``SNAPSHOT_EVERY_S`` seconds, backing off
  when a save takes more than a tenth of that. Both are replaced atomically. The job runner
  stores the final notebook from memory when the job ends.
- Logging. Every stream and error output is appended to the job's log as it arrives
  (:mod:`workbench.notebooks.joblog`); the job runner stores it with the run at the end.
- Stopping. When something other than a cell's own exception stops the job (its timeout, a
  cancel, the kernel dying, Ctrl-C), papermill marks the running cell and every later one
  ``completed``. Here the running cell is ``failed`` and later ones stay ``pending``; the
  job runner says in that cell why it stopped (:func:`mark_stopped`).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
from nbclient.exceptions import CellExecutionError
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import (
    NBClientEngine,
    NotebookExecutionManager,
    catch_nb_assignment,
    papermill_engines,
)
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from workbench.entities import RunError
from workbench.notebooks.joblog import JobLogWriter, log_path
from workbench.notebooks.managers import JobKernelManager
from workbench.notebooks.progress import ProgressWriter, first_line, progress_path

ENGINE_NAME = "workbench-job"
SNAPSHOT_EVERY_S = 5.0
MAX_SNAPSHOT_SHARE = 0.1  # of the time between snapshots


class JobRecorder:
    """What one job's notebook looks like while it runs, on disk and in memory."""

    def __init__(self, home: str | Path, run_id: str) -> None:
        self.run_id = run_id
        self.snapshot = Path(home) / "tmp" / f"{run_id}.ipynb"
        self.progress = progress_path(home, run_id)
        self._progress = ProgressWriter(self.progress, run_id)
        self.log = JobLogWriter(log_path(home, run_id))
        self.snapshot.parent.mkdir(parents=True, exist_ok=True)
        self.nb: nbformat.NotebookNode | None = None
        self.current: int | None = None  # the cell running (or the last one that ran)
        self.done = 0
        self.stopped = False  # an exception other than a cell error ended the execution
        self.stopped_at: int | None = None  # the cell running when it did
        self.snapshot_every = SNAPSHOT_EVERY_S
        self._last_snapshot = time.monotonic()

    def started(self, nb: nbformat.NotebookNode) -> None:
        self.nb = nb
        self._progress.update(self.done, len(nb.cells), None, "")

    def cell_started(self, index: int) -> None:
        self.current = index
        if self.nb is not None:
            source = first_line(self.nb.cells[index].source)
            self._progress.update(self.done, len(self.nb.cells), index, source)

    def cell_finished(self) -> None:
        self.done += 1

    def cell_output(self, index: int, output: Any) -> None:
        if self.nb is None:
            return
        cell = self.nb.cells[index]
        self.log.cell_output(index, first_line(cell.source), output, cell.get("execution_count"))

    def stop(self, index: int | None) -> None:
        if not self.stopped:
            self.stopped, self.stopped_at = True, index

    def finished(self) -> None:
        if self.nb is not None:
            self._progress.update(self.done, len(self.nb.cells), None, "")
        self._progress.close()

    def maybe_snapshot(self) -> None:
        """Write the whole notebook if the last write is old enough."""
        started = time.monotonic()
        if self.nb is None or started - self._last_snapshot < self.snapshot_every:
            return
        from workbench.store.blobs import write_atomic

        # Plain JSON of the in-memory notebook (a valid .ipynb): nbformat.writes would
        # deep-copy and validate it, 15 times slower on 10,000 cells.
        write_atomic(self.snapshot, json.dumps(self.nb, indent=1).encode("utf-8"))
        took = time.monotonic() - started
        if took > self.snapshot_every * MAX_SNAPSHOT_SHARE:
            self.snapshot_every *= 2
        self._last_snapshot = time.monotonic()

    def cleanup(self) -> None:
        """Remove the scratch files but the log, which the job runner keeps with the run
        (:func:`workbench.notebooks.joblog.keep_log`); a next attempt appends to it."""
        self._progress.close()
        self.log.close()
        for path in (
            self.snapshot,
            self.progress,
            self.progress.with_name(self.progress.name + ".tmp"),
        ):
            path.unlink(missing_ok=True)


class JobNotebookManager(NotebookExecutionManager):
    """papermill's execution state, saving through the recorder instead of every cell."""

    def __init__(self, nb: Any, recorder: JobRecorder, **kwargs: Any) -> None:
        super().__init__(nb, output_path=None, progress_bar=False, **kwargs)
        self.recorder = recorder

    @catch_nb_assignment
    def save(self, **kwargs: Any) -> None:
        self.recorder.maybe_snapshot()
        self.last_save_time = self.now()

    @catch_nb_assignment
    def notebook_start(self, **kwargs: Any) -> None:
        self.recorder.nb = self.nb
        super().notebook_start(**kwargs)
        self.recorder.started(self.nb)

    @catch_nb_assignment
    def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        if cell_index is not None:
            self.recorder.cell_started(cell_index)
        super().cell_start(cell, cell_index, **kwargs)

    @catch_nb_assignment
    def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        super().cell_complete(cell, cell_index, **kwargs)
        self.recorder.cell_finished()

    @catch_nb_assignment
    def notebook_complete(self, **kwargs: Any) -> None:
        if not self.recorder.stopped:
            super().notebook_complete(**kwargs)
        else:
            # papermill would mark the running cell and all later ones "completed"
            self.end_time = self.now()
            meta = self.nb.metadata.papermill
            meta["end_time"] = self.end_time.isoformat()
            if self.start_time is not None:
                meta["duration"] = (self.end_time - self.start_time).total_seconds()
            meta["exception"] = True
            index = self.recorder.stopped_at
            if index is not None:
                cell = self.nb.cells[index]
                self.cell_exception(cell, cell_index=index)
                cell_meta = cell.metadata.papermill
                cell_meta["end_time"] = self.end_time.isoformat()
                if cell_meta.get("start_time"):
                    began = datetime.fromisoformat(cell_meta["start_time"])
                    cell_meta["duration"] = (self.end_time - began).total_seconds()
        self.recorder.finished()


class JobNotebookClient(PapermillNotebookClient):
    def process_message(self, msg: Any, cell: Any, cell_index: int) -> Any:
        output = super().process_message(msg, cell, cell_index)
        if output is not None:
            self.nb_man.recorder.cell_output(cell_index, output)
        return output

    def papermill_execute_cells(self) -> None:
        # papermill's loop, except that an exception other than a cell error leaves the
        # running cell unfinished (papermill's finally marks it completed) and is recorded
        for index, cell in enumerate(self.nb.cells):
            try:
                self.nb_man.cell_start(cell, index)
                self.execute_cell(cell, index)
            except CellExecutionError as ex:
                self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
                self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)
                break
            except BaseException:
                self.nb_man.recorder.stop(index)
                raise
            self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)
        # The kernel is idle: its buffered metrics are flushed now, through this client's
        # open channel, instead of through a new one as the kernel is shut down.
        self._flush_tracking()

    async def _async_flush_tracking(self) -> None:
        if isinstance(self.km, JobKernelManager) and self.kc is not None:
            await self.km.flush_tracking(self.kc)

    _flush_tracking = run_sync(_async_flush_tracking)


class JobEngine(NBClientEngine):
    """papermill's nbclient engine with the job's manager and client (see the module)."""

    @classmethod
    def execute_notebook(
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = False,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        recorder: JobRecorder | None = None,
        **kwargs: Any,
    ) -> Any:
        if recorder is None:
            raise TypeError(f"the {ENGINE_NAME} engine needs recorder=JobRecorder(...)")
        nb_man = JobNotebookManager(
            nb, recorder, log_output=log_output, autosave_cell_every=autosave_cell_every
        )
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        except BaseException:
            recorder.stop(None)  # outside any cell (kernel start or shutdown), if not in one
            raise
        finally:
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        # as NBClientEngine.execute_managed_notebook, with the job's client
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        return JobNotebookClient(nb_man, **final_kwargs).execute()


def engine_name() -> str:
    """The name papermill knows this engine by (registered on first use, in this process)."""
    try:
        papermill_engines.get_engine(ENGINE_NAME)
    except Exception:
        papermill_engines.register(ENGINE_NAME, JobEngine)
    return ENGINE_NAME


def mark_stopped(nb: nbformat.NotebookNode, index: int | None, name: str, reason: str) -> None:
    """Say in the executed notebook why the job stopped at cell ``index`` (an error output
    on it, papermill's ``failed`` status) and that the cells after it did not run."""
    nb.metadata.setdefault("papermill", {})["exception"] = True
    if index is None or not 0 <= index < len(nb.cells):
        return
    cell = nb.cells[index]
    meta = cell.metadata.setdefault("papermill", {})
    meta.update(status=NotebookExecutionManager.FAILED, exception=True)
    if cell.cell_type == "code":
        evalue = f"{reason}; the job stopped here, and the cells below did not run"
        cell.outputs.append(
            nbformat.v4.new_output(
                "error", ename=name, evalue=evalue, traceback=[f"{name}: {evalue}"]
            )
        )
    for later in nb.cells[index + 1 :]:
        later.metadata.setdefault("papermill", {}).update(
            status=NotebookExecutionManager.PENDING,
            exception=None,
            start_time=None,
            end_time=None,
            duration=None,
        )
        if later.cell_type == "code":
            later.execution_count = None
            later.outputs = []


def with_error_cell(error: RunError, data: bytes) -> RunError:
    """The error with the index (among all cells of the executed notebook) of the first code
    cell whose outputs hold an error; a clean ``sys.exit(0)`` does not count."""
    try:
        cells = json.loads(data).get("cells", [])
    except (ValueError, AttributeError):
        return error
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            if out.get("ename") == "SystemExit" and out.get("evalue") in ("", "0"):
                continue
            count = cell.get("execution_count")
            label = f" (In [{count}])" if count is not None else ""
            return RunError(
                name=error.name,
                value=error.value,
                cell_index=index,
                reason=f"cell {index}{label} raised {error.name}",
            )
    return error
