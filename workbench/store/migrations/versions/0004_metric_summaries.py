"""metric summaries: min, max and point count per (run, key), and the query index

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 04:10:00.000000

Existing stores are back-filled in place from their metric histories: the summary of a
(run, key) is computed from every point it has, and a (run, key) with points but no summary
row (written outside the store) gets one, its last point chosen as the store chooses it
(highest step, then latest timestamp, then last written).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

metrics = sa.table(
    "metrics",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.String),
    sa.column("key", sa.String),
    sa.column("step", sa.BigInteger),
    sa.column("value", sa.Float),
    sa.column("timestamp", sa.Float),
)
latest = sa.table(
    "latest_metrics",
    sa.column("run_id", sa.String),
    sa.column("key", sa.String),
    sa.column("step", sa.BigInteger),
    sa.column("value", sa.Float),
    sa.column("timestamp", sa.Float),
    sa.column("min_value", sa.Float),
    sa.column("max_value", sa.Float),
    sa.column("point_count", sa.BigInteger),
)


def _of_this_key(table: sa.TableClause) -> sa.ColumnElement[bool]:
    return sa.and_(metrics.c.run_id == table.c.run_id, metrics.c.key == table.c.key)


def upgrade() -> None:
    with op.batch_alter_table("latest_metrics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("max_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("point_count", sa.BigInteger(), nullable=True))

    # Summary rows missing for a history: its last point first, the summaries below.
    pairs = sa.select(metrics.c.run_id, metrics.c.key).distinct().subquery()
    last = (
        sa.select(metrics.c.id)
        .where(metrics.c.run_id == pairs.c.run_id, metrics.c.key == pairs.c.key)
        .order_by(metrics.c.step.desc(), metrics.c.timestamp.desc(), metrics.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    missing = ~sa.exists().where(latest.c.run_id == pairs.c.run_id, latest.c.key == pairs.c.key)
    chosen = sa.select(pairs.c.run_id, pairs.c.key, last.label("id")).where(missing).subquery()
    op.execute(
        latest.insert().from_select(
            ["run_id", "key", "step", "value", "timestamp"],
            sa.select(
                metrics.c.run_id,
                metrics.c.key,
                metrics.c.step,
                metrics.c.value,
                metrics.c.timestamp,
            ).join(chosen, metrics.c.id == chosen.c.id),
        )
    )

    def aggregate(fn: sa.sql.functions.Function) -> sa.ScalarSelect:
        return sa.select(fn).where(_of_this_key(latest)).scalar_subquery()

    op.execute(
        latest.update().values(
            min_value=aggregate(sa.func.min(metrics.c.value)),
            max_value=aggregate(sa.func.max(metrics.c.value)),
            point_count=aggregate(sa.func.count()),
        )
    )
    # A summary without any history left (none is written so, but be safe): its own point.
    op.execute(
        latest.update()
        .where(latest.c.point_count == 0)
        .values(min_value=latest.c.value, max_value=latest.c.value, point_count=1)
    )

    with op.batch_alter_table("latest_metrics", schema=None) as batch_op:
        batch_op.alter_column("min_value", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("max_value", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("point_count", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index("ix_latest_metrics_key_value", ["key", "value"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("latest_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_latest_metrics_key_value")
        batch_op.drop_column("point_count")
        batch_op.drop_column("max_value")
        batch_op.drop_column("min_value")
