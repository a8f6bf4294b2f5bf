"""Content-addressed files beside the database, written atomically.

A blob is stored once under ``artifacts/<first two hex digits>/<sha256>``: written to a
temporary file in the same folder, fsynced, then ``os.replace``d into place, so a reader
never sees half a file and a crash leaves at most a stray temporary file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from workbench.errors import NotFound

_CHUNK = 1 << 20


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFound(f"{digest!r} is not an artifact digest")
        return self.root / digest[:2] / digest

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not _reuse(target):
            self._write(target, lambda f: f.write(data))
        return digest, len(data)

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        h = hashlib.sha256()
        size = 0
        with open(source, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
        digest = h.hexdigest()
        target = self.path(digest)
        if not _reuse(target):

            def copy(out: BinaryIO) -> None:
                with open(source, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        out.write(chunk)

            self._write(target, copy)
        return digest, size

    def read_bytes(self, digest: str) -> bytes:
        return self.read_range(digest)[0]

    def read_range(
        self, digest: str, offset: int = 0, limit: int | None = None
    ) -> tuple[bytes, int]:
        """Up to ``limit`` bytes (all, without one) of a blob from ``offset``, read after a
        seek (a poll for the tail of a large blob reads only the tail), and the blob's size."""
        try:
            with open(self.path(digest), "rb") as f:
                size = os.fstat(f.fileno()).st_size
                f.seek(min(offset, size))
                return f.read(-1 if limit is None else limit), size
        except FileNotFoundError:
            raise NotFound(f"artifact {digest} is missing from {self.root}") from None

    @staticmethod
    def _write(target: Path, fill: Callable[[BinaryIO], object]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            # mkstemp makes 0600 files; the store's files follow one rule, the umask (as
            # the database file does), so a team folder shares artifacts like the database.
            os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "wb") as out:
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise


def _reuse(target: Path) -> bool:
    """Whether the blob is there already; if so it is touched, so that `workbench gc`
    (which spares recent files) never removes it between now and its run linking it."""
    try:
        os.utime(target)
    except FileNotFoundError:
        return False
    return True


def _umask() -> int:
    """This process's umask, read without changing it (Linux), else the usual 022."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def write_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    """Write any file atomically (temp file in the same folder, fsync, replace)."""
    BlobStore._write(Path(target), lambda f: f.write(data))
