"""The gate's checks, each a small function that adds one entry (or a few) to a report.

Static checks read the notebook's code with :mod:`ast`; the others read the validation
run: its status, its executed notebook and its logged metrics.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.entities import Run, RunStatus
from workbench.errors import InvalidInput
from workbench.notebooks.schema import NOT_LITERAL, ParamSchema, notebook_schema
from workbench.validate.conditions import Condition
from workbench.validate.report import CheckStatus, ValidationReport

# Provided by Workbench's own wheel, or by the kernel: never pinned separately.
PROVIDED = {"workbench", "IPython", "ipykernel", "papermill", "nbformat", "nbclient"}
_ABSOLUTE = re.compile(r"^(?:/|~/|[A-Za-z]:[\\/])[^\s<>|*?\"]*[^\s<>|*?\"/\\]$")


def code_cells(nb: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(index, source) of each code cell, IPython magics and shell lines blanked."""
    out = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
        out.append((index, "\n".join(lines)))
    return out


def check_structure(report: ValidationReport, nb: Mapping[str, Any]) -> None:
    spec = nb.get("metadata", {}).get("kernelspec") or {}
    if not spec.get("name"):
        report.add(
            "notebook",
            CheckStatus.FAIL,
            "valid nbformat, but it has no kernelspec: open it in JupyterLab, pick a "
            "kernel and save it, so a deployed step knows which kernel to start",
        )
        return
    report.add(
        "notebook",
        CheckStatus.PASS,
        f"valid nbformat {nb.get('nbformat')}.{nb.get('nbformat_minor')}, kernel {spec['name']!r}",
    )


def check_parameters(report: ValidationReport, nb: Mapping[str, Any]) -> ParamSchema | None:
    try:
        schema = notebook_schema(nb)
    except InvalidInput as exc:
        report.add("parameters", CheckStatus.FAIL, exc.message)
        return None
    if not schema.params:
        report.add(
            "parameters",
            CheckStatus.FAIL,
            "the cell tagged `parameters` assigns no parameter: write one "
            "`name = default` per line",
        )
        return None
    code = [p.name for p in schema if p.default is NOT_LITERAL]
    listed = ", ".join(f"{p.name}: {p.type}" for p in schema)
    if code:
        report.add(
            "parameters",
            CheckStatus.WARN,
            f"{listed}; the default of {', '.join(code)} is code, not a literal: the "
            "export cannot show or check it",
        )
    else:
        report.add("parameters", CheckStatus.PASS, f"{len(schema)} typed: {listed}")
    return schema


def imported_modules(nb: Mapping[str, Any]) -> dict[str, int]:
    """Top-level module name -> index of the first cell importing it (relative imports skipped)."""
    found: dict[str, int] = {}
    for index, source in code_cells(nb):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], index)
    return found


@dataclass
class ImportScan:
    third_party: dict[str, list[str]]  # module -> distributions providing it
    missing: dict[str, int]  # module -> cell index
    local: list[str]  # modules found beside the notebook: not pinned, not bundled


def scan_imports(nb: Mapping[str, Any], folder: Path) -> ImportScan:
    from importlib import metadata

    provided_by = metadata.packages_distributions()
    scan = ImportScan({}, {}, [])
    for module, cell in imported_modules(nb).items():
        if module in sys.stdlib_module_names or module in PROVIDED or module == "__future__":
            continue
        if (folder / f"{module}.py").is_file() or (folder / module / "__init__.py").is_file():
            scan.local.append(module)
        elif module in provided_by:
            scan.third_party[module] = sorted(set(provided_by[module]))
        elif importlib.util.find_spec(module) is None:
            scan.missing[module] = cell
        else:  # importable, but from no distribution (a folder on sys.path): cannot pin
            scan.local.append(module)
    return scan


def pins(scan: ImportScan, versions: Mapping[str, str]) -> list[str]:
    """``name==version`` for each distribution behind a third-party import."""
    lower = {k.lower().replace("_", "-"): (k, v) for k, v in versions.items()}
    out = set()
    for dists in scan.third_party.values():
        for dist in dists:
            name, version = lower.get(dist.lower().replace("_", "-"), (dist, None))
            if version is None:
                try:
                    from importlib import metadata

                    version = metadata.version(dist)
                except Exception:  # metadata.PackageNotFoundError and broken dists
                    continue
            out.add(f"{name}=={version}")
    return sorted(out, key=str.lower)


def check_imports(report: ValidationReport, scan: ImportScan) -> None:
    if scan.missing:
        names = ", ".join(f"{m} (cell {c})" for m, c in sorted(scan.missing.items()))
        report.add(
            "imports",
            CheckStatus.FAIL,
            f"not installed here, so the export cannot pin it: {names}; "
            "`pip install` it (or remove the import) and validate again",
            min(scan.missing.values()),
        )
    elif scan.local:
        report.add(
            "imports",
            CheckStatus.WARN,
            f"{', '.join(sorted(scan.local))} come from local files, which the "
            "export does not bundle; make them a package or inline them",
        )
    else:
        listed = ", ".join(sorted(scan.third_party)) or "none"
        report.add(
            "imports",
            CheckStatus.PASS,
            f"every third-party import is installed and will be pinned: {listed}",
        )


def absolute_paths(nb: Mapping[str, Any], project: Path) -> list[tuple[int, str]]:
    """(cell, path) of string literals that are absolute paths outside ``project``."""
    out = []
    for index, source in code_cells(nb):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value
            if len(text) < 2 or "\n" in text or not _ABSOLUTE.match(text):
                continue
            where = Path(text).expanduser()
            if where.is_absolute() and where.resolve().is_relative_to(project):
                continue
            out.append((index, text))
    return out


def check_paths(report: ValidationReport, nb: Mapping[str, Any], project: Path) -> None:
    found = absolute_paths(nb, project)
    if found:
        shown = "; ".join(f"cell {c}: {p!r}" for c, p in found[:5])
        report.add(
            "paths",
            CheckStatus.WARN,
            f"absolute paths outside the project ({project}), which a deployed step "
            f"will not have: {shown}; make them parameters or relative paths",
            found[0][0],
        )
    else:
        report.add("paths", CheckStatus.PASS, "no absolute path outside the project")


def error_outputs(executed: bytes) -> list[tuple[int, str]]:
    """(cell, "Name: value") of the error outputs in an executed notebook."""
    try:
        cells = json.loads(executed).get("cells", [])
    except (ValueError, AttributeError):
        return []
    # Indexes as in the notebook the user wrote: papermill's own cells are not counted.
    added = {"papermill-error-cell-tag", "injected-parameters"}
    cells = [c for c in cells if not added & set(c.get("metadata", {}).get("tags", []))]
    found = []
    for index, cell in enumerate(cells):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "error":
                found.append((index, f"{out.get('ename')}: {out.get('evalue')}"))
    return found


def check_execution(report: ValidationReport, run: Run, executed: bytes | None) -> None:
    errors = error_outputs(executed) if executed else []
    if run.status is RunStatus.SUCCEEDED and not errors:
        report.add(
            "execution",
            CheckStatus.PASS,
            "ran top to bottom in a fresh kernel with no error output",
        )
        return
    if run.status is RunStatus.TIMED_OUT:
        return  # the time check says it
    reason = run.error.reason if run.error and run.error.reason else f"the run {run.status.value}"
    cell = None
    if errors:
        cell, text = errors[0]
        reason = f"cell {cell} raised {text}" + (
            "" if run.status is RunStatus.FAILED else f" (run {run.status.value})"
        )
    report.add("execution", CheckStatus.FAIL, reason, cell)


def check_conditions(
    report: ValidationReport, conditions: Iterable[Condition], metrics: Mapping[str, float]
) -> None:
    for cond in conditions:
        name = f"require: {cond}"
        value = metrics.get(cond.metric)
        if value is None:
            logged = ", ".join(sorted(metrics)) or "none"
            report.add(
                name,
                CheckStatus.FAIL,
                f"metric {cond.metric!r} was never logged (logged: {logged}); "
                f"log it with wb.log_metric({cond.metric!r}, value)",
            )
        elif cond.holds(value):
            report.add(name, CheckStatus.PASS, f"{cond.metric} = {value:g} ({cond.origin})")
        else:
            report.add(
                name,
                CheckStatus.FAIL,
                f"{cond.metric} = {value:g}, which is not {cond.op} {cond.threshold:g} "
                f"({cond.origin})",
            )


def check_time(report: ValidationReport, run: Run, max_seconds: float) -> None:
    took = run.duration_s or 0.0
    if run.status is RunStatus.TIMED_OUT:
        report.add(
            "time",
            CheckStatus.FAIL,
            f"did not finish within the budget of {max_seconds:g} s "
            f"({run.error.reason if run.error else 'timed out'})",
        )
    elif took > max_seconds:
        report.add(
            "time", CheckStatus.FAIL, f"took {took:.1f} s, over the {max_seconds:g} s budget"
        )
    else:
        report.add("time", CheckStatus.PASS, f"took {took:.1f} s of the {max_seconds:g} s budget")
