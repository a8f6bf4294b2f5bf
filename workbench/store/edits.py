"""Edits of a run after the fact (its name, its tags) and the keys runs use, for the faces
that let a user rename, tag and annotate runs and complete field names. Mixed into Store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Engine, delete, select, update

from workbench.entities import check_key
from workbench.store.engine import write_connection
from workbench.store.rows import require_run, write_tags
from workbench.store.schema import LatestMetricRow, ParamRow, RunRow, TagRow


class RunEdits:
    engine: Engine

    def edit_run(
        self,
        run_id: str,
        *,
        name: str | None = None,
        clear_name: bool = False,
        set_tags: Mapping[str, str] | None = None,
        remove_tags: Iterable[str] = (),
    ) -> None:
        """Rename a run (or clear its name) and set or remove tags, in one transaction:
        every key and the name are checked before anything is written."""
        if name is not None:
            check_key("run", name)
        tags = {check_key("tag", k): str(v) for k, v in (set_tags or {}).items()}
        removed = [check_key("tag", k) for k in remove_tags]
        with write_connection(self.engine) as conn, conn.begin():
            require_run(conn, run_id)
            if name is not None or clear_name:
                conn.execute(update(RunRow).where(RunRow.run_id == run_id).values(name=name))
            if removed:
                conn.execute(delete(TagRow).where(TagRow.run_id == run_id, TagRow.key.in_(removed)))
            write_tags(conn, run_id, tags)

    def field_keys(self, limit: int = 2000) -> dict[str, list[str]]:
        """The distinct keys of params, metrics and tags (at most ``limit`` each, sorted),
        for completing field names such as ``metrics.acc`` in a query."""
        out: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for prefix, column in (
                ("params", ParamRow.key),
                ("metrics", LatestMetricRow.key),
                ("tags", TagRow.key),
            ):
                out[prefix] = list(
                    conn.execute(select(column).distinct().order_by(column).limit(limit)).scalars()
                )
        return out
