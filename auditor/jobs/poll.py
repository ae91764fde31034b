"""`auditor poll`: ICMP and SNMP of every registered device (of a unit, a group, or an agent's
claim), judged against the previous poll, stored in one transaction with the run."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from auditor.catalogs import vendor_catalog
from auditor.db import history, register, runs
from auditor.db import observations as stored
from auditor.db.engine import Database
from auditor.discovery.icmp import Pinger
from auditor.domain import RunKind, RunOutcome
from auditor.endpoints import Sighting
from auditor.facts import HostObservation, ObservationCounts, PollTarget
from auditor.jobs import endpoints
from auditor.jobs.clock import clock_from
from auditor.jobs.fanout import observe_all
from auditor.jobs.observe import Progress
from auditor.jobs.results import write_results
from auditor.jobs.runs import Claim, start_run
from auditor.rules.uptime import rebooted
from auditor.settings import PollOptions, Settings
from auditor.snmp.catalog import Catalog
from auditor.snmp.interfaces import find_interface

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    run_id: int
    kind: str
    targets: int = 0
    alive: int = 0
    snmp_ok: int = 0
    identified: int = 0
    known: int = 0  # answered SNMP, identity not read again: identified by an earlier run
    unreachable: int = 0
    new: int = 0
    updated: int = 0
    reboots: int = 0
    unassigned: int = 0
    lost: int = 0  # results dropped because the agent's lease on them had expired
    tables_read: int = 0  # routers and switches whose ARP/forwarding/LLDP tables were read
    endpoints: int = 0  # MACs those tables showed (edge ports only)
    endpoints_registered: int = 0  # of them, registered devices
    icmp: str = "ok"
    notes: list[str] = field(default_factory=list)
    results_file: Path | None = None
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if isinstance(v, int) and k != "run_id"}


def judged(observation: HostObservation, target: PollTarget | None, notes: list[str]) -> HostObservation:
    """What an observation means beside the previous poll: whether the device restarted since, and
    which interface each link it carries runs on now (a note when the register's is missing)."""
    if target is None:
        return observation
    came_up = rebooted(target.uptime_s, target.uptime_at, observation.uptime_s, observation.at)
    ports: list[tuple[int, int | None]] = []
    found = observation.interfaces
    if found is not None:
        for link in target.links:
            chosen = find_interface(link.interface, found)
            if chosen is None and link.interface:
                names = ", ".join(i.name or i.descr or str(i.if_index) for i in found[:12])
                notes.append(
                    f'link "{link.name}": the register names interface "{link.interface}", which '
                    f"{target.hostname or target.address} does not have (it has {names}…)"
                )
            ports.append((link.link_id, chosen.if_index if chosen else None))
    if came_up is None and not ports:
        return observation  # the usual case, a poll of 10,000 devices: no copy
    return replace(observation, rebooted=came_up is not None, link_interfaces=tuple(ports))


def record_observations(
    database: Database, observations: Sequence[HostObservation], now: dt.datetime, run_id: int | None = None
) -> ObservationCounts:
    """Observations made elsewhere (a lab's, a test's) stored as a poll stores its own: each judged
    against its device's previous poll, in one transaction."""
    notes: list[str] = []
    with database.session() as session:
        history.changes_by(session, "poll", now, run_id)
        known = {t.address: t for t in stored.poll_targets(session)}
        seen = [judged(o, known.get(o.address), notes) for o in observations]
        counts = stored.apply_observations(session, seen, run_id, now)
        endpoints.record_tables(session, seen, run_id, notes)
    return replace(counts, notes=counts.notes + tuple(notes))


def _tally(report: RunReport, observations: Sequence[HostObservation]) -> None:
    report.targets = len(observations)
    report.alive = sum(1 for o in observations if o.alive)
    report.snmp_ok = sum(1 for o in observations if o.snmp_ok)
    report.identified = sum(1 for o in observations if o.facts is not None and (o.facts.model or o.facts.vendor))
    report.known = sum(1 for o in observations if o.snmp_ok and o.facts is None)
    report.unreachable = sum(1 for o in observations if not o.reachable)


def store(
    database: Database,
    report: RunReport,
    observations: Sequence[HostObservation],
    known: dict[str, PollTarget],
    now: dt.datetime,
    *,
    started: float,
    scans_dir: Path,
    kind: RunKind,
    unit_code: str | None = None,
    discovering: bool = False,
    claim: Claim | None = None,
    names: Sequence[Sighting] = (),
) -> RunReport:
    """Store what was seen and close the run, in one transaction; with a claim, only the devices
    the agent still holds, and they are done for the cycle in that same transaction."""
    observed = time.perf_counter()
    observations = [judged(o, known.get(o.address), report.notes) for o in observations]
    with database.session() as session:
        history.changes_by(session, kind.value, now, report.run_id)
        if claim is not None:
            held = claim.settle(session, "device")
            kept = [o for o in observations if o.device_id in held]
            report.lost = len(observations) - len(kept)
            observations = kept
        _tally(report, observations)
        counts = stored.apply_observations(
            session, observations, report.run_id, now, unit_code=unit_code, discovering=discovering
        )
        report.new, report.updated, report.reboots = counts.new, counts.updated, counts.reboots
        report.unassigned = counts.unassigned
        report.notes.extend(counts.notes)
        seen = endpoints.record_tables(session, observations, report.run_id, report.notes, names=names)
        report.tables_read, report.endpoints, report.endpoints_registered = seen.devices, seen.endpoints, seen.matched
        if report.lost:
            report.notes.append(
                f"{report.lost} results dropped: this agent's lease on them expired and another agent took them"
            )
        report.results_file = write_results(scans_dir, report.run_id, kind.value, observations)
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
        runs.finish_run(
            session,
            report.run_id,
            RunOutcome.PARTIAL if failed else RunOutcome.OK,
            report.counts(),
            now,
            message=report.icmp if report.icmp != "ok" else None,
        )
    return report


def _by_address(targets: Sequence[PollTarget]) -> tuple[dict[str, PollTarget], list[str]]:
    """The targets by address, and a note for each address two devices share (two units behind
    NAT with the same private addresses): only the first is polled."""
    known: dict[str, PollTarget] = {}
    shared: list[str] = []
    for target in targets:
        if target.address in known:
            shared.append(
                f"{target.address} is the address of device {known[target.address].device_id} and of "
                f"device {target.device_id}; only the first was polled: give one of them its real address"
            )
        else:
            known[target.address] = target
    return known, shared


def poll(
    database: Database,
    settings: Settings,
    now: dt.datetime,
    *,
    unit_code: str | None = None,
    group: str | None = None,
    options: PollOptions | None = None,
    catalog: Catalog | None = None,
    scans_dir: Path = Path("scans"),
    pinger: Pinger | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    claim: Claim | None = None,
) -> RunReport:
    """ICMP and, for devices that speak it, SNMP uptime (and identity, the first time) of every device
    (of a unit, of a group, or the devices an agent claimed)."""
    options = options or PollOptions.from_settings(settings)
    clock = clock_from(now)
    with database.session(commit=False) as session:
        register.require_unit(session, unit_code)
        targets = stored.poll_targets(session, unit_code, group, claim.ids if claim else None)
    if on_total:
        on_total(len(targets))
    started = time.perf_counter()
    run_id = start_run(database, RunKind.POLL, now, claim.agent if claim else None)
    known, shared = _by_address(targets)
    speaks_snmp = frozenset(a for a, t in known.items() if t.snmp_credential or t.snmp_version or t.snmp_community)
    observations, icmp = observe_all(
        list(known),
        options,
        clock=clock,
        catalog=catalog or vendor_catalog(),
        known=known,
        identity=False,
        pinger=pinger,
        progress=progress,
        snmp_addresses=speaks_snmp,
    )
    report = RunReport(run_id, "poll", icmp=icmp, notes=shared)
    names = endpoints.ask_names(database, observations, settings.netbios, report.notes)
    return store(
        database,
        report,
        observations,
        known,
        clock(),
        started=started,
        scans_dir=scans_dir,
        kind=RunKind.POLL,
        claim=claim,
        names=names,
    )
