"""The register's identities held unique by the database (the asset tag; the serial within its
vendor), and the history of every change to a device's register record.

Devices stored twice before this revision (two imports at once could do that) keep their rows:
the first of each keeps the key, the others are left without one, so the upgrade never fails on
old data and `auditor devices list --serial …` still shows them all.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from auditor.domain import serial_key, tag_key

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tag_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("serial_key", sa.String(length=320), nullable=True))
    device = sa.table(
        "device",
        sa.column("id", sa.Integer),
        sa.column("vendor", sa.String),
        sa.column("serial", sa.String),
        sa.column("asset_tag", sa.String),
        sa.column("tag_key", sa.String),
        sa.column("serial_key", sa.String),
    )
    bind = op.get_bind()
    taken: set[tuple[str, str]] = set()
    rows = bind.execute(
        sa.select(device.c.id, device.c.vendor, device.c.serial, device.c.asset_tag)
        .where(sa.or_(device.c.serial.is_not(None), device.c.asset_tag.is_not(None)))
        .order_by(device.c.id)
    ).all()
    for row in rows:
        found = {"tag_key": tag_key(row.asset_tag), "serial_key": serial_key(row.vendor, row.serial)}
        keys = {name: key for name, key in found.items() if key is not None and (name, key) not in taken}
        taken.update(keys.items())
        if keys:
            bind.execute(sa.update(device).where(device.c.id == row.id).values(**keys))
    # Unique indexes, not constraints: SQLite adds an index in place, where a constraint would copy
    # the device table (and dropping the old copy would cascade into its polls).
    op.create_index(op.f("ix_device_tag_key"), "device", ["tag_key"], unique=True)
    op.create_index(op.f("ix_device_serial_key"), "device", ["serial_key"], unique=True)
    op.create_table(
        "device_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_change_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_device_change_run_id_run"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_change")),
    )
    op.create_index(
        op.f("ix_device_change_device_id_changed_at"), "device_change", ["device_id", "changed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_device_change_device_id_changed_at"), table_name="device_change")
    op.drop_table("device_change")
    op.drop_index(op.f("ix_device_serial_key"), table_name="device")
    op.drop_index(op.f("ix_device_tag_key"), table_name="device")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_column("serial_key")
        batch_op.drop_column("tag_key")
