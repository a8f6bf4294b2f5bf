"""The wheel is prebuilt: it installs and enables both extensions on a machine without Node."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = "jupyter-mlops-workbench"

# Never copied into the build tree: environments, build output and local state.
ANSI = re.compile(r"\x1b\[[0-9;]*m")
EXCLUDED = {".venv", "node_modules", ".git", "dist", "build", ".workbench", "test-artifacts"}
EXCLUDED_PATHS = {Path("workbench/labextension"), Path("labextension/lib")}


def _copy_tree(src: Path, dst: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        rel = Path(directory).relative_to(src)
        return {
            n
            for n in names
            if n in EXCLUDED
            or rel / n in EXCLUDED_PATHS
            or n in {"__pycache__", ".pytest_cache", ".ruff_cache", "tsconfig.tsbuildinfo"}
            or n.endswith(".egg-info")
        }

    shutil.copytree(src, dst, ignore=ignore, symlinks=True)


def _path_without_node() -> str:
    """PATH minus every directory holding node or npm."""
    kept = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and not (shutil.which("node", path=d) or shutil.which("npm", path=d))
    ]
    return os.pathsep.join(kept)


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a clean copy of the tree, reusing labextension/node_modules."""
    node_modules = ROOT / "labextension" / "node_modules"
    if not node_modules.is_dir():
        pytest.fail("labextension/node_modules is missing: run `npm install` in labextension/")
    src = tmp_path_factory.mktemp("src") / "repo"
    _copy_tree(ROOT, src)
    (src / "labextension" / "node_modules").symlink_to(node_modules, target_is_directory=True)
    assert not (src / "workbench" / "labextension").exists()
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(src)], timeout=600)
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.slow
def test_wheel_holds_templates_and_prebuilt_labextension(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    share = f"jupyter_mlops_workbench-{wheel.name.split('-')[1]}.data/data/share/jupyter/"
    ext = f"{share}labextensions/{NAME}/"
    assert f"{ext}package.json" in names
    assert f"{ext}install.json" in names
    assert f"{ext}static/style.js" in names
    assert any(n.startswith(f"{ext}static/remoteEntry.") for n in names)
    config = "data/etc/jupyter/jupyter_server_config.d/jupyter_mlops_workbench.json"
    assert any(n.endswith(config) for n in names), "no server extension config in the wheel"
    assert any(n.startswith("workbench/templates/") for n in names), "no templates in the wheel"


@pytest.mark.slow
def test_wheel_installs_and_enables_extensions_without_node(wheel: Path, tmp_path: Path) -> None:
    path = _path_without_node()
    assert shutil.which("node", path=path) is None
    assert shutil.which("npm", path=path) is None

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    env = {**os.environ, "PATH": os.pathsep.join([str(bindir), path])}
    env.pop("PYTHONPATH", None)
    # Keep the user's own Jupyter config and data out of what the new venv reports.
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter-config")
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter-data")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    _run(
        [str(bindir / "python"), "-m", "pip", "install", "-q", f"{wheel}[lab]"],
        env=env,
        timeout=900,
    )

    labext = _run([str(bindir / "jupyter"), "labextension", "list"], env=env, cwd=tmp_path)
    report = ANSI.sub("", labext.stdout + labext.stderr)
    line = next((ln for ln in report.splitlines() if NAME in ln), "")
    assert "enabled" in line and "OK" in line, report
    assert str(venv) in report, report  # found in the new venv, not elsewhere

    serverext = _run(
        [str(bindir / "jupyter"), "server", "extension", "list"], env=env, cwd=tmp_path
    )
    report = ANSI.sub("", serverext.stdout + serverext.stderr)
    lines = report.splitlines()
    assert any(ln.split()[:2] == ["workbench", "enabled"] for ln in lines), report
    assert any("workbench" in ln and "OK" in ln for ln in lines), report
