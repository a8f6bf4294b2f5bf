"""Deleting runs (a state, restorable) and collecting what nothing refers to any more.

``delete_runs`` marks runs deleted: they leave listings but keep everything, and
``restore_runs`` brings them back. ``collect_garbage`` (``workbench gc``) removes, for good:
runs deleted longer ago than the retention (unless an export still names them), artifact
blobs no run refers to, and temporary files no live job uses. Mixed into Store.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select, update

from workbench.errors import Conflict, NotFound
from workbench.store.base import StoreBase
from workbench.store.engine import write_connection
from workbench.store.schema import ArtifactRow, ExportRow, RunRow
from workbench.store.sweeps import ACTIVE

# Files younger than this are left alone: a blob written a moment ago may not be linked to
# its run yet, and a scratch folder may belong to a validation still starting.
GRACE_S = 3600.0
_RUN_FILE = re.compile(r"(?P<run_id>[0-9a-f]{32})(\..+)?")


@dataclass
class GcReport:
    """What ``collect_garbage`` removed (or, with ``dry_run``, would remove)."""

    dry_run: bool
    runs: list[str] = field(default_factory=list)  # deleted runs purged
    kept_exported: list[str] = field(default_factory=list)  # past retention, still exported
    blobs: list[tuple[Path, int]] = field(default_factory=list)  # unreferenced artifacts
    temporary: list[tuple[Path, int]] = field(default_factory=list)  # stray scratch files

    @property
    def freed_bytes(self) -> int:
        return sum(size for _, size in (*self.blobs, *self.temporary))


class RetentionStore(StoreBase):
    def delete_runs(self, run_ids: Sequence[str]) -> int:
        """Mark runs deleted (kept, restorable until `workbench gc` passes the retention).
        A queued or running run is refused: cancel it first."""
        ids = list(dict.fromkeys(run_ids))
        with write_connection(self.engine) as conn, conn.begin():
            rows = {
                run_id: status
                for run_id, status in conn.execute(
                    select(RunRow.run_id, RunRow.status).where(RunRow.run_id.in_(ids))
                )
            }
            missing = [r for r in ids if r not in rows]
            if missing:
                raise NotFound(f"no run with id {missing[0]!r}: list runs with `workbench runs`")
            active = [r for r in ids if rows[r] in ACTIVE]
            if active:
                raise Conflict(
                    f"run {active[0][:8]} is {rows[active[0]]}: cancel it before deleting it"
                )
            return conn.execute(
                update(RunRow)
                .where(RunRow.run_id.in_(ids), RunRow.deleted_at.is_(None))
                .values(deleted_at=time.time())
            ).rowcount

    def restore_runs(self, run_ids: Sequence[str]) -> int:
        ids = list(dict.fromkeys(run_ids))
        with write_connection(self.engine) as conn, conn.begin():
            return conn.execute(
                update(RunRow)
                .where(RunRow.run_id.in_(ids), RunRow.deleted_at.is_not(None))
                .values(deleted_at=None)
            ).rowcount

    def collect_garbage(self, *, retention_s: float, dry_run: bool = False) -> GcReport:
        """Purge runs deleted more than ``retention_s`` ago, then unreferenced blobs and
        stray temporary files (all older than an hour)."""
        report = GcReport(dry_run=dry_run)
        cutoff = time.time() - retention_s
        with write_connection(self.engine) as conn, conn.begin():
            expired = set(
                conn.execute(
                    select(RunRow.run_id).where(
                        RunRow.deleted_at.is_not(None), RunRow.deleted_at < cutoff
                    )
                ).scalars()
            )
            exported = set(
                conn.execute(
                    select(ExportRow.run_id).where(ExportRow.run_id.in_(expired))
                ).scalars()
            )
            report.kept_exported = sorted(expired & exported)
            report.runs = sorted(expired - exported)
            if report.runs and not dry_run:
                conn.execute(delete(RunRow).where(RunRow.run_id.in_(report.runs)))
            # What the runs that stay refer to (the purged ones are gone, or would be).
            referenced: set[str | None] = set(
                conn.execute(
                    select(ArtifactRow.digest).where(ArtifactRow.run_id.not_in(report.runs))
                ).scalars()
            )
            referenced |= set(
                conn.execute(
                    select(RunRow.executed_notebook).where(
                        RunRow.executed_notebook.is_not(None), RunRow.run_id.not_in(report.runs)
                    )
                ).scalars()
            )
            active = set(
                conn.execute(select(RunRow.run_id).where(RunRow.status.in_(ACTIVE))).scalars()
            )
        now = time.time()
        report.blobs = _stale(
            (p for p in _blob_files(self.blobs.root) if p.name not in referenced), now
        )
        report.temporary = _stale(_temporary(self.location.home, self.blobs.root, active), now)
        if not dry_run:
            for path, _ in (*report.blobs, *report.temporary):
                _remove(path)
        return report


def _blob_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.is_dir() and len(folder.name) == 2:
            for path in folder.iterdir():
                if path.is_file() and len(path.name) == 64:
                    yield path


def _temporary(home: Path, blob_root: Path, active: set[str]) -> Iterator[Path]:
    """Half-written blobs, and job scratch files of runs that are not queued or running."""
    if blob_root.is_dir():
        yield from blob_root.glob("*/.tmp-*")
    tmp = home / "tmp"
    if tmp.is_dir():
        for path in tmp.iterdir():
            match = _RUN_FILE.fullmatch(path.name)
            if match is not None and match["run_id"] in active:
                continue
            yield path


def _stale(paths: Iterable[Path], now: float) -> list[tuple[Path, int]]:
    out: list[tuple[Path, int]] = []
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if now - info.st_mtime < GRACE_S:
            continue
        size = info.st_size if not path.is_dir() else _tree_size(path)
        out.append((path, size))
    return sorted(out)


def _tree_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if not p.is_dir())


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass
