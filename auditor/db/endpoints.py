"""Endpoints seen through the network, where each was seen, and the links LLDP/CDP report: stored
as the job hands them over (matching and edge ports are rules/endpoints.py's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from auditor.db.common import chunked, in_chunks, unit_is
from auditor.db.models import Device, DevicePoll, Endpoint, EndpointSighting, Finding, NeighbourLink, Unit
from auditor.domain import NETWORK_CATEGORIES, DeviceStatus
from auditor.endpoints import (
    EndpointFacts,
    EndpointView,
    Neighbour,
    NeighbourView,
    RegisteredAddress,
    Sighting,
    SightingView,
    ordered_sources,
    placed,
)


def registered_addresses(session: Session) -> list[RegisteredAddress]:
    """The active devices an endpoint can be matched to (by MAC, address or name): the register's
    first, then those a scan discovered (an endpoint that is one of them is not a second stranger)."""
    rows = session.execute(
        select(Device.id, Device.unit_id, Device.mac, Device.ip, Device.hostname, Device.registered)
        .where(Device.status == DeviceStatus.ACTIVE)
        .order_by(Device.registered.desc(), Device.id)
    )
    return [RegisteredAddress(*row) for row in rows]


def infrastructure_macs(session: Session) -> frozenset[str]:
    """The MACs of the network devices the inventory knows: a port they appear behind is an uplink."""
    found = session.scalars(select(Device.mac).where(Device.category.in_(NETWORK_CATEGORIES), Device.mac.is_not(None)))
    return frozenset(m.lower() for m in found if m)


def devices_at(session: Session, addresses: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    """Address → (device id, unit id) of the devices with those addresses (the first of each)."""
    found: dict[str, tuple[int, int | None]] = {}
    for device in sorted(in_chunks(session, Device, Device.ip, addresses), key=lambda d: d.id):
        found.setdefault(device.ip or "", (device.id, device.unit_id))
    return found


def subnets_at(session: Session, addresses: Sequence[str]) -> dict[str, str | None]:
    """Address → the subnets of the unit of the device at that address (None: none given)."""
    found: dict[str, str | None] = {}
    rows = session.execute(
        select(Device.ip, Unit.subnets).outerjoin(Unit, Device.unit_id == Unit.id).where(Device.ip.in_(addresses))
    )
    for ip, subnets in rows:
        if ip and (found.get(ip) is None):
            found[ip] = subnets
    return found


def units_of(session: Session, device_ids: Iterable[int]) -> dict[int, int | None]:
    return {d.id: d.unit_id for d in in_chunks(session, Device, Device.id, sorted(set(device_ids)))}


def _insert_missing(session: Session, macs: Sequence[str], rows: Mapping[str, dict[str, object]]) -> None:
    """Add the endpoints not stored yet; one stored meanwhile by another run is left to it."""
    if not macs:
        return
    dialect = session.connection().dialect.name
    values = [rows[m] for m in macs]
    if dialect == "postgresql":
        session.execute(postgresql.insert(Endpoint).values(values).on_conflict_do_nothing(index_elements=["mac"]))
    elif dialect == "sqlite":
        session.execute(sqlite.insert(Endpoint).values(values).on_conflict_do_nothing(index_elements=["mac"]))
    else:  # pragma: no cover - the two databases auditor supports are above
        session.add_all(Endpoint(**row) for row in values)
        session.flush()


def _as_sightings(rows: Iterable[EndpointSighting]) -> dict[int, list[Sighting]]:
    """The stored sightings, by endpoint, as the placing rule reads them."""
    found: dict[int, list[Sighting]] = {}
    for row in rows:
        found.setdefault(row.endpoint_id, []).append(
            Sighting("", row.source, row.last_seen, row.seen_on_id, row.ip, row.port, row.vlan)
        )
    return found


def store_endpoints(session: Session, found: Sequence[EndpointFacts], run_id: int | None) -> None:
    """Each endpoint updated (latest address, its place, its match) and its sightings refreshed."""
    if not found:
        return
    macs = [f.mac for f in found]
    stored = {e.mac: e for e in in_chunks(session, Endpoint, Endpoint.mac, macs)}
    fresh = {}
    for facts in found:
        if facts.mac not in stored:
            first = min(s.at for s in facts.sightings)
            fresh[facts.mac] = {
                "mac": facts.mac,
                "mac_kind": facts.mac_kind,
                "first_seen": first,
                "last_seen": first,
            }
    for chunk_start in range(0, len(fresh), 500):
        _insert_missing(session, list(fresh)[chunk_start : chunk_start + 500], fresh)
    if fresh:
        stored |= {e.mac: e for e in in_chunks(session, Endpoint, Endpoint.mac, list(fresh))}
    known: dict[tuple[int, str, int | None, str | None, int | None, str | None], EndpointSighting] = {}
    for row in in_chunks(session, EndpointSighting, EndpointSighting.endpoint_id, [e.id for e in stored.values()]):
        known[(row.endpoint_id, row.source, row.seen_on_id, row.port, row.vlan, row.ip)] = row
    read = {(s.seen_on, s.source) for facts in found for s in facts.sightings if s.seen_on is not None}
    before = _as_sightings(known.values())
    for facts in found:
        endpoint = stored[facts.mac]
        latest = max(s.at for s in facts.sightings)
        endpoint.mac_kind, endpoint.vendor = facts.mac_kind, facts.vendor or endpoint.vendor
        with_ip = [s for s in facts.sightings if s.ip]
        if with_ip:
            endpoint.ip = max(with_ip, key=lambda s: s.at).ip
        place = placed(facts.sightings, before.get(endpoint.id, ()), read)
        if place is not None:
            endpoint.seen_on_id, endpoint.port, endpoint.vlan = place.seen_on, place.port, place.vlan
        named = [s for s in facts.sightings if s.source == "netbios" and s.name]
        if named:
            endpoint.netbios_name, endpoint.netbios_group = named[-1].name, named[-1].group
        if facts.device_id is not None:
            endpoint.device_id, endpoint.matched_by = facts.device_id, facts.matched_by
        endpoint.unit_id = facts.unit_id if facts.unit_id is not None else endpoint.unit_id
        endpoint.last_seen = max(endpoint.last_seen, latest)
        for sighting in facts.sightings:
            key = (endpoint.id, sighting.source, sighting.seen_on, sighting.port, sighting.vlan, sighting.ip)
            row = known.get(key)
            if row is None:
                row = known[key] = EndpointSighting(
                    endpoint_id=endpoint.id,
                    source=sighting.source,
                    seen_on_id=sighting.seen_on,
                    port=sighting.port,
                    vlan=sighting.vlan,
                    ip=sighting.ip,
                    first_seen=sighting.at,
                    last_seen=sighting.at,
                )
                session.add(row)
            row.last_seen, row.run_id = max(row.last_seen, sighting.at), run_id
    session.flush()


def _joined(answered: str | None, sources: set[str]) -> str:
    """ "icmp,snmp" and {"arp"} as "icmp,snmp,arp": what answered, then the tables, in the one order."""
    return ",".join(ordered_sources({*(answered or "").split(","), *sources}))


def mark_seen(session: Session, seen: Mapping[int, tuple[set[str], dt.datetime]], run_id: int | None) -> None:
    """Registered devices a table saw: seen (last_seen), and the run's poll of each says by which
    tables; a device this run did not poll gets a poll row of its own that says so."""
    if not seen:
        return
    ids = sorted(seen)
    polled: dict[int, DevicePoll] = {}
    if run_id is not None:  # this run's polls only, not every poll these devices ever had
        for chunk in chunked(ids):
            rows = session.scalars(
                select(DevicePoll).where(DevicePoll.run_id == run_id, DevicePoll.device_id.in_(chunk))
            )
            polled.update((p.device_id, p) for p in rows)
    for device in in_chunks(session, Device, Device.id, ids):
        sources, at = seen[device.id]
        via = ",".join(ordered_sources(sources))
        device.last_seen = max(device.last_seen, at) if device.last_seen else at
        device.first_seen = device.first_seen or at
        row = polled.get(device.id)
        if row is not None:  # polled in this run too: what answered, and the tables
            row.seen_via = _joined(row.seen_via, sources)
            device.seen_via = _joined(device.seen_via, sources)
        else:
            device.seen_via = via
            session.add(DevicePoll(device_id=device.id, run_id=run_id, polled_at=at, reachable=False, seen_via=via))
    session.flush()


def store_neighbours(
    session: Session, device_id: int, found: Sequence[Neighbour], known: Mapping[str, int], now: dt.datetime
) -> None:
    """A device's LLDP/CDP links as it reports them now (a link it no longer reports keeps its last
    time); `known` names the network devices by address and lower-case hostname."""
    rows = {
        (n.protocol, n.local_port, n.remote_chassis or n.remote_name, n.remote_port): n
        for n in session.scalars(select(NeighbourLink).where(NeighbourLink.device_id == device_id))
    }
    for neighbour in found:
        key = (neighbour.protocol, neighbour.local_port, neighbour.chassis or neighbour.name, neighbour.port)
        row = rows.get(key)
        if row is None:
            row = rows[key] = NeighbourLink(
                device_id=device_id,
                protocol=neighbour.protocol,
                local_port=(neighbour.local_port or "")[:64] or None,
                remote_chassis=(neighbour.chassis or "")[:255] or None,
                remote_name=(neighbour.name or "")[:255] or None,
                remote_port=(neighbour.port or "")[:255] or None,
                first_seen=now,
            )
            session.add(row)
        row.if_index = neighbour.if_index
        row.remote_address = neighbour.address
        row.remote_platform = neighbour.platform
        name = (neighbour.name or "").split(".")[0].casefold()
        row.remote_device_id = known.get(neighbour.address or "") or known.get(name) or row.remote_device_id
        row.last_seen = now


def network_devices(session: Session) -> dict[str, int]:
    """The network devices by address and by lower-case short hostname, for naming neighbours."""
    found: dict[str, int] = {}
    rows = session.execute(select(Device.id, Device.ip, Device.hostname).where(Device.category.in_(NETWORK_CATEGORIES)))
    for device_id, ip, hostname in rows:
        if ip:
            found.setdefault(ip, device_id)
        if hostname:
            found.setdefault(hostname.split(".")[0].casefold(), device_id)
    return found


def list_endpoints(session: Session, unit_code: str | None = None, unregistered: bool = False) -> list[EndpointView]:
    """Every endpoint (of a unit), with the switch or router it was seen on and every source."""
    seen_on = aliased(Device)
    statement = (
        select(Endpoint, seen_on.hostname, seen_on.ip, Unit.code)
        .outerjoin(seen_on, Endpoint.seen_on_id == seen_on.id)
        .outerjoin(Unit, Endpoint.unit_id == Unit.id)
        .order_by(Unit.code, Endpoint.ip, Endpoint.mac)
    )
    if unit_code is not None:
        statement = statement.where(unit_is(unit_code))
    if unregistered:
        statement = statement.where(Endpoint.device_id.is_(None))
    rows = session.execute(statement).all()
    sources: dict[int, set[str]] = {}
    for endpoint_id, source in session.execute(
        select(EndpointSighting.endpoint_id, EndpointSighting.source).distinct()
    ):
        sources.setdefault(endpoint_id, set()).add(source)
    return [
        EndpointView(
            endpoint_id=e.id,
            mac=e.mac,
            ip=e.ip,
            vendor=e.vendor,
            mac_kind=e.mac_kind,
            netbios_name=e.netbios_name,
            seen_on=hostname or ip,
            port=e.port,
            vlan=e.vlan,
            sources=ordered_sources(sources.get(e.id, ())),
            first_seen=e.first_seen,
            last_seen=e.last_seen,
            device_id=e.device_id,
            unit=code,
            unit_id=e.unit_id,
        )
        for e, hostname, ip, code in rows
    ]


def seen_by(session: Session) -> dict[int, dict[str, dt.datetime]]:
    """Registered device id → the last time each table source saw it (the audit's evidence)."""
    found: dict[int, dict[str, dt.datetime]] = {}
    rows = session.execute(
        select(Endpoint.device_id, EndpointSighting.source, func.max(EndpointSighting.last_seen))
        .join(EndpointSighting, EndpointSighting.endpoint_id == Endpoint.id)
        .where(Endpoint.device_id.is_not(None))
        .group_by(Endpoint.device_id, EndpointSighting.source)
    )
    for device_id, source, last in rows:
        if device_id is not None:
            found.setdefault(device_id, {})[source] = last
    return found


def sources_by_unit(session: Session) -> dict[int | None, set[str]]:
    """Unit id → the table sources that have seen endpoints there: what the audit looked at."""
    found: dict[int | None, set[str]] = {}
    rows = session.execute(
        select(Endpoint.unit_id, EndpointSighting.source)
        .join(EndpointSighting, EndpointSighting.endpoint_id == Endpoint.id)
        .distinct()
    )
    for unit_id, source in rows:
        found.setdefault(unit_id, set()).add(source)
    return found


def sightings_of(session: Session, device_id: int) -> list[SightingView]:
    """Every table that saw the device (through the endpoints matched to it), newest first."""
    seen_on = aliased(Device)
    rows = session.execute(
        select(EndpointSighting, Endpoint.mac, seen_on.hostname, seen_on.ip)
        .join(Endpoint, EndpointSighting.endpoint_id == Endpoint.id)
        .outerjoin(seen_on, EndpointSighting.seen_on_id == seen_on.id)
        .where(Endpoint.device_id == device_id)
        .order_by(EndpointSighting.last_seen.desc(), EndpointSighting.id)
    )
    return [
        SightingView(s.source, mac, s.ip, hostname or ip, s.port, s.vlan, s.first_seen, s.last_seen)
        for s, mac, hostname, ip in rows
    ]


def neighbours_of(session: Session, device_id: int) -> list[NeighbourView]:
    """The links LLDP/CDP report on the device's ports, by port; then those its neighbours report
    to it that it does not report itself (a PC or an old switch that speaks no LLDP)."""
    own = list(
        session.scalars(
            select(NeighbourLink)
            .where(NeighbourLink.device_id == device_id)
            .order_by(NeighbourLink.if_index, NeighbourLink.id)
        )
    )
    views = [
        NeighbourView(
            n.protocol,
            n.local_port,
            n.remote_name,
            n.remote_port,
            n.remote_address,
            n.remote_device_id,
            n.remote_platform,
            n.last_seen,
        )
        for n in own
    ]
    known = {n.remote_device_id for n in own if n.remote_device_id is not None}
    reporter = aliased(Device)
    theirs = session.execute(
        select(NeighbourLink, reporter.hostname, reporter.ip, reporter.model)
        .join(reporter, NeighbourLink.device_id == reporter.id)
        .where(NeighbourLink.remote_device_id == device_id, NeighbourLink.device_id != device_id)
        .order_by(reporter.hostname, NeighbourLink.id)
    )
    for n, hostname, ip, model in theirs:
        if n.device_id in known:
            continue
        name = hostname or ip or f"#{n.device_id}"
        views.append(
            NeighbourView(n.protocol, n.remote_port, name, n.local_port, ip, n.device_id, model, n.last_seen, name)
        )
    return views


def prune_endpoints(session: Session, before: dt.datetime, now: dt.datetime) -> tuple[int, int]:
    """Delete the sightings last seen before `before`, then the endpoints with none left; their
    open findings are resolved at `now` first and kept, with their evidence (a finding's history
    is never deleted).  (sightings, endpoints) deleted."""
    sightings: Any = session.execute(delete(EndpointSighting).where(EndpointSighting.last_seen < before))
    alive = select(EndpointSighting.endpoint_id).distinct()
    gone = select(Endpoint.id).where(Endpoint.last_seen < before, Endpoint.id.not_in(alive))
    session.execute(
        update(Finding).where(Finding.endpoint_id.in_(gone), Finding.resolved_at.is_(None)).values(resolved_at=now)
    )
    endpoints: Any = session.execute(delete(Endpoint).where(Endpoint.id.in_(gone)))
    return int(sightings.rowcount or 0), int(endpoints.rowcount or 0)
