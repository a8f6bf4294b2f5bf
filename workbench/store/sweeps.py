"""Sweeps and their jobs in the store. A job is a run with a sweep id, a job key and an
attempt number; a retry is a new run (attempt + 1) with the same key, so every attempt
stays on record. Mixed into Store."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from workbench.entities import JobInfo, JobRun, RunSource, RunStatus, Sweep, SweepOptions
from workbench.errors import Conflict, NotFound
from workbench.store.base import StoreBase
from workbench.store.claims import CLAIM_TRIES, ClaimTaken, SweepCreated, claim, claims
from workbench.store.engine import write_connection
from workbench.store.policy import DEFAULT_EXPERIMENT
from workbench.store.rows import experiment_id, write_params
from workbench.store.schema import ExperimentRow, JobClaimRow, RunRow, SweepRow, table_of

ACTIVE = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


class SweepStore(StoreBase):
    def create_sweep(
        self,
        *,
        notebook: str,
        notebook_sha256: str,
        experiment: str | None,
        spec: dict[str, Any],
        options: SweepOptions,
        jobs: list[tuple[dict[str, Any], str]],
        runner: str | None = None,
        sweep_id: str | None = None,
    ) -> SweepCreated:
        """A sweep (named ``sweep_id``, by default a new id) and one queued run per
        (params, job_key) whose key it may claim, in one transaction.

        A job key is claimed in ``job_claims`` for the run that answers for it. A key whose
        claim is held by a succeeded run (done) or a queued or running one (in flight, in
        this or another sweep) is skipped unless ``options.force``; a key whose run failed,
        was cancelled, timed out or lost is claimed again. Two submitters racing for a key
        cannot both win: SQLite serializes writers (BEGIN IMMEDIATE), and on PostgreSQL the
        claim's primary key (or its compare-and-set update) makes the loser retry and see it.
        """
        for attempt in range(CLAIM_TRIES):
            try:
                return self._create_sweep_once(
                    sweep_id or uuid.uuid4().hex,
                    notebook,
                    notebook_sha256,
                    experiment,
                    spec,
                    options,
                    jobs,
                    runner,
                )
            except (IntegrityError, ClaimTaken):
                if attempt == CLAIM_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _create_sweep_once(
        self,
        sweep_id: str,
        notebook: str,
        notebook_sha256: str,
        experiment: str | None,
        spec: dict[str, Any],
        options: SweepOptions,
        jobs: list[tuple[dict[str, Any], str]],
        runner: str | None,
    ) -> SweepCreated:
        now = time.time()
        queued = done = in_flight = 0
        with write_connection(self.engine) as conn, conn.begin():
            exp_id = experiment_id(conn, experiment or DEFAULT_EXPERIMENT, now)
            conn.execute(
                table_of(SweepRow)
                .insert()
                .values(
                    sweep_id=sweep_id,
                    notebook=notebook,
                    notebook_sha256=notebook_sha256,
                    experiment_id=exp_id,
                    spec=json.dumps(spec),
                    options=json.dumps(options.to_json()),
                    status=RunStatus.RUNNING.value,
                    created_at=now,
                    heartbeat_at=now,
                    runner=runner,
                )
            )
            held = claims(conn, [key for _, key in jobs])
            for index, (params, key) in enumerate(jobs):
                held_by = held.get(key)
                if held_by is not None and not options.force:
                    if held_by[1] == RunStatus.SUCCEEDED.value:
                        done += 1
                        continue
                    if held_by[1] in ACTIVE:
                        in_flight += 1
                        continue
                run_id = self._insert_job(
                    conn,
                    sweep_id,
                    exp_id,
                    notebook,
                    notebook_sha256,
                    params,
                    key,
                    attempt=1,
                    now=now + index * 1e-6,
                )
                claim(conn, key, run_id, None if held_by is None else held_by[0], now)
                queued += 1
            if not queued:  # nothing of its own to run: done as soon as it exists
                conn.execute(
                    update(SweepRow)
                    .where(SweepRow.sweep_id == sweep_id)
                    .values(status=RunStatus.SUCCEEDED.value, ended_at=now)
                )
        return SweepCreated(sweep_id=sweep_id, queued=queued, done=done, in_flight=in_flight)

    def new_attempt(self, run_id: str) -> str:
        """A queued retry of a finished job run: same sweep, key and params, attempt + 1."""
        prev = self.get_run(run_id, history=False)
        with write_connection(self.engine) as conn, conn.begin():
            row = conn.execute(
                select(
                    RunRow.sweep_id,
                    RunRow.job_key,
                    RunRow.attempt,
                    RunRow.experiment_id,
                    RunRow.status,
                ).where(RunRow.run_id == run_id)
            ).one()
            # Checked in the write transaction: two retries of one job (a click racing the
            # runner's own retry) never both queue an attempt.
            later = conn.execute(
                select(RunRow.run_id).where(
                    RunRow.sweep_id == row.sweep_id,
                    RunRow.job_key == row.job_key,
                    RunRow.attempt > row.attempt,
                )
            ).first()
            if row.status in ACTIVE or later is not None:
                raise Conflict(
                    f"run {run_id[:8]} is not the finished latest attempt of its job: it "
                    "was retried already, or is still queued or running"
                )
            now = time.time()
            new_id = self._insert_job(
                conn,
                row.sweep_id,
                row.experiment_id,
                prev.notebook or "",
                prev.notebook_sha256 or "",
                prev.params,
                row.job_key,
                attempt=row.attempt + 1,
                now=now,
            )
            # The retry answers for the job now (if its claim was still this run's).
            conn.execute(
                update(JobClaimRow)
                .where(JobClaimRow.job_key == row.job_key, JobClaimRow.run_id == run_id)
                .values(run_id=new_id, claimed_at=now)
            )
            return new_id

    @staticmethod
    def _insert_job(
        conn: Connection,
        sweep_id: str,
        exp_id: int,
        notebook: str,
        sha: str,
        params: dict[str, Any],
        key: str,
        *,
        attempt: int,
        now: float,
    ) -> str:
        run_id = uuid.uuid4().hex
        conn.execute(
            table_of(RunRow)
            .insert()
            .values(
                run_id=run_id,
                experiment_id=exp_id,
                notebook=notebook,
                notebook_sha256=sha,
                source=RunSource.JOB.value,
                status=RunStatus.QUEUED.value,
                started_at=now,
                heartbeat_at=now,
                provenance="{}",
                sweep_id=sweep_id,
                job_key=key,
                attempt=attempt,
            )
        )
        write_params(conn, run_id, params)
        return run_id

    def claimed(self, keys: list[str]) -> dict[str, RunStatus]:
        """The status of the run that answers for each claimed job key (read only: what
        ``create_sweep`` would skip, for a preview)."""
        with self.engine.connect() as conn:
            return {key: RunStatus(status) for key, (_, status) in claims(conn, keys).items()}

    def job_runs(self, sweep_id: str) -> list[JobRun]:
        """Every attempt of every job of the sweep, in creation order."""
        with self.engine.connect() as conn:
            return [
                JobRun(
                    run_id=r.run_id,
                    job_key=r.job_key,
                    attempt=r.attempt,
                    status=RunStatus(r.status),
                    started_at=r.started_at,
                    heartbeat_at=r.heartbeat_at,
                )
                for r in conn.execute(
                    select(
                        RunRow.run_id,
                        RunRow.job_key,
                        RunRow.attempt,
                        RunRow.status,
                        RunRow.started_at,
                        RunRow.heartbeat_at,
                    )
                    .where(RunRow.sweep_id == sweep_id)
                    .order_by(RunRow.started_at, RunRow.attempt)
                )
            ]

    def job_info(self, run_id: str) -> JobInfo:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    RunRow.sweep_id,
                    RunRow.job_key,
                    RunRow.attempt,
                    RunRow.status,
                    RunRow.cancel_requested_at,
                    SweepRow.cancel_requested_at.label("sc"),
                )
                .outerjoin(SweepRow, RunRow.sweep_id == SweepRow.sweep_id)
                .where(RunRow.run_id == run_id)
            ).first()
        if row is None:
            raise NotFound(f"no run with id {run_id!r}")
        return JobInfo(
            sweep_id=row.sweep_id,
            job_key=row.job_key,
            attempt=row.attempt,
            status=RunStatus(row.status),
            cancel_requested=bool(row.cancel_requested_at or row.sc),
        )

    def get_sweep(self, sweep_id: str) -> Sweep:
        sweeps = self.list_sweeps(sweep_ids=[sweep_id])
        if not sweeps:
            raise NotFound(f"no sweep with id {sweep_id!r}: list sweeps with `workbench sweeps`")
        return sweeps[0]

    def list_sweeps(
        self, *, limit: int | None = None, sweep_ids: list[str] | None = None
    ) -> list[Sweep]:
        q = (
            select(SweepRow, ExperimentRow.name.label("experiment_name"))
            .join(ExperimentRow, SweepRow.experiment_id == ExperimentRow.experiment_id)
            .order_by(SweepRow.created_at.desc())
        )
        if sweep_ids is not None:
            q = q.where(SweepRow.sweep_id.in_(sweep_ids))
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
            sweeps = {
                r.sweep_id: Sweep(
                    sweep_id=r.sweep_id,
                    notebook=r.notebook,
                    notebook_sha256=r.notebook_sha256,
                    experiment=r.experiment_name,
                    spec=json.loads(r.spec),
                    options=SweepOptions.from_json(json.loads(r.options)),
                    status=RunStatus(r.status),
                    created_at=r.created_at,
                    ended_at=r.ended_at,
                    heartbeat_at=r.heartbeat_at,
                    runner=r.runner,
                    cancel_requested=r.cancel_requested_at is not None,
                )
                for r in rows
            }
            if sweeps:
                # The latest attempt of each job decides its status.
                latest = (
                    select(RunRow.sweep_id, RunRow.job_key, func.max(RunRow.attempt).label("a"))
                    .where(RunRow.sweep_id.in_(list(sweeps)))
                    .group_by(RunRow.sweep_id, RunRow.job_key)
                    .subquery()
                )
                counts = conn.execute(
                    select(RunRow.sweep_id, RunRow.status, func.count())
                    .join(
                        latest,
                        and_(
                            RunRow.sweep_id == latest.c.sweep_id,
                            RunRow.job_key == latest.c.job_key,
                            RunRow.attempt == latest.c.a,
                        ),
                    )
                    .group_by(RunRow.sweep_id, RunRow.status)
                )
                for sid, status, n in counts:
                    sweeps[sid].counts[status] = n
        return list(sweeps.values())

    def mark_lost(
        self,
        stale_after: float,
        *,
        sweep_id: str | None = None,
        reason: str = "its heartbeat stopped: the process running it died or was cut off "
        "from the store",
    ) -> int:
        """Runs queued or running whose heartbeat stopped become lost; their sweeps too.

        With ``sweep_id``, only that sweep's running jobs are judged (and the sweep itself).
        """
        cutoff = time.time() - stale_after
        now = time.time()
        with write_connection(self.engine) as conn, conn.begin():
            stale_runs = and_(
                RunRow.status.in_(ACTIVE),
                or_(RunRow.heartbeat_at.is_(None), RunRow.heartbeat_at < cutoff),
            )
            if sweep_id is not None:
                # Asked by the sweep's own coordinator: its queued jobs are waiting on it.
                stale_runs = and_(
                    stale_runs,
                    RunRow.sweep_id == sweep_id,
                    RunRow.status == RunStatus.RUNNING.value,
                )
            else:
                # Queued jobs wait on their sweep's runner: judge them by its heartbeat.
                live_sweeps = select(SweepRow.sweep_id).where(SweepRow.heartbeat_at >= cutoff)
                stale_runs = and_(
                    stale_runs,
                    or_(
                        RunRow.sweep_id.is_(None),
                        RunRow.sweep_id.not_in(live_sweeps),
                        RunRow.status == RunStatus.RUNNING.value,
                    ),
                )
            n = conn.execute(
                update(RunRow)
                .where(stale_runs)
                .values(
                    status=RunStatus.LOST.value,
                    ended_at=now,
                    error_name="Lost",
                    error_reason=reason,
                )
            ).rowcount
            sweep_cond = and_(
                SweepRow.status == RunStatus.RUNNING.value,
                or_(SweepRow.heartbeat_at.is_(None), SweepRow.heartbeat_at < cutoff),
            )
            if sweep_id is not None:
                sweep_cond = and_(sweep_cond, SweepRow.sweep_id == sweep_id)
            conn.execute(
                update(SweepRow).where(sweep_cond).values(status=RunStatus.LOST.value, ended_at=now)
            )
        return n
