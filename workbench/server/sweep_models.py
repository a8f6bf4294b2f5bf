"""Pydantic models of the sweeps REST API. labextension/src/sweepsApi.ts mirrors them field
for field.

``CreateSweep`` checks the shape of a request (types, ranges, parameter names, distribution
texts, the executor address) so a malformed body is a 400 naming the field. What needs the
notebook (unknown parameters, values of the wrong type) is checked by the sweep engine,
``workbench.jobs.api.launch_sweep``, with the same rules as the CLI, before any job starts.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from workbench.entities import RunStatus, Sweep, SweepOptions, check_param_name
from workbench.errors import InvalidInput
from workbench.jobs.distributions import parse_random, split_values
from workbench.jobs.engine import runner_alive
from workbench.jobs.plan import spec_from_api
from workbench.jobs.spec import MAX_JOBS, SweepSpec
from workbench.server.job_models import CellProgressModel
from workbench.server.models import RunSummary, iso


def _option_fields() -> dict[str, Any]:
    """The fields of ``SweepOptions`` as pydantic fields: the request takes exactly the
    options the jobs layer defines (types checked here, limits by ``check_options``)."""
    hints = get_type_hints(SweepOptions)
    return {f.name: (hints[f.name], f.default) for f in dataclasses.fields(SweepOptions)}


_SweepOptionsFields: type[BaseModel] = create_model(
    "SweepOptionsFields",
    __config__=ConfigDict(extra="forbid", strict=True),
    **_option_fields(),
)


def grid_values(name: str, items: list[Any] | str) -> list[Any]:
    """A grid's values: a list as given, a text split at its commas like ``--grid``'s
    (quotes group, brackets keep lists whole)."""
    if not isinstance(items, str):
        return items
    try:
        return split_values(items)
    except ValueError as exc:
        raise ValueError(f"grid {name}: {exc}") from None


def _check_names(kind: str, names: list[str]) -> None:
    for name in names:
        try:
            check_param_name(name)
        except InvalidInput as exc:
            raise ValueError(f"{kind}: {exc.message}") from None


class CreateSweep(_SweepOptionsFields):  # type: ignore[misc,valid-type]
    """``POST sweeps``: a notebook, its sweep spec and the options of ``SweepOptions``
    (workers, executor, timeout, retries, kernel, force, allow_unknown, experiment, cold)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    notebook: str = Field(min_length=1)  # relative to the server root, "/"-separated
    # name -> values (a list, or one text "0.01, 0.1" split as the CLI splits --grid);
    # the jobs are their product
    grid: dict[str, list[Any] | str] | None = None
    random: dict[str, str] | None = None  # name -> "loguniform(1e-4,1e-1)", "choice(a,b)", ...
    n: int | None = Field(default=None, ge=1, le=MAX_JOBS)  # number of random draws
    seed: int | None = None
    values: list[dict[str, Any]] | None = None  # explicit rows, one job each
    params: dict[str, Any] | None = None  # fixed for every job

    @field_validator("grid")
    @classmethod
    def _grid(cls, grid: dict[str, list[Any] | str] | None) -> dict[str, list[Any] | str] | None:
        if grid is None:
            return None
        grid = {name: grid_values(name, items) for name, items in grid.items()}
        if not grid:
            raise ValueError(
                "the grid is empty: give values per parameter, like "
                '{"lr": [0.01, 0.1]}, or leave grid out'
            )
        _check_names("grid", list(grid))
        empty = [name for name, items in grid.items() if not items]
        if empty:
            raise ValueError(
                f'grid {empty[0]} has no values: give at least one, like {{"{empty[0]}": [1, 2]}}'
            )
        return grid

    @field_validator("random")
    @classmethod
    def _random(cls, random: dict[str, str] | None) -> dict[str, str] | None:
        if random is None:
            return None
        if not random:
            raise ValueError(
                "random is empty: give distributions, like "
                '{"lr": "loguniform(1e-4,1e-1)"}, or leave random out'
            )
        for name, text in random.items():
            try:
                parse_random(f"{name}={text}")
            except InvalidInput as exc:
                raise ValueError(f"random {name}: {exc.message}") from None
        return random

    @field_validator("values")
    @classmethod
    def _values(cls, rows: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if rows is None:
            return None
        if not rows:
            raise ValueError("values has no rows: give one object per job, or leave values out")
        for row in rows:
            _check_names("values", list(row))
        return rows

    @field_validator("params")
    @classmethod
    def _params(cls, params: dict[str, Any] | None) -> dict[str, Any] | None:
        if params:
            _check_names("params", list(params))
        return params

    def options(self) -> SweepOptions:
        return SweepOptions(
            **{f.name: getattr(self, f.name) for f in dataclasses.fields(SweepOptions)}
        )

    def spec(self) -> SweepSpec:
        return spec_from_api(
            grid={k: grid_values(k, v) for k, v in self.grid.items()} if self.grid else None,
            random=self.random,
            n=self.n,
            seed=self.seed,
            values=self.values,
            params=self.params,
        )

    @model_validator(mode="after")
    def _draws(self) -> CreateSweep:
        if self.random and self.n is None:
            raise ValueError("random needs n, the number of random draws to make")
        if self.n is not None and not self.random:
            raise ValueError("n sets how many random draws to make: add random or drop n")
        return self


class ListSweepsQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=500)


class DescribeSweepQuery(BaseModel):
    """Which runs ``GET sweeps/{id}`` lists: every attempt of every job (``latest_only``:
    the latest attempt of each job), started ones by start time, then queued ones in the
    order they will run; or ranked by ``order_by`` in the runs query language
    (``metrics.acc desc``, runs without the field last)."""

    limit: int = Field(default=500, ge=1, le=MAX_JOBS)
    offset: int = Field(default=0, ge=0)
    order_by: str | None = Field(default=None, max_length=1000)
    latest_only: bool = False


class SweepSummary(BaseModel):
    sweep_id: str
    notebook: str  # absolute path as recorded
    notebook_path: str | None  # relative to the server root, when under it
    experiment: str
    status: RunStatus
    created_at: str
    ended_at: str | None
    heartbeat_at: str | None
    cancel_requested: bool
    counts: dict[RunStatus, int]  # every status (0 included), the latest attempt of each job
    total: int  # jobs
    done: int  # jobs in a finished status
    spec: dict[str, Any]
    options: dict[str, Any]
    runner_alive: bool  # a process runs the sweep now (else resume can take it over)
    eta_s: float | None  # seconds left, from the jobs that ended; None until one has


class SweepRun(RunSummary):
    job_key: str
    attempt: int  # 1, then 2, ... for retries of the same job
    latest: bool  # the latest attempt of its job (an earlier one was retried)
    progress: CellProgressModel | None  # running jobs: cells done, the cell running now


class DescribeSweep(SweepSummary):
    metric_names: list[str]  # the metrics the listed runs logged, by name
    default_order_by: str | None  # how to rank them when nobody chose (as the CLI does)
    runs: list[SweepRun]
    runs_total: int  # attempts of every job; runs holds [offset, offset + limit)
    limit: int
    offset: int


class ListSweepsResponse(BaseModel):
    sweeps: list[SweepSummary]  # newest first
    limit: int


class NotebookParametersQuery(BaseModel):
    path: str = Field(min_length=1)  # relative to the server root


class NotebookParameter(BaseModel):
    name: str
    type: str  # int, float, str, bool, list, dict, None or any
    nullable: bool
    default: Any  # the JSON value, when default_is_literal
    default_repr: str  # the default's source text
    default_is_literal: bool
    help: str


class NotebookParameters(BaseModel):
    path: str
    parameters: list[NotebookParameter]


def relative_to_root(path: str, root: str | os.PathLike[str]) -> str | None:
    """``path`` relative to the server root ("/"-separated), or None when outside it."""
    try:
        resolved = Path(os.path.realpath(path))
        base = Path(os.path.realpath(root))
    except (OSError, ValueError):
        return None
    if not resolved.is_relative_to(base):
        return None
    return resolved.relative_to(base).as_posix()


def sweep_summary(
    sweep: Sweep, root: str | os.PathLike[str], eta_s: float | None = None
) -> SweepSummary:
    return SweepSummary(
        sweep_id=sweep.sweep_id,
        notebook=sweep.notebook,
        notebook_path=relative_to_root(sweep.notebook, root),
        experiment=sweep.experiment,
        status=sweep.status,
        created_at=iso(sweep.created_at) or "",
        ended_at=iso(sweep.ended_at),
        heartbeat_at=iso(sweep.heartbeat_at),
        cancel_requested=sweep.cancel_requested,
        counts={status: sweep.counts.get(status.value, 0) for status in RunStatus},
        total=sweep.total,
        done=sweep.done,
        spec=sweep.spec,
        options=sweep.options.to_json(),
        runner_alive=runner_alive(sweep),
        eta_s=eta_s,
    )
