"""`auditor scan` and `auditor poll`: the orchestration that composes ICMP, SNMP and the database.

Like audit.py for the nightly run, this module only wires the rooms together; what is decided
lives in pure code (targets, identification, reboots) and the I/O in discovery/, snmp/, db/.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import gc
import hashlib
import json
import logging
import multiprocessing
import os
import queue as queue_module
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.catalogs import vendor_catalog
from auditor.config import Secret, Settings, SnmpV3Profile
from auditor.db import repo, work
from auditor.db.engine import Database
from auditor.discovery.icmp import IcmpUnavailable, Pinger, PingResult, SweepPinger
from auditor.discovery.targets import DEFAULT_LIMIT, expand
from auditor.domain import RunKind, RunOutcome, SnmpVersion
from auditor.facts import (
    CounterSample,
    DeviceFacts,
    HostObservation,
    InterfaceFacts,
    Interval,
    LinkObservation,
    LinkTarget,
    PollTarget,
)
from auditor.links import rates
from auditor.snmp import oids, values
from auditor.snmp.client import SnmpClient, SnmpFailure, SnmpTarget
from auditor.snmp.identify import identify
from auditor.snmp.interfaces import counter_oids, counter_sample, find_interface, still_named
from auditor.snmp.poller import read_identity, read_interfaces, read_system

log = logging.getLogger(__name__)
Progress = Callable[[int], None]  # called with how many more hosts are done
SILENT_QUEUE = 32  # requests in flight at once to hosts that did not answer ping


@dataclass(frozen=True)
class PollOptions:
    """Per-run SNMP and ICMP settings: the config's, overridden by command-line flags."""

    communities: tuple[Secret, ...] = ()
    v3: tuple[SnmpV3Profile, ...] = ()
    port: int = 161
    timeout_s: float = 2.0
    retries: int = 1
    concurrency: int = 200
    icmp_timeout_s: float = 1.0
    icmp_attempts: int = 2
    workers: int | None = None  # processes for a large run; None: one per core (at most 4)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> PollOptions:
        snmp = settings.snmp
        options = cls(
            communities=snmp.communities, v3=snmp.v3, port=snmp.port, timeout_s=snmp.timeout_s, retries=snmp.retries
        )
        return replace(options, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class Claim:
    """An agent's claim on the items of a run: only those it still holds are stored, then they are
    due again at `due_at` (see db/work.py)."""

    agent: str
    ids: tuple[int, ...]
    due_at: dt.datetime


@dataclass
class RunReport:
    run_id: int
    kind: str
    targets: int = 0
    alive: int = 0
    snmp_ok: int = 0
    identified: int = 0
    unreachable: int = 0
    new: int = 0
    updated: int = 0
    reboots: int = 0
    unassigned: int = 0
    lost: int = 0  # results dropped because the agent's lease on them had expired
    icmp: str = "ok"
    notes: list[str] = field(default_factory=list)
    results_file: Path | None = None
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if isinstance(v, int) and k != "run_id"}


def fingerprint(community: Secret) -> str:
    """A name for a community that can be stored and logged: it cannot be turned back into the secret."""
    return "community#" + hashlib.sha256(community.reveal().encode()).hexdigest()[:8]


def candidates(address: str, options: PollOptions, known: PollTarget | None = None) -> list[tuple[str, SnmpTarget]]:
    """The credentials to try on an address, best first: the device's own, then the one that answered
    last time, then the config's communities and SNMPv3 profiles in order."""
    port = (known.snmp_port if known and known.snmp_port else None) or options.port

    def target(version: SnmpVersion, community: Secret | None = None, v3: SnmpV3Profile | None = None) -> SnmpTarget:
        return SnmpTarget(address, port, version, community, v3, options.timeout_s, options.retries)

    found: list[tuple[str, SnmpTarget]] = []
    if known and known.snmp_community:
        version = known.snmp_version if known.snmp_version in (SnmpVersion.V1, SnmpVersion.V2C) else SnmpVersion.V2C
        found.append(("register", target(version, community=Secret(known.snmp_community))))
    version = SnmpVersion.V1 if known and known.snmp_version is SnmpVersion.V1 else SnmpVersion.V2C
    found += [(fingerprint(c), target(version, community=c)) for c in options.communities]
    found += [(f"v3:{p.name}", target(SnmpVersion.V3, v3=p)) for p in options.v3]
    if known and known.snmp_profile:
        found = [c for c in found if c[0] == f"v3:{known.snmp_profile}"] or found
    if known and known.snmp_credential:
        found.sort(key=lambda c: c[0] != known.snmp_credential)  # stable: the rest keep their order
    return found


async def _snmp(
    client: SnmpClient,
    address: str,
    options: PollOptions,
    known: PollTarget | None,
    identity: bool,
    at: Callable[[], dt.datetime],
) -> HostObservation:
    """Try the credentials in turn; the first whose system group answers wins.  A failure is data.

    Once a credential has answered it is the right one: if a later walk (identity, interfaces)
    fails, the device answered SNMP with that credential, and the failure is noted beside it.
    """
    errors: list[str] = []
    device_id = known.device_id if known else None
    for marker, target in candidates(address, options, known):
        try:
            system = await read_system(client, target)
        except SnmpFailure as exc:
            errors.append(str(exc))
            continue
        facts: DeviceFacts | None = None
        found_interfaces = None
        problem = None
        try:
            if identity or known is None or not known.identified:  # a scan, or a device never identified
                facts = await read_identity(client, target, system=system)
            if known is not None and known.carries_link:
                found_interfaces = tuple(await read_interfaces(client, target))
        except SnmpFailure as exc:
            problem = f"answered, but then: {exc}"
            if facts is None and (identity or known is None or not known.identified):
                facts = identify(system, {}, None, vendor_catalog())  # what the system group alone says
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
        )
    error = errors[-1] if errors else "no SNMP credential to try: set snmp.communities in the config"
    return HostObservation(address, at(), device_id=device_id, snmp_error=error)


async def observe(
    addresses: Sequence[str],
    options: PollOptions,
    *,
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
    pinger = pinger or SweepPinger()
    icmp_state = "ok"
    try:
        pings: dict[str, PingResult] = await pinger.sweep(
            addresses, timeout_s=options.icmp_timeout_s, count=options.icmp_attempts, until_reply=True
        )
    except IcmpUnavailable as exc:
        icmp_state = str(exc)
        pings = {}
    if len(addresses) > 1000:
        gc.collect()
        gc.freeze()  # a full collection over thousands of pending requests stalls the loop into false timeouts

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def alive(address: str) -> bool | None:
        return pings[address].alive if address in pings else None

    silent_slots = asyncio.Semaphore(SILENT_QUEUE)

    async def one(address: str) -> HostObservation:
        ping = pings.get(address)
        base = HostObservation(
            address,
            now(),
            device_id=known[address].device_id if address in known else None,
            alive=alive(address),
            rtt_ms=ping.rtt_ms if ping else None,
        )
        if (address in snmp_addresses) if snmp_addresses is not None else alive(address) is not False:
            if alive(address) is False:  # ping is blocked or the host is down: a small queue, no retries
                async with silent_slots:
                    quiet = replace(options, retries=0)
                    seen = await _snmp(client, address, quiet, known.get(address), identity, now)
            else:
                seen = await _snmp(client, address, options, known.get(address), identity, now)
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


PARALLEL_FROM = 2000  # below this, starting worker processes costs more than it saves
_progress_queue: Any = None


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def _worker_start(queue: Any) -> None:
    global _progress_queue
    _progress_queue = queue


def _observe_share(
    addresses: list[str],
    options: PollOptions,
    known: dict[str, PollTarget],
    identity: bool,
    snmp_addresses: frozenset[str] | None,
) -> tuple[list[HostObservation], str]:
    """One worker's share of a large run, in its own process, its own event loop and sockets."""
    pending = 0

    def report(done: int) -> None:
        nonlocal pending
        pending += done
        if pending >= 50:
            _progress_queue.put(pending)
            pending = 0

    found = asyncio.run(
        observe(addresses, options, known=known, identity=identity, progress=report, snmp_addresses=snmp_addresses)
    )
    if pending:
        _progress_queue.put(pending)
    return found


def observe_all(
    addresses: Sequence[str],
    options: PollOptions,
    *,
    known: dict[str, PollTarget],
    identity: bool,
    pinger: Pinger | None = None,
    progress: Progress | None = None,
    snmp_addresses: frozenset[str] | None = None,
) -> tuple[list[HostObservation], str]:
    """`observe`, split over one process per core when the run is large enough to gain from it.

    An identity read goes through pysnmp, ~2 ms of CPU a request (most of it decoding BER), and
    even the hand-coded routine GET leaves ICMP, rules and bookkeeping to one core per process.
    Addresses go to workers by a stable hash: the same device, the same worker.
    """
    count = options.workers if options.workers is not None else default_workers()
    if count <= 1 or len(addresses) < PARALLEL_FROM or pinger is not None:
        return asyncio.run(
            observe(
                addresses,
                options,
                known=known,
                identity=identity,
                pinger=pinger,
                progress=progress,
                snmp_addresses=snmp_addresses,
            )
        )
    shares: list[list[str]] = [[] for _ in range(count)]
    for address in addresses:
        shares[zlib.crc32(address.encode()) % count].append(address)
    context = multiprocessing.get_context("spawn")  # not fork: the parent holds a database engine and sockets
    queue = context.Queue()
    with concurrent.futures.ProcessPoolExecutor(
        count, mp_context=context, initializer=_worker_start, initargs=(queue,)
    ) as pool:
        futures = [
            pool.submit(
                _observe_share, share, options, {a: known[a] for a in share if a in known}, identity, snmp_addresses
            )
            for share in shares
            if share
        ]
        while not all(f.done() for f in futures):
            with contextlib.suppress(queue_module.Empty):
                done = queue.get(timeout=0.2)
                if progress:
                    progress(done)
        results = [f.result() for f in futures]
    order = {address: i for i, address in enumerate(addresses)}
    observations = sorted((o for found, _ in results for o in found), key=lambda o: order[o.address])
    icmp = next((state for _, state in results if state != "ok"), "ok")
    return observations, icmp


def _write_results(directory: Path, run_id: int, kind: str, observations: Sequence[HostObservation]) -> Path:
    """One JSON line per address: what was seen, no credentials (only their fingerprints)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{run_id:06d}-{kind}.jsonl"
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        for o in observations:
            facts = o.facts
            out.write(
                json.dumps(
                    {
                        "address": o.address,
                        "at": o.at.isoformat(),
                        "device_id": o.device_id,
                        "alive": o.alive,
                        "rtt_ms": o.rtt_ms,
                        "snmp_ok": o.snmp_ok,
                        "snmp_error": o.snmp_error,
                        "snmp_version": str(o.snmp_version) if o.snmp_version else None,
                        "credential": o.credential,
                        "uptime_s": o.uptime_s,
                        "vendor": facts.vendor if facts else None,
                        "category": str(facts.category) if facts and facts.category else None,
                        "model": facts.model if facts else None,
                        "serial": facts.serial if facts else None,
                        "os_version": facts.os_version if facts else None,
                        "sys_name": facts.sys_name if facts else None,
                        "manufactured_on": facts.manufactured_on.isoformat()
                        if facts and facts.manufactured_on
                        else None,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return path


def _finish(
    database: Database,
    report: RunReport,
    observations: Sequence[HostObservation],
    scans_dir: Path,
    kind: RunKind,
    unit_code: str | None,
    discovering: bool,
    started: float,
    claim: Claim | None = None,
) -> RunReport:
    """Store what was seen and close the run, in one transaction; with a claim, only the devices
    the agent still holds, and they are done for the cycle in that same transaction."""
    observed = time.perf_counter()
    with database.session() as session:
        if claim is not None:
            held = work.still_held(session, "device", claim.agent, claim.ids)
            kept = [o for o in observations if o.device_id in held]
            report.lost = len(observations) - len(kept)
            observations = kept
            work.complete(session, "device", claim.agent, sorted(held), claim.due_at)
        report.targets = len(observations)
        report.alive = sum(1 for o in observations if o.alive)
        report.snmp_ok = sum(1 for o in observations if o.snmp_ok)
        report.identified = sum(1 for o in observations if o.facts is not None and (o.facts.model or o.facts.vendor))
        report.unreachable = sum(1 for o in observations if not o.reachable)
        counts = repo.apply_observations(
            session, observations, report.run_id, unit_code=unit_code, discovering=discovering
        )
        report.new, report.updated, report.reboots = counts.new, counts.updated, counts.reboots
        report.unassigned = counts.unassigned
        report.notes.extend(counts.notes)
        if report.lost:
            report.notes.append(
                f"{report.lost} results dropped: this agent's lease on them expired and another agent took them"
            )
        report.results_file = _write_results(scans_dir, report.run_id, kind.value, observations)
        report.seconds = round(time.perf_counter() - started, 2)
        log.info(
            "%s %d: observed %d addresses in %.2f s, stored in %.2f s",
            kind.value,
            report.run_id,
            report.targets,
            observed - started,
            time.perf_counter() - observed,
        )
        failed = report.targets > 0 and report.unreachable == report.targets
        repo.finish_run(
            session,
            report.run_id,
            RunOutcome.PARTIAL if failed else RunOutcome.OK,
            report.counts(),
            message=report.icmp if report.icmp != "ok" else None,
        )
    return report


def _start(database: Database, kind: RunKind, agent: str | None) -> int:
    with database.session() as session:
        return repo.start_run(session, kind, agent)


def scan(
    database: Database,
    settings: Settings,
    specs: Sequence[str],
    *,
    unit_code: str | None = None,
    options: PollOptions | None = None,
    allow_large: bool = False,
    scans_dir: Path = Path("scans"),
    pinger: Pinger | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RunReport:
    """Sweep the targets, identify whoever answers SNMP, store new devices as discovered."""
    addresses = [str(a) for a in expand(specs, None if allow_large else DEFAULT_LIMIT)]
    with database.session(commit=False) as session:
        repo.require_unit(session, unit_code)
    options = options or PollOptions.from_settings(settings)
    if on_total:
        on_total(len(addresses))
    started = time.perf_counter()
    run_id = _start(database, RunKind.SCAN, None)
    with database.session(commit=False) as session:
        known = {t.address: t for t in repo.poll_targets(session)}
    observations, icmp = observe_all(addresses, options, known=known, identity=True, pinger=pinger, progress=progress)
    report = RunReport(run_id, "scan", icmp=icmp)
    return _finish(database, report, observations, scans_dir, RunKind.SCAN, unit_code, True, started)


def poll(
    database: Database,
    settings: Settings,
    *,
    unit_code: str | None = None,
    group: str | None = None,
    options: PollOptions | None = None,
    scans_dir: Path = Path("scans"),
    pinger: Pinger | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    claim: Claim | None = None,
) -> RunReport:
    """ICMP and, for devices that speak it, SNMP uptime (and identity, the first time) of every device
    (of a unit, of a group, or the devices an agent claimed)."""
    options = options or PollOptions.from_settings(settings)
    with database.session(commit=False) as session:
        repo.require_unit(session, unit_code)
        targets = repo.poll_targets(session, unit_code, group, claim.ids if claim else None)
    if on_total:
        on_total(len(targets))
    started = time.perf_counter()
    run_id = _start(database, RunKind.POLL, claim.agent if claim else None)
    known: dict[str, PollTarget] = {}
    shared: list[str] = []
    for target in targets:
        if target.address in known:  # two units behind NAT with the same private addresses
            shared.append(
                f"{target.address} is the address of device {known[target.address].device_id} and of "
                f"device {target.device_id}; only the first was polled: give one of them its real address"
            )
        else:
            known[target.address] = target

    speaks_snmp = frozenset(a for a, t in known.items() if t.snmp_credential or t.snmp_version or t.snmp_community)
    observations, icmp = observe_all(
        list(known), options, known=known, identity=False, pinger=pinger, progress=progress, snmp_addresses=speaks_snmp
    )
    report = RunReport(run_id, "poll", icmp=icmp, notes=shared)
    return _finish(database, report, observations, scans_dir, RunKind.POLL, None, False, started, claim)


# ---------------------------------------------------------------- links


@dataclass
class LinkReport:
    run_id: int
    links: int = 0
    read: int = 0
    rates: int = 0
    unknown: dict[str, int] = field(default_factory=dict)
    far_ends: int = 0
    far_ends_answering: int = 0
    errors: list[str] = field(default_factory=list)
    lost: int = 0  # samples dropped because the agent's lease on them had expired
    seconds: float = 0.0


async def _read_counters(
    client: SnmpClient, target: SnmpTarget, if_index: int, now: Callable[[], dt.datetime]
) -> tuple[CounterSample, InterfaceFacts]:
    """One reading, stamped half-way between request and reply: the agent read its counters in between."""
    sent = now()
    answered = await client.get(target, counter_oids(if_index))
    received = now()
    return counter_sample(answered, if_index, sent + (received - sent) / 2)


async def _sample_link(
    client: SnmpClient, link: LinkTarget, options: PollOptions, now: Callable[[], dt.datetime]
) -> LinkObservation:
    """Read one link's counters with the first credential that answers; find its interface if needed."""
    if link.device is None:
        return LinkObservation(
            link.link_id,
            None,
            error=f"{link.unit_code} / {link.name}: no router with an "
            "address is tied to this link; fill in its terminal device (Thiết bị đầu cuối)",
        )
    errors: list[str] = []
    for _marker, target in candidates(link.device.address, options, link.device):
        try:
            if_index, resolved = link.if_index, None
            if if_index is None:
                chosen = find_interface(link.interface, await read_interfaces(client, target))
                if chosen is None:
                    return LinkObservation(
                        link.link_id,
                        None,
                        error=f"{link.unit_code} / {link.name}: interface "
                        f"{link.interface!r} not found on {link.device.address}",
                    )
                if_index = resolved = chosen.if_index
            counters, facts = await _read_counters(client, target, if_index, now)
            if not still_named(link.interface, facts):  # re-indexed after a restart: find it again
                chosen = find_interface(link.interface, await read_interfaces(client, target))
                if chosen is not None and chosen.if_index != if_index:
                    if_index = resolved = chosen.if_index
                    counters, facts = await _read_counters(client, target, if_index, now)
            return LinkObservation(link.link_id, counters, resolved_if_index=resolved)
        except SnmpFailure as exc:
            errors.append(str(exc))
    return LinkObservation(
        link.link_id,
        None,
        error=f"{link.unit_code} / {link.name}: {errors[-1] if errors else 'no SNMP credential to try'}",
    )


async def observe_links(
    links: Sequence[LinkTarget], options: PollOptions, pinger: Pinger | None = None, echoes: int = 3
) -> list[LinkObservation]:
    """Counters of every link and `echoes` ICMP echoes to every far end, at the same time."""
    pinger = pinger or SweepPinger()
    far_ends = sorted({link.far_end_ip for link in links if link.far_end_ip})

    async def pings() -> dict[str, PingResult]:
        if not far_ends:
            return {}
        try:
            return await pinger.sweep(far_ends, timeout_s=1.0, count=echoes, until_reply=False)
        except IcmpUnavailable as exc:
            log.warning("%s", exc)
            return {}

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async with SnmpClient(max_in_flight=options.concurrency) as client:
        pinging = asyncio.create_task(pings())  # the echoes go out while the counters are read
        read = await asyncio.gather(*(_sample_link(client, link, options, now) for link in links))
        echo = await pinging
    found = []
    for link, observation in zip(links, read, strict=True):
        ping = echo.get(link.far_end_ip or "")
        found.append(
            replace(
                observation,
                rtt_avg_ms=ping.rtt_ms if ping else None,
                rtt_max_ms=ping.rtt_max_ms if ping else None,
                loss_pct=ping.loss_pct if ping else None,
            )
        )
    return found


def sample_links(
    database: Database,
    settings: Settings,
    *,
    unit_code: str | None = None,
    group: str | None = None,
    options: PollOptions | None = None,
    pinger: Pinger | None = None,
    claim: Claim | None = None,
) -> LinkReport:
    """One 5-minute sample of every link (of a unit, a group, or those an agent claimed): counters,
    the rate since the last sample, ICMP to the far end."""
    options = options or PollOptions.from_settings(settings)
    with database.session(commit=False) as session:
        repo.require_unit(session, unit_code)
        links = repo.link_targets(session, unit_code, group, claim.ids if claim else None)
    started = time.perf_counter()
    run_id = _start(database, RunKind.LINKS, claim.agent if claim else None)
    observations = asyncio.run(observe_links(links, options, pinger))
    report = LinkReport(run_id, links=len(links))
    stored: list[tuple[LinkObservation, Interval | None]] = []
    for link, observation in zip(links, observations, strict=True):
        interval: Interval | None = None
        if observation.counters is not None:
            report.read += 1
            if link.previous is None:
                interval = Interval(observation.counters.at, observation.counters.at, unknown="first_sample")
            else:
                interval = rates.interval(link.previous, observation.counters, settings.links.interval_s)
        else:
            report.errors.append(observation.error or "no counters")
        reason = interval.unknown if interval else "no_counters"
        if reason:
            report.unknown[reason] = report.unknown.get(reason, 0) + 1
        else:
            report.rates += 1
        if link.far_end_ip:
            report.far_ends += 1
            report.far_ends_answering += bool(observation.loss_pct is not None and observation.loss_pct < 100)
        stored.append((observation, interval))
    with database.session() as session:
        if claim is not None:
            held = work.still_held(session, "link", claim.agent, claim.ids)
            report.lost = sum(1 for observation, _ in stored if observation.link_id not in held)
            stored = [(observation, interval) for observation, interval in stored if observation.link_id in held]
            work.complete(session, "link", claim.agent, sorted(held), claim.due_at)
        repo.store_link_samples(session, stored, run_id)
        report.seconds = round(time.perf_counter() - started, 2)
        outcome = RunOutcome.OK if not report.errors else RunOutcome.PARTIAL
        repo.finish_run(
            session,
            run_id,
            outcome,
            {
                "links": report.links,
                "read": report.read,
                "rates": report.rates,
                "lost": report.lost,
                **{f"unknown_{k}": v for k, v in report.unknown.items()},
            },
        )
    return report
