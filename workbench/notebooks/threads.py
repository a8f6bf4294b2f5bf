"""How many threads a job's kernel may use: BLAS/OpenMP caps of cores divided by workers.

Left at their defaults, parallel ML jobs on 2 cores cost 2-5x more CPU. A cold kernel reads
these variables when BLAS loads; a warm one gets them applied with threadpoolctl.
"""

from __future__ import annotations

import os

from workbench.errors import InvalidInput

THREAD_CAP_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def thread_caps(workers: int = 1) -> dict[str, str]:
    """``OMP_NUM_THREADS`` and friends = cores // workers (at least 1), unless the runner's
    environment already sets them: an explicit choice of the user wins."""
    if workers < 1:
        raise InvalidInput(f"workers must be at least 1, not {workers}")
    threads = str(max(1, available_cores() // workers))
    return {var: os.environ.get(var) or threads for var in THREAD_CAP_VARS}
