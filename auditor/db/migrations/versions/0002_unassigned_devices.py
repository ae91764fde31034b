"""A discovered device may belong to no unit yet; devices remember when their uptime was read and
which SNMP credential answered (a fingerprint, never the secret); the interfaces of devices that
carry links.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.alter_column("unit_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("uptime_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("snmp_credential", sa.String(length=64), nullable=True))
    op.create_table(
        "interface",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("if_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("descr", sa.String(length=255), nullable=True),
        sa.Column("alias", sa.String(length=255), nullable=True),
        sa.Column("if_type", sa.Integer(), nullable=True),
        sa.Column("speed_mbps", sa.Float(), nullable=True),
        sa.Column("admin_up", sa.Boolean(), nullable=True),
        sa.Column("oper_up", sa.Boolean(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_interface_device_id_device"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interface")),
        sa.UniqueConstraint("device_id", "if_index", name=op.f("uq_interface_device_id_if_index")),
    )


def downgrade() -> None:
    op.drop_table("interface")
    # Devices nobody assigned to a unit cannot stay: drop them (and their polls) before the column closes.
    op.execute("DELETE FROM device WHERE unit_id IS NULL")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_column("snmp_credential")
        batch_op.drop_column("uptime_at")
        batch_op.alter_column("unit_id", existing_type=sa.Integer(), nullable=False)
