"""PCs that ignore ping, seen through the router: a commune LAN in network namespaces, the
router's real kernel neighbour table served by net-snmp's snmpd, hosts that drop ICMP echo with
nft.  The real CLI polls it; what a person checks is read back: the endpoints listing, the
findings, the devices' state."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import openpyxl
import pytest

from auditor.lab import netns
from tests.register.test_import import write_csv

AUDITOR = str(Path(sys.executable).with_name("auditor"))
PORT, COMMUNITY = 1162, "lab-lan"

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(netns.unavailable() is not None, reason=f"no namespaces: {netns.unavailable()}"),
    pytest.mark.skipif(shutil.which("snmpd") is None, reason="net-snmp's snmpd is not installed (Debian snmpd)"),
    pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed (Debian nftables)"),
    pytest.mark.skipif(shutil.which("nmbd") is None, reason="Samba's nmbd is not installed (Debian samba)"),
    pytest.mark.skipif(shutil.which("lldpd") is None, reason="lldpd is not installed (Debian lldpd)"),
]


def _lldpd(lab: netns.Lan, where: list[str], name: str, control: Path, *args: str) -> subprocess.Popen[bytes]:
    """lldpd under its own host name (a UTS namespace of its own), in the namespace `where` names."""
    command = f"hostname {name} && exec lldpd -d -u {control} " + " ".join(args)
    return subprocess.Popen(
        [*where, "unshare", "--uts", "sh", "-c", command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


# address, MAC, drops ICMP echo.  3c:52:82 is HP's block and f8:b1:56 Dell's (IEEE MA-L); 02:… is
# locally administered, as a laptop's randomised address is.
HOSTS = [
    ("198.18.7.10", "3c:52:82:00:00:10", False),  # pc-ketoan: registered by MAC, at an old address
    ("198.18.7.11", "3c:52:82:00:00:11", True),  # pc-vanthu: registered by address, ignores ping
    ("198.18.7.12", "f8:b1:56:00:00:12", True),  # nobody registered it, ignores ping
    ("198.18.7.13", "02:5e:11:22:33:44", True),  # a randomised MAC, nobody's
    ("198.18.7.14", "3c:52:82:00:00:14", True),  # MAY-KETOAN2: registered by name only, answers NetBIOS
    ("198.18.7.5", "50:c7:bf:00:00:05", False),  # sw-tang2, a switch that speaks LLDP (lldpd)
]
NETBIOS_HOST, SWITCH_HOST = 4, 5

SMB_CONF = """[global]
netbios name = MAY-KETOAN2
workgroup = XA-LAB
interfaces = eth0
bind interfaces only = yes
lock directory = {d}
state directory = {d}
cache directory = {d}
private dir = {d}
pid directory = {d}
log file = {d}/nmbd.log
"""


class Office(NamedTuple):
    lan: netns.Lan
    sockets: Path  # lldpd's and snmpd's sockets


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    with netns.Lan(HOSTS) as lab:
        config = tmp_path / "snmpd.conf"
        # lldpd's LLDP-MIB, served through snmpd (AgentX).  lldpd drops to its own user: the
        # socket's folder must be one it may enter (pytest's are root's alone).
        sockets = Path(tempfile.mkdtemp(prefix="auditor-agentx-"))
        sockets.chmod(0o755)
        agentx = sockets / "agentx.sock"
        config.write_text(
            f"agentaddress udp:127.0.0.1:{PORT}\nrocommunity {COMMUNITY} 127.0.0.1\n"
            f"master agentx\nagentXSocket unix:{agentx}\nagentXPerms 0777 0777\n",
            encoding="utf-8",
        )
        agent = subprocess.Popen(
            lab.in_router(["snmpd", "-f", "-Lo", "-C", "-c", str(config), "-p", str(tmp_path / "snmpd.pid")]),
            env=dict(os.environ, SNMP_PERSISTENT_DIR=str(tmp_path)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        samba = tmp_path / "samba"
        samba.mkdir()
        (samba / "smb.conf").write_text(SMB_CONF.format(d=samba), encoding="utf-8")
        nmbd = subprocess.Popen(
            lab.in_host(NETBIOS_HOST, ["nmbd", "-F", "--no-process-group", "-s", str(samba / "smb.conf")]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        switch_address = HOSTS[SWITCH_HOST][0]
        lldp = [
            _lldpd(lab, lab.in_router([]), "router", sockets / "r.ctl", "-I", "port*", "-x", "-X", str(agentx)),
            _lldpd(
                lab, lab.in_host(SWITCH_HOST, []), "sw-tang2", sockets / "s.ctl", "-I", "eth0", "-m", switch_address
            ),
        ]
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                probe = subprocess.run(
                    lab.in_router(
                        [
                            "snmpget",
                            "-v2c",
                            "-c",
                            COMMUNITY,
                            "-t",
                            "1",
                            "-r",
                            "0",
                            f"127.0.0.1:{PORT}",
                            "1.3.6.1.2.1.1.3.0",
                        ]
                    ),
                    capture_output=True,
                    text=True,
                )
                if probe.returncode == 0:
                    break
                time.sleep(0.2)
            else:
                pytest.fail(f"snmpd did not start in the router namespace: {probe.stderr}")
            yield Office(lab, sockets)
        finally:
            for daemon in (agent, nmbd, *lldp):
                daemon.terminate()
            for daemon in (agent, nmbd, *lldp):
                daemon.wait(timeout=10)
            shutil.rmtree(sockets, ignore_errors=True)


def test_pcs_that_ignore_ping_are_seen_through_the_router(office: Office, tmp_path: Path) -> None:
    lan = office.lan
    db = f"sqlite:///{tmp_path / 'inventory.db'}"

    def auditor(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            lan.in_router([AUDITOR, *args, "--db", db]), capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    auditor("init")
    # NetBIOS may ask the unit's LAN, 198.18.7.0/28 (.0 to .15), and nothing else.
    write_csv(
        tmp_path / "units.csv", [["unit_code", "unit_name", "subnets"], ["XA-LAB", "Xã thí nghiệm", "198.18.7.0/28"]]
    )
    write_csv(
        tmp_path / "devices.csv",
        [
            ["unit_code", "hostname", "category", "ip", "mac", "snmp_port", "snmp_community"],
            ["XA-LAB", "router", "router", "127.0.0.1", "", str(PORT), COMMUNITY],
            ["XA-LAB", "pc-ketoan", "desktop", "198.18.7.99", "3C-52-82-00-00-10", "", ""],
            ["XA-LAB", "pc-vanthu", "desktop", "198.18.7.11", "", "", ""],
            ["XA-LAB", "pc-tatmay", "desktop", "198.18.7.50", "", "", ""],  # switched off: nobody sees it
            ["XA-LAB", "may-ketoan2", "desktop", "", "", "", ""],  # the register knows its name only
            ["XA-LAB", "sw-tang2", "switch", HOSTS[SWITCH_HOST][0], "", "", ""],
        ],
    )
    for name in ("units", "devices"):
        auditor("register", "import", str(tmp_path / f"{name}.csv"))
    for _ in range(3):  # rules.unreachable_polls
        lan.chatter()
        lan.lldp_now(office.sockets / "s.ctl", SWITCH_HOST)
        polled = auditor("poll")
    assert "endpoints" in polled.stdout and "in the tables of 1 router(s)" in polled.stdout, polled.stdout

    found = json.loads(auditor("endpoints", "list", "--format", "json").stdout)
    by_mac = {e["mac"]: e for e in found}
    assert set(by_mac) == {mac for _, mac, _ in HOSTS}, found
    expected_sources = {NETBIOS_HOST: ["arp", "netbios"], SWITCH_HOST: ["arp", "lldp"]}
    for number, (address, mac, _) in enumerate(HOSTS):
        endpoint = by_mac[mac]
        assert endpoint["ip"] == address
        assert endpoint["sources"] == expected_sources.get(number, ["arp"]), endpoint
        assert endpoint["seen_on"] == "router"
        assert endpoint["port"] == (f"port{number}" if number == SWITCH_HOST else "br0")  # LLDP names the port
        assert endpoint["unit"] == "XA-LAB"
    assert "Hewlett" in by_mac["3c:52:82:00:00:10"]["vendor"]
    assert "Dell" in by_mac["f8:b1:56:00:00:12"]["vendor"]
    assert by_mac["02:5e:11:22:33:44"]["vendor"] is None and by_mac["02:5e:11:22:33:44"]["mac_kind"] == "local"

    devices = {d["hostname"]: d for d in json.loads(auditor("devices", "list", "--format", "json").stdout)}
    assert by_mac["3c:52:82:00:00:10"]["device_id"] == devices["pc-ketoan"]["id"]  # by MAC, at a new address
    assert by_mac["3c:52:82:00:00:11"]["device_id"] == devices["pc-vanthu"]["id"]  # by address
    assert by_mac["f8:b1:56:00:00:12"]["device_id"] is None
    assert devices["pc-vanthu"]["seen_via"] == "arp"  # ignores ping, shown in the ARP table
    assert devices["router"]["seen_via"] == "icmp,snmp"
    assert devices["may-ketoan2"]["seen_via"] == "arp,netbios"
    assert devices["pc-tatmay"]["seen_via"] is None
    auditor("export", "inventory", str(tmp_path / "records"), "--unit", "XA-LAB", "--format", "xlsx")
    [record] = (tmp_path / "records").glob("*.xlsx")
    cells = [str(c) for row in openpyxl.load_workbook(record).active.iter_rows(values_only=True) for c in row if c]
    seen = "198.18.7.11; cổng br0 của router; nhận biết qua bộ định tuyến (ARP)"
    assert seen in cells, "the record the unit signs says how pc-vanthu was seen"
    stranger = "f8:b1:56:00:00:12 — Dell Inc. (dò thấy trên mạng, chưa có trong sổ đăng ký)"
    assert stranger in cells, "the stranger the router saw is on the record, to be checked on the desks"
    assert "02:5e:11:22:33:44" not in " ".join(cells), "a randomised MAC is no stranger"
    router = json.loads(auditor("devices", "show", str(devices["router"]["id"]), "--format", "json").stdout)
    [link] = router["neighbours"]
    assert (link["protocol"], link["local_port"], link["remote_name"], link["remote_port"]) == (
        "lldp",
        f"port{SWITCH_HOST}",
        "sw-tang2",
        "eth0",
    )
    assert link["remote_address"] == HOSTS[SWITCH_HOST][0] and link["remote_device_id"] == devices["sw-tang2"]["id"]
    switch = json.loads(auditor("devices", "show", str(devices["sw-tang2"]["id"]), "--format", "json").stdout)
    [back] = switch["neighbours"]  # sw-tang2 answers no SNMP: the router's report shows on its page too
    assert (back["local_port"], back["remote_name"], back["remote_port"], back["reported_by"]) == (
        "eth0",
        "router",
        f"port{SWITCH_HOST}",
        "router",
    )
    assert back["remote_device_id"] == devices["router"]["id"]
    named = by_mac["3c:52:82:00:00:14"]
    assert named["netbios_name"] == "MAY-KETOAN2" and named["device_id"] == devices["may-ketoan2"]["id"]

    auditor("audit")
    findings = json.loads(auditor("findings", "--format", "json").stdout)
    unreachable = {f["subject"]: f for f in findings if f["kind"] == "unreachable"}
    assert "pc-vanthu" not in unreachable, "ignores ping, but the router's ARP table saw it"
    assert "pc-tatmay" in unreachable
    assert unreachable["pc-tatmay"]["evidence"]["looked_at"] == ["icmp", "snmp", "arp", "lldp", "netbios"]
    strangers = [f for f in findings if f["kind"] == "unregistered" and f["evidence"].get("mac")]
    assert [f["evidence"]["mac"] for f in strangers] == ["f8:b1:56:00:00:12"]  # the randomised MAC is no stranger
    assert strangers[0]["evidence"]["seen_on"] == "router" and "Dell" in strangers[0]["evidence"]["vendor"]
