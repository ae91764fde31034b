"""Link hours: each link's samples of an hour packed in one array, for the congestion judgement.

The table starts empty with its mark at 0: the first sampler or judgement after the upgrade folds
the samples already stored (db.samples.fold_hours), so an upgrade costs no time here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_hour",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["link.id"], name=op.f("fk_link_hour_link_id_link"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_hour")),
        sa.UniqueConstraint("link_id", "hour", name=op.f("uq_link_hour_link_id_hour")),
    )
    op.create_table(
        "link_hour_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folded_to", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_hour_mark")),
    )


def downgrade() -> None:
    op.drop_table("link_hour_mark")
    op.drop_table("link_hour")
