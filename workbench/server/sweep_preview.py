"""``POST sweeps/preview``: what a sweep would run, before it runs, for the sweep dialog.

The body is a ``CreateSweep``; the answer says how many jobs it would queue (after merging
duplicates and skipping jobs that already succeeded), the first parameter sets, and every
problem found, each beside the field it belongs to (a parameter's name, or an option's) in
the dialog's words rather than the CLI's. Nothing is written, nothing runs. The jobs come
from the same code that launches them (``workbench.jobs.plan.prepare_sweep``), with the seed
the answer names: launching with that seed queues exactly the jobs shown.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from pydantic import BaseModel, ValidationError

from workbench.entities import RunStatus, SweepOptions
from workbench.errors import InvalidInput, WorkbenchError
from workbench.server.base import WorkbenchHandler, build_json
from workbench.server.sweep_handlers import SWEEPS_RESOURCE, notebook_under_root
from workbench.server.sweep_models import CreateSweep, grid_values
from workbench.store import Store

FIRST = 5
OPTION_NAMES = tuple(f.name for f in dataclasses.fields(SweepOptions))


class SweepProblem(BaseModel):
    field: str | None  # a parameter name, an option name, "notebook", or None: the sweep
    message: str


class SweepPreview(BaseModel):
    jobs: int  # would be queued
    expanded: int  # parameter sets the spec makes
    duplicates: int  # identical sets merged into one job
    skipped: int  # already succeeded with these parameters: not run again unless force
    in_flight: int  # queued or running in another sweep: not run twice
    first: list[dict[str, Any]]  # the first parameter sets that would run, in order
    seed: int | None  # the seed of the random draws: send it to launch these same jobs
    problems: list[SweepProblem]


def _problems(root: Path, raw: dict[str, Any]) -> list[SweepProblem]:
    """Each parameter's values and each option checked alone, so a problem names its field."""
    from workbench.jobs.distributions import BadDistribution, Choice, parse_random
    from workbench.jobs.options import check_options
    from workbench.notebooks.coerce import coerce
    from workbench.notebooks.reader import read_notebook
    from workbench.notebooks.schema import ParamSchema, notebook_schema, parameters_cell

    found: list[SweepProblem] = []
    try:
        nb = read_notebook(notebook_under_root(root, str(raw.get("notebook", ""))))
        schema = notebook_schema(nb) if parameters_cell(nb) is not None else ParamSchema()
    except WorkbenchError as exc:
        return [SweepProblem(field="notebook", message=exc.message)]
    given: list[tuple[str, Any]] = []
    for name, items in _mapping(raw.get("grid")).items():
        try:
            items = grid_values(name, items)
        except ValueError as exc:
            found.append(SweepProblem(field=name, message=str(exc).removeprefix(f"grid {name}: ")))
            continue
        if not isinstance(items, list) or not items:
            found.append(SweepProblem(field=name, message="give at least one value"))
            continue
        given += [(name, v) for v in items]
    given += list(_mapping(raw.get("params")).items())
    for name, text in _mapping(raw.get("random")).items():
        try:
            _, dist = parse_random(f"{name}={text}")
        except InvalidInput as exc:  # not a name: the model says it better below
            if not isinstance(exc, BadDistribution):
                continue
            found.append(SweepProblem(field=name, message=exc.problem))
            continue
        if isinstance(dist, Choice):
            given += [(name, o) for o in dist.options]
    bad: set[str] = set()
    for name, value in given:
        if name in bad:
            continue
        try:
            coerce(schema, {name: value})
        except InvalidInput as exc:  # an unknown name, a value of the wrong type
            bad.add(name)
            found.append(
                SweepProblem(field=name, message=exc.message.removeprefix(f"parameter {name!r} "))
            )
    options = {k: raw[k] for k in OPTION_NAMES if k in raw}
    try:
        check_options(SweepOptions(**options))
    except InvalidInput as exc:
        first = exc.message.split(" ", 1)[0]
        found.append(
            SweepProblem(field=first if first in OPTION_NAMES else None, message=exc.message)
        )
    except TypeError as exc:
        found.append(SweepProblem(field=None, message=str(exc)))
    return found


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def preview_sweep(root: Path, body: bytes, store: Store) -> SweepPreview:
    from workbench.jobs.plan import prepare_sweep
    from workbench.jobs.spec import MAX_JOBS

    try:
        raw = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidInput(f"the body is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInput("the body must be a JSON object, as for POST sweeps")

    def refused(problems: list[SweepProblem]) -> SweepPreview:
        return SweepPreview(
            jobs=0, expanded=0, duplicates=0, skipped=0, in_flight=0, first=[], seed=None,
            problems=problems,
        )  # fmt: skip

    problems = _problems(root, raw)
    if problems:
        return refused(problems)
    n = raw.get("n")
    draws = n if raw.get("random") and isinstance(n, int) else 1
    rows = raw.get("values")
    count = (len(rows) if isinstance(rows, list) and rows else 1) * max(draws, 1)
    for name, items in _mapping(raw.get("grid")).items():
        count *= len(grid_values(name, items))
    if count > MAX_JOBS:
        return refused(
            [
                SweepProblem(
                    field=None,
                    message=f"this makes {count:,} jobs, more than the limit of {MAX_JOBS:,}: "
                    "give fewer values or draws",
                )
            ]
        )
    try:
        create = CreateSweep.model_validate(raw)
        prepared = prepare_sweep(
            str(notebook_under_root(root, create.notebook)), create.spec(), create.options()
        )
    except ValidationError as exc:
        return refused(
            [
                SweepProblem(
                    field=str(e["loc"][0]) if e["loc"] else None,
                    message=e["msg"].removeprefix("Value error, "),
                )
                for e in exc.errors(include_url=False)
            ]
        )
    except InvalidInput as exc:
        return refused([SweepProblem(field=None, message=exc.message)])
    held = {} if prepared.options.force else store.claimed(list(prepared.jobs))
    skipped = sum(1 for k in prepared.jobs if held.get(k) is RunStatus.SUCCEEDED)
    in_flight = sum(
        1 for k in prepared.jobs if held.get(k) in (RunStatus.QUEUED, RunStatus.RUNNING)
    )
    to_run = [
        params
        for key, params in prepared.jobs.items()
        if held.get(key) not in (RunStatus.SUCCEEDED, RunStatus.QUEUED, RunStatus.RUNNING)
    ]
    return SweepPreview(
        jobs=len(to_run),
        expanded=prepared.expanded,
        duplicates=prepared.expanded - len(prepared.jobs),
        skipped=skipped,
        in_flight=in_flight,
        first=to_run[:FIRST],
        seed=prepared.spec.seed,
        problems=[],
    )


class SweepPreviewHandler(WorkbenchHandler):
    """``POST sweeps/preview``: reads only (``read`` on ``workbench:sweeps``)."""

    auth_resource = SWEEPS_RESOURCE

    @tornado.web.authenticated
    @authorized("read")
    async def post(self) -> None:
        root = self.workbench.root_dir
        body = self.request.body

        def work(store: Store) -> str:
            return build_json(lambda: preview_sweep(root, body, store))

        self.finish(await self.workbench.call(work))


# Patterns relative to <base_url>/workbench/api/; routed before sweeps/{id}, which matches it.
ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [("sweeps/preview", SweepPreviewHandler)]
