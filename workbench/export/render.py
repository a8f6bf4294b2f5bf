"""Render the export templates in a sandboxed Jinja environment.

Templates see values only through filters that write literals (``py``, ``yaml``, ``toml``,
``json``, ``gha``): StrictUndefined turns a missing value into an error instead of empty
text, autoescape is off (no HTML here), and the sandbox keeps a template from reaching
Python internals. Names that reach a file unquoted (module names, console scripts) are
checked before rendering (:mod:`workbench.export.names`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import WorkbenchError
from workbench.export.literals import (
    gha_text,
    json_literal,
    md_text,
    py_literal,
    toml_literal,
    yaml_literal,
)

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment


def templates_dir() -> Path:
    """``templates/export``: inside the installed package, else in the source tree."""
    here = Path(__file__).resolve().parents[1]  # the workbench package
    for candidate in (here / "templates" / "export", here.parent / "templates" / "export"):
        if candidate.is_dir():
            return candidate
    raise WorkbenchError(
        f"the export templates are missing (looked in {here / 'templates'} and "
        f"{here.parent / 'templates'}): reinstall jupyter-mlops-workbench"
    )


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        py=py_literal,
        yaml=yaml_literal,
        toml=toml_literal,
        json=json_literal,
        md=md_text,
        gha=lambda v: yaml_literal(gha_text(v)),
    )
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)
