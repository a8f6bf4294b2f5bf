"""Where sweep jobs run: a local pool of worker processes, or a Dask cluster.

An executor is four calls: ``submit(run_id) -> handle``, ``wait_first(handles, timeout)
-> done handles``, ``result(handle) -> status value`` (raises :class:`JobLost` when the
worker holding the job died) and ``shutdown(cancel)``. The coordinator
(:mod:`workbench.jobs.engine`) needs nothing else, so a new backend is one small class.

Jobs write their results to the store themselves (:func:`workbench.jobs.worker.execute_job`
gets the store's home and database URL): with PostgreSQL, workers on other hosts write to
the shared database; a SQLite store works on one host only (its home may be shared with
the workers for artifacts, not its database).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Iterable
from typing import Any, Protocol

from workbench.errors import WorkbenchError
from workbench.jobs.worker import JobLost, WarmStart, execute_job, init_local_worker

LOCAL = "local"
DASK_LOCAL = "dask"
DASK_SCHEMES = ("tcp://", "tls://")
DASK_INSTALL = "pip install 'jupyter-mlops-workbench[dask]'"


class Executor(Protocol):
    def submit(self, run_id: str) -> Any: ...

    def wait_first(self, handles: Iterable[Any], timeout: float) -> set[Any]: ...

    def result(self, handle: Any) -> str: ...

    def shutdown(self, cancel: bool) -> None: ...


def make_executor(
    name: str,
    workers: int | None,
    home: str,
    db_url: str,
    log_path: str | None = None,
    warm: WarmStart | None = None,
) -> Executor:
    """The executor ``name`` names; local workers write their output to ``log_path`` and,
    given ``warm``, start their zygotes as they start."""
    if name == LOCAL:
        if warm is not None:
            from workbench.jobs.forked import forked_workers

            forked = forked_workers(workers or 1, home, db_url, log_path, warm)
            if forked is not None:
                return forked
        return LocalExecutor(workers or 1, home, db_url, log_path, warm)
    return DaskExecutor(name, workers, home, db_url)


class LocalExecutor:
    """A pool of spawned worker processes (spawn: safe inside a Jupyter kernel and beside
    threads). Each job starts its own fresh kernel, so a job that kills its kernel only
    fails itself. A worker process that dies breaks the pool: its jobs are lost and the
    next submit starts a new pool."""

    def __init__(
        self,
        workers: int,
        home: str,
        db_url: str,
        log_path: str | None = None,
        warm: WarmStart | None = None,
    ) -> None:
        self.workers, self.home, self.db_url, self.log_path = workers, home, db_url, log_path
        self.warm = warm
        self.prefetch = 1  # jobs handed to the pool beyond its workers (see the coordinator)
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_local_worker,
            initargs=(os.getpid(), self.log_path, self.warm),
        )

    def submit(self, run_id: str) -> cf.Future[str]:
        try:
            return self._pool.submit(execute_job, run_id, self.home, self.db_url)
        except cf.process.BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(execute_job, run_id, self.home, self.db_url)

    def wait_first(self, handles: Iterable[cf.Future[str]], timeout: float) -> set[cf.Future[str]]:
        done, _ = cf.wait(list(handles), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return set(done)

    def result(self, handle: cf.Future[str]) -> str:
        try:
            return handle.result()
        except cf.process.BrokenProcessPool as exc:
            raise JobLost(f"its worker process died ({exc})") from None
        except cf.CancelledError:
            raise JobLost("it was withdrawn from the worker pool") from None

    def shutdown(self, cancel: bool) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)


class DaskExecutor:
    """Jobs as Dask tasks: on the scheduler at ``address``, or on a LocalCluster of
    ``workers`` single-threaded worker processes that lives as long as the sweep."""

    def __init__(self, address: str, workers: int | None, home: str, db_url: str) -> None:
        from distributed import Client, LocalCluster

        self.home, self.db_url = home, db_url
        self._cluster = None
        try:
            if address == DASK_LOCAL:
                self._cluster = LocalCluster(
                    n_workers=workers or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                self.client = Client(self._cluster)
            else:
                self.client = Client(address, timeout=30)
        except (OSError, TimeoutError) as exc:
            if self._cluster is not None:
                self._cluster.close()
            raise WorkbenchError(f"cannot reach the Dask scheduler at {address}: {exc}") from None

    def capacity(self) -> int:
        """How many jobs the cluster runs at once (its worker threads)."""
        return max(1, int(sum(self.client.nthreads().values())))

    def submit(self, run_id: str) -> Any:
        # pure=False: the same run id submitted twice must not be deduplicated away;
        # the key names the run so the Dask dashboard shows which job is where.
        return self.client.submit(
            execute_job,
            run_id,
            self.home,
            self.db_url,
            pure=False,
            key=f"workbench-{run_id}",
            retries=0,
        )

    def wait_first(self, handles: Iterable[Any], timeout: float) -> set[Any]:
        from distributed import wait

        handles = list(handles)
        done = {h for h in handles if h.done()}
        if done or not handles:
            return done
        try:
            finished, _ = wait(handles, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set()
        return set(finished)

    def result(self, handle: Any) -> str:
        try:
            return str(handle.result())
        except Exception as exc:  # KilledWorker, CancelledError, a lost connection...
            raise JobLost(f"its Dask task failed: {type(exc).__name__}: {exc}") from None

    def shutdown(self, cancel: bool) -> None:
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
