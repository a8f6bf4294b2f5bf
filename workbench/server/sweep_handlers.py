"""REST handlers for sweeps and notebook parameters, under ``<base_url>/workbench/api/``.

- ``GET sweeps``: the newest sweeps with their progress counts.
- ``POST sweeps``: launch a sweep (body: ``CreateSweep``); 201 with the new sweep.
- ``GET sweeps/{id}``: one sweep, its counts and its runs (every attempt, see ``run_order``).
- ``DELETE sweeps/{id}``: request cancellation; 200 with the sweep.
- ``GET notebooks/parameters?path=``: a notebook's typed parameter schema.

The handlers only translate: the sweep engine (``workbench.jobs.api``) validates specs and
runs jobs, the same code behind ``workbench sweep``. Store and file work runs in a thread.
Launching runs notebooks, so POST is authorized as ``execute``, not ``write``.
"""

from __future__ import annotations

from pathlib import Path

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.entities import JobRun, RunStatus, Sweep
from workbench.errors import InvalidInput, NotFound
from workbench.notebooks.schema import notebook_schema
from workbench.server.base import WorkbenchHandler, build_json
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


def describe_sweep(
    store: Store, sweep: Sweep, root: Path, *, limit: int = 500, offset: int = 0
) -> DescribeSweep:
    """The sweep with one page of its runs (every attempt), in ``run_order``."""
    jobs = sorted(store.job_runs(sweep.sweep_id), key=run_order)
    page = jobs[offset : offset + limit]
    ids = [j.run_id for j in page]
    found = store.search_runs(RunFilter(run_ids=ids))[0] if ids else []
    by_id = {run.run_id: run for run in found}
    runs = [
        SweepRun(
            **run_summary(by_id[j.run_id], str(root)).model_dump(),
            job_key=j.job_key,
            attempt=j.attempt,
        )
        for j in page
        if j.run_id in by_id
    ]
    return DescribeSweep(
        **sweep_summary(sweep, root).model_dump(),
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
            return build_json(
                lambda: ListSweepsResponse(
                    sweeps=[sweep_summary(s, root) for s in sweeps], limit=query.limit
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
                lambda: describe_sweep(store, sweep, root, limit=query.limit, offset=query.offset)
            )

        self.finish(await self.workbench.call(work))

    @tornado.web.authenticated
    @authorized
    async def delete(self, sweep_id: str) -> None:
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            from workbench.jobs.api import cancel_sweep

            sweep = cancel_sweep(store, sweep_id)
            return build_json(lambda: describe_sweep(store, sweep, root))

        self.finish(await self.workbench.call(work))


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

        self.finish(await self.workbench.call(lambda _store: work()))


# Patterns relative to <base_url>/workbench/api/ (tornado anchors them with "$").
ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    ("sweeps", SweepsHandler),
    (f"sweeps/{SWEEP_ID}", SweepHandler),
    ("notebooks/parameters", NotebookParametersHandler),
]
