"""Plain typed entities handed out by the store. ORM rows never leave workbench.store."""

from __future__ import annotations

import dataclasses
import enum
import keyword
import math
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import InvalidInput


class RunStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    LOST = "lost"

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)

    @classmethod
    def parse(cls, value: str | RunStatus) -> RunStatus:
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise InvalidInput(f"unknown run status {value!r}; use one of: {names}") from None


class RunSource(str, enum.Enum):
    INTERACTIVE = "interactive"  # a notebook in a live kernel
    SCRIPT = "script"  # start_run() from plain Python
    JOB = "job"  # papermill job (workbench run, sweeps)
    VALIDATION = "validation"
    DEPLOYED = "deployed"


@dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: float


@dataclass(frozen=True)
class Artifact:
    name: str
    digest: str
    size: int
    created_at: float


@dataclass(frozen=True)
class RunError:
    name: str | None = None
    value: str | None = None
    cell_index: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class MetricSummary:
    """One metric of one run, summarized on write: its last point, min, max and count."""

    last: float
    min: float
    max: float
    count: int
    step: int  # of the last point
    timestamp: float  # of the last point


@dataclass
class Run:
    run_id: str
    name: str | None
    experiment: str
    notebook: str | None
    notebook_sha256: str | None
    source: str
    status: RunStatus
    started_at: float
    ended_at: float | None
    heartbeat_at: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # last value per key
    tags: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    error: RunError | None = None
    executed_notebook: str | None = None  # artifact digest
    metric_history: dict[str, list[MetricPoint]] = field(default_factory=dict)
    artifacts: list[Artifact] = field(default_factory=list)
    metric_summary: dict[str, MetricSummary] = field(default_factory=dict)
    deleted_at: float | None = None  # deleted runs are kept, restorable, until `workbench gc`

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return max(0.0, self.ended_at - self.started_at)


def check_key(kind: str, key: object) -> str:
    """Keys of params, metrics and tags: non-empty strings of printable characters."""
    if not isinstance(key, str) or not key or len(key) > 250 or not key.isprintable():
        raise InvalidInput(
            f"{kind} name {key!r} is not usable: give a non-empty printable string "
            "of at most 250 characters"
        )
    return key


def check_param_name(name: object) -> str:
    """Notebook parameter names become Python assignments: they must be identifiers."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise InvalidInput(
            f"parameter name {name!r} is not a Python identifier: use letters, digits and "
            "underscores, not starting with a digit (for example learning_rate)"
        )
    return name


def check_json_value(name: str, value: Any) -> Any:
    """Parameter values must be JSON types (None, bool, int, float, str, lists, dicts)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"parameter {name!r} is {value!r}: use a finite number")
        return value
    if isinstance(value, (list, tuple)):
        return [check_json_value(name, v) for v in value]
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise InvalidInput(f"parameter {name!r} has a non-string key {k!r}")
        return {k: check_json_value(name, v) for k, v in value.items()}
    raise InvalidInput(
        f"parameter {name!r} has a value of type {type(value).__name__}: "
        "use a JSON type (number, string, boolean, null, list or object)"
    )


def check_timeout(timeout: float | None) -> float | None:
    """A job's time budget in seconds (None: no limit), or InvalidInput."""
    if timeout is None:
        return None
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise InvalidInput(f"timeout {timeout!r} is not usable: give a positive number of seconds")
    return float(timeout)


def check_metric_value(key: str, value: object) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"metric {key!r} got {value!r}: log a number (int or float)") from None
    return v


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep's jobs run. Checked once, by ``workbench.jobs.options.check_options``;
    every face (CLI, ``wb.sweep``, the sweep widget, REST) only builds one."""

    workers: int | None = None  # jobs at once; None: the cores (local) or the cluster's
    executor: str = "local"  # local, dask (a LocalCluster), or tcp://|tls://HOST:PORT
    timeout: float | None = None  # seconds per job
    retries: int = 0  # new attempts for a job that fails or whose kernel dies
    kernel: str | None = None  # None: the notebook's kernelspec, else python3
    force: bool = False  # run again jobs that already succeeded
    allow_unknown: bool = False  # parameters the notebook's parameters cell lacks
    experiment: str | None = None
    cold: bool = False  # a cold kernel start per job instead of a warm fork
    preload: list[str] | None = None  # modules the warm zygote imports too ("-name": not)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SweepOptions:
        """Stored options; keys of other versions are ignored, missing ones default."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})


@dataclass(frozen=True)
class JobRun:
    """One attempt of one job of a sweep, as the sweep engine follows it."""

    run_id: str
    job_key: str
    attempt: int
    status: RunStatus
    started_at: float
    heartbeat_at: float | None


@dataclass(frozen=True)
class JobInfo:
    """Where a run stands as a job: its sweep (None for a one-off run), key, attempt,
    status, and whether a cancel was asked for it or its sweep."""

    sweep_id: str | None
    job_key: str | None
    attempt: int
    status: RunStatus
    cancel_requested: bool


@dataclass
class Export:
    """One exported (name, version) of a notebook: enough to write it again (rollback)."""

    export_id: str
    name: str
    version: str
    run_id: str
    validation_passed: bool
    targets: list[str]
    path: str
    notebook_sha256: str
    created_at: float
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sweep:
    sweep_id: str
    notebook: str
    notebook_sha256: str
    experiment: str
    spec: dict[str, Any]
    options: SweepOptions
    status: RunStatus
    created_at: float
    ended_at: float | None
    heartbeat_at: float | None
    runner: str | None
    cancel_requested: bool
    counts: dict[str, int] = field(default_factory=dict)  # latest attempt of each job, by status

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return sum(n for s, n in self.counts.items() if RunStatus(s).finished)
