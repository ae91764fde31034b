"""The vocabulary of what the network shows around its routers and switches: their ARP,
forwarding and LLDP/CDP tables, the endpoints those reveal, where each was seen, and how the
listings show them.  Frozen dataclasses, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

# Every way a device is seen, in the order listings and documents name them: what answered it,
# then the tables that saw it.
SOURCE_ORDER = ("icmp", "snmp", "arp", "fdb", "lldp", "cdp", "netbios")


def ordered_sources(sources: str | Iterable[str] | None) -> tuple[str, ...]:
    """ "fdb,icmp" or {"fdb", "icmp"} as ("icmp", "fdb"): the one order, unknown names last."""
    given = set(sources.split(",") if isinstance(sources, str) else sources or ()) - {""}
    rank = {s: i for i, s in enumerate(SOURCE_ORDER)}
    return tuple(sorted(given, key=lambda s: (rank.get(s, len(rank)), s)))


@dataclass(frozen=True)
class SightingView:
    """Where a device was seen through the network, as `devices show` lists it."""

    source: str
    mac: str
    ip: str | None
    seen_on: str | None
    port: str | None
    vlan: int | None
    first_seen: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True)
class NeighbourView:
    """A link LLDP or CDP reports on one of the device's ports, or that a neighbour reports to one
    of them (its own table silent), as `devices show` lists it."""

    protocol: str
    local_port: str | None
    remote_name: str | None
    remote_port: str | None
    remote_address: str | None
    remote_device_id: int | None
    remote_platform: str | None
    last_seen: dt.datetime
    reported_by: str = "self"  # "self": this device's table; else the neighbour that reports the link


@dataclass(frozen=True)
class ArpEntry:
    """One entry of a router's neighbour table (IPv4 ARP or IPv6 ND): this address had this MAC."""

    ip: str
    mac: str  # "aa:bb:cc:dd:ee:ff"
    if_index: int | None = None
    static: bool = False


@dataclass(frozen=True)
class FdbEntry:
    """One entry of a switch's forwarding table: this MAC sits behind this port (in this VLAN)."""

    mac: str
    bridge_port: int
    if_index: int | None = None  # None: the switch maps the bridge port to no interface
    vlan: int | None = None


@dataclass(frozen=True)
class Neighbour:
    """A device an LLDP or CDP neighbour table says is connected to a local port."""

    protocol: str  # "lldp" or "cdp"
    if_index: int | None  # the local port, where it could be told
    local_port: str | None  # as the device names its port
    name: str | None = None  # the neighbour's sysName (LLDP) or device id (CDP)
    port: str | None = None  # the neighbour's port
    chassis: str | None = None  # its chassis id: a MAC, or its own words
    address: str | None = None  # its management address
    platform: str | None = None  # its sysDescr (LLDP) or platform (CDP)


@dataclass(frozen=True)
class NetworkTables:
    """What a router or switch knows of the devices around it, as read in one poll."""

    arp: tuple[ArpEntry, ...] = ()
    fdb: tuple[FdbEntry, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    port_names: dict[int, str] = field(default_factory=dict)  # ifIndex → ifName (else ifDescr)
    lag: dict[int, int] = field(default_factory=dict)  # member ifIndex → its aggregate's ifIndex
    own_macs: frozenset[str] = frozenset()  # the device's own addresses (dot1dBaseBridgeAddress, ARP "local")
    problems: tuple[str, ...] = ()  # a table cut short or refused, in words
    requests: int = 0  # how many SNMP requests reading them took


@dataclass(frozen=True)
class Sighting:
    """One device seen through another: a MAC (and its address) in a router's ARP table, behind a
    switch's edge port, on an LLDP/CDP port, or answering NetBIOS; `seen_on` is the device whose
    table said so (None for NetBIOS, which the endpoint answered itself)."""

    mac: str
    source: str  # "arp", "fdb", "lldp", "cdp", "netbios"
    at: dt.datetime
    seen_on: int | None = None
    ip: str | None = None
    port: str | None = None  # the port's ifName (ARP: the routed interface)
    vlan: int | None = None
    name: str | None = None  # LLDP/CDP: its system name; NetBIOS: its computer name
    group: str | None = None  # NetBIOS: its workgroup or domain


@dataclass(frozen=True)
class RegisteredAddress:
    """What the inventory holds of a device that an endpoint can be matched by."""

    device_id: int
    unit_id: int | None
    mac: str | None
    ip: str | None
    hostname: str | None
    registered: bool = True  # False: a device a scan discovered


@dataclass(frozen=True)
class EndpointFacts:
    """One MAC's sightings in one run, whose make it is, and the registered device it is (if any)."""

    mac: str
    mac_kind: str
    vendor: str | None
    device_id: int | None
    matched_by: str | None
    unit_id: int | None
    sightings: tuple[Sighting, ...]


@dataclass(frozen=True)
class EndpointView:
    """An endpoint as `auditor endpoints list` shows it."""

    endpoint_id: int
    mac: str
    ip: str | None
    vendor: str | None
    mac_kind: str  # "global" (a maker's) or "local" (locally administered: randomised, or set by software)
    netbios_name: str | None
    seen_on: str | None  # the hostname (else address) of the switch or router that saw it last
    port: str | None
    vlan: int | None
    sources: tuple[str, ...]
    first_seen: dt.datetime
    last_seen: dt.datetime
    device_id: int | None
    unit: str | None
    unit_id: int | None = None


# Where an endpoint is, by the source that says it best: a switch's edge port, then LLDP/CDP, then
# the router interface its ARP entry is on.
PLACE_ORDER = {"fdb": 0, "lldp": 1, "cdp": 2, "arp": 3, "netbios": 4}
# A place a precise source gave stands this long against a vaguer one, while that source's device
# gives no table: a poll whose LLDP or forwarding-table walk failed (an agent too slow that once)
# does not move a PC from its switch port back to the router's interface.
PLACE_HOLDS = dt.timedelta(days=1)


def placed(
    run: Sequence[Sighting], before: Sequence[Sighting] = (), read: Collection[tuple[int, str]] = ()
) -> Sighting | None:
    """Where an endpoint is: the most precise source's latest sighting, of this run's and of those
    stored from the last day (`before`) whose device's table of that kind this run did not read
    (`read`: (device, source) pairs; a table read without the endpoint says it is gone from
    there).  None when no table placed it on a device."""
    latest = max((s.at for s in run), default=None)
    candidates = [s for s in run if s.seen_on is not None]
    if latest is not None:
        candidates += [
            s
            for s in before
            if s.seen_on is not None and s.at >= latest - PLACE_HOLDS and (s.seen_on, s.source) not in read
        ]
    if not candidates:
        return None
    return min(candidates, key=lambda s: (PLACE_ORDER.get(s.source, 9), -s.at.timestamp()))
