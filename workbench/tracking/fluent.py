"""The notebook-facing tracking API: ``import workbench as wb; wb.log_metric(...)``.

Which run a call logs to, in order:
1. inside a job (``WORKBENCH_RUN_ID`` in the kernel's environment), the job's run; the job
   runner owns its status, so ``end_run`` here only flushes;
2. the run opened by ``start_run``;
3. otherwise the first log call opens a run for the current notebook (its path from the
   kernel's session environment) and says so once, with the run id.

Metric points are buffered and written in batches (every ``FLUSH_POINTS`` points, every
``FLUSH_SECONDS`` seconds by a background thread, at ``end_run`` and at interpreter exit).

An interactive run (a notebook in a live kernel) follows the kernel, through IPython's
``pre_run_cell``/``post_run_cell`` events, so that it is never shown running when nothing
runs: it ends when the kernel has been idle for ``idle_end_seconds()`` (succeeded, or failed
when the last cell raised; ended at the time that cell finished), when the notebook is run
again from the top (its first code cell or its ``parameters`` cell: the next log call opens a
new run), and when the kernel shuts down or restarts (at interpreter exit).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.entities import (
    RunError,
    RunSource,
    RunStatus,
    check_key,
    check_metric_value,
)
from workbench.errors import Conflict
from workbench.tracking.session import (
    current_notebook,
    follow_kernel,
    idle_end_seconds,
    in_kernel,
    starts_notebook,
)

if TYPE_CHECKING:
    from types import TracebackType

    from workbench.store import Store

FLUSH_POINTS = 20_000
FLUSH_SECONDS = 2.0


# The store (and so SQLAlchemy) loads on the first call that needs it, not at import.
def open_store(*, housekeeping: bool = True) -> Store:
    from workbench.store import open_store as _open_store

    return _open_store(housekeeping=housekeeping)


def create_tracked_run(store: Store, **kwargs: Any) -> str:
    from workbench.tracking.client import create_tracked_run as _create

    return _create(store, **kwargs)


class _Tracker:
    """Process-wide state of the fluent API. One lock guards the buffer and the active run."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.run_id: str | None = None
        self.store: Store | None = None
        self.owned = False  # False for a job's run: the runner ends it
        self.buffer: list[tuple[str, float, int, float]] = []
        self.next_step: dict[str, int] = {}
        self.last_flush = time.monotonic()
        self.last_beat = time.monotonic()
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()
        # Interactive runs follow the kernel (see the module docstring).
        self.interactive = False
        self.idle_since: tuple[float, float] | None = None  # (monotonic, wall) of going idle
        self.last_error: RunError | None = None  # of the last cell that ran

    # -- the active run ------------------------------------------------------------------

    def ensure_run(self) -> str:
        if self.run_id is not None:
            return self.run_id
        job_run = os.environ.get("WORKBENCH_RUN_ID")
        if job_run:
            self._attach(job_run, open_store(housekeeping=False), owned=False)
            return job_run
        notebook = current_notebook()
        source = RunSource.INTERACTIVE if in_kernel() else RunSource.SCRIPT
        store = open_store()
        run_id = create_tracked_run(store, source=source, notebook=notebook)
        self._attach(run_id, store, owned=True, interactive=source is RunSource.INTERACTIVE)
        where = f" for {Path(notebook).name}" if notebook else ""
        print(f"Workbench: logging to run {run_id}{where} (wb.end_run() ends it)")
        return run_id

    def start(self, name: str | None, experiment: str | None, tags: dict[str, str] | None) -> str:
        job_run = os.environ.get("WORKBENCH_RUN_ID")
        if job_run:
            self._attach(job_run, open_store(housekeeping=False), owned=False)
            if tags:
                self.store.log_batch(job_run, tags=tags)  # type: ignore[union-attr]
            return job_run
        if self.run_id is not None:
            raise Conflict(
                f"run {self.run_id} is still active: call wb.end_run() before starting another"
            )
        store = open_store()
        run_id = create_tracked_run(
            store,
            source=RunSource.INTERACTIVE if in_kernel() else RunSource.SCRIPT,
            notebook=current_notebook(),
            experiment=experiment,
            name=name,
            tags=tags,
        )
        self._attach(run_id, store, owned=True, interactive=in_kernel())
        return run_id

    def _attach(self, run_id: str, store: Store, *, owned: bool, interactive: bool = False) -> None:
        self.run_id, self.store, self.owned = run_id, store, owned
        self.next_step = {}
        self.interactive = interactive and owned
        self.idle_since, self.last_error = None, None
        if self.interactive:
            follow_kernel(self)
        if self.thread is None or not self.thread.is_alive():
            self.stop.clear()
            self.thread = threading.Thread(
                target=self._background, name="workbench-flush", daemon=True
            )
            self.thread.start()

    def end(
        self, status: RunStatus, error: RunError | None = None, ended_at: float | None = None
    ) -> None:
        with self.lock:
            if self.run_id is None:
                return
            self.flush()
            if self.owned:
                self.store.set_status(  # type: ignore[union-attr]
                    self.run_id, status, error=error, ended_at=ended_at
                )
            self.run_id = None
            self.next_step = {}
            self.interactive, self.idle_since = False, None

    def end_as_last_cell(self, ended_at: float | None = None) -> None:
        """End an interactive run by how its last cell went: failed if it raised."""
        error = self.last_error
        self.end(RunStatus.FAILED if error else RunStatus.SUCCEEDED, error, ended_at)

    # -- following the kernel (interactive runs) ------------------------------------------

    def pre_cell(self, info: Any) -> None:
        with self.lock:
            self.idle_since = None
            if self.interactive and self.run_id is not None and starts_notebook(info):
                # Run All, or the parameters cell again: the next log call opens a new run.
                self.end_as_last_cell()

    def post_cell(self, result: Any) -> None:
        with self.lock:
            if not self.interactive:
                return
            self.idle_since = (time.monotonic(), time.time())
            exc = getattr(result, "error_in_exec", None) or getattr(
                result, "error_before_exec", None
            )
            self.last_error = (
                RunError(
                    name=type(exc).__name__,
                    value=str(exc),
                    reason="the last cell run raised, then the kernel went idle",
                )
                if exc is not None
                else None
            )

    # -- metrics buffer -----------------------------------------------------------------

    def add_point(self, key: str, value: float, step: int | None) -> None:
        with self.lock:
            if self.run_id is None:
                self.ensure_run()
            if step is None:
                step = self.next_step.get(key, 0)
            self.next_step[key] = step + 1
            buffer = self.buffer
            buffer.append((key, value, step, _now()))
            if len(buffer) >= FLUSH_POINTS:
                self.flush()

    def flush(self) -> None:
        with self.lock:
            self.last_flush = time.monotonic()
            if not self.buffer or self.run_id is None:
                return
            points, self.buffer = self.buffer, []
            try:
                self.store.log_batch(self.run_id, points)  # type: ignore[union-attr]
            except BaseException:
                self.buffer[:0] = points  # keep them for the next attempt
                raise
            self.last_beat = time.monotonic()

    def _background(self) -> None:
        from workbench.store.policy import HEARTBEAT_SECONDS

        while not self.stop.wait(FLUSH_SECONDS / 4):
            try:
                with self.lock:
                    if self.run_id is None:
                        continue
                    now = time.monotonic()
                    idle_end = idle_end_seconds()
                    if (
                        self.interactive
                        and self.idle_since is not None
                        and idle_end > 0
                        and now - self.idle_since[0] >= idle_end
                    ):
                        self.end_as_last_cell(ended_at=self.idle_since[1])
                    elif self.buffer and now - self.last_flush >= FLUSH_SECONDS:
                        self.flush()
                    elif now - self.last_beat >= HEARTBEAT_SECONDS:
                        self.store.heartbeat(self.run_id)  # type: ignore[union-attr]
                        self.last_beat = now
            except Exception as exc:  # never kill the thread; the next flush retries
                print(f"Workbench: could not write metrics yet ({exc})", file=sys.stderr)

    def at_exit(self) -> None:
        self.stop.set()
        try:
            self.end_as_last_cell()  # a kernel shutdown or restart ends the run
        except Exception as exc:
            print(f"Workbench: could not finish run at exit ({exc})", file=sys.stderr)

    def after_fork(self) -> None:
        # A forked child (a sweep worker) must not share the parent's run or thread.
        self.lock = threading.RLock()
        self.run_id, self.store, self.thread = None, None, None
        self.buffer, self.next_step = [], {}
        self.stop = threading.Event()
        self.interactive, self.idle_since, self.last_error = False, None, None


_tracker = _Tracker()
atexit.register(_tracker.at_exit)
os.register_at_fork(after_in_child=_tracker.after_fork)


# -- the public API ----------------------------------------------------------------------


class ActiveRun:
    """Handle of the active run; as a context manager it ends the run (failed on error)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def __repr__(self) -> str:
        return f"ActiveRun(run_id={self.run_id!r})"

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            end_run()
        elif issubclass(exc_type, KeyboardInterrupt):
            end_run(RunStatus.CANCELLED)
        else:
            _tracker.end(RunStatus.FAILED, RunError(name=exc_type.__name__, value=str(exc)))


def start_run(
    name: str | None = None, experiment: str | None = None, tags: dict[str, str] | None = None
) -> ActiveRun:
    with _tracker.lock:
        return ActiveRun(_tracker.start(name, experiment, tags))


def end_run(status: RunStatus | str = RunStatus.SUCCEEDED) -> None:
    _tracker.end(RunStatus.parse(status))


def active_run() -> ActiveRun | None:
    run_id = _tracker.run_id
    return ActiveRun(run_id) if run_id else None


def log_metric(key: str, value: float, step: int | None = None) -> None:
    # Called in tight training loops: the common case (a known key, a float, an int step
    # or none) costs three type checks; anything else takes the full checks.
    if key not in _checked_keys:
        check_key("metric", key)
        if len(_checked_keys) < 100_000:
            _checked_keys.add(key)
    if type(value) is not float:
        value = check_metric_value(key, value)
    if value != value:  # NaN: put to the store's rule now, not at a later flush
        _store_rule(key, value)
    if step is not None and type(step) is not int:
        step = _check_step(key, step)
    _tracker.add_point(key, value, step)


_checked_keys: set[str] = set()
_now = time.time


def _store_rule(key: str, value: float) -> None:
    """The store's rule for one value, before the value is buffered: a refused value is
    refused at the call, opens no run, and never holds back the points flushed with it."""
    from workbench.store.store import check_metric_values

    check_metric_values(key, [value])


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    for key, value in metrics.items():
        log_metric(key, value, step)


def log_param(key: str, value: Any) -> None:
    log_params({key: value})


def log_params(params: dict[str, Any]) -> None:
    with _tracker.lock:
        run_id = _tracker.ensure_run()
        _tracker.store.log_batch(run_id, params=dict(params))  # type: ignore[union-attr]


def set_tag(key: str, value: str) -> None:
    set_tags({key: value})


def set_tags(tags: dict[str, str]) -> None:
    with _tracker.lock:
        run_id = _tracker.ensure_run()
        _tracker.store.log_batch(  # type: ignore[union-attr]
            run_id, tags={k: str(v) for k, v in tags.items()}
        )


def log_artifact(path: str | os.PathLike[str], name: str | None = None) -> None:
    source = Path(path)
    if not source.is_file():
        from workbench.errors import InvalidInput

        raise InvalidInput(f"artifact {str(path)!r} is not a file: give the path of a file")
    with _tracker.lock:
        run_id = _tracker.ensure_run()
        _tracker.store.put_artifact_file(  # type: ignore[union-attr]
            run_id, name or source.name, str(source)
        )


def flush() -> None:
    """Write buffered metric points now (they are also written in the background)."""
    _tracker.flush()


def _check_step(key: str, step: object) -> int:
    from workbench.errors import InvalidInput

    as_int: int | None
    try:
        as_int = int(step)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        as_int = None
    if as_int is None or isinstance(step, bool) or as_int != step:
        raise InvalidInput(f"metric {key!r}: step {step!r} is not a whole number")
    return as_int
