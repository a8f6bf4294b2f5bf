"""Provenance captured at run start: what ran, where, from which code and environment."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any


def notebook_sha256(nb: dict[str, Any]) -> str:
    """Hash of the cell types and sources only: outputs and metadata do not change it."""
    h = hashlib.sha256()
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        h.update(cell.get("cell_type", "").encode())
        h.update(b"\x00")
        h.update(source.encode())
        h.update(b"\x00")
    return h.hexdigest()


def notebook_file_sha256(path: str | os.PathLike[str]) -> tuple[str | None, str | None]:
    """(sha256 of cell sources, kernelspec name) of a notebook file; Nones if unreadable."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        kernel = (nb.get("metadata", {}).get("kernelspec") or {}).get("name")
        return notebook_sha256(nb), kernel
    except (OSError, ValueError, AttributeError):
        return None, None


def git_info(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The commit checked out in the repository holding ``folder`` and whether tracked
    files differ from it; {} outside a repository (or before its first commit). One
    ``git status`` call: a sweep asks once per job."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if out.returncode != 0:
        return {}
    lines = out.stdout.splitlines()
    commit = next((ln.split()[2] for ln in lines if ln.startswith("# branch.oid ")), None)
    if commit is None or commit == "(initial)":
        return {}
    return {"git_commit": commit, "git_dirty": any(not ln.startswith("#") for ln in lines)}


_packages: tuple[tuple[tuple[str, int], ...], bytes] | None = None


def installed_packages() -> bytes:
    """``name==version`` lines of the running interpreter's distributions, sorted.

    Kept while no folder on sys.path changed (installing or removing a distribution
    changes its folder's mtime): a sweep worker asks once per job, and reading every
    distribution's metadata costs more than a warm job's kernel start."""
    global _packages
    stamp = tuple((p, _mtime(p)) for p in sys.path if p)
    if _packages is not None and _packages[0] == stamp:
        return _packages[1]
    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        found = _name_version(dist)
        if found:
            seen.setdefault(found[0].lower(), f"{found[0]}=={found[1]}")
    _packages = (stamp, ("\n".join(sorted(seen.values(), key=str.lower)) + "\n").encode())
    return _packages[1]


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _name_version(dist: metadata.Distribution) -> tuple[str, str] | None:
    # Name and Version are one-line headers at the top of the metadata file: reading them
    # there is ten times faster than dist.metadata, which parses the whole file (with its
    # long description) as an e-mail message. Anything unusual takes that slow way.
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    head = text.split("\n\n", 1)[0]
    fields: dict[str, str] = {}
    for line in head.splitlines():
        name, sep, value = line.partition(":")
        if sep and name in ("Name", "Version") and name not in fields:
            fields[name] = value.strip()
    if fields.get("Name") and fields.get("Version"):
        return fields["Name"], fields["Version"]
    # (PackageMetadata.get is typed from Python 3.12 on; get_all is the same header read)
    names = dist.metadata.get_all("Name") if text else None
    return (names[0], dist.version) if names and names[0] else None


def collect(
    notebook: str | os.PathLike[str] | None = None, kernel_name: str | None = None
) -> tuple[dict[str, Any], bytes]:
    """Provenance for a run of ``notebook`` (or of a script): (fields, packages list)."""
    packages = installed_packages()
    prov: dict[str, Any] = {
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "host": socket.gethostname(),
        "user": _user(),
        "platform": platform.platform(),
        "packages_sha256": hashlib.sha256(packages).hexdigest(),
    }
    folder: str | os.PathLike[str] = os.getcwd()
    if notebook is not None:
        path = Path(notebook).resolve()
        sha, spec_kernel = notebook_file_sha256(path)
        prov.update(notebook=str(path), notebook_sha256=sha)
        kernel_name = kernel_name or spec_kernel
        folder = path.parent if path.parent.is_dir() else folder
    if kernel_name:
        prov["kernel_name"] = kernel_name
    prov.update(git_info(folder))
    return prov, packages


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
