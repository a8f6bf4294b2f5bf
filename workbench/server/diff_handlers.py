"""``GET diff?base=&remote=``: two runs side by side (params, metrics, tags and
provenance as summaries the view lines up) and their executed notebooks diffed cell by
cell with nbdime (workbench.notebooks.diff)."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.errors import NotFound
from workbench.notebooks.diff import diff_notebooks, read_ipynb
from workbench.server.base import WorkbenchHandler, build_json
from workbench.server.models import run_summary
from workbench.server.run_models import CellDiffModel, DiffQuery, LineModel, RunDiff
from workbench.store import Store


def run_diff(store: Store, base_id: str, remote_id: str, root: str) -> RunDiff:
    base, remote = store.get_run(base_id, history=False), store.get_run(remote_id, history=False)
    cells = None
    message = None
    lacking = [r for r in (base, remote) if r.executed_notebook is None]
    if lacking:
        message = (
            f"run {lacking[0].run_id[:8]} has no executed notebook (only jobs keep one): "
            "its params, metrics and tags are compared, not its cells"
        )
    else:
        try:
            left = read_ipynb(store.executed_notebook(base_id), f"run {base_id[:8]}")
            right = read_ipynb(store.executed_notebook(remote_id), f"run {remote_id[:8]}")
        except NotFound as exc:
            message = exc.message
        else:
            cells = [
                CellDiffModel(
                    status=c.status,  # type: ignore[arg-type]
                    cell_type=c.cell_type,
                    base_index=c.base_index,
                    remote_index=c.remote_index,
                    source=[LineModel(op=line.op, text=line.text) for line in c.source],  # type: ignore[arg-type]
                    outputs=[LineModel(op=line.op, text=line.text) for line in c.outputs],  # type: ignore[arg-type]
                    source_changed=c.source_changed,
                    outputs_changed=c.outputs_changed,
                )
                for c in diff_notebooks(left, right)
            ]
    return RunDiff(
        base=run_summary(base, root),
        remote=run_summary(remote, root),
        base_provenance=base.provenance,
        remote_provenance=remote.provenance,
        cells=cells,
        message=message,
    )


class DiffHandler(WorkbenchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(DiffQuery)
        root = str(self.workbench.root_dir)

        def work(store: Store) -> str:
            return build_json(lambda: run_diff(store, query.base, query.remote, root))

        self.finish(await self.workbench.call(work))


ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [("diff", DiffHandler)]
