"""Looking at devices: ICMP for every address, then SNMP with the first credential that answers.
A device that fails is data (an observation that says why), never an exception."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Sequence
from dataclasses import replace

from auditor.discovery.icmp import Pinger, PingResult, SweepPinger
from auditor.domain import NETWORK_CATEGORIES
from auditor.errors import IcmpUnavailable, SnmpFailure
from auditor.facts import DeviceFacts, HostObservation, PollTarget
from auditor.jobs.clock import Clock
from auditor.settings import PollOptions
from auditor.snmp import oids, values
from auditor.snmp.catalog import Catalog
from auditor.snmp.client import SnmpClient
from auditor.snmp.credentials import candidates
from auditor.snmp.identify import identify
from auditor.snmp.poller import read_identity, read_interfaces, read_system, read_tables

Progress = Callable[[int], None]  # called with how many more hosts are done
SILENT_QUEUE = 32  # requests in flight at once to hosts that did not answer ping


async def _snmp(
    client: SnmpClient,
    address: str,
    options: PollOptions,
    known: PollTarget | None,
    identity: bool,
    catalog: Catalog,
    at: Clock,
) -> HostObservation:
    """Try the credentials in turn; the first whose system group answers wins.  A failure is data.

    Once a credential has answered it is the right one: if a later walk (identity, interfaces)
    fails, the device answered SNMP with that credential, and the failure is noted beside it.
    """
    errors: list[str] = []
    device_id = known.device_id if known else None
    wants_identity = identity or known is None or not known.identified  # a scan, or never identified
    for marker, target in candidates(address, options, known):
        try:
            system = await read_system(client, target)
        except SnmpFailure as exc:
            errors.append(str(exc))
            continue
        facts: DeviceFacts | None = None
        found_interfaces = None
        found_tables = None
        problem = None
        try:
            if wants_identity:
                facts = await read_identity(client, target, catalog, system=system)
            if known is not None and known.carries_link:
                found_interfaces = tuple(await read_interfaces(client, target))
            # The register's word first (a person said it is a router), then what the device says.
            category = (known.category if known else None) or (facts.category if facts else None)
            if options.tables and category in NETWORK_CATEGORIES:
                maker = values.enterprise(values.oid(system.get(oids.SYS_OBJECT_ID)))
                found_tables = await read_tables(client, target, maker)
        except SnmpFailure as exc:
            problem = f"answered, but then: {exc}"
            if facts is None and wants_identity:
                facts = identify(system, {}, None, catalog)  # what the system group alone says
        uptime = values.uptime_seconds(
            system.get(oids.SYS_UPTIME), system.get(oids.HR_SYSTEM_UPTIME), system.get(oids.SNMP_ENGINE_TIME)
        )
        return HostObservation(
            address,
            at(),
            device_id=device_id,
            snmp_ok=True,
            snmp_error=problem,
            snmp_version=target.version,
            snmp_port=target.port,
            credential=marker,
            uptime_s=uptime,
            facts=facts,
            interfaces=found_interfaces,
            tables=found_tables,
        )
    error = errors[-1] if errors else "no SNMP credential to try: set snmp.communities in the config"
    return HostObservation(address, at(), device_id=device_id, snmp_error=error)


async def _pings(addresses: Sequence[str], options: PollOptions, pinger: Pinger) -> tuple[dict[str, PingResult], str]:
    try:
        found = await pinger.sweep(
            addresses, timeout_s=options.icmp_timeout_s, count=options.icmp_attempts, until_reply=True
        )
    except IcmpUnavailable as exc:
        return {}, str(exc)
    return found, "ok"


async def observe(
    addresses: Sequence[str],
    options: PollOptions,
    *,
    clock: Clock,
    catalog: Catalog,
    known: dict[str, PollTarget] | None = None,
    identity: bool,
    pinger: Pinger | None = None,
    progress: Progress | None = None,
    snmp_addresses: frozenset[str] | None = None,
) -> tuple[list[HostObservation], str]:
    """ICMP for every address, then SNMP for `snmp_addresses` (default: every address that is not
    known to be dead).

    Returns the observations, one per address, and how ICMP went ("ok" or why it was not used).
    """
    known = known or {}
    pings, icmp_state = await _pings(addresses, options, pinger or SweepPinger())
    if len(addresses) > 1000:
        gc.collect()
        gc.freeze()  # a full collection over thousands of pending requests stalls the loop into false timeouts

    def alive(address: str) -> bool | None:
        return pings[address].alive if address in pings else None

    silent_slots = asyncio.Semaphore(SILENT_QUEUE)

    async def one(address: str) -> HostObservation:
        ping = pings.get(address)
        base = HostObservation(
            address,
            clock(),
            device_id=known[address].device_id if address in known else None,
            alive=alive(address),
            rtt_ms=ping.rtt_ms if ping else None,
        )
        if (address in snmp_addresses) if snmp_addresses is not None else alive(address) is not False:
            if alive(address) is False:  # ping is blocked or the host is down: a small queue, no retries
                async with silent_slots:
                    quiet = replace(options, retries=0)
                    seen = await _snmp(client, address, quiet, known.get(address), identity, catalog, clock)
            else:
                seen = await _snmp(client, address, options, known.get(address), identity, catalog, clock)
            base = replace(seen, alive=base.alive, rtt_ms=base.rtt_ms)
        if progress:
            progress(1)
        return base

    try:
        async with SnmpClient(max_in_flight=options.concurrency) as client:
            observations = await asyncio.gather(*(one(a) for a in addresses))
    finally:
        if len(addresses) > 1000:
            gc.unfreeze()  # a long-running agent must not keep every cycle's objects forever
    return list(observations), icmp_state
