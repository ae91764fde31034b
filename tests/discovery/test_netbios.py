"""NetBIOS node status: the reply parsed as Windows and Samba send it (and never trusted), asked
only inside the networks given, and a flood of forged replies dropped, against real UDP sockets
on loopback (the end-to-end test with Samba's nmbd is tests/test_endpoints.py)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.discovery import netbios
from auditor.lab.snmpsim import free_udp_port


def _reply(ident: int, names: list[tuple[bytes, int, bool]], mac: bytes = bytes(6)) -> bytes:
    """A node status response as Windows sends it: the names, then the unit ID (its MAC)."""
    header = struct.pack(">HHHHHH", ident, 0x8400, 0, 1, 0, 0)
    body = bytes([len(names)]) + b"".join(
        name.ljust(15, b" ") + bytes([suffix]) + struct.pack(">H", 0x8400 if group else 0x0400)
        for name, suffix, group in names
    )
    body += mac + bytes(40)  # the rest of the statistics
    answer = netbios._encoded_name(b"*") + struct.pack(">HHIH", netbios.NBSTAT, netbios.IN, 0, len(body))
    return header + answer + body


WINDOWS = [(b"PC-KETOAN", 0x00, False), (b"XA-ANHSON", 0x00, True), (b"PC-KETOAN", 0x20, False)]


def test_a_windows_reply_gives_name_workgroup_and_mac() -> None:
    status = netbios.parse_status(_reply(7, WINDOWS, bytes.fromhex("3c5282000010")), 7, "10.0.0.5")
    assert status is not None
    assert (status.name, status.group, status.mac) == ("PC-KETOAN", "XA-ANHSON", "3c:52:82:00:00:10")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (_reply(8, WINDOWS), "another transaction"),
        (_reply(7, WINDOWS)[:40], "cut short"),
        (_reply(7, WINDOWS)[:12], "a header alone"),
        (netbios.request(7), "a request, not a response"),
        (b"", "nothing"),
    ],
)
def test_what_is_not_an_answer_is_refused(data: bytes, why: str) -> None:
    assert netbios.parse_status(data, 7, "10.0.0.5") is None, why


def test_samba_gives_zeros_for_the_mac() -> None:
    status = netbios.parse_status(_reply(7, WINDOWS), 7, "10.0.0.5")
    assert status is not None and status.mac is None


@given(st.binary(max_size=600), st.integers(0, 0xFFFF))
def test_any_datagram_is_parsed_or_refused_never_raises(data: bytes, ident: int) -> None:
    netbios.parse_status(data, ident, "10.0.0.5")


class Responder:
    """Node status answered on loopback at `port`, for each address given; `flood` forged replies
    (wrong transaction ids, and from another port) are sent before every true answer."""

    def __init__(self, addresses: list[str], port: int, flood: int = 0) -> None:
        self.asked: list[str] = []
        self.flood = flood
        self.sockets = []
        for address in addresses:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((address, port))
            sock.settimeout(0.1)
            self.sockets.append(sock)
        self.stray = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.stray.bind(("127.0.0.1", 0))
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self.sockets]

    def __enter__(self) -> Responder:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)
        for sock in [*self.sockets, self.stray]:
            sock.close()

    def _serve(self, sock: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                data, peer = sock.recvfrom(2048)
            except TimeoutError:
                continue
            self.asked.append(sock.getsockname()[0])
            ident = struct.unpack_from(">H", data)[0]
            for n in range(self.flood):
                forged = _reply((ident + 1 + n) & 0xFFFF, [(b"EVIL", 0, False)])
                (sock if n % 2 else self.stray).sendto(forged, peer)
            sock.sendto(_reply(ident, WINDOWS), peer)


@pytest.fixture
def port() -> Iterator[int]:
    yield free_udp_port("127.0.0.1")


def test_only_addresses_inside_the_networks_are_asked(port: int) -> None:
    inside, outside = "127.0.0.2", "127.0.0.9"
    with Responder([inside, outside], port) as responder:
        found, dropped = asyncio.run(
            netbios.node_status(
                [inside, outside, "::1", "not an address"],
                [ipaddress.ip_network("127.0.0.0/30")],
                timeout_s=0.5,
                port=port,
            )
        )
        time.sleep(0.2)
    assert set(found) == {inside} and found[inside].name == "PC-KETOAN"
    assert responder.asked == [inside]
    assert dropped == 0


def test_no_networks_asks_nobody(port: int) -> None:
    with Responder(["127.0.0.2"], port) as responder:
        found, _ = asyncio.run(netbios.node_status(["127.0.0.2"], [], timeout_s=0.2, port=port))
    assert found == {} and responder.asked == []


def test_a_reply_flood_is_dropped_and_the_true_answer_kept(port: int) -> None:
    # 200 forgeries: what a socket's default receive buffer holds (~212 kB), so that the true answer
    # behind them is not dropped by the kernel while the other test process has the CPU.
    with Responder(["127.0.0.2"], port, flood=200) as responder:
        found, dropped = asyncio.run(
            netbios.node_status(["127.0.0.2"], [ipaddress.ip_network("127.0.0.0/8")], timeout_s=5.0, port=port)
        )  # a wait no loaded machine reaches: the answer follows the forgeries at once
    assert found["127.0.0.2"].name == "PC-KETOAN"  # not EVIL
    assert dropped > 0 and responder.asked == ["127.0.0.2"]  # answered at once: asked once, no retry
