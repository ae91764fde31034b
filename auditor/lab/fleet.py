"""A fleet of recorded devices, each on its own loopback address, as a province's devices are.

snmpsim picks a recording by community, on one endpoint.  The fleet gives every recording an
address of its own (127.x.y.z, the port of your choice) that answers the one community the poller
is configured with, and relays each request to snmpsim under the recording's name: the poller
sees hundreds of separate agents, the way `auditor scan` meets them in the field.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from auditor.errors import BerError, SnmpSimError
from auditor.lab.snmpsim import SnmpSimulator
from auditor.snmp import ber


class _Front(asyncio.DatagramProtocol):
    """One device's address: requests in under the fleet's community, out to snmpsim under the
    recording's name; replies back to whoever asked, matched by request id."""

    def __init__(self, fleet: Fleet, recording: bytes) -> None:
        self.fleet = fleet
        self.recording = recording
        self.transport: asyncio.DatagramTransport | None = None
        self.upstream: asyncio.DatagramTransport | None = None
        self.asked: dict[int, tuple[str, int]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message, community, request_id = ber.with_community(data, self.recording)
        except BerError:
            return  # not SNMPv1/v2c: a real agent would drop it too
        if community != self.fleet.community or self.upstream is None:
            return
        if len(self.asked) > 10_000:
            self.asked.clear()
        self.asked[request_id] = addr
        self.upstream.sendto(message)

    def reply(self, data: bytes) -> None:
        try:
            message, _, request_id = ber.with_community(data, self.fleet.community)
        except BerError:
            return
        addr = self.asked.pop(request_id, None)
        if addr is not None and self.transport is not None:
            self.transport.sendto(message, addr)


class _Back(asyncio.DatagramProtocol):
    def __init__(self, front: _Front) -> None:
        self.front = front

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.front.reply(data)


def _same(front: _Front) -> _Front:
    return front


class Fleet:
    """`with Fleet(recordings, port=1161) as fleet:` — fleet.addresses[name] answers as that recording.

    The recordings' file names are their names; all of them in one directory (snmpsim's data dir).
    """

    def __init__(
        self,
        recordings: Sequence[Path],
        port: int,
        community: str = "public",
        network: str = "127.1.0.0/16",
        cache_dir: Path | None = None,
    ) -> None:
        folders = {path.parent for path in recordings}
        if len(folders) != 1:
            raise SnmpSimError("a fleet's recordings must be in one directory")
        hosts = ipaddress.ip_network(network).hosts()
        if not ipaddress.ip_network(network).is_loopback:
            raise SnmpSimError(f"a fleet lives on loopback, not {network}")
        self.port = port
        self.community = community.encode()
        self.addresses = {path.stem: str(next(hosts)) for path in sorted(recordings)}
        first = sorted(recordings)[0].stem
        self.simulator = SnmpSimulator(folders.pop(), probe_community=first, cache_dir=cache_dir)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fleet", daemon=True)
        self._transports: list[asyncio.BaseTransport] = []

    @property
    def names(self) -> dict[str, str]:
        """Recording name by address."""
        return {address: name for name, address in self.addresses.items()}

    async def _open(self) -> None:
        upstream = (self.simulator.host, self.simulator.port)
        for name, address in self.addresses.items():
            front = _Front(self, name.encode())
            transport, _ = await self._loop.create_datagram_endpoint(
                functools.partial(_same, front), local_addr=(address, self.port)
            )
            back, _ = await self._loop.create_datagram_endpoint(
                functools.partial(_Back, front), local_addr=(self.simulator.host, 0), remote_addr=upstream
            )
            front.upstream = back
            self._transports += [transport, back]

    def __enter__(self) -> Fleet:
        self.simulator.__enter__()
        try:
            self._thread.start()
            asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout=60)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for transport in self._transports:
            self._loop.call_soon_threadsafe(transport.close)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self.simulator.__exit__(kind, error, trace)
