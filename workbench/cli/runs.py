"""`workbench` subcommands for single runs: run, runs, show, init."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.cli.logs import quiet_papermill
from workbench.errors import InvalidInput
from workbench.ids import PREFIX_MIN

TABLE_LIMIT = 50


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `workbench` parser."""
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


def cmd_run(args: argparse.Namespace) -> int:
    from workbench.entities import RunStatus
    from workbench.notebooks.execute import run_notebook
    from workbench.notebooks.params import parse_cli_params

    quiet_papermill(args.log_output)
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
    from workbench.text import error_line, status_line

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
        from workbench.text import run_dict

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
    from workbench.text import runs_table

    total = len(frame)
    if total == 0:
        print("no runs yet: start one with `workbench run NOTEBOOK`")
        return 0
    print(runs_table(frame.head(args.limit or TABLE_LIMIT), total))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from workbench.store import open_store
    from workbench.text import run_dict, show_run

    store = open_store()
    from workbench.ids import resolve_run_id

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
