"""Reading one device over SNMP: its identity (on a scan) or just its system group (on a poll)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.errors import SnmpError
from auditor.facts import DeviceFacts, EntityRow, InterfaceFacts
from auditor.snmp import oids, values
from auditor.snmp.client import SnmpClient, SnmpTarget
from auditor.snmp.identify import Catalog, entity_row, identify
from auditor.snmp.interfaces import interfaces

ENTITY_ROWS_MAX = 5000
IF_ROWS_MAX = 2000  # enough to tell a switch's ports; a router with 100,000 subinterfaces is cut short


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
    extra = await client.get(target, catalog.extra_oids(values.oid(system.get(oids.SYS_OBJECT_ID))))
    entity = await read_entity(client, target)
    if_types = [values.integer(value) for _, value in await client.walk(target, oids.IF_TYPE, max_rows=IF_ROWS_MAX)]
    printer_mib = bool(await client.walk(target, oids.PRINTER_MIB, max_rows=1))  # one request
    return identify(
        system, extra, entity, catalog, if_types=tuple(t for t in if_types if t is not None), printer_mib=printer_mib
    )
