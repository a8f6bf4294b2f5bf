"""`workbench` subcommands for the store itself: init, gc."""

from __future__ import annotations

import argparse
import json

from workbench.errors import InvalidInput

DEFAULT_RETENTION_DAYS = 30.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to the `workbench` parser."""
    init = sub.add_parser(
        "init",
        help="create (or find) the store and say where it is",
        description="Create the store in ./.workbench (or find the one "
        "above, or WORKBENCH_HOME) and print its location.",
    )
    init.set_defaults(func=cmd_init)

    gc = sub.add_parser(
        "gc",
        help="remove deleted runs past the retention, and files nothing refers to",
        description="Remove for good: runs deleted more than --retention-days ago (unless an "
        "export names them), artifact files no run refers to, and temporary files no "
        "queued or running job uses. Files younger than an hour are left alone.",
    )
    gc.add_argument(
        "--dry-run", action="store_true", help="list what would be removed, remove nothing"
    )
    gc.add_argument(
        "--retention-days",
        type=float,
        default=DEFAULT_RETENTION_DAYS,
        metavar="D",
        help=f"keep deleted runs this many days (default {DEFAULT_RETENTION_DAYS:g})",
    )
    gc.add_argument("--json", action="store_true", help="the report as JSON")
    gc.set_defaults(func=cmd_gc)


def cmd_init(args: argparse.Namespace) -> int:
    from workbench.store import open_store
    from workbench.store.location import display_url

    store = open_store()
    print(f"workbench store: {store.location.home} (database {display_url(store.location.db_url)})")
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    from workbench.store import open_store
    from workbench.text import size_text

    if not args.retention_days >= 0:
        raise InvalidInput(f"--retention-days {args.retention_days} is not usable: give 0 or more")
    store = open_store()
    report = store.collect_garbage(retention_s=args.retention_days * 86400, dry_run=args.dry_run)
    if args.json:
        print(
            json.dumps(
                {
                    "dry_run": report.dry_run,
                    "runs": report.runs,
                    "kept_exported": report.kept_exported,
                    "blobs": [{"path": str(p), "bytes": n} for p, n in report.blobs],
                    "temporary": [{"path": str(p), "bytes": n} for p, n in report.temporary],
                    "freed_bytes": report.freed_bytes,
                },
                indent=2,
            )
        )
        return 0
    verb = "would remove" if report.dry_run else "removed"
    for run_id in report.runs:
        print(f"{verb} deleted run {run_id}")
    for run_id in report.kept_exported:
        print(f"kept deleted run {run_id}: an export names it")
    for path, size in (*report.blobs, *report.temporary):
        print(f"{verb} {path} ({size_text(size)})")
    runs = len(report.runs)
    files = len(report.blobs) + len(report.temporary)
    print(
        f"{verb} {runs} run{'s' if runs != 1 else ''} and {files} file{'s' if files != 1 else ''}"
        f", {size_text(report.freed_bytes)}"
    )
    return 0
