"""The tables of a router or switch that show the devices around it, parsed from walked columns.
Pure: (oid, value) pairs in, ArpEntry / FdbEntry / Neighbour out.

Nothing an agent sends is trusted: an index of the wrong shape, a MAC that is not six octets (or
is all zeros, broadcast or multicast), an address that is not one, a row marked invalid, are
dropped and counted, never guessed at.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from auditor.endpoints import ArpEntry, FdbEntry, Neighbour
from auditor.snmp import oids, values

Walked = Sequence[tuple[str, Any]]

# IP-MIB ipNetToPhysicalType / ipNetToMediaType
_INVALID, _STATIC, _LOCAL = 2, 4, 5
# BRIDGE-MIB dot1dTpFdbStatus: other(1) invalid(2) learned(3) self(4) mgmt(5)
_FDB_INVALID, _FDB_SELF = 2, 4
# LLDP-MIB LldpChassisIdSubtype / LldpPortIdSubtype: the ones holding a MAC or an address
_LLDP_CHASSIS_MAC, _LLDP_CHASSIS_ADDRESS = 4, 5
_LLDP_PORT_MAC, _LLDP_PORT_ADDRESS = 3, 4
_MAC_TEXT = re.compile(r"[0-9a-fA-F]{1,2}([:\-])[0-9a-fA-F]{1,2}(\1[0-9a-fA-F]{1,2}){4}|[0-9a-fA-F]{12}")


def _octets(value: Any) -> bytes | None:
    """Six octets from a PhysAddress: binary, or the text some agents send ("e4:f0:4:e1:89:1a")."""
    if isinstance(value, bytes) and len(value) != 6:
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if isinstance(value, str):
        text = value.strip()
        if not _MAC_TEXT.fullmatch(text):
            return None
        parts = (
            re.split(r"[:\-]", text)
            if text[1:3].strip("0123456789abcdefABCDEF")
            else [text[i : i + 2] for i in range(0, 12, 2)]
        )
        return bytes(int(part, 16) for part in parts)
    return value if isinstance(value, bytes) else None


def mac(value: Any) -> str | None:
    """A unicast MAC as "aa:bb:cc:dd:ee:ff" from six octets (or such text), else None: a value of
    the wrong length, all zeros (an incomplete ARP entry), broadcast or multicast."""
    octets = _octets(value)
    if octets is None or not any(octets) or octets[0] & 1:  # zeros; the group bit: broadcast and multicast
        return None
    return ":".join(f"{octet:02x}" for octet in octets)


def _malformed(value: Any) -> bool:
    """Not a MAC at all (a broken agent), as opposed to a group or empty address (normal rows:
    an entry still being resolved has no MAC yet)."""
    return value not in (b"", "") and _octets(value) is None


def _arcs(oid: str, column: str) -> tuple[int, ...] | None:
    """The index arcs after `column` in `oid`, or None when the OID is not under it."""
    prefix = column + "."
    if not oid.startswith(prefix):
        return None
    try:
        return tuple(int(arc) for arc in oid[len(prefix) :].split("."))
    except ValueError:
        return None


def _rows(base: str, columns: Mapping[str, int], walked: Mapping[str, Walked]) -> dict[tuple[int, ...], dict[str, Any]]:
    """Walked columns (name → pairs) of the table at `base` as rows keyed by their whole index."""
    rows: dict[tuple[int, ...], dict[str, Any]] = {}
    for name, number in columns.items():
        for oid, value in walked.get(name, ()):
            index = _arcs(oid, f"{base}.{number}")
            if index:
                rows.setdefault(index, {})[name] = value
    return rows


def _address(arcs: Sequence[int]) -> str | None:
    """An IPv4 (4 arcs) or IPv6 (16 arcs) address from index arcs, else None."""
    if len(arcs) not in (4, 16) or not all(0 <= a <= 255 for a in arcs):
        return None
    return str(ipaddress.ip_address(bytes(arcs)))


def _inet_address(value: Any) -> str | None:
    if isinstance(value, bytes) and len(value) in (4, 16):
        return str(ipaddress.ip_address(value))
    if isinstance(value, str):  # an IpAddress value
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return None
    return None


def arp(physical: Mapping[str, Walked], media: Mapping[str, Walked]) -> tuple[list[ArpEntry], set[str], int]:
    """IP-MIB's neighbour tables as entries: ipNetToPhysicalTable (IPv4 and IPv6), and the older
    ipNetToMediaTable for what the first does not hold.  Returns the entries, the device's own
    MACs (its "local" entries) and how many rows were refused."""
    found: dict[tuple[str, str], ArpEntry] = {}
    own: set[str] = set()
    refused = 0
    for index, row in _rows(oids.IP_NET_TO_PHYSICAL, oids.IP_NET_TO_PHYSICAL_COLUMNS, physical).items():
        # ifIndex . addressType (1 ipv4, 2 ipv6) . length . address; some agents leave out the length
        if_index, kind, rest = index[0], index[1] if len(index) > 1 else 0, list(index[2:])
        if rest and rest[0] == len(rest) - 1:
            rest = rest[1:]
        if kind in (3, 4) and len(rest) in (8, 20):  # ipv4z / ipv6z: the address, then its zone
            rest = rest[:-4]
        ip = _address(rest) if kind in (1, 2, 3, 4) else None
        address = mac(row.get("mac"))
        entry_type = values.integer(row.get("type"))
        if ip is None or address is None or entry_type == _INVALID:
            refused += ip is None or _malformed(row.get("mac"))
            continue
        if entry_type == _LOCAL:
            own.add(address)
            continue
        found[(ip, address)] = ArpEntry(ip, address, if_index, static=entry_type == _STATIC)
    for index, row in _rows(oids.IP_NET_TO_MEDIA, oids.IP_NET_TO_MEDIA_COLUMNS, media).items():
        ip = _address(index[1:])
        address = mac(row.get("mac"))
        entry_type = values.integer(row.get("type"))
        if ip is None or address is None or entry_type == _INVALID:
            refused += ip is None or _malformed(row.get("mac"))
            continue
        found.setdefault((ip, address), ArpEntry(ip, address, index[0], static=entry_type == _STATIC))
    return sorted(found.values(), key=lambda e: (e.if_index or 0, e.ip)), own, refused


def _port_map(walked: Walked) -> dict[int, int]:
    ports = {}
    for oid, value in walked:
        index = _arcs(oid, oids.DOT1D_BASE_PORT_IF_INDEX)
        if_index = values.integer(value)
        if index and len(index) == 1 and if_index is not None and if_index > 0:
            ports[index[0]] = if_index
    return ports


def _vlans_of_fdb_ids(walked: Walked) -> dict[int, int]:
    """Q-BRIDGE's fdbId → VLAN map (dot1qVlanFdbId, indexed by timeMark.vlan); where it is absent
    an fdbId is taken to be the VLAN, as on nearly every switch (independent VLAN learning)."""
    found: dict[int, int] = {}
    for oid, value in walked:
        index = _arcs(oid, oids.DOT1Q_VLAN_FDB_ID)
        fdb_id = values.integer(value)
        if index and len(index) == 2 and fdb_id is not None:
            found.setdefault(fdb_id, index[1])
    return found


def fdb(
    q_bridge: Mapping[str, Walked],
    bridge: Mapping[str, Walked],
    base_ports: Walked,
    vlan_ids: Walked = (),
    interfaces: Collection[int] = (),
) -> tuple[list[FdbEntry], int, int]:
    """The forwarding table: Q-BRIDGE's dot1qTpFdbTable (with VLANs) where the switch has it, else
    BRIDGE-MIB's dot1dTpFdbTable; each bridge port mapped to its ifIndex (dot1dBasePortIfIndex).
    A row marked invalid or "self" (the switch's own address), or of a multicast group, is left
    out; returns the entries, how many rows were refused (an index that is not a MAC), and how
    many name no port."""
    ports = _port_map(base_ports) or {i: i for i in interfaces}
    fdb_vlans = _vlans_of_fdb_ids(vlan_ids)
    found: dict[tuple[str, int | None, int], FdbEntry] = {}
    refused = portless = 0

    def add(address_arcs: Sequence[int], row: Mapping[str, Any], vlan: int | None) -> None:
        nonlocal refused, portless
        status = values.integer(row.get("status"))
        port = values.integer(row.get("port"))
        if status in (_FDB_INVALID, _FDB_SELF):
            return
        if len(address_arcs) != 6 or not all(0 <= a <= 255 for a in address_arcs):
            refused += 1
            return
        address = mac(bytes(address_arcs))
        if address is None:  # a multicast group (IGMP snooping), not a device
            return
        if port is None or port <= 0:  # the switch knows the MAC but says no port (Junos says 0)
            portless += 1
            return
        found[(address, vlan, port)] = FdbEntry(address, port, ports.get(port), vlan)

    for index, row in _rows(oids.DOT1Q_TP_FDB, oids.DOT1Q_TP_FDB_COLUMNS, q_bridge).items():
        add(index[1:], row, fdb_vlans.get(index[0], index[0]))
    if not found:
        for index, row in _rows(oids.DOT1D_TP_FDB, oids.DOT1D_TP_FDB_COLUMNS, bridge).items():
            add(index, row, None)
    return sorted(found.values(), key=lambda e: (e.if_index or 0, e.vlan or 0, e.mac)), refused, portless


def lag_members(walked: Walked) -> dict[int, int]:
    """IEEE8023-LAG-MIB's dot3adAggPortAttachedAggID: member ifIndex → its aggregate's ifIndex."""
    found = {}
    for oid, value in walked:
        index = _arcs(oid, oids.DOT3AD_AGG_PORT_ATTACHED)
        aggregate = values.integer(value)
        if index and len(index) == 1 and aggregate and aggregate != index[0]:
            found[index[0]] = aggregate
    return found


def port_names(names: Walked, descrs: Walked) -> dict[int, str]:
    """ifIndex → ifName, else ifDescr: how a person names each port."""
    found: dict[int, str] = {}
    for column, walked in ((oids.IF_DESCR, descrs), (oids.IF_NAME, names)):
        for oid, value in walked:
            index = _arcs(oid, column)
            name = values.first_line(value)
            if index and len(index) == 1 and name:
                found[index[0]] = name[:64]
    return found


def _lldp_id(subtype: Any, value: Any, mac_kind: int, address_kind: int) -> str | None:
    kind = values.integer(subtype)
    if kind == mac_kind:
        return mac(value)
    if kind == address_kind and isinstance(value, bytes) and len(value) in (5, 17) and value[0] in (1, 2):
        return str(ipaddress.ip_address(value[1:]))  # IANA address family (1 IPv4, 2 IPv6), then the address
    return values.first_line(value)


def _remote_port(row: Mapping[str, Any]) -> str | None:
    """The neighbour's port as a person names it: its id, unless that is a MAC or an address and
    the neighbour describes the port ("port24" says more than 1a:82:78:76:13:1c)."""
    found = _lldp_id(row.get("port_subtype"), row.get("port"), _LLDP_PORT_MAC, _LLDP_PORT_ADDRESS)
    described = values.first_line(row.get("port_descr"))
    if values.integer(row.get("port_subtype")) in (_LLDP_PORT_MAC, _LLDP_PORT_ADDRESS) and described:
        return described
    return found or described


def _local_port(number: int, ports: Mapping[int, str], local_names: Mapping[int, str]) -> int | None:
    """The ifIndex of an LLDP local port number: the interface its lldpLocPortId or
    lldpLocPortDesc names (by name, or by an ifIndex given as text), else the interface of that
    number (most agents number them so)."""
    name = local_names.get(number)
    if name:
        for if_index, port in ports.items():
            if port == name:
                return if_index
        if name.isdigit() and int(name) in ports:  # some agents give the ifIndex as the port's id
            return int(name)
    return number if number in ports else None


def lldp(
    remote: Walked, management: Walked, local_ids: Walked, local_descrs: Walked, ports: Mapping[int, str]
) -> list[Neighbour]:
    """LLDP-MIB's lldpRemTable (walked whole) as neighbours, with their management addresses."""
    local_names: dict[int, str] = {}
    for column, walked in ((oids.LLDP_LOC_PORT_DESCR, local_descrs), (oids.LLDP_LOC_PORT_ID, local_ids)):
        for oid, value in walked:
            index = _arcs(oid, column)
            name = values.first_line(value)
            if index and len(index) == 1 and name:
                local_names[index[0]] = name
    addresses: dict[tuple[int, int], str] = {}
    for oid, _value in management:
        index = _arcs(oid, oids.LLDP_REM_MAN_ADDR)
        # timeMark . localPort . remIndex . addressSubtype . length . address
        if index and len(index) >= 6 and index[3] in (1, 2) and index[4] == len(index) - 5:
            found = _address(index[5:])
            if found:
                addresses.setdefault((index[1], index[2]), found)
    rows: dict[tuple[int, int, int], dict[str, Any]] = {}
    for oid, value in remote:
        index = _arcs(oid, oids.LLDP_REM)  # column . timeMark . localPortNum . remIndex
        if index and len(index) == 4:
            rows.setdefault((index[2], index[3], index[1]), {})[str(index[0])] = value
    columns = {str(number): name for name, number in oids.LLDP_REM_COLUMNS.items()}
    found_neighbours = []
    for (local, remote_index, _time_mark), raw in sorted(rows.items()):
        row = {columns[k]: v for k, v in raw.items() if k in columns}
        if_index = _local_port(local, ports, local_names)
        found_neighbours.append(
            Neighbour(
                "lldp",
                if_index,
                ports.get(if_index) if if_index is not None else local_names.get(local),
                name=values.first_line(row.get("name")),
                port=_remote_port(row),
                chassis=_lldp_id(
                    row.get("chassis_subtype"), row.get("chassis"), _LLDP_CHASSIS_MAC, _LLDP_CHASSIS_ADDRESS
                ),
                address=addresses.get((local, remote_index)),
                platform=values.first_line(row.get("descr")),
            )
        )
    return found_neighbours


def cdp(cache: Walked, ports: Mapping[int, str]) -> list[Neighbour]:
    """CISCO-CDP-MIB's cdpCacheTable (walked whole) as neighbours."""
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    columns = {number: name for name, number in oids.CDP_CACHE_COLUMNS.items()}
    for oid, value in cache:
        index = _arcs(oid, oids.CDP_CACHE)
        if index and len(index) == 3 and index[0] in columns:
            rows.setdefault((index[1], index[2]), {})[columns[index[0]]] = value
    found = []
    for (if_index, _device), row in sorted(rows.items()):
        address = _inet_address(row.get("address")) if values.integer(row.get("address_type")) in (1, None) else None
        found.append(
            Neighbour(
                "cdp",
                if_index,
                ports.get(if_index),
                name=values.first_line(row.get("device_id")),
                port=values.first_line(row.get("port")),
                address=address,
                platform=values.first_line(row.get("platform")),
            )
        )
    return found
