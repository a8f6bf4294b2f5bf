"""ORM tables. They stay inside workbench.store; everything else gets entities.

Timestamps are UNIX seconds as floats: portable across SQLite and PostgreSQL, sortable,
and turned into ISO strings only at the REST boundary.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def table_of(row: type[Base]) -> Table:
    """The Core table of a row class, typed as one (``__table__`` is typed as any FROM).

    Writes go through it: Core statements skip the ORM's per-statement work (written as
    ``insert(RunRow)`` and friends, create_run and log_batch took 10-20% more CPU)."""
    table = row.__table__
    assert isinstance(table, Table)
    return table


class ExperimentRow(Base):
    __tablename__ = "experiments"

    experiment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(250), unique=True)
    created_at: Mapped[float] = mapped_column(Float)


class SweepRow(Base):
    __tablename__ = "sweeps"

    sweep_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    notebook: Mapped[str] = mapped_column(Text)
    notebook_sha256: Mapped[str] = mapped_column(String(64))
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="RESTRICT")
    )
    spec: Mapped[str] = mapped_column(Text)  # JSON: the sweep as asked
    options: Mapped[str] = mapped_column(Text)  # JSON: executor, workers, timeout, retries
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    ended_at: Mapped[float | None] = mapped_column(Float)
    heartbeat_at: Mapped[float | None] = mapped_column(Float)
    runner: Mapped[str | None] = mapped_column(String(250))  # host:pid of the coordinator
    cancel_requested_at: Mapped[float | None] = mapped_column(Float)


class RunRow(Base):
    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(250))
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="RESTRICT"), index=True
    )
    notebook: Mapped[str | None] = mapped_column(Text, index=True)
    notebook_sha256: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[float] = mapped_column(Float, index=True)
    ended_at: Mapped[float | None] = mapped_column(Float)
    heartbeat_at: Mapped[float | None] = mapped_column(Float)
    error_name: Mapped[str | None] = mapped_column(Text)
    error_value: Mapped[str | None] = mapped_column(Text)
    error_cell_index: Mapped[int | None] = mapped_column(Integer)
    error_reason: Mapped[str | None] = mapped_column(Text)
    executed_notebook: Mapped[str | None] = mapped_column(String(64))
    provenance: Mapped[str | None] = mapped_column(Text)  # JSON object
    # Batch jobs: the sweep a run belongs to, the job's identity and which attempt it is.
    sweep_id: Mapped[str | None] = mapped_column(
        ForeignKey("sweeps.sweep_id", ondelete="CASCADE", name="fk_runs_sweep_id"), index=True
    )
    job_key: Mapped[str | None] = mapped_column(String(64), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    cancel_requested_at: Mapped[float | None] = mapped_column(Float)
    deleted_at: Mapped[float | None] = mapped_column(Float, index=True)  # deleted, restorable


class JobClaimRow(Base):
    """The run that answers for a job key: one per key, so concurrent sweeps never run a
    job twice (see SweepStore.create_sweep)."""

    __tablename__ = "job_claims"

    job_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"), index=True)
    claimed_at: Mapped[float] = mapped_column(Float)


class ParamRow(Base):
    __tablename__ = "params"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON


class TagRow(Base):
    __tablename__ = "tags"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class MetricRow(Base):
    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metrics_run_key_step", "run_id", "key", "step"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(250))
    step: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[float] = mapped_column(Float)


class LatestMetricRow(Base):
    """Summary of each (run, key): its last point, min, max and point count, kept up to
    date in the transaction that writes the points, so that listing, filtering and sorting
    runs never reads metric histories."""

    __tablename__ = "latest_metrics"
    # metrics.NAME filters and sorts across runs start from the key.
    __table_args__ = (Index("ix_latest_metrics_key_value", "key", "value"),)

    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[float] = mapped_column(Float)
    min_value: Mapped[float] = mapped_column(Float)
    max_value: Mapped[float] = mapped_column(Float)
    point_count: Mapped[int] = mapped_column(BigInteger)


class ArtifactRow(Base):
    __tablename__ = "artifacts"
    __table_args__ = (UniqueConstraint("run_id", "name", name="uq_artifacts_run_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[float] = mapped_column(Float)


class ExportRow(Base):
    """One exported version of a notebook: enough to write it again (rollback)."""

    __tablename__ = "exports"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_exports_name_version"),)

    export_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(250), index=True)  # PEP 503 normalized
    version: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str] = mapped_column(  # the validation run it was exported from
        ForeignKey("runs.run_id", ondelete="RESTRICT"), index=True
    )
    validation_passed: Mapped[bool] = mapped_column()  # Boolean, from the annotation
    targets: Mapped[str] = mapped_column(Text)  # JSON list
    path: Mapped[str] = mapped_column(Text)  # the folder written last
    notebook_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[str] = mapped_column(Text)  # JSON: what the templates were given
    created_at: Mapped[float] = mapped_column(Float, index=True)
