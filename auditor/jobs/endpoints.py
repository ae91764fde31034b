"""The endpoints behind the routers and switches a scan or poll read: their sightings (edge ports
only), their makers, the registered device each one is, stored in the run's own transaction; and
`auditor endpoints list`."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.catalogs import mac_registry
from auditor.db import endpoints as stored
from auditor.db import register
from auditor.db.engine import Database
from auditor.discovery import netbios
from auditor.endpoints import EndpointFacts, EndpointView, Sighting
from auditor.facts import HostObservation
from auditor.rules.endpoints import MacRegistry, RegisterIndex, mac_kind, sightings
from auditor.settings import NetbiosSettings


@dataclass
class TableCounts:
    devices: int = 0  # routers and switches whose tables were read
    endpoints: int = 0
    matched: int = 0  # registered devices among the endpoints


def ask_names(
    database: Database, observations: Sequence[HostObservation], settings: NetbiosSettings, notes: list[str]
) -> list[Sighting]:
    """NetBIOS node status to the addresses the routers' ARP tables show, inside the subnets of
    the router's unit or of the setting, and nowhere else: each name that answers, as a sighting
    of the MAC the reply (else the ARP table) gives."""
    with_arp = [o for o in observations if o.tables is not None and o.tables.arp]
    if not settings.enabled or not with_arp:
        return []
    with database.session(commit=False) as session:
        subnets = stored.subnets_at(session, [o.address for o in with_arp])
    networks = netbios.networks_of(settings.subnets)
    wanted: dict[str, tuple[str, dt.datetime]] = {}  # address → (MAC, when its ARP entry was read)
    allowed: list[netbios.Network] = list(networks)
    for observation in with_arp:
        assert observation.tables is not None
        theirs = netbios.networks_of([subnets.get(observation.address)]) + networks
        allowed += theirs
        for entry in observation.tables.arp:
            if netbios.inside(entry.ip, theirs):
                wanted.setdefault(entry.ip, (entry.mac, observation.at))
    if not wanted:
        return []
    found, dropped = asyncio.run(netbios.node_status(list(wanted), allowed, timeout_s=settings.timeout_s))
    if dropped:
        notes.append(f"NetBIOS: {dropped} replies dropped (not from an address asked, or not an answer to it)")
    return [
        Sighting(status.mac or wanted[a][0], "netbios", wanted[a][1], ip=a, name=status.name, group=status.group)
        for a, status in found.items()
        if status.name
    ]


def record_tables(
    session: Any,  # the run's own transaction (jobs compose I/O; only db/ imports SQLAlchemy)
    observations: Sequence[HostObservation],
    run_id: int | None,
    notes: list[str],
    registry: MacRegistry | None = None,
    names: Sequence[Sighting] = (),
) -> TableCounts:
    """Store what the observed devices' tables show: endpoints, sightings, LLDP/CDP links, and
    which registered devices they saw (seen, whatever ICMP said)."""
    with_tables = [o for o in observations if o.tables is not None]
    counts = TableCounts()
    if not with_tables:
        return counts
    places = stored.devices_at(session, [o.address for o in with_tables])
    index = RegisterIndex(stored.registered_addresses(session))
    infrastructure = stored.infrastructure_macs(session).union(*(o.tables.own_macs for o in with_tables if o.tables))
    network = stored.network_devices(session)
    seen: list[Sighting] = []
    unit_of_reporter: dict[int, int | None] = {}
    for observation in with_tables:
        tables = observation.tables
        assert tables is not None
        device_id = observation.device_id or places.get(observation.address, (None, None))[0]
        if device_id is None:
            continue
        notes.extend(f"{observation.address}: {problem}" for problem in tables.problems)
        report = sightings(device_id, tables, observation.at, infrastructure)
        seen.extend(report.sightings)
        stored.store_neighbours(session, device_id, tables.neighbours, network, observation.at)
        counts.devices += 1
        unit_of_reporter[device_id] = None
    seen.extend(names)
    unit_of_reporter = stored.units_of(session, unit_of_reporter)
    by_mac: dict[str, list[Sighting]] = defaultdict(list)
    for sighting in seen:
        by_mac[sighting.mac].append(sighting)
    chosen = registry or mac_registry()
    found: list[EndpointFacts] = []
    reached: dict[int, tuple[set[str], dt.datetime]] = {}
    for mac, its in by_mac.items():
        device_id, how = index.match(mac, its)
        unit_id = index.unit_of(device_id) if device_id is not None else None
        if unit_id is None:  # nobody's: it belongs where the switch or router that saw it is
            unit_id = next((u for s in its if s.seen_on is not None and (u := unit_of_reporter.get(s.seen_on))), None)
        found.append(EndpointFacts(mac, mac_kind(mac), chosen.vendor(mac), device_id, how, unit_id, tuple(its)))
        if device_id is not None:
            sources, at = reached.get(device_id, (set(), min(s.at for s in its)))
            reached[device_id] = (sources | {s.source for s in its}, max(at, *(s.at for s in its)))
    stored.store_endpoints(session, found, run_id)
    stored.mark_seen(session, reached, run_id)
    counts.endpoints, counts.matched = len(found), sum(1 for d in reached if index.is_registered(d))
    return counts


def list_endpoints(database: Database, unit_code: str | None = None, unregistered: bool = False) -> list[EndpointView]:
    with database.session(commit=False) as session:
        register.require_unit(session, unit_code)
        return stored.list_endpoints(session, unit_code, unregistered)
