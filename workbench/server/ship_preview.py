"""``POST exports/preview``: the files an export would write, before anything runs.

The export dialog shows them as the user picks targets, name and folder. The names come
from the export's own renderer (``workbench.export.manifest.render_files``, fed a manifest
with the chosen name and version), so the preview cannot drift from what is written; the
validation and the wheel builds, which take minutes, happen only when the user exports.
"""

from __future__ import annotations

import platform
from pathlib import Path

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench._version import __version__
from workbench.errors import Conflict, InvalidInput, NotFound
from workbench.server.base import WorkbenchHandler, build_json
from workbench.server.paths import is_file_under_root, resolve_under_root
from workbench.server.ship_handlers import EXPORTS_RESOURCE
from workbench.server.ship_models import ExportPreview, PreviewExport
from workbench.store import Store

WHEELS = "wheels/"  # the package's wheel and Workbench's, named when they are built


def preview_export(store: Store, root: Path, body: PreviewExport) -> ExportPreview:
    from workbench.export import manifest as mf
    from workbench.export.exporter import _next_version
    from workbench.export.names import check_name, default_name, module_name, normalize

    out = resolve_under_root(root, body.out)
    targets = mf.parse_targets(body.targets)
    if body.run_id is not None:
        try:
            run = store.get_run(body.run_id, history=False)
        except NotFound as exc:
            raise InvalidInput(f"run_id: {exc.message}") from None
        stem = Path(run.notebook or "notebook.ipynb").stem
    elif body.path is not None:
        path = resolve_under_root(root, body.path)
        if not is_file_under_root(path):
            raise InvalidInput(f"path: notebook {body.path!r} not found under the server root")
        stem = path.stem
    else:
        if not (body.name and body.version):
            raise InvalidInput("give run_id or path, or name and version of an earlier export")
        record = store.get_export(normalize(body.name), body.version)  # NotFound: a 404
        stem, targets = record.name, mf.parse_targets(body.targets or record.targets)
    name = normalize(body.name) if body.name else default_name(stem)
    check_name(name)
    problem = None
    version = body.version or ""
    if body.run_id is not None or body.path is not None:
        try:
            version = _next_version(store, name, body.version)
        except (Conflict, InvalidInput) as exc:  # a version already taken, or unreadable
            problem = exc.message
    manifest = mf.build_manifest(
        name=name,
        version=version if problem is None else "0.0.0",
        description="",
        notebook_name=f"{stem}.ipynb",
        source_run=body.run_id or "0" * 32,
        notebook_sha256="0" * 64,
        parameters=[],
        defaults={},
        requirements=[],
        python_version=platform.python_version(),
        workbench_version=__version__,
        validation={"checks": []},  # the templates read it; names do not depend on it
    )
    module = module_name(name)
    files = sorted([*mf.render_files(manifest, targets), f"package/src/{module}/notebook.ipynb"])
    replaced = [f for f in files if (out / f).exists()]
    return ExportPreview(
        name=name, version=version, files=[*files, WHEELS], replaced=replaced, problem=problem
    )


class ExportPreviewHandler(WorkbenchHandler):
    """``POST exports/preview``: reads only (``read`` on ``workbench:exports``)."""

    auth_resource = EXPORTS_RESOURCE

    @tornado.web.authenticated
    @authorized("read")
    async def post(self) -> None:
        body = PreviewExport.model_validate_json(self.request.body or b"")
        root = self.workbench.root_dir

        def work(store: Store) -> str:
            return build_json(lambda: preview_export(store, root, body))

        self.finish(await self.workbench.call(work))


# Routed before exports/{...} patterns; relative to <base_url>/workbench/api/.
ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [("exports/preview", ExportPreviewHandler)]
