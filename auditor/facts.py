"""Frozen dataclasses that cross the layers: register rows in, listings out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.domain import (
    AgeSource,
    Category,
    Condition,
    DeviceStatus,
    FindingKind,
    Severity,
    SnmpVersion,
    UnitKind,
)
from auditor.endpoints import NetworkTables


@dataclass(frozen=True)
class Where:
    """A place in an input file, for messages: "khao-sat.xlsx:Thiết bị:14"."""

    file: str
    sheet: str | None
    row: int

    def __str__(self) -> str:
        parts = [self.file] + ([self.sheet] if self.sheet else []) + [str(self.row)]
        return ":".join(parts)


@dataclass(frozen=True)
class UnitRecord:
    code: str
    name: str
    kind: UnitKind | None = None
    staff_count: int | None = None
    poller_group: str | None = None
    subnets: str | None = None  # "10.38.1.0/24,10.38.2.0/24": where NetBIOS may ask


@dataclass(frozen=True)
class DeviceRecord:
    unit_code: str
    hostname: str | None = None
    ip: str | None = None
    mac: str | None = None
    category: Category | None = None
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    asset_tag: str | None = None
    in_service_on: dt.date | None = None
    in_service_precision: str | None = None  # "year", "month" or "day": how much the sheet said
    condition: Condition | None = None
    location: str | None = None
    snmp_version: SnmpVersion | None = None
    snmp_port: int | None = None
    snmp_community: str | None = field(default=None, repr=False)
    registered: bool | None = None  # None: the file has no such column (a survey registers its rows)
    status: DeviceStatus | None = None  # None: no such column (an export has it: a backup keeps retirements)


@dataclass(frozen=True)
class LinkRecord:
    unit_code: str
    name: str
    capacity_down_mbps: float
    capacity_up_mbps: float
    provider: str | None = None
    circuit_id: str | None = None
    device: str | None = None
    interface: str | None = None
    far_end_ip: str | None = None


Record = UnitRecord | DeviceRecord | LinkRecord


@dataclass(frozen=True)
class Said:
    """A message as data: its English text with {placeholders} (the gettext msgid) and their
    values, some of them messages too; `text(tr)` says it in the reader's language, str() in English."""

    message: str
    values: tuple[tuple[str, Any], ...] = ()

    def text(self, tr: Callable[[str], str] | None = None) -> str:
        text = tr(self.message) if tr else self.message
        if not self.values:  # a message said already: its braces are text
            return text
        return text.format(**{key: value.text(tr) if isinstance(value, Said) else value for key, value in self.values})

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Joined(Said):
    """Several messages said as one, "; " between them."""

    parts: tuple[Said, ...] = ()

    def text(self, tr: Callable[[str], str] | None = None) -> str:
        return "; ".join(part.text(tr) for part in self.parts)


def said(message: str, **values: Any) -> Said:
    return Said(message, tuple(values.items()))


@dataclass(frozen=True)
class RowError:
    """One rejected row: where it is, what was wrong (in the cells `columns` name, headers as
    written), and the row as the file had it."""

    where: Where
    reasons: tuple[Said, ...]
    cells: tuple[tuple[str, str], ...] = ()  # the row as the file had it: (header, text)
    columns: tuple[str, ...] = ()  # the headers of the cells at fault, to point at them

    @property
    def message(self) -> str:
        return self.text()

    def text(self, tr: Callable[[str], str] | None = None) -> str:
        return "; ".join(reason.text(tr) for reason in self.reasons)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class ParsedRow:
    """A register row that parsed: where it was, what it says, and its cells as written."""

    where: Where
    record: Record
    cells: tuple[tuple[str, str], ...]  # kept so a later check (unknown unit…) can still report it

    def reject(self, reason: Said, column: str | None = None) -> RowError:
        return RowError(self.where, (reason,), self.cells, (column,) if column else ())


@dataclass(frozen=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: ImportCounts) -> ImportCounts:
        return ImportCounts(
            self.created + other.created, self.updated + other.updated, self.unchanged + other.unchanged
        )


@dataclass(frozen=True)
class Age:
    """How old a device is and how we know.  `lower_bound` means "at least this old"."""

    years: float
    source: AgeSource
    lower_bound: bool = False  # "at least this old"
    estimate: bool = False  # from the model's release year: the unit may be younger
    basis: str = ""  # what a person reads: "in service 2015", "model OptiPlex 380 released 2009"
    evidence: tuple[str, ...] = field(default=(), compare=False)  # the figures of `basis`, for a translation
    # Set when the register's date cannot be right (before its model's release, after the device was
    # first seen): the age is then counted from the safer evidence, and a person is asked to check.
    doubt: str = ""
    doubt_evidence: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class AgeEvidence:
    """What a device's age is computed from (rules.age.device_age), as the database holds it."""

    in_service_on: dt.date | None = None
    in_service_precision: str | None = None  # "year", "month" or "day"
    manufactured_on: dt.date | None = None
    model: str | None = None
    sys_descr: str | None = None
    first_seen: dt.date | None = None  # the first time auditor saw it answer on the network


@dataclass(frozen=True)
class UnitView:
    id: int
    code: str
    name: str
    kind: UnitKind | None
    staff_count: int | None
    poller_group: str
    devices: int
    links: int
    subnets: str | None = None


@dataclass(frozen=True)
class DeviceView:
    """A device as listings and scripts see it; the JSON keys are these field names, in this order."""

    id: int
    unit_code: str | None  # None: discovered, not yet assigned to a unit
    hostname: str | None
    ip: str | None
    mac: str | None
    category: Category | None
    vendor: str | None
    model: str | None
    serial: str | None
    asset_tag: str | None
    firmware: str | None
    os_version: str | None
    manufactured_on: dt.date | None
    in_service_on: dt.date | None
    in_service_precision: str | None
    age_years: float | None
    age_source: AgeSource | None  # model_catalog is an estimate, os_lower_bound a lower bound (≥)
    age_basis: str | None  # the evidence in words: "in service 2015", "model OptiPlex 380 released 2009"
    condition: Condition | None
    location: str | None
    registered: bool
    status: DeviceStatus
    reachable: bool | None
    rtt_ms: float | None
    uptime_s: int | None
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    snmp_version: SnmpVersion | None
    snmp_port: int | None
    seen_via: str | None = None  # how the last poll saw it: "icmp,snmp", "arp,fdb", …; None: nothing


@dataclass(frozen=True)
class PollView:
    """One poll of a device, as `devices show` lists them."""

    polled_at: dt.datetime
    reachable: bool
    rtt_ms: float | None
    snmp_ok: bool | None
    uptime_s: int | None
    rebooted: bool
    error: str | None
    seen_via: str | None = None  # the tables that saw it in that run ("arp,fdb"), whatever ICMP said


@dataclass(frozen=True)
class ChangeView:
    """One change to a device's register record, as `devices show` lists its history."""

    changed_at: dt.datetime
    field: str  # a device field, "unit" (by its code) or "created"
    old: str | None
    new: str | None
    source: str  # what made it: "import khao-sat.xlsx", "poll", "devices retire: …"
    run_id: int | None


@dataclass(frozen=True)
class LinkView:
    id: int
    unit_code: str
    name: str
    provider: str | None
    circuit_id: str | None
    capacity_down_mbps: float
    capacity_up_mbps: float
    device: str | None
    interface: str | None
    if_index: int | None  # the interface resolved on the device, once polled
    far_end_ip: str | None


@dataclass(frozen=True)
class EntityRow:
    """The ENTITY-MIB row that stands for the whole device (the chassis, or failing that the first
    row that has a model or serial)."""

    index: int
    descr: str | None = None
    name: str | None = None
    hardware_rev: str | None = None
    firmware_rev: str | None = None
    software_rev: str | None = None
    serial: str | None = None
    mfg_name: str | None = None
    model: str | None = None
    mfg_date: dt.date | None = None


@dataclass(frozen=True)
class DeviceFacts:
    """What SNMP said about a device, typed once.  `sources` names where each field came from."""

    sys_descr: str | None = None
    sys_object_id: str | None = None
    sys_name: str | None = None
    uptime_s: int | None = None
    vendor: str | None = None
    category: Category | None = None
    model: str | None = None
    serial: str | None = None
    os_version: str | None = None
    firmware: str | None = None
    hardware_rev: str | None = None
    manufactured_on: dt.date | None = None
    profile: str | None = None
    sources: tuple[tuple[str, str], ...] = ()

    def source(self, name: str) -> str | None:
        return dict(self.sources).get(name)


@dataclass(frozen=True)
class LinkPort:
    """A link a device carries, and the interface the register names for it."""

    link_id: int
    name: str
    interface: str | None


@dataclass(frozen=True)
class PollTarget:
    """A device the database says to poll, with what the last poll learned."""

    device_id: int
    address: str
    hostname: str | None = None
    snmp_version: SnmpVersion | None = None
    snmp_port: int | None = None
    snmp_community: str | None = field(default=None, repr=False)
    snmp_profile: str | None = None
    snmp_credential: str | None = None
    identified: bool = False
    uptime_s: int | None = None
    uptime_at: dt.datetime | None = None
    carries_link: bool = False  # its interfaces are read too
    category: Category | None = None  # routers, switches, firewalls and access points: their tables are read
    links: tuple[LinkPort, ...] = ()  # the links it carries (a poll's, not a link sample's)


@dataclass(frozen=True)
class HostObservation:
    """What one scan or poll saw of one address.  `alive` is None when ICMP could not be used."""

    address: str
    at: dt.datetime
    device_id: int | None = None
    alive: bool | None = None
    rtt_ms: float | None = None
    snmp_ok: bool = False
    snmp_error: str | None = None
    snmp_version: SnmpVersion | None = None
    snmp_port: int | None = None
    credential: str | None = None  # which credential answered (see Device.snmp_credential)
    uptime_s: int | None = None
    facts: DeviceFacts | None = None  # the full identity, when it was read
    interfaces: tuple[InterfaceFacts, ...] | None = None  # for devices that carry a link
    rebooted: bool = False  # judged against the previous poll (rules.uptime)
    link_interfaces: tuple[tuple[int, int | None], ...] = ()  # (link id, its interface's ifIndex or None)
    tables: NetworkTables | None = None  # a router's or switch's ARP, forwarding and neighbour tables

    @property
    def reachable(self) -> bool:
        return bool(self.alive) or self.snmp_ok


@dataclass(frozen=True)
class ObservationCounts:
    new: int = 0
    updated: int = 0
    reboots: int = 0
    unassigned: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class InterfaceFacts:
    if_index: int
    name: str | None = None
    descr: str | None = None
    alias: str | None = None
    if_type: int | None = None
    speed_mbps: float | None = None
    admin_up: bool | None = None
    oper_up: bool | None = None


@dataclass(frozen=True)
class DeviceHistory:
    """A device's stored facts and recent history, as the database holds them for the rules."""

    device_id: int
    unit_id: int | None
    label: str  # hostname, else address, else asset tag: what a person recognises
    category: Category | None
    registered: bool
    has_address: bool
    evidence: AgeEvidence
    created_at: dt.datetime
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    recent_reachable: tuple[bool, ...] = ()  # the latest polls, oldest first: answered, or a table saw it
    reboots_7d: int = 0
    seen_by: dict[str, dt.datetime] = field(default_factory=dict)  # table source → when it last saw it
    looked_at: tuple[str, ...] = ("icmp", "snmp")  # the sources that could have seen it


@dataclass(frozen=True)
class DeviceState:
    """What the rules see of one device: its identity, age evidence, and its recent history."""

    device_id: int
    unit_id: int | None
    label: str  # hostname, else address, else asset tag: what a person recognises
    category: Category | None
    registered: bool
    has_address: bool
    age: Age | None
    threshold_years: float
    created_at: dt.datetime
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    recent_reachable: tuple[bool, ...] = ()  # the latest polls, oldest first: answered, or a table saw it
    reboots_7d: int = 0
    seen_by: dict[str, dt.datetime] = field(default_factory=dict)  # table source → when it last saw it
    looked_at: tuple[str, ...] = ("icmp", "snmp")  # the sources that could have seen it


@dataclass(frozen=True)
class FindingFact:
    """A finding as a rule states it; the database gives it a life (first seen, resolved)."""

    kind: FindingKind
    severity: Severity
    subject: str
    evidence: dict[str, Any]
    device_id: int | None = None
    link_id: int | None = None
    unit_id: int | None = None

    endpoint_id: int | None = None

    @property
    def key(self) -> tuple[str, int | None, int | None, int | None]:
        return (self.kind.value, self.device_id, self.link_id, self.endpoint_id)


@dataclass(frozen=True)
class FindingView:
    id: int
    kind: FindingKind
    severity: Severity
    unit_code: str | None
    subject: str
    device_id: int | None
    link_id: int | None
    first_detected: dt.datetime
    last_detected: dt.datetime
    resolved_at: dt.datetime | None
    evidence: dict[str, Any]


@dataclass(frozen=True)
class RunOwner:
    """The process a run belongs to: a run whose process has gone was interrupted."""

    host: str
    pid: int


@dataclass(frozen=True)
class AgentIdentity:
    name: str
    group: str | None  # None: every group
    host: str
    pid: int
    lease_s: float


@dataclass(frozen=True)
class AgentView:
    name: str
    poller_group: str
    host: str
    pid: int
    state: str  # running, stale (no heartbeat for a lease: it died or hangs), stopped
    started_at: str
    heartbeat_at: str
    heartbeat_age_s: float
    cycle_tick: str | None
    lag_s: float | None  # from the cycle's grid moment to the end of this agent's share of it
    devices_done: int
    links_done: int
