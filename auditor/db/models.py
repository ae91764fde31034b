"""The inventory schema: typed SQLAlchemy 2.0 models.

Conventions: every timestamp is timezone-aware UTC (`UtcDateTime`), and none is defaulted from the
clock: the repositories stamp rows with the `now` their job was given; enums are stored as their
string keys (no database ENUM types, so adding a category is not a migration on PostgreSQL);
one naming convention so Alembic's batch migrations work on SQLite and PostgreSQL alike; each
index says which query it serves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from auditor.domain import (
    Category,
    Condition,
    DeviceStatus,
    FindingKind,
    RunKind,
    RunOutcome,
    Severity,
    SnmpVersion,
    UnitKind,
    serial_key,
    tag_key,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC (SQLite has no time zones) and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None else None


class Counter64(TypeDecorator[int]):
    """An unsigned 64-bit SNMP counter in a signed BIGINT column (two's complement), losslessly."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not 0 <= value < 2**64:
            raise ValueError(f"counter value {value} is outside 0 … 2^64-1")
        return value - 2**64 if value >= 2**63 else value

    def process_result_value(self, value: int | None, dialect: Dialect) -> int | None:
        return value + 2**64 if value is not None and value < 0 else value


def _enum(enum_class: type[Any], length: int = 32) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Unit(Base):
    """An audited body: a provincial board, the Fatherland Front, a commune/ward Party committee."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[UnitKind | None] = mapped_column(_enum(UnitKind))
    staff_count: Mapped[int | None] = mapped_column(Integer)
    poller_group: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    subnets: Mapped[str | None] = mapped_column(Text)  # its LAN ranges, "10.38.1.0/24,…": where NetBIOS may ask
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    devices: Mapped[list[Device]] = relationship(back_populates="unit")
    links: Mapped[list[Link]] = relationship(back_populates="unit")

    __table_args__ = (
        Index(None, "poller_group"),  # agents select the units of their group
    )


class Device(Base):
    """One piece of equipment, registered (in the asset register) or discovered on the network."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))  # None: not yet assigned
    hostname: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(45))
    mac: Mapped[str | None] = mapped_column(String(17))
    category: Mapped[Category | None] = mapped_column(_enum(Category))
    vendor: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    serial: Mapped[str | None] = mapped_column(String(255))
    asset_tag: Mapped[str | None] = mapped_column(String(255))
    firmware: Mapped[str | None] = mapped_column(String(255))
    os_version: Mapped[str | None] = mapped_column(String(255))
    sys_descr: Mapped[str | None] = mapped_column(Text)
    sys_object_id: Mapped[str | None] = mapped_column(String(255))
    manufactured_on: Mapped[dt.date | None] = mapped_column(Date)
    in_service_on: Mapped[dt.date | None] = mapped_column(Date)
    in_service_precision: Mapped[str | None] = mapped_column(String(8))  # year, month or day
    condition: Mapped[Condition | None] = mapped_column(_enum(Condition))
    location: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[DeviceStatus] = mapped_column(
        _enum(DeviceStatus), default=DeviceStatus.ACTIVE, server_default=DeviceStatus.ACTIVE.value
    )
    registered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    first_seen: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    reachable: Mapped[bool | None] = mapped_column(Boolean)
    # How the last poll saw it: "icmp", "snmp", and the tables that saw it ("arp", "fdb", "lldp",
    # "cdp", "netbios"), comma-separated; None when nothing did.
    seen_via: Mapped[str | None] = mapped_column(String(64))
    rtt_ms: Mapped[float | None] = mapped_column(Float)
    uptime_s: Mapped[int | None] = mapped_column(BigInteger)
    uptime_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # when uptime_s was read
    snmp_version: Mapped[SnmpVersion | None] = mapped_column(_enum(SnmpVersion, 4))
    snmp_port: Mapped[int | None] = mapped_column(Integer)
    # A community the register gave for this device.  v3 credentials are never stored here: the
    # device names a profile of the config file, so keys stay in one private file.
    snmp_community: Mapped[str | None] = mapped_column(String(255))
    snmp_profile: Mapped[str | None] = mapped_column(String(64))
    # Which credential answered last, so the next poll tries it first: "register", "community:<its
    # place in snmp.communities>" or "v3:<profile>".  A name, never the secret nor a hash of it.
    snmp_credential: Mapped[str | None] = mapped_column(String(64))
    # Agent work claims (see db/work.py): when the device is next due, and who holds it until when.
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The identities the domain holds unique, kept by the mapper events below: the asset tag, and
    # the serial within its vendor (domain.tag_key, domain.serial_key).  The unique indexes are the
    # last guard: two imports at once, or a poll beside an import, can never store one device twice.
    tag_key: Mapped[str | None] = mapped_column(String(255))
    serial_key: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    unit: Mapped[Unit | None] = relationship(back_populates="devices")

    __table_args__ = (
        Index(None, "unit_id", "hostname"),  # import matching by unit + hostname; listings by unit
        Index(None, "ip"),  # scans match discovered addresses to devices
        Index(None, "serial"),  # import matching by serial
        Index(None, "asset_tag"),  # import matching by asset tag
        Index(None, "tag_key", unique=True),  # one device per asset tag
        Index(None, "serial_key", unique=True),  # one device per serial of a vendor
        Index(None, "due_at"),  # agents claim the devices that are due
        Index(None, "lease_owner"),  # an agent renews or releases its leases
    )


_IDENTITY_FIELDS = frozenset({"asset_tag", "vendor", "serial"})


@event.listens_for(Device, "before_insert")
@event.listens_for(Device, "before_update")
def _identity_keys(_mapper: Any, _connection: Any, device: Device) -> None:
    """Keys follow the fields they are made of, and only when those change: a device an old
    release stored twice keeps its row without a key until someone corrects it."""
    state = inspect(device)
    if state.persistent and not state.committed_state.keys() & _IDENTITY_FIELDS:  # what was set since the last flush
        return
    device.tag_key = tag_key(device.asset_tag)
    device.serial_key = serial_key(device.vendor, device.serial)


class DeviceChange(Base):
    """One change to a field of a device's register record: what it was, what it became, when, and
    what changed it (an import file, a scan, a poll, a command)."""

    __tablename__ = "device_change"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id", ondelete="SET NULL"))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    field: Mapped[str] = mapped_column(String(32))  # a Device column, or "created"
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(300))  # "import khao-sat.xlsx", "poll", "devices retire"

    __table_args__ = (Index(None, "device_id", "changed_at"),)  # a device's history, newest first


class Interface(Base):
    """A network interface of a device that carries a link, as IF-MIB last described it."""

    __tablename__ = "interface"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    if_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    descr: Mapped[str | None] = mapped_column(String(255))
    alias: Mapped[str | None] = mapped_column(String(255))
    if_type: Mapped[int | None] = mapped_column(Integer)
    speed_mbps: Mapped[float | None] = mapped_column(Float)  # the port's speed, not the contracted bandwidth
    admin_up: Mapped[bool | None] = mapped_column(Boolean)
    oper_up: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("device_id", "if_index"),)  # a device's interfaces, by index


class Link(Base):
    """A unit's connection to the dedicated data network, with its contracted bandwidth."""

    __tablename__ = "link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(255))
    provider: Mapped[str | None] = mapped_column(String(255))
    circuit_id: Mapped[str | None] = mapped_column(String(255))
    capacity_down_mbps: Mapped[float] = mapped_column(Float)
    capacity_up_mbps: Mapped[float] = mapped_column(Float)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    device_ref: Mapped[str | None] = mapped_column(String(255))  # as the register named it
    interface: Mapped[str | None] = mapped_column(String(255))  # name, alias, descr or ifIndex
    if_index: Mapped[int | None] = mapped_column(Integer)  # last resolved ifIndex
    far_end_ip: Mapped[str | None] = mapped_column(String(45))
    # Agent work claims (see db/work.py): when the link is next due, and who holds it until when.
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    unit: Mapped[Unit] = relationship(back_populates="links")
    device: Mapped[Device | None] = relationship()

    __table_args__ = (
        UniqueConstraint("unit_id", "name"),  # import matching; one name per unit
        Index(None, "due_at"),  # agents claim the links that are due
        Index(None, "lease_owner"),  # an agent renews or releases its leases
    )


class Run(Base):
    """One execution of a command that changes or observes the inventory."""

    __tablename__ = "run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[RunKind] = mapped_column(_enum(RunKind))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[RunOutcome] = mapped_column(_enum(RunOutcome), default=RunOutcome.RUNNING)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    agent: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))  # where it ran, and as which process:
    pid: Mapped[int | None] = mapped_column(Integer)  # a run whose process is gone was interrupted

    __table_args__ = (
        Index(None, "kind", "started_at"),  # "last run of each kind", run history
        Index(None, "outcome"),  # every run start looks for runs left 'running' by a dead process
    )


class Agent(Base):
    """A polling agent that serves (or served) a poller group: its heartbeat and its last cycle."""

    __tablename__ = "agent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    poller_group: Mapped[str | None] = mapped_column(String(64))  # None: every group
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    lease_s: Mapped[float] = mapped_column(Float)  # its heartbeat is stale, and its leases expire, after this
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # None while it runs (or if it died)
    cycle_tick: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # the grid moment of its last cycle
    cycle_done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # when its share of it was done
    devices_done: Mapped[int] = mapped_column(Integer, default=0)  # in the last cycle
    links_done: Mapped[int] = mapped_column(Integer, default=0)


class DevicePoll(Base):
    """One poll of one device: reachability, round trip, uptime (the reboot evidence)."""

    __tablename__ = "device_poll"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id", ondelete="SET NULL"))
    polled_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    reachable: Mapped[bool] = mapped_column(Boolean)
    rtt_ms: Mapped[float | None] = mapped_column(Float)
    snmp_ok: Mapped[bool | None] = mapped_column(Boolean)
    uptime_s: Mapped[int | None] = mapped_column(BigInteger)
    rebooted: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    # The tables that saw it in that run though it may not have answered itself: "arp,fdb"
    # (see Endpoint).  A device seen so is seen, whatever ICMP said.
    seen_via: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index(None, "device_id", "polled_at"),)  # a device's history; reboots in 7 days


class LinkSample(Base):
    """One 5-minute sample of a link: raw counters, the derived rates, ICMP to the far end."""

    __tablename__ = "link_sample"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id", ondelete="SET NULL"))
    sampled_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)  # the poller's clock
    if_index: Mapped[int | None] = mapped_column(Integer)
    counter_bits: Mapped[int | None] = mapped_column(Integer)  # 64 or 32
    in_octets: Mapped[int | None] = mapped_column(Counter64)
    out_octets: Mapped[int | None] = mapped_column(Counter64)
    uptime_s: Mapped[int | None] = mapped_column(BigInteger)
    interval_s: Mapped[float | None] = mapped_column(Float)
    # sampled_at minus interval_s: where the interval began, so "wholly inside the window" is a
    # plain comparison the database can do (links/congestion.py, repo.link_window_stats).
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    in_bps: Mapped[float | None] = mapped_column(Float)
    out_bps: Mapped[float | None] = mapped_column(Float)
    unknown_reason: Mapped[str | None] = mapped_column(String(64))  # why the interval has no rate
    rtt_avg_ms: Mapped[float | None] = mapped_column(Float)
    rtt_max_ms: Mapped[float | None] = mapped_column(Float)
    loss_pct: Mapped[float | None] = mapped_column(Float)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set on a row that stands for an hour of old samples (links/rollup.py): how many.
    samples: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index(None, "link_id", "sampled_at"),  # the 7-day window per link; the roll-up
        # each link's last sample with counters (the base of its next interval), found in the index
        # instead of grouping every sample (revision 0008)
        Index(
            "ix_link_sample_counters",
            "link_id",
            "id",
            sqlite_where=text("in_octets IS NOT NULL"),
            postgresql_where=text("in_octets IS NOT NULL"),
        ),
    )


class LinkHour(Base):
    """A link's samples of one UTC hour packed in one array (auditor.linkhours): what the
    congestion judgement reads.  A copy of the raw samples, kept in step as they are stored and
    rolled up (db.samples); the raw samples stay the truth and it can be rebuilt from them."""

    __tablename__ = "link_hour"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"))
    hour: Mapped[dt.datetime] = mapped_column(UtcDateTime)  # the hour's start
    samples: Mapped[int] = mapped_column(Integer)  # how many raw rows the array holds
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("link_id", "hour"),)  # a link's hours of the window, in order


class LinkHourMark(Base):
    """How far the raw samples are folded into link_hour (one row): every sample with a larger id
    is not yet; how many rows with an id up to it the hours hold (None: unknown, to rebuild); and,
    while the hours are rebuilt a few links per transaction, the last link rebuilt."""

    __tablename__ = "link_hour_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folded_to: Mapped[int] = mapped_column(BigInteger)
    folded_rows: Mapped[int | None] = mapped_column(BigInteger)  # revision 0008
    rebuilt_through: Mapped[int | None] = mapped_column(Integer)  # a link id; None: no rebuild under way


class Finding(Base):
    """Something a rule found, with its evidence and its life: first seen, last seen, resolved."""

    __tablename__ = "finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[FindingKind] = mapped_column(_enum(FindingKind))
    severity: Mapped[Severity] = mapped_column(_enum(Severity))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"))
    # SET NULL: a pruned endpoint's finding stays, resolved (db/endpoints.prune_endpoints), with its evidence
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("endpoint.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(255))  # what a person reads: "router xa-anhson-gw"
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_detected: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_detected: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(None, "kind", "resolved_at"),  # open findings of a kind (`findings --kind`, --fail-on)
        Index(None, "device_id", "kind"),  # the open finding of a device, to update or resolve
        Index(None, "link_id", "kind"),  # the open finding of a link
        Index(None, "endpoint_id"),  # an endpoint's open finding, to refresh or resolve
    )


class Endpoint(Base):
    """A MAC seen through the network (a router's ARP table, a switch's edge port, LLDP, NetBIOS):
    one row per MAC, so a PC whose DHCP address changes stays one endpoint.  `device_id` is the
    register's device it was matched to (rules/endpoints.py), or None: nobody registered it."""

    __tablename__ = "endpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mac: Mapped[str] = mapped_column(String(17), unique=True)
    mac_kind: Mapped[str] = mapped_column(String(8))  # "global" or "local"
    vendor: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(45))  # the latest address seen
    netbios_name: Mapped[str | None] = mapped_column(String(64))
    netbios_group: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    matched_by: Mapped[str | None] = mapped_column(String(16))  # "mac", "ip", "netbios name"
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    seen_on_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))  # its switch
    port: Mapped[str | None] = mapped_column(String(64))
    vlan: Mapped[int | None] = mapped_column(Integer)
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(None, "device_id"),  # a registered device's sightings (reconciliation, devices show)
        Index(None, "unit_id"),  # endpoints list --unit
        Index(None, "ip"),  # search by address
    )


class EndpointSighting(Base):
    """Where and how an endpoint was seen: one row per source, reporting device, port, VLAN and
    address, its first and last time (a PC on the same port all year is one row)."""

    __tablename__ = "endpoint_sighting"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoint.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # arp, fdb, lldp, cdp, netbios
    seen_on_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    port: Mapped[str | None] = mapped_column(String(64))
    vlan: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(45))
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id", ondelete="SET NULL"))  # the last that saw it

    __table_args__ = (
        Index(None, "endpoint_id", "last_seen"),  # an endpoint's evidence, newest first
        Index(None, "seen_on_id"),  # what a switch or router sees
    )


class NeighbourLink(Base):
    """A link between a network device's port and a neighbour, as LLDP or CDP reported it."""

    __tablename__ = "neighbour_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    protocol: Mapped[str] = mapped_column(String(8))  # lldp, cdp
    if_index: Mapped[int | None] = mapped_column(Integer)
    local_port: Mapped[str | None] = mapped_column(String(64))
    remote_name: Mapped[str | None] = mapped_column(String(255))
    remote_port: Mapped[str | None] = mapped_column(String(255))
    remote_chassis: Mapped[str | None] = mapped_column(String(255))
    remote_address: Mapped[str | None] = mapped_column(String(45))
    remote_platform: Mapped[str | None] = mapped_column(Text)
    remote_device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "device_id"),)  # a device's neighbours


class Notification(Base):
    """An event a person was (or is to be) told of by e-mail: one row while it lasts, so that it is
    sent once, and again only after it was resolved and came back."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255))  # "link_down:12", "unit_silent:5", "audit_failed"
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # None: not sent yet (tried again)
    error: Mapped[str | None] = mapped_column(Text)  # why the last try failed
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index(None, "key", "resolved_at"),)  # the open event of a key
