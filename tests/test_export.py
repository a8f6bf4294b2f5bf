"""Export: names, literals, templates (injection), registry and rollback, pipeline files.

The KFP component is loaded with the real ``kfp`` SDK in a side virtual environment (kfp
would change packages of the main one); Airflow is too heavy for CI, so the DAG file is
compiled and checked structurally with ast.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from workbench.cli import main
from workbench.errors import Conflict, InvalidInput
from workbench.export.literals import py_literal, quoted, toml_literal, yaml_literal
from workbench.export.manifest import build_manifest, default_text, parse_targets, render_files
from workbench.export.names import bump, check_name, check_version, default_name, module_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: tomli comes with `build` (the test extra)
    import tomli as tomllib

NOTEBOOKS = Path(__file__).parent / "notebooks"


def cache_dir(config: pytest.Config, factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder kept between sessions (pytest's cache), or this session's without it."""
    cache = getattr(config, "cache", None)
    return Path(cache.mkdir(name)) if cache is not None else factory.mktemp(name)


HOSTILE = [
    "a'b\"c\\",
    "');import os#",
    "line1\nline2\r\n# heading",
    '"""; import os; """',
    "${{ secrets.TOKEN }}",
    "{{ 7*7 }} {% raw %}",
    "tab\there\x00nul\x7fdel\u2028sep",
    "emoji 🚀 and ü",
    "- item: [x]\n  key: value",
    "\\\n\\",
    "",
]


# -- names and versions ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["churn-model", "Model_2", "a", "x.y-z"])
def test_good_names(name: str) -> None:
    assert check_name(name) == name
    assert module_name(name).isidentifier()


@pytest.mark.parametrize(
    "name",
    [
        "a'b\"c\\",
        "');import os#",
        "-lead",
        "trail-",
        "two words",
        "class",
        "1abc",
        "os",
        "workbench",
        "jupyter_mlops_workbench",
        "x" * 65,
        "",
    ],
)
def test_bad_names_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_name(name)


def test_versions() -> None:
    assert check_version("1.0") == "1.0"
    assert bump("0.1.0") == "0.1.1" and bump("1.2") == "1.2.1" and bump("2.0rc1") == "2.0.1"
    for bad in ("one", "1.0+local", "1.0; rm -rf", ""):
        with pytest.raises(InvalidInput):
            check_version(bad)
    assert default_name("My Notebook (v2)") == "my-notebook-v2"
    assert default_name("2024 report") == "nb-2024-report"
    assert parse_targets("kfp, docker") == ["package", "kfp", "docker"]
    with pytest.raises(InvalidInput, match="helm"):
        parse_targets("helm")


# -- literals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        *HOSTILE,
        0,
        -7,
        2**70,
        0.1,
        1e-05,
        -2.5e300,
        1e16,
        True,
        False,
        None,
        [1, "a'", [None]],
        {"k'\n": {"n": [1.5, "x"]}, "": 0},
    ],
)
def test_literals_round_trip(value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        pass  # NUL is fine in all three
    assert ast.literal_eval(py_literal(value)) == value
    assert yaml.safe_load(f"v: {yaml_literal(value)}\n")["v"] == value
    if value is not None and not (isinstance(value, list) and None in value[2]):
        assert tomllib.loads(f"v = {toml_literal(value)}\n")["v"] == value


def test_literals_refuse_non_json() -> None:
    for value in (float("nan"), object(), {1: 2}, {"a"}):
        with pytest.raises(InvalidInput):
            py_literal(value)
    with pytest.raises(InvalidInput, match="surrogate"):
        quoted("\ud800")


# -- templates: injection ------------------------------------------------------------------


def _manifest(text: str, default: Any) -> dict[str, Any]:
    params = [
        {
            "name": "lr",
            "type": "float",
            "nullable": False,
            "default": 0.1,
            "default_repr": "0.1",
            "default_is_literal": True,
            "help": text,
        },
        {
            "name": "label",
            "type": "str",
            "nullable": False,
            "default": text,
            "default_repr": repr(text),
            "default_is_literal": True,
            "help": "a label",
        },
        {
            "name": "cfg",
            "type": "any",
            "nullable": True,
            "default": None,
            "default_repr": "make()",
            "default_is_literal": False,
            "help": "",
        },
    ]
    return build_manifest(
        name="safe-name",
        version="1.2.3",
        description=text,
        notebook_name=f"{text}.ipynb",
        source_run="ab12",
        notebook_sha256="cd34",
        parameters=params,
        defaults={"label": default, "lr": 0.5},
        requirements=["numpy==2.0.0"],
        python_version="3.11.7",
        workbench_version="0.1.0",
        git_commit=text,
        metrics={text: 0.5, "acc": 1.0},
        validation={"checks": [{"name": text, "status": "pass", "detail": text}]},
    )


def _statements(tree: ast.AST) -> int:
    return sum(isinstance(node, ast.stmt) for node in ast.walk(tree))


def _constants(tree: ast.Module) -> dict[str, Any]:
    out = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            try:
                out[stmt.targets[0].id] = ast.literal_eval(stmt.value)
            except ValueError:
                pass
    return out


@pytest.fixture(scope="module")
def baseline() -> dict[str, str]:
    return render_files(_manifest("plain text", "plain"), parse_targets(None))


@pytest.mark.parametrize("text", HOSTILE)
def test_injection_cannot_add_statements(text: str, baseline: dict[str, str]) -> None:
    default = text
    files = render_files(_manifest(text, default), parse_targets(None))
    assert set(files) == set(baseline)
    for rel, source in files.items():
        if rel.endswith(".py"):
            tree = ast.parse(source)
            assert _statements(tree) == _statements(ast.parse(baseline[rel])), rel
            compile(source, rel, "exec")
    module = _constants(ast.parse(files["package/src/safe_name/__init__.py"]))
    assert module["DESCRIPTION"] == text
    assert module["DEFAULTS"] == {"label": default, "lr": 0.5}
    assert module["PARAMETERS"][0]["help"] == text
    dag = _constants(ast.parse(files["airflow/safe_name_dag.py"]))
    assert dag["DESCRIPTION"] == text and dag["PARAMS"]["label"] == default

    pyproject = tomllib.loads(files["package/pyproject.toml"])
    assert pyproject["project"]["description"] == text
    assert pyproject["project"]["scripts"] == {"safe-name": "safe_name:main"}

    component = yaml.safe_load(files["kfp/component.yaml"])
    base_component = yaml.safe_load(baseline["kfp/component.yaml"])
    assert component["description"] == text
    inputs = {i["name"]: i for i in component["inputs"]}
    assert inputs["label"]["default"] == default_text(default)
    assert inputs["lr"]["description"] == (text or "float parameter lr")
    assert "cfg" not in inputs  # its default is code: the notebook computes it
    assert len(component["implementation"]["container"]["args"]) == len(
        base_component["implementation"]["container"]["args"]
    )

    workflow = yaml.safe_load(files[".github/workflows/safe-name.yml"])
    base_workflow = yaml.safe_load(baseline[".github/workflows/safe-name.yml"])
    wf_inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    expected = text.replace("${{", "${{ '${{' }}")  # GitHub would evaluate ${{ ... }}
    assert wf_inputs["label"]["default"] == expected
    assert wf_inputs["lr"]["description"] == (expected or "float parameter lr")
    steps, base_steps = workflow["jobs"]["run"]["steps"], base_workflow["jobs"]["run"]["steps"]
    assert steps[3]["run"] == base_steps[3]["run"]  # the script is the same whatever the values
    # the only expression left in user values is the one that writes a literal "${{"
    assert "${{" not in json.dumps(wf_inputs).replace("${{ '${{' }}", "")

    readme = files["README.md"]
    assert readme.count("\n#") == baseline["README.md"].count("\n#")  # no heading added
    assert "```sh\npip install ./wheels/*.whl\n```" in readme


def test_export_json_is_the_manifest() -> None:
    files = render_files(_manifest("x", "y"), ["package"])
    assert set(files) == {
        "README.md",
        "package/README.md",
        "package/pyproject.toml",
        "package/src/safe_name/__init__.py",
        "package/src/safe_name/__main__.py",
        "package/src/safe_name/export.json",
    }
    assert json.loads(files["package/src/safe_name/export.json"])["description"] == "x"


def test_manifest_refuses_bad_values() -> None:
    with pytest.raises(InvalidInput, match="not usable"):
        build_manifest(**{**_kwargs(), "name": "');import os#"})
    with pytest.raises(InvalidInput, match="pin"):
        build_manifest(**{**_kwargs(), "requirements": ["numpy>=1; os"]})
    with pytest.raises(InvalidInput, match="hexadecimal"):
        build_manifest(**{**_kwargs(), "source_run": "x'); os"})
    with pytest.raises(InvalidInput, match="not a parameter"):
        build_manifest(**{**_kwargs(), "defaults": {"other": 1}})


def _kwargs() -> dict[str, Any]:
    return dict(
        name="ok",
        version="1.0",
        description="",
        notebook_name="n.ipynb",
        source_run="ab",
        notebook_sha256="cd",
        parameters=[],
        defaults={},
        requirements=[],
        python_version="3.11.7",
        workbench_version="0.1.0",
    )


# -- pipeline files -----------------------------------------------------------------------


def check_airflow_dag(source: str, dag_id: str, command: str) -> None:
    """Compiles; defines DAG_ID and COMMAND; one ``with DAG(dag_id=DAG_ID, ...)`` holding one
    PythonOperator ``run_notebook`` whose callable is a function of the module."""
    tree = ast.parse(source)
    compile(source, "dag.py", "exec")
    consts = _constants(tree)
    assert consts["DAG_ID"] == dag_id and consts["COMMAND"] == command
    imports = {
        a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        for a in n.names
        if n.module and n.module.startswith("airflow")
    }
    assert {"DAG", "PythonOperator"} <= imports
    withs = [n for n in tree.body if isinstance(n, ast.With)]
    assert len(withs) == 1
    call = withs[0].items[0].context_expr
    assert isinstance(call, ast.Call) and call.func.id == "DAG"  # type: ignore[attr-defined]
    kwargs = {k.arg: k.value for k in call.keywords}
    assert isinstance(kwargs["dag_id"], ast.Name) and kwargs["dag_id"].id == "DAG_ID"
    assert {"schedule", "start_date"} <= set(kwargs)
    tasks = [n.value for n in withs[0].body if isinstance(n, ast.Expr)]
    assert len(tasks) == 1 and tasks[0].func.id == "PythonOperator"  # type: ignore[attr-defined]
    task_kw = {k.arg: k.value for k in tasks[0].keywords}  # type: ignore[attr-defined]
    assert ast.literal_eval(task_kw["task_id"]) == "run_notebook"
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert task_kw["python_callable"].id in functions  # type: ignore[attr-defined]


def check_pipeline_files(out: Path, name: str, module: str, params: set[str]) -> None:
    component = yaml.safe_load((out / "kfp" / "component.yaml").read_text())
    assert {"name", "inputs", "outputs", "implementation"} <= set(component)
    container = component["implementation"]["container"]
    assert container["command"] == [name] and container["image"].startswith(f"{name}:")
    assert {i["name"] for i in component["inputs"]} == params
    assert component["outputs"][0]["name"] == "metrics"

    workflow = yaml.safe_load((out / ".github" / "workflows" / f"{name}.yml").read_text())
    assert {"name", "on", "jobs"} <= set(workflow)
    assert set(workflow["on"]) == {"workflow_dispatch", "schedule"}
    assert set(workflow["on"]["workflow_dispatch"]["inputs"]) == params
    steps = workflow["jobs"]["run"]["steps"]
    assert any("pip install" in s.get("run", "") for s in steps)
    assert any(f"{name} " in s.get("run", "") for s in steps)

    check_airflow_dag((out / "airflow" / f"{module}_dag.py").read_text(), module, name)
    dockerfile = (out / "Dockerfile").read_text()
    assert f'ENTRYPOINT ["{name}"]' in dockerfile
    assert "pip install --no-cache-dir /tmp/wheels/*.whl" in dockerfile


# -- real exports ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def workbench_wheel_path(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Workbench's wheel, built once per source state (cached across sessions)."""
    from workbench.export.wheels import workbench_wheel

    return workbench_wheel(cache_dir(pytestconfig, tmp_path_factory, "workbench-wheels"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workbench_wheel_path: Path) -> Path:
    home = tmp_path / "wbhome"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.setenv("WORKBENCH_WHEEL", str(workbench_wheel_path))
    return home


@pytest.mark.slow
def test_export_registry_bump_and_rollback(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.export import export
    from workbench.store import open_store
    from workbench.validate import validate

    report = validate(NOTEBOOKS / "ship_ok.ipynb", {"x": 5, "label": "it's"})
    assert report.passed
    out1 = tmp_path / "v1"
    assert (
        main(
            [
                "export",
                report.run_id[:8],
                "--out",
                str(out1),
                "--name",
                "ship-ok",
                "--description",
                "first",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "exported ship-ok 0.1.0" in printed and "kfp/component.yaml" in printed
    check_pipeline_files(out1, "ship-ok", "ship_ok", {"x", "label"})
    wheels = sorted(p.name for p in (out1 / "wheels").glob("*.whl"))
    assert wheels[0].startswith("jupyter_mlops_workbench-") and wheels[1].startswith("ship_ok-")
    nb = json.loads((out1 / "package/src/ship_ok/notebook.ipynb").read_text())
    assert all(not c.get("outputs") for c in nb["cells"])
    assert not any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
    consts = _constants(ast.parse((out1 / "package/src/ship_ok/__init__.py").read_text()))
    assert consts["DEFAULTS"] == {"x": 5, "label": "it's"}

    second = export(report.run_id, out=tmp_path / "v2", targets="package", name="ship-ok")
    assert second.export.version == "0.1.1"
    assert not (tmp_path / "v2" / "kfp").exists()
    with pytest.raises(Conflict, match="already exported"):
        export(report.run_id, out=tmp_path / "v3", name="ship-ok", version="0.1.0")

    assert main(["exports"]) == 0
    table = capsys.readouterr().out
    assert "ship-ok" in table and "0.1.1" in table and "passed" in table
    assert main(["exports", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["version"] for e in listed] == ["0.1.1", "0.1.0"]
    assert listed[1]["targets"] == ["package", "kfp", "airflow", "github", "docker"]
    assert listed[1]["run_id"] == report.run_id

    # rollback: 0.1.0 written again from the stored record, byte for byte
    out_rb = tmp_path / "rollback"
    assert main(["export", "--name", "ship-ok", "--version", "0.1.0", "--out", str(out_rb)]) == 0
    for rel in (
        "package/src/ship_ok/__init__.py",
        "package/src/ship_ok/notebook.ipynb",
        "package/pyproject.toml",
        "kfp/component.yaml",
        "README.md",
    ):
        assert (out_rb / rel).read_bytes() == (out1 / rel).read_bytes(), rel
    assert open_store().get_export("ship-ok", "0.1.0").path == str(out_rb)


@pytest.mark.slow
def test_export_from_notebook_validates_first(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.store import open_store

    bad = main(
        ["export", str(NOTEBOOKS / "ship_ok.ipynb"), "-p", "x", "1", "--out", str(tmp_path / "bad")]
    )
    captured = capsys.readouterr()
    assert bad == 1
    assert "FAIL  require: score >= 0.5" in captured.out
    assert "nothing was exported" in captured.err
    assert not (tmp_path / "bad").exists() and open_store().list_exports() == []

    assert (
        main(
            [
                "export",
                str(NOTEBOOKS / "ship_ok.ipynb"),
                "--to",
                "package",
                "--out",
                str(tmp_path / "good"),
            ]
        )
        == 0
    )
    assert "PASSED" in capsys.readouterr().out
    [record] = open_store().list_exports()
    assert record.name == "ship-ok" and record.validation_passed
    assert open_store().get_run(record.run_id).source == "validation"


@pytest.mark.slow
def test_export_of_a_job_run_validates_its_snapshot(home: Path, tmp_path: Path) -> None:
    from workbench.export import export
    from workbench.notebooks.execute import run_notebook
    from workbench.store import open_store

    job = run_notebook(NOTEBOOKS / "ship_ok.ipynb", {"x": 8})
    result = export(job.run_id, out=tmp_path / "out", targets=["package"])
    assert result.report is not None and result.report.passed
    validation = open_store().get_run(result.export.run_id)
    assert validation.source == "validation" and validation.params["x"] == 8
    assert validation.notebook == str((NOTEBOOKS / "ship_ok.ipynb").resolve())


# -- the KFP SDK, in a side virtual environment ----------------------------------------------

KFP_REQUIREMENT = "kfp>=2.7,<3"
LOAD_COMPONENT = """
import json, sys
from kfp import compiler, dsl
from kfp.components import load_component_from_file
op = load_component_from_file(sys.argv[1])
spec = op.component_spec
@dsl.pipeline(name="p")
def p():
    op(x=7)
compiler.Compiler().compile(p, sys.argv[2])
print(json.dumps({"name": spec.name, "inputs": sorted(spec.inputs),
                  "outputs": sorted(spec.outputs or {}),
                  "image": spec.implementation.container.image}))
"""


@pytest.fixture(scope="session")
def kfp_python(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = cache_dir(pytestconfig, tmp_path_factory, "kfp-venv")
    python = venv / "bin" / "python"
    ok = (
        python.exists()
        and subprocess.run([str(python), "-c", "import kfp"], capture_output=True).returncode == 0
    )
    if not ok:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", KFP_REQUIREMENT],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    return python


@pytest.mark.slow
def test_kfp_component_loads_with_the_sdk(kfp_python: Path, tmp_path: Path) -> None:
    files = render_files(_manifest("a'b\"c\\ ');import os#", "x\ny"), ["kfp"])
    component = tmp_path / "component.yaml"
    component.write_text(files["kfp/component.yaml"])
    script = tmp_path / "load.py"
    script.write_text(LOAD_COMPONENT.replace("x=7", "lr=0.25"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [str(kfp_python), str(script), str(component), str(tmp_path / "pipeline.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["name"] == "safe-name"
    assert loaded["inputs"] == ["label", "lr"]
    assert loaded["outputs"] == ["metrics"]
    assert loaded["image"] == "safe-name:1.2.3"
    pipeline = yaml.safe_load((tmp_path / "pipeline.yaml").read_text())
    assert "deploymentSpec" in pipeline
