"""The ``workbench`` command: run a notebook as a tracked job, list runs, show one run.

Exit codes: 0 success; 1 the job failed, timed out or was cancelled (or the store could not
be used); 2 bad input, printed as one line ``workbench: error: <message>``, no traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from workbench._version import __version__
from workbench.errors import InvalidInput, NotFound, WorkbenchError

PREFIX_MIN = 4
TABLE_LIMIT = 50


class _UsageError(Exception):
    """argparse's complaint, raised instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workbench", description="Track, batch and ship Jupyter notebooks.")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run a notebook in a fresh kernel as a tracked run",
        description="Run a notebook with papermill in a fresh kernel, recorded as one run. "
        "Exit code 0 if it succeeded, 1 if it failed or timed out, 2 for bad input.",
    )
    run.add_argument("notebook", metavar="NOTEBOOK", help="path of the .ipynb file")
    run.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        default=[],
        help="set a parameter (repeatable); VALUE is read as JSON if it parses "
        '(0.05, 3, true, [1,2], "text"), else kept as a string',
    )
    run.add_argument(
        "--timeout", type=float, metavar="S", help="wall-clock budget in seconds for the whole job"
    )
    run.add_argument("--experiment", metavar="E", help="experiment name (default: Default)")
    run.add_argument("--name", metavar="N", help="run name")
    run.add_argument(
        "--kernel",
        metavar="K",
        help="kernel name (default: the notebook's kernelspec, else python3)",
    )
    run.add_argument(
        "--log-output", action="store_true", help="print the notebook's output while it runs"
    )
    run.set_defaults(func=cmd_run)

    runs = sub.add_parser(
        "runs", help="list runs, newest first", description="List runs, newest first."
    )
    runs.add_argument("--notebook", metavar="P", help="only runs of this notebook file")
    runs.add_argument("--experiment", metavar="E", help="only runs of this experiment")
    runs.add_argument(
        "--status",
        metavar="S",
        help="only runs with this status "
        "(queued, running, succeeded, failed, timed_out, cancelled, lost)",
    )
    runs.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"at most N runs (default: {TABLE_LIMIT} in the table, all for --json and --csv)",
    )
    fmt = runs.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="a JSON list of run objects")
    fmt.add_argument(
        "--csv", action="store_true", help="CSV with params./metrics./tags. columns (as wb.runs())"
    )
    runs.set_defaults(func=cmd_runs)

    show = sub.add_parser(
        "show",
        help="show one run",
        description="Show one run: params, metrics, tags, provenance, status, error and artifacts.",
    )
    show.add_argument(
        "run_id",
        metavar="RUN_ID",
        help=f"a run id, or a unique prefix of at least {PREFIX_MIN} characters",
    )
    show.add_argument("--json", action="store_true", help="the run as a JSON object")
    show.set_defaults(func=cmd_show)

    init = sub.add_parser(
        "init",
        help="create (or find) the store and say where it is",
        description="Create the store in ./.workbench (or find the one "
        "above, or WORKBENCH_HOME) and print its location.",
    )
    init.set_defaults(func=cmd_init)

    # Commands of the other areas live beside their layers' faces, one module each.
    from workbench import cli_ship, cli_sweeps, cli_widgets

    for area in (cli_sweeps, cli_ship, cli_widgets):
        area.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
        return args.func(args)
    except WorkbenchError as exc:
        return _fail(exc.message, 2 if exc.user_error else 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def _fail(message: str, code: int) -> int:
    print(f"workbench: error: {' '.join(message.split())}", file=sys.stderr)
    return code


# -- commands -----------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from workbench.entities import RunStatus
    from workbench.notebooks.execute import run_notebook
    from workbench.notebooks.params import parse_cli_params

    _quiet_papermill(args.log_output)
    params = parse_cli_params(args.parameters)
    notebook = Path(args.notebook)

    def announce(run_id: str) -> None:
        print(f"workbench: running {notebook.name} as run {run_id}", file=sys.stderr, flush=True)

    run = run_notebook(
        notebook,
        params,
        timeout=args.timeout,
        experiment=args.experiment,
        name=args.name,
        kernel_name=args.kernel,
        log_output=args.log_output,
        on_run_created=announce,
    )
    from workbench.cli_format import error_line, status_line

    print(status_line(run))
    if run.error is not None:
        print(f"error: {error_line(run.error)}")
    return 0 if run.status is RunStatus.SUCCEEDED else 1


def cmd_runs(args: argparse.Namespace) -> int:
    from workbench.entities import RunStatus
    from workbench.store import RunFilter, open_store

    if args.limit is not None and args.limit < 1:
        raise InvalidInput(f"--limit {args.limit} is not usable: give a positive number")
    filt = RunFilter(
        notebook=str(Path(args.notebook).resolve()) if args.notebook else None,
        experiment=args.experiment,
        status=RunStatus.parse(args.status) if args.status else None,
    )
    store = open_store()
    if args.json:
        from workbench.cli_format import run_dict

        runs, _ = store.search_runs(filt, limit=args.limit)
        print(json.dumps([run_dict(r) for r in runs], indent=2, default=str))
        return 0
    from workbench.tracking.frames import runs_frame

    frame = runs_frame(store, filt)
    if args.csv:
        if args.limit is not None:
            frame = frame.head(args.limit)
        sys.stdout.write(frame.to_csv(index=False))
        return 0
    from workbench.cli_format import runs_table

    total = len(frame)
    if total == 0:
        print("no runs yet: start one with `workbench run NOTEBOOK`")
        return 0
    print(runs_table(frame.head(args.limit or TABLE_LIMIT), total))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from workbench.cli_format import run_dict, show_run
    from workbench.store import open_store

    store = open_store()
    run = store.get_run(resolve_run_id(store, args.run_id))
    if args.json:
        print(json.dumps(run_dict(run, with_history=True), indent=2, default=str))
    else:
        print(show_run(run))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from workbench.store import open_store

    store = open_store()
    print(f"workbench store: {store.location.home} (database {store.location.db_url})")
    return 0


def resolve_run_id(store, text: str) -> str:  # noqa: ANN001 - Store, imported lazily
    """The run id ``text`` names: the full id, or a unique prefix of ``PREFIX_MIN``+ chars."""
    return resolve_prefix(
        text,
        "run",
        lambda t: store.get_run(t, history=False).run_id,
        store.find_run_ids,
        "workbench runs",
    )


def resolve_prefix(text: str, kind: str, exact, find, listing: str) -> str:  # noqa: ANN001
    """An id from its full text (``exact``) or a unique prefix of it (``find``)."""
    text = text.strip()
    try:
        return exact(text)
    except NotFound:
        pass
    if len(text) < PREFIX_MIN:
        raise InvalidInput(
            f"{kind} id {text!r} is too short: give at least {PREFIX_MIN} characters of it"
        )
    matches = find(text, limit=6)
    if not matches:
        raise NotFound(f"no {kind} id starts with {text!r}: list them with `{listing}`")
    if len(matches) > 1:
        shown = ", ".join(m[:12] for m in matches[:5])
        raise InvalidInput(
            f"several {kind}s start with {text!r} ({shown}...): give more characters"
        )
    return matches[0]


def _quiet_papermill(show_output: bool) -> None:
    """Papermill's warnings (an unknown parameter) stay visible, prefixed, and with
    --log-output the notebook's output too; nbclient's own timeout and dead-kernel errors
    are dropped: the run's status line says it better."""
    log = logging.getLogger("papermill")
    log.setLevel(logging.INFO if show_output else logging.WARNING)
    if any(getattr(h, "_workbench", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PapermillFormatter())
    handler.addFilter(lambda record: record.levelno < logging.ERROR)
    handler._workbench = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.propagate = False


class _PapermillFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        return f"papermill: {message}" if record.levelno >= logging.WARNING else message
