"""The ``workbench`` command: the parser, the exit codes, and one module per group of commands
(runs, sweeps, ship, new, store).

Exit codes: 0 success; 1 the job failed, timed out or was cancelled (or the store could not
be used); 2 bad input, printed as one line ``workbench: error: <message>``, no traceback.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import NoReturn

from workbench._version import __version__
from workbench.errors import WorkbenchError


class _UsageError(Exception):
    """argparse's complaint, raised instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workbench", description="Track, batch and ship Jupyter notebooks.")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # Each group of commands registers itself from its own module, named for what it does.
    from workbench.cli import new, runs, ship, store, sweeps

    for area in (runs, sweeps, ship, new, store):
        area.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from workbench.notebooks.reader import skip_iri_grammar

    skip_iri_grammar()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        return _fail(str(exc), 2)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.func(args)
        return code
    except WorkbenchError as exc:
        return _fail(exc.message, 2 if exc.user_error else 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def run() -> NoReturn:
    """The ``workbench`` command itself (console script, ``python -m workbench``): main(),
    then the stores closed and every object frozen before the interpreter exits.

    The interpreter's own teardown collects every object one more time, about 0.1 s after
    a sweep (most of a sweep's time after its last job); frozen objects it leaves alone.
    What exit must still do is done: the stores' connections closed here (SQLite folds
    its write-ahead log back into the database file), threads joined and atexit handlers
    run by ``sys.exit`` as always."""
    code = main()
    stores = sys.modules.get("workbench.store.store")
    if stores is not None:
        stores.close_stores()
    gc.freeze()
    sys.exit(code)


def _fail(message: str, code: int) -> int:
    print(f"workbench: error: {' '.join(message.split())}", file=sys.stderr)
    return code
