"""Replies that cannot be forged: real UDP agents written for the test, beside snmpsim's real one.

The sprayer answers every request it gets with a burst of forged replies to the asker's socket,
with request ids around the one it saw, from its own port and from another one: the way a broken
or hostile agent on a commune LAN could write into a slower device's walk.  A reply counts only
from the address and port asked, with the (random) request id asked.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.config import Secret
from auditor.lab.snmpsim import SnmpSimulator, free_udp_port, responder_command, single_agent_dir
from auditor.snmp import ber, oids
from auditor.snmp.client import SnmpClient, SnmpTarget, SnmpTimeout
from tests.snmp.test_ber import V2C, pysnmp_response

pytestmark = pytest.mark.skipif(responder_command() is None, reason="snmpsim is not installed (the lab extra)")

RECORDINGS = Path(__file__).parent / "recordings"
IF_DESCR = oids.IF_TABLE_COLUMNS["descr"]
FORGED = [(f"{IF_DESCR}.{index}", V2C.OctetString(b"FORGED")) for index in (1, 2, 7)]


class Sprayer:
    """An agent on 127.0.0.1 that sprays forged replies; `honest` replies come from its own port."""

    def __init__(self, spread: int = 40, burst_s: float = 0.5) -> None:
        self.spread, self.burst_s = spread, burst_s
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a second port, same address
        self.other.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Sprayer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
        self.other.close()

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                data, asker = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            try:
                _, _, request_id = ber.with_community(data, b"x")
            except ber.BerError:
                continue
            # Its own id from the wrong port first, with forged interface names ...
            self.other.sendto(pysnmp_response(request_id, FORGED), asker)
            # ... then, for a while, every id around it, from both ports.
            near = [n for n in range(max(1, request_id - self.spread), request_id + self.spread) if n != request_id]
            forged = [pysnmp_response(n, FORGED) for n in near]
            deadline = threading.Event()
            threading.Timer(self.burst_s, deadline.set).start()
            while not deadline.is_set() and not self._stop.is_set():
                for n, message in zip(near, forged, strict=True):
                    (self.sock if n % 2 else self.other).sendto(message, asker)
                    self.sent += 1
                time.sleep(0.002)  # a spray, not a flood: ~40,000 replies a second
            # Its real answer, from its own port: past the interface table (the walk's end).
            self.sock.sendto(pysnmp_response(request_id, [(oids.SYS_DESCR, V2C.OctetString(b"sprayer"))]), asker)


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpSimulator]:
    data = single_agent_dir(RECORDINGS / "link-router.snmprec", tmp_path_factory.mktemp("router"), "public")
    with SnmpSimulator(data, "public", port=free_udp_port()) as lab:
        yield lab


def _target(host: str, port: int) -> SnmpTarget:
    return SnmpTarget(host, port, community=Secret("public"), timeout_s=2.0, retries=0)


def test_a_spraying_agent_cannot_write_into_another_devices_walk(router: SnmpSimulator) -> None:
    victim = _target(router.host, router.port)

    async def walks() -> tuple[list[tuple[str, object]], list[list[tuple[str, object]]], object, int, int]:
        async with SnmpClient() as client:
            alone = await client.walk(victim, IF_DESCR)
            with Sprayer() as sprayer:
                # The sprayer is walked too (its identity, its interfaces), beside the router.
                sprayed = asyncio.create_task(client.walk(_target("127.0.0.1", sprayer.port), IF_DESCR))
                await asyncio.sleep(0.01)
                beside = []
                while not sprayed.done():
                    beside.append(await client.walk(victim, IF_DESCR, max_rows=100))
                own = await sprayed
                sent = sprayer.sent
            return alone, beside, own, client.dropped, sent

    alone, beside, own, dropped, sent = asyncio.run(walks())
    assert alone == [(f"{IF_DESCR}.1", b"ether1"), (f"{IF_DESCR}.2", b"ether2"), (f"{IF_DESCR}.7", b"bridge")]
    assert len(beside) >= 5 and all(walk == alone for walk in beside)  # not one forged row
    assert own == []  # its reply from the other port was refused; its real one ends the walk
    # Hundreds of forged replies at least (thousands on an idle machine: the sprayer's thread shares
    # the CPU with the other test process), every one refused and counted.
    assert sent > 100 and dropped >= sent


def test_request_ids_are_not_a_sequence() -> None:
    async def ids() -> list[int]:
        seen: list[int] = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as agent:
            agent.bind(("127.0.0.1", 0))
            agent.settimeout(2)
            async with SnmpClient() as client:
                target = SnmpTarget("127.0.0.1", agent.getsockname()[1], community=Secret("c"), timeout_s=0.05)
                for _ in range(5):
                    with pytest.raises(SnmpTimeout):
                        await client.get(target, [oids.SYS_DESCR])
            while True:
                try:
                    seen.append(ber.with_community(agent.recvfrom(65535)[0], b"c")[2])
                except TimeoutError:
                    return seen
                agent.settimeout(0.2)

    seen = asyncio.run(ids())
    assert len(seen) >= 5
    steps = {b - a for a, b in itertools.pairwise(seen) if a != b}
    assert not steps <= {1, 2}  # not the next id, nor the one after


def test_a_reply_flood_from_elsewhere_is_dropped_unread(router: SnmpSimulator) -> None:
    """An agent that, once asked, floods the asker from another address: the router's walks beside
    it come back whole, and the flood is counted, not decoded."""
    flood = pysnmp_response(1, FORGED)
    sent = 0

    def flooder(agent: socket.socket, stop: threading.Event) -> None:
        nonlocal sent
        _, asker = agent.recvfrom(65535)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
            other.bind(("127.0.0.9", 0))
            while not stop.is_set():
                for _ in range(100):
                    other.sendto(flood, asker)
                sent += 100
                # Up to ~100,000 replies a second: a flood, from a thread of this very process, that
                # leaves the event loop the GIL (a flood from elsewhere does not share it). How a
                # scan fares beside an unpaced flood from its own process: benchmarks/reply_flood.py.
                time.sleep(0.001)

    async def walks() -> tuple[list[list[tuple[str, object]]], int]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as agent:
            agent.bind(("127.0.0.8", 0))
            stop = threading.Event()
            thread = threading.Thread(target=flooder, args=(agent, stop), daemon=True)
            thread.start()
            try:
                async with SnmpClient() as client:
                    asked = _target("127.0.0.8", agent.getsockname()[1])
                    with pytest.raises(SnmpTimeout):  # it never answers; it floods
                        await client.get(
                            SnmpTarget(asked.host, asked.port, community=asked.community, timeout_s=0.2),
                            [oids.SYS_DESCR],
                        )
                    # A genuine reply the kernel dropped while the socket was full of flood is asked
                    # again, as every poll does (retries), never taken from the flood.
                    honest = replace(_target(router.host, router.port), retries=3)
                    done = [await client.walk(honest, IF_DESCR) for _ in range(10)]
                    return done, client.dropped
            finally:
                stop.set()
                thread.join(timeout=5)

    done, dropped = asyncio.run(walks())
    expected = [(f"{IF_DESCR}.1", b"ether1"), (f"{IF_DESCR}.2", b"ether2"), (f"{IF_DESCR}.7", b"bridge")]
    assert all(walk == expected for walk in done)
    assert dropped > 1000 and dropped <= sent
