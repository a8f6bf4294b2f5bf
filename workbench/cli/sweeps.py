"""`workbench` subcommands for sweeps: params, sweep, sweeps, resume, cancel.

Each is a thin face over workbench.jobs: plan_sweep, run_sweep/resume_sweep (the one
coordinator), cancel_sweep/cancel_run, and workbench.jobs.progress for what is printed.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

from workbench.cli.args import job_args, notebook_arg, parameter_arg
from workbench.errors import InvalidInput
from workbench.ids import resolve_sweep_id, resolve_target

CANCEL_WAIT_S = 30.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to the `workbench` parser."""
    params = sub.add_parser(
        "params",
        help="show a notebook's typed parameters",
        description="Show the parameters of the notebook's cell tagged `parameters`: name, "
        "type, default and the help text of a trailing comment.",
    )
    notebook_arg(params)
    params.add_argument("--json", action="store_true", help="the schema as a JSON list")
    params.set_defaults(func=cmd_params)

    sweep = sub.add_parser(
        "sweep",
        help="run a notebook over many parameter sets, in parallel",
        description="Run a sweep of papermill jobs over NOTEBOOK: the cross product of the "
        "--values rows, the --grid points and the -n --random draws, each job a tracked run. "
        "Jobs that already succeeded with the same notebook, parameters, timeout and kernel "
        "are skipped (--force runs them). Exit code 0 if every job succeeded, 1 if any did "
        "not, 2 for bad input (nothing is started).",
    )
    notebook_arg(sweep)
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="a grid axis (repeatable): every combination runs",
    )
    sweep.add_argument(
        "--random",
        action="append",
        default=[],
        metavar="NAME=DIST",
        help="a random axis (repeatable): uniform(a,b), loguniform(a,b), "
        "int(a,b), normal(mu,sigma), choice(x,y,...); needs -n",
    )
    sweep.add_argument("-n", type=int, metavar="N", help="number of random draws")
    sweep.add_argument("--seed", type=int, metavar="S", help="seed of the random draws")
    sweep.add_argument(
        "--values",
        metavar="FILE",
        help="explicit jobs: a .csv, .yaml or .json file, one row per job",
    )
    parameter_arg(sweep, help="a parameter for every job (repeatable), read as its type")
    _option_args(sweep)
    sweep.add_argument(
        "--sort",
        metavar="[-]METRIC",
        help="leaderboard order: -accuracy is descending, loss ascending "
        "(default: the first metric by name; descending unless it looks like "
        "a loss or error)",
    )
    sweep.add_argument(
        "--detach", action="store_true", help="run in the background and return at once"
    )
    sweep.set_defaults(func=cmd_sweep)
    _dash_values(sweep)

    sweeps = sub.add_parser(
        "sweeps",
        help="list sweeps with their progress",
        description="List sweeps, newest first, with their progress.",
    )
    sweeps.add_argument("--json", action="store_true", help="a JSON list of sweeps")
    sweeps.add_argument("--limit", type=int, default=50, metavar="N", help="at most N sweeps")
    sweeps.set_defaults(func=cmd_sweeps)

    resume = sub.add_parser(
        "resume",
        help="finish a sweep whose runner stopped",
        description="Run what a sweep still lacks: queued jobs run, jobs that failed, were "
        "lost, cancelled or timed out get a new attempt; a job that succeeded never runs "
        "again. Refused while the sweep's runner is alive.",
    )
    resume.add_argument("sweep_id", metavar="SWEEP_ID", help="a sweep id or a unique prefix")
    resume.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar, job lines or leaderboard; one final line",
    )
    resume.add_argument("--sort", metavar="[-]METRIC", help="leaderboard order (as sweep)")
    resume.set_defaults(func=cmd_resume)
    _dash_values(resume)

    cancel = sub.add_parser(
        "cancel",
        help="cancel a sweep or one of its jobs",
        description="Cancel a sweep (queued jobs are dropped, running kernels killed) or one "
        "job, marking them cancelled; waits for them to stop.",
    )
    cancel.add_argument("target", metavar="SWEEP_ID|RUN_ID", help="an id or a unique prefix")
    cancel.add_argument(
        "--wait",
        type=float,
        default=CANCEL_WAIT_S,
        metavar="S",
        help=f"seconds to wait for the jobs to stop (default {CANCEL_WAIT_S:g})",
    )
    cancel.set_defaults(func=cmd_cancel)


def _dash_values(parser: argparse.ArgumentParser) -> None:
    """Let ``--sort -accuracy`` read ``-accuracy`` as a value: argparse takes any unknown
    ``-word`` for an option, except what its negative-number pattern matches. Known options
    (-n, -p) are matched before this pattern is consulted, so they keep working."""
    parser._negative_number_matcher = re.compile(r"^-[A-Za-z_]")


def _option_args(parser: argparse.ArgumentParser) -> None:
    """One flag per field of ``SweepOptions`` (same names), read back by ``options_from``."""
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="jobs at once (default: the number of cores; on a Dask scheduler, its worker threads)",
    )
    parser.add_argument(
        "--executor",
        default="local",
        metavar="E",
        help="local (worker processes), dask (a local Dask cluster) or "
        "tcp://HOST:8786 (a Dask scheduler)",
    )
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="wall-clock budget in seconds of each job"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=0,
        metavar="N",
        help="new attempts for a job that fails or whose kernel dies",
    )
    parser.add_argument(
        "--force", action="store_true", help="run jobs again even if they already succeeded"
    )
    job_args(parser)
    parser.add_argument(
        "--preload",
        action="append",
        metavar="MODULE",
        help="a module the warm kernels import ahead (repeatable; -MODULE leaves one out)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start each job's kernel from scratch instead of forking a warm one",
    )


def options_from(args: argparse.Namespace) -> Any:
    """The ``SweepOptions`` the flags of ``_option_args`` give."""
    import dataclasses

    from workbench.entities import SweepOptions

    return SweepOptions(**{f.name: getattr(args, f.name) for f in dataclasses.fields(SweepOptions)})


# -- commands -----------------------------------------------------------------------------


def cmd_params(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from workbench.notebooks.reader import read_notebook
    from workbench.notebooks.schema import notebook_schema

    schema = notebook_schema(read_notebook(args.notebook))
    if args.json:
        print(json.dumps(schema.to_json(), indent=2))
        return 0
    if not len(schema):
        print(
            f"{Path(args.notebook).name} has no parameters: tag a cell `parameters` "
            "and assign them there (lr: float = 0.1  # learning rate)"
        )
        return 0
    rows = [
        [
            p.name,
            p.type + (" | None" if p.nullable and p.type != "None" else ""),
            p.default_repr,
            p.help,
        ]
        for p in schema
    ]
    print(
        tabulate(
            rows,
            headers=["name", "type", "default", "help"],
            tablefmt="simple",
            disable_numparse=True,
        )
    )
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from workbench.jobs.forked import discard_early
    from workbench.jobs.plan import prepare_runner
    from workbench.jobs.progress import parse_sort
    from workbench.jobs.spec import SweepSpec
    from workbench.store import locate

    spec = SweepSpec.from_cli(
        grid=args.grid,
        random=args.random,
        n=args.n,
        seed=args.seed,
        values=args.values,
        fixed={name: text for name, text in args.parameters},
    )
    parse_sort(args.sort)
    options = options_from(args)
    # Run here: once its input is checked, the sweep is named and its workers' zygote
    # starts, before anything heavier (the store, planning) is even imported, so that the
    # zygote's imports overlap all of it.
    sweep_id = None if args.detach else prepare_runner(locate(), args.notebook, options)
    try:
        from workbench.jobs.api import start_runner
        from workbench.jobs.engine import run_sweep, runner_id
        from workbench.jobs.plan import plan_sweep
        from workbench.store import open_store

        store = open_store()
        plan = plan_sweep(
            args.notebook,
            spec,
            options,
            store=store,
            runner=None if args.detach else runner_id(),
            sweep_id=sweep_id,
        )
    except BaseException:
        discard_early()
        raise
    print(f"sweep {plan.sweep_id}: {plan.summary()}", flush=True)
    if not plan.jobs:
        discard_early()
        print("nothing to run here: every job already succeeded or runs in another sweep")
        return 0
    if args.detach:
        start_runner(store, plan.sweep_id)
        log = store.location.sweep_log(plan.sweep_id)
        print(
            f"running in the background (log: {log}); follow it with `workbench sweeps`, "
            f"stop it with `workbench cancel {plan.sweep_id[:8]}`"
        )
        return 0
    return _follow(
        lambda report: run_sweep(plan.sweep_id, store, on_progress=report),
        store,
        plan.sweep_id,
        quiet=False,
        sort=args.sort,
    )


def cmd_resume(args: argparse.Namespace) -> int:
    from workbench.jobs.engine import resume_sweep
    from workbench.jobs.progress import parse_sort
    from workbench.store import open_store

    parse_sort(args.sort)
    store = open_store()
    sweep_id = resolve_sweep_id(store, args.sweep_id)
    return _follow(
        lambda report: resume_sweep(sweep_id, store, on_progress=report),
        store,
        sweep_id,
        quiet=args.quiet,
        sort=args.sort,
    )


def _follow(run: Any, store: Any, sweep_id: str, *, quiet: bool, sort: str | None) -> int:
    """Run the coordinator in the foreground with a progress bar; print the leaderboard."""
    from workbench.entities import RunStatus
    from workbench.jobs.progress import TerminalReporter, leaderboard, sweep_line

    def stop(_signum: int, _frame: Any) -> None:  # SIGTERM cancels cleanly, like Ctrl-C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    reporter = None if quiet else TerminalReporter()
    try:
        sweep = run(reporter)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if reporter is not None:
            reporter.close()
    if not quiet:
        print(leaderboard(store, sweep_id, sort).text())
    print(sweep_line(sweep))
    ok = sweep.status is RunStatus.SUCCEEDED and sweep.counts.get("succeeded", 0) == sweep.total
    return 0 if ok else 1


def cmd_sweeps(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from workbench.store import open_store
    from workbench.text import local_time

    if args.limit < 1:
        raise InvalidInput(f"--limit {args.limit} is not usable: give a positive number")
    sweeps = open_store().list_sweeps(limit=args.limit)
    if args.json:
        from workbench.jobs.progress import sweep_dict

        print(json.dumps([sweep_dict(s) for s in sweeps], indent=2))
        return 0
    if not sweeps:
        print("no sweeps yet: start one with `workbench sweep NOTEBOOK --grid name=v1,v2`")
        return 0
    rows = [
        [
            s.sweep_id[:8],
            Path(s.notebook).name,
            s.status.value,
            f"{s.done}/{s.total}",
            s.counts.get("succeeded", 0),
            s.counts.get("queued", 0),
            s.counts.get("running", 0),
            sum(n for k, n in s.counts.items() if k not in ("succeeded", "queued", "running")),
            local_time(s.created_at),
        ]
        for s in sweeps
    ]
    print(
        tabulate(
            rows,
            headers=[
                "sweep",
                "notebook",
                "status",
                "done",
                "succeeded",
                "queued",
                "running",
                "not ok",
                "created",
            ],
            tablefmt="simple",
            disable_numparse=True,
        )
    )
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    from workbench.entities import RunStatus
    from workbench.jobs.api import cancel_run, cancel_sweep
    from workbench.store import open_store

    store = open_store()
    kind, target = resolve_target(store, args.target)
    if kind == "sweep":
        before = {r.run_id: r.status for r in store.job_runs(target)}
        cancel_sweep(store, target)
        ids = [rid for rid, s in before.items() if not RunStatus(s).finished]
    else:
        cancel_run(store, target)
        ids = [target]
    deadline = time.monotonic() + max(0.0, args.wait)
    while True:
        runs, _ = store.search_runs(_ids_filter(ids))
        active = [r for r in runs if not r.status.finished]
        if not active or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    stopped = sum(1 for r in runs if r.status is RunStatus.CANCELLED)
    what = f"sweep {target[:8]}" if kind == "sweep" else f"run {target[:8]}"
    line = f"cancelled {what}: {stopped} job{'s' if stopped != 1 else ''} cancelled"
    ended = len(runs) - stopped - len(active)
    if ended:
        line += f", {ended} ended otherwise before the cancel reached them"
    print(line)
    if active:
        print(
            f"{len(active)} job(s) still running after {args.wait:g} s: their heartbeat "
            "stops when their worker does; `workbench sweeps` shows them",
            file=sys.stderr,
        )
        return 1
    return 0


def _ids_filter(ids: list[str]) -> Any:
    from workbench.store import RunFilter

    return RunFilter(run_ids=ids)
