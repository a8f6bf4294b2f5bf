"""How far a running job's notebook has got: cells done of total, and the cell running now.

The job runner keeps a tiny JSON record beside the notebook it executes
(``<home>/tmp/<run_id>.progress.json``) and removes it when the job ends. Cells only update
it in memory; a background thread replaces the file atomically at most every
``PROGRESS_EVERY_S`` seconds when it changed, so a notebook of 10,000 quick cells pays for
a few hundred small writes, not 10,000, and a long cell shows as running within a fraction
of a second. Any process that sees the store's home folder can read it: the CLI, the
server, a widget.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.store import Store

SUFFIX = ".progress.json"
SOURCE_CHARS = 120  # of the running cell's first line
PROGRESS_EVERY_S = 0.25


@dataclass(frozen=True)
class CellProgress:
    run_id: str
    cells_done: int  # cells finished, of cells_total
    cells_total: int
    current_cell: int | None  # index of the cell running now; None before the first, after the last
    current_source: str  # the first non-blank line of that cell's source, shortened
    updated_at: float  # unix time of the last change

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def progress_path(home: str | os.PathLike[str], run_id: str) -> Path:
    return Path(home) / "tmp" / f"{run_id}{SUFFIX}"


def first_line(source: str | list[str]) -> str:
    text = ("".join(source) if isinstance(source, list) else source)[:4000]
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= SOURCE_CHARS else line[: SOURCE_CHARS - 3] + "..."


def write_progress(path: Path, progress: CellProgress) -> None:
    """Replace the record atomically: a reader sees the old one or the new one, never half.
    One job writes it, so its temporary name is fixed; no fsync: it is gone with the job."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(progress.to_json(), separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


class ProgressWriter:
    """Keeps one job's progress record: ``update`` from the executing thread (cheap), a
    daemon thread writing the latest state when it changed, ``close`` writing the last."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path, self.run_id = path, run_id
        self._state: tuple[int, int, int | None, str] | None = None
        self._written: tuple[int, int, int | None, str] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, done: int, total: int, current: int | None, source: str) -> None:
        self._state = (done, total, current, source)  # one assignment: the thread sees all
        if self._thread is None:
            self._flush()  # the first state at once
            self._thread = threading.Thread(
                target=self._run, name=f"workbench-progress-{self.run_id[:8]}", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop the thread and write the final state."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._flush()

    def _run(self) -> None:
        while not self._stop.wait(PROGRESS_EVERY_S):
            try:
                self._flush()
            except OSError:  # the tmp folder went away: the job ends soon; try again
                pass

    def _flush(self) -> None:
        state = self._state
        if state is None or state == self._written:
            return
        done, total, current, source = state
        write_progress(
            self.path, CellProgress(self.run_id, done, total, current, source, time.time())
        )
        self._written = state


def read_progress(run_id: str, store: Store | None = None) -> CellProgress | None:
    """The progress of the running job ``run_id``; None when no record exists (the job is
    queued or finished, or runs on a host that does not share the store's home folder)."""
    if store is None:
        from workbench.store import open_store

        store = open_store()
    path = progress_path(store.location.home, run_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CellProgress(**data)
    except (OSError, ValueError, TypeError):  # none yet, gone, or replaced under us
        return None
