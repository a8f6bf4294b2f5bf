"""`workbench` subcommands for widgets (filled in by the widgets work)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `workbench` parser."""
