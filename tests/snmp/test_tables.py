"""The tables that show the devices around a router or switch: ARP/ND, forwarding tables, LLDP and
CDP.  Read from real recordings (LibreNMS's, with LibreNMS's own answer to compare with), served
by snmpsim inside a namespace that has only loopback; from an agent written here that breaks its
tables; and parsed from the shapes agents really send."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import datetime as dt
import json
import select
import shutil
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1905

from auditor.config import Secret
from auditor.endpoints import ArpEntry, FdbEntry, Neighbour, NetworkTables, RegisteredAddress, Sighting
from auditor.lab import netns
from auditor.lab.snmpsim import SnmpSimulator, free_udp_port, responder_command
from auditor.rules.endpoints import RegisterIndex, mac_kind, parse_mac_registry, sightings
from auditor.snmp import oids, tables
from auditor.snmp.client import SnmpClient, SnmpTarget
from auditor.snmp.poller import read_tables
from tests.conftest import WIDE_CORPUS

AT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)

# ---------------------------------------------------------------- LibreNMS's recordings


def _with_tables() -> list[str]:
    expected = WIDE_CORPUS / "expected"
    names = []
    for path in sorted(expected.glob("*.json")) if expected.is_dir() else []:
        found = json.loads(path.read_text(encoding="utf-8"))
        if found.get("arp_table") or found.get("fdb_table") or found.get("neighbours"):
            names.append(path.stem)
    return names


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every recording LibreNMS gave tables for, read by `read_tables` inside a loopback-only namespace."""
    if not (WIDE_CORPUS / "data").is_dir():
        pytest.skip(f"the wide SNMP corpus is not at {WIDE_CORPUS}")
    if responder_command() is None:
        pytest.skip("snmpsim is not installed (the lab extra)")
    if netns.unavailable() is not None:
        pytest.skip(
            f"the recordings' tables hold real-world addresses; read only in a namespace: {netns.unavailable()}"
        )
    data = tmp_path_factory.mktemp("tables")
    for name in _with_tables():
        shutil.copyfile(WIDE_CORPUS / "data" / f"{name}.snmprec", data / f"{name}.snmprec")
    with netns.LoopbackOnly() as namespace:
        done = namespace.run([sys.executable, "-m", "auditor.lab.tables", str(data)], timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return {row["name"]: row for row in map(json.loads, done.stdout.splitlines())}


def _expected(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((WIDE_CORPUS / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    return found


@pytest.mark.root
@pytest.mark.parametrize("name", [n for n in _with_tables() if _expected(n).get("arp_table")])
def test_arp_tables_match_librenms(recorded: dict[str, dict[str, Any]], name: str) -> None:
    theirs = {(e["ipv4_address"], e["mac_address"]) for e in _expected(name)["arp_table"]}
    ours = {(e["ip"], e["mac"].replace(":", "")) for e in recorded[name]["arp"] if ":" not in e["ip"]}
    assert ours == theirs


@pytest.mark.root
@pytest.mark.parametrize("name", [n for n in _with_tables() if _expected(n).get("fdb_table")])
def test_forwarding_tables_match_librenms(recorded: dict[str, dict[str, Any]], name: str) -> None:
    theirs = {(e["mac_address"], e["vlan_vlan"]) for e in _expected(name)["fdb_table"]}
    ours = {(e["mac"].replace(":", ""), e["vlan"]) for e in recorded[name]["fdb"]}
    assert ours == theirs
    # This switch's bridge ports are numbered 1…; its interfaces 49153…: it maps none of them.
    assert all(e["if_index"] is None for e in recorded[name]["fdb"])


def _holds(name: str, prefix: str) -> bool:
    with (WIDE_CORPUS / "data" / f"{name}.snmprec").open(encoding="utf-8", errors="replace") as lines:
        return any(line.startswith(prefix) for line in lines)


@pytest.mark.root
@pytest.mark.parametrize("name", [n for n in _with_tables() if _expected(n).get("neighbours")])
def test_every_neighbour_librenms_found_is_found(recorded: dict[str, dict[str, Any]], name: str) -> None:
    """LibreNMS names a neighbour by its sysName, else its sysDescr; the local port by ifName."""
    if not (_holds(name, oids.LLDP_REM) or _holds(name, oids.CDP_CACHE)):
        pytest.skip(f"{name} holds its neighbours in its maker's own MIB, not in LLDP-MIB or CISCO-CDP-MIB")
    theirs = {(n["ifName"], n["remote_hostname"], n["protocol"]) for n in _expected(name)["neighbours"]}
    ours = {(n["local_port"], n["name"] or n["platform"], n["protocol"]) for n in recorded[name]["neighbours"]}
    assert theirs <= ours, sorted(theirs - ours)


@pytest.mark.root
def test_what_a_switch_will_not_say_is_noted(recorded: dict[str, dict[str, Any]]) -> None:
    junos = recorded["junos_qfx5100"]  # Junos gives port 0 for most of its forwarding entries
    assert any("name no bridge port (port 0)" in p for p in junos["problems"]), junos["problems"]
    assert all(e["bridge_port"] > 0 for e in junos["fdb"])


@pytest.mark.root
def test_every_recording_costs_few_requests(recorded: dict[str, dict[str, Any]]) -> None:
    """An absent table costs one request; the largest here (1,024 forwarding entries) well under 100."""
    assert max(r["requests"] for r in recorded.values()) < 120
    assert min(r["requests"] for r in recorded.values()) <= 15


# ---------------------------------------------------------------- what agents send, parsed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (bytes.fromhex("3c5282000010"), "3c:52:82:00:00:10"),
        (b"e4:f0:4:e1:89:1a", "e4:f0:04:e1:89:1a"),  # Dell's agents send it as text
        ("00-1A-2B-3C-4D-5E", "00:1a:2b:3c:4d:5e"),
        (bytes(6), None),  # an incomplete ARP entry
        (b"\xff" * 6, None),  # broadcast
        (bytes.fromhex("01005e000005"), None),  # multicast (OSPF)
        (bytes.fromhex("3c52820000"), None),  # five octets
        (bytes.fromhex("3c528200001011"), None),  # seven
        (b"not a mac", None),
        (None, None),
        (42, None),
    ],
)
def test_macs(value: Any, expected: str | None) -> None:
    assert tables.mac(value) == expected


def _column(base: str, number: int, rows: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(f"{base}.{number}.{index}", value) for index, value in rows.items()]


def test_arp_from_both_tables_with_bad_rows_refused() -> None:
    physical = {
        "mac": _column(
            oids.IP_NET_TO_PHYSICAL,
            4,
            {
                "3.1.4.10.0.0.5": bytes.fromhex("3c5282000005"),  # ipv4 with its length
                "3.1.10.0.0.6": bytes.fromhex("3c5282000006"),  # an agent that leaves the length out
                "3.2.16.254.128.0.0.0.0.0.0.62.82.130.255.254.0.0.5": bytes.fromhex("3c5282000005"),  # IPv6
                "3.1.4.10.0.0.1": bytes.fromhex("3c52820000ff"),  # the router's own (local)
                "3.1.4.10.0.0.7": bytes.fromhex("3c52820000"),  # a MAC of five octets
                "3.1.4.10.0.0.8": bytes(6),  # incomplete: not an endpoint, not an error
                "7": bytes.fromhex("3c5282000009"),  # no address in the index
            },
        ),
        "type": _column(oids.IP_NET_TO_PHYSICAL, 6, {"3.1.4.10.0.0.1": 5, "3.1.10.0.0.6": 4}),
    }
    media = {
        "mac": _column(
            oids.IP_NET_TO_MEDIA,
            2,
            {"3.10.0.0.5": bytes.fromhex("3c5282000005"), "3.10.0.0.9": bytes.fromhex("3c5282000009")},
        )
    }
    found, own, refused = tables.arp(physical, media)
    assert {(e.ip, e.mac) for e in found} == {
        ("10.0.0.5", "3c:52:82:00:00:05"),
        ("10.0.0.6", "3c:52:82:00:00:06"),
        ("fe80::3e52:82ff:fe00:5", "3c:52:82:00:00:05"),
        ("10.0.0.9", "3c:52:82:00:00:09"),  # only the older table has it
    }
    assert next(e for e in found if e.ip == "10.0.0.6").static
    assert own == {"3c:52:82:00:00:ff"}
    assert refused == 2


def test_forwarding_entries_are_mapped_to_interfaces_and_vlans() -> None:
    mac = "0.26.43.60.77.94"  # 00:1a:2b:3c:4d:5e
    q_bridge = {
        "port": _column(
            oids.DOT1Q_TP_FDB, 2, {f"7.{mac}": 3, f"8.{mac}": 9, "7.1.0.94.0.0.1": 3, "7.1.2.3": 3, "7.0.1.2.3.4.5": 0}
        ),
        "status": _column(oids.DOT1Q_TP_FDB, 3, {f"7.{mac}": 3, f"8.{mac}": 3}),
    }
    base_ports = [(f"{oids.DOT1D_BASE_PORT_IF_INDEX}.3", 10003)]  # port 9 maps to nothing
    vlan_ids = [(f"{oids.DOT1Q_VLAN_FDB_ID}.0.20", 7)]  # fdbId 7 is VLAN 20; fdbId 8 has no map: VLAN 8
    found, refused, portless = tables.fdb(q_bridge, {}, base_ports, vlan_ids)
    assert [(e.mac, e.bridge_port, e.if_index, e.vlan) for e in found] == [
        ("00:1a:2b:3c:4d:5e", 9, None, 8),
        ("00:1a:2b:3c:4d:5e", 3, 10003, 20),
    ]
    assert refused == 1  # the index of four arcs; the multicast group is left out silently
    assert portless == 1


def test_a_switch_that_maps_no_port_numbers_its_ports_as_its_interfaces() -> None:
    bridge = {"port": _column(oids.DOT1D_TP_FDB, 2, {"0.26.43.60.77.94": 5})}
    found, _, _ = tables.fdb({}, bridge, [], [], interfaces=[5, 6])
    assert [(e.if_index, e.vlan) for e in found] == [(5, None)]


# ---------------------------------------------------------------- edge ports and matching


def _tables(**kwargs: Any) -> NetworkTables:
    names = {1: "Gi0/1", 2: "Gi0/2", 3: "Gi0/3", 24: "Gi0/24", 50: "Po1"}
    return NetworkTables(port_names=names, **kwargs)


def test_only_edge_ports_are_kept() -> None:
    switch_upstream = "00:11:22:33:44:55"
    fdb = (
        FdbEntry("3c:52:82:00:00:01", 1, 1, 10),  # a PC on Gi0/1: edge
        FdbEntry("3c:52:82:00:00:02", 2, 2, 10),  # behind Gi0/2, where LLDP sees a switch
        FdbEntry("3c:52:82:00:00:03", 3, 3, 10),  # behind Gi0/3 with a known router's MAC: an uplink
        FdbEntry(switch_upstream, 3, 3, 10),
        FdbEntry("3c:52:82:00:00:04", 24, 24, 10),  # on a LAG member, folded onto Po1
        FdbEntry("3c:52:82:00:00:05", 77, None, 10),  # a bridge port with no interface
    )
    neighbours = (Neighbour("lldp", 2, "Gi0/2", name="sw-tang2", chassis="00:aa:bb:cc:dd:ee"),)
    report = sightings(7, _tables(fdb=fdb, neighbours=neighbours, lag={24: 50}), AT, {switch_upstream})
    edge = {(s.mac, s.port) for s in report.sightings if s.source == "fdb"}
    assert edge == {
        ("3c:52:82:00:00:01", "Gi0/1"),
        ("3c:52:82:00:00:04", "Po1"),
        ("3c:52:82:00:00:05", "bridge port 77"),
    }
    assert report.uplink_ports == 2 and report.behind_uplinks == 3
    assert [(s.mac, s.source, s.port, s.name) for s in report.sightings if s.source == "lldp"] == [
        ("00:aa:bb:cc:dd:ee", "lldp", "Gi0/2", "sw-tang2")
    ]


def test_arp_entries_are_sightings_but_not_the_routers_own() -> None:
    arp = (ArpEntry("10.0.0.5", "3c:52:82:00:00:05", 50), ArpEntry("10.0.0.1", "3c:52:82:00:00:ff", 50))
    report = sightings(7, _tables(arp=arp, own_macs=frozenset({"3c:52:82:00:00:ff"})), AT)
    assert [(s.ip, s.port, s.seen_on) for s in report.sightings] == [("10.0.0.5", "Po1", 7)]


def test_matching_to_the_register() -> None:
    index = RegisterIndex(
        [
            RegisteredAddress(1, 5, "3c:52:82:00:00:01", "10.0.0.99", "pc-ketoan"),
            RegisteredAddress(2, 5, None, "10.0.0.11", "pc-vanthu"),
            RegisteredAddress(3, 5, "3c:52:82:00:00:03", "10.0.0.12", "pc-cu"),  # the address is someone else's now
            RegisteredAddress(4, 5, None, None, "MAY-IN.xa.local"),
        ]
    )

    def seen(ip: str | None = None, name: str | None = None, source: str = "arp") -> list[Sighting]:
        return [Sighting("3c:52:82:00:00:77", source, AT, ip=ip, name=name)]

    assert index.match("3c:52:82:00:00:01", seen("10.0.0.5")) == (1, "mac")  # a DHCP move is the same PC
    assert index.match("3c:52:82:00:00:77", seen("10.0.0.11")) == (2, "ip")
    assert index.match("3c:52:82:00:00:77", seen("10.0.0.12")) == (None, None)
    assert index.match("3c:52:82:00:00:77", seen(name="may-in", source="netbios")) == (4, "netbios name")


def test_mac_registry_longest_prefix_first_and_local_macs() -> None:
    registry = parse_mac_registry(
        "# comment\n00:1B:C5\t\tIEEE Registration Authority\n00:1B:C5:00:00:00/36\tConverging Systems Inc.\n"
        "70:B3:D5:10:00:00/28\tA MA-M holder\n3C:52:82\tHP\tHewlett Packard\nbad line\n"
    )
    assert registry.vendor("00:1b:c5:00:00:05") == "Converging Systems Inc."
    assert registry.vendor("00:1b:c5:99:00:05") == "IEEE Registration Authority"
    assert registry.vendor("70:b3:d5:1f:ff:ff") == "A MA-M holder"
    assert registry.vendor("3c:52:82:12:34:56") == "Hewlett Packard"
    assert registry.vendor("02:42:ac:11:00:02") is None and mac_kind("02:42:ac:11:00:02") == "local"
    assert mac_kind("3c:52:82:12:34:56") == "global"


def test_the_shipped_registry_is_fresh_and_whole() -> None:
    from auditor.catalogs import mac_registry

    registry = mac_registry()
    assert all(len(registry.blocks[bits]) > 1000 for bits in (24, 28, 36)), "MA-L, MA-M and MA-S"
    assert registry.vendor("b8:27:eb:00:00:01") == "Raspberry Pi Foundation"


# ---------------------------------------------------------------- an agent that breaks its tables


class TableAgent:
    """A real SNMPv2c agent on loopback serving `values` in order (GETNEXT, GETBULK), written for
    these tests.  Under `backwards`, its walk goes back to the subtree's start after two rows."""

    def __init__(self, values: dict[str, Any], backwards: str | None = None) -> None:
        self.keys = sorted(values, key=lambda o: tuple(int(a) for a in o.split(".")))
        self.sorted = [tuple(int(a) for a in o.split(".")) for o in self.keys]
        self.values, self.backwards = values, backwards
        self.port = free_udp_port("127.0.0.1")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TableAgent:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.1)
            if ready:
                data, peer = self.sock.recvfrom(65535)
                with contextlib.suppress(Exception):
                    self.sock.sendto(self._answer(data), peer)

    def _next(self, oid: str) -> str | None:
        if self.backwards and oid.startswith(self.backwards + ".") and oid.rsplit(".", 1)[-1] == "2":
            return self.keys[bisect.bisect_right(self.sorted, tuple(int(a) for a in self.backwards.split(".")))]
        at = bisect.bisect_right(self.sorted, tuple(int(a) for a in oid.split(".")))
        return self.keys[at] if at < len(self.keys) else None

    def _answer(self, data: bytes) -> bytes:
        proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
        message, _ = decoder.decode(data, asn1Spec=proto.Message())
        request = proto.apiMessage.get_pdu(message)
        response = proto.apiMessage.get_response(message)
        pdu = proto.apiMessage.get_pdu(response)
        asked = [str(oid) for oid, _ in proto.apiPDU.get_varbinds(request)]
        varbinds: list[tuple[str, Any]] = []
        if isinstance(request, proto.GetRequestPDU):
            varbinds = [(oid, _encode(self.values.get(oid))) for oid in asked]
        else:
            count = (
                int(proto.apiBulkPDU.get_max_repetitions(request))
                if isinstance(request, proto.GetBulkRequestPDU)
                else 1
            )
            current = asked[0]
            for _ in range(max(count, 1)):
                found = self._next(current)
                if found is None:
                    varbinds.append((current, rfc1905.endOfMibView))
                    break
                varbinds.append((found, _encode(self.values[found])))
                current = found
        proto.apiPDU.set_varbinds(pdu, varbinds)
        return bytes(encoder.encode(response))


def _encode(value: Any) -> Any:
    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    if value is None:
        return rfc1905.noSuchObject
    if isinstance(value, bytes):
        return proto.OctetString(value)
    return proto.Integer(value)


def _router(arp_entries: int) -> dict[str, Any]:
    values: dict[str, Any] = {f"{oids.IF_NAME}.3": b"vlan10"}
    for n in range(arp_entries):
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        values[f"{oids.IP_NET_TO_MEDIA}.2.3.{address}"] = bytes.fromhex("3c5282") + n.to_bytes(3, "big")
    return values


def _read(agent: TableAgent) -> NetworkTables:
    async def read() -> NetworkTables:
        async with SnmpClient() as client:
            return await read_tables(
                client, SnmpTarget("127.0.0.1", agent.port, community=Secret("x"), timeout_s=1.0, retries=1)
            )

    return asyncio.run(read())


def test_a_table_that_goes_backwards_is_noted_and_the_others_are_read() -> None:
    values = _router(5) | {f"{oids.CDP_CACHE}.6.3.1": b"sw-tang2", f"{oids.CDP_CACHE}.7.3.1": b"Gi0/1"}
    with TableAgent(values, backwards=f"{oids.IP_NET_TO_MEDIA}.2.3.10.0.0") as agent:
        found = _read(agent)
    assert any("ipNetToMediaTable" in p and "went backwards" in p for p in found.problems), found.problems
    assert [(n.name, n.port, n.local_port) for n in found.neighbours] == [("sw-tang2", "Gi0/1", "vlan10")]


def test_a_huge_arp_table_is_cut_short_at_the_bound() -> None:
    """More entries than the bound (100,000): the walk stops there and says so.  Its memory is
    bounded with it (each entry is one small object; `benchmarks/tables.py` measures both)."""
    from auditor.snmp import poller

    with TableAgent(_router(poller.TABLE_ROWS_MAX + 500)) as agent:
        found = _read(agent)
    assert len(found.arp) == poller.TABLE_ROWS_MAX
    assert any("cut short at 100,000 rows" in p for p in found.problems), found.problems


# ---------------------------------------------------------------- Cisco's per-VLAN forwarding tables


def _snmprec(rows: dict[str, str]) -> str:
    ordered = sorted(rows.items(), key=lambda item: tuple(int(a) for a in item[0].split(".")))
    return "".join(f"{oid}|{value}\n" for oid, value in ordered)


def _fdb_rows(entries: dict[str, int]) -> dict[str, str]:
    rows = {f"{oids.DOT1D_BASE_PORT_IF_INDEX}.{port}": f"2|{10000 + port}" for port in (3, 4, 25)}
    for mac, port in entries.items():
        index = ".".join(str(int(part, 16)) for part in mac.split(":"))
        rows[f"{oids.DOT1D_TP_FDB}.2.{index}"] = f"2|{port}"
        rows[f"{oids.DOT1D_TP_FDB}.3.{index}"] = "2|3"
    return rows


@pytest.mark.skipif(responder_command() is None, reason="snmpsim is not installed (the lab extra)")
def test_a_cisco_switch_is_read_vlan_by_vlan(tmp_path: Path) -> None:
    """Cisco IOS serves each VLAN's forwarding table only to "community@vlan" (snmpsim serves a
    community per recording, so each VLAN is a recording of its own, as each is a context there)."""
    base = {
        "1.3.6.1.2.1.1.1.0": "4|Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE11",
        "1.3.6.1.2.1.1.2.0": "6|1.3.6.1.4.1.9.1.694",
        **{f"{oids.IF_NAME}.{10000 + p}": f"4|Fa0/{p}" for p in (3, 4, 25)},
        **{f"{oids.VTP_VLAN_STATE}.1.{vlan}": "2|1" for vlan in (1, 10, 20, 1002)},
    }
    (tmp_path / "sw.snmprec").write_text(_snmprec(base), encoding="utf-8")
    per_vlan = {1: {"3c:52:82:00:00:01": 3}, 10: {"3c:52:82:00:00:10": 4, "00:26:0b:00:00:01": 25}, 20: {}}
    for vlan, entries in per_vlan.items():
        (tmp_path / f"sw@{vlan}.snmprec").write_text(_snmprec(_fdb_rows(entries)), encoding="utf-8")
    with SnmpSimulator(tmp_path, probe_community="sw") as agent:

        async def read() -> NetworkTables:
            async with SnmpClient() as client:
                target = SnmpTarget(agent.host, agent.port, community=Secret("sw"), timeout_s=1.0, retries=1)
                return await read_tables(client, target, enterprise=oids.CISCO)

        found = asyncio.run(read())
    assert sorted((e.vlan, e.mac, e.if_index) for e in found.fdb) == [
        (1, "3c:52:82:00:00:01", 10003),
        (10, "00:26:0b:00:00:01", 10025),
        (10, "3c:52:82:00:00:10", 10004),
    ]
    assert found.problems == ()
