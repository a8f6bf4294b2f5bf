"""One papermill job into one run, top to bottom: check, create the run, execute, record.

The run context reaches the kernel through its environment (``WORKBENCH_RUN_ID``,
``WORKBENCH_HOME``, ``WORKBENCH_DB_URL``), never as extra notebook parameters. The status
comes from what happened (the exception papermill or nbclient raised), not from papermill's
cell metadata. papermill runs the notebook on the engine of
:mod:`workbench.notebooks.engine` (progress visible while it runs, a cost linear in cells);
whatever the outcome, the executed notebook, saying where a stopped job stopped, is stored
from memory before the final status, and the run never stays ``running``.

A sweep job passes the id of its queued run (``run_id``): that run is started here (never
twice), and the sweep's watchdog learns the kernel's process group (``on_kernel_started``)
so that a cancel request can kill it; the job then ends ``cancelled`` (``cancelled``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.entities import Run, RunError, RunSource, RunStatus, check_key, check_timeout
from workbench.errors import InvalidInput
from workbench.notebooks.coerce import coerce_for_notebook
from workbench.notebooks.joblog import keep_log
from workbench.notebooks.liveness import Heartbeat
from workbench.notebooks.params import check_params
from workbench.notebooks.reader import notebook_path, read_notebook
from workbench.store import Store, open_store
from workbench.store.location import DB_FILENAME

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from workbench.notebooks.engine import JobRecorder


def run_notebook(
    path: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    timeout: float | None = None,
    experiment: str | None = None,
    name: str | None = None,
    tags: Mapping[str, str] | None = None,
    kernel_name: str | None = None,
    store: Store | None = None,
    source: RunSource | str = RunSource.JOB,
    cwd: str | os.PathLike[str] | None = None,
    log_output: bool = False,
    workers: int = 1,
    on_run_created: Callable[[str], None] | None = None,
    run_id: str | None = None,
    on_kernel_started: Callable[[int, int | None], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    allow_unknown: bool = False,
    history: bool = True,
) -> Run:
    """Execute the notebook at ``path`` in a fresh kernel as one run; return the stored run
    (without its metrics' step history if not ``history``: a sweep's worker needs only the
    status).

    ``timeout`` is a wall-clock budget in seconds for the whole job (kernel start included).
    ``workers`` is how many jobs share this machine (it sets the kernel's BLAS thread caps).
    ``cwd`` is the kernel's working folder, by default the notebook's folder.
    A bad notebook or bad arguments raise InvalidInput before anything is written.

    ``parameters`` are checked and converted against the notebook's typed schema exactly as
    a sweep's are (texts such as ``"0.1"`` read for the parameter's type): a name the
    notebook does not have, or any parameter of a notebook without a ``parameters`` cell,
    is refused unless ``allow_unknown``; a value of the wrong type always is.

    ``run_id`` names an existing queued run (a sweep job) to execute instead of creating
    one; if it is not queued any more (cancelled, or started by someone else), nothing runs
    and the run is returned as it is. ``on_kernel_started(pid, pgid)`` is called once the
    kernel runs; ``cancelled()`` says whether a kill of the kernel was a cancel request.
    """
    from workbench.notebooks.kernel import kernel_language, kernel_name_for

    nb_path = notebook_path(path)
    nb = read_notebook(nb_path)
    if run_id is None:
        params = coerce_for_notebook(nb, parameters, allow_unknown=allow_unknown, name=nb_path.name)
    else:  # a sweep's job: coerced when the sweep was planned, against this same notebook
        params = check_params(parameters)
    budget = check_timeout(timeout)
    for kind, key in (("experiment", experiment), ("run", name)):
        if key is not None:
            check_key(kind, key)
    tag_dict = {check_key("tag", k): str(v) for k, v in (tags or {}).items()}
    kernel = kernel_name_for(nb, kernel_name)
    language = kernel_language(kernel)
    workdir = Path(cwd).resolve() if cwd is not None else nb_path.parent
    if not workdir.is_dir():
        raise InvalidInput(f"working folder {workdir} does not exist")
    source = RunSource(source)

    from workbench.tracking.client import create_tracked_run

    store = store or open_store()
    if run_id is None:
        run_id = create_tracked_run(
            store,
            source=source,
            notebook=nb_path,
            kernel_name=kernel,
            experiment=experiment,
            name=name,
            params=params,
            tags=tag_dict or None,
        )
    elif not _start_queued(store, run_id, nb_path, nb, kernel):
        return store.get_run(run_id, history=history)
    if on_run_created is not None:
        on_run_created(run_id)
    job = _Job(store, run_id, nb_path, nb, params, kernel, language)
    job.on_kernel_started, job.cancelled = on_kernel_started, cancelled
    job.execute(budget, workdir, log_output, workers)
    return store.get_run(run_id, history=history)


def _start_queued(store: Store, run_id: str, nb_path: Path, nb: NotebookNode, kernel: str) -> bool:
    """Start a sweep's queued run: provenance now, on the host that runs it. False if it
    must not run (not queued any more, or the notebook changed since the sweep was made:
    its job key would lie)."""
    from workbench.tracking import provenance
    from workbench.tracking.client import PACKAGES_ARTIFACT

    planned = store.get_run(run_id, history=False).notebook_sha256
    if planned and provenance.notebook_sha256(nb) != planned:
        store.finish_if_active(
            run_id,
            RunStatus.FAILED,
            RunError(
                name="NotebookChanged",
                reason=f"{nb_path.name} changed since the sweep was planned: start a new sweep "
                "to run the new version",
            ),
        )
        return False
    prov, packages = provenance.collect(nb_path, kernel)
    if not store.start_queued_run(run_id, prov):
        return False
    store.put_artifact_bytes(run_id, PACKAGES_ARTIFACT, packages)
    return True


class _Job:
    """State of one execution: where papermill writes, which cell is running."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        nb_path: Path,
        nb: NotebookNode,
        params: dict[str, Any],
        kernel: str,
        language: str,
    ) -> None:
        self.store, self.run_id, self.nb, self.params = store, run_id, nb, params
        self.nb_path = nb_path
        self.kernel, self.language = kernel, language
        self.recorder: JobRecorder | None = None  # of the current attempt
        self.kernel_started = False
        self.error_cell_unknown = False
        self.on_kernel_started: Callable[[int, int | None], None] | None = None
        self.cancelled: Callable[[], bool] | None = None

    def execute(self, budget: float | None, workdir: Path, log_output: bool, workers: int) -> None:
        status = RunStatus.FAILED
        error: RunError | None = RunError(reason="the job runner stopped unexpectedly")
        try:
            with Heartbeat(self.store, self.run_id):
                status, error = self._papermill(budget, workdir, log_output, workers)
            if status is not RunStatus.SUCCEEDED and self.cancelled and self.cancelled():
                # the watchdog killed the kernel on request: not a failure of the job
                status, error = (
                    RunStatus.CANCELLED,
                    RunError(
                        name="Cancelled",
                        cell_index=self.current_cell,
                        reason="the job was cancelled on request"
                        + _while_running(self.current_cell),
                    ),
                )
        except BaseException as exc:  # Ctrl-C, cancellation: record, then re-raise
            status = RunStatus.CANCELLED
            error = RunError(
                name=type(exc).__name__,
                cell_index=self.current_cell,
                reason="the job was cancelled" + _while_running(self.current_cell),
            )
            raise
        finally:
            # The kernel is already shut down here (papermill's client stops it on the way
            # out), so everything it flushed is in the store before the status is final.
            try:
                data = self._executed_bytes(error)
                if self.error_cell_unknown and error is not None:
                    from workbench.notebooks.engine import with_error_cell

                    error = with_error_cell(error, data)
                self.store.set_executed_notebook(self.run_id, data)
            finally:
                if self.recorder is not None:
                    self.recorder.log.close()
                keep_log(self.store, self.run_id)  # stored before the status says it ended
                self.store.set_status(self.run_id, status, error=error)
                if self.recorder is not None:
                    self.recorder.cleanup()

    @property
    def current_cell(self) -> int | None:
        return self.recorder.current if self.recorder is not None else None

    def _papermill(
        self, budget: float | None, workdir: Path, log_output: bool, workers: int
    ) -> tuple[RunStatus, RunError | None]:
        deadline = None if budget is None else time.monotonic() + budget
        status, error = self._papermill_once(budget, deadline, workdir, log_output, workers)
        # A kernel that died before it was ready is most often a port another process took
        # between jupyter_client choosing it and the kernel binding it (parallel jobs make
        # that race likely): one fresh start, with what is left of the budget.
        if (
            status is RunStatus.FAILED
            and not self.kernel_started
            and error is not None
            and error.name in ("RuntimeError", "DeadKernelError")
            and not (self.cancelled and self.cancelled())
            and (deadline is None or deadline - time.monotonic() > 1)
        ):
            status, error = self._papermill_once(budget, deadline, workdir, log_output, workers)
        return status, error

    def _papermill_once(
        self,
        budget: float | None,
        deadline: float | None,
        workdir: Path,
        log_output: bool,
        workers: int,
    ) -> tuple[RunStatus, RunError | None]:
        import papermill
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        from workbench.notebooks.engine import JobRecorder, engine_name
        from workbench.notebooks.kernel import job_kernel_manager

        manager = job_kernel_manager(self._run_context(), workers=workers)
        if self.on_kernel_started is not None:
            manager = _announcing(manager, self.on_kernel_started)
        if self.recorder is not None:  # an earlier attempt's
            self.recorder.cleanup()
        self.recorder = JobRecorder(self.store.location.home, self.run_id)
        try:
            papermill.execute_notebook(
                # The validated notebook itself: papermill re-reading the file would warn
                # about cells without ids and could see a different file.
                self.nb,
                # No output path: the engine saves progress as cells run, and the executed
                # notebook goes from memory to the store (see execute()).
                None,
                engine_name=engine_name(),
                recorder=self.recorder,
                parameters=self.params,
                kernel_name=self.kernel,
                language=self.language,
                progress_bar=False,
                log_output=log_output,
                request_save_on_cell_execute=False,
                # nbclient engine options: the kernel seam, the budget
                kernel_manager_class=manager,
                shutdown_kernel="immediate",
                timeout_func=None if deadline is None else _remaining(deadline),
                on_notebook_start=self._on_notebook_start,
                resources={"metadata": {"path": str(workdir)}},
            )
        except PapermillExecutionError as exc:
            self.error_cell_unknown = True  # found in the executed notebook, see execute()
            return RunStatus.FAILED, RunError(
                name=exc.ename,
                value=exc.evalue,
                cell_index=exc.cell_index,
                reason=f"{exc.ename} raised in a cell",
            )
        except CellTimeoutError as exc:
            if budget is None:  # no budget of ours: nbclient gave up waiting on the kernel
                return RunStatus.FAILED, RunError(
                    name="CellTimeoutError",
                    value=str(exc)[:500] or None,
                    cell_index=self.current_cell,
                    reason="the kernel stopped answering" + _while_running(self.current_cell),
                )
            return RunStatus.TIMED_OUT, RunError(
                name="CellTimeoutError",
                cell_index=self.current_cell,
                reason=f"the job exceeded its timeout of {budget:g} s"
                + _while_running(self.current_cell),
            )
        except DeadKernelError:
            where = _while_running(self.current_cell) or " before running any cell"
            return RunStatus.FAILED, RunError(
                name="DeadKernelError",
                cell_index=self.current_cell,
                reason=f"the kernel died{where}",
            )
        except Exception as exc:
            return RunStatus.FAILED, RunError(
                name=type(exc).__name__,
                value=str(exc) or None,
                cell_index=self.current_cell,
                reason=f"the job could not run: {type(exc).__name__}",
            )
        return RunStatus.SUCCEEDED, None

    def _on_notebook_start(self, notebook: NotebookNode, **_: Any) -> None:
        # Given a notebook object, papermill records the whole object as the input path.
        notebook.metadata.setdefault("papermill", {})["input_path"] = str(self.nb_path)
        self.kernel_started = True

    def _run_context(self) -> dict[str, str | None]:
        location = self.store.location
        default_db = f"sqlite:///{location.home / DB_FILENAME}"
        return {
            "WORKBENCH_RUN_ID": self.run_id,
            "WORKBENCH_HOME": str(location.home),
            # None removes a WORKBENCH_DB_URL inherited from the runner that would point
            # the kernel at another database than this store's.
            "WORKBENCH_DB_URL": None if location.db_url == default_db else location.db_url,
        }

    def _executed_bytes(self, error: RunError | None) -> bytes:
        """The executed notebook, saying where the job stopped if something other than a
        cell's exception stopped it; if the kernel never started, the parameterized input."""
        import nbformat

        recorder = self.recorder
        if self.kernel_started and recorder is not None and recorder.nb is not None:
            if recorder.stopped and error is not None:
                from workbench.notebooks.engine import mark_stopped

                reason = error.reason or error.name or "the job stopped"
                mark_stopped(recorder.nb, recorder.stopped_at, error.name or "Stopped", reason)
            return nbformat.writes(recorder.nb).encode("utf-8")

        nb = self.nb
        if self.params:
            try:
                from papermill.parameterize import parameterize_notebook

                nb = parameterize_notebook(
                    nb, self.params, kernel_name=self.kernel, language=self.language
                )
            except Exception:  # the input as given is still evidence
                nb = self.nb
        return nbformat.writes(nb).encode("utf-8")


def _announcing(base: type, callback: Callable[[int, int | None], None]) -> type:
    """The job's kernel manager class, telling ``callback`` the kernel's pid and process
    group once it started (the watchdog kills that group on a cancel request)."""

    class AnnouncingKernelManager(base):
        async def start_kernel(self, **kw: Any) -> None:
            await super().start_kernel(**kw)
            pid = getattr(self.provisioner, "pid", None)
            if pid is not None:
                callback(pid, getattr(self.provisioner, "pgid", None))

    return AnnouncingKernelManager


def _remaining(deadline: float) -> Callable[[Any], float]:
    # Each cell may use what is left of the job's budget; 0 would mean "no timeout" to
    # nbclient, so an exhausted budget still gives a tiny positive one.
    def timeout_for(_cell: Any) -> float:
        return max(deadline - time.monotonic(), 0.01)

    return timeout_for


def _while_running(index: int | None) -> str:
    return f" while running cell {index}" if index is not None else ""
