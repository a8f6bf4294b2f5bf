"""What an export is made of (the manifest, stored with the export) and the files it
renders to. Pure functions: no store, no kernel, so every template is testable directly.

The manifest holds only JSON values; :func:`render_files` derives what the templates need
(module name, KFP input types, default texts) and renders each target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from workbench.entities import check_json_value, check_param_name
from workbench.errors import InvalidInput
from workbench.export.names import check_name, check_version, module_name, normalize
from workbench.export.render import render

TARGETS = ("package", "kfp", "airflow", "github", "docker")
DEFAULT_SCHEDULE = "0 6 * * 1"  # Mondays 06:00 UTC
_KFP_TYPES = {
    "int": "Integer",
    "float": "Float",
    "bool": "Boolean",
    "str": "String",
    "list": "JsonArray",
    "dict": "JsonObject",
}
_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+$")
_PY = re.compile(r"^(\d+)\.(\d+)")
_HEX = re.compile(r"^[0-9a-f]{1,64}$")
_CRON = re.compile(r"^[0-9*/,\-A-Za-z]+( [0-9*/,\-A-Za-z]+){4}$")


def parse_targets(targets: str | Iterable[str] | None) -> list[str]:
    """``"package,kfp"`` or a list; the package is always part of an export."""
    if targets is None:
        return list(TARGETS)
    items = targets.split(",") if isinstance(targets, str) else list(targets)
    chosen = {t.strip().lower() for t in items if t.strip()}
    unknown = chosen - set(TARGETS)
    if unknown:
        raise InvalidInput(
            f"unknown export target(s) {', '.join(sorted(unknown))}: use {', '.join(TARGETS)}"
        )
    chosen.add("package")
    return [t for t in TARGETS if t in chosen]


def build_manifest(
    *,
    name: str,
    version: str,
    description: str,
    notebook_name: str,
    source_run: str,
    notebook_sha256: str,
    parameters: list[dict[str, Any]],
    defaults: Mapping[str, Any],
    requirements: Iterable[str],
    python_version: str,
    workbench_version: str,
    git_commit: str | None = None,
    metrics: Mapping[str, float] | None = None,
    validation: Mapping[str, Any] | None = None,
    schedule: str = DEFAULT_SCHEDULE,
) -> dict[str, Any]:
    """A checked manifest: names and versions validated, values JSON, pins well formed."""
    if not isinstance(description, str) or len(description) > 2000:
        raise InvalidInput("description must be text of at most 2000 characters")
    pins = list(requirements)
    for pin in pins:
        if not _PIN.match(pin):
            raise InvalidInput(f"requirement {pin!r} is not a name==version pin")
    for label, value in (("source run", source_run), ("notebook sha256", notebook_sha256)):
        if not isinstance(value, str) or not _HEX.match(value):
            raise InvalidInput(f"{label} {value!r} is not a hexadecimal id")
    if not _PY.match(python_version):
        raise InvalidInput(f"python version {python_version!r} is not like 3.11.7")
    if not _CRON.match(schedule):
        raise InvalidInput(f"schedule {schedule!r} is not a five-field cron expression")
    for p in parameters:
        check_param_name(p["name"])
        check_json_value(p["name"], p.get("default"))
    known = {p["name"] for p in parameters}
    for key, value in defaults.items():
        if key not in known:
            raise InvalidInput(f"default for {key!r}, which is not a parameter of the notebook")
        check_json_value(key, value)
    return {
        "name": normalize(check_name(name)),
        "version": check_version(version),
        "description": description,
        "notebook_name": str(notebook_name),
        "source_run": source_run,
        "notebook_sha256": notebook_sha256,
        "parameters": [dict(p) for p in parameters],
        "defaults": dict(defaults),
        "requirements": pins,
        "python_version": python_version,
        "workbench_version": check_version(workbench_version),
        "git_commit": git_commit,
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "validation": dict(validation or {}),
        "schedule": schedule,
    }


def default_text(value: Any) -> str:
    """A value as the console script reads it back (``--param name=TEXT``)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _inputs(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Parameters a pipeline step exposes: those with a literal (or validated) default."""
    out = []
    for p in manifest["parameters"]:
        name = p["name"]
        if name in manifest["defaults"]:
            value = manifest["defaults"][name]
        elif p.get("default_is_literal", True):
            value = p.get("default")
        else:
            continue  # a default that is code: the notebook computes it
        out.append(
            {
                "name": name,
                "kfp_type": _KFP_TYPES.get(p.get("type", ""), "String"),
                "default_text": default_text(value),
                "help": p.get("help") or f"{p.get('type', 'any')} parameter {name}",
            }
        )
    return out


def context(manifest: Mapping[str, Any]) -> dict[str, Any]:
    major, minor = _PY.match(manifest["python_version"]).groups()  # type: ignore[union-attr]
    module = module_name(manifest["name"])
    return {
        **manifest,
        "module": module,
        "inputs": _inputs(manifest),
        "python_minor": f"{major}.{minor}",
        "requires_python": f">={major}.{minor}",
        "dependencies": [
            f"jupyter-mlops-workbench=={manifest['workbench_version']}",
            *manifest["requirements"],
        ],
        "dag_id": module,
        "image": f"{manifest['name']}:{manifest['version']}",
        "workflow_file": f".github/workflows/{manifest['name']}.yml",
    }


def render_files(manifest: Mapping[str, Any], targets: Iterable[str]) -> dict[str, str]:
    """Relative path -> text of every generated text file (the notebook excepted)."""
    ctx = context(manifest)
    module = ctx["module"]
    chosen = parse_targets(list(targets))
    readme = render("README.md.j2", {**ctx, "targets": chosen})
    files = {
        "README.md": readme,
        "package/README.md": readme,
        "package/pyproject.toml": render("pyproject.toml.j2", ctx),
        f"package/src/{module}/__init__.py": render("module.py.j2", ctx),
        f"package/src/{module}/__main__.py": render("main.py.j2", ctx),
        f"package/src/{module}/export.json": json.dumps(manifest, indent=2) + "\n",
    }
    if "kfp" in chosen:
        files["kfp/component.yaml"] = render("component.yaml.j2", ctx)
    if "airflow" in chosen:
        files[f"airflow/{module}_dag.py"] = render("dag.py.j2", ctx)
    if "github" in chosen:
        files[ctx["workflow_file"]] = render("workflow.yml.j2", ctx)
    if "docker" in chosen:
        files["Dockerfile"] = render("Dockerfile.j2", ctx)
    return files
