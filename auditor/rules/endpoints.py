"""Endpoints seen through the network: which MACs a router's or switch's tables show, on which
edge port, whose make each MAC is, and which registered device each one is.  Pure.

An edge port is one a person plugs a PC or a printer into.  A forwarding table also lists every
MAC behind the uplinks (the whole LAN is behind the port to the router), so these are dropped:
ports with an LLDP or CDP neighbour, ports where the MAC of a known network device appears, and
LAG members are folded onto their aggregate first (Netdisco's macsuck does the same).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from auditor.endpoints import NetworkTables, RegisteredAddress, Sighting

MAC_PREFIX_BITS = (36, 28, 24)  # IEEE MA-S, MA-M, MA-L: the longest block first


@dataclass(frozen=True)
class MacRegistry:
    """IEEE's registry of MAC address blocks: prefix length → prefix → organisation."""

    blocks: dict[int, dict[int, str]] = field(default_factory=dict)
    source: str = ""  # where it came from, and how fresh: for `--version` and the README

    def vendor(self, mac: str) -> str | None:
        """The organisation a globally unique MAC was assigned to; None for a local one (its
        first octets are nobody's) or a block the registry does not hold."""
        if mac_kind(mac) == "local":
            return None
        value = int(mac.replace(":", ""), 16)
        for bits in MAC_PREFIX_BITS:
            found = self.blocks.get(bits, {}).get(value >> (48 - bits))
            if found:
                return found
        return None

    def __len__(self) -> int:
        return sum(len(b) for b in self.blocks.values())


def parse_mac_registry(text: str, source: str = "") -> MacRegistry:
    """Wireshark's `manuf` format, as IEEE's MA-L, MA-M and MA-S listings are shipped: a prefix
    ("00:1B:C5" or "00:1B:C5:00:00:00/36"), then a short and/or long name, tab-separated."""
    blocks: dict[int, dict[int, str]] = {bits: {} for bits in MAC_PREFIX_BITS}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t") if f.strip()]
        if len(fields) < 2:
            continue
        prefix, _, bits_text = fields[0].partition("/")
        digits = prefix.replace(":", "").replace("-", "")
        try:
            value = int(digits, 16)
            bits = int(bits_text) if bits_text else len(digits) * 4
        except ValueError:
            continue
        if bits in blocks and len(digits) * 4 >= bits:
            blocks[bits][value >> (len(digits) * 4 - bits)] = fields[-1]
    return MacRegistry(blocks, source)


def mac_kind(mac: str) -> str:
    """ "local" when the locally administered bit is set (a phone's or laptop's randomised private
    address, a virtual machine's, a container's), else "global" (a maker's, from IEEE)."""
    return "local" if int(mac[:2], 16) & 0x02 else "global"


def _port_name(tables: NetworkTables, if_index: int | None, bridge_port: int | None = None) -> str | None:
    if if_index is not None:
        return tables.port_names.get(if_index) or str(if_index)
    return f"bridge port {bridge_port}" if bridge_port is not None else None


@dataclass(frozen=True)
class EdgeReport:
    sightings: list[Sighting]
    uplink_ports: int = 0  # ports dropped: a neighbour, or a network device's MAC, behind them
    behind_uplinks: int = 0  # forwarding entries dropped with them


def sightings(device_id: int, tables: NetworkTables, at: dt.datetime, infrastructure: Iterable[str] = ()) -> EdgeReport:
    """What one device's tables say of the endpoints around it: each ARP entry (IP ↔ MAC, on the
    routed interface), each forwarding entry of an edge port, each LLDP neighbour that gives a MAC.
    `infrastructure`: the MACs of known network devices (their ports are uplinks)."""

    def fold(if_index: int | None) -> int | None:
        return tables.lag.get(if_index, if_index) if if_index is not None else None

    found: list[Sighting] = []
    own = tables.own_macs
    for arp in tables.arp:
        if arp.mac not in own:
            found.append(Sighting(arp.mac, "arp", at, device_id, ip=arp.ip, port=_port_name(tables, arp.if_index)))
    network = set(infrastructure) | own
    for neighbour in tables.neighbours:
        if neighbour.chassis and len(neighbour.chassis) == 17 and neighbour.chassis.count(":") == 5:
            network.add(neighbour.chassis)
            port = neighbour.local_port or _port_name(tables, neighbour.if_index)
            found.append(
                Sighting(
                    neighbour.chassis,
                    neighbour.protocol,
                    at,
                    device_id,
                    ip=neighbour.address,
                    port=port,
                    name=neighbour.name,
                )
            )

    def place(if_index: int | None, bridge_port: int) -> tuple[str, int]:
        folded = fold(if_index)
        return ("if", folded) if folded is not None else ("bridge", bridge_port)

    uplinks = {("if", folded) for n in tables.neighbours if (folded := fold(n.if_index)) is not None}
    uplinks |= {place(e.if_index, e.bridge_port) for e in tables.fdb if e.mac in network}
    dropped = 0
    for entry in tables.fdb:
        where = place(entry.if_index, entry.bridge_port)
        if where in uplinks:
            dropped += 1
            continue
        port = _port_name(tables, fold(entry.if_index), entry.bridge_port)
        found.append(Sighting(entry.mac, "fdb", at, device_id, port=port, vlan=entry.vlan))
    return EdgeReport(found, uplink_ports=len(uplinks), behind_uplinks=dropped)


def _short_name(name: str | None) -> str | None:
    return name.split(".")[0].strip().casefold() or None if name else None


class RegisterIndex:
    """The register's MACs, addresses and hostnames, to say which device an endpoint is."""

    def __init__(self, devices: Iterable[RegisteredAddress]) -> None:
        self.by_mac: dict[str, RegisteredAddress] = {}
        self.by_ip: dict[str, RegisteredAddress] = {}
        self.by_name: dict[str, RegisteredAddress] = {}
        self.units: dict[int, int | None] = {}
        self.registered: set[int] = set()
        for device in devices:
            self.units[device.device_id] = device.unit_id
            if device.registered:
                self.registered.add(device.device_id)
            if device.mac:
                self.by_mac.setdefault(device.mac.lower(), device)
            if device.ip:
                self.by_ip.setdefault(device.ip, device)
            if (name := _short_name(device.hostname)) is not None:
                self.by_name.setdefault(name, device)

    def unit_of(self, device_id: int) -> int | None:
        return self.units.get(device_id)

    def is_registered(self, device_id: int) -> bool:
        return device_id in self.registered

    def match(self, mac: str, seen: Sequence[Sighting]) -> tuple[int | None, str | None]:
        """The registered device an endpoint is, and how that was told: its MAC; else the address
        it had when seen (unless the register gives that device another MAC: someone else has
        the address now); else its NetBIOS name against the register's hostname."""
        device = self.by_mac.get(mac)
        if device is not None:
            return device.device_id, "mac"
        for sighting in seen:
            device = self.by_ip.get(sighting.ip) if sighting.ip else None
            if device is not None and device.mac is None:
                return device.device_id, "ip"
        for sighting in seen:
            name = _short_name(sighting.name) if sighting.source == "netbios" else None
            device = self.by_name.get(name) if name else None
            if device is not None and device.mac is None:
                return device.device_id, "netbios name"
        return None, None
