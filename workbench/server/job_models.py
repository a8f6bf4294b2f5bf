"""Pydantic models of a job's live state at the REST boundary: its progress by cell and
its log. labextension/src/sweepsApi.ts mirrors them field for field."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workbench.entities import RunStatus
from workbench.notebooks.joblog import MAX_LOG_BYTES, MAX_READ_BYTES
from workbench.notebooks.progress import CellProgress
from workbench.server.models import iso


class CellProgressModel(BaseModel):
    """How far a job's notebook has got (the job runner's progress record)."""

    cells_done: int  # cells finished, of cells_total
    cells_total: int
    current_cell: int | None  # index of the cell running now (0 is the first cell)
    current_source: str  # that cell's first non-blank line, shortened
    updated_at: str


def progress_model(progress: CellProgress | None) -> CellProgressModel | None:
    if progress is None:
        return None
    return CellProgressModel(
        cells_done=progress.cells_done,
        cells_total=progress.cells_total,
        current_cell=progress.current_cell,
        current_source=progress.current_source,
        updated_at=iso(progress.updated_at) or "",
    )


class JobLogQuery(BaseModel):
    """``GET runs/{id}/log``: the bytes of the log from ``offset`` (0, then the answer's
    ``next_offset`` to get only what is new)."""

    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=64 * 1024, ge=1, le=MAX_READ_BYTES)


class JobLog(BaseModel):
    """A job's output so far (stdout, stderr, errors of its cells), from ``offset``."""

    run_id: str
    status: RunStatus
    text: str
    offset: int
    next_offset: int  # ask from here next time
    size: int  # bytes in the log now
    final: bool  # the job ended and this is the end of its log: no need to ask again
    cap_bytes: int = MAX_LOG_BYTES  # output past this is left out (errors still show)
    progress: CellProgressModel | None  # running: now; ended: where it stopped
