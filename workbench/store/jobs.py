"""The life of a running sweep in the store: workers start queued runs; the coordinator
claims the sweep, beats its heartbeat, finishes, cancels and ends it; anyone may ask for a
cancel. Mixed into Store beside SweepStore (which creates and reads sweeps)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select, update

from workbench.entities import RunError, RunStatus
from workbench.errors import NotFound
from workbench.store.base import StoreBase
from workbench.store.engine import write_connection
from workbench.store.rows import ids_matching
from workbench.store.schema import RunRow, SweepRow
from workbench.store.sweeps import ACTIVE


class JobStore(StoreBase):
    def start_queued_run(self, run_id: str, provenance: dict[str, Any]) -> bool:
        """queued -> running, with the provenance captured by the worker now. False if the
        run is not queued any more (cancelled, or started elsewhere): then do not run it."""
        now = time.time()
        queued = and_(RunRow.run_id == run_id, RunRow.status == RunStatus.QUEUED.value)
        with write_connection(self.engine) as conn, conn.begin():
            current = conn.execute(select(RunRow.provenance).where(queued)).first()
            if current is None:
                return False
            merged = {**json.loads(current.provenance or "{}"), **provenance}
            return bool(
                conn.execute(
                    update(RunRow)
                    .where(queued)  # PostgreSQL re-checks it under the row lock
                    .values(
                        status=RunStatus.RUNNING.value,
                        started_at=now,
                        heartbeat_at=now,
                        provenance=json.dumps(merged, default=str),
                    )
                ).rowcount
            )

    def finish_if_active(
        self, run_id: str, status: RunStatus, error: RunError | None = None
    ) -> bool:
        """Set a final status only if the run is still queued or running (never overwrite
        what a worker recorded); True if it was."""
        values = _final_values(status, error)
        with write_connection(self.engine) as conn, conn.begin():
            return bool(
                conn.execute(
                    update(RunRow)
                    .where(RunRow.run_id == run_id, RunRow.status.in_(ACTIVE))
                    .values(**values)
                ).rowcount
            )

    def cancel_active(self, sweep_id: str, reason: str) -> int:
        """Every queued or running job of the sweep becomes cancelled (no runner to ask)."""
        values = _final_values(RunStatus.CANCELLED, RunError(name="Cancelled", reason=reason))
        with write_connection(self.engine) as conn, conn.begin():
            return conn.execute(
                update(RunRow)
                .where(RunRow.sweep_id == sweep_id, RunRow.status.in_(ACTIVE))
                .values(**values)
            ).rowcount

    def fail_queued(self, sweep_id: str, reason: str) -> int:
        values = _final_values(RunStatus.FAILED, RunError(name="SweepFailed", reason=reason))
        with write_connection(self.engine) as conn, conn.begin():
            return conn.execute(
                update(RunRow)
                .where(RunRow.sweep_id == sweep_id, RunRow.status == RunStatus.QUEUED.value)
                .values(**values)
            ).rowcount

    def claim_sweep(
        self,
        sweep_id: str,
        runner: str,
        *,
        seen_runner: str | None,
        seen_heartbeat: float | None,
        restart: bool,
    ) -> bool:
        """Become the sweep's runner if nobody changed it since it was read (compare and
        set, so two `resume` at once cannot both win). ``restart`` (the sweep had ended)
        also clears an old cancel request."""
        values: dict[str, Any] = {
            "runner": runner,
            "heartbeat_at": time.time(),
            "status": RunStatus.RUNNING.value,
            "ended_at": None,
        }
        if restart:
            values["cancel_requested_at"] = None
        same_runner = (
            SweepRow.runner.is_(None) if seen_runner is None else SweepRow.runner == seen_runner
        )
        same_beat = (
            SweepRow.heartbeat_at.is_(None)
            if seen_heartbeat is None
            else SweepRow.heartbeat_at == seen_heartbeat
        )
        with write_connection(self.engine) as conn, conn.begin():
            return bool(
                conn.execute(
                    update(SweepRow)
                    .where(SweepRow.sweep_id == sweep_id, same_runner, same_beat)
                    .values(**values)
                ).rowcount
            )

    def sweep_cancel_requested(self, sweep_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(SweepRow.cancel_requested_at).where(SweepRow.sweep_id == sweep_id)
            ).first()
        if found is None:
            raise NotFound(f"no sweep with id {sweep_id!r}")
        return found.cancel_requested_at is not None

    def sweep_job_times(
        self, sweep_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, float, float | None]]]:
        """``(status, started_at, duration_s)`` of every attempt of each sweep's jobs (deleted
        runs left out), what an ETA is computed from: the sweeps' rows in one query."""
        times: dict[str, list[tuple[str, float, float | None]]] = {s: [] for s in sweep_ids}
        if not times:
            return times
        duration = RunRow.ended_at - RunRow.started_at
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(RunRow.sweep_id, RunRow.status, RunRow.started_at, duration).where(
                    RunRow.sweep_id.in_(list(times)), RunRow.deleted_at.is_(None)
                )
            )
            for sweep_id, status, started_at, duration_s in rows:
                assert sweep_id is not None  # typed optional; the IN above says it is one
                times[sweep_id].append((status, started_at, duration_s))
        return times

    def find_sweep_ids(self, text: str, limit: int = 10) -> list[str]:
        """Sweep ids equal to ``text`` (first) or starting with it (see ``ids_matching``)."""
        with self.engine.connect() as conn:
            return ids_matching(conn, SweepRow.sweep_id, text, limit)

    def set_sweep_status(self, sweep_id: str, status: RunStatus) -> None:
        self._set_sweep_status(sweep_id, status, unless_queued=False)

    def finish_sweep(self, sweep_id: str, status: RunStatus) -> bool:
        """Set the final status of a sweep its runner is ending. A success is refused (False)
        while one of its jobs is queued (a retry queued as the runner was ending): the
        runner goes on with it, and the sweep never shows as succeeded in between."""
        status = RunStatus(status)
        return self._set_sweep_status(sweep_id, status, unless_queued=status is RunStatus.SUCCEEDED)

    def _set_sweep_status(self, sweep_id: str, status: RunStatus, *, unless_queued: bool) -> bool:
        values: dict[str, Any] = {"status": RunStatus(status).value, "heartbeat_at": time.time()}
        if RunStatus(status).finished:
            values["ended_at"] = time.time()
        where = [SweepRow.sweep_id == sweep_id]
        if unless_queued:
            queued = select(RunRow.run_id).where(
                RunRow.sweep_id == sweep_id, RunRow.status == RunStatus.QUEUED.value
            )
            where.append(~queued.exists())
        with write_connection(self.engine) as conn, conn.begin():
            if conn.execute(update(SweepRow).where(*where).values(**values)).rowcount:
                return True
            # refused for a queued job, unless there is no such sweep (deleted meanwhile)
            if unless_queued and not conn.execute(select(SweepRow).where(where[0])).first():
                raise NotFound(f"no sweep with id {sweep_id!r}")
            return False

    def sweep_heartbeat(self, sweep_id: str, runner: str | None = None) -> None:
        values: dict[str, Any] = {"heartbeat_at": time.time()}
        if runner is not None:
            values["runner"] = runner
        with write_connection(self.engine) as conn, conn.begin():
            conn.execute(update(SweepRow).where(SweepRow.sweep_id == sweep_id).values(**values))

    def request_cancel(self, *, sweep_id: str | None = None, run_id: str | None = None) -> None:
        now = time.time()
        with write_connection(self.engine) as conn, conn.begin():
            if sweep_id is not None:
                found = conn.execute(
                    update(SweepRow)
                    .where(SweepRow.sweep_id == sweep_id)
                    .values(cancel_requested_at=now)
                ).rowcount
                if not found:
                    raise NotFound(f"no sweep with id {sweep_id!r}")
            if run_id is not None:
                found = conn.execute(
                    update(RunRow).where(RunRow.run_id == run_id).values(cancel_requested_at=now)
                ).rowcount
                if not found:
                    raise NotFound(f"no run with id {run_id!r}")

    def cancel_queued(self, sweep_id: str) -> int:
        with write_connection(self.engine) as conn, conn.begin():
            return conn.execute(
                update(RunRow)
                .where(RunRow.sweep_id == sweep_id, RunRow.status == RunStatus.QUEUED.value)
                .values(status=RunStatus.CANCELLED.value, ended_at=time.time())
            ).rowcount


def _final_values(status: RunStatus, error: RunError | None) -> dict[str, Any]:
    now = time.time()
    values: dict[str, Any] = {
        "status": RunStatus(status).value,
        "ended_at": now,
        "heartbeat_at": now,
    }
    if error is not None:
        values.update(
            error_name=error.name,
            error_value=error.value,
            error_cell_index=error.cell_index,
            error_reason=error.reason,
        )
    return values
