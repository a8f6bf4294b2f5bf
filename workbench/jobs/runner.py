"""`python -m workbench.jobs.runner SWEEP_ID`: a detached runner of a sweep's queued jobs.

Started by :func:`workbench.jobs.api.ensure_runner` when a job was queued again (a retry
asked from the job queue) and no runner is running the sweep. Unlike `workbench resume`, it
gives no new attempt to the sweep's other failed or cancelled jobs: it runs what is queued.
"""

from __future__ import annotations

import sys

from workbench.errors import Conflict, WorkbenchError


def main(argv: list[str] | None = None) -> int:
    from workbench.jobs.engine import resume_sweep
    from workbench.jobs.progress import sweep_line
    from workbench.store import open_store

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m workbench.jobs.runner SWEEP_ID", file=sys.stderr)
        return 2
    try:
        sweep = resume_sweep(args[0], open_store(), retry=False)
    except Conflict as exc:  # another runner took it first: it runs the queued jobs
        print(f"workbench: {exc.message}", file=sys.stderr)
        return 0
    except WorkbenchError as exc:
        print(f"workbench: {exc.message}", file=sys.stderr)
        return 1
    print(sweep_line(sweep), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
