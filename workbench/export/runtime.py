"""What an exported package runs: its notebook in a fresh kernel, as a ``deployed`` run.

Part of Workbench's core (no JupyterLab): the generated package holds only literals and
calls these two functions. With WORKBENCH_HOME or WORKBENCH_DB_URL set the run is recorded
in that store; otherwise in a temporary store that is removed afterwards, so the step still
runs and returns its metrics.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.entities import RunSource, RunStatus
from workbench.errors import InvalidInput, WorkbenchError

EXPORT_TAG = "workbench.export"
EXPORT_VERSION_TAG = "workbench.export_version"


class DeployedRunFailed(WorkbenchError):
    """The exported notebook ran and failed: the run and its executed notebook say where."""

    code = "run_failed"
    http_status = 500


def run_exported(
    notebook: str | os.PathLike[str],
    params: Mapping[str, Any],
    *,
    parameters: list[dict[str, Any]],
    defaults: Mapping[str, Any],
    name: str,
    version: str,
    output: str | os.PathLike[str] | None = None,
    log_output: bool = False,
) -> dict[str, float]:
    """Execute the bundled notebook with ``defaults`` overridden by ``params`` (checked
    against the schema ``parameters``); return the metrics it logged."""
    from workbench.notebooks.coerce import coerce
    from workbench.notebooks.execute import run_notebook
    from workbench.notebooks.schema import ParamSchema
    from workbench.store import Store, locate, open_store

    values = {**defaults, **coerce(ParamSchema.from_json(parameters), dict(params))}
    tags = {EXPORT_TAG: name, EXPORT_VERSION_TAG: version}
    recorded = bool(os.environ.get("WORKBENCH_HOME") or os.environ.get("WORKBENCH_DB_URL"))
    with tempfile.TemporaryDirectory(prefix="workbench-deployed-") as scratch:
        if recorded:
            store = open_store()
        else:
            # A private store: the kernel gets its path explicitly, so nothing is left behind.
            store = Store(locate(home=str(Path(scratch) / "store"), db_url=None))
        try:
            run = run_notebook(
                notebook,
                values,
                source=RunSource.DEPLOYED,
                experiment=name,
                tags=tags,
                store=store,
                cwd=Path.cwd(),
                log_output=log_output,
            )
            if output is not None:
                from workbench.store.blobs import write_atomic

                write_atomic(output, store.executed_notebook(run.run_id))
        finally:
            if not recorded:
                store.close()
    if run.status is not RunStatus.SUCCEEDED:
        reason = run.error.reason if run.error and run.error.reason else run.status.value
        where = f" (run {run.run_id})" if recorded else ""
        raise DeployedRunFailed(
            f"{name} {version}: the notebook {run.status.value}: {reason}{where}"
        )
    return dict(run.metrics)


def console_main(
    argv: Sequence[str] | None,
    *,
    execute: Callable[..., dict[str, float]],
    name: str,
    version: str,
    parameters: list[dict[str, Any]],
    defaults: Mapping[str, Any],
) -> int:
    """``NAME --param k=v ... [--output out.ipynb] [--metrics-json m.json]``: prints the
    metrics as JSON; exit 0 on success, 1 if the notebook failed, 2 for bad input."""
    listed = ", ".join(f"{p['name']} ({p['type']})" for p in parameters) or "none"
    parser = argparse.ArgumentParser(
        prog=name,
        description=f"Run the notebook exported as {name} {version}. Parameters: {listed}.",
    )
    parser.add_argument("--version", action="version", version=f"{name} {version}")
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a parameter (repeatable); VALUE is read for its type",
    )
    parser.add_argument("--output", metavar="PATH", help="write the executed notebook here")
    parser.add_argument("--metrics-json", metavar="PATH", help="also write the metrics here")
    parser.add_argument(
        "--log-output", action="store_true", help="print the notebook's output while it runs"
    )
    args = parser.parse_args(argv)
    try:
        params = parse_assignments(args.param)
        metrics = execute(params, output=args.output, log_output=args.log_output)
    except WorkbenchError as exc:
        print(f"{name}: error: {' '.join(exc.message.split())}", file=sys.stderr)
        return 2 if exc.user_error else 1
    text = json.dumps(metrics, indent=2, sort_keys=True)
    if args.metrics_json:
        from workbench.store.blobs import write_atomic

        Path(args.metrics_json).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(args.metrics_json, (text + "\n").encode())
    print(text)
    return 0


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["lr=0.1", "name=a=b"]`` -> ``{"lr": "0.1", "name": "a=b"}``: the values stay text
    for the schema to convert (so ``3`` for a str parameter stays ``"3"``)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--param {item!r} is not NAME=VALUE")
        out[key.strip()] = value
    return out
