"""`auditor scan` and `auditor poll` end to end: real agents (snmpsim), real ICMP, real databases."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from auditor.db.engine import open_database
from auditor.db.models import DevicePoll, Interface
from auditor.lab import netns
from auditor.lab.snmpsim import SnmpSimulator, responder_command, single_agent_dir
from tests.conftest import CORPUS, Cli
from tests.register.test_import import write_csv

AUDITOR = str(Path(sys.executable).with_name("auditor"))


def _devices(auditor: Cli) -> list[dict[str, Any]]:
    return json.loads(auditor.ok("devices", "list", "--format", "json").stdout)  # type: ignore[no-any-return]


def _register_switch(auditor: Cli, workdir: Path, port: int, community: str) -> None:
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "Đảng ủy xã A"]])
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "asset_tag", "vendor", "snmp_version", "snmp_port", "snmp_community"],
            ["XA-A", "xa-a-sw1", "127.0.0.1", "TS-1", "Cisco Systems (sổ tài sản)", "2c", str(port), community],
        ],
    )
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "devices.csv")


def test_poll_sees_uptime_then_a_reboot(auditor: Cli, workdir: Path, lab: SnmpSimulator) -> None:
    _register_switch(auditor, workdir, lab.port, "reboot-before")
    first = auditor.ok("poll").stdout
    assert "answered SNMP       1   identified 1" in first and "reboots             0" in first
    (device,) = _devices(auditor)
    assert (device["uptime_s"], device["reachable"], device["os_version"]) == (86_400, True, "12.2(55)SE12")
    assert device["vendor"] == "Cisco Systems (sổ tài sản)"  # what the register says stays
    assert device["category"] == "switch" and device["last_seen"] is not None  # blanks are filled from SNMP

    # The same switch, which has restarted: its agent now says 120 s.
    auditor.ok(
        "register",
        "import",
        str(
            write_csv(
                workdir / "after.csv", [["asset_tag", "unit_code", "snmp_community"], ["TS-1", "XA-A", "reboot-after"]]
            )
        ),
    )
    second = auditor.ok("poll").stdout
    assert "reboots             1" in second
    assert _devices(auditor)[0]["uptime_s"] == 120
    database = open_database(auditor.db_url)
    with database.session(commit=False) as session:
        polls = [
            (p.uptime_s, p.rebooted, p.snmp_ok) for p in session.scalars(select(DevicePoll).order_by(DevicePoll.id))
        ]
    database.close()
    assert polls == [(86_400, False, True), (120, True, True)]


def test_poll_of_a_device_whose_agent_is_silent(auditor: Cli, workdir: Path, lab: SnmpSimulator) -> None:
    _register_switch(auditor, workdir, lab.port, "no-such-recording")
    out = auditor.ok("poll", "--timeout", "0.2", "--retries", "0").stdout
    assert "answered SNMP       0" in out
    results = Path(out.rsplit("Results: ", 1)[1].strip())
    (line,) = results.read_text(encoding="utf-8").splitlines()
    seen = json.loads(line)
    assert seen["snmp_ok"] is False and "no answer from 127.0.0.1" in seen["snmp_error"]
    assert "no-such-recording" not in results.read_text(encoding="utf-8")


def test_unknown_unit_and_bad_targets(auditor: Cli) -> None:
    result = auditor("scan", "127.0.0.1", "--unit", "XA-NONE")
    assert result.exit_code == 1 and "no unit with code 'XA-NONE'" in result.stderr
    result = auditor("scan", "127.0.0.0/8")  # refused before a packet leaves; and if not, loopback only
    assert result.exit_code == 2 and "more than the 65,536 a scan takes without --yes" in result.stderr


# ---------------------------------------------------------------- a mixed subnet in a namespace

needs_lab_network = [
    pytest.mark.skipif(netns.unavailable() is not None, reason=f"no namespaces: {netns.unavailable()}"),
    pytest.mark.skipif(responder_command() is None, reason="snmpsim is not installed (the lab extra)"),
    pytest.mark.skipif(not (CORPUS / "data").is_dir(), reason=f"the shared SNMP corpus is not at {CORPUS}"),
]
SECRET_COMMUNITY = "Xa-s3cret-2026"
WAIT_FOR_AGENT = """
import sys, time
from auditor.lab.snmpsim import answers

deadline = time.monotonic() + 60
while not answers(sys.argv[1], 161, sys.argv[2]):
    if time.monotonic() > deadline:
        sys.exit("no answer")
    time.sleep(0.3)
"""
SUBNET_AGENTS = {"198.18.0.5": "ios_2960x", "198.18.0.9": "routeros_rb750gr3"}
PLAIN_HOST = "198.18.0.20"  # answers ping, has no SNMP: a desktop


@pytest.fixture
def subnet(tmp_path: Path) -> Iterator[netns.DeadNetwork]:
    """198.18.0.0/24 in a namespace: two real SNMP agents, one host without SNMP, 251 dead addresses."""
    with netns.DeadNetwork(live=[*SUBNET_AGENTS, PLAIN_HOST]) as network:
        agents = []
        for address, recording in SUBNET_AGENTS.items():
            data = single_agent_dir(CORPUS / "data" / f"{recording}.snmprec", tmp_path / recording, SECRET_COMMUNITY)
            environment = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
            agents.append(
                subprocess.Popen(
                    [
                        *network.prefix,
                        str(responder_command()),
                        f"--data-dir={data}",
                        f"--cache-dir={tmp_path / (recording + '-c')}",
                        f"--agent-udpv4-endpoint={address}:161",
                        "--log-level=error",
                    ],
                    env=environment,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        try:
            for address in SUBNET_AGENTS:  # wait until each agent answers, as a poller would see it
                ready = network.run([sys.executable, "-c", WAIT_FOR_AGENT, address, SECRET_COMMUNITY], timeout=90)
                assert ready.returncode == 0, f"the agent on {address} did not start: {ready.stderr}"
            yield network
        finally:
            for agent in agents:
                agent.terminate()
                agent.wait(timeout=10)


def _in(network: netns.DeadNetwork, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return network.run([AUDITOR, *args], env=env, timeout=120)


@needs_lab_network[0]
@needs_lab_network[1]
@needs_lab_network[2]
def test_scan_of_a_mixed_subnet_stores_the_right_devices(
    subnet: netns.DeadNetwork, workdir: Path, sqlite_url: str
) -> None:
    env = dict(
        os.environ,
        AUDITOR_SNMP_COMMUNITIES=f"public,{SECRET_COMMUNITY}",
        AUDITOR_SNMP_TIMEOUT="1",
        AUDITOR_DB=sqlite_url,
    )
    assert _in(subnet, "init", env=env).returncode == 0
    write_csv(workdir / "u.csv", [["unit_code", "unit_name"], ["XA-B", "Đảng ủy xã B"]])
    assert _in(subnet, "register", "import", str(workdir / "u.csv"), env=env).returncode == 0

    scanned = _in(subnet, "scan", "198.18.0.0/24", "--unit", "XA-B", "--scans-dir", str(workdir / "scans"), env=env)
    assert scanned.returncode == 0, scanned.stderr
    assert "254 addresses" in scanned.stdout
    assert "answered ping       3" in scanned.stdout and "answered SNMP       2   identified 2" in scanned.stdout
    assert "new devices         3" in scanned.stdout and "unreachable       251" in scanned.stdout

    listed = _in(subnet, "devices", "list", "--format", "json", env=env)
    devices = {d["ip"]: d for d in json.loads(listed.stdout)}
    assert sorted(devices) == sorted([*SUBNET_AGENTS, PLAIN_HOST])
    cisco, mikrotik, plain = devices["198.18.0.5"], devices["198.18.0.9"], devices[PLAIN_HOST]
    assert (cisco["vendor"], cisco["category"], cisco["model"], cisco["serial"]) == (
        "Cisco",
        "switch",
        "WS-C2960X-48FPS-L",
        "FCW1929B68S",
    )
    assert (mikrotik["vendor"], mikrotik["category"], mikrotik["model"]) == ("MikroTik", "router", "RB750Gr3")
    assert (plain["vendor"], plain["reachable"], plain["rtt_ms"] is not None) == (None, True, True)
    assert all(d["unit_code"] == "XA-B" and d["registered"] is False for d in devices.values())

    # A second scan finds the same devices: nothing new, nothing doubled.
    again = _in(subnet, "scan", "198.18.0.0/24", "--unit", "XA-B", "--scans-dir", str(workdir / "scans"), env=env)
    assert "new devices         0" in again.stdout and "updated             3" in again.stdout
    assert len(json.loads(_in(subnet, "devices", "list", "--format", "json", env=env).stdout)) == 3

    # The run's record is private and never holds the community.
    scans = workdir / "scans"
    assert stat.S_IMODE(scans.stat().st_mode) == 0o700
    for record in scans.iterdir():
        assert stat.S_IMODE(record.stat().st_mode) == 0o600
        assert SECRET_COMMUNITY not in record.read_text(encoding="utf-8")


def test_poll_reads_the_interfaces_of_a_link_router(auditor: Cli, workdir: Path, lab: SnmpSimulator) -> None:
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "Đảng ủy xã A"]])
    write_csv(
        workdir / "links.csv",
        [
            ["unit_code", "name", "capacity_mbps", "device", "interface"],
            ["XA-A", "TSLCD", "30", "xa-a-gw", "WAN TSLCD VNPT"],
            ["XA-A", "Dự phòng", "10", "xa-a-gw", "ether9"],
        ],
    )
    auditor.ok("register", "import", "units.csv")
    imported = auditor.ok("register", "import", "links.csv")
    assert 'thiết bị "xa-a-gw" chưa có trong đơn vị XA-A' in imported.stderr  # a note, in Vietnamese by default
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "snmp_port", "snmp_community"],
            ["XA-A", "xa-a-gw", "127.0.0.1", str(lab.port), "link-router"],
        ],
    )
    auditor.ok("register", "import", "devices.csv")
    polled = auditor.ok("poll")
    assert (
        'link "Dự phòng": the register names interface "ether9", which xa-a-gw does not have (it has ether1, '
        "ether2, bridge…)"
    ) in polled.stderr
    links = {link["name"]: link for link in json.loads(auditor.ok("links", "list", "--format", "json").stdout)}
    assert (links["TSLCD"]["device"], links["TSLCD"]["if_index"]) == ("xa-a-gw", 1)  # found by its alias
    assert links["Dự phòng"]["if_index"] is None
    database = open_database(auditor.db_url)
    with database.session(commit=False) as session:
        found = [(i.if_index, i.name, i.speed_mbps, i.oper_up) for i in session.scalars(select(Interface))]
    database.close()
    assert sorted(found) == [(1, "ether1", 1000.0, True), (2, "ether2", 1000.0, False), (7, "bridge", None, True)]


def test_two_devices_at_one_address_are_reported_not_silently_merged(auditor: Cli, workdir: Path) -> None:
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "A"], ["XA-B", "B"]])
    write_csv(
        workdir / "devices.csv",
        [["unit_code", "hostname", "ip"], ["XA-A", "pc-a", "127.0.0.1"], ["XA-B", "pc-b", "127.0.0.1"]],
    )
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "devices.csv")
    polled = auditor.ok("poll")
    assert "): 1 address in " in polled.stdout
    assert "127.0.0.1 is the address of device 1 and of device 2; only the first was polled" in polled.stderr
