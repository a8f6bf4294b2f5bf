"""REST handlers for shipping, under ``<base_url>/workbench/api/``.

- ``POST validate``: run the validation gate on a notebook (body: ``ValidateNotebook``);
  200 with the report, passed or not.
- ``POST exports``: export a run or a notebook into a folder under the root (body:
  ``CreateExport``); 201 with what was written; 409 ``validation_failed`` if the gate fails.
- ``GET exports``: the exports registry, newest first.
- ``GET runs/{id}/validation``: the report of a validation run.
- ``POST exports/preview`` is in ``workbench.server.ship_preview``.

Kernels and wheel builds take seconds to minutes: the work runs in a worker thread
(``WorkbenchContext.call``), so the server stays responsive. Both POSTs run notebooks, so
they are authorized as ``execute``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.errors import Forbidden, InvalidInput, NotFound
from workbench.server.base import RUN_ID, WorkbenchHandler, build_json
from workbench.server.paths import is_file_under_root, resolve_under_root
from workbench.server.ship_models import (
    REQUIRE_ORIGINS,
    CreateExport,
    CreateExportResponse,
    ListExportsQuery,
    ListExportsResponse,
    ValidateNotebook,
    export_model,
    report_model,
)
from workbench.store import Store

VALIDATE_RESOURCE = "workbench:validate"
EXPORTS_RESOURCE = "workbench:exports"
T = TypeVar("T")


def _notebook(root: Path, relpath: str, field: str) -> Path:
    path = resolve_under_root(root, relpath)
    if not is_file_under_root(path):  # a field of the body: the caller's 400, not a 404 of the URL
        raise InvalidInput(
            f"{field}: notebook {relpath!r} not found under the server root: "
            "give its path as shown in JupyterLab's file browser"
        )
    return path


class ValidateHandler(WorkbenchHandler):
    """``POST validate``: the gate's report for one notebook."""

    auth_resource = VALIDATE_RESOURCE

    @tornado.web.authenticated
    @authorized("execute")
    async def post(self) -> None:
        body = ValidateNotebook.model_validate_json(self.request.body or b"")
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            from workbench.validate.gate import validate

            path = _notebook(root, body.path, "path")
            report = validate(
                path,
                body.params,
                require=body.require,
                max_seconds=body.max_seconds,
                store=store,
                require_origin=REQUIRE_ORIGINS[body.require_from],
            )
            return build_json(lambda: report_model(report, str(root)))

        self.finish(await self.workbench.call(work))


class ExportsHandler(WorkbenchHandler):
    """``GET exports`` (the registry) and ``POST exports`` (export, or write one again)."""

    auth_resource = EXPORTS_RESOURCE

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(ListExportsQuery)
        root = str(self.workbench.root_dir)

        def work(store: Store) -> str:
            from workbench.export.names import normalize

            found = store.list_exports(
                normalize(query.name) if query.name else None, limit=query.limit
            )
            return build_json(
                lambda: ListExportsResponse(exports=[export_model(e, root) for e in found])
            )

        self.finish(await self.workbench.call(work))

    @tornado.web.authenticated
    @authorized("execute")
    async def post(self) -> None:
        body = CreateExport.model_validate_json(self.request.body or b"")
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            from workbench.export.exporter import export

            out = resolve_under_root(root, body.out)
            if out == root:
                raise Forbidden("out: give a folder under the server root, not the root itself")
            if out.exists() and not out.is_dir():
                raise InvalidInput(f"out: {body.out!r} is a file, not a folder")
            source: str | None = None
            if body.path is not None:
                source = str(_notebook(root, body.path, "path"))
            elif body.run_id is not None:
                try:
                    source = store.get_run(body.run_id, history=False).run_id
                except NotFound as exc:
                    raise InvalidInput(f"run_id: {exc.message}") from None
            result = export(
                source,
                out=out,
                targets=body.targets,
                name=body.name,
                version=body.version,
                description=body.description,
                params=body.params,
                require=body.require,
                max_seconds=body.max_seconds,
                store=store,
            )
            return build_json(
                lambda: CreateExportResponse(
                    export=export_model(result.export, str(root)),
                    files=result.files,
                    report=report_model(result.report, str(root)) if result.report else None,
                )
            )

        answer = await self.workbench.call(work)
        self.set_status(201)
        self.finish(answer)


class RunValidationHandler(WorkbenchHandler):
    """``GET runs/{id}/validation``: the report stored with a validation run (404 for a
    run without one), for the run page and the report tab."""

    auth_resource = VALIDATE_RESOURCE

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        root = str(self.workbench.root_dir)

        def work(store: Store) -> str:
            from workbench.validate.gate import load_report

            report = load_report(store, store.get_run(run_id, history=False))
            if report is None:
                raise NotFound(f"run {run_id[:8]} has no validation report: it is not a validation")
            return build_json(lambda: report_model(report, root))

        self.finish(await self.workbench.call(work))


# Patterns relative to <base_url>/workbench/api/ (tornado anchors them with "$").
ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    ("validate", ValidateHandler),
    ("exports", ExportsHandler),
    (f"runs/{RUN_ID}/validation", RunValidationHandler),
]
