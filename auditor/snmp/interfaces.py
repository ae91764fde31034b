"""IF-MIB rows into interface facts, and finding the interface a link names.  Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.domain import fold
from auditor.facts import InterfaceFacts
from auditor.snmp import oids, values
from auditor.traffic import CounterSample


def interfaces(columns: Mapping[str, Sequence[tuple[str, Any]]]) -> list[InterfaceFacts]:
    """Interfaces from walked IF-MIB columns (name → [(oid, value)], names as in oids.IF_TABLE_COLUMNS)."""
    rows = values.table_rows(columns)
    return [_row_facts(index, rows[index]) for index in sorted(rows)]


def _row_facts(index: int, row: Mapping[str, Any]) -> InterfaceFacts:
    high = values.integer(row.get("high_speed"))  # Mbps; the 32-bit ifSpeed tops out at 4.29 Gbps
    speed = values.integer(row.get("speed"))
    return InterfaceFacts(
        if_index=index,
        name=values.first_line(row.get("name")),
        descr=values.first_line(row.get("descr")),
        alias=values.first_line(row.get("alias")),
        if_type=values.integer(row.get("type")),
        speed_mbps=float(high) if high else (speed / 1e6 if speed else None),
        admin_up=_status(row.get("admin_status")),
        oper_up=_status(row.get("oper_status")),
    )


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


def counter_oids(if_index: int) -> list[str]:
    """What one link sample reads: both counter widths, the uptimes, the port's speed and names."""
    return [
        f"{base}.{if_index}"
        for base in (
            oids.IF_HC_IN_OCTETS,
            oids.IF_HC_OUT_OCTETS,
            oids.IF_IN_OCTETS,
            oids.IF_OUT_OCTETS,
            oids.IF_TABLE_COLUMNS["high_speed"],
            oids.IF_TABLE_COLUMNS["speed"],
            oids.IF_TABLE_COLUMNS["name"],
            oids.IF_TABLE_COLUMNS["descr"],
            oids.IF_TABLE_COLUMNS["alias"],
        )
    ] + [oids.SYS_UPTIME, oids.HR_SYSTEM_UPTIME, oids.SNMP_ENGINE_TIME]


def counter_sample(answered: Mapping[str, Any], if_index: int, at: dt.datetime) -> tuple[CounterSample, InterfaceFacts]:
    """A sample from what `counter_oids` read: the 64-bit counters where they answer, else the 32-bit ones."""

    def get(base: str) -> Any:
        return answered.get(f"{base}.{if_index}")

    in_octets: int | None = values.integer(get(oids.IF_HC_IN_OCTETS))
    out_octets: int | None = values.integer(get(oids.IF_HC_OUT_OCTETS))
    bits = 64
    if in_octets is None or out_octets is None:  # no 64-bit counters: the 32-bit ones, which wrap
        in_octets, out_octets, bits = (
            values.integer(get(oids.IF_IN_OCTETS)),
            values.integer(get(oids.IF_OUT_OCTETS)),
            32,
        )
    facts = _row_facts(if_index, {name: get(oid) for name, oid in oids.IF_TABLE_COLUMNS.items()})
    uptime = values.uptime_seconds(
        answered.get(oids.SYS_UPTIME), answered.get(oids.HR_SYSTEM_UPTIME), answered.get(oids.SNMP_ENGINE_TIME)
    )
    sample = CounterSample(
        at=at,
        in_octets=in_octets,
        out_octets=out_octets,
        counter_bits=bits,
        if_index=if_index,
        uptime_s=uptime,
        speed_mbps=facts.speed_mbps,
    )
    return sample, facts


def still_named(named: str | None, facts: InterfaceFacts) -> bool:
    """Whether the interface at the stored index is still the one the register names."""
    if not named or named.strip().isdigit():
        return True
    return find_interface(named, [facts]) is not None
