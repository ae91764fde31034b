"""Queries and writes on the inventory.  The only module besides models that speaks SQLAlchemy."""

from __future__ import annotations

import datetime as dt
import os
import socket
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from auditor.catalogs import age_catalog
from auditor.config import AgeSettings
from auditor.db.models import Device, DevicePoll, Finding, Interface, Link, LinkSample, Run, Unit, utcnow
from auditor.db.work import DEFAULT_GROUP, process_alive
from auditor.domain import DeviceStatus, FindingKind, RunKind, RunOutcome, fold
from auditor.errors import AuditorError
from auditor.facts import (
    CounterSample,
    DeviceFacts,
    DeviceRecord,
    DeviceState,
    DeviceView,
    FindingFact,
    FindingView,
    HostObservation,
    ImportCounts,
    InterfaceFacts,
    Interval,
    LinkObservation,
    LinkRecord,
    LinkTarget,
    LinkView,
    ObservationCounts,
    ParsedRow,
    PollTarget,
    RowError,
    UnitRecord,
    UnitView,
)
from auditor.links.congestion import PingSample, WindowStats, summarise
from auditor.links.rollup import HOURLY, RawSample, hourly
from auditor.rules.age import device_age
from auditor.rules.uptime import rebooted
from auditor.snmp.interfaces import find_interface


@dataclass
class ApplyResult:
    counts: dict[str, ImportCounts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _merge(target: Any, values: dict[str, Any]) -> bool:
    """Set the given non-empty values; a blank cell never erases what the database knows."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def _count(counts: ImportCounts, created: bool, changed: bool) -> ImportCounts:
    if created:
        return counts + ImportCounts(created=1)
    return counts + (ImportCounts(updated=1) if changed else ImportCounts(unchanged=1))


class _Units:
    """The units known so far, by code and by folded name, for resolving device and link rows."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_code: dict[str, Unit] = {}
        self.by_name: dict[str, Unit] = {}
        for unit in session.scalars(select(Unit)):
            self.add(unit)

    def add(self, unit: Unit) -> None:
        self.by_code[fold(unit.code)] = unit
        self.by_name[fold(unit.name)] = unit

    def resolve(self, ref: str) -> Unit | None:
        if ref.startswith("name:"):
            return self.by_name.get(fold(ref.removeprefix("name:")))
        return self.by_code.get(fold(ref))


def _unknown_unit(row: ParsedRow, ref: str) -> RowError:
    written = ref.removeprefix("name:")
    header = next((h for h, value in row.cells if fold(value) == fold(written)), None)
    column = f'column "{header}": ' if header else ""
    if ref.startswith("name:"):
        return row.reject(
            f'{column}unit "{written}" is not in the register; use its code, or add it on the units sheet (Đơn vị)'
        )
    return row.reject(
        f'{column}unit code "{ref}" is not in the register; add it on the units sheet (Đơn vị) '
        "of this file or import the units first"
    )


def _apply_units(session: Session, units: _Units, rows: Sequence[ParsedRow], result: ApplyResult) -> None:
    counts = ImportCounts()
    for row in rows:
        record = row.record
        assert isinstance(record, UnitRecord)
        unit = units.resolve(record.code)
        created = unit is None
        if unit is None:
            unit = Unit(code=record.code, name=record.name, poller_group="default")
            session.add(unit)
        changed = _merge(
            unit,
            {
                "name": record.name,
                "kind": record.kind,
                "staff_count": record.staff_count,
                "poller_group": record.poller_group,
            },
        )
        units.add(unit)
        counts = _count(counts, created, changed)
    session.flush()
    result.counts["units"] = counts


def _describe(device: Device) -> str:
    name = device.hostname or device.ip or device.asset_tag or device.serial
    return f"id {device.id}, {name}" if device.id is not None else f"{name}, added earlier in this import"


class _Devices:
    """Indexes of the devices in the database, for matching register rows to them."""

    def __init__(self, session: Session) -> None:
        self.by_tag: dict[str, Device] = {}
        self.by_serial: dict[str, Device] = {}
        self.by_host: dict[tuple[int | None, str], Device] = {}
        self.by_ip: dict[tuple[int | None, str], Device] = {}
        for device in session.scalars(select(Device)):
            self.add(device)

    def add(self, device: Device) -> None:
        if device.asset_tag:
            self.by_tag[fold(device.asset_tag)] = device
        if device.serial:
            self.by_serial[fold(device.serial)] = device
        if device.hostname:
            self.by_host[(device.unit_id, fold(device.hostname))] = device
        if device.ip:
            self.by_ip[(device.unit_id, device.ip)] = device

    def match(self, record: DeviceRecord, unit_id: int) -> tuple[Device | None, str | None]:
        """The device this row describes, or an error message when its identities disagree.

        Asset tag first (the register's own key), then serial, then hostname or IP within the
        unit.  A hostname/IP match whose asset tag or serial differs is another device that
        took the old one's name: it is created, never written over the old one.
        """
        by_tag = self.by_tag.get(fold(record.asset_tag)) if record.asset_tag else None
        by_serial = self.by_serial.get(fold(record.serial)) if record.serial else None
        if by_tag is not None:
            if by_serial is not None and by_serial is not by_tag:
                return None, (
                    f'serial "{record.serial}" belongs to another device ({_describe(by_serial)}) than asset tag '
                    f'"{record.asset_tag}" ({_describe(by_tag)})'
                )
            return by_tag, None
        if by_serial is not None:
            if record.asset_tag and by_serial.asset_tag:
                return None, (
                    f'serial "{record.serial}" is registered with asset tag "{by_serial.asset_tag}", '
                    f'not "{record.asset_tag}"; correct the row or the register'
                )
            return by_serial, None
        for weak in (
            self.by_host.get((unit_id, fold(record.hostname))) if record.hostname else None,
            self.by_ip.get((unit_id, record.ip)) if record.ip else None,
        ):
            if weak is None:
                continue
            clash = (record.asset_tag and weak.asset_tag) or (record.serial and weak.serial)
            if not clash:
                return weak, None
        return None, None


def _apply_devices(session: Session, units: _Units, rows: Sequence[ParsedRow], result: ApplyResult) -> None:
    counts = ImportCounts()
    devices = _Devices(session)
    for row in rows:
        record = row.record
        assert isinstance(record, DeviceRecord)
        unit = units.resolve(record.unit_code)
        if unit is None:
            result.errors.append(_unknown_unit(row, record.unit_code))
            continue
        device, problem = devices.match(record, unit.id)
        if problem:
            result.errors.append(row.reject(problem))
            continue
        created = device is None
        if device is None:
            device = Device(unit_id=unit.id, registered=True)
            session.add(device)
        # Every field of the record but its unit reference is a device column of the same name.
        values = {f.name: getattr(record, f.name) for f in fields(record) if f.name != "unit_code"}
        changed = _merge(device, values | {"unit_id": unit.id, "registered": True})
        devices.add(device)
        counts = _count(counts, created, changed)
    session.flush()
    result.counts["devices"] = counts


class _UnitDevices:
    """A unit's devices by hostname (folded) and address, read once per unit: a register names a
    link's router by either, and a unit may have thousands of devices."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.units: dict[int, dict[str, Device]] = {}

    def find(self, unit_id: int, ref: str) -> Device | None:
        known = self.units.get(unit_id)
        if known is None:
            known = self.units[unit_id] = {}
            for device in self.session.scalars(select(Device).where(Device.unit_id == unit_id).order_by(Device.id)):
                if device.ip:
                    known.setdefault(device.ip, device)
                if device.hostname:
                    known.setdefault(fold(device.hostname), device)
        return known.get(fold(ref)) or known.get(ref.strip())


def _apply_links(session: Session, units: _Units, rows: Sequence[ParsedRow], result: ApplyResult) -> None:
    counts = ImportCounts()
    existing = {(link.unit_id, fold(link.name)): link for link in session.scalars(select(Link))}
    devices = _UnitDevices(session)
    for row in rows:
        record = row.record
        assert isinstance(record, LinkRecord)
        unit = units.resolve(record.unit_code)
        if unit is None:
            result.errors.append(_unknown_unit(row, record.unit_code))
            continue
        link = existing.get((unit.id, fold(record.name)))
        created = link is None
        if link is None:
            link = Link(
                unit_id=unit.id,
                name=record.name,
                capacity_down_mbps=record.capacity_down_mbps,
                capacity_up_mbps=record.capacity_up_mbps,
            )
            session.add(link)
            existing[(unit.id, fold(record.name))] = link
        device = devices.find(unit.id, record.device) if record.device else None
        if record.device and device is None:
            result.notes.append(
                f'{row.where}: device "{record.device}" is not (yet) in unit {unit.code}; '
                "the link will be tied to it once it is registered or discovered"
            )
        changed = _merge(
            link,
            {
                "capacity_down_mbps": record.capacity_down_mbps,
                "capacity_up_mbps": record.capacity_up_mbps,
                "provider": record.provider,
                "circuit_id": record.circuit_id,
                "device_ref": record.device,
                "device_id": device.id if device else None,
                "interface": record.interface,
                "far_end_ip": record.far_end_ip,
            },
        )
        counts = _count(counts, created, changed)
    session.flush()
    result.counts["links"] = counts


def apply_register(
    session: Session,
    units: Sequence[ParsedRow],
    devices: Sequence[ParsedRow],
    links: Sequence[ParsedRow],
) -> ApplyResult:
    """Write register rows into the session (not committed): units, then devices, then links."""
    result = ApplyResult()
    known = _Units(session)
    if units:
        _apply_units(session, known, units, result)
    if devices:
        _apply_devices(session, known, devices, result)
    if links:
        _apply_links(session, known, links, result)
    if devices:  # a link registered before its router: tie it now that the router is here
        _tie_links(session)
    return result


def record_run(
    session: Session,
    kind: RunKind,
    outcome: RunOutcome,
    counts: dict[str, Any],
    message: str | None = None,
    started_at: dt.datetime | None = None,
) -> Run:
    run = Run(
        kind=kind,
        outcome=outcome,
        counts=counts,
        message=message,
        started_at=started_at or utcnow(),
        finished_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


# ---------------------------------------------------------------- listings


def list_units(session: Session) -> list[UnitView]:
    # (A Result has .keys(), so dict(result) would take it for a mapping: build the dicts by hand.)
    device_counts = {u: n for u, n in session.execute(select(Device.unit_id, func.count()).group_by(Device.unit_id))}
    link_counts = {u: n for u, n in session.execute(select(Link.unit_id, func.count()).group_by(Link.unit_id))}
    return [
        UnitView(
            id=u.id,
            code=u.code,
            name=u.name,
            kind=u.kind.value if u.kind else None,
            staff_count=u.staff_count,
            poller_group=u.poller_group,
            devices=device_counts.get(u.id, 0),
            links=link_counts.get(u.id, 0),
        )
        for u in session.scalars(select(Unit).order_by(Unit.code))
    ]


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def device_view(device: Any, unit_code: str | None, today: dt.date) -> DeviceView:
    """A device (a model instance, or a row of the device table: both name the columns) for listings."""
    age = device_age(
        today,
        device.in_service_on,
        device.in_service_precision,
        device.manufactured_on,
        device.model,
        device.sys_descr,
        age_catalog(),
    )
    return DeviceView(
        id=device.id,
        unit_code=unit_code,
        hostname=device.hostname,
        ip=device.ip,
        mac=device.mac,
        category=device.category.value if device.category else None,
        vendor=device.vendor,
        model=device.model,
        serial=device.serial,
        asset_tag=device.asset_tag,
        firmware=device.firmware,
        os_version=device.os_version,
        manufactured_on=_iso(device.manufactured_on),
        in_service_on=_iso(device.in_service_on),
        in_service_precision=device.in_service_precision,
        age_years=age.years if age else None,
        age_source=age.source if age else None,
        age_basis=age.basis if age else None,
        condition=device.condition.value if device.condition else None,
        location=device.location,
        registered=device.registered,
        status=device.status.value,
        reachable=device.reachable,
        rtt_ms=device.rtt_ms,
        uptime_s=device.uptime_s,
        first_seen=_iso(device.first_seen),
        last_seen=_iso(device.last_seen),
        snmp_version=device.snmp_version.value if device.snmp_version else None,
        snmp_port=device.snmp_port,
    )


def _unit_filter(statement: Any, model: Any, unit_code: str | None) -> Any:
    if unit_code is None:
        return statement
    return statement.join(Unit, model.unit_id == Unit.id).where(func.lower(Unit.code) == unit_code.lower())


def list_devices(session: Session, today: dt.date, unit_code: str | None = None) -> list[DeviceView]:
    # Rows, not model instances: a country's 100,000 devices load in half the time.
    statement = select(Device.__table__, Unit.code.label("unit_code")).outerjoin(Unit, Device.unit_id == Unit.id)
    if unit_code is not None:
        statement = statement.where(func.lower(Unit.code) == unit_code.lower())
    rows = session.execute(statement.order_by(Device.unit_id, Device.hostname, Device.ip, Device.id))
    return [device_view(row, row.unit_code, today) for row in rows]


def list_links(session: Session, unit_code: str | None = None) -> list[LinkView]:
    statement = _unit_filter(select(Link).options(selectinload(Link.unit), selectinload(Link.device)), Link, unit_code)
    return [
        LinkView(
            id=link.id,
            unit_code=link.unit.code,
            name=link.name,
            provider=link.provider,
            circuit_id=link.circuit_id,
            capacity_down_mbps=link.capacity_down_mbps,
            capacity_up_mbps=link.capacity_up_mbps,
            device=(link.device.hostname or link.device.ip) if link.device else link.device_ref,
            interface=link.interface,
            if_index=link.if_index,
            far_end_ip=link.far_end_ip,
        )
        for link in session.scalars(statement.order_by(Link.unit_id, Link.name))
    ]


def require_unit(session: Session, unit_code: str | None) -> None:
    """Refuse a --unit that names no unit, with the way to find the right code."""
    if unit_code and not unit_exists(session, unit_code):
        raise AuditorError(f"no unit with code {unit_code!r}; `auditor units list` shows the codes")


def unit_exists(session: Session, unit_code: str) -> bool:
    return session.scalar(select(func.count()).select_from(Unit).where(func.lower(Unit.code) == unit_code.lower())) == 1


# ---------------------------------------------------------------- scans and polls


def start_run(session: Session, kind: RunKind, agent: str | None = None) -> int:
    """A Run row, committed at once, so a run that dies still leaves its trace.  Runs of this host
    left 'running' by a process that is gone are marked interrupted first."""
    interrupted_runs(session, utcnow())
    run = Run(kind=kind, outcome=RunOutcome.RUNNING, counts={}, agent=agent, host=socket.gethostname(), pid=os.getpid())
    session.add(run)
    session.flush()
    return run.id


def interrupted_runs(session: Session, now: dt.datetime) -> int:
    """Mark this host's runs whose process has ended (kill -9, a crash, a power cut) as interrupted;
    how many.  What they stored before is kept: each unit of work was its own transaction."""
    found = 0
    for run in session.scalars(
        select(Run).where(Run.outcome == RunOutcome.RUNNING, Run.host == socket.gethostname(), Run.pid.is_not(None))
    ):
        if run.pid != os.getpid() and not process_alive(run.pid or 0):
            run.outcome, run.finished_at = RunOutcome.INTERRUPTED, now
            run.message = f"its process (pid {run.pid}) ended before the run did: killed or crashed"
            found += 1
    return found


def finish_run(
    session: Session, run_id: int, outcome: RunOutcome, counts: dict[str, Any], message: str | None = None
) -> None:
    run = session.get(Run, run_id)
    assert run is not None
    run.outcome, run.counts, run.message, run.finished_at = outcome, counts, message, utcnow()


def poll_targets(
    session: Session, unit_code: str | None = None, group: str | None = None, device_ids: Sequence[int] | None = None
) -> list[PollTarget]:
    """The active devices with an address, of one unit, one poller group (devices with no unit are
    in the default group), the given ids, or all."""
    statement = select(Device).where(Device.ip.is_not(None), Device.status == DeviceStatus.ACTIVE)
    if unit_code is not None or group is not None:
        statement = statement.outerjoin(Unit, Device.unit_id == Unit.id)
        if unit_code is not None:
            statement = statement.where(func.lower(Unit.code) == unit_code.lower())
        if group is not None:
            statement = statement.where(func.coalesce(Unit.poller_group, DEFAULT_GROUP) == group)
    carrying = set(session.scalars(select(Link.device_id).where(Link.device_id.is_not(None))))
    if device_ids is not None:
        found = _in_chunks(session, Device, Device.id, device_ids)
        chosen = sorted((d for d in found if d.ip and d.status == DeviceStatus.ACTIVE), key=lambda d: d.id)
        return [_poll_target(d, d.id in carrying) for d in chosen]
    return [_poll_target(d, d.id in carrying) for d in session.scalars(statement.order_by(Device.id))]


def _learn(device: Device, facts: DeviceFacts) -> None:
    """What the device says of itself replaces what it said before; what a person registered is only
    filled in where it was blank (the register stays the record of what was bought)."""
    for name in ("sys_descr", "sys_object_id", "firmware", "os_version", "manufactured_on"):
        value = getattr(facts, name)
        if value is not None:
            setattr(device, name, _fit(name, value))
    for name in ("vendor", "model", "category", "serial"):
        if getattr(device, name) is None and getattr(facts, name) is not None:
            setattr(device, name, _fit(name, getattr(facts, name)))
    if device.hostname is None and facts.sys_name:
        device.hostname = _fit("hostname", facts.sys_name)


def _fit(column: str, value: Any) -> Any:
    """Text a device sent, cut to its column's length: PostgreSQL refuses longer text, and one
    agent's 10 kB serial number must not fail the poll of everyone stored with it."""
    length = getattr(Device.__table__.c[column].type, "length", None)
    return value[: length - 1] + "…" if isinstance(value, str) and length and len(value) > length else value


IN_CHUNK = 5000  # SQLite takes at most 32,766 parameters in a statement, PostgreSQL 65,535


def _in_chunks(session: Session, model: Any, column: Any, keys: Sequence[Any]) -> list[Any]:
    """Rows whose `column` is one of `keys`, however many keys there are."""
    found: list[Any] = []
    for start in range(0, len(keys), IN_CHUNK):
        found.extend(session.scalars(select(model).where(column.in_(keys[start : start + IN_CHUNK]))))
    return found


class _Addresses:
    """The devices a scan's addresses and serials may belong to."""

    def __init__(self, session: Session, observations: Sequence[HostObservation]) -> None:
        addresses = [o.address for o in observations]
        serials = [o.facts.serial for o in observations if o.facts and o.facts.serial]
        self.by_ip: dict[str, list[Device]] = {}
        for device in _in_chunks(session, Device, Device.ip, addresses):
            self.by_ip.setdefault(device.ip or "", []).append(device)
        self.by_serial = {fold(d.serial or ""): d for d in _in_chunks(session, Device, Device.serial, serials)}

    def match(self, observation: HostObservation, unit: Unit | None, notes: list[str]) -> Device | None:
        found = self.by_ip.get(observation.address, [])
        if unit is not None:
            in_unit = [d for d in found if d.unit_id == unit.id]
            found = in_unit or found
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            notes.append(
                f"{observation.address} is the address of {len(found)} devices in different units; "
                "scan with --unit to say which"
            )
            return None
        serial = observation.facts.serial if observation.facts else None
        moved = self.by_serial.get(fold(serial)) if serial else None
        if moved is not None:
            notes.append(f"serial {serial} moved from {moved.ip} to {observation.address}")
            moved.ip = observation.address
        return moved


def apply_observations(
    session: Session,
    observations: Sequence[HostObservation],
    run_id: int | None,
    *,
    unit_code: str | None = None,
    discovering: bool = False,
) -> ObservationCounts:
    """Store what a scan or poll saw: update devices, add the ones a scan found, one DevicePoll each."""
    unit = (
        session.scalars(select(Unit).where(func.lower(Unit.code) == unit_code.lower())).first() if unit_code else None
    )
    wanted = [o.device_id for o in observations if o.device_id is not None]
    by_id = {d.id: d for d in _in_chunks(session, Device, Device.id, wanted)}
    scanned = _Addresses(session, [o for o in observations if o.device_id is None]) if discovering else None
    notes: list[str] = []
    new = updated = reboots = unassigned = 0
    polled: list[tuple[Device, HostObservation, bool]] = []
    for observation in observations:
        device = by_id.get(observation.device_id) if observation.device_id is not None else None
        if device is None and scanned is not None:
            device = scanned.match(observation, unit, notes)
        if device is None:
            if not (discovering and observation.reachable):
                continue
            device = Device(
                unit_id=unit.id if unit else None, ip=observation.address, registered=False, status=DeviceStatus.ACTIVE
            )
            session.add(device)
            new += 1
            unassigned += unit is None
        else:
            updated += 1
        came_up = rebooted(device.uptime_s, device.uptime_at, observation.uptime_s, observation.at)
        reboots += came_up is not None
        device.reachable = observation.reachable
        device.rtt_ms = observation.rtt_ms if observation.alive else None
        if observation.reachable:
            device.last_seen = observation.at
            device.first_seen = device.first_seen or observation.at
        if observation.uptime_s is not None:
            device.uptime_s, device.uptime_at = observation.uptime_s, observation.at
        if observation.snmp_ok:
            device.snmp_credential = observation.credential
            device.snmp_version = device.snmp_version or observation.snmp_version
            if observation.snmp_port and observation.snmp_port != 161:
                device.snmp_port = observation.snmp_port
        if observation.facts is not None:
            _learn(device, observation.facts)
        polled.append((device, observation, came_up is not None))
    session.flush()
    session.add_all(
        DevicePoll(
            device_id=device.id,
            run_id=run_id,
            polled_at=o.at,
            reachable=o.reachable,
            rtt_ms=o.rtt_ms,
            snmp_ok=o.snmp_ok if (o.snmp_ok or o.snmp_error) else None,
            uptime_s=o.uptime_s,
            rebooted=came_back,
            error=o.snmp_error,
        )
        for device, o, came_back in polled
    )
    for device, observation, _ in polled:
        if observation.interfaces is not None:
            _store_interfaces(session, device, observation.interfaces, notes)
    _tie_links(session)
    session.flush()
    return ObservationCounts(new=new, updated=updated, reboots=reboots, unassigned=unassigned, notes=tuple(notes))


def _store_interfaces(session: Session, device: Device, found: Sequence[InterfaceFacts], notes: list[str]) -> None:
    """Replace the device's interfaces with what IF-MIB says now, and point its links at theirs."""
    known = {i.if_index: i for i in session.scalars(select(Interface).where(Interface.device_id == device.id))}
    for facts in found:
        row = known.pop(facts.if_index, None) or Interface(device_id=device.id, if_index=facts.if_index)
        for name in ("name", "descr", "alias", "if_type", "speed_mbps", "admin_up", "oper_up"):
            setattr(row, name, getattr(facts, name))
        session.add(row)
    for gone in known.values():
        session.delete(gone)
    for link in session.scalars(select(Link).where(Link.device_id == device.id)):
        chosen = find_interface(link.interface, found)
        if chosen is None and link.interface:
            names = ", ".join(i.name or i.descr or str(i.if_index) for i in found[:12])
            notes.append(
                f'link "{link.name}": the register names interface "{link.interface}", which '
                f"{device.hostname or device.ip} does not have (it has {names}…)"
            )
        link.if_index = chosen.if_index if chosen else None


def _tie_links(session: Session) -> None:
    """Links the register tied to a device that did not exist yet: tie them once it does."""
    loose = list(session.scalars(select(Link).where(Link.device_id.is_(None), Link.device_ref.is_not(None))))
    devices = _UnitDevices(session)
    for link in loose:
        device = devices.find(link.unit_id, link.device_ref or "")
        if device is not None:
            link.device_id = device.id


# ---------------------------------------------------------------- link samples


def _poll_target(d: Device, carries_link: bool) -> PollTarget:
    return PollTarget(
        device_id=d.id,
        address=d.ip or "",
        snmp_version=d.snmp_version,
        snmp_port=d.snmp_port,
        snmp_community=d.snmp_community,
        snmp_profile=d.snmp_profile,
        snmp_credential=d.snmp_credential,
        identified=d.sys_object_id is not None,
        uptime_s=d.uptime_s,
        uptime_at=d.uptime_at,
        carries_link=carries_link,
    )


def link_targets(
    session: Session, unit_code: str | None = None, group: str | None = None, link_ids: Sequence[int] | None = None
) -> list[LinkTarget]:
    """The links to sample (of a unit, a group, the given ids, or all), each with its router and
    the last sample that has counters."""
    statement = (
        select(Link).join(Unit, Link.unit_id == Unit.id).options(selectinload(Link.unit), selectinload(Link.device))
    )
    if unit_code is not None:
        statement = statement.where(func.lower(Unit.code) == unit_code.lower())
    if group is not None:
        statement = statement.where(Unit.poller_group == group)
    latest = select(func.max(LinkSample.id)).where(LinkSample.in_octets.is_not(None)).group_by(LinkSample.link_id)
    previous: dict[int, LinkSample] = {}
    if link_ids is None:
        links = list(session.scalars(statement.order_by(Link.id)))
        chosen = [latest]
    else:
        chunks = [link_ids[start : start + IN_CHUNK] for start in range(0, len(link_ids), IN_CHUNK)]
        links = [link for chunk in chunks for link in session.scalars(statement.where(Link.id.in_(chunk)))]
        links.sort(key=lambda link: link.id)
        chosen = [latest.where(LinkSample.link_id.in_(chunk)) for chunk in chunks]
    for query in chosen:
        for sample in session.scalars(select(LinkSample).where(LinkSample.id.in_(query.scalar_subquery()))):
            previous[sample.link_id] = sample
    found = []
    for link in links:
        last = previous.get(link.id)
        found.append(
            LinkTarget(
                link_id=link.id,
                name=link.name,
                unit_code=link.unit.code,
                device=_poll_target(link.device, True) if link.device and link.device.ip else None,
                interface=link.interface,
                if_index=link.if_index,
                far_end_ip=link.far_end_ip,
                capacity_down_mbps=link.capacity_down_mbps,
                capacity_up_mbps=link.capacity_up_mbps,
                previous=CounterSample(
                    at=last.sampled_at,
                    in_octets=last.in_octets,
                    out_octets=last.out_octets,
                    counter_bits=last.counter_bits,
                    if_index=last.if_index,
                    uptime_s=last.uptime_s,
                )
                if last
                else None,
            )
        )
    return found


def store_link_samples(
    session: Session,
    samples: Sequence[tuple[LinkObservation, Interval | None]],
    run_id: int | None,
    simulated: bool = False,
) -> None:
    """One LinkSample per observation: raw counters, the interval's rates (or why unknown), ICMP."""
    for observation, interval in samples:
        counters = observation.counters
        session.add(
            LinkSample(
                link_id=observation.link_id,
                run_id=run_id,
                sampled_at=counters.at if counters else utcnow(),
                if_index=counters.if_index if counters else None,
                counter_bits=counters.counter_bits if counters else None,
                in_octets=counters.in_octets if counters else None,
                out_octets=counters.out_octets if counters else None,
                uptime_s=counters.uptime_s if counters else None,
                interval_s=interval.seconds if interval and interval.unknown != "first_sample" else None,
                started_at=interval.start if interval and interval.unknown != "first_sample" else None,
                in_bps=interval.in_bps if interval else None,
                out_bps=interval.out_bps if interval else None,
                unknown_reason=(interval.unknown if interval else "no_counters"),
                rtt_avg_ms=observation.rtt_avg_ms,
                rtt_max_ms=observation.rtt_max_ms,
                loss_pct=observation.loss_pct,
                simulated=simulated,
            )
        )
        if observation.resolved_if_index is not None:
            link = session.get(Link, observation.link_id)
            if link is not None:
                link.if_index = observation.resolved_if_index
    session.flush()


def link_history(
    session: Session, link_ids: Sequence[int], since: dt.datetime
) -> dict[int, tuple[list[Interval], list[PingSample]]]:
    """The samples of these links since `since`, oldest first, by link: as the intervals they close
    (first samples, failed reads and hourly roll-ups close none) and as pings."""
    found: dict[int, tuple[list[Interval], list[PingSample]]] = {i: ([], []) for i in link_ids}
    for start in range(0, len(link_ids), IN_CHUNK):
        chunk = link_ids[start : start + IN_CHUNK]
        for s in session.scalars(
            select(LinkSample)
            .where(LinkSample.link_id.in_(chunk), LinkSample.sampled_at > since)
            .order_by(LinkSample.link_id, LinkSample.sampled_at)
        ):
            intervals, pings = found[s.link_id]
            if s.unknown_reason not in NOT_INTERVALS:
                intervals.append(
                    Interval(s.started_at or s.sampled_at, s.sampled_at, s.in_bps, s.out_bps, s.unknown_reason)
                )
            pings.append(PingSample(s.sampled_at, s.rtt_avg_ms, s.rtt_max_ms, s.loss_pct))
    return found


NOT_INTERVALS = ("first_sample", "no_counters", HOURLY)  # samples that are not a 5-minute interval


SQLITE_WINDOW_LINKS = 250  # a few links: found through the (link_id, sampled_at) index, 250 at a time
SQLITE_SCAN_FROM = 1000  # many links: one pass over the table in its own order, no index hops


def _sqlite_window_stats(
    session: Session, link_ids: Sequence[int], since: dt.datetime, now: dt.datetime, percentile: float
) -> dict[int, WindowStats]:
    """SQLite's half of link_window_stats: the window filtered by the database, the numbers ranked
    here.  Through the driver's own cursor, numbers kept in arrays of doubles: a week of a
    country's samples is 8 million rows, and a row object each would cost more than the ranking."""
    as_text = LinkSample.__table__.c.sampled_at.type.bind_processor(session.get_bind().dialect)
    assert as_text is not None
    since_text, now_text = as_text(since), as_text(now)
    cursor: Any = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    interval = "(unknown_reason IS NULL OR unknown_reason NOT IN (?, ?, ?)) AND started_at >= ?"
    known = "unknown_reason IS NULL AND in_bps IS NOT NULL AND out_bps IS NOT NULL AND started_at >= ?"
    columns = (
        f"SELECT link_id, CASE WHEN {interval} THEN 1 ELSE 0 END, CASE WHEN {known} THEN in_bps END, "
        f"CASE WHEN {known} THEN out_bps END, loss_pct, rtt_avg_ms, rtt_max_ms FROM link_sample "
    )
    head = [*NOT_INTERVALS, since_text, since_text, since_text]
    if len(link_ids) >= SQLITE_SCAN_FROM:
        # The whole table in its own order; `+link_id` keeps SQLite off the index, whose order
        # would cost a random read per row.  A worker given a share of the links reads its range.
        queries = [
            (
                columns + "WHERE +link_id BETWEEN ? AND ? AND sampled_at > ? AND sampled_at <= ?",
                [*head, min(link_ids), max(link_ids), since_text, now_text],
                link_ids,
            )
        ]
    else:
        queries = [
            (
                columns + f"WHERE link_id IN ({', '.join('?' * len(chunk))}) AND sampled_at > ? AND sampled_at <= ?",
                [*head, *chunk, since_text, now_text],
                chunk,
            )
            for chunk in (
                list(link_ids[start : start + SQLITE_WINDOW_LINKS])
                for start in range(0, len(link_ids), SQLITE_WINDOW_LINKS)
            )
        ]
    found: dict[int, WindowStats] = {}
    for sql, parameters, chosen in queries:
        # Per link: intervals counted, then the numbers; a link's arrays are made up front, so the
        # loop over millions of rows does one lookup and the appends, nothing else.
        numbers = {link_id: ([0], array("d"), array("d"), array("d"), array("d"), array("d")) for link_id in chosen}
        cursor.execute(sql, parameters)
        for link_id, interval_here, in_bps, out_bps, loss, rtt, rtt_max in cursor:
            kept = numbers.get(link_id)
            if kept is None:
                continue
            if interval_here:
                kept[0][0] += 1
            if in_bps is not None:
                kept[1].append(in_bps)
                kept[2].append(out_bps)
            if loss is not None:
                kept[3].append(loss)
            if rtt is not None:
                kept[4].append(rtt)
            if rtt_max is not None:
                kept[5].append(rtt_max)
        for link_id, (counted, ins, outs, losses, rtts, maxes) in numbers.items():
            found[link_id] = summarise(counted[0], ins, outs, losses, rtts, maxes, percentile)
    cursor.close()
    return found


def link_window_stats(
    session: Session, link_ids: Sequence[int], since: dt.datetime, now: dt.datetime, percentile: float
) -> dict[int, WindowStats]:
    """Each link's window statistics over (since, now], all hours, without loading its samples.

    PostgreSQL ranks in SQL (`percentile_disc`, which is the nearest-rank percentile); SQLite has
    no percentile, so it filters the window in SQL and hands back only the numbers, ranked here.
    Either way the result equals links.congestion.window_stats over the same samples.
    """
    empty = summarise(0, [], [], [], [], [], percentile)
    if session.get_bind().dialect.name != "postgresql":
        return _sqlite_window_stats(session, link_ids, since, now, percentile) if link_ids else {}
    s = LinkSample
    interval = (s.unknown_reason.is_(None) | s.unknown_reason.not_in(NOT_INTERVALS)) & (s.started_at >= since)
    known = interval & s.unknown_reason.is_(None) & s.in_bps.is_not(None) & s.out_bps.is_not(None)
    frac = percentile / 100  # ceil(frac × n) in double precision, as nearest_rank computes it
    found: dict[int, WindowStats] = {}
    for start in range(0, len(link_ids), IN_CHUNK):
        where = (s.link_id.in_(link_ids[start : start + IN_CHUNK]), s.sampled_at > since, s.sampled_at <= now)
        rows = session.execute(
            select(
                s.link_id,
                func.count().filter(interval),
                func.count().filter(known),
                func.percentile_disc(frac).within_group(s.in_bps).filter(known),
                func.percentile_disc(frac).within_group(s.out_bps).filter(known),
                func.max(s.in_bps).filter(known),
                func.max(s.out_bps).filter(known),
                func.avg(s.loss_pct),
                func.percentile_disc(frac).within_group(s.rtt_avg_ms),
                func.max(s.rtt_max_ms),
            )
            .where(*where)
            .group_by(s.link_id)
        )
        for link_id, intervals, samples, p_in, p_out, max_in, max_out, loss, rtt_p, rtt_max in rows:
            found[link_id] = WindowStats(
                intervals,
                samples,
                p_in,
                p_out,
                max_in,
                max_out,
                round(loss, 2) if loss is not None else None,
                rtt_p,
                rtt_max,
            )
    return {link_id: found.get(link_id, empty) for link_id in link_ids}


# ---------------------------------------------------------------- retention


def link_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Link.id).order_by(Link.id)))


def oldest_raw_sample(session: Session, links: Sequence[int]) -> dt.datetime | None:
    """When the oldest 5-minute sample (not yet rolled up) of these links was taken."""
    return session.scalar(
        select(func.min(LinkSample.sampled_at)).where(LinkSample.link_id.in_(links), LinkSample.samples.is_(None))
    )


def roll_up_link_samples(
    session: Session, links: Sequence[int], start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    """Replace these links' 5-minute samples taken in [start, end) (whole hours) by one row per link
    and hour; (samples removed, hourly rows added).  Call it in one transaction: both or neither.
    By link, then time: the (link_id, sampled_at) index finds the rows without reading the table."""
    s = LinkSample
    found = session.execute(
        select(
            s.id,
            s.link_id,
            s.sampled_at,
            s.started_at,
            s.interval_s,
            s.in_bps,
            s.out_bps,
            s.unknown_reason,
            s.rtt_avg_ms,
            s.rtt_max_ms,
            s.loss_pct,
        ).where(s.link_id.in_(links), s.sampled_at >= start, s.sampled_at < end, s.samples.is_(None))
    ).all()
    hours = hourly(
        RawSample(
            r.link_id,
            r.sampled_at,
            r.started_at,
            r.interval_s,
            r.in_bps,
            r.out_bps,
            r.unknown_reason is None and r.in_bps is not None and r.out_bps is not None,
            r.rtt_avg_ms,
            r.rtt_max_ms,
            r.loss_pct,
        )
        for r in found
    )
    ids = [r.id for r in found]
    for chunk in range(0, len(ids), IN_CHUNK):
        session.execute(delete(LinkSample).where(LinkSample.id.in_(ids[chunk : chunk + IN_CHUNK])))
    if hours:
        session.execute(
            insert(LinkSample),
            [
                {
                    "link_id": h.link_id,
                    "sampled_at": h.sampled_at,
                    "started_at": h.started_at,
                    "interval_s": h.known_s,
                    "in_bps": h.in_bps,
                    "out_bps": h.out_bps,
                    "unknown_reason": HOURLY,
                    "rtt_avg_ms": h.rtt_avg_ms,
                    "rtt_max_ms": h.rtt_max_ms,
                    "loss_pct": h.loss_pct,
                    "samples": h.samples,
                    "simulated": False,
                }
                for h in hours
            ],
        )
    return len(ids), len(hours)


def prune_device_polls(session: Session, before: dt.datetime) -> int:
    """Delete the device polls taken before `before`; how many.  Device by device, so the
    (device_id, polled_at) index finds them, not a scan of every poll ever taken."""
    ids = list(session.scalars(select(Device.id)))
    deleted = 0
    for start in range(0, len(ids), IN_CHUNK):
        chosen = ids[start : start + IN_CHUNK]
        result: Any = session.execute(
            delete(DevicePoll).where(DevicePoll.device_id.in_(chosen), DevicePoll.polled_at < before)
        )
        deleted += int(result.rowcount or 0)
    return deleted


# ---------------------------------------------------------------- findings


def device_states(session: Session, now: dt.datetime, ages: AgeSettings, recent_polls: int) -> list[DeviceState]:
    """What the rules need of every active device: age evidence, its last polls, its reboots in 7 days."""
    ranked = select(
        DevicePoll.device_id,
        DevicePoll.reachable,
        func.row_number().over(partition_by=DevicePoll.device_id, order_by=DevicePoll.polled_at.desc()).label("rank"),
    ).subquery()
    recent: dict[int, list[tuple[int, bool]]] = {}
    for device_id, reachable, rank in session.execute(select(ranked).where(ranked.c.rank <= recent_polls)):
        recent.setdefault(device_id, []).append((rank, bool(reachable)))
    reboots = {
        device_id: count
        for device_id, count in session.execute(
            select(DevicePoll.device_id, func.count())
            .where(DevicePoll.rebooted.is_(True), DevicePoll.polled_at > now - dt.timedelta(days=7))
            .group_by(DevicePoll.device_id)
        )
    }
    today = now.date()
    ages_known = age_catalog()
    states = []
    active = select(Device.__table__).where(Device.status == DeviceStatus.ACTIVE).order_by(Device.id)
    for d in session.execute(active):  # rows, not model instances: half the time for 100,000 devices
        polls = [reachable for _, reachable in sorted(recent.get(d.id, []), reverse=True)]  # oldest first
        states.append(
            DeviceState(
                device_id=d.id,
                unit_id=d.unit_id,
                label=d.hostname or d.ip or d.asset_tag or d.serial or f"#{d.id}",
                category=d.category,
                registered=d.registered,
                has_address=d.ip is not None,
                age=device_age(
                    today, d.in_service_on, d.in_service_precision, d.manufactured_on, d.model, d.sys_descr, ages_known
                ),
                threshold_years=ages.threshold(d.category),
                created_at=d.created_at,
                first_seen=d.first_seen,
                last_seen=d.last_seen,
                recent_reachable=tuple(polls),
                reboots_7d=reboots.get(d.id, 0),
            )
        )
    return states


def apply_findings(session: Session, found: Sequence[FindingFact], now: dt.datetime) -> dict[str, int]:
    """Give the rules' findings a life: open the new ones, refresh the ones still true, resolve the rest.

    Written in bulk (one executemany per kind of change, not a model instance per finding): a
    country's audit opens or refreshes some 50,000 findings.
    """
    open_findings = {
        (kind.value, device_id, link_id): finding_id
        for finding_id, kind, device_id, link_id in session.execute(
            select(Finding.id, Finding.kind, Finding.device_id, Finding.link_id).where(Finding.resolved_at.is_(None))
        )
    }
    new: list[dict[str, Any]] = []
    refreshed: list[dict[str, Any]] = []
    for fact in found:
        values = {
            "severity": fact.severity,
            "unit_id": fact.unit_id,
            "subject": fact.subject[:255],
            "evidence": fact.evidence,
            "last_detected": now,
        }
        finding_id = open_findings.pop(fact.key, None)
        if finding_id is None:
            new.append(
                values
                | {"kind": fact.kind, "device_id": fact.device_id, "link_id": fact.link_id, "first_detected": now}
            )
        else:
            refreshed.append(values | {"id": finding_id})
    resolved = [{"id": finding_id, "resolved_at": now} for finding_id in open_findings.values()]  # condition cleared
    for rows, statement in ((new, insert(Finding)), (refreshed, update(Finding)), (resolved, update(Finding))):
        if rows:
            session.execute(statement, rows)
    return {"new": len(new), "still_open": len(refreshed), "resolved": len(resolved)}


def list_findings(
    session: Session, kind: str | None = None, unit_code: str | None = None, include_resolved: bool = False
) -> list[FindingView]:
    statement = select(Finding, Unit.code).outerjoin(Unit, Finding.unit_id == Unit.id)
    if kind:
        statement = statement.where(Finding.kind == FindingKind(kind))
    if unit_code:
        statement = statement.where(func.lower(Unit.code) == unit_code.lower())
    if not include_resolved:
        statement = statement.where(Finding.resolved_at.is_(None))
    return [
        FindingView(
            id=f.id,
            kind=f.kind.value,
            severity=f.severity.value,
            unit_code=code,
            subject=f.subject,
            device_id=f.device_id,
            link_id=f.link_id,
            first_detected=f.first_detected.isoformat(),
            last_detected=f.last_detected.isoformat(),
            resolved_at=_iso(f.resolved_at),
            evidence=f.evidence,
        )
        for f, code in session.execute(statement.order_by(Finding.kind, Unit.code, Finding.subject))
    ]
