"""REST handlers for sweeps and notebook parameters, under ``<base_url>/workbench/api/``.

- ``GET sweeps``: the newest sweeps with their progress counts.
- ``POST sweeps``: launch a sweep (body: ``CreateSweep``); 201 with the new sweep.
- ``GET sweeps/{id}``: one sweep, its counts and its runs (every attempt, see ``run_order``).
- ``DELETE sweeps/{id}``: request cancellation; 200 with the sweep.
- ``POST sweeps/{id}/retry``: retry the failed jobs; ``POST sweeps/{id}/resume``: resume.
- ``POST sweeps/preview`` is in ``workbench.server.sweep_preview`` (routed before these).
- ``GET notebooks/parameters?path=``: a notebook's typed parameter schema.

The handlers only translate: the sweep engine (``workbench.jobs.api``) validates specs and
runs jobs, the same code behind ``workbench sweep``. Store and file work runs in a thread.
Launching runs notebooks, so POST is authorized as ``execute``, not ``write``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.entities import JobRun, RunStatus, Sweep
from workbench.errors import InvalidInput, NotFound
from workbench.jobs.engine import latest_attempts
from workbench.jobs.progress import default_order, eta_seconds
from workbench.notebooks.progress import read_progress
from workbench.notebooks.schema import notebook_schema
from workbench.server.base import WorkbenchHandler, build_json
from workbench.server.job_models import progress_model
from workbench.server.models import run_summary
from workbench.server.paths import is_file_under_root, resolve_under_root
from workbench.server.sweep_models import (
    CreateSweep,
    DescribeSweep,
    DescribeSweepQuery,
    ListSweepsQuery,
    ListSweepsResponse,
    NotebookParameter,
    NotebookParameters,
    NotebookParametersQuery,
    SweepRun,
    sweep_summary,
)
from workbench.store import RunFilter, Store

SWEEPS_RESOURCE = "workbench:sweeps"
NOTEBOOKS_RESOURCE = "workbench:notebooks"
SWEEP_ID = r"(?P<sweep_id>[^/]+)"


def run_order(job: JobRun) -> tuple[bool, float, int]:
    """Runs that started, by start time, then the queued ones in the order they will run:
    a run keeps its place in the list as it moves on, so a polling view does not jump."""
    return job.status is RunStatus.QUEUED, job.started_at, job.attempt


def sweep_etas(store: Store, sweeps: list[Sweep]) -> dict[str, float | None]:
    """Seconds left for each sweep still in flight (see ``eta_seconds``), None once it
    ended: the job rows of all of them read at once, so a listing costs the same queries
    whatever its length."""
    in_flight = [s for s in sweeps if not s.status.finished]
    times = store.sweep_job_times([s.sweep_id for s in in_flight])
    now = time.time()
    etas: dict[str, float | None] = {s.sweep_id: None for s in sweeps}
    for sweep in in_flight:
        etas[sweep.sweep_id] = eta_seconds(times[sweep.sweep_id], sweep.options.workers, now)
    return etas


def describe_sweep(
    store: Store,
    sweep: Sweep,
    root: Path,
    *,
    limit: int = 500,
    offset: int = 0,
    order_by: str | None = None,
    latest_only: bool = False,
) -> DescribeSweep:
    """The sweep with one page of its runs (every attempt, or the latest of each job), in
    ``run_order`` or ranked by ``order_by``; running ones with their progress by cell."""
    jobs = store.job_runs(sweep.sweep_id)
    latest = {j.run_id for j in latest_attempts(jobs)}
    if latest_only:
        jobs = [j for j in jobs if j.run_id in latest]
    by_id = {j.run_id: j for j in jobs}
    if order_by:
        filt = RunFilter(run_ids=list(by_id)) if latest_only else RunFilter(sweep_id=sweep.sweep_id)
        found, _ = store.search_runs(filt, order_by=order_by, limit=limit, offset=offset)
    else:
        ids = [j.run_id for j in sorted(jobs, key=run_order)[offset : offset + limit]]
        listed = {r.run_id: r for r in store.search_runs(RunFilter(run_ids=ids))[0]} if ids else {}
        found = [listed[i] for i in ids if i in listed]
    runs = [
        SweepRun(
            **run_summary(run, str(root)).model_dump(),
            job_key=by_id[run.run_id].job_key,
            attempt=by_id[run.run_id].attempt,
            latest=run.run_id in latest,
            progress=progress_model(read_progress(run.run_id, store))
            if run.status is RunStatus.RUNNING
            else None,
        )
        for run in found
        if run.run_id in by_id
    ]
    metrics = sorted({name for run in found for name in run.metrics})
    return DescribeSweep(
        **sweep_summary(sweep, root, sweep_etas(store, [sweep])[sweep.sweep_id]).model_dump(),
        metric_names=metrics,
        default_order_by=default_order(metrics),
        runs=runs,
        runs_total=len(jobs),
        limit=limit,
        offset=offset,
    )


def notebook_under_root(root: Path, relpath: str) -> Path:
    """The notebook file at ``relpath``, confined to the root (Forbidden) and existing."""
    path = resolve_under_root(root, relpath)
    if not is_file_under_root(path):
        raise NotFound(
            f"notebook {relpath!r} not found under the server root: give its path "
            "as shown in JupyterLab's file browser"
        )
    return path


async def _act_on_sweep(handler: WorkbenchHandler, action: Callable[[Store], Sweep]) -> None:
    """Answer with the sweep as ``action`` (cancel, retry, resume) leaves it, off the loop."""
    root = handler.workbench.root_dir

    def work(store: Store) -> str:
        sweep = action(store)
        return build_json(lambda: describe_sweep(store, sweep, root))

    handler.finish(await handler.workbench.call(work))


class SweepsHandler(WorkbenchHandler):
    """``GET sweeps`` (newest first) and ``POST sweeps`` (launch)."""

    auth_resource = SWEEPS_RESOURCE

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(ListSweepsQuery)
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            sweeps = store.list_sweeps(limit=query.limit)
            etas = sweep_etas(store, sweeps)
            return build_json(
                lambda: ListSweepsResponse(
                    sweeps=[sweep_summary(s, root, etas[s.sweep_id]) for s in sweeps],
                    limit=query.limit,
                )
            )

        self.finish(await self.workbench.call(work))

    @tornado.web.authenticated
    @authorized("execute")
    async def post(self) -> None:
        body = CreateSweep.model_validate_json(self.request.body or b"")
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            try:
                path = notebook_under_root(root, body.notebook)
            except NotFound as exc:  # a field of the body, not the URL: the caller's 400
                raise InvalidInput(f"notebook: {exc.message}") from None
            from workbench.jobs.api import launch_sweep  # the engine: imported when used

            sweep = launch_sweep(str(path), body.spec(), body.options(), store=store)
            return build_json(lambda: describe_sweep(store, sweep, root))

        answer = await self.workbench.call(work)
        self.set_status(201)
        self.finish(answer)


class SweepHandler(WorkbenchHandler):
    """``GET sweeps/{id}`` (progress and runs) and ``DELETE sweeps/{id}`` (cancel)."""

    auth_resource = SWEEPS_RESOURCE

    @tornado.web.authenticated
    @authorized
    async def get(self, sweep_id: str) -> None:
        query = self.parse_query(DescribeSweepQuery)
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            sweep = store.get_sweep(sweep_id)
            return build_json(
                lambda: describe_sweep(
                    store,
                    sweep,
                    root,
                    limit=query.limit,
                    offset=query.offset,
                    order_by=query.order_by,
                    latest_only=query.latest_only,
                )
            )

        self.finish(await self.workbench.call(work))

    @tornado.web.authenticated
    @authorized
    async def delete(self, sweep_id: str) -> None:
        from workbench.jobs.api import cancel_sweep

        await _act_on_sweep(self, lambda store: cancel_sweep(store, sweep_id))


class SweepRetryHandler(WorkbenchHandler):
    """``POST sweeps/{id}/retry``: a new attempt of every job whose latest attempt failed,
    timed out or was lost; 409 if there is none."""

    auth_resource = SWEEPS_RESOURCE

    @tornado.web.authenticated
    @authorized("execute")
    async def post(self, sweep_id: str) -> None:
        from workbench.jobs.api import retry_failed

        def retry(store: Store) -> Sweep:
            retry_failed(store, sweep_id)
            return store.get_sweep(sweep_id)

        await _act_on_sweep(self, retry)


class SweepResumeHandler(WorkbenchHandler):
    """``POST sweeps/{id}/resume``: `workbench resume` in the background (queued jobs run,
    ended jobs that did not succeed get a new attempt); 409 while a runner runs it."""

    auth_resource = SWEEPS_RESOURCE

    @tornado.web.authenticated
    @authorized("execute")
    async def post(self, sweep_id: str) -> None:
        from workbench.jobs.api import resume

        await _act_on_sweep(self, lambda store: resume(store, sweep_id))


class NotebookParametersHandler(WorkbenchHandler):
    """``GET notebooks/parameters?path=``: the typed schema of the ``parameters`` cell."""

    auth_resource = NOTEBOOKS_RESOURCE

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(NotebookParametersQuery)
        root = self.workbench.root_dir

        def work() -> str:
            path = notebook_under_root(root, query.path)
            schema = notebook_schema(path, name=query.path)
            return build_json(
                lambda: NotebookParameters(
                    path=query.path,
                    parameters=[NotebookParameter(**p) for p in schema.to_json()],
                )
            )

        self.finish(await self.workbench.run(work))  # reads a notebook, not the store


# Patterns relative to <base_url>/workbench/api/ (tornado anchors them with "$").
ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    ("sweeps", SweepsHandler),
    (f"sweeps/{SWEEP_ID}", SweepHandler),
    (f"sweeps/{SWEEP_ID}/retry", SweepRetryHandler),
    (f"sweeps/{SWEEP_ID}/resume", SweepResumeHandler),
    ("notebooks/parameters", NotebookParametersHandler),
]
