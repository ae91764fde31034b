"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:03:28.727670
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("import", "scan", "poll", "links", "audit", "export", name="runkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("running", "ok", "partial", "failed", name="runoutcome", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("agent", sa.String(length=255), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_kind_started_at"), ["kind", "started_at"], unique=False)

    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "party_board",
                "fatherland_front",
                "socio_political",
                "commune_committee",
                "ward_committee",
                "other",
                name="unitkind",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("staff_count", sa.Integer(), nullable=True),
        sa.Column("poller_group", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_poller_group"), ["poller_group"], unique=False)

    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("mac", sa.String(length=17), nullable=True),
        sa.Column(
            "category",
            sa.Enum(
                "desktop",
                "laptop",
                "printer",
                "scanner",
                "shredder",
                "copier",
                "phone",
                "switch",
                "router",
                "firewall",
                "access_point",
                "ups",
                "vc_endpoint",
                "server",
                "nas",
                "camera",
                "projector",
                "other",
                name="category",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("serial", sa.String(length=255), nullable=True),
        sa.Column("asset_tag", sa.String(length=255), nullable=True),
        sa.Column("firmware", sa.String(length=255), nullable=True),
        sa.Column("os_version", sa.String(length=255), nullable=True),
        sa.Column("sys_descr", sa.Text(), nullable=True),
        sa.Column("sys_object_id", sa.String(length=255), nullable=True),
        sa.Column("manufactured_on", sa.Date(), nullable=True),
        sa.Column("in_service_on", sa.Date(), nullable=True),
        sa.Column("in_service_precision", sa.String(length=8), nullable=True),
        sa.Column(
            "condition",
            sa.Enum("good", "degraded", "broken", "unknown", name="condition", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "spare", "retired", name="devicestatus", native_enum=False, length=32),
            server_default="active",
            nullable=False,
        ),
        sa.Column("registered", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("reachable", sa.Boolean(), nullable=True),
        sa.Column("rtt_ms", sa.Float(), nullable=True),
        sa.Column("uptime_s", sa.BigInteger(), nullable=True),
        sa.Column(
            "snmp_version", sa.Enum("1", "2c", "3", name="snmpversion", native_enum=False, length=4), nullable=True
        ),
        sa.Column("snmp_port", sa.Integer(), nullable=True),
        sa.Column("snmp_community", sa.String(length=255), nullable=True),
        sa.Column("snmp_profile", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_device_unit_id_unit"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_asset_tag"), ["asset_tag"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_ip"), ["ip"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_serial"), ["serial"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_unit_id_hostname"), ["unit_id", "hostname"], unique=False)

    op.create_table(
        "device_poll",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("polled_at", sa.DateTime(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("rtt_ms", sa.Float(), nullable=True),
        sa.Column("snmp_ok", sa.Boolean(), nullable=True),
        sa.Column("uptime_s", sa.BigInteger(), nullable=True),
        sa.Column("rebooted", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_poll_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_device_poll_run_id_run"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_poll")),
    )
    with op.batch_alter_table("device_poll", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_poll_device_id_polled_at"), ["device_id", "polled_at"], unique=False
        )

    op.create_table(
        "link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=True),
        sa.Column("circuit_id", sa.String(length=255), nullable=True),
        sa.Column("capacity_down_mbps", sa.Float(), nullable=False),
        sa.Column("capacity_up_mbps", sa.Float(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("device_ref", sa.String(length=255), nullable=True),
        sa.Column("interface", sa.String(length=255), nullable=True),
        sa.Column("if_index", sa.Integer(), nullable=True),
        sa.Column("far_end_ip", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_link_device_id_device"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_link_unit_id_unit"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link")),
        sa.UniqueConstraint("unit_id", "name", name=op.f("uq_link_unit_id_name")),
    )
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "over_age",
                "unknown_age",
                "unreachable",
                "frequent_reboots",
                "unregistered",
                "missing",
                "link_congested",
                "link_warning",
                "link_insufficient_data",
                name="findingkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum("info", "warning", "critical", name="severity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("first_detected", sa.DateTime(), nullable=False),
        sa.Column("last_detected", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_finding_device_id_device"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["link_id"], ["link.id"], name=op.f("fk_finding_link_id_link"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_finding_unit_id_unit"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
    )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_device_id_kind"), ["device_id", "kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_kind_resolved_at"), ["kind", "resolved_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_finding_link_id_kind"), ["link_id", "kind"], unique=False)

    op.create_table(
        "link_sample",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("sampled_at", sa.DateTime(), nullable=False),
        sa.Column("if_index", sa.Integer(), nullable=True),
        sa.Column("counter_bits", sa.Integer(), nullable=True),
        sa.Column("in_octets", sa.BigInteger(), nullable=True),
        sa.Column("out_octets", sa.BigInteger(), nullable=True),
        sa.Column("uptime_s", sa.BigInteger(), nullable=True),
        sa.Column("interval_s", sa.Float(), nullable=True),
        sa.Column("in_bps", sa.Float(), nullable=True),
        sa.Column("out_bps", sa.Float(), nullable=True),
        sa.Column("unknown_reason", sa.String(length=64), nullable=True),
        sa.Column("rtt_avg_ms", sa.Float(), nullable=True),
        sa.Column("rtt_max_ms", sa.Float(), nullable=True),
        sa.Column("loss_pct", sa.Float(), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["link.id"], name=op.f("fk_link_sample_link_id_link"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_link_sample_run_id_run"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_sample")),
    )
    with op.batch_alter_table("link_sample", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_sample_link_id_sampled_at"), ["link_id", "sampled_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_sample_link_id_sampled_at"))

    op.drop_table("link_sample")
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_link_id_kind"))
        batch_op.drop_index(batch_op.f("ix_finding_kind_resolved_at"))
        batch_op.drop_index(batch_op.f("ix_finding_device_id_kind"))

    op.drop_table("finding")
    op.drop_table("link")
    with op.batch_alter_table("device_poll", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_poll_device_id_polled_at"))

    op.drop_table("device_poll")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_unit_id_hostname"))
        batch_op.drop_index(batch_op.f("ix_device_serial"))
        batch_op.drop_index(batch_op.f("ix_device_ip"))
        batch_op.drop_index(batch_op.f("ix_device_asset_tag"))

    op.drop_table("device")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_poller_group"))

    op.drop_table("unit")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_kind_started_at"))

    op.drop_table("run")
