"""`auditor poll --links`: one 5-minute sample of every link's WAN counters and of its far end's
round trip, turned into the interval's rates (links.rates) and stored."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from auditor.db import register, runs, samples
from auditor.db.engine import Database
from auditor.discovery.icmp import Pinger, PingResult, SweepPinger
from auditor.domain import RunKind, RunOutcome
from auditor.errors import IcmpUnavailable, SnmpFailure, SnmpTimeout
from auditor.facts import InterfaceFacts
from auditor.jobs.clock import Clock, clock_from
from auditor.jobs.runs import Claim, start_run
from auditor.links import rates
from auditor.settings import PollOptions, Settings
from auditor.snmp.client import SnmpClient, SnmpTarget
from auditor.snmp.credentials import candidates
from auditor.snmp.interfaces import counter_oids, counter_sample, find_interface, still_named
from auditor.snmp.poller import read_interfaces
from auditor.traffic import CounterSample, Interval, LinkObservation, LinkTarget

log = logging.getLogger(__name__)


@dataclass
class LinkReport:
    run_id: int
    links: int = 0
    asked: int = 0  # links with a router to read
    read: int = 0
    rates: int = 0
    unknown: dict[str, int] = field(default_factory=dict)
    far_ends: int = 0
    far_ends_answering: int = 0
    errors: list[str] = field(default_factory=list)
    lost: int = 0  # samples dropped because the agent's lease on them had expired
    overtaken: int = 0  # samples dropped because another sampler stored one of the link meanwhile
    seconds: float = 0.0


async def _read_counters(
    client: SnmpClient, target: SnmpTarget, if_index: int, now: Clock
) -> tuple[CounterSample, InterfaceFacts]:
    """One reading, stamped half-way between the request that was answered and its reply: the agent
    read its counters in between.  Each try is stamped on its own: on a lossy link a reading
    answered at the second try, stamped from the first, would be half a timeout early, and the
    interval would disagree with the agent's uptime (a "clock step" that never was)."""
    once = replace(target, retries=0)
    for _ in range(target.retries):
        sent = now()
        with contextlib.suppress(SnmpTimeout):  # lost: the next try is stamped on its own
            answered = await client.get(once, counter_oids(if_index))
            return counter_sample(answered, if_index, sent + (now() - sent) / 2)
    sent = now()
    try:
        answered = await client.get(once, counter_oids(if_index))
    except SnmpTimeout:  # said as the client says it, every try counted
        raise SnmpTimeout(f"no answer from {target} in {target.timeout_s:g} s × {target.retries + 1}") from None
    return counter_sample(answered, if_index, sent + (now() - sent) / 2)


async def _sample_link(client: SnmpClient, link: LinkTarget, options: PollOptions, now: Clock) -> LinkObservation:
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
    links: Sequence[LinkTarget], options: PollOptions, now: Clock, pinger: Pinger | None = None, echoes: int = 3
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


def _rates(
    links: Sequence[LinkTarget], observations: Sequence[LinkObservation], report: LinkReport, cadence_s: float
) -> list[tuple[LinkObservation, Interval | None]]:
    """Each observation with the interval it closes (the rate since the link's last sample, or why
    it is unknown); a reading too soon after the last is counted and left out."""
    stored: list[tuple[LinkObservation, Interval | None]] = []
    for link, observation in zip(links, observations, strict=True):
        interval: Interval | None = None
        report.asked += link.device is not None
        if observation.counters is not None:
            report.read += 1
            if link.previous is None:
                interval = Interval(observation.counters.at, observation.counters.at, unknown="first_sample")
            else:
                capacity = max(link.capacity_down_mbps, link.capacity_up_mbps) or None
                interval = rates.interval(link.previous, observation.counters, cadence_s, capacity)
        else:
            report.errors.append(observation.error or "no counters")
        if interval is not None and interval.unknown == "too_short":  # another sampler read it moments ago
            report.unknown["too_short"] = report.unknown.get("too_short", 0) + 1
            continue
        stored.append((observation, interval))
    return stored


def _count_stored(
    links: Sequence[LinkTarget], stored: Sequence[tuple[LinkObservation, Interval | None]], report: LinkReport
) -> None:
    """The report's rates, unknown reasons and far ends, of what is stored (not of what was read:
    a reading another sampler overtook is neither a rate nor unknown)."""
    far_end = {link.link_id: link.far_end_ip for link in links}
    for observation, interval in stored:
        reason = interval.unknown if interval else "no_counters"
        if reason:
            report.unknown[reason] = report.unknown.get(reason, 0) + 1
        else:
            report.rates += 1
        if far_end.get(observation.link_id):
            report.far_ends += 1
            report.far_ends_answering += bool(observation.loss_pct is not None and observation.loss_pct < 100)


def _not_overtaken(
    links: Sequence[LinkTarget],
    stored: list[tuple[LinkObservation, Interval | None]],
    latest: dict[int, dt.datetime],
) -> tuple[list[tuple[LinkObservation, Interval | None]], int]:
    """The samples whose base is still the link's last (`latest`, read under the samples' lock):
    where another sampler (the agent beside a manual `poll --links`) stored one since this run
    read it, this run's reading is dropped."""
    based_on = {link.link_id: link.previous.at if link.previous else None for link in links}
    kept = [(o, interval) for o, interval in stored if latest.get(o.link_id) == based_on.get(o.link_id)]
    return kept, len(stored) - len(kept)


def sample_links(
    database: Database,
    settings: Settings,
    now: dt.datetime,
    *,
    unit_code: str | None = None,
    group: str | None = None,
    options: PollOptions | None = None,
    pinger: Pinger | None = None,
    claim: Claim | None = None,
    cadence_s: float | None = None,
) -> LinkReport:
    """One 5-minute sample of every link (of a unit, a group, or those an agent claimed): counters,
    the rate since the last sample, ICMP to the far end.  `cadence_s`: how often the links are
    sampled (an agent's interval; else links.interval_s)."""
    options = options or PollOptions.from_settings(settings)
    clock = clock_from(now)
    with database.session(commit=False) as session:
        register.require_unit(session, unit_code)
        links = samples.link_targets(session, unit_code, group, claim.ids if claim else None)
    started = time.perf_counter()
    run_id = start_run(database, RunKind.LINKS, now, claim.agent if claim else None)
    observations = asyncio.run(observe_links(links, options, clock, pinger))
    report = LinkReport(run_id, links=len(links))
    stored = _rates(links, observations, report, cadence_s or settings.links.interval_s)
    with database.session() as session:
        samples.lock_samples(session)  # one sampler stores at a time; the first to store wins
        latest = samples.latest_sampled(session, [link.link_id for link in links])
        stored, report.overtaken = _not_overtaken(links, stored, latest)
        if claim is not None:
            held = claim.settle(session, "link")
            report.lost = sum(1 for observation, _ in stored if observation.link_id not in held)
            stored = [(observation, interval) for observation, interval in stored if observation.link_id in held]
        samples.store_link_samples(session, stored, run_id, clock())
        _count_stored(links, stored, report)
        report.seconds = round(time.perf_counter() - started, 2)
        outcome = RunOutcome.OK if not report.errors else RunOutcome.PARTIAL
        runs.finish_run(
            session,
            run_id,
            outcome,
            {
                "links": report.links,
                "read": report.read,
                "rates": report.rates,
                "lost": report.lost,
                "overtaken": report.overtaken,
                **{f"unknown_{k}": v for k, v in report.unknown.items()},
            },
            clock(),
        )
    return report
