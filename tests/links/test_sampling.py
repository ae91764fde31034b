"""`auditor poll --links` against a real agent whose counters grow at known rates (snmpsim's
numeric variation: ether1 at 30 Mbit/s in and 5 out on 64-bit counters, ether2 at 1 and 0.5 on
32-bit ones), into real databases."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from auditor.db.engine import open_database
from auditor.db.models import Link, LinkSample
from auditor.lab.snmpsim import SnmpSimulator
from tests.conftest import Cli
from tests.register.test_import import write_csv


def _samples(db_url: str) -> list[tuple[str, str | None, float | None, float | None, int | None]]:
    database = open_database(db_url)
    with database.session(commit=False) as session:
        names = {link.id: link.name for link in session.scalars(select(Link))}
        found = [
            (names[s.link_id], s.unknown_reason, s.in_bps, s.out_bps, s.counter_bits)
            for s in session.scalars(select(LinkSample).order_by(LinkSample.id))
        ]
    database.close()
    return found


def register_link_router(auditor: Cli, workdir: Path, port: int, links: list[list[str]]) -> None:
    """Unit XA-A, its router xa-a-gw answering as tests/snmp/recordings/link-router, and its links
    (unit, name, capacity, device, interface, far end)."""
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "Đảng ủy xã A"]])
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "snmp_port", "snmp_community"],
            ["XA-A", "xa-a-gw", "127.0.0.1", str(port), "link-router"],
        ],
    )
    write_csv(
        workdir / "links.csv", [["unit_code", "name", "capacity_mbps", "device", "interface", "far_end_ip"], *links]
    )
    for name in ("units", "devices", "links"):
        auditor.ok("register", "import", f"{name}.csv")


def test_two_samples_give_the_rates_the_agent_counts_at(auditor: Cli, workdir: Path, lab: SnmpSimulator) -> None:
    register_link_router(
        auditor,
        workdir,
        lab.port,
        [["XA-A", "TSLCD", "30", "xa-a-gw", "WAN TSLCD VNPT", "127.0.0.1"], ["XA-A", "ADSL", "8", "xa-a-gw", "2", ""]],
    )

    first = auditor.ok("poll", "--links").stdout
    assert "2 links" in first and "counters read       2" in first and "(first_sample 2)" in first
    time.sleep(5)  # against the timestamps' scheduling jitter, a few ms
    second = auditor.ok("poll", "--links").stdout
    assert "rates               2" in second and "unknown             0" in second

    samples = _samples(auditor.db_url)
    assert [(name, reason, bits) for name, reason, _, _, bits in samples[:2]] == [
        ("TSLCD", "first_sample", 64),
        ("ADSL", "first_sample", 32),
    ]
    (_, _, wan_in, wan_out, _), (_, _, adsl_in, adsl_out, _) = samples[2:]
    assert wan_in == pytest.approx(30e6, rel=0.02) and wan_out == pytest.approx(5e6, rel=0.02)
    assert adsl_in == pytest.approx(1e6, rel=0.02) and adsl_out == pytest.approx(0.5e6, rel=0.02)


def test_far_end_icmp_and_a_link_without_a_router(auditor: Cli, workdir: Path) -> None:
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "Đảng ủy xã A"]])
    write_csv(
        workdir / "links.csv",
        [["unit_code", "name", "capacity_mbps", "far_end_ip"], ["XA-A", "TSLCD", "30", "127.0.0.1"]],
    )
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "links.csv")
    sampled = auditor.ok("poll", "--links")
    assert "(no_counters 1)" in sampled.stdout
    assert (
        "XA-A / TSLCD: no router with an address is tied to this link; fill in its terminal device (Thiết bị đầu cuối)"
    ) in sampled.stderr
