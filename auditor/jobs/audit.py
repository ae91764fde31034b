"""`auditor audit`, the nightly job: poll the devices, apply every rule to what the database holds
(device findings, the links' verdicts), give the findings their life, write the day's workbook,
apply the retention settings.  One audit at a time per database."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from auditor.catalogs import age_catalog
from auditor.db import endpoints, findings, register, runs
from auditor.db.claims import held_alone
from auditor.db.engine import Database, sqlite_path
from auditor.domain import RunKind, RunOutcome
from auditor.facts import DeviceHistory, DeviceState, FindingFact
from auditor.files import exclusive
from auditor.jobs.export import export_procurement, read_register
from auditor.jobs.judge import judging
from auditor.jobs.poll import poll
from auditor.jobs.prune import PruneReport, prune
from auditor.jobs.runs import start_run
from auditor.procurement.document import Register
from auditor.rules.age import AgeCatalog, evidence_age
from auditor.rules.findings import device_findings, endpoint_findings, link_findings
from auditor.settings import AgeSettings, PollOptions, Settings
from auditor.traffic import LinkVerdict

log = logging.getLogger(__name__)
AUDIT_LOCK = 0x61756469  # "audi": the advisory lock key of `auditor audit` on PostgreSQL


@dataclass
class AuditReport:
    run_id: int
    devices: int = 0
    links: int = 0
    open_by_kind: dict[str, int] = field(default_factory=dict)
    new: int = 0
    still_open: int = 0
    resolved: int = 0
    verdicts: tuple[LinkVerdict, ...] = ()  # the links judged, for the export that follows


@dataclass(frozen=True)
class DeviceAssessment:
    """The audit's first half: its run, and the device rules' findings."""

    run_id: int
    devices: int
    found: list[FindingFact]
    unit_ids: dict[str, int]


def state_of(history: DeviceHistory, today: dt.date, ages: AgeSettings, catalog: AgeCatalog) -> DeviceState:
    """What the rules see of a device: its history, and its age on `today` from its evidence."""
    h = history
    return DeviceState(
        device_id=h.device_id,
        unit_id=h.unit_id,
        label=h.label,
        category=h.category,
        registered=h.registered,
        has_address=h.has_address,
        age=evidence_age(h.evidence, today, catalog),
        threshold_years=ages.threshold(h.category),
        created_at=h.created_at,
        first_seen=h.first_seen,
        last_seen=h.last_seen,
        recent_reachable=h.recent_reachable,
        reboots_7d=h.reboots_7d,
        seen_by=h.seen_by,
        looked_at=h.looked_at,
    )


def assess_devices(
    database: Database, settings: Settings, now: dt.datetime, catalog: AgeCatalog | None = None
) -> DeviceAssessment:
    """Start the audit's run and apply the device rules (nothing is written but the run)."""
    run_id = start_run(database, RunKind.AUDIT, now)  # committed at once: a crashed audit still leaves its run
    with database.session(commit=False) as session:
        histories = findings.device_histories(session, now, settings.rules.unreachable_polls)
        strangers = endpoints.list_endpoints(session, unregistered=True)
        unit_ids = register.unit_ids(session)
    chosen = catalog or age_catalog()
    states = [state_of(h, now.date(), settings.age, chosen) for h in histories]
    found = [fact for state in states for fact in device_findings(state, now, settings.rules)]
    found.extend(endpoint_findings(strangers, now, settings.rules))
    return DeviceAssessment(run_id, len(states), found, unit_ids)


def await_verdicts(
    database: Database, assessed: DeviceAssessment, judged: Callable[[], Sequence[LinkVerdict]], now: dt.datetime
) -> Sequence[LinkVerdict]:
    """The links' verdicts (`judged` waits for `judging`'s); if they cannot be had, the audit's run
    ends `failed` with the reason (no finding is written) before the error goes on to the user."""
    try:
        return judged()
    except Exception as error:
        with database.session() as session:
            runs.finish_run(session, assessed.run_id, RunOutcome.FAILED, {"devices": assessed.devices}, now, str(error))
        raise


def record_findings(
    database: Database, assessed: DeviceAssessment, verdicts: Sequence[LinkVerdict], now: dt.datetime
) -> AuditReport:
    """The audit's second half: the links' findings added, all of them written in one transaction,
    and the run finished."""
    found = list(assessed.found)
    for verdict in verdicts:
        found.extend(
            link_findings(
                verdict.link_id,
                assessed.unit_ids.get(verdict.unit_code),
                f"{verdict.unit_code} / {verdict.name}",
                verdict.judgement,
                verdict.justification_vi,
            )
        )
    report = AuditReport(assessed.run_id, devices=assessed.devices, links=len(verdicts), verdicts=tuple(verdicts))
    for fact in found:
        report.open_by_kind[fact.kind.value] = report.open_by_kind.get(fact.kind.value, 0) + 1
    with database.session() as session:
        counts = findings.apply_findings(session, found, now)
        report.new, report.still_open, report.resolved = counts["new"], counts["still_open"], counts["resolved"]
        runs.finish_run(
            session,
            assessed.run_id,
            RunOutcome.OK,
            {"devices": report.devices, "links": report.links, **counts, **report.open_by_kind},
            now,
        )
    return report


def alone(database: Database, wait_s: float) -> AbstractContextManager[None]:
    """One audit at a time per database: a lock file beside a SQLite file; on PostgreSQL, which
    audits may reach from several machines, the server's advisory lock."""
    database_file = sqlite_path(str(database.engine.url))
    if database_file is not None:
        return exclusive(database_file.with_name(database_file.name + ".audit.lock"), wait_s, "`auditor audit`")
    return held_alone(database.engine, AUDIT_LOCK, wait_s, "`auditor audit`")


def nightly(
    database: Database,
    settings: Settings,
    now: dt.datetime,
    *,
    poll_first: bool,
    options: PollOptions,
    scans_dir: Path,
    export_dir: Path | None,
) -> tuple[AuditReport, Path | None, PruneReport]:
    """The nightly job: poll the devices, apply every rule, optionally write the day's workbook, and
    apply the retention settings.  The rules judge as of the moment the poll ended."""
    if poll_first:
        polled = poll(database, settings, now, options=options, scans_dir=scans_dir)
        now += dt.timedelta(seconds=polled.seconds)
        log.info("audit: polled %d devices (run %d)", polled.targets, polled.run_id)
    with judging(database, settings, now) as judged:
        # While the links are judged (in worker processes when there are many): the register for
        # the workbook, and the device rules.
        register_read = read_register(database, settings, now) if export_dir is not None else None
        assessed = assess_devices(database, settings, now)
        verdicts = await_verdicts(database, assessed, judged, now)
    with ThreadPoolExecutor(1, "auditor-findings") as writer:
        # The findings are written and the retention applied (database work, on PostgreSQL the
        # server's) while this thread writes the workbook, which needs neither.  A failed
        # workbook leaves the findings written.
        recorded = writer.submit(_record_and_prune, database, settings, assessed, verdicts, now)
        workbook = (
            _export_day(database, settings, verdicts, export_dir, now, register_read)
            if export_dir is not None and register_read is not None
            else None
        )
        report, pruned = recorded.result()
    return report, workbook, pruned


def _record_and_prune(
    database: Database,
    settings: Settings,
    assessed: DeviceAssessment,
    verdicts: Sequence[LinkVerdict],
    now: dt.datetime,
) -> tuple[AuditReport, PruneReport]:
    report = record_findings(database, assessed, verdicts, now)
    log.info(
        "audit %d: %d devices, %d links, %d new findings, %d resolved",
        report.run_id,
        report.devices,
        report.links,
        report.new,
        report.resolved,
    )
    return report, prune(database, settings, now)


def _export_day(
    database: Database,
    settings: Settings,
    verdicts: Sequence[LinkVerdict],
    export_dir: Path,
    now: dt.datetime,
    register_read: Register,
) -> Path:
    day = now.astimezone(zoneinfo.ZoneInfo(settings.timezone)).date().isoformat()
    workbook = export_dir / day / "danh-muc-de-xuat.xlsx"
    data = export_procurement(database, settings, workbook, now, verdicts=verdicts, register_read=register_read)
    log.info("audit: wrote %s (%d lines, %s VND)", workbook, len(data.plan.lines), f"{data.plan.total_vnd():,}")
    return workbook
