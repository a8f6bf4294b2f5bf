"""REST handlers for runs.

- ``GET runs``: a page of runs (the query language, paging, columns).
- ``GET runs/{id}``: the run page's data (summaries, downsampled histories, note, sweep).
- ``PATCH runs/{id}``: rename, set or remove tags, edit the note (``EditRun``).
- ``DELETE runs/{id}``: mark the run deleted (a state: ``POST runs/{id}/restore`` undoes it).
- ``GET runs/{id}/notebook``: the executed notebook (.ipynb JSON) of a job run.
- ``GET fields``: the fields and experiments the query bar completes.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.server.base import RUN_ID, WorkbenchHandler, build_json
from workbench.server.models import (
    ListRunsQuery,
    ListRunsResponse,
    run_detail,
    run_summary,
)
from workbench.server.paths import resolve_under_root
from workbench.server.run_models import (
    NOTE_TAG,
    EditRun,
    FieldsResponse,
    MetricSummaryModel,
    RunDeleted,
    RunPage,
    RunPageQuery,
)
from workbench.store import RunFilter, Store
from workbench.store.query_fields import BASE_FIELDS, METRIC_SUMMARIES


class RunsHandler(WorkbenchHandler):
    """``GET runs``: a page of runs and the total that match: filtered by the query language
    (``where``) and notebook/experiment/status, sorted by ``order_by`` (newest first by
    default); with ``columns``, exactly those fields as rows."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(ListRunsQuery)
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            notebook = str(resolve_under_root(root, query.notebook)) if query.notebook else None
            filt = RunFilter(
                notebook=notebook,
                experiment=query.experiment,
                status=query.status,
                deleted=query.deleted,
            )
            where, order_by = query.where, query.order_by
            limit, offset = query.limit, query.offset
            if query.columns is not None:
                names = [c.strip() for c in query.columns.split(",") if c.strip()]
                table = store.run_table(
                    filt, where=where, order_by=order_by, limit=limit, offset=offset, columns=names
                )
                rows = table.rows()
                return build_json(
                    lambda: ListRunsResponse(
                        runs=[],
                        total=table.total,
                        columns=table.columns,
                        rows=rows,
                        limit=limit,
                        offset=offset,
                    )
                )
            runs, total = store.search_runs(
                filt, where=where, order_by=order_by, limit=limit, offset=offset
            )
            return build_json(
                lambda: ListRunsResponse(
                    runs=[run_summary(run, str(root), listing=True) for run in runs],
                    total=total,
                    limit=limit,
                    offset=offset,
                )
            )

        self.finish(await self.workbench.call(work))


def run_page(store: Store, run_id: str, root: str, max_points: int) -> RunPage:
    """Everything the run page shows, histories downsampled on the way out."""
    run = store.get_run(run_id)
    detail = run_detail(run, root, max_points=max_points)
    return RunPage(
        **detail.model_dump(),
        metric_summary={
            key: MetricSummaryModel(last=s.last, min=s.min, max=s.max, count=s.count, step=s.step)
            for key, s in run.metric_summary.items()
        },
        max_points=max_points,
        sweep_id=store.job_info(run_id).sweep_id,
        note=run.tags.get(NOTE_TAG, ""),
        deleted=run.deleted_at is not None,
    )


class RunHandler(WorkbenchHandler):
    """``GET``, ``PATCH`` and ``DELETE runs/{run_id}``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        query = self.parse_query(RunPageQuery)
        root = str(self.workbench.root_dir)

        def work(store: Store) -> str:
            return build_json(lambda: run_page(store, run_id, root, query.max_points))

        self.finish(await self.workbench.call(work))

    @tornado.web.authenticated
    @authorized
    async def patch(self, run_id: str) -> None:
        edit = EditRun.model_validate_json(self.request.body or b"{}")
        given = edit.model_fields_set
        root = str(self.workbench.root_dir)
        tags = dict(edit.tags or {})
        if "note" in given:
            tags[NOTE_TAG] = edit.note or None  # an empty note removes the tag

        def work(store: Store) -> str:
            store.edit_run(
                run_id,
                name=edit.name or None,
                clear_name="name" in given and not edit.name,
                set_tags={k: v for k, v in tags.items() if v is not None},
                remove_tags=[k for k, v in tags.items() if v is None],
            )
            return build_json(lambda: run_page(store, run_id, root, RunPageQuery().max_points))

        self.finish(await self.workbench.call(work))

    @tornado.web.authenticated
    @authorized
    async def delete(self, run_id: str) -> None:
        await self.workbench.call(lambda store: store.delete_runs([run_id]))
        self.finish(RunDeleted(run_id=run_id, deleted=True).model_dump_json())


class RestoreRunHandler(WorkbenchHandler):
    """``POST runs/{run_id}/restore``: bring a deleted run back."""

    @tornado.web.authenticated
    @authorized
    async def post(self, run_id: str) -> None:
        def work(store: Store) -> None:
            store.get_run(run_id, history=False)  # 404 for an unknown id
            store.restore_runs([run_id])

        await self.workbench.call(work)
        self.finish(RunDeleted(run_id=run_id, deleted=False).model_dump_json())


class RunNotebookHandler(WorkbenchHandler):
    """``GET runs/{run_id}/notebook``: the executed notebook (.ipynb JSON) of a job run."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        data = await self.workbench.call(lambda store: store.executed_notebook(run_id))
        self.finish(data, set_content_type="application/json")


class FieldsHandler(WorkbenchHandler):
    """``GET fields``: base fields, the keys of params, metrics and tags, and experiments."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        def work(store: Store) -> str:
            keys = store.field_keys()
            return FieldsResponse(
                base=list(BASE_FIELDS),
                params=keys["params"],
                metrics=keys["metrics"],
                tags=keys["tags"],
                summaries=list(METRIC_SUMMARIES),
                experiments=store.experiments(),
            ).model_dump_json()

        self.finish(await self.workbench.call(work))


# Patterns relative to <base_url>/workbench/api/ (tornado anchors them with "$").
ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    ("runs", RunsHandler),
    (f"runs/{RUN_ID}", RunHandler),
    (f"runs/{RUN_ID}/notebook", RunNotebookHandler),
]
# The explorer's routes beyond the first three (tests/test_server_runs_*.py cover them).
EXPLORE_ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    (f"runs/{RUN_ID}/restore", RestoreRunHandler),
    ("fields", FieldsHandler),
]
