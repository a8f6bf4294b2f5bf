"""The base of every REST handler under ``<base_url>/workbench/api/``.

Every handler derives from WorkbenchHandler, whose ``write_error`` is the one place that
turns exceptions into HTTP answers: a WorkbenchError keeps its code and status, a pydantic
ValidationError (a bad request) is a 400, anything else a 500 without a traceback in the
body. Every verb is ``@tornado.web.authenticated`` and ``@authorized`` on a ``workbench:``
resource; tests/test_server.py walks every route (workbench.server.routes) to prove it.
"""

from __future__ import annotations

from collections.abc import Callable
from http.client import responses
from types import TracebackType
from typing import Any, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler
from pydantic import BaseModel, ValidationError

from workbench.errors import InvalidInput, StoreError, WorkbenchError
from workbench.server.context import SETTINGS_KEY, WorkbenchContext
from workbench.server.models import (
    ErrorResponse,
)

M = TypeVar("M", bound=BaseModel)

API_PREFIX = "workbench/api"
RUNS_RESOURCE = "workbench:runs"
RUN_ID = r"(?P<run_id>[^/]+)"

# Error codes for HTTP errors raised by tornado or jupyter_server (auth, unknown method).
_HTTP_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    503: "store_unavailable",
}
INTERNAL_MESSAGE = (
    "Workbench hit an internal error; the server log has the details. "
    "Please report it with that log."
)


class ResponseInvalid(RuntimeError):
    """A response model failed validation: a server bug, never the caller's fault."""


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming each bad field, what was given and what is expected."""
    parts = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "request"
        if err["type"] == "missing":
            parts.append(f"{field}: required")
        else:
            parts.append(f"{field}={err.get('input')!r}: {err['msg']}")
    return "invalid request: " + "; ".join(parts)


def error_reply(status_code: int, exc: BaseException | None) -> tuple[int, ErrorResponse]:
    """The status and JSON body for an error (the only exception-to-HTTP mapping)."""
    if isinstance(exc, WorkbenchError):
        return exc.http_status, ErrorResponse(error=exc.code, message=exc.message)
    if isinstance(exc, ValidationError):
        return 400, ErrorResponse(error=InvalidInput.code, message=describe_validation_error(exc))
    if isinstance(exc, tornado.web.HTTPError):
        status = exc.status_code
        if status >= 500:
            return status, ErrorResponse(error="internal", message=INTERNAL_MESSAGE)
        message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
        if not message and status == 403:
            message = "not logged in: send the server's token (Authorization: token <token>)"
        return status, ErrorResponse(
            error=_HTTP_CODES.get(status, "http_error"),
            message=message or exc.reason or responses.get(status, "HTTP error"),
        )
    if exc is None and status_code < 500:
        return status_code, ErrorResponse(
            error=_HTTP_CODES.get(status_code, "http_error"),
            message=responses.get(status_code, "HTTP error"),
        )
    return 500, ErrorResponse(error="internal", message=INTERNAL_MESSAGE)


def build_json(build: Callable[[], BaseModel]) -> str:
    """Serialize a response model; its ValidationError is ours (500), not the caller's."""
    try:
        return build().model_dump_json()
    except ValidationError as exc:
        raise ResponseInvalid(f"response failed validation: {exc}") from exc


class WorkbenchHandler(APIHandler):
    """Base of every Workbench handler: JSON errors, store access, query parsing."""

    auth_resource = RUNS_RESOURCE

    @property
    def workbench(self) -> WorkbenchContext:
        return self.settings[SETTINGS_KEY]

    def parse_query(self, model: type[M]) -> M:
        """The query string validated by ``model`` (unknown arguments are ignored)."""
        values: dict[str, str] = {}
        for name in model.model_fields:
            given = self.get_query_arguments(name)
            if given:
                values[name] = given[-1]
        return model.model_validate(values)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        status, body = error_reply(status_code, exc)
        self.set_status(status)
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(exc, StoreError) and retry_after:
            self.set_header("Retry-After", str(retry_after))
        self.finish(body.model_dump_json())

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        where = f"{self.request.method} {self.request.path}"  # path: never the token
        if isinstance(value, ValidationError):
            self.log.info("Workbench %s: %s", where, describe_validation_error(value))
        elif isinstance(value, WorkbenchError) and value.user_error:
            self.log.info("Workbench %s: %s", where, value)
        elif isinstance(value, StoreError):  # an outage, not a bug: no traceback
            self.log.warning("Workbench %s: %s", where, value)
        elif isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)
        else:
            self.log.error("Workbench %s failed", where, exc_info=(typ, value, tb))  # type: ignore[arg-type]
