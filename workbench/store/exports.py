"""Exports in the store: each exported (name, version) with its source run, validation
result, targets, folder and the manifest the templates were rendered from, so an earlier
version can be written again (rollback). Mixed into Store."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from workbench.entities import Export
from workbench.errors import Conflict, NotFound
from workbench.store.base import StoreBase
from workbench.store.engine import write_connection
from workbench.store.schema import ExportRow, RunRow, table_of


class ExportStore(StoreBase):
    def create_export(
        self,
        *,
        name: str,
        version: str,
        run_id: str,
        validation_passed: bool,
        targets: list[str],
        path: str,
        notebook_sha256: str,
        manifest: dict[str, Any],
    ) -> Export:
        """Record a new exported version; Conflict if (name, version) is taken."""
        export = Export(
            export_id=uuid.uuid4().hex,
            name=name,
            version=version,
            run_id=run_id,
            validation_passed=validation_passed,
            targets=list(targets),
            path=path,
            notebook_sha256=notebook_sha256,
            created_at=time.time(),
            manifest=manifest,
        )
        try:
            with write_connection(self.engine) as conn, conn.begin():
                conn.execute(
                    table_of(ExportRow)
                    .insert()
                    .values(
                        export_id=export.export_id,
                        name=name,
                        version=version,
                        run_id=run_id,
                        validation_passed=validation_passed,
                        targets=json.dumps(export.targets),
                        path=path,
                        notebook_sha256=notebook_sha256,
                        manifest=json.dumps(manifest),
                        created_at=export.created_at,
                    )
                )
        except IntegrityError:
            raise Conflict(
                f"{name} {version} was already exported: give another --version, or leave it "
                "out to take the next one"
            ) from None
        return export

    def set_export_path(self, export_id: str, path: str, targets: list[str]) -> None:
        """A rollback wrote the version again, maybe elsewhere: remember where."""
        with write_connection(self.engine) as conn, conn.begin():
            conn.execute(
                update(ExportRow)
                .where(ExportRow.export_id == export_id)
                .values(path=path, targets=json.dumps(targets))
            )

    def list_exports(self, name: str | None = None, *, limit: int | None = None) -> list[Export]:
        """Newest first; only versions of ``name`` (normalized) when given."""
        query = select(ExportRow).order_by(ExportRow.created_at.desc())
        if name is not None:
            query = query.where(ExportRow.name == name)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_entity(row) for row in conn.execute(query)]

    def get_export(self, name: str, version: str) -> Export:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ExportRow).where(ExportRow.name == name, ExportRow.version == version)
            ).first()
        if row is None:
            raise NotFound(
                f"{name} {version} was never exported: list versions with `workbench exports`"
            )
        return _entity(row)

    def relabel_run_notebook(self, run_id: str, notebook: str) -> None:
        """Point a run at the notebook it stands for (a rerun executes a temporary copy)."""
        with write_connection(self.engine) as conn, conn.begin():
            conn.execute(update(RunRow).where(RunRow.run_id == run_id).values(notebook=notebook))


def _entity(row: Any) -> Export:
    return Export(
        export_id=row.export_id,
        name=row.name,
        version=row.version,
        run_id=row.run_id,
        validation_passed=bool(row.validation_passed),
        targets=json.loads(row.targets),
        path=row.path,
        notebook_sha256=row.notebook_sha256,
        created_at=row.created_at,
        manifest=json.loads(row.manifest),
    )
