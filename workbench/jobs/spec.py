"""Sweep specs: a grid, random draws and explicit rows, expanded into checked parameter dicts.

How a spec becomes jobs (the CLI help and the README say the same):

- Each source is a factor and the jobs are their cross product, in this order: values rows
  (outermost) x grid points x random draws (innermost). A source not given counts as one
  empty job, so ``--grid`` alone is the grid, and grid plus random gives ``n`` draws per grid
  point: the *same* ``n`` draws at every point, which keeps the points comparable.
- grid: the cartesian product in the order given, the last name varying fastest.
- random: ``n`` draws from ``random.Random(seed)``, the names drawn in the order given; the
  same seed gives the same jobs.
- fixed (``-p``) parameters go into every job. A name comes from one source only.
- Nothing but fixed parameters: one job.

Every job is coerced through the notebook's schema here, before any job starts.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import math
import random as _random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.entities import check_param_name
from workbench.errors import InvalidInput
from workbench.jobs.distributions import Choice, Distribution, parse_random, split_values
from workbench.notebooks.coerce import coerce
from workbench.notebooks.schema import ParamSchema

__all__ = [
    "MAX_JOBS",
    "SweepSpec",
    "expand",
    "job_key",
    "load_values",
    "parse_grid",
    "parse_random",
]

MAX_JOBS = 10_000
_GRID_FORM = "--grid name=v1,v2,... (for example --grid lr=0.01,0.1,1)"


@dataclass
class SweepSpec:
    grid: dict[str, list[Any]] = field(default_factory=dict)
    random: dict[str, Distribution] = field(default_factory=dict)
    n: int | None = None  # number of random draws
    seed: int | None = None
    values: list[dict[str, Any]] = field(default_factory=list)  # explicit rows, one job each
    fixed: dict[str, Any] = field(default_factory=dict)  # -p: in every job
    values_source: str | None = None  # the file the rows came from, for messages

    @classmethod
    def from_cli(
        cls,
        *,
        grid: Iterable[str] = (),
        random: Iterable[str] = (),
        n: int | None = None,
        seed: int | None = None,
        values: str | Path | None = None,
        fixed: dict[str, Any] | None = None,
    ) -> SweepSpec:
        """A spec from the CLI's (or the REST API's) texts: repeated --grid and --random,
        -n, --seed, --values FILE and the -p parameters."""
        spec = cls(n=n, seed=seed, fixed=dict(fixed or {}))
        for text in grid:
            name, items = parse_grid(text)
            if name in spec.grid:
                raise InvalidInput(
                    f"--grid {name} is given twice: put all its values in one "
                    f"--grid {name}=v1,v2,..."
                )
            spec.grid[name] = items
        for text in random:
            name, dist = parse_random(text)
            if name in spec.random:
                raise InvalidInput(f"--random {name} is given twice: keep one distribution")
            spec.random[name] = dist
        if values is not None:
            spec.values, spec.values_source = load_values(values), str(values)
        return spec

    def with_seed(self) -> SweepSpec:
        """A copy with a concrete seed when draws are random, so the sweep can be stored and
        expanded again to the same jobs (resume needs that)."""
        if self.random and self.seed is None:
            return dataclasses.replace(self, seed=secrets.randbits(32))
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "grid": self.grid,
            "random": {k: d.to_text() for k, d in self.random.items()},
            "n": self.n,
            "seed": self.seed,
            "values": self.values,
            "fixed": self.fixed,
            "values_source": self.values_source,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepSpec:
        return cls(
            grid={k: list(v) for k, v in data.get("grid", {}).items()},
            random=dict(parse_random(f"{k}={t}") for k, t in data.get("random", {}).items()),
            n=data.get("n"),
            seed=data.get("seed"),
            values=list(data.get("values", [])),
            fixed=dict(data.get("fixed", {})),
            values_source=data.get("values_source"),
        )


def parse_grid(text: str) -> tuple[str, list[str]]:
    """``"lr=0.01,0.1,1"`` -> ``("lr", ["0.01", "0.1", "1"])``; the schema coerces the texts.

    Quotes group a value with commas (``name="a,b",c``); brackets keep list values whole
    (``layers=[64,32],[128]``).
    """
    name, sep, rest = text.partition("=")
    if not sep:
        raise InvalidInput(f"cannot read --grid {text!r}: no '='. Write {_GRID_FORM}")
    name = check_param_name(name.strip())
    try:
        items = split_values(rest)
    except ValueError as exc:
        raise InvalidInput(f"cannot read --grid {text!r}: {exc}. Write {_GRID_FORM}") from None
    if not items:
        raise InvalidInput(f"--grid {name} has no values. Write {_GRID_FORM}")
    return name, items


def load_values(path: str | Path) -> list[dict[str, Any]]:
    """Explicit jobs from a .csv (header = parameter names, one row per job; an empty cell
    keeps the notebook's default), .yaml/.yml (a list of mappings) or .json (a list of objects).
    """
    p = Path(path)
    kind = {".csv": "csv", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}.get(p.suffix.lower())
    if kind is None:
        raise InvalidInput(
            f"values file {p}: use a .csv, .yaml/.yml or .json file, one job per row"
        )
    if not p.is_file():
        raise InvalidInput(f"values file {p} not found: check the path")
    try:
        text = p.read_text(encoding="utf-8-sig")  # -sig: spreadsheets often write a BOM
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"values file {p} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read values file {p}: {exc.strerror or exc}") from None
    rows = _csv_rows(p, text) if kind == "csv" else _document_rows(p, text, kind)
    if not rows:
        raise InvalidInput(f"values file {p} has no rows: add one row per job")
    return rows


def _csv_rows(p: Path, text: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise InvalidInput(f"values file {p} is empty: its first line must name the parameters")
        for h in header:
            _check_column(p, h)
        if len(set(header)) < len(header):
            dup = next(h for h in header if header.count(h) > 1)
            raise InvalidInput(f"values file {p} has the column {dup!r} twice")
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) > len(header):
                raise InvalidInput(
                    f"values file {p} line {reader.line_num} has {len(cells)} "
                    f"cells for {len(header)} columns"
                )
            rows.append({h: c for h, c in zip(header, cells, strict=False) if c.strip()})
    except csv.Error as exc:
        raise InvalidInput(f"values file {p} line {reader.line_num} is not CSV: {exc}") from None
    return rows


def _document_rows(p: Path, text: str, kind: str) -> list[dict[str, Any]]:
    if kind == "yaml":
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
            raise InvalidInput(
                f"values file {p} is not valid YAML{at}: {getattr(exc, 'problem', None) or exc}"
            ) from None
        example = "- {lr: 0.1, epochs: 3}"
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"values file {p} is not valid JSON: {exc}") from None
        example = '[{"lr": 0.1, "epochs": 3}, ...]'
    what = "mappings" if kind == "yaml" else "objects"
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        found = type(data).__name__ if not isinstance(data, list) else "a list with a non-mapping"
        raise InvalidInput(
            f"values file {p} holds {found}: it must be a list of {what}, "
            f"one per job, like {example}"
        )
    for row in data:
        for name in row:
            _check_column(p, name)
    return data


def _check_column(p: Path, name: Any) -> None:
    try:
        check_param_name(name)
    except InvalidInput as exc:
        raise InvalidInput(f"values file {p}: {exc.message}") from None


def expand(
    spec: SweepSpec, schema: ParamSchema, *, allow_unknown: bool = False
) -> list[dict[str, Any]]:
    """The concrete, coerced parameters of every job of ``spec``, in a deterministic order."""
    _check_sources(spec)
    factors = {"value rows": len(spec.values) if spec.values else 1}
    factors["grid points"] = math.prod(len(v) for v in spec.grid.values())
    factors["random draws"] = spec.n if spec.random and spec.n is not None else 1
    count = math.prod(factors.values())
    if count == 0:
        empty = [f"--grid {k} has no values" for k, v in spec.grid.items() if not v]
        raise InvalidInput("the sweep has no jobs: " + ("; ".join(empty) or "-n is 0"))
    if count > MAX_JOBS:
        made = " x ".join(f"{v:,} {k}" for k, v in factors.items() if v > 1)
        raise InvalidInput(
            f"the sweep would make {count:,} jobs ({made}), more than the limit of "
            f"{MAX_JOBS:,}: use fewer --grid values, a smaller -n, or split it into sweeps"
        )

    def checked(values: dict[str, Any], where: str) -> dict[str, Any]:
        try:
            return coerce(schema, values, allow_unknown=allow_unknown)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.message}") from None

    fixed = checked(spec.fixed, "in the -p parameters")
    source = spec.values_source or "the values"
    rows = [checked(r, f"in row {i} of {source}") for i, r in enumerate(spec.values, 1)] or [{}]
    axes = [
        [checked({name: v}, f"in --grid {name}") for v in items]
        for name, items in spec.grid.items()
    ]
    points = [_merge(combo) for combo in itertools.product(*axes)]
    draws = _draws(spec, checked) if spec.random else [{}]
    return [{**fixed, **row, **point, **draw} for row in rows for point in points for draw in draws]


def _draws(
    spec: SweepSpec, checked: Callable[[dict[str, Any], str], dict[str, Any]]
) -> list[dict[str, Any]]:
    # choice options are all checked up front, not only the ones that happen to be drawn
    options = {
        name: [checked({name: o}, f"in --random {name}={d.to_text()}")[name] for o in d.options]
        for name, d in spec.random.items()
        if isinstance(d, Choice)
    }
    rng = _random.Random(spec.seed)
    draws = []
    for _ in range(spec.n or 0):
        draw: dict[str, Any] = {}
        for name, dist in spec.random.items():
            if name in options:
                draw[name] = rng.choice(options[name])
            else:
                where = f"in --random {name}={dist.to_text()}"
                draw.update(checked({name: dist.sample(rng)}, where))
        draws.append(draw)
    return draws


def _merge(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part)
    return out


def _check_sources(spec: SweepSpec) -> None:
    if spec.n is not None and (
        isinstance(spec.n, bool) or not isinstance(spec.n, int) or spec.n < 0
    ):
        raise InvalidInput(f"-n must be a whole number of draws (0 or more), got {spec.n!r}")
    if spec.seed is not None and (isinstance(spec.seed, bool) or not isinstance(spec.seed, int)):
        raise InvalidInput(f"--seed must be a whole number, got {spec.seed!r}")
    if spec.random and spec.n is None:
        raise InvalidInput("--random needs -n N, the number of random draws to make")
    if spec.n is not None and not spec.random:
        raise InvalidInput(
            "-n sets how many --random draws to make: add --random name=DIST or drop -n"
        )
    sources = {
        "-p": set(spec.fixed),
        "--grid": set(spec.grid),
        "--random": set(spec.random),
        _source_label(spec): {k for row in spec.values for k in row},
    }
    seen: dict[str, str] = {}
    for label, names in sources.items():
        for name in sorted(names):
            if name in seen:
                raise InvalidInput(
                    f"parameter {name!r} is given by both {seen[name]} and {label}: a parameter "
                    "must come from one place, so drop one of them"
                )
            seen[name] = label


def _source_label(spec: SweepSpec) -> str:
    return f"the values file {spec.values_source}" if spec.values_source else "the values rows"


def job_key(notebook_sha256: str, params: dict[str, Any], options: dict[str, Any]) -> str:
    """The identity of a job, for resume and skip: sha256 of canonical JSON (sorted keys, no
    spaces) of the notebook's hash, the parameters and the options."""
    try:
        text = json.dumps(
            {"notebook_sha256": notebook_sha256, "params": params, "options": options},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"job parameters and options must be JSON values: {exc}") from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
