"""The validation gate, top to bottom: read, check statically, run in a fresh kernel as a
``validation`` run, check what happened, store the report with the run.

Bad input (no such notebook, not a notebook, a condition or parameter that cannot be read)
raises InvalidInput before anything runs. Everything else becomes a check in the report,
so one validation names every problem at once.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.entities import Run, RunSource
from workbench.errors import InvalidInput, NotFound
from workbench.store import Store, open_store
from workbench.validate import checks
from workbench.validate.conditions import collect_conditions
from workbench.validate.report import REPORT_JSON, REPORT_MD, RESULT_TAG, ValidationReport

DEFAULT_MAX_SECONDS = 600.0


def validate(
    notebook: str | os.PathLike[str],
    params: Mapping[str, Any] | None = None,
    *,
    require: Iterable[str] | None = None,
    max_seconds: float | None = None,
    store: Store | None = None,
    experiment: str | None = None,
    allow_unknown: bool = False,
    log_output: bool = False,
    on_run_created: Callable[[str], None] | None = None,
    require_origin: str = "command line",
) -> ValidationReport:
    """Validate ``notebook`` with ``params``; the report says pass, warn or fail per check.

    ``require`` holds conditions such as ``"accuracy>=0.9"``; the notebook's
    ``metadata.workbench.require`` adds its own. ``max_seconds`` is the time budget
    (default 600 s), enforced as the run's timeout.
    """
    from workbench.notebooks.coerce import coerce_for_notebook
    from workbench.notebooks.execute import run_notebook
    from workbench.notebooks.reader import notebook_path, read_notebook

    path = notebook_path(notebook)
    nb = read_notebook(path)
    budget = _budget(max_seconds)
    conditions = collect_conditions(
        [require] if isinstance(require, str) else require,
        nb.get("metadata", {}),
        require_origin,  # where ``require`` was typed, as the report says it
    )
    report = ValidationReport(notebook=str(path), run_id=None, max_seconds=budget)
    checks.check_structure(report, nb)
    checks.check_parameters(report, nb)
    given = params
    # Checked now (bad input: nothing written); run_notebook repeats the same check.
    coerce_for_notebook(nb, given, allow_unknown=allow_unknown, name=path.name)
    scan = checks.scan_imports(nb, path.parent)
    checks.check_imports(report, scan)
    checks.check_paths(report, nb, project_root(path.parent))

    store = store or open_store()
    run = run_notebook(
        path,
        given,
        allow_unknown=allow_unknown,
        timeout=budget,
        experiment=experiment,
        store=store,
        source=RunSource.VALIDATION,
        log_output=log_output,
        on_run_created=on_run_created,
    )
    report.run_id, report.params, report.metrics = run.run_id, run.params, dict(run.metrics)
    report.duration_s = run.duration_s
    try:
        executed: bytes | None = store.executed_notebook(run.run_id)
    except NotFound:
        executed = None
    checks.check_execution(report, run, executed)
    checks.check_conditions(report, conditions, run.metrics)
    checks.check_time(report, run, budget)
    report.requirements = checks.pins(scan, run_packages(store, run))
    save_report(store, report)
    return report


def save_report(store: Store, report: ValidationReport) -> None:
    assert report.run_id is not None
    store.put_artifact_bytes(report.run_id, REPORT_JSON, report.json_bytes())
    store.put_artifact_bytes(report.run_id, REPORT_MD, report.markdown().encode())
    store.log_batch(report.run_id, tags={RESULT_TAG: "passed" if report.passed else "failed"})


def load_report(store: Store, run: Run) -> ValidationReport | None:
    """The validation report stored with ``run``, if it is a validation run."""
    import json

    found = next((a for a in run.artifacts if a.name == REPORT_JSON), None)
    if found is None:
        return None
    return ValidationReport.from_json(json.loads(store.blobs.read_bytes(found.digest)))


def run_packages(store: Store, run: Run) -> dict[str, str]:
    """Distribution name -> version in the environment the run started in."""
    from workbench.tracking.client import PACKAGES_ARTIFACT

    if not run.artifacts:
        run = store.get_run(run.run_id, history=False)
    found = next((a for a in run.artifacts if a.name == PACKAGES_ARTIFACT), None)
    if found is None:
        return {}
    out = {}
    for line in store.blobs.read_bytes(found.digest).decode().splitlines():
        name, sep, version = line.partition("==")
        if sep:
            out[name.strip()] = version.strip()
    return out


def project_root(folder: Path) -> Path:
    """The git work tree holding ``folder``, else ``folder`` itself."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return folder.resolve()
    top = out.stdout.strip()
    return Path(top).resolve() if out.returncode == 0 and top else folder.resolve()


def _budget(max_seconds: float | None) -> float:
    if max_seconds is None:
        return DEFAULT_MAX_SECONDS
    if (
        isinstance(max_seconds, bool)
        or not isinstance(max_seconds, (int, float))
        or not math.isfinite(max_seconds)
        or max_seconds <= 0
    ):
        raise InvalidInput(
            f"max seconds {max_seconds!r} is not usable: give a positive number of seconds"
        )
    return float(max_seconds)
