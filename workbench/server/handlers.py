"""REST handlers for runs: ``GET runs``, ``GET runs/{run_id}``, ``GET runs/{run_id}/notebook``."""

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
from workbench.store import RunFilter, Store


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
                rows = [list(r) for r in zip(*(table.data[c] for c in table.columns), strict=True)]
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


class RunHandler(WorkbenchHandler):
    """``GET runs/{run_id}``: one run with metric histories, provenance and artifacts."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        root = str(self.workbench.root_dir)

        def work(store: Store) -> str:
            run = store.get_run(run_id)
            return build_json(lambda: run_detail(run, root))

        self.finish(await self.workbench.call(work))


class RunNotebookHandler(WorkbenchHandler):
    """``GET runs/{run_id}/notebook``: the executed notebook (.ipynb JSON) of a job run."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        data = await self.workbench.call(lambda store: store.executed_notebook(run_id))
        self.finish(data, set_content_type="application/json")


# Patterns relative to <base_url>/workbench/api/ (tornado anchors them with "$").
ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    ("runs", RunsHandler),
    (f"runs/{RUN_ID}", RunHandler),
    (f"runs/{RUN_ID}/notebook", RunNotebookHandler),
]
