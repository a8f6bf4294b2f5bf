"""Arguments several commands share, declared once so their spelling and help agree."""

from __future__ import annotations

import argparse

PARAMETER_HELP = (
    "set a parameter (repeatable); VALUE is read as the type the notebook's parameters cell "
    "declares (as JSON when it declares none)"
)


def notebook_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", metavar="NOTEBOOK", help="path of the .ipynb file")


def parameter_arg(parser: argparse.ArgumentParser, help: str = PARAMETER_HELP) -> None:  # noqa: A002
    """``-p NAME VALUE`` (repeatable) into ``args.parameters``."""
    parser.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        default=[],
        help=help,
    )


def job_args(parser: argparse.ArgumentParser) -> None:
    """What one job and a sweep's jobs share: kernel, unknown parameters, experiment."""
    parser.add_argument(
        "--kernel",
        metavar="K",
        help="kernel name (default: the notebook's kernelspec, else python3)",
    )
    parser.add_argument(
        "--allow-unknown",
        action="store_true",
        help="allow parameters the notebook's parameters cell does not have",
    )
    parser.add_argument("--experiment", metavar="E", help="experiment name (default: Default)")
