"""The demo's simulated province, made from the example register: one SNMP recording per unit
router, whose WAN counters grow at a chosen share of the link's contracted bandwidth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from auditor.domain import Category, fold
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

# Each maker's names for the router's WAN (ifIndex 1) and LAN (ifIndex 2) ports: (ifDescr, ifName).
ROUTER_PORTS = {
    "cisco": (("GigabitEthernet0/0/0", "Gi0/0/0"), ("GigabitEthernet0/0/1", "Gi0/0/1")),
    "juniper": (("ge-0/0/0", "ge-0/0/0"), ("ge-0/0/1", "ge-0/0/1")),
    "mikrotik": (("ether1", "ether1"), ("ether2", "ether2")),
    "huawei": (("GigabitEthernet0/0/0", "GE0/0/0"), ("GigabitEthernet0/0/1", "GE0/0/1")),
}


def router_ports(vendor: str | None) -> tuple[tuple[str, str], tuple[str, str]]:
    """The router's (WAN, LAN) port names, as its maker names them."""
    return ROUTER_PORTS.get(fold(vendor or ""), ROUTER_PORTS["cisco"])


SWITCH_IDENTITY = (
    "1.3.6.1.4.1.9.1.694",
    "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11, RELEASE SOFTWARE (fc3)",
)
ROUTER_LAN_IF, SWITCH_PORTS, SWITCH_UPLINK = 2, 8, 10101  # the router's LAN ifIndex; the switch's ports
LAN_FIRST_HOST = 20  # the first address DHCP hands out on a unit's LAN
STRANGER_OUI = "f8:b1:56"  # a Dell PC nobody registered, on the LAN of each unit with a switch

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


@dataclass(frozen=True)
class SimulatedSwitch:
    unit_code: str
    hostname: str
    address: str
    asset_tag: str
    community: str


@dataclass(frozen=True)
class LanHost:
    """A PC on a unit's LAN as the router's ARP table and the switch's forwarding table show it;
    the register lists it by MAC with no address (DHCP), or not at all."""

    address: str
    mac: str
    port: int  # the switch's bridge port
    device: DeviceRecord | None


def _octets(mac: str) -> str:
    return ".".join(str(int(part, 16)) for part in mac.split(":"))


def _lan(devices: dict[str, DeviceRecord], unit_code: str, router_address: str) -> list[LanHost]:
    """The hosts of a unit's LAN: its devices registered by MAC, and beside them, where the unit
    has a switch, a PC nobody registered."""
    prefix = router_address.rsplit(".", 1)[0]
    mine = [d for d in devices.values() if d.unit_code == unit_code and d.mac]
    hosts = [LanHost(f"{prefix}.{LAN_FIRST_HOST + i}", d.mac or "", 3 + i, d) for i, d in enumerate(mine)]
    if mine and any(d.unit_code == unit_code and d.category is Category.SWITCH and d.ip for d in devices.values()):
        third = int(prefix.rsplit(".", 1)[1])
        hosts.append(LanHost(f"{prefix}.99", f"{STRANGER_OUI}:{third:02x}:00:99", SWITCH_PORTS, None))
    return hosts


def _arp_rows(hosts: list[LanHost]) -> list[tuple[str, str, str]]:
    rows = []
    for host in hosts:
        index = f"{ROUTER_LAN_IF}.1.4.{host.address}"
        rows += [
            (f"1.3.6.1.2.1.4.35.1.4.{index}", "4x", host.mac.replace(":", "")),
            (f"1.3.6.1.2.1.4.35.1.6.{index}", "2", "3"),
        ]
    return rows


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
        wan, lan = router_ports(device.vendor)
        rows = [
            ("1.3.6.1.2.1.1.1.0", "4", descr.format(model=device.model)),
            ("1.3.6.1.2.1.1.2.0", "6", object_id),
            ("1.3.6.1.2.1.1.3.0", "67", "8640000"),
            ("1.3.6.1.2.1.1.5.0", "4", router.hostname),
            ("1.3.6.1.2.1.2.2.1.2.1", "4", wan[0]),
            ("1.3.6.1.2.1.2.2.1.2.2", "4", lan[0]),
            ("1.3.6.1.2.1.2.2.1.8.1", "2", "1"),
            ("1.3.6.1.2.1.2.2.1.8.2", "2", "1"),
            ("1.3.6.1.2.1.31.1.1.1.1.1", "4", wan[1]),
            ("1.3.6.1.2.1.31.1.1.1.1.2", "4", lan[1]),
            ("1.3.6.1.2.1.31.1.1.1.6.1", "70:numeric", f"rate={down_bytes}"),
            ("1.3.6.1.2.1.31.1.1.1.10.1", "70:numeric", f"rate={down_bytes // 8}"),
            ("1.3.6.1.2.1.31.1.1.1.15.1", "66", "1000"),
            ("1.3.6.1.2.1.31.1.1.1.15.2", "66", "1000"),
            ("1.3.6.1.2.1.31.1.1.1.18.1", "4", "WAN TSLCD VNPT"),
            ("1.3.6.1.2.1.47.1.1.1.1.5.1", "2", "3"),
            ("1.3.6.1.2.1.47.1.1.1.1.11.1", "4", device.serial or ""),
            ("1.3.6.1.2.1.47.1.1.1.1.13.1", "4", device.model or ""),
            *_arp_rows(_lan(devices, router.unit_code, router.address)),
        ]
        rows.sort(key=lambda row: tuple(int(part) for part in row[0].split(".")))
        (into / f"{router.community}.snmprec").write_text(
            "".join(f"{o}|{t}|{v}\n" for o, t, v in rows), encoding="utf-8"
        )
    return made


def write_switches(register: Path, into: Path, router_macs: dict[str, str] | None = None) -> list[SimulatedSwitch]:
    """One .snmprec for the switch of each unit that has a router and a switch with an address: its
    ports, the forwarding table with the LAN's PCs on their ports and the router behind its
    uplink, and the router as its CDP neighbour there."""
    devices, _ = _register(register)
    routers_by_unit = {r.unit_code: r for r in routers(register)}
    made = []
    for device in devices.values():
        router = routers_by_unit.get(device.unit_code)
        if device.category is not Category.SWITCH or not device.ip or router is None:
            continue
        switch = SimulatedSwitch(
            device.unit_code, device.hostname or "", device.ip, device.asset_tag or "", device.hostname or ""
        )
        object_id, descr = SWITCH_IDENTITY
        router_mac = (router_macs or {}).get(router.unit_code, "00:26:0b:00:00:01")
        rows = [
            ("1.3.6.1.2.1.1.1.0", "4", descr),
            ("1.3.6.1.2.1.1.2.0", "6", object_id),
            ("1.3.6.1.2.1.1.3.0", "67", "8640000"),
            ("1.3.6.1.2.1.1.5.0", "4", switch.hostname),
            ("1.3.6.1.2.1.47.1.1.1.1.5.1", "2", "3"),
            ("1.3.6.1.2.1.47.1.1.1.1.11.1", "4", device.serial or ""),
            ("1.3.6.1.2.1.47.1.1.1.1.13.1", "4", device.model or ""),
        ]
        ports = {10000 + n: (n, f"FastEthernet0/{n}", f"Fa0/{n}") for n in range(1, SWITCH_PORTS + 1)}
        ports[SWITCH_UPLINK] = (SWITCH_PORTS + 17, "GigabitEthernet0/1", "Gi0/1")
        for if_index, (bridge_port, descr_name, short) in ports.items():
            rows += [
                (f"1.3.6.1.2.1.2.2.1.2.{if_index}", "4", descr_name),
                (f"1.3.6.1.2.1.2.2.1.3.{if_index}", "2", "6"),
                (f"1.3.6.1.2.1.31.1.1.1.1.{if_index}", "4", short),
                (f"1.3.6.1.2.1.17.1.4.1.2.{bridge_port}", "2", str(if_index)),
            ]
        behind = [(h.mac, h.port) for h in _lan(devices, device.unit_code, router.address)]
        behind.append((router_mac, SWITCH_PORTS + 17))
        for mac, port in behind:
            rows += [
                (f"1.3.6.1.2.1.17.4.3.1.2.{_octets(mac)}", "2", str(port)),
                (f"1.3.6.1.2.1.17.4.3.1.3.{_octets(mac)}", "2", "3"),
            ]
        cdp = f"{SWITCH_UPLINK}.1"
        gateway = devices[router.hostname]
        address = "".join(f"{int(o):02x}" for o in router.address.split("."))
        rows += [
            (f"1.3.6.1.4.1.9.9.23.1.2.1.1.3.{cdp}", "2", "1"),
            (f"1.3.6.1.4.1.9.9.23.1.2.1.1.4.{cdp}", "4x", address),
            (f"1.3.6.1.4.1.9.9.23.1.2.1.1.6.{cdp}", "4", router.hostname),
            (f"1.3.6.1.4.1.9.9.23.1.2.1.1.7.{cdp}", "4", router_ports(gateway.vendor)[1][1]),
            (f"1.3.6.1.4.1.9.9.23.1.2.1.1.8.{cdp}", "4", f"{gateway.vendor} {gateway.model}"),
        ]
        rows.sort(key=lambda row: tuple(int(part) for part in row[0].split(".")))
        (into / f"{switch.community}.snmprec").write_text(
            "".join(f"{o}|{t}|{v}\n" for o, t, v in rows), encoding="utf-8"
        )
        made.append(switch)
    return made
