"""`workbench` subcommands for runs: run, runs, show, delete, restore."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workbench.cli.args import job_args, notebook_arg, parameter_arg
from workbench.cli.logs import quiet_papermill
from workbench.errors import InvalidInput
from workbench.ids import PREFIX_MIN

TABLE_LIMIT = 50


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to the `workbench` parser."""
    run = sub.add_parser(
        "run",
        help="run a notebook in a fresh kernel as a tracked run",
        description="Run a notebook with papermill in a fresh kernel, recorded as one run. "
        "Exit code 0 if it succeeded, 1 if it failed or timed out, 2 for bad input.",
    )
    notebook_arg(run)
    parameter_arg(run)
    run.add_argument(
        "--timeout", type=float, metavar="S", help="wall-clock budget in seconds for the whole job"
    )
    run.add_argument("--name", metavar="N", help="run name")
    job_args(run)
    run.add_argument(
        "--log-output", action="store_true", help="print the notebook's output while it runs"
    )
    run.set_defaults(func=cmd_run)

    runs = sub.add_parser(
        "runs",
        help="list runs, filtered and sorted with the query language",
        description="List runs, newest first, or as --where and --order-by say. Fields: "
        "run_id, name, status, source, experiment, notebook, sweep, started_at, ended_at, "
        "duration_s, params.NAME, metrics.NAME (last value; .min .max .count too), "
        "tags.NAME. Operators: = != < <= > >= in (...) not in (...) contains, is null, "
        "and or not, parentheses; strings in quotes. Example: --where "
        "\"metrics.accuracy > 0.9 and params.model = 'tree'\" --order-by "
        '"metrics.accuracy desc".',
    )
    runs.add_argument("--where", metavar="EXPR", help="only runs matching this expression")
    runs.add_argument(
        "--order-by", metavar="FIELDS", help="FIELD [asc|desc], ... (default: newest first)"
    )
    runs.add_argument(
        "--columns",
        metavar="FIELDS",
        help="show exactly these fields, comma-separated (e.g. name,params.lr,metrics.acc.max)",
    )
    runs.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"at most N runs (default: {TABLE_LIMIT} in the table, all for --json and --csv)",
    )
    runs.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N runs")
    runs.add_argument("--notebook", metavar="P", help="only runs of this notebook file")
    runs.add_argument("--experiment", metavar="E", help="only runs of this experiment")
    runs.add_argument(
        "--status",
        metavar="S",
        help="only runs with this status "
        "(queued, running, succeeded, failed, timed_out, cancelled, lost)",
    )
    runs.add_argument(
        "--deleted", action="store_true", help="list deleted runs (restore them with restore)"
    )
    fmt = runs.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="a JSON list of run objects")
    fmt.add_argument(
        "--csv", action="store_true", help="CSV with params./metrics./tags. columns (as wb.runs())"
    )
    runs.set_defaults(func=cmd_runs)

    for verb, what in (("delete", "delete runs (kept and restorable until `workbench gc`)"),
                       ("restore", "restore deleted runs")):  # fmt: skip
        cmd = sub.add_parser(verb, help=what, description=what[0].upper() + what[1:] + ".")
        cmd.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="run ids or unique prefixes")
        cmd.set_defaults(func=cmd_delete if verb == "delete" else cmd_restore)

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
        allow_unknown=args.allow_unknown,
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
    if args.offset < 0:
        raise InvalidInput(f"--offset {args.offset} is not usable: give 0 or more")
    filt = RunFilter(
        notebook=str(Path(args.notebook).resolve()) if args.notebook else None,
        experiment=args.experiment,
        status=RunStatus.parse(args.status) if args.status else None,
        deleted=args.deleted,
    )
    query = {"where": args.where, "order_by": args.order_by, "offset": args.offset}
    store = open_store()
    if args.json and not args.columns:
        from workbench.text import run_dict

        runs, _ = store.search_runs(filt, limit=args.limit, **query)
        print(json.dumps([run_dict(r) for r in runs], indent=2, default=str))
        return 0
    from workbench.tracking.frames import runs_frame

    limit = args.limit if args.json or args.csv else (args.limit or TABLE_LIMIT)
    frame = runs_frame(store, filt, limit=limit, columns=args.columns, **query)
    if args.json:
        print(frame.to_json(orient="records", date_format="iso", indent=2))
        return 0
    if args.csv:
        sys.stdout.write(frame.to_csv(index=False))
        return 0
    from workbench.text import columns_table, runs_table

    _, total = store.search_runs(filt, limit=0, **query)
    if total == 0:
        print(_nothing(args))
        return 0
    shown = runs_table(frame, total) if not args.columns else columns_table(frame, total)
    if args.offset:
        shown += f"\n(from run {args.offset + 1} on: --offset {args.offset})"
    print(shown)
    return 0


def _nothing(args: argparse.Namespace) -> str:
    if args.where or args.notebook or args.experiment or args.status or args.offset:
        return "no runs match"
    if args.deleted:
        return "no deleted runs"
    return "no runs yet: start one with `workbench run NOTEBOOK`"


def cmd_delete(args: argparse.Namespace) -> int:
    from workbench.ids import resolve_run_id
    from workbench.store import open_store

    store = open_store()
    ids = [resolve_run_id(store, text) for text in args.run_ids]
    n = store.delete_runs(ids)
    print(f"deleted {n} run{'s' if n != 1 else ''} (restore with `workbench restore ID`)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from workbench.ids import resolve_run_id
    from workbench.store import open_store

    store = open_store()
    ids = [resolve_run_id(store, text) for text in args.run_ids]
    n = store.restore_runs(ids)
    print(f"restored {n} run{'s' if n != 1 else ''}")
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
