"""`workbench` subcommands for sweeps (filled in by the sweeps work)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `workbench` parser."""
