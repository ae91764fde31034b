"""Several agents, one database: the agents with their heartbeats, and work leases on devices and
links (when each is next due, which agent holds it and until when).  Link samples say when their
interval began, so the congestion window is a comparison the database can make, and how many
samples a rolled-up (hourly) row stands for.  Runs say which process ran them, so one whose
process died can be told from one still under way.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMED = ("device", "link")


def upgrade() -> None:
    op.create_table(
        "agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("poller_group", sa.String(length=64), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("lease_s", sa.Float(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("cycle_tick", sa.DateTime(), nullable=True),
        sa.Column("cycle_done_at", sa.DateTime(), nullable=True),
        sa.Column("devices_done", sa.Integer(), nullable=False),
        sa.Column("links_done", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent")),
        sa.UniqueConstraint("name", name=op.f("uq_agent_name")),
    )
    for table in CLAIMED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("lease_expires", sa.DateTime(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_due_at"), ["due_at"], unique=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_lease_owner"), ["lease_owner"], unique=False)
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_run_outcome"), ["outcome"], unique=False)
    with op.batch_alter_table("link_sample", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("samples", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE link_sample SET started_at = sampled_at - interval_s * interval '1 second' "
            "WHERE interval_s IS NOT NULL"
        )
    else:  # SQLite keeps timestamps as text, 'YYYY-MM-DD HH:MM:SS.ffffff'
        op.execute(
            "UPDATE link_sample SET started_at = "
            "strftime('%Y-%m-%d %H:%M:%f', sampled_at, printf('%+.3f seconds', -interval_s)) || '000' "
            "WHERE interval_s IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_outcome"))
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
    with op.batch_alter_table("link_sample", schema=None) as batch_op:
        batch_op.drop_column("samples")
        batch_op.drop_column("started_at")
    for table in CLAIMED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_lease_owner"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_due_at"))
            batch_op.drop_column("lease_expires")
            batch_op.drop_column("lease_owner")
            batch_op.drop_column("due_at")
    op.drop_table("agent")
