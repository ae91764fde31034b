"""The SNMP client: the one module that speaks pysnmp (7.x, asyncio).

SNMPv1/v2c to an IPv4 agent (GET, and the walks' GETNEXT and GETBULK) is encoded and decoded by
hand (snmp/ber.py) on one socket per process, with a large receive buffer so hundreds of requests
can be in flight: pysnmp's CPU per request was the poller's bottleneck, and its v1arch dispatcher
matched replies by a sequential request id alone, so an agent spraying replies could write into
another device's walk.  Here a reply counts only from the address and port asked, with the
random request id asked.  IPv6 goes through pysnmp's v1arch dispatcher.
SNMPv3 goes through one v3arch SnmpEngine, created the first time a v3 device is polled.
Values come back as plain Python: bytes, int, dotted-OID str, or None for noSuchObject,
noSuchInstance and endOfMibView.  pysnmp's errors become ours (SnmpTimeout, SnmpError).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import ipaddress
import logging
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from auditor.domain import SnmpVersion
from auditor.errors import BerError, SnmpError, SnmpPduError, SnmpTimeout
from auditor.settings import Secret, SnmpV3Profile
from auditor.snmp import ber

if TYPE_CHECKING:
    from pysnmp.hlapi.v1arch import asyncio as v1
    from pysnmp.hlapi.v3arch import asyncio as v3

log = logging.getLogger(__name__)


@functools.cache
def _pysnmp() -> SimpleNamespace:
    """pysnmp, imported when first needed (SNMPv3, IPv6, an agent the hand-coded path cannot ask):
    it costs a quarter of a second to import, in every command and every worker process."""
    from pyasn1.type import univ
    from pysnmp.carrier.asyncio.dgram import udp, udp6
    from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
    from pysnmp.hlapi.v1arch import asyncio as v1
    from pysnmp.hlapi.v3arch import asyncio as v3
    from pysnmp.proto import errind, rfc1902, rfc1905

    return SimpleNamespace(
        univ=univ,
        udp=udp,
        udp6=udp6,
        AsyncioDispatcher=AsyncioDispatcher,
        v1=v1,
        v3=v3,
        errind=errind,
        rfc1902=rfc1902,
        rfc1905=rfc1905,
    )


RECEIVE_BUFFER = 8 * 1024 * 1024  # the default ~208 KiB drops replies with ~200 requests in flight
DEFAULT_MAX_REPETITIONS = 25
MAX_WALK_ROWS = 100_000
SEND_INTERVAL_S = 0.0002  # at most 5,000 GETs a second from one process


@dataclass(frozen=True)
class SnmpTarget:
    host: str
    port: int = 161
    version: SnmpVersion = SnmpVersion.V2C
    community: Secret | None = field(default=None, repr=False)
    v3: SnmpV3Profile | None = field(default=None, repr=False)
    timeout_s: float = 2.0
    retries: int = 1

    def __str__(self) -> str:
        return f"{self.host}:{self.port} (SNMPv{self.version})"


_AUTH = {
    "md5": "usmHMACMD5AuthProtocol",
    "sha": "usmHMACSHAAuthProtocol",
    "sha224": "usmHMAC128SHA224AuthProtocol",
    "sha256": "usmHMAC192SHA256AuthProtocol",
    "sha384": "usmHMAC256SHA384AuthProtocol",
    "sha512": "usmHMAC384SHA512AuthProtocol",
}
_PRIV = {
    "des": "usmDESPrivProtocol",
    "3des": "usm3DESEDEPrivProtocol",
    "aes": "usmAesCfb128Protocol",
    "aes128": "usmAesCfb128Protocol",
    "aes192": "usmAesCfb192Protocol",
    "aes256": "usmAesCfb256Protocol",
}


# USM's refusals (pysnmp's errind), in words a person can act on.
_USM_ERRORS: dict[str, str] = {
    "WrongDigest": "SNMPv3 authentication failed: wrong auth key or auth protocol",
    "AuthenticationError": "SNMPv3 authentication failed: wrong auth key or auth protocol",
    "UnknownUserName": "SNMPv3 user unknown to the device",
    "DecryptionError": "SNMPv3 decryption failed: wrong privacy key or privacy protocol",
    "UnsupportedSecurityLevel": "SNMPv3 security level not supported by the device for this user",
    "NotInTimeWindow": "SNMPv3 reply outside the time window (clock or engine boots mismatch)",
}


def plain(value: Any) -> Any:
    """A pysnmp/pyasn1 value as plain Python.  The order matters: noSuch* and Null are OctetStrings
    to pyasn1, and IpAddress is one too."""
    ps = _pysnmp()
    univ, rfc1902, rfc1905 = ps.univ, ps.rfc1902, ps.rfc1905
    if isinstance(value, (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView, univ.Null)):
        return None
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(part) for part in value)
    if isinstance(value, rfc1902.IpAddress):
        octets = bytes(value.asOctets())
        return str(ipaddress.IPv4Address(octets)) if len(octets) == 4 else octets
    if isinstance(value, univ.OctetString):  # also Opaque and Bits
        return bytes(value.asOctets())
    if isinstance(value, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks, Unsigned32
        return int(value)
    return None


@functools.lru_cache(maxsize=1 << 16)  # asked before every request
def _ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _oid_tuple(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split("."))


class _Requests(asyncio.DatagramProtocol):
    """SNMPv1/v2c requests in flight on one socket.  A reply is taken only from the address and port
    asked, with the request id asked; request ids are drawn at random, so an agent that sprays
    replies cannot guess another device's.  What is refused is dropped and counted."""

    def __init__(self, send_interval_s: float = SEND_INTERVAL_S) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: dict[int, tuple[tuple[str, int], asyncio.Future[ber.Response]]] = {}
        self.send_interval_s = send_interval_s
        self.next_send = 0.0
        self.dropped = 0  # replies refused: undecodable, from elsewhere, or to no request in flight
        self.asked: collections.Counter[tuple[str, int]] = collections.Counter()  # agents with requests in flight

    async def _paced(self) -> None:
        """Space the datagrams out, as fping does: a burst of hundreds at once overflows the queues
        on the way (and an agent's socket), and the retries, all due together, burst again."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self.next_send)
        self.next_send = slot + self.send_interval_s
        if slot > now:
            await asyncio.sleep(slot - now)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if (addr[0], addr[1]) not in self.asked:  # a flood from elsewhere costs no decoding
            self.dropped += 1
            return
        try:
            response = ber.decode_response(data)
        except BerError as exc:  # garbage, or a reply to someone else: the request times out
            self.dropped += 1
            log.debug("undecodable datagram from %s: %s", addr[0], exc)
            return
        waiting = self.pending.get(response.request_id)
        if waiting is not None and waiting[0] == (addr[0], addr[1]) and not waiting[1].done():
            waiting[1].set_result(response)
        else:
            self.dropped += 1
            log.debug("reply from %s:%d to no request of theirs in flight: dropped", addr[0], addr[1])

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable and the like
        log.debug("socket error: %s", exc)

    def _request_id(self) -> int:
        while (found := secrets.randbelow(2**31 - 1) + 1) in self.pending:
            pass
        return found

    async def request(
        self, target: SnmpTarget, oids: Sequence[str], kind: int = ber.GET_REQUEST, max_repetitions: int = 0
    ) -> ber.Response:
        assert self.transport is not None
        request_id = self._request_id()
        community = target.community.reveal().encode() if target.community else b"public"
        version = 0 if target.version is SnmpVersion.V1 else 1
        message = ber.encode_request(kind, version, community, request_id, oids, max_repetitions)
        future: asyncio.Future[ber.Response] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = ((target.host, target.port), future)
        self.asked[(target.host, target.port)] += 1
        try:
            for _ in range(target.retries + 1):
                await self._paced()
                self.transport.sendto(message, (target.host, target.port))
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(asyncio.shield(future), target.timeout_s)
            raise SnmpTimeout(f"no answer from {target} in {target.timeout_s:g} s × {target.retries + 1}")
        finally:
            del self.pending[request_id]
            self.asked[(target.host, target.port)] -= 1
            if not self.asked[(target.host, target.port)]:
                del self.asked[(target.host, target.port)]
            future.cancel()


def _udp_socket(family: socket.AddressFamily) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    with contextlib.suppress(OSError):  # capped by net.core.rmem_max: the kernel then keeps its maximum
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.bind(("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0))
    sock.setblocking(False)
    return sock


class SnmpClient:
    """One per process; use as `async with SnmpClient() as client:`."""

    def __init__(self, max_in_flight: int = 200) -> None:
        self._slots = asyncio.Semaphore(max_in_flight)
        self._dispatcher: v1.SnmpDispatcher | None = None
        self._engine: v3.SnmpEngine | None = None
        self._bulk: dict[SnmpTarget, int] = {}  # per agent: the max-repetitions it answers
        self._transports: dict[tuple[bool, str, int, float, int], Any] = {}
        self._gets: _Requests | None = None
        self.requests: collections.Counter[str] = collections.Counter()  # per agent host: requests sent

    async def __aenter__(self) -> SnmpClient:
        self._gets = _Requests()
        await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: self._gets or _Requests(), sock=_udp_socket(socket.AF_INET)
        )
        return self

    def _v1_dispatcher(self) -> v1.SnmpDispatcher:
        """pysnmp's SNMPv1/v2c dispatcher (IPv6 agents), made on first use."""
        if self._dispatcher is None:
            ps = _pysnmp()
            transports = ps.AsyncioDispatcher()
            transports.register_transport(
                ps.udp.DOMAIN_NAME, ps.udp.UdpAsyncioTransport().open_server_mode(sock=_udp_socket(socket.AF_INET))
            )
            if socket.has_ipv6:
                try:
                    transports.register_transport(
                        ps.udp6.DOMAIN_NAME,
                        ps.udp6.Udp6AsyncioTransport().open_server_mode(sock=_udp_socket(socket.AF_INET6)),
                    )
                except OSError:
                    log.debug("no IPv6 here; SNMP over IPv6 is off")
            self._dispatcher = ps.v1.SnmpDispatcher(transports)
        return self._dispatcher

    @property
    def dropped(self) -> int:
        """Replies refused so far: from an address or port not asked, to no request in flight, or garbage."""
        return self._gets.dropped if self._gets is not None else 0

    async def __aexit__(self, *exc: object) -> None:
        if self.dropped:
            log.info("%d SNMP replies refused (not from the agent asked, or to no request in flight)", self.dropped)
        if self._gets is not None and self._gets.transport is not None:
            self._gets.transport.close()
        if self._dispatcher is not None:
            self._dispatcher.close()
            self._dispatcher.transport_dispatcher.close_dispatcher()
        if self._engine is not None:
            self._engine.close_dispatcher()

    # ------------------------------------------------------------ transport plumbing

    async def _transport(self, target: SnmpTarget, v3arch: bool) -> Any:
        """pysnmp's transport target, made once per agent: creating one resolves the address in a
        thread, which cost more than the request itself."""
        key = (v3arch, target.host, target.port, target.timeout_s, target.retries)
        found = self._transports.get(key)
        if found is None:
            module = _pysnmp().v3 if v3arch else _pysnmp().v1
            cls = module.Udp6TransportTarget if ":" in target.host else module.UdpTransportTarget
            found = await cls.create((target.host, target.port), timeout=target.timeout_s, retries=target.retries)
            self._transports[key] = found
        return found

    def _v3_auth(self, profile: SnmpV3Profile) -> v3.UsmUserData:
        v3 = _pysnmp().v3
        kwargs: dict[str, Any] = {}
        if profile.auth_key:
            kwargs["authKey"] = profile.auth_key.reveal()
            kwargs["authProtocol"] = getattr(v3, _AUTH.get((profile.auth_protocol or "sha").lower(), "x"), None)
            if kwargs["authProtocol"] is None:
                raise SnmpError(f"unknown SNMPv3 auth protocol {profile.auth_protocol!r} in profile {profile.name}")
        if profile.priv_key:
            kwargs["privKey"] = profile.priv_key.reveal()
            kwargs["privProtocol"] = getattr(v3, _PRIV.get((profile.priv_protocol or "aes").lower(), "x"), None)
            if kwargs["privProtocol"] is None:
                raise SnmpError(f"unknown SNMPv3 privacy protocol {profile.priv_protocol!r} in profile {profile.name}")
        return v3.UsmUserData(profile.user, **kwargs)

    async def _request(
        self, kind: str, target: SnmpTarget, oids: Sequence[str], max_repetitions: int = 0
    ) -> list[tuple[str, Any]]:
        """One request; returns (oid, pysnmp value) pairs, raising SnmpTimeout/SnmpError."""
        async with self._slots:
            if target.version is SnmpVersion.V3:
                result = await self._request_v3(kind, target, oids, max_repetitions)
            else:
                ps = _pysnmp()
                v1, rfc1902, dispatcher = ps.v1, ps.rfc1902, self._v1_dispatcher()
                auth = v1.CommunityData(
                    target.community.reveal() if target.community else "public",
                    mpModel=0 if target.version is SnmpVersion.V1 else 1,
                )
                transport = await self._transport(target, v3arch=False)
                var_binds = [(rfc1902.ObjectName(_oid_tuple(o)), rfc1902.Null("")) for o in oids]
                try:
                    if kind == "get":
                        result = await v1.get_cmd(dispatcher, auth, transport, *var_binds)
                    elif kind == "next":
                        result = await v1.next_cmd(dispatcher, auth, transport, *var_binds)
                    else:
                        result = await v1.bulk_cmd(dispatcher, auth, transport, 0, max_repetitions, *var_binds)
                except Exception as exc:  # a reply pysnmp cannot decode
                    raise SnmpError(f"bad reply from {target}: {type(exc).__name__}") from exc
        error_indication, error_status, error_index, var_binds_out = result
        if error_indication:
            if isinstance(error_indication, _pysnmp().errind.RequestTimedOut):
                raise SnmpTimeout(f"no answer from {target} in {target.timeout_s:g} s × {target.retries + 1}")
            errind = _pysnmp().errind
            words = next(
                (text for name, text in _USM_ERRORS.items() if isinstance(error_indication, getattr(errind, name))),
                None,
            )
            raise SnmpError(f"{target}: {words or error_indication}")
        if error_status:
            status = error_status.prettyPrint()
            where = oids[int(error_index) - 1] if 0 < int(error_index) <= len(oids) else "?"
            raise SnmpPduError(f"{target}: {status} at {where}", status)
        pairs: list[tuple[str, Any]] = []
        for var_bind in var_binds_out:
            name, value = (var_bind[0], var_bind[1])
            pairs.append((".".join(str(p) for p in name), value))
        return pairs

    async def _request_v3(self, kind: str, target: SnmpTarget, oids: Sequence[str], max_repetitions: int) -> Any:
        if target.v3 is None:
            raise SnmpError(f"{target}: SNMPv3 needs a profile from the config file")
        v3 = _pysnmp().v3
        if self._engine is None:
            self._engine = v3.SnmpEngine()
        auth = self._v3_auth(target.v3)
        transport = await self._transport(target, v3arch=True)
        context = v3.ContextData(contextName=target.v3.context)
        var_binds = [v3.ObjectType(v3.ObjectIdentity(o)) for o in oids]
        try:
            if kind == "get":
                return await v3.get_cmd(self._engine, auth, transport, context, *var_binds, lookupMib=False)
            if kind == "next":
                return await v3.next_cmd(self._engine, auth, transport, context, *var_binds, lookupMib=False)
            return await v3.bulk_cmd(
                self._engine, auth, transport, context, 0, max_repetitions, *var_binds, lookupMib=False
            )
        except Exception as exc:
            raise SnmpError(f"bad reply from {target}: {type(exc).__name__}") from exc

    # ------------------------------------------------------------ the two operations

    def _by_hand(self, target: SnmpTarget) -> bool:
        return target.version is not SnmpVersion.V3 and self._gets is not None and _ipv4(target.host)

    async def _plain(
        self, kind: int, target: SnmpTarget, oids: Sequence[str], max_repetitions: int = 0
    ) -> list[tuple[str, Any]]:
        """One request; (oid, plain value) pairs, ber.END_OF_MIB_VIEW where the agent said so.
        By hand for SNMPv1/v2c over IPv4, else by pysnmp."""
        self.requests[target.host] += 1
        if not self._by_hand(target):
            name = {ber.GET_REQUEST: "get", ber.GET_NEXT_REQUEST: "next"}.get(kind, "bulk")
            pairs = await self._request(name, target, oids, max_repetitions)
            end = _pysnmp().rfc1905.EndOfMibView
            return [(oid, ber.END_OF_MIB_VIEW if isinstance(v, end) else plain(v)) for oid, v in pairs]
        assert self._gets is not None
        async with self._slots:
            response = await self._gets.request(target, oids, kind, max_repetitions)
        if response.error_status:
            index = response.error_index
            where = oids[index - 1] if 0 < index <= len(oids) else "?"
            raise SnmpPduError(f"{target}: {response.status} at {where}", response.status)
        return list(response.var_binds)

    async def _in_halves(self, kind: int, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Any]:
        """One GET or GETNEXT of `oids`: {asked oid: (oid, value) answered, or None}.  SNMPv1
        agents refuse the whole PDU for one missing OID, and small agents say tooBig for a long
        one: those are asked in halves until each part answers."""
        if not oids:
            return {}
        try:
            pairs = await self._plain(kind, target, oids)
        except SnmpPduError as exc:
            if len(oids) == 1:
                if exc.status in ("noSuchName", "tooBig"):
                    return {oids[0]: None}
                raise
            middle = len(oids) // 2
            first = await self._in_halves(kind, target, oids[:middle])
            return first | await self._in_halves(kind, target, oids[middle:])
        found: dict[str, Any] = dict.fromkeys(oids)
        found.update(zip(oids, pairs, strict=False))
        return found

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Any]:
        """Values of `oids`, absent ones as None.  An SNMPv1 agent's noSuchName is handled per OID."""
        answered = {}
        for pair in (await self._in_halves(ber.GET_REQUEST, target, oids)).values():
            if pair is not None and pair[1] is not ber.END_OF_MIB_VIEW:
                answered[pair[0]] = pair[1]
        return {oid: answered.get(oid) for oid in oids}

    async def first_rows(self, target: SnmpTarget, columns: Sequence[str]) -> dict[str, Any]:
        """The value of each column's (or subtree's) first row, all in one GETNEXT: {column: value},
        None where the agent has no row under it.  An SNMPv1 agent's noSuchName is handled per column;
        an answer that does not come after the column asked is the agent's error (SnmpError), as in a walk."""
        found: dict[str, Any] = {}
        for column, pair in (await self._in_halves(ber.GET_NEXT_REQUEST, target, columns)).items():
            if pair is not None and pair[1] is not ber.END_OF_MIB_VIEW and _oid_tuple(pair[0]) <= _oid_tuple(column):
                raise SnmpError(f"{target}: GETNEXT of {column} went backwards to {pair[0]}; the agent is broken")
            inside = pair is not None and pair[0].startswith(column + ".") and pair[1] is not ber.END_OF_MIB_VIEW
            found[column] = pair[1] if inside else None
        return found

    async def walk(
        self, target: SnmpTarget, base: str, max_rows: int = MAX_WALK_ROWS, expected: int | None = None
    ) -> list[tuple[str, Any]]:
        """Every (oid, value) under `base`, in order.  `expected`: how many rows the agent said the
        table has (ifNumber for the interfaces): asked for at once, and one more to see the end.

        GETBULK where the version allows it.  An agent that never answers a bulk whose reply
        would not fit one datagram gets smaller bulks, then GETNEXT, instead of being called
        dead; what it answers is remembered for the next walk.  A walk whose OIDs do not
        increase is stopped (SnmpError), never followed round in circles.
        """
        prefix = base + "."
        rows: list[tuple[str, Any]] = []
        current = base
        last: tuple[int, ...] = _oid_tuple(base)
        bulk = 0 if target.version is SnmpVersion.V1 else self._bulk.get(target, DEFAULT_MAX_REPETITIONS)
        # The first request asks for one row: most agents lack most tables, and a full bulk past
        # the end of an absent one is a reply of values nobody wanted, to decode.
        repetitions = min(bulk, 1 if expected is None else max(1, expected + 1))
        while len(rows) < max_rows:
            try:
                if repetitions:
                    pairs = await self._plain(ber.GET_BULK_REQUEST, target, [current], repetitions)
                else:
                    pairs = await self._plain(ber.GET_NEXT_REQUEST, target, [current])
            except SnmpPduError as exc:
                if exc.status == "noSuchName" and not repetitions:  # SNMPv1's way of saying "the end"
                    break
                if exc.status != "tooBig" or not repetitions:
                    raise
                bulk = repetitions // 3 if repetitions > 3 else 0
                self._bulk[target] = repetitions = bulk
                continue
            except SnmpTimeout:
                if not repetitions:
                    raise
                bulk = repetitions // 3 if repetitions > 3 else 0
                self._bulk[target] = repetitions = bulk
                log.info("%s did not answer GETBULK; retrying with max-repetitions %d", target, repetitions)
                continue
            if not pairs:
                break
            repetitions = bulk  # it answered: full-size bulks from here on
            for oid, value in pairs:
                if not oid.startswith(prefix) or value is ber.END_OF_MIB_VIEW:
                    return rows
                key = _oid_tuple(oid)
                if key <= last:
                    raise SnmpError(f"{target}: walk of {base} went backwards at {oid}; the agent is broken")
                last = key
                rows.append((oid, value))
            current = pairs[-1][0]
        return rows
