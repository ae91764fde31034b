"""ICMP echo: who answers, how fast, how many echoes were lost.

Two pingers behind one interface (`Pinger.sweep`):
- `SweepPinger` (the default): one socket for the whole sweep, fping's design, on asyncio. A
  raw socket as root; an unprivileged "ping socket" where net.ipv4.ping_group_range allows.
  Every reply is read once, whatever the number of targets, so dead hosts cost only the
  timeout and thousands of them cost no more than one.
- `Ping3Pinger`: ping3, one blocking call per target in a thread pool.  Kept as the baseline the
  benchmark measures against (benchmarks/README.md says why it is not the default: with raw
  sockets every thread's socket sees every reply, so more threads got slower).
IPv4 only; an IPv6 target gets an error result, not a crash.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import os
import secrets
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from auditor.errors import IcmpUnavailable

ECHO_REQUEST, ECHO_REPLY = 8, 0
RECEIVE_BUFFER = 4 * 1024 * 1024
DEFAULT_RATE = 20_000  # echoes per second; a commune link never sees this, loopback and a LAN do fine


@dataclass
class PingResult:
    address: str
    sent: int = 0
    received: int = 0
    rtts_ms: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def alive(self) -> bool:
        return self.received > 0

    @property
    def rtt_ms(self) -> float | None:
        return round(sum(self.rtts_ms) / len(self.rtts_ms), 3) if self.rtts_ms else None

    @property
    def rtt_max_ms(self) -> float | None:
        return round(max(self.rtts_ms), 3) if self.rtts_ms else None

    @property
    def loss_pct(self) -> float | None:
        return round(100.0 * (self.sent - self.received) / self.sent, 1) if self.sent else None


class Pinger(Protocol):
    async def sweep(
        self, addresses: Sequence[str], *, timeout_s: float = 1.0, count: int = 1, until_reply: bool = True
    ) -> dict[str, PingResult]:
        """Echo every address `count` times (with `until_reply`, stop at its first reply)."""
        ...


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(identifier: int, sequence: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, identifier, sequence)
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, _checksum(header + payload), identifier, sequence) + payload


def open_icmp_socket() -> tuple[socket.socket, bool]:
    """(socket, raw?): a raw socket if we may, else a ping socket, else IcmpUnavailable."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        raw = True
    except PermissionError:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
            raw = False
        except OSError as exc:
            raise IcmpUnavailable(
                "ICMP is not available: it needs root (CAP_NET_RAW) or this user's group in "
                "net.ipv4.ping_group_range (sysctl -w net.ipv4.ping_group_range='0 2147483647'); "
                "devices are polled by SNMP only"
            ) from exc
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setblocking(False)
    return sock, raw


class _Sweep:
    """One sweep's state: the targets, their results, the echoes in flight, the socket."""

    def __init__(self, targets: list[str], results: dict[str, PingResult], until_reply: bool) -> None:
        self.targets, self.results, self.until_reply = targets, results, until_reply
        self.sock, self.raw = open_icmp_socket()
        self.cookie = secrets.token_bytes(4)
        self.identifier = (os.getpid() ^ int.from_bytes(self.cookie[:2], "big")) & 0xFFFF
        self.sent_at: dict[tuple[int, int], int] = {}  # (target index, echo number) → monotonic ns
        self.done = asyncio.Event()
        self.waiting = set(range(len(targets)))

    def on_readable(self) -> None:
        while True:
            try:
                data, (source, _) = self.sock.recvfrom(2048)
            except OSError:  # BlockingIOError: nothing more to read now
                return
            now = time.monotonic_ns()
            icmp = data[(data[0] & 0x0F) * 4 :] if self.raw else data
            if len(icmp) < 18 or icmp[0] != ECHO_REPLY or icmp[8:12] != self.cookie:
                continue  # not ours: another process's ping, or an echo request seen on loopback
            index, echo = struct.unpack("!IH", icmp[12:18])
            if index >= len(self.targets) or self.targets[index] != source:
                continue  # a reply from an address we did not ask
            started = self.sent_at.pop((index, echo), None)
            if started is None:
                continue  # a duplicate
            result = self.results[self.targets[index]]
            result.received += 1
            result.rtts_ms.append((now - started) / 1e6)
            if self.until_reply:
                self.waiting.discard(index)
                if not self.waiting:
                    self.done.set()

    async def send_round(self, echo: int, batch: int) -> None:
        """Echo number `echo` to every target still waiting, `batch` at a time, 10 ms apart."""
        pending = sorted(self.waiting) if self.until_reply else range(len(self.targets))
        for position, index in enumerate(pending):
            address = self.targets[index]
            payload = self.cookie + struct.pack("!IH", index, echo)
            packet = echo_request(self.identifier, (index + echo) & 0xFFFF, payload)
            self.sent_at[(index, echo)] = time.monotonic_ns()
            try:
                self.sock.sendto(packet, (address, 0))
                self.results[address].sent += 1
            except BlockingIOError:
                await asyncio.sleep(0.005)  # the send buffer is full: let replies drain
                with contextlib.suppress(OSError):
                    self.sock.sendto(packet, (address, 0))
                    self.results[address].sent += 1
            except OSError as exc:  # no route, and the like: this target is done
                self.results[address].error = exc.strerror or str(exc)
                self.waiting.discard(index)
            if position % batch == batch - 1:
                await asyncio.sleep(0.01)


class SweepPinger:
    """One socket, paced sends, replies matched by a per-sweep cookie, target index and source address."""

    def __init__(self, rate: int = DEFAULT_RATE) -> None:
        self.rate = rate

    async def sweep(
        self, addresses: Sequence[str], *, timeout_s: float = 1.0, count: int = 1, until_reply: bool = True
    ) -> dict[str, PingResult]:
        results = {a: PingResult(a) for a in addresses}
        targets = [a for a in addresses if _ipv4(a, results)]
        if not targets:
            return results
        sweep = _Sweep(targets, results, until_reply)
        loop = asyncio.get_running_loop()
        loop.add_reader(sweep.sock.fileno(), sweep.on_readable)
        try:
            for echo in range(count):
                await sweep.send_round(echo, max(1, self.rate // 100))
                if until_reply and not sweep.waiting:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(sweep.done.wait(), timeout_s)
        finally:
            loop.remove_reader(sweep.sock.fileno())
            sweep.sock.close()
        return results


def _ipv4(address: str, results: dict[str, PingResult]) -> bool:
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        results[address].error = "ICMP is done for IPv4 addresses only"
        return False
    return True


class Ping3Pinger:
    """ping3, one blocking echo per call, in `workers` threads: the baseline."""

    def __init__(self, workers: int = 64) -> None:
        self.workers = workers

    async def sweep(
        self, addresses: Sequence[str], *, timeout_s: float = 1.0, count: int = 1, until_reply: bool = True
    ) -> dict[str, PingResult]:
        import ping3

        ping3.EXCEPTIONS = False

        def one(address: str) -> PingResult:
            result = PingResult(address)
            for _ in range(count):
                result.sent += 1
                try:
                    rtt = ping3.ping(address, timeout=timeout_s, unit="ms")
                except OSError as exc:
                    result.error = exc.strerror or str(exc)
                    break
                if rtt:
                    result.received += 1
                    result.rtts_ms.append(float(rtt))
                    if until_reply:
                        break
            return result

        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            found = await asyncio.gather(*(loop.run_in_executor(pool, one, a) for a in addresses))
        return {r.address: r for r in found}
