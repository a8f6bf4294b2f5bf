"""One exception root for Workbench, with a code that maps to an HTTP status.

Messages say what was wrong and what to do about it; the CLI prints them on one line
and exits 2 for the user's mistakes, the server answers them as JSON with a 4xx status.
"""

from __future__ import annotations

from typing import ClassVar


class WorkbenchError(Exception):
    """Root of every error Workbench raises on purpose."""

    code: ClassVar[str] = "internal"
    http_status: ClassVar[int] = 500
    user_error: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type[WorkbenchError], tuple[str]]:
        # picklable across processes (sweep workers, Dask)
        return (type(self), (self.message,))


class InvalidInput(WorkbenchError):
    """The caller gave a value Workbench cannot use (bad parameter, bad notebook, ...)."""

    code = "invalid_input"
    http_status = 400
    user_error = True


class NotFound(WorkbenchError):
    code = "not_found"
    http_status = 404
    user_error = True


class Forbidden(WorkbenchError):
    """A path or resource outside what the caller may reach."""

    code = "forbidden"
    http_status = 403
    user_error = True


class Conflict(WorkbenchError):
    code = "conflict"
    http_status = 409
    user_error = True


class StoreError(WorkbenchError):
    """The store cannot be opened or written (locked, corrupt, unreachable)."""

    code = "store_error"
    http_status = 503
    retry_after: ClassVar[int | None] = None  # seconds, when waiting may help


class StoreUnavailable(StoreError):
    """The database does not answer (refused, terminated, unreachable): worth a retry."""

    code = "store_unavailable"
    retry_after = 5


class StoreReadOnly(StoreError):
    """The store can be read but not written (a read-only file, folder or database)."""

    code = "store_read_only"
