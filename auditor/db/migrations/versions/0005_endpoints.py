"""Endpoints seen through the network (ARP, forwarding tables, LLDP/CDP, NetBIOS), where each was
seen, the links between network devices, and which tables saw a device in each poll.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _big_id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def upgrade() -> None:
    # A plain ADD COLUMN (nullable, no default): SQLite alters in place, no table copy.
    op.add_column("device_poll", sa.Column("seen_via", sa.String(length=64), nullable=True))
    op.add_column("unit", sa.Column("subnets", sa.Text(), nullable=True))
    op.add_column("device", sa.Column("seen_via", sa.String(length=64), nullable=True))
    op.create_table(
        "endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(length=17), nullable=False),
        sa.Column("mac_kind", sa.String(length=8), nullable=False),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("netbios_name", sa.String(length=64), nullable=True),
        sa.Column("netbios_group", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=16), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("seen_on_id", sa.Integer(), nullable=True),
        sa.Column("port", sa.String(length=64), nullable=True),
        sa.Column("vlan", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_endpoint_device_id_device"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["seen_on_id"], ["device.id"], name=op.f("fk_endpoint_seen_on_id_device"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_endpoint_unit_id_unit"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint")),
        sa.UniqueConstraint("mac", name=op.f("uq_endpoint_mac")),
    )
    op.create_index(op.f("ix_endpoint_device_id"), "endpoint", ["device_id"], unique=False)
    op.create_index(op.f("ix_endpoint_unit_id"), "endpoint", ["unit_id"], unique=False)
    op.create_index(op.f("ix_endpoint_ip"), "endpoint", ["ip"], unique=False)
    op.create_table(
        "endpoint_sighting",
        _big_id(),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("seen_on_id", sa.Integer(), nullable=True),
        sa.Column("port", sa.String(length=64), nullable=True),
        sa.Column("vlan", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["endpoint.id"], name=op.f("fk_endpoint_sighting_endpoint_id_endpoint"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["seen_on_id"], ["device.id"], name=op.f("fk_endpoint_sighting_seen_on_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_endpoint_sighting_run_id_run"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint_sighting")),
    )
    op.create_index(
        op.f("ix_endpoint_sighting_endpoint_id_last_seen"),
        "endpoint_sighting",
        ["endpoint_id", "last_seen"],
        unique=False,
    )
    op.create_index(op.f("ix_endpoint_sighting_seen_on_id"), "endpoint_sighting", ["seen_on_id"], unique=False)
    op.create_table(
        "neighbour_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("if_index", sa.Integer(), nullable=True),
        sa.Column("local_port", sa.String(length=64), nullable=True),
        sa.Column("remote_name", sa.String(length=255), nullable=True),
        sa.Column("remote_port", sa.String(length=255), nullable=True),
        sa.Column("remote_chassis", sa.String(length=255), nullable=True),
        sa.Column("remote_address", sa.String(length=45), nullable=True),
        sa.Column("remote_platform", sa.Text(), nullable=True),
        sa.Column("remote_device_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_neighbour_link_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["remote_device_id"],
            ["device.id"],
            name=op.f("fk_neighbour_link_remote_device_id_device"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_neighbour_link")),
    )
    op.create_index(op.f("ix_neighbour_link_device_id"), "neighbour_link", ["device_id"], unique=False)
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endpoint_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_finding_endpoint_id_endpoint"), "endpoint", ["endpoint_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_finding_endpoint_id"), ["endpoint_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_endpoint_id"))
        batch_op.drop_constraint(batch_op.f("fk_finding_endpoint_id_endpoint"), type_="foreignkey")
        batch_op.drop_column("endpoint_id")
    op.drop_index(op.f("ix_neighbour_link_device_id"), table_name="neighbour_link")
    op.drop_table("neighbour_link")
    op.drop_index(op.f("ix_endpoint_sighting_seen_on_id"), table_name="endpoint_sighting")
    op.drop_index(op.f("ix_endpoint_sighting_endpoint_id_last_seen"), table_name="endpoint_sighting")
    op.drop_table("endpoint_sighting")
    op.drop_index(op.f("ix_endpoint_ip"), table_name="endpoint")
    op.drop_index(op.f("ix_endpoint_unit_id"), table_name="endpoint")
    op.drop_index(op.f("ix_endpoint_device_id"), table_name="endpoint")
    op.drop_table("endpoint")
    with op.batch_alter_table("device_poll", schema=None) as batch_op:
        batch_op.drop_column("seen_via")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("subnets")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_column("seen_via")
