"""The demo's simulated province, made from the example register: one SNMP recording per unit
router, whose WAN counters grow at a chosen share of the link's contracted bandwidth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from auditor.domain import fold
from auditor.facts import DeviceRecord, LinkRecord
from auditor.register.files import parse_file

# What each vendor's router says of itself (sysObjectID, sysDescr with {model} in it).
ROUTER_IDENTITY = {
    "cisco": (
        "1.3.6.1.4.1.9.1.2068",
        "Cisco IOS Software [Fuji], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
        "Version 16.9.5, RELEASE SOFTWARE (fc1)",
    ),
    "juniper": (
        "1.3.6.1.4.1.2636.1.1.1.2.133",
        "Juniper Networks, Inc. {model} internet router, kernel JUNOS 19.4R3-S1.3, Build date: 2020-10-01 00:00:00 UTC",
    ),
    "mikrotik": ("1.3.6.1.4.1.14988.1", "RouterOS {model}"),
    "huawei": (
        "1.3.6.1.4.1.2011.2.224.62",
        "Huawei {model} Huawei Versatile Routing Platform Software VRP (R) "
        "software,Version 5.170 (AR160 V200R010C10SPC700) Copyright (C) 2011-2020 Huawei Tech",
    ),
}

# The share of its contracted bandwidth each link carries in working hours, by capacity: the
# small commune links are the congested ones, as in the field.
LOAD_BY_CAPACITY = {20: 0.96, 30: 0.84, 50: 0.55, 100: 0.35, 200: 0.25}


@dataclass(frozen=True)
class SimulatedRouter:
    unit_code: str
    hostname: str
    address: str
    asset_tag: str
    community: str
    load: float  # share of the contracted bandwidth, in working hours
    capacity_mbps: float


def _register(register: Path) -> tuple[dict[str, DeviceRecord], list[LinkRecord]]:
    """The example register, read by the importer's own parser."""
    today = dt.date.today()
    devices = {
        r.record.hostname or "": r.record
        for sheet in parse_file(register / "thiet-bi.csv", today)
        for r in sheet.rows
        if isinstance(r.record, DeviceRecord)
    }
    links = [
        r.record
        for sheet in parse_file(register / "duong-truyen.csv", today)
        for r in sheet.rows
        if isinstance(r.record, LinkRecord)
    ]
    return devices, links


def routers(register: Path) -> list[SimulatedRouter]:
    """The routers of the example register that carry its links, with the load each link will show."""
    devices, links = _register(register)
    found = []
    for link in links:
        router = devices[link.device or ""]
        found.append(
            SimulatedRouter(
                unit_code=link.unit_code,
                hostname=router.hostname or "",
                address=router.ip or "",
                asset_tag=router.asset_tag or "",
                community=router.hostname or "",
                load=LOAD_BY_CAPACITY.get(int(link.capacity_down_mbps), 0.3),
                capacity_mbps=link.capacity_down_mbps,
            )
        )
    return found


def write_recordings(register: Path, into: Path) -> list[SimulatedRouter]:
    """One .snmprec per router (named after its community) in `into`; returns the routers."""
    devices, _ = _register(register)
    into.mkdir(parents=True, exist_ok=True)
    made = routers(register)
    for router in made:
        device = devices[router.hostname]
        object_id, descr = ROUTER_IDENTITY.get(fold(device.vendor or ""), ROUTER_IDENTITY["cisco"])
        down_bytes = int(router.capacity_mbps * router.load * 1e6 / 8)
        rows = [
            ("1.3.6.1.2.1.1.1.0", "4", descr.format(model=device.model)),
            ("1.3.6.1.2.1.1.2.0", "6", object_id),
            ("1.3.6.1.2.1.1.3.0", "67", "8640000"),
            ("1.3.6.1.2.1.1.5.0", "4", router.hostname),
            ("1.3.6.1.2.1.2.2.1.2.1", "4", "GigabitEthernet0/0/0"),
            ("1.3.6.1.2.1.2.2.1.2.2", "4", "GigabitEthernet0/0/1"),
            ("1.3.6.1.2.1.2.2.1.8.1", "2", "1"),
            ("1.3.6.1.2.1.2.2.1.8.2", "2", "1"),
            ("1.3.6.1.2.1.31.1.1.1.1.1", "4", "Gi0/0/0"),
            ("1.3.6.1.2.1.31.1.1.1.1.2", "4", "Gi0/0/1"),
            ("1.3.6.1.2.1.31.1.1.1.6.1", "70:numeric", f"rate={down_bytes}"),
            ("1.3.6.1.2.1.31.1.1.1.10.1", "70:numeric", f"rate={down_bytes // 8}"),
            ("1.3.6.1.2.1.31.1.1.1.15.1", "66", "1000"),
            ("1.3.6.1.2.1.31.1.1.1.15.2", "66", "1000"),
            ("1.3.6.1.2.1.31.1.1.1.18.1", "4", "WAN TSLCD VNPT"),
            ("1.3.6.1.2.1.47.1.1.1.1.5.1", "2", "3"),
            ("1.3.6.1.2.1.47.1.1.1.1.11.1", "4", device.serial or ""),
            ("1.3.6.1.2.1.47.1.1.1.1.13.1", "4", device.model or ""),
        ]
        rows.sort(key=lambda row: tuple(int(part) for part in row[0].split(".")))
        (into / f"{router.community}.snmprec").write_text(
            "".join(f"{o}|{t}|{v}\n" for o, t, v in rows), encoding="utf-8"
        )
    return made
