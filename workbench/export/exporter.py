"""Export, top to bottom: find the validated run (validating first when given a notebook
or an unvalidated run), build the manifest, render the targets, write the notebook and the
wheels, record the export. A rollback renders a stored version again.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench._version import __version__
from workbench.entities import Export, Run, RunSource
from workbench.errors import Conflict, InvalidInput, NotFound, WorkbenchError
from workbench.export import manifest as mf
from workbench.export.names import (
    bump,
    check_name,
    check_version,
    default_name,
    normalize,
    version_key,
)
from workbench.store import Store, open_store
from workbench.store.blobs import write_atomic

if TYPE_CHECKING:
    from workbench.validate.report import ValidationReport

FIRST_VERSION = "0.1.0"


class ValidationFailed(WorkbenchError):
    """The notebook did not pass the gate, so it is not exported."""

    code = "validation_failed"
    http_status = 409
    user_error = True

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class ExportResult:
    export: Export
    out: Path
    files: list[str] = field(default_factory=list)  # relative to out, sorted
    report: ValidationReport | None = None  # of a validation done on the way


def export(
    source: str | os.PathLike[str] | None,
    *,
    out: str | os.PathLike[str],
    targets: str | Iterable[str] | None = None,
    name: str | None = None,
    version: str | None = None,
    description: str | None = None,
    params: Mapping[str, Any] | None = None,
    require: Iterable[str] | None = None,
    max_seconds: float | None = None,
    store: Store | None = None,
    workbench_wheel: str | os.PathLike[str] | None = None,
) -> ExportResult:
    """Export ``source`` (a notebook path or a run id) into the folder ``out``.

    With ``source`` None, ``name`` and ``version`` name an earlier export to write again.
    """
    store = store or open_store()
    chosen = mf.parse_targets(targets)
    out_dir = Path(out).expanduser().resolve()
    if source is None:
        if not name or not version:
            raise InvalidInput(
                "give a notebook or run id to export, or --name and --version "
                "of an earlier export to write it again"
            )
        record = store.get_export(normalize(name), check_version(version))
        chosen = chosen if targets else record.targets
        files = _materialize(store, record.manifest, chosen, out_dir, workbench_wheel)
        store.set_export_path(record.export_id, str(out_dir), chosen)
        record.path, record.targets = str(out_dir), chosen
        return ExportResult(export=record, out=out_dir, files=files)

    if name is not None:  # bad input is refused before any kernel starts
        check_name(name)
    if version is not None:
        check_version(version)
    run, report = _validated_run(store, source, params, require, max_seconds)
    from workbench.validate.gate import load_report, run_packages
    from workbench.validate.snapshot import input_notebook, notebook_bytes

    stored = report or load_report(store, run)
    nb = input_notebook(store.executed_notebook(run.run_id))
    from workbench.notebooks.schema import notebook_schema

    schema = notebook_schema(nb, name=Path(run.notebook or "notebook").name)
    notebook_name = Path(run.notebook or "notebook.ipynb").name
    export_name = normalize(name) if name else default_name(Path(notebook_name).stem)
    version = _next_version(store, export_name, version)
    prov = run.provenance
    packages = run_packages(store, run)
    manifest = mf.build_manifest(
        name=export_name,
        version=version,
        description=description
        if description is not None
        else f"The notebook {notebook_name} exported by Workbench",
        notebook_name=notebook_name,
        source_run=run.run_id,
        notebook_sha256=_sha(nb),
        parameters=schema.to_json(),
        defaults={k: v for k, v in run.params.items() if k in schema},
        requirements=stored.requirements if stored else [],
        python_version=str(prov.get("python_version") or platform.python_version()),
        workbench_version=packages.get(_dist_key(packages), __version__),
        git_commit=prov.get("git_commit"),
        metrics=run.metrics,
        validation=stored.to_json() if stored else {},
    )
    digest = store.put_artifact_bytes(
        run.run_id, f"exports/{export_name}/{version}/notebook.ipynb", notebook_bytes(nb)
    ).digest
    manifest["notebook_digest"] = digest
    files = _materialize(store, manifest, chosen, out_dir, workbench_wheel)
    record = store.create_export(
        name=export_name,
        version=version,
        run_id=run.run_id,
        validation_passed=bool(stored and stored.passed),
        targets=chosen,
        path=str(out_dir),
        notebook_sha256=manifest["notebook_sha256"],
        manifest=manifest,
    )
    return ExportResult(export=record, out=out_dir, files=files, report=report)


def _validated_run(
    store: Store,
    source: str | os.PathLike[str],
    params: Mapping[str, Any] | None,
    require: Iterable[str] | None,
    max_seconds: float | None,
) -> tuple[Run, ValidationReport | None]:
    """The passing validation run to export from, and the report if it was made now."""
    from workbench.validate.gate import load_report, validate

    text = os.fspath(source)
    path = Path(text).expanduser()
    if text.endswith(".ipynb") or path.is_file():
        report = validate(path, params, require=require, max_seconds=max_seconds, store=store)
        return _passed(store, report), report
    run = store.get_run(_run_id(store, text), history=False)
    if run.source == RunSource.VALIDATION.value:
        stored = load_report(store, run)
        if stored is None:
            raise InvalidInput(f"run {run.run_id} has no validation report: validate again")
        if not stored.passed:
            raise ValidationFailed(
                f"run {run.run_id} did not pass validation: fix what its "
                "report says and validate again",
                stored,
            )
        return store.get_run(run.run_id), None
    # Another kind of run: validate the notebook it executed, with its parameters.
    from workbench.validate.snapshot import input_notebook, notebook_bytes

    nb = input_notebook(store.executed_notebook(run.run_id))
    folder = Path(tempfile.mkdtemp(prefix="validate-", dir=_tmp(store)))
    copy = folder / Path(run.notebook or "notebook.ipynb").name
    write_atomic(copy, notebook_bytes(nb))
    from workbench.notebooks.schema import notebook_schema

    try:
        names = set(notebook_schema(nb).names)
    except InvalidInput:
        names = set()
    try:
        report = validate(
            copy,
            {k: v for k, v in run.params.items() if k in names},
            require=require,
            max_seconds=max_seconds,
            store=store,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if report.run_id and run.notebook:
        store.relabel_run_notebook(report.run_id, run.notebook)
    return _passed(store, report), report


def _passed(store: Store, report: ValidationReport) -> Run:
    if not report.passed or report.run_id is None:
        raise ValidationFailed(f"{report.notebook} did not pass validation", report)
    return store.get_run(report.run_id)


def _materialize(
    store: Store,
    manifest: dict[str, Any],
    targets: list[str],
    out: Path,
    explicit_wheel: str | os.PathLike[str] | None,
) -> list[str]:
    """Write the export's files and wheels into ``out``; the written paths, relative."""
    from workbench.export.wheels import build_wheel, place_wheels, workbench_wheel

    module = mf.context(manifest)["module"]
    files = mf.render_files({k: v for k, v in manifest.items() if k != "notebook_digest"}, targets)
    files_bytes = {rel: text.encode("utf-8") for rel, text in files.items()}
    try:
        files_bytes[f"package/src/{module}/notebook.ipynb"] = store.blobs.read_bytes(
            manifest["notebook_digest"]
        )
    except (KeyError, NotFound):
        raise NotFound(
            f"the notebook of {manifest['name']} {manifest['version']} is missing "
            "from the store's artifacts"
        ) from None
    out.mkdir(parents=True, exist_ok=True)
    for rel, data in files_bytes.items():
        write_atomic(out / rel, data)
    wheels = [workbench_wheel(store.location.home, explicit_wheel), build_wheel(out / "package")]
    try:
        placed = place_wheels(out, wheels)
    finally:
        shutil.rmtree(wheels[1].parent, ignore_errors=True)
    return sorted([*files_bytes, *(str(p.relative_to(out)) for p in placed)])


def _next_version(store: Store, name: str, version: str | None) -> str:
    if version is not None:
        version = check_version(version)
        try:
            store.get_export(name, version)
        except NotFound:
            return version
        raise Conflict(
            f"{name} {version} was already exported: leave --version out to take "
            f"the next one, or export it again with only --name {name} --version "
            f"{version} (rollback)"
        )
    versions = [e.version for e in store.list_exports(name)]
    if not versions:
        return FIRST_VERSION
    return bump(max(versions, key=version_key))


def _run_id(store: Store, text: str) -> str:
    from workbench.ids import resolve_run_id

    try:
        return resolve_run_id(store, text)
    except NotFound:
        raise NotFound(
            f"{text!r} is neither a notebook file nor a run id: give a .ipynb path or "
            "a run id from `workbench runs`"
        ) from None


def _sha(nb: Any) -> str:
    from workbench.tracking.provenance import notebook_sha256

    return notebook_sha256(nb)


def _dist_key(packages: Mapping[str, str]) -> str:
    return next((k for k in packages if normalize(k) == "jupyter-mlops-workbench"), "")


def _tmp(store: Store) -> Path:
    folder = store.location.home / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
