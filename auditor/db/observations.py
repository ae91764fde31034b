"""Observations: what scans and polls saw of devices, stored on the devices, their polls and their
interfaces.  What the observation means (a reboot, the interface a link runs on) the job has judged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, inspect, select
from sqlalchemy.orm import Session

from auditor.db.common import DEFAULT_GROUP, fit, in_chunks, unit_is
from auditor.db.history import EVIDENCE
from auditor.db.models import Device, DevicePoll, Interface, Link, Unit
from auditor.db.register import tie_links
from auditor.domain import DeviceStatus, fold, serial_key, vendor_key
from auditor.facts import DeviceFacts, HostObservation, InterfaceFacts, LinkPort, ObservationCounts, PollTarget


def poll_target(d: Device, links: Sequence[LinkPort] = (), carries_link: bool = False) -> PollTarget:
    return PollTarget(
        device_id=d.id,
        address=d.ip or "",
        hostname=d.hostname,
        snmp_version=d.snmp_version,
        snmp_port=d.snmp_port,
        snmp_community=d.snmp_community,
        snmp_profile=d.snmp_profile,
        snmp_credential=d.snmp_credential,
        identified=d.sys_object_id is not None,
        uptime_s=d.uptime_s,
        uptime_at=d.uptime_at,
        carries_link=carries_link or bool(links),
        links=tuple(links),
        category=d.category,
    )


def poll_targets(
    session: Session, unit_code: str | None = None, group: str | None = None, device_ids: Sequence[int] | None = None
) -> list[PollTarget]:
    """The active devices with an address, of one unit, one poller group (devices with no unit are
    in the default group), the given ids, or all; each with the links it carries."""
    statement = select(Device).where(Device.ip.is_not(None), Device.status == DeviceStatus.ACTIVE)
    if unit_code is not None or group is not None:
        statement = statement.outerjoin(Unit, Device.unit_id == Unit.id)
        if unit_code is not None:
            statement = statement.where(unit_is(unit_code))
        if group is not None:
            statement = statement.where(func.coalesce(Unit.poller_group, DEFAULT_GROUP) == group)
    carried: dict[int, list[LinkPort]] = {}
    for link_id, device_id, name, interface in session.execute(
        select(Link.id, Link.device_id, Link.name, Link.interface).where(Link.device_id.is_not(None)).order_by(Link.id)
    ):
        if device_id is not None:
            carried.setdefault(device_id, []).append(LinkPort(link_id, name, interface))
    if device_ids is not None:
        found = in_chunks(session, Device, Device.id, device_ids)
        chosen = sorted((d for d in found if d.ip and d.status == DeviceStatus.ACTIVE), key=lambda d: d.id)
    else:
        chosen = list(session.scalars(statement.order_by(Device.id)))
    return [poll_target(d, carried.get(d.id, ())) for d in chosen]


class _Serials:
    """The serials devices hold, so that what a device reports (its serial, or the vendor that makes
    its serial another key) is copied only if no other device holds that key: an agent that lies,
    or two that were cloned, must not fail everyone's poll."""

    def __init__(self, session: Session, serials: Sequence[str]) -> None:
        self.holder: dict[str, Device] = {}
        if not serials:
            return
        # The keys these serials may have under any vendor the register knows: one indexed lookup
        # that finds "SN-3" for "sn 3" as the unique index would.
        vendors = {vendor_key(v) for v in session.scalars(select(Device.vendor).distinct())} | {""}
        keys = list({f"{v}:{folded}" for s in serials if (folded := fold(s)) for v in vendors})
        for device in in_chunks(session, Device, Device.serial_key, keys):
            self.holder.setdefault(device.serial_key, device)

    def claim(self, device: Device, vendor: str | None, serial: str | None, notes: list[str]) -> bool:
        """Whether `device` may hold (vendor, serial); if so it is held for it from now on."""
        key = serial_key(vendor, serial)
        holder = self.holder.setdefault(key, device) if key else device
        if holder is not device:
            whose = f"device id {holder.id}'s" if holder.id is not None else "a device's found in this same run"
            notes.append(
                f"{device.ip} reports {vendor or ''} serial {serial}, which is {whose} "
                f"({holder.hostname or holder.ip}); not copied: check both devices"
            )
        return holder is device


def _serials_in_question(observations: Sequence[HostObservation], by_id: dict[int, Device]) -> list[str]:
    """The serials whose holders a poll must know: those reported, and those of devices about to
    learn their vendor.  (A routine poll of devices that know both asks for none.)"""
    found = []
    for o in observations:
        device = by_id.get(o.device_id) if o.device_id is not None else None
        if o.facts is None or (device is not None and device.serial and device.vendor):
            continue
        if o.facts.serial:
            found.append(fit("serial", o.facts.serial))
        if device is not None and device.serial and o.facts.vendor:
            found.append(device.serial)
    return found


def _learn(device: Device, facts: DeviceFacts, serials: _Serials, notes: list[str]) -> None:
    """What the device says of itself replaces what it said before; what a person registered is only
    filled in where it was blank (the register stays the record of what was bought).  Where each
    value came from goes with the change into the device's history (history.EVIDENCE)."""
    inspect(device).info[EVIDENCE] = dict(facts.sources)
    for name in ("sys_descr", "sys_object_id", "firmware", "os_version", "manufactured_on"):
        value = getattr(facts, name)
        if value is not None:
            setattr(device, name, fit(name, value))
    for name in ("model", "category"):
        if getattr(device, name) is None and getattr(facts, name) is not None:
            setattr(device, name, fit(name, getattr(facts, name)))
    vendor = device.vendor or (fit("vendor", facts.vendor) if facts.vendor else None)
    serial = device.serial or (fit("serial", facts.serial) if facts.serial else None)
    if (vendor, serial) != (device.vendor, device.serial):
        if serials.claim(device, vendor, serial, notes):
            device.vendor, device.serial = vendor, serial
        elif vendor != device.vendor and serials.claim(device, vendor, device.serial, []):
            device.vendor = vendor  # the serial is another's; the vendor alone may still be learnt
    if device.hostname is None and facts.sys_name:
        device.hostname = fit("hostname", facts.sys_name)


class _Addresses:
    """The devices a scan's addresses and serials may belong to."""

    def __init__(self, session: Session, observations: Sequence[HostObservation]) -> None:
        addresses = [o.address for o in observations]
        serials = [o.facts.serial for o in observations if o.facts and o.facts.serial]
        self.by_ip: dict[str, list[Device]] = {}
        for device in in_chunks(session, Device, Device.ip, addresses):
            self.by_ip.setdefault(device.ip or "", []).append(device)
        self.by_serial = {fold(d.serial or ""): d for d in in_chunks(session, Device, Device.serial, serials)}

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


def _observe(
    device: Device, observation: HostObservation, now: dt.datetime, serials: _Serials, notes: list[str]
) -> None:
    """What one observation says of a device, written on it."""
    device.reachable = observation.reachable
    device.seen_via = _answered(observation)
    device.rtt_ms = observation.rtt_ms if observation.alive else None
    device.updated_at = now
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
        _learn(device, observation.facts, serials, notes)


def apply_observations(
    session: Session,
    observations: Sequence[HostObservation],
    run_id: int | None,
    now: dt.datetime,
    *,
    unit_code: str | None = None,
    discovering: bool = False,
) -> ObservationCounts:
    """Store what a scan or poll saw: update devices, add the ones a scan found, one DevicePoll each."""
    unit = session.scalars(select(Unit).where(unit_is(unit_code))).first() if unit_code else None
    wanted = [o.device_id for o in observations if o.device_id is not None]
    by_id = {d.id: d for d in in_chunks(session, Device, Device.id, wanted)}
    scanned = _Addresses(session, [o for o in observations if o.device_id is None]) if discovering else None
    notes: list[str] = []
    serials = _Serials(session, _serials_in_question(observations, by_id))
    new = updated = unassigned = 0
    polled: list[tuple[Device, HostObservation]] = []
    for observation in observations:
        device = by_id.get(observation.device_id) if observation.device_id is not None else None
        if device is None and scanned is not None:
            device = scanned.match(observation, unit, notes)
        if device is None:
            if not (discovering and observation.reachable):
                continue
            device = Device(
                unit_id=unit.id if unit else None,
                ip=observation.address,
                registered=False,
                status=DeviceStatus.ACTIVE,
                created_at=now,
            )
            session.add(device)
            new += 1
            unassigned += unit is None
        else:
            updated += 1
        _observe(device, observation, now, serials, notes)
        polled.append((device, observation))
    session.flush()
    # One executemany, not an object per poll: a country's poll writes 100,000 of these rows.
    if polled:
        session.execute(insert(DevicePoll), [_poll_row(device, o, run_id) for device, o in polled])
    for device, observation in polled:
        if observation.interfaces is not None:
            _store_interfaces(session, device, observation.interfaces, observation.link_interfaces, now)
    tie_links(session)
    session.flush()
    reboots = sum(1 for _, o in polled if o.rebooted)
    return ObservationCounts(new=new, updated=updated, reboots=reboots, unassigned=unassigned, notes=tuple(notes))


def _answered(o: HostObservation) -> str | None:
    """What answered the poll ("icmp,snmp"), or None."""
    return ",".join(s for s, yes in (("icmp", o.alive), ("snmp", o.snmp_ok)) if yes) or None


def _poll_row(device: Device, o: HostObservation, run_id: int | None) -> dict[str, Any]:
    return {
        "device_id": device.id,
        "run_id": run_id,
        "polled_at": o.at,
        "reachable": o.reachable,
        "rtt_ms": o.rtt_ms,
        "snmp_ok": o.snmp_ok if (o.snmp_ok or o.snmp_error) else None,
        "uptime_s": o.uptime_s,
        "rebooted": bool(o.rebooted),
        "error": o.snmp_error,
        "seen_via": _answered(o),
    }


def _store_interfaces(
    session: Session,
    device: Device,
    found: Sequence[InterfaceFacts],
    links: Sequence[tuple[int, int | None]],
    now: dt.datetime,
) -> None:
    """Replace the device's interfaces with what IF-MIB says now, and point its links at theirs."""
    known = {i.if_index: i for i in session.scalars(select(Interface).where(Interface.device_id == device.id))}
    for facts in found:
        row = known.pop(facts.if_index, None) or Interface(device_id=device.id, if_index=facts.if_index)
        for name in ("name", "descr", "alias", "if_type", "speed_mbps", "admin_up", "oper_up"):
            setattr(row, name, getattr(facts, name))
        row.updated_at = now
        session.add(row)
    for gone in known.values():
        session.delete(gone)
    for link_id, if_index in links:
        link = session.get(Link, link_id)
        if link is not None and link.device_id == device.id:
            link.if_index = if_index
