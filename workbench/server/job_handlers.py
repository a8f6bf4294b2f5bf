"""REST handlers for one job of a sweep, under ``<base_url>/workbench/api/``.

- ``GET runs/{id}/log?offset=&limit=``: the job's output so far (stdout, stderr and errors
  of its cells) from ``offset``, the offset to ask from next, and its progress by cell.
- ``POST runs/{id}/cancel``: cancel one job (a queued one never starts, a running one's
  kernel is killed); 200 with its sweep.
- ``POST runs/{id}/retry``: a new attempt of one ended job that did not succeed, run by the
  sweep's runner (or a new one); 200 with its sweep.

The log is read from the job's scratch file while it runs and from its ``job.log`` artifact
once it ended (:mod:`workbench.notebooks.joblog`): same bytes, same offsets.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.entities import Run, RunStatus
from workbench.errors import InvalidInput
from workbench.notebooks.joblog import LogChunk, read_log, stored_progress
from workbench.notebooks.progress import read_progress
from workbench.server.base import RUN_ID, WorkbenchHandler, build_json
from workbench.server.job_models import JobLog, JobLogQuery, progress_model
from workbench.server.sweep_handlers import SWEEPS_RESOURCE, describe_sweep
from workbench.store import Store


def read_job_log(store: Store, run_id: str, offset: int, limit: int) -> tuple[Run, LogChunk]:
    """The run, read once, and up to ``limit`` bytes of its log from ``offset`` (an ended
    job's stored log is read from ``offset`` in its blob: a poll never loads it whole)."""
    run = store.get_run(run_id, history=False)  # NotFound for an unknown run
    return run, read_log(store, run_id, offset, limit, run=run)


class JobLogHandler(WorkbenchHandler):
    """``GET runs/{id}/log``: read as the runs are (``workbench:runs``)."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        query = self.parse_query(JobLogQuery)

        def work(store: Store) -> str:
            run, chunk = read_job_log(store, run_id, query.offset, query.limit)
            if run.status is RunStatus.RUNNING:
                progress = read_progress(run_id, store)
            else:
                progress = stored_progress(store, run)
            return build_json(
                lambda: JobLog(
                    run_id=run_id,
                    status=run.status,
                    text=chunk.text,
                    offset=chunk.offset,
                    next_offset=chunk.next_offset,
                    size=chunk.size,
                    final=chunk.final,
                    progress=progress_model(progress),
                )
            )

        self.finish(await self.workbench.call(work))


def _sweep_of(store: Store, run_id: str) -> str:
    sweep_id = store.job_info(run_id).sweep_id
    if sweep_id is None:
        raise InvalidInput(
            f"run {run_id[:8]} is not a job of a sweep: only sweep jobs are cancelled and "
            "retried here"
        )
    return sweep_id


class JobCancelHandler(WorkbenchHandler):
    """``POST runs/{id}/cancel``: changes a sweep (``write`` on ``workbench:sweeps``)."""

    auth_resource = SWEEPS_RESOURCE

    @tornado.web.authenticated
    @authorized("write")
    async def post(self, run_id: str) -> None:
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            from workbench.jobs.api import cancel_run

            sweep_id = _sweep_of(store, run_id)
            cancel_run(store, run_id)
            return build_json(lambda: describe_sweep(store, store.get_sweep(sweep_id), root))

        self.finish(await self.workbench.call(work))


class JobRetryHandler(WorkbenchHandler):
    """``POST runs/{id}/retry``: runs a notebook again (``execute``)."""

    auth_resource = SWEEPS_RESOURCE

    @tornado.web.authenticated
    @authorized("execute")
    async def post(self, run_id: str) -> None:
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            from workbench.jobs.api import retry_run

            sweep_id = _sweep_of(store, run_id)
            retry_run(store, run_id)
            return build_json(lambda: describe_sweep(store, store.get_sweep(sweep_id), root))

        self.finish(await self.workbench.call(work))


# Patterns relative to <base_url>/workbench/api/ (tornado anchors them with "$").
ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    (f"runs/{RUN_ID}/log", JobLogHandler),
    (f"runs/{RUN_ID}/cancel", JobCancelHandler),
    (f"runs/{RUN_ID}/retry", JobRetryHandler),
]
