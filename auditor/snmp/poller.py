"""Reading one device over SNMP: its identity (on a scan) or just its system group (on a poll)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from auditor.domain import SnmpVersion
from auditor.endpoints import ArpEntry, FdbEntry, Neighbour, NetworkTables
from auditor.errors import SnmpError, SnmpFailure, SnmpTimeout
from auditor.facts import DeviceFacts, EntityRow, InterfaceFacts
from auditor.settings import Secret
from auditor.snmp import oids, tables, values
from auditor.snmp.catalog import Catalog
from auditor.snmp.client import SnmpClient, SnmpTarget
from auditor.snmp.identify import entity_row, identify
from auditor.snmp.interfaces import interfaces

ENTITY_ROWS_MAX = 5000
IF_ROWS_MAX = 2000  # enough to tell a switch's ports; a router with 100,000 subinterfaces is cut short
TABLE_ROWS_MAX = 100_000  # entries of one ARP or forwarding table: a core router's, not a flood's


async def read_system(client: SnmpClient, target: SnmpTarget) -> dict[str, Any]:
    """The system group and uptimes, in one request.  An agent that answers none of it is an error."""
    system = await client.get(target, oids.SYSTEM)
    if all(value is None for value in system.values()):
        raise SnmpError(f"{target} answered, but with none of the system group")
    return system


async def read_entity(client: SnmpClient, target: SnmpTarget) -> EntityRow | None:
    """The ENTITY-MIB row that stands for the device: walk class, model and serial, then read that row."""
    columns = {
        name: await client.walk(target, f"{oids.ENT_PHYSICAL}.{oids.ENT_COLUMNS[name]}", max_rows=ENTITY_ROWS_MAX)
        for name in ("class", "model", "serial")
    }
    rows = values.table_rows(columns)
    chosen = entity_row(rows)
    if chosen is None:
        return None
    wanted = {name: f"{oids.ENT_PHYSICAL}.{number}.{chosen.index}" for name, number in oids.ENT_COLUMNS.items()}
    answered = await client.get(target, list(wanted.values()))
    rows[chosen.index] = {name: answered.get(oid) for name, oid in wanted.items()}
    return entity_row(rows)


async def read_interfaces(client: SnmpClient, target: SnmpTarget) -> list[InterfaceFacts]:
    """The IF-MIB interface table: names, aliases, types, speeds, admin and oper status."""
    columns = {name: await client.walk(target, oid, max_rows=10_000) for name, oid in oids.IF_TABLE_COLUMNS.items()}
    return interfaces(columns)


async def read_identity(
    client: SnmpClient, target: SnmpTarget, catalog: Catalog, system: Mapping[str, Any] | None = None
) -> DeviceFacts:
    """Everything a scan learns: system group, the vendor's own OIDs and the standard probes,
    ENTITY-MIB, the interfaces' IANAifTypes, and whether any row of the Printer-MIB answers."""
    system = system if system is not None else await read_system(client, target)
    object_id = values.oid(system.get(oids.SYS_OBJECT_ID))
    extra = await client.get(target, catalog.extra_oids(object_id))
    # One GETNEXT: any row of the Printer-MIB, the first row of the tables that hold a model or
    # serial, and whether ENTITY-MIB and the interface table have rows at all.  Most devices lack
    # ENTITY-MIB: it then costs nothing more (walked, its three columns cost three requests).
    present = [oids.ENT_MODEL, oids.ENT_SERIAL, oids.IF_TYPE]
    rows = await client.first_rows(target, [oids.PRINTER_MIB, *present, *catalog.extra_columns(object_id)])
    printer_mib = rows.pop(oids.PRINTER_MIB) is not None
    first = {column: rows.pop(column) for column in present}  # a row, even one whose value is empty
    has_entity = first[oids.ENT_MODEL] is not None or first[oids.ENT_SERIAL] is not None
    extra |= {column: value for column, value in rows.items() if value is not None}
    entity = await read_entity(client, target) if has_entity else None
    if_types = []
    if first[oids.IF_TYPE] is not None:
        # ifNumber, read with the probes, says how many rows to ask for: a small agent's table in one request.
        rows_said = values.integer(extra.get(oids.IF_NUMBER))
        walked = await client.walk(target, oids.IF_TYPE, max_rows=IF_ROWS_MAX, expected=rows_said)
        if_types = [values.integer(value) for _, value in walked]
    return identify(
        system, extra, entity, catalog, if_types=tuple(t for t in if_types if t is not None), printer_mib=printer_mib
    )


class _Tables:
    """Walks of one device's tables: a table the agent breaks (OIDs that go backwards, an error) is
    a problem noted and left out; a timeout ends the reading, as the device has stopped answering."""

    def __init__(self, client: SnmpClient, target: SnmpTarget) -> None:
        self.client, self.target = client, target
        self.problems: list[str] = []

    async def walk(self, base: str, what: str, max_rows: int = TABLE_ROWS_MAX) -> list[tuple[str, Any]]:
        try:
            found = await self.client.walk(self.target, base, max_rows=max_rows)
        except SnmpTimeout:
            raise
        except SnmpFailure as exc:
            self.problems.append(f"{what}: {exc}")
            return []
        if len(found) >= max_rows:
            self.problems.append(f"{what}: cut short at {max_rows:,} rows")
        return found[:max_rows]

    async def columns(self, base: str, columns: Mapping[str, int], what: str) -> dict[str, list[tuple[str, Any]]]:
        """The columns of a table, the first walked first: an absent table costs one request."""
        found: dict[str, list[tuple[str, Any]]] = {}
        for name, number in columns.items():
            found[name] = await self.walk(f"{base}.{number}", what)
            if not found[name]:
                break
        return found


VLANS_MAX = 64  # per-VLAN forwarding tables read from one Cisco switch (each costs 3 requests or more)


async def _per_vlan(read: _Tables, target: SnmpTarget) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """A Cisco switch's forwarding table, VLAN by VLAN: BRIDGE-MIB under "community@vlan" for each
    VLAN CISCO-VTP-MIB lists (SNMPv1/v2c only).  Returns Q-BRIDGE-shaped columns (the VLAN as the
    fdbId) and the bridge-port map of every VLAN."""
    if target.community is None or target.version is SnmpVersion.V3:
        return {}, []
    vlans = sorted(
        {int(oid.rsplit(".", 1)[1]) for oid, _state in await read.walk(oids.VTP_VLAN_STATE, "vtpVlanState", 4096)}
        - {1002, 1003, 1004, 1005}  # the reserved FDDI and Token Ring VLANs
    )
    if len(vlans) > VLANS_MAX:
        read.problems.append(f"{len(vlans)} VLANs: the forwarding tables of the first {VLANS_MAX} read")
    columns: dict[str, list[tuple[str, Any]]] = {"port": [], "status": []}
    ports: list[tuple[str, Any]] = []
    for vlan in vlans[:VLANS_MAX]:
        indexed = _Tables(read.client, replace(target, community=Secret(f"{target.community.reveal()}@{vlan}")))
        found = await indexed.columns(oids.DOT1D_TP_FDB, oids.DOT1D_TP_FDB_COLUMNS, f"dot1dTpFdbTable (VLAN {vlan})")
        read.problems.extend(indexed.problems)
        for name, walked in found.items():  # as Q-BRIDGE would say it: column, VLAN, MAC
            number = oids.DOT1D_TP_FDB_COLUMNS[name]
            prefix = f"{oids.DOT1D_TP_FDB}.{number}."
            columns[name] += [(f"{oids.DOT1Q_TP_FDB}.{number}.{vlan}.{oid[len(prefix) :]}", v) for oid, v in walked]
        if found.get("port"):
            ports += await indexed.walk(oids.DOT1D_BASE_PORT_IF_INDEX, f"dot1dBasePortIfIndex (VLAN {vlan})")
    return columns, ports


async def _arp(read: _Tables) -> tuple[list[ArpEntry], set[str]]:
    """IP-MIB's neighbour table; the older IPv4-only one only where the newer holds no IPv4 entry
    (most agents fill both with the same entries: reading one halves the requests)."""
    physical = await read.columns(oids.IP_NET_TO_PHYSICAL, oids.IP_NET_TO_PHYSICAL_COLUMNS, "ipNetToPhysicalTable")
    media: dict[str, list[tuple[str, Any]]] = {}
    if not any(":" not in entry.ip for entry in tables.arp(physical, {})[0]):
        media = await read.columns(oids.IP_NET_TO_MEDIA, oids.IP_NET_TO_MEDIA_COLUMNS, "ipNetToMediaTable")
    found, own, refused = tables.arp(physical, media)
    if refused:
        read.problems.append(f"{refused} ARP table rows refused (an index or MAC that is not one)")
    return found, own


async def _forwarding(
    read: _Tables, names: Mapping[int, str], enterprise: int | None
) -> tuple[list[FdbEntry], dict[int, int]]:
    """The forwarding table (Q-BRIDGE, else BRIDGE-MIB, else a Cisco switch's VLAN by VLAN), and
    the LAG members of a switch that has one."""
    q_bridge = await read.columns(oids.DOT1Q_TP_FDB, oids.DOT1Q_TP_FDB_COLUMNS, "dot1qTpFdbTable")
    bridge: dict[str, list[tuple[str, Any]]] = {}
    if not q_bridge.get("port"):
        bridge = await read.columns(oids.DOT1D_TP_FDB, oids.DOT1D_TP_FDB_COLUMNS, "dot1dTpFdbTable")
    vlan_ports: list[tuple[str, Any]] = []
    if enterprise == oids.CISCO and not q_bridge.get("port"):
        q_bridge, vlan_ports = await _per_vlan(read, read.target)
        bridge = bridge if not q_bridge.get("port") else {}
    if not (q_bridge.get("port") or bridge.get("port")):
        return [], {}
    base_ports = await read.walk(oids.DOT1D_BASE_PORT_IF_INDEX, "dot1dBasePortIfIndex") + vlan_ports
    vlan_ids = []
    if q_bridge.get("port") and not vlan_ports:
        vlan_ids = await read.walk(oids.DOT1Q_VLAN_FDB_ID, "dot1qVlanFdbId")
    found, refused, portless = tables.fdb(q_bridge, bridge, base_ports, vlan_ids, names.keys())
    if refused:
        read.problems.append(f"{refused} forwarding table rows refused (an index or MAC that is not one)")
    if portless:
        read.problems.append(f"{portless} forwarding table rows name no bridge port (port 0): left out")
    lag = tables.lag_members(await read.walk(oids.DOT3AD_AGG_PORT_ATTACHED, "dot3adAggPortAttachedAggID"))
    return found, lag


async def _neighbours(read: _Tables, names: Mapping[int, str]) -> list[Neighbour]:
    """LLDP-MIB's remote table (with management addresses and local ports), then CDP's cache."""
    found = []
    remote = await read.walk(oids.LLDP_REM, "lldpRemTable", IF_ROWS_MAX * 10)
    if remote:
        found = tables.lldp(
            remote,
            await read.walk(oids.LLDP_REM_MAN_ADDR, "lldpRemManAddrTable", IF_ROWS_MAX),
            await read.walk(oids.LLDP_LOC_PORT_ID, "lldpLocPortId", IF_ROWS_MAX),
            await read.walk(oids.LLDP_LOC_PORT_DESCR, "lldpLocPortDesc", IF_ROWS_MAX),
            names,
        )
    return found + tables.cdp(await read.walk(oids.CDP_CACHE, "cdpCacheTable", IF_ROWS_MAX * 10), names)


async def read_tables(client: SnmpClient, target: SnmpTarget, enterprise: int | None = None) -> NetworkTables:
    """A router's or switch's view of its neighbours: ARP/ND (IP-MIB), forwarding tables (Q-BRIDGE,
    BRIDGE-MIB; on a Cisco switch (`enterprise` 9), VLAN by VLAN), LAG membership, LLDP and CDP.
    Each table costs one request when absent; a timeout ends the reading with what was read."""
    sent = client.requests[target.host]
    read = _Tables(client, target)
    try:
        names = tables.port_names(
            await read.walk(oids.IF_NAME, "ifName", IF_ROWS_MAX), await read.walk(oids.IF_DESCR, "ifDescr", IF_ROWS_MAX)
        )
        arp, own = await _arp(read)
        fdb, lag = await _forwarding(read, names, enterprise)
        neighbours = await _neighbours(read, names)
    except SnmpTimeout as exc:
        read.problems.append(f"stopped reading its tables: {exc}")
        return NetworkTables(problems=tuple(read.problems), requests=client.requests[target.host] - sent)
    return NetworkTables(
        arp=tuple(arp),
        fdb=tuple(fdb),
        neighbours=tuple(neighbours),
        port_names=names,
        lag=lag,
        own_macs=frozenset(own),
        problems=tuple(read.problems),
        requests=client.requests[target.host] - sent,
    )
