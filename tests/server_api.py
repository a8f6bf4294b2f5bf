"""What the REST tests share (not a test module): calling the API, reading its JSON and its
errors, writing a notebook, and CALLS, the one table of every verb of every route that
tests/test_server_auth.py walks without credentials and with a refusing authorizer.

Adding a route means adding its verbs to CALLS: test_calls_cover_every_route fails until then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_server.auth import Authorizer
from tornado.httpclient import HTTPResponse

API = ("workbench", "api")
NO_CREDENTIALS = {"Authorization": ""}
WRONG_TOKEN = {"Authorization": "token wrong"}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


# -- calls and answers ----------------------------------------------------------------------


async def call(jp_fetch, method: str, *parts: str, body: Any = None, **kw: Any) -> HTTPResponse:
    """One request, answered whatever its status; a body that is not text is sent as JSON."""
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    if method in ("POST", "PATCH", "PUT") and body is None:
        body = ""  # tornado refuses these verbs without a body
    return await jp_fetch(*API, *parts, method=method, body=body, raise_error=False, **kw)


def as_json(response: HTTPResponse) -> Any:
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    return json.loads(response.body)


def ok(response: HTTPResponse) -> Any:
    assert response.code == 200, response.body
    return as_json(response)


def assert_error(response: HTTPResponse, status: int, code: str) -> str:
    """The JSON error the extension answers with: its code, a message, never a traceback."""
    assert response.code == status, response.body
    body = as_json(response)
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    assert body["message"] and "Traceback" not in body["message"]
    return str(body["message"])


def write_notebook(path: Path, params: str | None, *body: str) -> Path:
    """A notebook of code cells, the first tagged ``parameters`` when ``params`` is given."""
    cells = []
    if params is not None:
        cells.append(nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}))
    cells += [nbformat.v4.new_code_cell(src) for src in body]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}), path)
    return path


# -- auth: every verb of every route ---------------------------------------------------------


class DenyWorkbench(Authorizer):
    """Lets a logged-in user do everything except touch workbench:* resources, and notes
    every (action, resource) it was asked about."""

    seen: list[tuple[str, str]] = []

    def is_authorized(self, handler, user, action: str, resource: str) -> bool:
        DenyWorkbench.seen.append((action, resource))
        return not resource.startswith("workbench:")


@dataclass(frozen=True)
class RouteCall:
    """A well-formed request to one verb, and the permission it must ask for. Upper-case
    placeholders (RUN, JOB, SWEEP) in ``parts`` and ``query`` stand for seeded ids."""

    method: str
    parts: tuple[str, ...]
    action: str
    resource: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def url(self, ids: Mapping[str, str]) -> tuple[tuple[str, ...], dict[str, str]]:
        return (
            tuple(ids.get(p, p) for p in self.parts),
            {k: ids.get(v, v) for k, v in self.query.items()},
        )

    async def send(self, jp_fetch, ids: Mapping[str, str], **kw: Any) -> HTTPResponse:
        parts, query = self.url(ids)
        return await call(jp_fetch, self.method, *parts, body=self.body, params=query, **kw)


RUNS, SWEEPS = "workbench:runs", "workbench:sweeps"
NOTEBOOKS, EXPORTS, VALIDATE = "workbench:notebooks", "workbench:exports", "workbench:validate"
SWEEP_BODY = {"notebook": "square.ipynb", "grid": {"x": [1, 2]}}
SHIP_BODY = {"path": "nbs/ok.ipynb", "out": "dist"}

CALLS = [
    # runs, the run page, artifacts, figures, diffs
    RouteCall("GET", ("runs",), "read", RUNS),
    RouteCall("GET", ("runs", "RUN"), "read", RUNS),
    RouteCall("PATCH", ("runs", "RUN"), "write", RUNS, body={"name": "renamed"}),
    RouteCall("DELETE", ("runs", "RUN"), "write", RUNS),
    RouteCall("POST", ("runs", "RUN", "restore"), "write", RUNS),
    RouteCall("GET", ("runs", "RUN", "notebook"), "read", RUNS),
    RouteCall("GET", ("fields",), "read", RUNS),
    RouteCall("GET", ("runs", "RUN", "artifacts", "preview"), "read", RUNS, {"name": "notes.txt"}),
    RouteCall("GET", ("runs", "RUN", "artifacts", "download"), "read", RUNS, {"name": "notes.txt"}),
    RouteCall("GET", ("figures", "history"), "read", RUNS, {"run_ids": "RUN"}),
    RouteCall("GET", ("diff",), "read", RUNS, {"base": "RUN", "remote": "RUN"}),
    # sweeps and their jobs
    RouteCall("GET", ("sweeps",), "read", SWEEPS),
    RouteCall("POST", ("sweeps",), "execute", SWEEPS, body=SWEEP_BODY),  # runs notebooks
    RouteCall("POST", ("sweeps", "preview"), "read", SWEEPS, body=SWEEP_BODY),  # writes nothing
    RouteCall("GET", ("sweeps", "SWEEP"), "read", SWEEPS),
    RouteCall("DELETE", ("sweeps", "SWEEP"), "write", SWEEPS),
    RouteCall("POST", ("sweeps", "SWEEP", "retry"), "execute", SWEEPS),
    RouteCall("POST", ("sweeps", "SWEEP", "resume"), "execute", SWEEPS),
    RouteCall("GET", ("notebooks", "parameters"), "read", NOTEBOOKS, {"path": "square.ipynb"}),
    RouteCall("GET", ("runs", "JOB", "log"), "read", RUNS),
    RouteCall("POST", ("runs", "JOB", "cancel"), "write", SWEEPS),  # a cancel changes a sweep
    RouteCall("POST", ("runs", "JOB", "retry"), "execute", SWEEPS),
    # validation and exports
    RouteCall("POST", ("validate",), "execute", VALIDATE, body={"path": "nbs/ok.ipynb"}),
    RouteCall("GET", ("runs", "RUN", "validation"), "read", VALIDATE),
    RouteCall("GET", ("exports",), "read", EXPORTS),
    RouteCall("POST", ("exports",), "execute", EXPORTS, body=SHIP_BODY),
    RouteCall("POST", ("exports", "preview"), "read", EXPORTS, body=SHIP_BODY),
]
