"""Sweep specs: parsing the CLI syntax, expanding to checked jobs, and job keys."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from workbench.errors import InvalidInput
from workbench.jobs.distributions import (
    Choice,
    IntRange,
    LogUniform,
    Normal,
    Uniform,
    split_values,
)
from workbench.jobs.spec import (
    MAX_JOBS,
    SweepSpec,
    expand,
    job_key,
    load_values,
    parse_grid,
    parse_random,
)
from workbench.notebooks.schema import ParamSchema, notebook_schema

NOTEBOOK = Path(__file__).parent / "notebooks" / "typed_params.ipynb"


@pytest.fixture(scope="module")
def schema() -> ParamSchema:
    return notebook_schema(NOTEBOOK)


# --- parsing --------------------------------------------------------------------------------


def test_parse_grid() -> None:
    assert parse_grid("lr=0.01,0.1,1") == ("lr", ["0.01", "0.1", "1"])
    assert parse_grid(" name = a , 'b,c' ,\"\"") == ("name", ["a", "b,c", ""])
    assert parse_grid("layers=[64,32],[128]") == ("layers", ["[64,32]", "[128]"])
    assert parse_grid("name=it's") == ("name", ["it's"])  # a quote inside a value is text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("lr", "no '='"),
        ("lr=", "has no values"),
        ("lr=  ", "has no values"),
        ("lr=1,,2", "empty value"),
        ("lr=1,2,", "empty value"),
        ("layers=[1,2", "unclosed bracket"),
        ("name='a,b", "unclosed quote"),
    ],
)
def test_parse_grid_refuses(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_grid(text)
    assert problem in err.value.message
    assert "--grid name=v1,v2,..." in err.value.message


def test_parse_grid_name_must_be_an_identifier() -> None:
    with pytest.raises(InvalidInput, match="not a Python identifier"):
        parse_grid("learning rate=1,2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lr=loguniform(1e-4,1e-1)", ("lr", LogUniform(1e-4, 0.1))),
        ("lr = uniform( 0 , 1 )", ("lr", Uniform(0.0, 1.0))),
        ("epochs=int(1,5)", ("epochs", IntRange(1, 5))),
        ("x=normal(0,0.5)", ("x", Normal(0.0, 0.5))),
        ("opt=choice(adam, sgd, 'a,b')", ("opt", Choice(("adam", "sgd", "a,b")))),
        ("lr=uniform(0.5,0.5)", ("lr", Uniform(0.5, 0.5))),
    ],
)
def test_parse_random(text: str, expected: tuple) -> None:
    assert parse_random(text) == expected
    name, dist = expected
    assert parse_random(f"{name}={dist.to_text()}") == expected  # to_text round-trips


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("lr=lognormal(", "expected name=distribution(arguments)"),
        ("lr=lognormal(1,2)", "unknown distribution 'lognormal'"),
        ("loguniform(1,2)", "expected name=distribution(arguments)"),
        ("lr=uniform(1,0)", "lower bound 1.0 is above the upper bound 0.0"),
        ("lr=uniform(a,1)", "'a' is not a number"),
        ("lr=uniform(1)", "uniform takes 2 numbers, got 1"),
        ("lr=uniform(nan,1)", "not a finite number"),
        ("lr=loguniform(0,1)", "loguniform needs bounds above 0"),
        ("lr=loguniform(-1,1)", "loguniform needs bounds above 0"),
        ("n=int(1.5,3)", "whole numbers"),
        ("n=int(5,1)", "lower bound 5 is above the upper bound 1"),
        ("x=normal(0,0)", "sigma must be above 0"),
        ("opt=choice()", "at least one value"),
        ("opt=choice(a,,b)", "empty value"),
        ("lr=__import__('os')", "unknown distribution '__import__'"),
    ],
)
def test_parse_random_refuses(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_random(text)
    message = err.value.message
    assert problem in message
    for form in (
        "uniform(a,b)",
        "loguniform(a,b)",
        "int(a,b)",
        "normal(mu,sigma)",
        "choice(x,y,...)",
    ):
        assert form in message


def test_split_values_keeps_nested_commas() -> None:
    assert split_values('{"a": 1, "b": 2}, (1, 2)') == ['{"a": 1, "b": 2}', "(1, 2)"]
    assert split_values("  ") == []


# --- expansion ------------------------------------------------------------------------------


def test_grid_is_the_cartesian_product_in_order(schema: ParamSchema) -> None:
    spec = SweepSpec.from_cli(grid=["lr=0.01,0.1,1", "use_gpu=yes,no"])
    jobs = expand(spec, schema)
    assert jobs == [
        {"lr": 0.01, "use_gpu": True},
        {"lr": 0.01, "use_gpu": False},
        {"lr": 0.1, "use_gpu": True},
        {"lr": 0.1, "use_gpu": False},
        {"lr": 1.0, "use_gpu": True},
        {"lr": 1.0, "use_gpu": False},
    ]


def test_fixed_params_go_into_every_job(schema: ParamSchema) -> None:
    spec = SweepSpec.from_cli(grid=["epochs=1,2"], fixed={"name": "run", "lr": 0.5})
    assert expand(spec, schema) == [
        {"name": "run", "lr": 0.5, "epochs": 1},
        {"name": "run", "lr": 0.5, "epochs": 2},
    ]


def test_only_fixed_params_is_one_job(schema: ParamSchema) -> None:
    assert expand(SweepSpec(fixed={"epochs": "7"}), schema) == [{"epochs": 7}]
    assert expand(SweepSpec(), schema) == [{}]


def test_random_is_reproducible_and_in_range(schema: ParamSchema) -> None:
    spec = SweepSpec.from_cli(
        random=[
            "lr=loguniform(1e-4,1e-1)",
            "epochs=int(1,3)",
            "ratio=uniform(-1,1)",
            "seed=choice(1,2,3)",
            "batch=int(4,4)",
        ],
        n=300,
        seed=7,
    )
    jobs = expand(spec, schema)
    assert jobs == expand(spec, schema)  # same seed, same jobs
    assert len(jobs) == 300
    assert all(1e-4 <= j["lr"] <= 1e-1 for j in jobs)
    assert {j["epochs"] for j in jobs} == {1, 2, 3}  # int(a,b) includes both ends
    assert all(isinstance(j["epochs"], int) for j in jobs)
    assert all(-1 <= j["ratio"] <= 1 for j in jobs)
    assert {j["seed"] for j in jobs} == {1, 2, 3}  # choice texts coerced to int
    assert {j["batch"] for j in jobs} == {4}
    # loguniform spreads over the decades, not mostly in the top one
    assert sum(j["lr"] < 1e-3 for j in jobs) > 50
    other = expand(SweepSpec.from_cli(random=["lr=loguniform(1e-4,1e-1)"], n=5, seed=8), schema)
    assert [j["lr"] for j in other] != [j["lr"] for j in jobs[:5]]


def test_normal_draws(schema: ParamSchema) -> None:
    jobs = expand(SweepSpec.from_cli(random=["lr=normal(10,1)"], n=200, seed=1), schema)
    mean = sum(j["lr"] for j in jobs) / len(jobs)
    assert math.isclose(mean, 10, abs_tol=0.3)


def test_grid_and_random_cross_with_the_same_draws_per_point(schema: ParamSchema) -> None:
    spec = SweepSpec.from_cli(grid=["epochs=1,2"], random=["lr=uniform(0,1)"], n=3, seed=0)
    jobs = expand(spec, schema)
    assert [j["epochs"] for j in jobs] == [1, 1, 1, 2, 2, 2]
    assert [j["lr"] for j in jobs[:3]] == [j["lr"] for j in jobs[3:]]


def test_with_seed_fixes_the_draws(schema: ParamSchema) -> None:
    spec = SweepSpec.from_cli(random=["lr=uniform(0,1)"], n=4).with_seed()
    assert isinstance(spec.seed, int)
    assert expand(spec, schema) == expand(spec, schema)
    assert SweepSpec.from_cli(grid=["lr=1"]).with_seed().seed is None


def test_choice_options_are_all_checked_before_any_draw(schema: ParamSchema) -> None:
    spec = SweepSpec.from_cli(random=["epochs=choice(1,2,many)"], n=1, seed=0)
    with pytest.raises(InvalidInput) as err:
        expand(spec, schema)
    assert "--random epochs=choice(1,2,many)" in err.value.message
    assert "parameter 'epochs' expects int, got 'many'" in err.value.message


def test_a_float_distribution_for_an_int_parameter(schema: ParamSchema) -> None:
    spec = SweepSpec.from_cli(random=["epochs=uniform(1,5)"], n=2, seed=0)
    with pytest.raises(InvalidInput, match=r"--random epochs=uniform.*expects int"):
        expand(spec, schema)


def test_grid_values_are_checked_with_where_they_came_from(schema: ParamSchema) -> None:
    with pytest.raises(InvalidInput) as err:
        expand(SweepSpec.from_cli(grid=["lr=0.1,abc"]), schema)
    assert err.value.message == (
        "in --grid lr: parameter 'lr' expects float, got 'abc': give a number such as 0.1"
    )
    with pytest.raises(InvalidInput, match="in --grid lrr: the notebook has no parameter"):
        expand(SweepSpec.from_cli(grid=["lrr=1"]), schema)
    assert expand(SweepSpec.from_cli(grid=["lrr=1"]), schema, allow_unknown=True) == [{"lrr": 1}]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (SweepSpec(fixed={"lr": 1}, grid={"lr": ["1"]}), "given by both -p and --grid"),
        (
            SweepSpec(grid={"lr": ["1"]}, random={"lr": Uniform(0, 1)}, n=1),
            "given by both --grid and --random",
        ),
        (
            SweepSpec(fixed={"lr": 1}, values=[{"epochs": 1}, {"lr": 2}], values_source="v.csv"),
            "given by both -p and the values file v.csv",
        ),
    ],
)
def test_a_name_from_two_sources_is_ambiguous(
    schema: ParamSchema, spec: SweepSpec, problem: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        expand(spec, schema)
    assert "'lr'" in err.value.message and problem in err.value.message


def test_repeated_flags_are_refused() -> None:
    with pytest.raises(InvalidInput, match="--grid lr is given twice"):
        SweepSpec.from_cli(grid=["lr=1", "lr=2"])
    with pytest.raises(InvalidInput, match="--random lr is given twice"):
        SweepSpec.from_cli(random=["lr=uniform(0,1)", "lr=uniform(1,2)"])


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (SweepSpec(random={"lr": Uniform(0, 1)}, n=0), "the sweep has no jobs: -n is 0"),
        (SweepSpec(grid={"lr": []}), "the sweep has no jobs: --grid lr has no values"),
        (SweepSpec(random={"lr": Uniform(0, 1)}), "--random needs -n N"),
        (SweepSpec(grid={"lr": ["1"]}, n=3), "-n sets how many --random draws"),
        (SweepSpec(random={"lr": Uniform(0, 1)}, n=-1), "-n must be a whole number"),
        (
            SweepSpec(random={"lr": Uniform(0, 1)}, n=2, seed="x"),  # type: ignore[arg-type]
            "--seed must be a whole number",
        ),
    ],
)
def test_malformed_specs(schema: ParamSchema, spec: SweepSpec, problem: str) -> None:
    with pytest.raises(InvalidInput) as err:
        expand(spec, schema)
    assert problem in err.value.message


def test_the_job_cap(schema: ParamSchema) -> None:
    grid = [f"epochs={','.join(str(i) for i in range(101))}", "lr=" + ",".join(["0.1"] * 100)]
    with pytest.raises(InvalidInput) as err:
        expand(SweepSpec.from_cli(grid=grid), schema)
    assert err.value.message.startswith(
        f"the sweep would make 10,100 jobs (10,100 grid points), more than the limit of "
        f"{MAX_JOBS:,}"
    )
    assert "fewer --grid values" in err.value.message
    capped = SweepSpec.from_cli(random=["lr=uniform(0,1)"], n=MAX_JOBS, seed=1)
    assert len(expand(capped, schema)) == MAX_JOBS


def test_spec_json_round_trip(schema: ParamSchema) -> None:
    spec = SweepSpec.from_cli(
        grid=["epochs=1,2"],
        random=["opt=choice(a,'b,c')", "lr=loguniform(1e-4,0.1)"],
        n=3,
        seed=5,
        fixed={"name": "x"},
    )
    again = SweepSpec.from_json(json.loads(json.dumps(spec.to_json())))
    assert again == spec
    assert expand(again, schema, allow_unknown=True) == expand(spec, schema, allow_unknown=True)


# --- values files ----------------------------------------------------------------------------

ROWS = [{"lr": 0.1, "epochs": 2}, {"lr": 0.01, "layers": [8, 8]}]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("v.csv", '\ufefflr, epochs ,layers\n0.1,2,\n\n0.01,,"[8, 8]"\n'),
        ("v.yaml", "- {lr: 0.1, epochs: 2}\n- lr: 0.01\n  layers: [8, 8]\n"),
        ("v.yml", "- {lr: 0.1, epochs: 2}\n- {lr: 0.01, layers: [8, 8]}\n"),
        ("v.json", json.dumps(ROWS)),
    ],
)
def test_values_files(tmp_path: Path, schema: ParamSchema, name: str, text: str) -> None:
    path = _write(tmp_path, name, text)
    spec = SweepSpec.from_cli(values=path, fixed={"name": "v"})
    assert expand(spec, schema) == [{"name": "v", **row} for row in ROWS]


def test_values_rows_cross_the_grid(tmp_path: Path, schema: ParamSchema) -> None:
    path = _write(tmp_path, "v.csv", "lr\n0.1\n0.2\n")
    jobs = expand(SweepSpec.from_cli(values=path, grid=["epochs=1,2"]), schema)
    assert jobs == [
        {"lr": 0.1, "epochs": 1},
        {"lr": 0.1, "epochs": 2},
        {"lr": 0.2, "epochs": 1},
        {"lr": 0.2, "epochs": 2},
    ]


def test_a_bad_value_names_the_file_and_row(tmp_path: Path, schema: ParamSchema) -> None:
    path = _write(tmp_path, "v.csv", "lr,colour\n0.1,\n0.2,red\n")
    with pytest.raises(InvalidInput) as err:
        expand(SweepSpec.from_cli(values=path), schema)
    assert f"in row 2 of {path}: the notebook has no parameter 'colour'" in err.value.message
    path = _write(tmp_path, "w.json", '[{"epochs": "x"}]')
    with pytest.raises(InvalidInput, match=r"in row 1 of .*w.json: parameter 'epochs' expects int"):
        expand(SweepSpec.from_cli(values=path), schema)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("v.json", '{"lr": 0.1}', "holds dict: it must be a list of objects"),
        ("v.json", "[1, 2]", "holds a list with a non-mapping: it must be a list of objects"),
        ("v.json", "[{", "is not valid JSON"),
        ("v.json", "[]", "has no rows"),
        ("v.yaml", "lr: 0.1\n", "holds dict: it must be a list of mappings"),
        ("v.yaml", "", "holds NoneType: it must be a list of mappings"),
        ("v.yaml", "- [1\n", "is not valid YAML (line 2"),
        ("v.yaml", "- {1: a}\n", "not a Python identifier"),
        ("v.csv", "", "is empty: its first line must name the parameters"),
        ("v.csv", "lr\n", "has no rows"),
        ("v.csv", "lr,lr\n1,2\n", "has the column 'lr' twice"),
        ("v.csv", "learning rate\n1\n", "not a Python identifier"),
        ("v.csv", "lr\n1,2\n", "line 2 has 2 cells for 1 columns"),
        ("v.txt", "lr\n1\n", "use a .csv, .yaml/.yml or .json file"),
    ],
)
def test_values_file_errors(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(InvalidInput) as err:
        load_values(path)
    assert str(path) in err.value.message and problem in err.value.message


def test_values_file_missing_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not found"):
        load_values(tmp_path / "none.csv")
    path = tmp_path / "latin.csv"
    path.write_bytes(b"name\ncaf\xe9\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_values(path)


# --- job keys --------------------------------------------------------------------------------

SHA = "a" * 64


def test_job_key_is_stable_and_canonical() -> None:
    key = job_key(SHA, {"lr": 0.1, "epochs": 2}, {"timeout": 60, "kernel": "python3"})
    assert key == job_key(SHA, {"epochs": 2, "lr": 0.1}, {"kernel": "python3", "timeout": 60})
    # pinned: stored keys must still match after an upgrade (sha256 of the canonical JSON
    # {"notebook_sha256":"aa..","options":{"kernel":"python3","timeout":60},"params":{...}})
    assert key == "e4049203609732c19499ad1e8a8ef2314e6afc54869bba437c51f742c2c1f5ee"


def test_job_key_changes_with_any_input() -> None:
    base = job_key(SHA, {"lr": 0.1}, {})
    assert base != job_key(SHA, {"lr": 0.2}, {})
    assert base != job_key(SHA, {"lr": 0.1, "epochs": 1}, {})
    assert base != job_key("b" * 64, {"lr": 0.1}, {})
    assert base != job_key(SHA, {"lr": 0.1}, {"timeout": 5})
    assert base != job_key(SHA, {}, {"lr": 0.1})  # params and options do not blur together
    assert job_key(SHA, {"n": 1}, {}) != job_key(SHA, {"n": 1.0}, {})


def test_job_key_refuses_non_json() -> None:
    with pytest.raises(InvalidInput, match="must be JSON values"):
        job_key(SHA, {"lr": float("nan")}, {})
