"""What the CLI shows of papermill's logging."""

from __future__ import annotations

import logging
import sys


def quiet_papermill(show_output: bool) -> None:
    """Papermill's warnings (an unknown parameter) stay visible, prefixed, and with
    --log-output the notebook's output too; nbclient's own timeout and dead-kernel errors
    are dropped: the run's status line says it better."""
    log = logging.getLogger("papermill")
    log.setLevel(logging.INFO if show_output else logging.WARNING)
    if any(getattr(h, "_workbench", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PapermillFormatter())
    handler.addFilter(lambda record: record.levelno < logging.ERROR)
    handler._workbench = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.propagate = False


class _PapermillFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        return f"papermill: {message}" if record.levelno >= logging.WARNING else message
