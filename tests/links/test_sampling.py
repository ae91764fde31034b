"""`auditor poll --links` against a real agent whose counters grow at known rates (snmpsim's
numeric variation: ether1 at 30 Mbit/s in and 5 out on 64-bit counters, ether2 at 1 and 0.5 on
32-bit ones), into real databases."""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import pytest
from sqlalchemy import select

from auditor.db.engine import open_database
from auditor.db.models import Link, LinkSample
from auditor.lab import future
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


def register_link_router(
    auditor: Cli, workdir: Path, port: int, links: list[list[str]], recording: str = "link-router"
) -> None:
    """Unit XA-A, its router xa-a-gw answering as tests/snmp/recordings/link-router, and its links
    (unit, name, capacity, device, interface, far end).  The tests sample seconds apart: a 10 s cadence
    (the shortest the config allows), so that such intervals are samples, not "too_short"."""
    (workdir / "auditor.toml").write_text("[links]\ninterval_s = 10\n", encoding="utf-8")
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "Đảng ủy xã A"]])
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "snmp_port", "snmp_community"],
            ["XA-A", "xa-a-gw", "127.0.0.1", str(port), recording],
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


def test_a_clock_step_between_samples_is_unknown_never_a_spike(auditor: Cli, workdir: Path, lab: SnmpSimulator) -> None:
    register_link_router(auditor, workdir, lab.port, [["XA-A", "TSLCD", "30", "xa-a-gw", "ether1", ""]])
    auditor.ok("poll", "--links")
    time.sleep(5)
    # The poller's wall clock jumps 12 s forward (libfaketime): it sees 17 s where the router,
    # whose uptime is read in the same request, counted 5.
    stepped = subprocess.run(
        [sys.executable, "-m", "auditor", "poll", "--links", "--db", auditor.db_url],
        cwd=workdir,
        env=os.environ | future.stepped(12),  # on top of make test-future's year, if it runs under one
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert stepped.returncode == 0, stepped.stderr
    assert "(clock_step 1)" in stepped.stdout
    assert _samples(auditor.db_url)[-1][1:4] == ("clock_step", None, None)


def test_a_port_that_hides_its_speed_is_bounded_by_the_contract(
    auditor: Cli, workdir: Path, lab: SnmpSimulator
) -> None:
    # ifSpeed and ifHighSpeed 0, and an in-counter growing 10^17 octets a second.
    register_link_router(auditor, workdir, lab.port, [["XA-A", "TSLCD", "20", "xa-a-gw", "ether1", ""]], "speed-liar")
    auditor.ok("poll", "--links")
    time.sleep(3)
    second = auditor.ok("poll", "--links").stdout
    assert "(above_possible 1)" in second and "rates               0" in second
    assert _samples(auditor.db_url)[-1][1:4] == ("above_possible", None, None)


def test_two_samplers_at_once_store_one_sample(auditor: Cli, workdir: Path, lab: SnmpSimulator) -> None:
    register_link_router(auditor, workdir, lab.port, [["XA-A", "TSLCD", "30", "xa-a-gw", "ether1", ""]])
    auditor.ok("poll", "--links")
    time.sleep(3)
    command = [sys.executable, "-m", "auditor", "poll", "--links", "--db", auditor.db_url]
    both = [subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    said = [process.communicate(timeout=120)[0] for process in both]
    assert all(process.returncode == 0 for process in both)
    rated = [row for row in _rated(auditor.db_url) if row[1] is not None]
    assert len(rated) == 1 and rated[0][0] >= 2  # one interval, of the seconds since the first sample
    assert sum("rates               1" in text for text in said) == 1
    assert any("not stored          1" in text or "(too_short 1)" in text for text in said)


def _rated(db_url: str) -> list[tuple[float | None, float | None]]:
    database = open_database(db_url)
    with database.session(commit=False) as session:
        found = [(s.interval_s, s.in_bps) for s in session.scalars(select(LinkSample).order_by(LinkSample.id))]
    database.close()
    return found


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


class _Lossy:
    """A UDP relay in front of the agent, on loopback, that loses the next `lose` requests, as a
    congested link does: the poller's retry is what the agent answers."""

    def __init__(self, upstream_port: int) -> None:
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.connect(("127.0.0.1", upstream_port))
        self.lose = 0
        self.lost = 0
        self._asker: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._relay, daemon=True)

    def _relay(self) -> None:
        watch = selectors.DefaultSelector()
        for sock in (self.front, self.back):
            watch.register(sock, selectors.EVENT_READ)
        while not self._stop.is_set():
            for key, _ in watch.select(timeout=0.2):
                sock = key.fileobj
                if sock is self.front:
                    data, self._asker = self.front.recvfrom(65535)
                    if self.lose:
                        self.lose, self.lost = self.lose - 1, self.lost + 1
                        continue
                    self.back.send(data)
                elif self._asker is not None:
                    self.front.sendto(self.back.recv(65535), self._asker)

    def __enter__(self) -> _Lossy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.front.close()
        self.back.close()


def test_a_reading_answered_at_its_second_try_is_stamped_at_that_try(
    auditor: Cli, workdir: Path, lab: SnmpSimulator
) -> None:
    """The second sample's first request is lost; the retry, 5 s later, is answered.  Stamped from
    the first try, the reading would be 2.5 s early and disagree with the router's uptime (a clock
    step that never was); stamped at the try answered, it is a rate."""
    with _Lossy(lab.port) as link:
        register_link_router(auditor, workdir, link.port, [["XA-A", "TSLCD", "30", "xa-a-gw", "ether1", ""]])
        (workdir / "auditor.toml").write_text(
            "[links]\ninterval_s = 10\n[snmp]\ntimeout_s = 5.0\nretries = 1\n", encoding="utf-8"
        )
        auditor.ok("poll", "--links")
        time.sleep(5)
        link.lose = 1
        second = auditor.ok("poll", "--links").stdout
        assert link.lost == 1
    assert "rates               1" in second and "unknown             0" in second, second
    _, reason, rate_in, rate_out, _ = _samples(auditor.db_url)[-1]
    assert reason is None and rate_in == pytest.approx(30e6, rel=0.02) and rate_out == pytest.approx(5e6, rel=0.02)
