"""The exported demo installs exactly as its README says, into a fresh virtual environment
without JupyterLab, runs with a parameter, prints its metrics and records a deployed run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.store import Store, locate

DEMO = Path(__file__).resolve().parents[1] / "templates" / "demo.ipynb"


def cache_dir(config: pytest.Config, factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder kept between sessions (pytest's cache), or this session's without it."""
    cache = getattr(config, "cache", None)
    return Path(cache.mkdir(name)) if cache is not None else factory.mktemp(name)


def _readme_install_line(readme: str) -> str:
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    lines = [ln for block in blocks for ln in block.splitlines() if ln.startswith("pip install")]
    assert len(lines) == 1, blocks
    return lines[0]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_exported_demo_installs_and_records_deployed_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from workbench.export import export
    from workbench.export.wheels import workbench_wheel
    from workbench.validate import validate

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "dev-store"))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    wheel = workbench_wheel(cache_dir(pytestconfig, tmp_path_factory, "workbench-wheels"))
    report = validate(DEMO, {"n_estimators": 10}, require=["accuracy>=0.8"])
    assert report.passed, report.text()
    out = tmp_path / "export"
    result = export(report.run_id, out=out, name="demo-model", workbench_wheel=wheel)
    assert result.export.version == "0.1.0"

    # A fresh venv, and the README's install line run in the export folder, as written.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "WORKBENCH_", "VIRTUAL_ENV", "JUPYTER"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    line = _readme_install_line((out / "README.md").read_text())
    assert line == "pip install ./wheels/*.whl"
    install = subprocess.run(
        ["bash", "-c", line], cwd=out, env=env, capture_output=True, text=True, timeout=600
    )
    assert install.returncode == 0, install.stderr[-3000:]

    python = str(venv / "bin" / "python")
    probe = subprocess.run(
        [
            python,
            "-c",
            "import importlib.util as u; print(bool(u.find_spec('jupyterlab')), "
            "bool(u.find_spec('jupyter_server')), bool(u.find_spec('workbench')))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["False", "False", "True"]  # no JupyterLab, no server

    # The console script with a parameter, recording into a given store.
    deployed = tmp_path / "prod-store"
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(
        ["demo-model", "--param", "n_estimators=5", "--output", "executed.ipynb"],
        cwd=work,
        env={**env, "WORKBENCH_HOME": str(deployed)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads(proc.stdout)
    assert set(metrics) >= {"accuracy", "f1"} and 0.8 < metrics["accuracy"] <= 1.0
    assert (work / "executed.ipynb").is_file()

    store = Store(locate(home=str(deployed)))
    try:
        runs, total = store.search_runs()
        assert total == 1
        run = runs[0]
        assert run.source == "deployed" and run.status.value == "succeeded"
        assert run.tags["workbench.export"] == "demo-model"
        assert run.tags["workbench.export_version"] == "0.1.0"
        assert run.params["n_estimators"] == 5
        assert run.metrics["accuracy"] == metrics["accuracy"]
    finally:
        store.close()

    # run(**params) from Python, no store configured: still runs and returns the metrics.
    code = "from demo_model import run; print(run(n_estimators=3)['accuracy'])"
    proc = subprocess.run(
        [python, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 0.5 < float(proc.stdout.strip().splitlines()[-1]) <= 1.0
    assert not (work / ".workbench").exists()

    # Bad input is refused before a kernel starts.
    proc = subprocess.run(
        ["demo-model", "--param", "n_estimators=many"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "expects int" in proc.stderr
