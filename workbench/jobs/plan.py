"""Plan a sweep: check everything, expand the spec into jobs, store them queued.

Nothing is written and no kernel starts unless every job and option is valid. A job's key
hashes the notebook's content, its parameters and the options that change its result
(timeout, kernel); not workers, executor or retries, which only change how it is run. Jobs
whose key already succeeded anywhere in the store are skipped unless ``force``.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.entities import SweepOptions, check_param_name
from workbench.errors import InvalidInput
from workbench.jobs.options import check_options
from workbench.jobs.spec import SweepSpec, expand, job_key, parse_random

if TYPE_CHECKING:
    from workbench.store import Store, StoreLocation


@dataclass(frozen=True)
class SweepPlan:
    sweep_id: str
    jobs: int  # queued in this sweep
    expanded: int  # parameter sets the spec made
    duplicates: int  # identical parameter sets merged into one job
    skipped: int  # already succeeded somewhere: not run again (force runs them)
    in_flight: int = 0  # queued or running in another sweep right now: not run twice

    def summary(self) -> str:
        parts = [f"{self.jobs} job{'s' if self.jobs != 1 else ''}"]
        if self.duplicates:
            parts.append(
                f"{self.duplicates} duplicate parameter set"
                f"{'s' if self.duplicates != 1 else ''} merged"
            )
        if self.skipped:
            parts.append(f"{self.skipped} already succeeded, skipped (--force runs them again)")
        if self.in_flight:
            parts.append(
                f"{self.in_flight} already queued or running in another sweep, skipped "
                "(follow them with `workbench sweeps`)"
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class PreparedSweep:
    """A sweep checked and expanded, not stored: what ``plan_sweep`` stores and what a
    preview shows."""

    path: Path
    options: SweepOptions  # checked, with the kernel filled in
    spec: SweepSpec  # with a concrete seed when it draws at random
    notebook_sha256: str
    jobs: dict[str, dict[str, Any]]  # job key -> parameters, duplicates merged, in order
    expanded: int


def prepare_sweep(
    notebook: str | os.PathLike[str], spec: SweepSpec, options: SweepOptions | None = None
) -> PreparedSweep:
    """Check the options and the notebook, expand the spec into jobs (InvalidInput if any is
    wrong); nothing is written."""
    from workbench.notebooks.kernel import kernel_language, kernel_name_for
    from workbench.notebooks.reader import notebook_path, read_notebook
    from workbench.notebooks.schema import ParamSchema, notebook_schema, parameters_cell
    from workbench.notebooks.threads import available_cores
    from workbench.tracking.provenance import notebook_sha256

    options = check_options(options or SweepOptions(), default_workers=available_cores())
    path = notebook_path(notebook)
    nb = read_notebook(path)
    kernel = kernel_name_for(nb, options.kernel)
    kernel_language(kernel)
    options = dataclasses.replace(options, kernel=kernel)
    if parameters_cell(nb) is None and not (spec.grid or spec.random or spec.values or spec.fixed):
        schema = ParamSchema()  # nothing to inject: it runs as it is, one job
    else:
        schema = notebook_schema(nb)
    spec = spec.with_seed()
    params_list = expand(spec, schema, allow_unknown=options.allow_unknown)

    sha = notebook_sha256(nb)
    key_options = {"timeout": options.timeout, "kernel": kernel}
    jobs: dict[str, dict[str, Any]] = {}
    for params in params_list:
        jobs.setdefault(job_key(sha, params, key_options), params)
    return PreparedSweep(path, options, spec, sha, jobs, len(params_list))


def prepare_runner(
    location: StoreLocation, notebook: str | os.PathLike[str], options: SweepOptions
) -> str:
    """A new id for a sweep this process is about to plan and run (in the store at
    ``location``); for a warm local sweep, its zygote starts now, so that its imports
    overlap the planning. Bad options raise InvalidInput first, before anything starts.
    This module does not import the store (SQLAlchemy) for it: a CLI calls it first."""
    from workbench.jobs.executors import LOCAL
    from workbench.jobs.forked import start_early
    from workbench.notebooks.threads import available_cores

    options = check_options(options, default_workers=available_cores())
    sweep_id = uuid.uuid4().hex
    if options.executor == LOCAL and not options.cold:
        log = str(location.sweep_log(sweep_id))
        start_early(str(notebook), options.kernel, options.preload or (), options.workers or 1, log)
    return sweep_id


def plan_sweep(
    notebook: str | os.PathLike[str],
    spec: SweepSpec,
    options: SweepOptions | None = None,
    *,
    store: Store | None = None,
    runner: str | None = None,
    sweep_id: str | None = None,
) -> SweepPlan:
    """Check, expand and store a sweep (named ``sweep_id``, by default a new id); its jobs
    wait, queued, for :func:`run_sweep`."""
    from workbench.store import open_store

    prepared = prepare_sweep(notebook, spec, options)
    store = store or open_store()
    created = store.create_sweep(
        notebook=str(prepared.path),
        notebook_sha256=prepared.notebook_sha256,
        experiment=prepared.options.experiment,
        spec=prepared.spec.to_json(),
        options=prepared.options,
        jobs=[(params, key) for key, params in prepared.jobs.items()],
        runner=runner,
        sweep_id=sweep_id,
    )
    return SweepPlan(
        sweep_id=created.sweep_id,
        jobs=created.queued,
        expanded=prepared.expanded,
        duplicates=prepared.expanded - len(prepared.jobs),
        skipped=created.done,
        in_flight=created.in_flight,
    )


def spec_from_api(
    *,
    grid: dict[str, list[Any]] | None = None,
    random: dict[str, str] | None = None,
    n: int | None = None,
    seed: int | None = None,
    values: list[dict[str, Any]] | None = None,
    params: dict[str, Any] | None = None,
) -> SweepSpec:
    """A spec from Python values (wb.sweep, the REST API). Grid values may be JSON values or
    texts: the notebook's schema coerces both, as it does the CLI's."""
    spec = SweepSpec(n=n, seed=seed, fixed=dict(params or {}))
    for name, items in (grid or {}).items():
        check_param_name(name)
        if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
            raise InvalidInput(f"grid {name!r} must be a list of values, such as [0.01, 0.1]")
        spec.grid[name] = list(items)
    for name, text in (random or {}).items():
        if not isinstance(text, str):
            raise InvalidInput(
                f"random {name!r} must be a distribution text such as 'loguniform(1e-4,1e-1)'"
            )
        key, dist = parse_random(f"{name}={text}")
        spec.random[key] = dist
    if values is not None:
        if not isinstance(values, list) or not all(isinstance(r, dict) for r in values):
            raise InvalidInput(
                "values must be a list of dicts, one per job, like [{'lr': 0.1}, {'lr': 0.01}]"
            )
        for row in values:
            for name in row:
                check_param_name(name)
        if not values:
            raise InvalidInput("values is an empty list: give one dict per job")
        spec.values = [dict(r) for r in values]
    return spec
