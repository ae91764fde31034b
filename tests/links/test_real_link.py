"""A real link: namespaces joined by a veth pair shaped to 2 Mbit/s (tc tbf), net-snmp's snmpd in
the router namespace serving its real IF-MIB, bounded UDP traffic from the site.  What auditor
measures must match the kernel's own byte counters within ±3%, and the saturated link must be
judged congested, an idle one not."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from auditor.db.engine import open_database
from auditor.db.models import Link, LinkSample
from auditor.lab import netns
from tests.register.test_import import write_csv

AUDITOR = str(Path(sys.executable).with_name("auditor"))
PORT, COMMUNITY = 1161, "lab-wan"
CACHE_OF_IF_TABLE = "1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2"  # NET-SNMP-AGENT-MIB nsCacheTimeout.ifTable
SAMPLES, SPACING_S = 8, 10.0

pytestmark = [
    pytest.mark.skipif(netns.unavailable() is not None, reason=f"no namespaces: {netns.unavailable()}"),
    pytest.mark.skipif(
        shutil.which("snmpd") is None or shutil.which("snmpset") is None,
        reason="net-snmp's snmpd and snmpset are not installed (Debian snmpd, snmp); .ci/run installs",
    ),
    pytest.mark.skipif(shutil.which("tc") is None, reason="tc (iproute2) is not installed"),
]

# Offers 4 Mbit/s of UDP to the router for a bounded time; the shaper lets 2 through.
BLAST = """
import socket, sys, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload, rate_bps, end = b"x" * 1200, 4_000_000, time.monotonic() + float(sys.argv[2])
interval = len(payload) * 8 / rate_bps
next_send = time.monotonic()
while time.monotonic() < end:
    try:
        sock.sendto(payload, (sys.argv[1], 9))
    except OSError:
        pass
    next_send += interval
    time.sleep(max(0.0, next_send - time.monotonic()))
"""


@pytest.fixture
def link(tmp_path: Path) -> Iterator[netns.ShapedLink]:
    with netns.ShapedLink(rate="2mbit") as lab:
        config = tmp_path / "snmpd.conf"
        config.write_text(
            f"agentaddress udp:127.0.0.1:{PORT}\nrocommunity {COMMUNITY} 127.0.0.1\n"
            "rwcommunity lab-cache 127.0.0.1 .1.3.6.1.4.1.8072.1.5\n",
            encoding="utf-8",
        )
        agent = subprocess.Popen(
            lab.in_router(["snmpd", "-f", "-Lo", "-C", "-c", str(config), "-p", str(tmp_path / "snmpd.pid")]),
            env=dict(os.environ, SNMP_PERSISTENT_DIR=str(tmp_path)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(50):  # snmpd refreshes interface counters every 3 s; make every read fresh
                done = subprocess.run(
                    lab.in_router(
                        [
                            "snmpset",
                            "-v2c",
                            "-c",
                            "lab-cache",
                            "-t",
                            "1",
                            "-r",
                            "0",
                            f"127.0.0.1:{PORT}",
                            CACHE_OF_IF_TABLE,
                            "i",
                            "0",
                        ]
                    ),
                    capture_output=True,
                    text=True,
                )
                if done.returncode == 0:
                    break
                time.sleep(0.2)
            else:
                pytest.fail(f"snmpd did not start in the router namespace: {done.stderr}")
            yield lab
        finally:
            agent.terminate()
            agent.wait(timeout=10)


def test_measured_rates_match_the_kernel_and_the_verdicts_follow(link: netns.ShapedLink, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    config = tmp_path / "auditor.toml"
    # A one-minute window of 10-second samples stands in for the week of 5-minute ones.
    config.write_text("[links]\ninterval_s = 10\nwindow_days = 0.000694444\n", encoding="utf-8")

    def auditor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            link.in_router([AUDITOR, *args, "--db", db, "--config", str(config)]),
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert auditor("init").returncode == 0
    write_csv(tmp_path / "units.csv", [["unit_code", "unit_name"], ["XA-LAB", "Xã thí nghiệm"]])
    write_csv(
        tmp_path / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "snmp_port", "snmp_community"],
            ["XA-LAB", "router", "127.0.0.1", str(PORT), COMMUNITY],
        ],
    )
    write_csv(
        tmp_path / "links.csv",
        [
            ["unit_code", "name", "capacity_mbps", "device", "interface"],
            ["XA-LAB", "saturated", "2", "router", link.router_if],
            ["XA-LAB", "idle", "2", "router", "lo"],
        ],
    )
    for name in ("units", "devices", "links"):
        assert auditor("register", "import", str(tmp_path / f"{name}.csv")).returncode == 0

    blaster = subprocess.Popen(
        link.in_site([sys.executable, "-c", BLAST, link.ROUTER_ADDRESS, str(SAMPLES * SPACING_S + 10)])
    )
    try:
        time.sleep(3)  # the shaper's bucket drains and the flow settles
        kernel: list[tuple[float, int]] = []
        for i in range(SAMPLES):
            start = time.monotonic()
            before = link.rx_bytes()
            done = auditor("poll", "--links")
            after = link.rx_bytes()
            assert done.returncode == 0, done.stderr
            kernel.append(((start + time.monotonic()) / 2, (before + after) // 2))
            if i < SAMPLES - 1:
                time.sleep(max(0.0, start + SPACING_S - time.monotonic()))
        report = auditor("links", "report", "--format", "json")
    finally:
        blaster.terminate()
        blaster.wait(timeout=10)

    database = open_database(db)
    with database.session(commit=False) as session:
        saturated = session.scalars(select(Link).where(Link.name == "saturated")).one().id
        stored = list(
            session.scalars(select(LinkSample).where(LinkSample.link_id == saturated).order_by(LinkSample.id))
        )
        rates = [s.in_bps for s in stored]
        why = [(s.interval_s, s.uptime_s, s.unknown_reason) for s in stored]
    database.close()
    assert rates[0] is None and all(r is not None for r in rates[1:]), why  # the first sample opens the series
    kernel_rates = [(b2 - b1) * 8 / (t2 - t1) for (t1, b1), (t2, b2) in itertools.pairwise(kernel)]
    for ours, theirs in zip(rates[1:], kernel_rates, strict=True):
        assert ours == pytest.approx(theirs, rel=0.03), f"auditor {ours:,.0f} bit/s, kernel {theirs:,.0f} bit/s"
    assert 1.6e6 < sum(kernel_rates) / len(kernel_rates) < 2.2e6  # the shaper held it near 2 Mbit/s
    worst = max(abs(ours / theirs - 1) for ours, theirs in zip(rates[1:], kernel_rates, strict=True) if ours)
    print(
        f"\nreal link: {len(kernel_rates)} intervals, mean {sum(kernel_rates) / len(kernel_rates) / 1e6:.3f} Mbit/s "
        f"by the kernel, largest deviation of auditor's rate {worst:.2%}"
    )

    assert report.returncode == 0, report.stderr
    verdicts = {row["name"]: row for row in json.loads(report.stdout)}
    assert verdicts["saturated"]["verdict"] == "congested", verdicts["saturated"]
    assert verdicts["saturated"]["recommended_mbps"] == 20.0  # the smallest tier holding ~2 Mbit/s at 70%
    assert verdicts["idle"]["verdict"] == "ok", verdicts["idle"]
