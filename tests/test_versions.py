"""The Python package and the labextension ship one version."""

from __future__ import annotations

import json
from pathlib import Path

import workbench

ROOT = Path(__file__).resolve().parents[1]


def test_labextension_version_matches_python_version() -> None:
    package = json.loads((ROOT / "labextension" / "package.json").read_text(encoding="utf-8"))
    assert package["name"] == "jupyter-mlops-workbench"
    assert package["version"] == workbench.__version__


def test_version_file_is_the_single_source() -> None:
    namespace: dict[str, object] = {}
    exec((ROOT / "workbench" / "_version.py").read_text(encoding="utf-8"), namespace)
    assert namespace["__version__"] == workbench.__version__
