"""job claims (one run per job key under concurrency) and deleted runs (a state, not a loss)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 04:20:00.000000

``job_claims`` holds, for each job key, the run that answers for it: a second sweep that
plans the same job finds the claim in the same write transaction and skips the job (unless
forced). Existing stores are back-filled: a key's claim goes to its succeeded run if it has
one, else to its queued or running one, else to its latest attempt.

``runs.deleted_at`` marks a deleted run: it leaves listings and can be restored until
`workbench gc` removes it after the retention.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

runs = sa.table(
    "runs",
    sa.column("run_id", sa.String),
    sa.column("job_key", sa.String),
    sa.column("status", sa.String),
    sa.column("started_at", sa.Float),
    sa.column("attempt", sa.Integer),
)
claims = sa.table(
    "job_claims",
    sa.column("job_key", sa.String),
    sa.column("run_id", sa.String),
    sa.column("claimed_at", sa.Float),
)

_RANK = {"succeeded": 0, "running": 1, "queued": 1}


def upgrade() -> None:
    op.create_table(
        "job_claims",
        sa.Column("job_key", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("claimed_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_key"),
    )
    with op.batch_alter_table("job_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_claims_run_id"), ["run_id"], unique=False)
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_deleted_at"), ["deleted_at"], unique=False)

    conn = op.get_bind()
    best: dict[str, tuple[tuple[int, float, int], str, float]] = {}
    rows = conn.execute(
        sa.select(
            runs.c.run_id, runs.c.job_key, runs.c.status, runs.c.started_at, runs.c.attempt
        ).where(runs.c.job_key.is_not(None))
    )
    for run_id, key, status, started, attempt in rows:
        rank = (_RANK.get(status, 2), -(started or 0.0), -(attempt or 1))
        if key not in best or rank < best[key][0]:
            best[key] = (rank, run_id, started or 0.0)
    if best:
        conn.execute(
            claims.insert(),
            [{"job_key": k, "run_id": r, "claimed_at": t} for k, (_, r, t) in best.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_deleted_at"))
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("job_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_claims_run_id"))
    op.drop_table("job_claims")
