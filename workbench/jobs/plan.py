"""Plan a sweep: check everything, expand the spec into jobs, store them queued.

Nothing is written and no kernel starts unless every job and option is valid. A job's key
hashes the notebook's content, its parameters and the options that change its result
(timeout, kernel); not workers, executor or retries, which only change how it is run. Jobs
whose key already succeeded anywhere in the store are skipped unless ``force``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.entities import RunStatus, check_key, check_param_name
from workbench.errors import InvalidInput
from workbench.jobs.executors import DASK_LOCAL, LOCAL, check_executor
from workbench.jobs.spec import SweepSpec, expand, job_key, parse_random
from workbench.store import Store, open_store


@dataclass(frozen=True)
class SweepPlan:
    sweep_id: str
    jobs: int  # queued in this sweep
    expanded: int  # parameter sets the spec made
    duplicates: int  # identical parameter sets merged into one job
    skipped: int  # already succeeded somewhere: not run again (force runs them)

    def summary(self) -> str:
        parts = [f"{self.jobs} job{'s' if self.jobs != 1 else ''}"]
        if self.duplicates:
            parts.append(
                f"{self.duplicates} duplicate parameter set"
                f"{'s' if self.duplicates != 1 else ''} merged"
            )
        if self.skipped:
            parts.append(f"{self.skipped} already succeeded, skipped (--force runs them again)")
        return ", ".join(parts)


def plan_sweep(
    notebook: str | os.PathLike[str],
    spec: SweepSpec,
    *,
    workers: int | None = None,
    executor: str = LOCAL,
    timeout: float | None = None,
    retries: int = 0,
    force: bool = False,
    allow_unknown: bool = False,
    experiment: str | None = None,
    kernel_name: str | None = None,
    store: Store | None = None,
    runner: str | None = None,
    cold: bool = False,
) -> SweepPlan:
    """Check, expand and store a sweep; its jobs wait, queued, for :func:`run_sweep`."""
    from workbench.notebooks.execute import DEFAULT_KERNEL, check_timeout
    from workbench.notebooks.kernel import available_cores, kernel_language
    from workbench.notebooks.reader import read_notebook
    from workbench.notebooks.schema import notebook_schema
    from workbench.tracking.provenance import notebook_sha256

    executor = check_executor(executor)
    if workers is None and executor in (LOCAL, DASK_LOCAL):
        workers = available_cores()
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise InvalidInput(f"--workers {workers!r} is not usable: give a whole number, 1 or more")
    timeout = check_timeout(timeout)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidInput(f"--retries {retries!r} is not usable: give a whole number, 0 or more")
    if experiment is not None:
        check_key("experiment", experiment)
    path = Path(notebook).resolve()
    nb = read_notebook(path)
    kernel = kernel_name or (nb.metadata.get("kernelspec") or {}).get("name") or DEFAULT_KERNEL
    kernel_language(kernel)
    schema = notebook_schema(nb)
    spec = spec.with_seed()
    params_list = expand(spec, schema, allow_unknown=allow_unknown)

    sha = notebook_sha256(nb)
    key_options = {"timeout": timeout, "kernel": kernel}
    jobs: dict[str, dict[str, Any]] = {}
    for params in params_list:
        jobs.setdefault(job_key(sha, params, key_options), params)
    store = store or open_store()
    done = set() if force else store.succeeded_job_keys(list(jobs))
    todo = [(params, key) for key, params in jobs.items() if key not in done]
    options = {
        "workers": workers,
        "executor": executor,
        "timeout": timeout,
        "retries": retries,
        "kernel": kernel,
        "allow_unknown": allow_unknown,
        "force": force,
        "cold": cold,
    }
    sweep_id = store.create_sweep(
        notebook=str(path),
        notebook_sha256=sha,
        experiment=experiment,
        spec=spec.to_json(),
        options=options,
        jobs=todo,
        runner=runner,
    )
    if not todo:  # every job already succeeded: the sweep is done as soon as it exists
        store.set_sweep_status(sweep_id, RunStatus.SUCCEEDED)
    return SweepPlan(
        sweep_id=sweep_id,
        jobs=len(todo),
        expanded=len(params_list),
        duplicates=len(params_list) - len(jobs),
        skipped=len(jobs) - len(todo),
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
