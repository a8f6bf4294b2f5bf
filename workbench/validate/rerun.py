"""Run a run again and say whether it reproduces.

By default the rerun executes the notebook snapshot stored with the run (its executed
notebook, with papermill's injected cell and the outputs dropped) with the parameters
papermill injected then; ``from_file`` runs the notebook file as it is now instead. The
metrics are compared exactly, and the report says which of notebook, parameters and
environment changed since the original run.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.entities import Run, RunSource, RunStatus
from workbench.errors import InvalidInput
from workbench.store import Store, open_store

RERUN_TAG = "workbench.rerun_of"


@dataclass
class RerunResult:
    original: Run
    rerun: Run
    from_file: bool
    metric_diffs: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)  # "notebook: ...", "environment: ..."

    @property
    def reproduced(self) -> bool:
        return self.rerun.status is RunStatus.SUCCEEDED and not self.metric_diffs

    @property
    def exit_code(self) -> int:
        return 0 if self.reproduced else 1

    def text(self) -> str:
        what = "the notebook file as it is now" if self.from_file else "the stored snapshot"
        lines = [
            f"rerun of {self.original.run_id} from {what}: run {self.rerun.run_id} "
            f"{self.rerun.status.value}"
        ]
        if self.reproduced:
            n = len(self.rerun.metrics)
            lines.append(f"metrics reproduced exactly ({n} metric{'s' * (n != 1)})")
        elif self.metric_diffs:
            lines.append("metrics differ:")
            for key, (old, new) in sorted(self.metric_diffs.items()):
                lines.append(f"  {key}: {_num(old)} -> {_num(new)}")
        if self.changes:
            lines.append("changed since the original run:")
            lines += [f"  {c}" for c in self.changes]
        elif not self.reproduced:
            lines.append(
                "neither notebook, parameters nor environment changed: the notebook "
                "is not deterministic (unseeded randomness, time, external data?)"
            )
        return "\n".join(lines)


def rerun(
    run_id: str,
    *,
    store: Store | None = None,
    from_file: bool = False,
    timeout: float | None = None,
    log_output: bool = False,
) -> RerunResult:
    from workbench.notebooks.execute import run_notebook
    from workbench.store.blobs import write_atomic
    from workbench.validate.snapshot import input_notebook, load_notebook_bytes, notebook_bytes

    store = store or open_store()
    original = store.get_run(run_id, history=False)
    executed = store.executed_notebook(original.run_id)
    params = injected_params(load_notebook_bytes(executed), original)
    recorded = Path(original.notebook) if original.notebook else None
    scratch = None
    if from_file:
        if recorded is None or not recorded.is_file():
            raise InvalidInput(
                f"the notebook of run {original.run_id} ({recorded}) is gone: "
                "rerun from the stored snapshot (leave out --from-file)"
            )
        path = recorded
    else:
        scratch = Path(tempfile.mkdtemp(prefix="rerun-", dir=_tmp(store)))
        path = scratch / (recorded.name if recorded else "notebook.ipynb")
        write_atomic(path, notebook_bytes(input_notebook(executed)))
    cwd = recorded.parent if recorded is not None and recorded.parent.is_dir() else None
    try:
        new = run_notebook(
            path,
            params,
            # the original run took these (perhaps with --allow-unknown): so does its rerun
            allow_unknown=True,
            timeout=timeout,
            experiment=original.experiment,
            store=store,
            source=RunSource.JOB,
            tags={RERUN_TAG: original.run_id},
            cwd=cwd,
            log_output=log_output,
        )
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if not from_file and recorded is not None:
        store.relabel_run_notebook(new.run_id, str(recorded))
        new.notebook = str(recorded)
    result = RerunResult(original=original, rerun=new, from_file=from_file)
    result.metric_diffs = metric_diffs(original.metrics, new.metrics)
    result.changes = changes(store, original, new, recorded)
    return result


def injected_params(executed_nb: Any, original: Run) -> dict[str, Any]:
    """The parameters papermill injected (recorded in the notebook's metadata); else the
    run's params that the notebook's schema declares."""
    recorded = executed_nb.metadata.get("papermill", {}).get("parameters")
    if isinstance(recorded, dict):
        return dict(recorded)
    from workbench.notebooks.schema import notebook_schema

    try:
        names = set(notebook_schema(executed_nb).names)
    except InvalidInput:
        return {}
    return {k: v for k, v in original.params.items() if k in names}


def metric_diffs(
    old: dict[str, float], new: dict[str, float]
) -> dict[str, tuple[float | None, float | None]]:
    return {
        k: (old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
    }


def changes(store: Store, original: Run, new: Run, notebook: Path | None) -> list[str]:
    from workbench.tracking.provenance import notebook_file_sha256

    out = []
    if notebook is not None:
        now, _ = notebook_file_sha256(notebook)
        if now is None:
            out.append(f"notebook: {notebook} is gone or unreadable")
        elif original.notebook_sha256 and now != original.notebook_sha256:
            out.append(f"notebook: {notebook.name} was edited since the run (cell sources differ)")
    old_p, new_p = original.params, new.params
    differing = sorted(k for k in set(old_p) | set(new_p) if old_p.get(k) != new_p.get(k))
    if differing:
        shown = ", ".join(f"{k}: {old_p.get(k)!r} -> {new_p.get(k)!r}" for k in differing[:5])
        out.append(f"parameters: {shown}")
    before = original.provenance.get("packages_sha256")
    after = new.provenance.get("packages_sha256")
    if before and after and before != after:
        out.append("environment: installed packages differ" + _package_diff(store, original, new))
    py_before, py_after = (
        original.provenance.get("python_version"),
        new.provenance.get("python_version"),
    )
    if py_before and py_after and py_before != py_after:
        out.append(f"environment: Python {py_before} -> {py_after}")
    return out


def _package_diff(store: Store, original: Run, new: Run) -> str:
    from workbench.validate.gate import run_packages

    old, cur = run_packages(store, original), run_packages(store, new)
    diffs = [
        f"{k} {old.get(k, '-')} -> {cur.get(k, '-')}"
        for k in sorted(set(old) | set(cur), key=str.lower)
        if old.get(k) != cur.get(k)
    ]
    if not diffs:
        return ""
    more = f" and {len(diffs) - 5} more" if len(diffs) > 5 else ""
    return " (" + ", ".join(diffs[:5]) + more + ")"


def _num(value: float | None) -> str:
    return "missing" if value is None else f"{value:.12g}"


def _tmp(store: Store) -> Path:
    folder = store.location.home / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
