"""``workbench new NAME --template classification|regression``: a starter notebook.

The templates are real small experiments on scikit-learn's bundled datasets (no download),
with a typed ``parameters`` cell, ``wb.log_metric`` calls with steps and a last cell that shows
``wb.widgets.runs()``. They ship inside the wheel (``workbench/templates``); in a source
checkout they are read from the repository's ``templates/``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from workbench.errors import Conflict, InvalidInput

TEMPLATES = ("classification", "regression")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to the `workbench` parser."""
    new = sub.add_parser(
        "new",
        help="create a starter notebook from a template",
        description="Copy a starter notebook (a small real experiment on a dataset that "
        "ships with scikit-learn, tracked with Workbench) to DIR/NAME.ipynb. An existing "
        "file is never overwritten.",
    )
    new.add_argument(
        "name",
        metavar="NAME",
        help="notebook name: letters, digits, '.', '_' and '-' ('.ipynb' is added when missing)",
    )
    new.add_argument(
        "--template",
        choices=TEMPLATES,
        default="classification",
        help="which experiment (default: classification)",
    )
    new.add_argument(
        "--dir",
        metavar="D",
        default=".",
        help="folder to create it in (default: the current folder)",
    )
    new.set_defaults(func=cmd_new)


def template_path(name: str) -> Path:
    """The template notebook ``name`` (``classification`` or ``regression``)."""
    if name not in TEMPLATES:
        raise InvalidInput(f"unknown template {name!r}: use one of {', '.join(TEMPLATES)}")
    package = Path(__file__).resolve().parents[1]  # workbench/
    for folder in (package / "templates", package.parent / "templates"):
        path = folder / f"{name}.ipynb"
        if path.is_file():
            return path
    raise InvalidInput(
        f"template {name!r} is missing from this installation: reinstall jupyter-mlops-workbench"
    )


def notebook_name(name: str) -> str:
    """``NAME`` checked and given its ``.ipynb`` suffix; never a path."""
    stem = name[:-6] if name.endswith(".ipynb") else name
    if not _NAME.fullmatch(stem) or stem.endswith("."):
        raise InvalidInput(
            f"notebook name {name!r} is not usable: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 100 characters, no folders "
            "(put those in --dir)"
        )
    return f"{stem}.ipynb"


def create_notebook(
    name: str, template: str = "classification", directory: str | os.PathLike[str] = "."
) -> Path:
    """Copy the template to ``directory/NAME.ipynb``; Conflict if that file exists."""
    source = template_path(template)
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"--dir {str(directory)!r} is a file, not a folder")
    target = folder / notebook_name(name)
    if target.exists():
        raise Conflict(
            f"{target} already exists: choose another NAME or --dir "
            "(workbench new never overwrites a file)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    try:
        with open(target, "xb") as out:  # "x": a file created meanwhile is not overwritten
            out.write(data)
    except FileExistsError:
        raise Conflict(f"{target} already exists: choose another NAME or --dir") from None
    return target


def cmd_new(args: argparse.Namespace) -> int:
    target = create_notebook(args.name, args.template, args.dir)
    print(f"created {target} from the {args.template} template")
    print(
        f"open it in JupyterLab, or run it as a tracked job: workbench run {target}",
        file=sys.stderr,
    )
    return 0
