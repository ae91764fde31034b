"""IF-MIB rows into interface facts, and finding the interface a link names.  Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.domain import fold
from auditor.facts import InterfaceFacts
from auditor.snmp import values


def interfaces(columns: Mapping[str, Sequence[tuple[str, Any]]]) -> list[InterfaceFacts]:
    """Interfaces from walked IF-MIB columns (name → [(oid, value)], names as in oids.IF_TABLE_COLUMNS)."""
    rows: dict[int, dict[str, Any]] = {}
    for name, walked in columns.items():
        for oid, value in walked:
            last_arc = oid.rsplit(".", 1)[1]
            if last_arc.isdigit():
                rows.setdefault(int(last_arc), {})[name] = value
    found = []
    for index in sorted(rows):
        row = rows[index]
        high = values.integer(row.get("high_speed"))  # Mbps; the 32-bit ifSpeed tops out at 4.29 Gbps
        speed = values.integer(row.get("speed"))
        found.append(
            InterfaceFacts(
                if_index=index,
                name=values.first_line(row.get("name")),
                descr=values.first_line(row.get("descr")),
                alias=values.first_line(row.get("alias")),
                if_type=values.integer(row.get("type")),
                speed_mbps=float(high) if high else (speed / 1e6 if speed else None),
                admin_up=_status(row.get("admin_status")),
                oper_up=_status(row.get("oper_status")),
            )
        )
    return found


def _status(value: Any) -> bool | None:
    number = values.integer(value)
    return None if number is None else number == 1  # 1 up, 2 down, 3 testing, 5 dormant…


def find_interface(named: str | None, found: Sequence[InterfaceFacts]) -> InterfaceFacts | None:
    """The interface a register names: by ifIndex if it is a number, else by name, alias or description."""
    if not named:
        return None
    text = named.strip()
    if text.isdigit():
        return next((i for i in found if i.if_index == int(text)), None)
    wanted = fold(text)
    for attribute in ("name", "alias", "descr"):
        for interface in found:
            value = getattr(interface, attribute)
            if value and fold(value) == wanted:
                return interface
    return None
