"""``workbench`` subcommands for shipping: validate, export, exports, rerun.

Exit codes as for the rest of the CLI: 0 success (validation passed, rerun reproduced),
1 a check failed (or the rerun differs, or the export's notebook did not pass), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from workbench.cli.args import notebook_arg, parameter_arg
from workbench.errors import InvalidInput


def _param_args(parser: argparse.ArgumentParser) -> None:
    parameter_arg(parser)
    parser.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="COND",
        help='a condition on a logged metric, e.g. "accuracy>=0.9" '
        "(repeatable; the notebook's metadata.workbench.require adds more)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        metavar="S",
        help="time budget of the validation run (default 600)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to the `workbench` parser."""
    val = sub.add_parser(
        "validate",
        help="run a notebook in a fresh kernel and check it (the gate)",
        description="Run the notebook top to bottom in a fresh kernel as a validation run "
        "and check it: nbformat and kernelspec, parameters cell, no error output, --require "
        "conditions, imports installed, no absolute paths outside the project, time budget. "
        "Exit code 0 pass, 1 a check failed, 2 bad input.",
    )
    notebook_arg(val)
    _param_args(val)
    val.add_argument("--experiment", metavar="E", help="experiment of the validation run")
    val.add_argument("--json", action="store_true", help="print the report as JSON")
    val.add_argument("--log-output", action="store_true", help="show the notebook's output")
    val.set_defaults(func=cmd_validate)

    exp = sub.add_parser(
        "export",
        help="export a validated run or notebook into a package and pipeline steps",
        description="Export a validated run (or a notebook, validated first) into an "
        "installable package plus pipeline steps. With only --name and --version, write an "
        "earlier export again (rollback).",
    )
    exp.add_argument(
        "source",
        nargs="?",
        metavar="RUN_ID|NOTEBOOK",
        help="a validation run id (or prefix), another run, or a .ipynb file",
    )
    exp.add_argument(
        "--to",
        default="package,kfp,airflow,github,docker",
        metavar="TARGETS",
        help="comma-separated: package, kfp, airflow, github, docker (default all)",
    )
    exp.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    exp.add_argument("--name", metavar="NAME", help="package name (default: from the notebook)")
    exp.add_argument(
        "--version", metavar="V", help="version (default: 0.1.0, then the next patch version)"
    )
    exp.add_argument("--description", metavar="TEXT", help="one-line description")
    exp.add_argument(
        "--workbench-wheel",
        metavar="WHL",
        help="the Workbench wheel to ship (default: built from this install)",
    )
    _param_args(exp)
    exp.set_defaults(func=cmd_export)

    lst = sub.add_parser(
        "exports",
        help="list exported packages, newest first",
        description="List exports: name, version, source run, validation "
        "result, targets and folder.",
    )
    lst.add_argument("--name", metavar="NAME", help="only versions of this export")
    lst.add_argument("--json", action="store_true", help="a JSON list")
    lst.set_defaults(func=cmd_exports)

    rer = sub.add_parser(
        "rerun",
        help="run a run again and compare its metrics",
        description="Execute a run again from its stored notebook snapshot and parameters, "
        "compare the metrics, and say which of notebook, parameters and environment changed "
        "since. Exit code 0 when the metrics are reproduced exactly, 1 otherwise.",
    )
    rer.add_argument("run_id", metavar="RUN_ID", help="a run id or a unique prefix")
    rer.add_argument(
        "--from-file",
        action="store_true",
        help="run the notebook file as it is now instead of the snapshot",
    )
    rer.add_argument("--timeout", type=float, metavar="S", help="wall-clock budget in seconds")
    rer.add_argument("--json", action="store_true", help="print the comparison as JSON")
    rer.set_defaults(func=cmd_rerun)


def _announce(kind: str, notebook: str) -> Callable[[str], None]:
    def announce(run_id: str) -> None:
        print(f"workbench: {kind} {notebook} as run {run_id}", file=sys.stderr, flush=True)

    return announce


def cmd_validate(args: argparse.Namespace) -> int:
    from workbench.cli.logs import quiet_papermill
    from workbench.validate.gate import validate

    quiet_papermill(args.log_output)
    report = validate(
        args.notebook,
        dict(args.parameters),
        require=args.require,
        max_seconds=args.max_seconds,
        experiment=args.experiment,
        log_output=args.log_output,
        on_run_created=_announce("validating", Path(args.notebook).name),
    )
    print(json.dumps(report.to_json(), indent=2) if args.json else report.text())
    return report.exit_code


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.cli.logs import quiet_papermill
    from workbench.export.exporter import ValidationFailed, export
    from workbench.ids import resolve_run_id
    from workbench.store import open_store

    quiet_papermill(False)
    store = open_store()
    source = args.source
    if source is not None and not source.endswith(".ipynb") and not Path(source).is_file():
        source = resolve_run_id(store, source)
    try:
        result = export(
            source,
            out=args.out,
            targets=args.to,
            name=args.name,
            version=args.version,
            description=args.description,
            params=dict(args.parameters),
            require=args.require,
            max_seconds=args.max_seconds,
            store=store,
            workbench_wheel=args.workbench_wheel,
        )
    except ValidationFailed as exc:
        if exc.report is not None:
            print(exc.report.text())
        print(f"workbench: error: {exc.message}; nothing was exported", file=sys.stderr)
        return 1
    if result.report is not None:
        print(result.report.text())
    e = result.export
    print(f"exported {e.name} {e.version} from run {e.run_id} into {result.out}:")
    for rel in result.files:
        print(f"  {rel}")
    print(f"install: cd {result.out} && pip install ./wheels/*.whl")
    return 0


def cmd_exports(args: argparse.Namespace) -> int:
    from workbench.export.names import normalize
    from workbench.store import open_store
    from workbench.text import local_time

    exports = open_store().list_exports(normalize(args.name) if args.name else None)
    if args.json:
        rows = [{**e.__dict__, "manifest": None} for e in exports]
        for row in rows:
            row.pop("manifest")
        print(json.dumps(rows, indent=2))
        return 0
    if not exports:
        print("no exports yet: export a validated run with `workbench export RUN_ID --out DIR`")
        return 0
    from tabulate import tabulate

    table = [
        [
            e.name,
            e.version,
            e.run_id[:12],
            "passed" if e.validation_passed else "failed",
            ",".join(e.targets),
            e.path,
            local_time(e.created_at),
        ]
        for e in exports
    ]
    print(
        tabulate(
            table,
            headers=["name", "version", "source run", "validation", "targets", "path", "exported"],
        )
    )
    return 0


def cmd_rerun(args: argparse.Namespace) -> int:
    from workbench.cli.logs import quiet_papermill
    from workbench.ids import resolve_run_id
    from workbench.store import open_store
    from workbench.validate.rerun import rerun

    if args.timeout is not None and args.timeout <= 0:
        raise InvalidInput(f"--timeout {args.timeout:g} is not usable: give a positive number")
    quiet_papermill(False)
    store = open_store()
    result = rerun(
        resolve_run_id(store, args.run_id),
        store=store,
        from_file=args.from_file,
        timeout=args.timeout,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "run_id": result.original.run_id,
                    "rerun_id": result.rerun.run_id,
                    "status": result.rerun.status.value,
                    "reproduced": result.reproduced,
                    "metric_diffs": {k: list(v) for k, v in result.metric_diffs.items()},
                    "changes": result.changes,
                    "from_file": result.from_file,
                },
                indent=2,
            )
        )
    else:
        print(result.text())
    return result.exit_code
