"""Wheels written beside an exported package: Workbench's own (it is on no public index)
and the package's, so ``pip install ./wheels/*.whl`` installs the step anywhere.

Workbench's wheel comes from, in order: an explicit path (``WORKBENCH_WHEEL``), a cache in
the store home keyed by a hash of the source tree, or a build of the source tree this
package runs from (``pip wheel``; the labextension must already be built into
``workbench/labextension``, so no npm build is triggered).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from workbench.errors import InvalidInput, WorkbenchError

DIST = "jupyter-mlops-workbench"
WHEEL_PREFIX = "jupyter_mlops_workbench-"
WHEEL_ENV = "WORKBENCH_WHEEL"
BUILD_TIMEOUT_S = 600


class WheelBuildFailed(WorkbenchError):
    code = "wheel_build_failed"
    http_status = 500


def source_tree() -> Path | None:
    """The repository this ``workbench`` package runs from (an editable install), or None."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if f'name = "{DIST}"' in text else None


def tree_digest(root: Path) -> str:
    """A hash of what goes into the wheel: the package's files, templates, pyproject."""
    h = hashlib.sha256()
    paths = [root / "pyproject.toml"]
    for folder in (root / "workbench", root / "templates"):
        paths += sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
    for path in paths:
        h.update(str(path.relative_to(root)).encode() + b"\x00")
        h.update(path.read_bytes())
        h.update(b"\x00")
    return h.hexdigest()[:20]


def workbench_wheel(cache_root: Path, explicit: str | os.PathLike[str] | None = None) -> Path:
    """A wheel of this Workbench, built once per source state and cached under
    ``cache_root``."""
    given = explicit or os.environ.get(WHEEL_ENV)
    if given:
        path = Path(given).expanduser().resolve()
        if not (path.is_file() and path.name.startswith(WHEEL_PREFIX) and path.suffix == ".whl"):
            raise InvalidInput(f"{path} is not a wheel of {DIST} ({WHEEL_PREFIX}*.whl)")
        return path
    root = source_tree()
    if root is None:
        raise WorkbenchError(
            f"cannot find a wheel of {DIST} to ship beside the package: set {WHEEL_ENV} to the "
            "wheel Workbench was installed from (or install Workbench from its source tree)"
        )
    cache = cache_root / "wheels" / tree_digest(root)
    found = sorted(cache.glob(f"{WHEEL_PREFIX}*.whl"))
    if found:
        return found[-1]
    if not (root / "workbench" / "labextension" / "static" / "style.js").is_file():
        raise WorkbenchError(
            f"the labextension is not built in {root / 'workbench' / 'labextension'}, so a "
            "wheel of Workbench would need an npm build: run `make setup` (or `cd labextension "
            "&& npm run build`) first"
        )
    return _move_into(build_wheel(root, ("hatchling", "hatch_jupyter_builder")), cache)


def build_wheel(project: Path, backend_modules: tuple[str, ...] = ("hatchling",)) -> Path:
    """``pip wheel`` of one project folder into a temporary folder; returns the wheel.

    The build runs without isolation when the backend is importable here (no download),
    else pip fetches it from the package index as usual.
    """
    out = Path(tempfile.mkdtemp(prefix="workbench-wheel-"))
    isolated = not all(importlib.util.find_spec(m) for m in backend_modules)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--quiet",
        *([] if isolated else ["--no-build-isolation"]),
        "-w",
        str(out),
        str(project),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise WheelBuildFailed(
            f"building a wheel of {project} took over {BUILD_TIMEOUT_S} s"
        ) from None
    wheels = sorted(out.glob("*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise WheelBuildFailed(f"building a wheel of {project} failed: {tail}")
    return wheels[0]


def _move_into(wheel: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / wheel.name
    tmp = folder / f".{wheel.name}.tmp"
    shutil.copyfile(wheel, tmp)
    os.replace(tmp, target)
    shutil.rmtree(wheel.parent, ignore_errors=True)
    return target


def place_wheels(out: Path, wheels: list[Path]) -> list[Path]:
    """``out/wheels`` holding exactly ``wheels`` (older ones removed: pip would see two)."""
    folder = out / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.whl"):
        old.unlink()
    placed = []
    for wheel in wheels:
        target = folder / wheel.name
        shutil.copyfile(wheel, target)
        placed.append(target)
    return placed
