"""Names and versions of exported packages: checked, normalized and bumped."""

from __future__ import annotations

import keyword
import re
import sys
from typing import TYPE_CHECKING

from workbench.errors import InvalidInput

if TYPE_CHECKING:
    from packaging.version import Version

# PEP 508 names (case-insensitive), kept to a sane length.
_DIST = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
MAX_NAME = 64
RESERVED = {"workbench", "jupyter-mlops-workbench", "papermill", "ipykernel"}


def check_name(name: object) -> str:
    """A distribution name usable as a package, a module and a console script."""
    if not isinstance(name, str) or not _DIST.match(name) or len(name) > MAX_NAME:
        raise InvalidInput(
            f"export name {name!r} is not usable: use letters, digits, '-', '_' or '.', "
            f"starting and ending with a letter or digit, at most {MAX_NAME} characters "
            "(for example churn-model)"
        )
    module = module_name(name)
    if not module.isidentifier() or keyword.iskeyword(module) or module[0].isdigit():
        raise InvalidInput(
            f"export name {name!r} gives the module name {module!r}, which is not a Python "
            f"identifier: start it with a letter (for example model-{name})"
        )
    if normalize(name) in {normalize(r) for r in RESERVED} or module in sys.stdlib_module_names:
        raise InvalidInput(f"export name {name!r} would shadow an existing package: pick another")
    return name


def normalize(name: str) -> str:
    """PEP 503 normalized form: how indexes and pip compare names."""
    return re.sub(r"[-_.]+", "-", name).lower()


def module_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def default_name(notebook_stem: str) -> str:
    """An export name derived from a notebook's file name (``Train Model`` -> train-model)."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", notebook_stem).strip("-").lower() or "notebook"
    if name[0].isdigit():
        name = f"nb-{name}"
    return name[:MAX_NAME].rstrip("-")


def check_version(version: object) -> str:
    """A PEP 440 version in its normalized form."""
    from packaging.version import InvalidVersion, Version

    if not isinstance(version, str):
        raise InvalidInput(f"version {version!r} is not text: give one such as 0.1.0")
    try:
        parsed = Version(version)
    except InvalidVersion:
        raise InvalidInput(
            f"version {version!r} is not a PEP 440 version: give one such as 0.1.0 or 1.2"
        ) from None
    if parsed.local:
        raise InvalidInput(f"version {version!r} has a local part (+...): leave it out")
    return str(parsed)


def bump(version: str) -> str:
    """The next patch version: 0.1.0 -> 0.1.1, 1.2 -> 1.2.1, 1.0rc1 -> 1.0.1."""
    from packaging.version import Version

    release = list(Version(version).release) + [0, 0]
    major, minor, patch = release[:3]
    return f"{major}.{minor}.{patch + 1}"


def version_key(version: str) -> Version:
    from packaging.version import Version

    return Version(version)
