"""Job claims: the run that answers for each job key, so that a job is never queued twice.

``SweepStore.create_sweep`` reads the claims of its keys and writes new ones in its write
transaction. SQLite serializes writers; on PostgreSQL a racing twin hits the claim's primary
key (an insert) or finds the claim moved (a compare-and-set update), and the transaction is
tried again, then sees the winner's claim.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from workbench.store.schema import JobClaimRow, RunRow, table_of

CLAIM_TRIES = 5


@dataclass(frozen=True)
class SweepCreated:
    """What ``create_sweep`` stored: the sweep, and its jobs by what became of them."""

    sweep_id: str
    queued: int  # runs queued in this sweep
    done: int  # already succeeded (claimed by a succeeded run): skipped
    in_flight: int  # queued or running elsewhere (another sweep holds the claim): skipped


class ClaimTaken(Exception):
    """Another transaction moved a claim between our read and our write: try again."""


def claims(conn: Connection, keys: list[str]) -> dict[str, tuple[str, str]]:
    """The current claim of each key: key -> (run_id, that run's status)."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(keys), 500):
        rows = conn.execute(
            select(JobClaimRow.job_key, JobClaimRow.run_id, RunRow.status)
            .join(RunRow, RunRow.run_id == JobClaimRow.run_id)
            .where(JobClaimRow.job_key.in_(keys[start : start + 500]))
        )
        found.update({key: (run_id, status) for key, run_id, status in rows})
    return found


def claim(conn: Connection, key: str, run_id: str, previous: str | None, now: float) -> None:
    """Point the key's claim at ``run_id``: insert it (the primary key refuses a racing
    twin) or move it from ``previous`` (compare-and-set: 0 rows means someone else did)."""
    if previous is None:
        conn.execute(
            table_of(JobClaimRow).insert().values(job_key=key, run_id=run_id, claimed_at=now)
        )
        return
    moved = conn.execute(
        update(JobClaimRow)
        .where(JobClaimRow.job_key == key, JobClaimRow.run_id == previous)
        .values(run_id=run_id, claimed_at=now)
    ).rowcount
    if moved != 1:
        raise ClaimTaken(key)
