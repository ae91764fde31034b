"""Queries and writes on the inventory.  The only module besides models that speaks SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from auditor.db.models import Device, Link, Run, Unit, utcnow
from auditor.domain import RunKind, RunOutcome, fold
from auditor.facts import (
    DeviceRecord,
    DeviceView,
    ImportCounts,
    LinkRecord,
    LinkView,
    ParsedRow,
    RowError,
    UnitRecord,
    UnitView,
)
from auditor.rules.age import device_age


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
    if ref.startswith("name:"):
        return row.reject(
            f'unit "{ref.removeprefix("name:")}" is not in the register; use its code, '
            "or add it on the units sheet (Đơn vị)"
        )
    return row.reject(
        f'unit code "{ref}" is not in the register; add it on the units sheet (Đơn vị) '
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
        self.by_host: dict[tuple[int, str], Device] = {}
        self.by_ip: dict[tuple[int, str], Device] = {}
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


def _find_device(session: Session, unit_id: int, ref: str) -> Device | None:
    folded = fold(ref)
    for device in session.scalars(select(Device).where(Device.unit_id == unit_id)):
        if (device.hostname and fold(device.hostname) == folded) or device.ip == ref.strip():
            return device
    return None


def _apply_links(session: Session, units: _Units, rows: Sequence[ParsedRow], result: ApplyResult) -> None:
    counts = ImportCounts()
    existing = {(link.unit_id, fold(link.name)): link for link in session.scalars(select(Link))}
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
        device = _find_device(session, unit.id, record.device) if record.device else None
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


def device_view(device: Device, today: dt.date) -> DeviceView:
    age = device_age(today, device.in_service_on, device.in_service_precision, device.manufactured_on)
    return DeviceView(
        id=device.id,
        unit_code=device.unit.code,
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
    statement = _unit_filter(select(Device).options(selectinload(Device.unit)), Device, unit_code)
    devices = session.scalars(statement.order_by(Device.unit_id, Device.hostname, Device.ip, Device.id))
    return [device_view(d, today) for d in devices]


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
            far_end_ip=link.far_end_ip,
        )
        for link in session.scalars(statement.order_by(Link.unit_id, Link.name))
    ]


def unit_exists(session: Session, unit_code: str) -> bool:
    return session.scalar(select(func.count()).select_from(Unit).where(func.lower(Unit.code) == unit_code.lower())) == 1
