"""NetBIOS node status (RFC 1002, 4.2.17–4.2.18) on UDP 137: the computer name, workgroup and
MAC of a Windows PC that ignores ping, as `nbtstat -A` and Netdisco's nbtstat ask it.

Asked only of addresses inside the networks given (the units' subnets): the caller's list is
checked again here, so an address learnt from a table can never be asked by mistake.  A reply
counts only from the address asked, from port 137, with the transaction id asked; anything else
(a flood, a stray, a forgery) is dropped and counted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

log = logging.getLogger(__name__)

PORT = 137
NBSTAT, IN = 0x21, 0x01
SEND_INTERVAL_S = 0.0005  # at most 2,000 requests a second: a commune LAN, not a flood
MAX_NAMES = 64  # a node status lists a few names; a reply claiming more is cut there

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class NodeStatus:
    address: str
    name: str | None  # the computer name (the unique <00> name)
    group: str | None  # its workgroup or domain (the group <00> name)
    mac: str | None  # the "unit ID"; None where the host gives zeros (Samba does)
    names: tuple[tuple[str, int, bool], ...] = ()  # every (name, suffix, is a group) it listed


def _encoded_name(name: bytes) -> bytes:
    """First-level encoding (RFC 1001, 14.1): each half-octet as a letter from 'A'."""
    padded = name.ljust(16, b"\0")[:16]
    return b"\x20" + bytes(b for octet in padded for b in (0x41 + (octet >> 4), 0x41 + (octet & 0x0F))) + b"\0"


def request(transaction_id: int) -> bytes:
    """A node status request for the wildcard name "*"."""
    header = struct.pack(">HHHHHH", transaction_id, 0x0000, 1, 0, 0, 0)
    return header + _encoded_name(b"*") + struct.pack(">HH", NBSTAT, IN)


def _skip_name(data: bytes, at: int) -> int:
    """The offset after an encoded name (labels, or a compression pointer)."""
    while at < len(data):
        length = data[at]
        if length == 0:
            return at + 1
        if length & 0xC0 == 0xC0:
            return at + 2
        at += 1 + length
    raise ValueError("name runs past the end")


def parse_status(data: bytes, transaction_id: int, address: str) -> NodeStatus | None:
    """A node status response to `transaction_id`, or None for anything else (never raises)."""
    try:
        if len(data) < 12:
            return None
        ident, flags, _questions, answers = struct.unpack_from(">HHHH", data)
        if ident != transaction_id or not flags & 0x8000 or answers < 1 or flags & 0x000F:
            return None
        at = _skip_name(data, 12)
        kind, klass, _ttl, length = struct.unpack_from(">HHIH", data, at)
        at += 10
        if kind != NBSTAT or klass != IN or at + length > len(data) or length < 1:
            return None
        count = data[at]
        at += 1
        names: list[tuple[str, int, bool]] = []
        for _ in range(min(count, MAX_NAMES)):
            if at + 18 > len(data):
                return None
            raw, suffix, name_flags = data[at : at + 15], data[at + 15], struct.unpack_from(">H", data, at + 16)[0]
            text = raw.decode("latin-1").strip().strip("\0")
            if text and text.isprintable():
                names.append((text, suffix, bool(name_flags & 0x8000)))
            at += 18
        unit = data[at : at + 6] if at + 6 <= len(data) else b""
    except (struct.error, ValueError):
        return None
    mac = ":".join(f"{b:02x}" for b in unit) if len(unit) == 6 and any(unit) and not unit[0] & 1 else None
    computer = next((n for n, s, group in names if s == 0x00 and not group), None)
    group = next((n for n, s, is_group in names if s == 0x00 and is_group), None)
    return NodeStatus(address, computer, group, mac, tuple(names))


def inside(address: str, networks: Iterable[Network]) -> bool:
    try:
        found = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(found in network for network in networks)


class _Asker(asyncio.DatagramProtocol):
    def __init__(self, port: int) -> None:
        self.port = port  # replies count only from it
        self.pending: dict[str, int] = {}  # address → the transaction id asked
        self.found: dict[str, NodeStatus] = {}
        self.dropped = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        host, port = addr[0], addr[1]
        asked = self.pending.get(host)
        status = parse_status(data, asked, host) if asked is not None and port == self.port else None
        if status is None:
            self.dropped += 1
            return
        del self.pending[host]
        self.found[host] = status

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable: the host has no NetBIOS
        log.debug("NetBIOS: %s", exc)


async def node_status(
    addresses: Sequence[str],
    networks: Sequence[Network],
    *,
    timeout_s: float = 1.0,
    retries: int = 1,
    port: int = PORT,
) -> tuple[dict[str, NodeStatus], int]:
    """Ask each address (inside `networks` only; others are left out) for its node status.

    Returns what answered, and how many replies were dropped.  Bounded: every address is asked
    at most `retries + 1` times, and the whole costs at most that many `timeout_s`, plus sending.
    """
    wanted = [a for a in dict.fromkeys(addresses) if ":" not in a and inside(a, networks)]
    if not wanted:
        return {}, 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 0))
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    transport, asker = await loop.create_datagram_endpoint(lambda: _Asker(port), sock=sock)
    try:
        for _attempt in range(retries + 1):
            remaining = [a for a in wanted if a not in asker.found]
            if not remaining:
                break
            for address in remaining:
                asker.pending[address] = ident = secrets.randbits(16)
                transport.sendto(request(ident), (address, port))
                await asyncio.sleep(SEND_INTERVAL_S)
            deadline = time.monotonic() + timeout_s
            while asker.pending and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
    finally:
        transport.close()
    return asker.found, asker.dropped


def networks_of(texts: Iterable[str | None]) -> list[Network]:
    """Networks from stored subnet lists ("10.38.1.0/24,10.38.2.0/24"); what is not one is skipped."""
    found: list[Network] = []
    for text in texts:
        for part in (text or "").split(","):
            try:
                found.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                continue
    return found
