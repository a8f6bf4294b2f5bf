"""A job's log: the stdout, stderr and errors of its cells as they arrive, read by offset.

The job runner (:mod:`workbench.notebooks.engine`) appends every stream and error output of
the notebook to ``<home>/tmp/<run_id>.log`` as the kernel sends it; a line names the cell
(``In [n]``, as its traceback does) before its first output. When the job ends the log is
stored as the run's ``job.log`` artifact and the file removed, so a reader switches from one
to the other without a gap (the artifact exists before the file goes) and the offsets stay
the same (same bytes).

The log is capped: ``MAX_LOG_BYTES`` (1 MiB) of output; past that, error outputs only, up to
``ERROR_RESERVE_BYTES`` (256 KiB) more, so a failure at the end of a chatty job still shows.
One line says where and why it was cut. The executed notebook keeps every output.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.entities import Run
    from workbench.notebooks.progress import CellProgress
    from workbench.store import Store

LOG_ARTIFACT = "job.log"
PROGRESS_ARTIFACT = "progress.json"
SUFFIX = ".log"
MAX_LOG_BYTES = 1024 * 1024
ERROR_RESERVE_BYTES = 256 * 1024
MAX_READ_BYTES = 1024 * 1024
CUT_NOTE = (
    "\n[workbench: more than {cap} of output: the rest is left out of this log, errors "
    "still show; the executed notebook has every output]\n"
)
FULL_NOTE = "\n[workbench: the log stops here at {cap}; the executed notebook has every output]\n"
_RUN_ID = re.compile(r"[0-9a-f]{32}")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def log_path(home: str | os.PathLike[str], run_id: str) -> Path:
    return Path(home) / "tmp" / f"{run_id}{SUFFIX}"


def output_text(output: Any) -> tuple[str, bool] | None:
    """The text of a stream or error output and whether it is an error; None for others."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        return ("".join(text) if isinstance(text, list) else str(text)), False
    if kind == "error":
        lines = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
        return _ANSI.sub("", "\n".join(lines)) + "\n", True
    return None


class JobLogWriter:
    """Appends one job's outputs to its log file (opened in append mode: a second kernel
    start of the same job goes on writing after the first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None
        self.size = 0
        self._cell: int | None = None
        self._cut = False
        self._full = False

    def cell_output(
        self, cell_index: int, first_line: str, output: Any, count: int | None = None
    ) -> None:
        """Append one output of cell ``cell_index`` (``count``: its execution count, the
        ``In [n]`` the notebook and its tracebacks show; the cell's index without one)."""
        found = output_text(output)
        if found is None or self._full:
            return
        text, is_error = found
        if not text or (self._cut and not is_error):
            return
        if cell_index != self._cell:
            self._cell = cell_index
            name = f"In [{count}]" if count is not None else f"cell {cell_index}"
            text = f"── {name}" + (f": {first_line}" if first_line else "") + "\n" + text
        data = text.encode("utf-8", errors="replace")
        room = MAX_LOG_BYTES + (ERROR_RESERVE_BYTES if is_error else 0) - self.size
        if len(data) <= room:
            self._write(data)
            return
        self._write(_utf8_prefix(data, max(room, 0)))
        if is_error:
            self._full = True
            self._write(FULL_NOTE.format(cap=_size_text(MAX_LOG_BYTES + ERROR_RESERVE_BYTES)))
        else:
            self._cut = True
            self._write(CUT_NOTE.format(cap=_size_text(MAX_LOG_BYTES)))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not data:
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")  # noqa: SIM115 (open across many calls)
            self.size = self._file.tell()
        self._file.write(data)
        self._file.flush()  # a reader in another process sees it now; no fsync: scratch
        self.size += len(data)


def keep_log(store: Store, run_id: str) -> bool:
    """Store the job's log file as its ``job.log`` artifact, and its last progress record
    as ``progress.json``, then remove the log file (the recorder removes the progress file).
    Never raises: a log that cannot be kept must not change how the job ended."""
    from workbench.notebooks.progress import progress_path

    home = store.location.home
    kept = False
    try:
        progress = progress_path(home, run_id)
        if progress.is_file():
            store.put_artifact_file(run_id, PROGRESS_ARTIFACT, str(progress))
        path = log_path(home, run_id)
        if path.is_file():
            store.put_artifact_file(run_id, LOG_ARTIFACT, str(path))
            path.unlink(missing_ok=True)
            kept = True
    except Exception:  # the store's own error is the job's business, not the log's
        return False
    return kept


def stored_progress(store: Store, run: Run) -> CellProgress | None:
    """The last progress record of an ended job (``run`` read with its artifacts)."""
    from workbench.notebooks.progress import CellProgress

    artifact = next((a for a in run.artifacts if a.name == PROGRESS_ARTIFACT), None)
    if artifact is None:
        return None
    try:
        return CellProgress(**json.loads(store.blobs.read_bytes(artifact.digest)))
    except (ValueError, TypeError, WorkbenchError):
        return None


@dataclass(frozen=True)
class LogChunk:
    """Bytes ``[offset, next_offset)`` of a job's log, decoded; ``size`` is the log's size
    now; ``final`` when the log will not grow any more (it was stored with the ended job)."""

    text: str
    offset: int
    next_offset: int
    size: int
    final: bool


def read_log(
    store: Store, run_id: str, offset: int = 0, limit: int = 65536, run: Run | None = None
) -> LogChunk:
    """Up to ``limit`` bytes of the log of ``run_id`` from ``offset``, ending on a whole
    character. The running job's file first, else the ended job's artifact (read from
    ``offset`` only); an empty chunk if the run has neither (not a job, or it has not
    printed anything yet). ``run``: the run, if the caller read it already."""
    from workbench.errors import InvalidInput

    if offset < 0 or limit < 1 or limit > MAX_READ_BYTES:
        raise InvalidInput(
            f"offset {offset} / limit {limit}: give an offset of 0 or more and a limit "
            f"from 1 to {MAX_READ_BYTES}"
        )
    # A run id is 32 hex digits; anything else is no file of ours (the store says NotFound).
    path = log_path(store.location.home, run_id if _RUN_ID.fullmatch(run_id) else "-")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(min(offset, size))
            data = f.read(min(limit, max(size - offset, 0)))
        final = False
    except FileNotFoundError:
        if run is None or not run.status.finished:  # it may have ended since: read again
            run = store.get_run(run_id, history=False)  # NotFound for an unknown run
        artifact = next((a for a in run.artifacts if a.name == LOG_ARTIFACT), None)
        if artifact is None:
            data, size, final = b"", 0, run.status.finished
            if offset > 0 and not final:
                # the job's file is not there yet or was just stored: read again shortly
                return LogChunk("", offset, offset, offset, False)
        else:
            data, size = store.blobs.read_range(artifact.digest, offset, limit)
            final = True
    if offset > size:
        raise InvalidInput(
            f"offset {offset} is past the end of the log ({size} bytes): read from 0 again"
        )
    whole = _utf8_prefix(data, len(data)) if offset + len(data) < size else data
    return LogChunk(
        text=whole.decode("utf-8", errors="replace"),
        offset=offset,
        next_offset=offset + len(whole),
        size=size,
        final=final and offset + len(whole) >= size,
    )


def _utf8_prefix(data: bytes, limit: int) -> bytes:
    """The longest prefix of ``data[:limit]`` that does not end inside a UTF-8 character."""
    cut = data[:limit]
    for back in range(1, min(4, len(cut)) + 1):
        byte = cut[-back]
        if byte < 0x80:  # ASCII: whole
            return cut
        if byte >= 0xC0:  # a lead byte: whole if its sequence fits
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return cut if back >= need else cut[:-back]
    return cut


def _size_text(n: int) -> str:
    return f"{n // 1024} KiB" if n < 1024 * 1024 else f"{n / (1024 * 1024):g} MiB"
