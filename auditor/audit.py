"""The audit: reading what the database holds, applying the pure rules (device findings, the
links' congestion verdicts), and giving findings their life.  The orchestration only."""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.config import LinkSettings, Settings
from auditor.db import repo
from auditor.db.engine import Database, open_database
from auditor.domain import Category, RunKind, RunOutcome
from auditor.errors import AuditorError
from auditor.facts import Age, FindingFact
from auditor.files import atomic_output
from auditor.links.congestion import Judgement, Verdict, judge_window, justify, window_stats
from auditor.output import render_csv
from auditor.polling import PollOptions, poll
from auditor.procurement.plan import Plan, PlanDevice, PlanLink, PlanUnit, plan
from auditor.procurement.workbook import write_workbook
from auditor.rules.age import basis_vi, over_age
from auditor.rules.findings import device_findings, link_findings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkVerdict:
    link_id: int
    unit_code: str
    name: str
    judgement: Judgement
    justification_vi: str
    justification_en: str

    def row(self) -> dict[str, Any]:
        """The flat record `links report` prints (JSON keys are stable)."""
        j = self.judgement

        def mbps(bps: float | None) -> float | None:
            return None if bps is None else round(bps / 1e6, 3)

        return {
            "link_id": self.link_id,
            "unit_code": self.unit_code,
            "name": self.name,
            "capacity_down_mbps": j.capacity_down_mbps,
            "capacity_up_mbps": j.capacity_up_mbps,
            "window_start": j.window_start.isoformat(),
            "window_end": j.window_end.isoformat(),
            "samples": j.samples,
            "expected": j.expected,
            "unknown": j.unknown,
            "coverage_pct": j.coverage_pct,
            "days": j.days,
            "p95_in_mbps": mbps(j.p_in_bps),
            "p95_out_mbps": mbps(j.p_out_bps),
            "p95_in_bps": j.p_in_bps,
            "p95_out_bps": j.p_out_bps,
            "p95_in_pct": j.util_in_pct,
            "p95_out_pct": j.util_out_pct,
            "max_in_mbps": mbps(j.max_in_bps),
            "max_out_mbps": mbps(j.max_out_bps),
            "loss_pct": j.loss_pct,
            "rtt_p95_ms": j.rtt_p_ms,
            "rtt_max_ms": j.rtt_max_ms,
            "verdict": j.verdict.value,
            "recommended_mbps": j.recommended_mbps,
            "needs_justification": j.needs_justification,
            "justification_vi": self.justification_vi,
            "justification_en": self.justification_en,
        }


def link_verdicts(
    database: Database,
    settings: Settings | LinkSettings,
    now: dt.datetime,
    unit_code: str | None = None,
    only: Sequence[int] | None = None,
) -> list[LinkVerdict]:
    """Every link's verdict over the window ending at `now`, from its stored samples.

    Over all hours the database computes each window's statistics (no sample is loaded); when only
    business hours are judged, which needs each sample's local time, the samples are loaded and
    the same statistics computed here.  `only`: just these links (a worker's share).
    """
    links_settings = settings.links if isinstance(settings, Settings) else settings
    since = now - dt.timedelta(days=links_settings.window_days)
    with database.session(commit=False) as session:
        repo.require_unit(session, unit_code)
        links = repo.list_links(session, unit_code)
        if only is not None:
            chosen = set(only)
            links = [link for link in links if link.id in chosen]
        ids = [link.id for link in links]
        if links_settings.business_hours is None:
            stats = repo.link_window_stats(session, ids, since, now, links_settings.percentile)
        else:
            history = repo.link_history(session, ids, since)
            stats = {
                i: window_stats(intervals, pings, now, links_settings) for i, (intervals, pings) in history.items()
            }
    verdicts = []
    for link in links:
        judgement = judge_window(link.capacity_down_mbps, link.capacity_up_mbps, stats[link.id], now, links_settings)
        label = f"{link.unit_code} / {link.name}"
        verdicts.append(
            LinkVerdict(
                link.id,
                link.unit_code,
                link.name,
                judgement,
                justify(label, judgement, "vi"),
                justify(label, judgement, "en"),
            )
        )
    return verdicts


PARALLEL_LINKS = 500  # from this many links the judgement runs in worker processes
JUDGE_WORKERS = 2  # at most; no more than the machine's cores


@contextmanager
def judging(
    database: Database, settings: Settings, now: dt.datetime, unit_code: str | None = None
) -> Iterator[Callable[[], list[LinkVerdict]]]:
    """The links' verdicts, judged beside whatever the caller does meanwhile; yields the function
    that waits for them.

    With many links the judgement runs in worker processes, each on its own connection with a
    share of the links (a range of ids, which SQLite reads without its index): on SQLite they
    rank a week of samples on the other cores, on PostgreSQL the server ranks them, while this
    process applies the device rules and reads the register.  With few links (a province) it
    runs here, when first asked for: a process would cost more than it saves.
    """
    with database.session(commit=False) as session:
        repo.require_unit(session, unit_code)
        order = [link.id for link in repo.list_links(session, unit_code)]
    url = database.engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    count = max(1, min(JUDGE_WORKERS, os.cpu_count() or 1))
    if len(order) < PARALLEL_LINKS or in_memory:
        done: list[list[LinkVerdict]] = []

        def here() -> list[LinkVerdict]:
            if not done:
                done.append(link_verdicts(database, settings, now, unit_code))
            return done[0]

        yield here
        return
    ids = sorted(order)
    shares = [ids[i * len(ids) // count : (i + 1) * len(ids) // count] for i in range(count)]
    context = multiprocessing.get_context("spawn")  # not fork: this process holds an engine
    workers = []
    for share in shares:
        receive, send = context.Pipe(duplex=False)
        # The URL (with any password) reaches the worker through the pipe, never its argv.
        worker = context.Process(
            target=_judge_apart,
            args=(send, url.render_as_string(hide_password=False), settings.links, now, share),
            name="auditor-judgement",
            daemon=True,
        )
        worker.start()
        send.close()
        workers.append((worker, receive))
    answer: list[list[LinkVerdict]] = []

    def wait() -> list[LinkVerdict]:
        if not answer:
            found: dict[int, LinkVerdict] = {}
            for worker, receive in workers:
                try:
                    verdicts, error = receive.recv()
                except EOFError:
                    worker.join()
                    raise AuditorError(
                        f"a link judgement worker process ended without an answer (exit code {worker.exitcode}); "
                        "the audit stopped before writing its findings: run it again"
                    ) from None
                if error is not None:
                    raise error
                found.update((v.link_id, v) for v in verdicts)
            answer.append([found[i] for i in order if i in found])  # links added since: judged next time
        return answer[0]

    try:
        yield wait
    finally:
        for worker, receive in workers:
            if not answer and worker.is_alive():  # the caller failed first: the verdicts are not wanted
                worker.terminate()
            worker.join()
            receive.close()


def _judge_apart(
    send: Any, url: str, settings: LinkSettings, now: dt.datetime, share: Sequence[int]
) -> None:  # pragma: no cover - runs in a worker process; tests check its answers
    """A worker process of `judging`: the verdicts of its share of the links, or its error, down the pipe."""
    try:
        database = open_database(url)
        try:
            send.send((link_verdicts(database, settings, now, only=share), None))
        finally:
            database.engine.dispose()
    except Exception as error:  # handed to the parent, which raises it
        try:
            send.send((None, error))
        except Exception:  # an error that cannot be pickled goes as its message
            send.send((None, AuditorError(f"link judgement: {type(error).__name__}: {error}")))
    finally:
        send.close()


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


def assess_devices(database: Database, settings: Settings, now: dt.datetime) -> DeviceAssessment:
    """Start the audit's run and apply the device rules (nothing is written but the run)."""
    with database.session() as session:  # committed at once: a crashed audit still leaves its run
        run_id = repo.start_run(session, RunKind.AUDIT)
    with database.session(commit=False) as session:
        states = repo.device_states(session, now, settings.age, settings.rules.unreachable_polls)
        unit_ids = {unit.code: unit.id for unit in repo.list_units(session)}
    found = [fact for state in states for fact in device_findings(state, now, settings.rules)]
    return DeviceAssessment(run_id, len(states), found, unit_ids)


def await_verdicts(
    database: Database, assessed: DeviceAssessment, judged: Callable[[], Sequence[LinkVerdict]]
) -> Sequence[LinkVerdict]:
    """The links' verdicts (`judged` waits for `judging`'s); if they cannot be had, the audit's run
    ends `failed` with the reason (no finding is written) before the error goes on to the user."""
    try:
        return judged()
    except Exception as error:
        with database.session() as session:
            repo.finish_run(session, assessed.run_id, RunOutcome.FAILED, {"devices": assessed.devices}, str(error))
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
        counts = repo.apply_findings(session, found, now)
        report.new, report.still_open, report.resolved = counts["new"], counts["still_open"], counts["resolved"]
        repo.finish_run(
            session,
            assessed.run_id,
            RunOutcome.OK,
            {"devices": report.devices, "links": report.links, **counts, **report.open_by_kind},
        )
    return report


@dataclass(frozen=True)
class ProcurementData:
    """Everything the procurement workbook shows: the plan and the details that back every line."""

    plan: Plan
    units: tuple[PlanUnit, ...]
    verdicts: tuple[LinkVerdict, ...]
    ages: tuple[DeviceAgeRow, ...]  # every device judged, with its age evidence
    generated_at: dt.datetime


@dataclass(frozen=True)
class DeviceAgeRow:
    unit_code: str | None
    unit_name: str | None
    label: str
    category: str | None
    model: str | None
    serial: str | None
    year: int | None
    age_years: float | None
    source: str | None
    basis: str | None
    over_age: bool | None  # None: unknown


@dataclass(frozen=True)
class Register:
    """What the plan needs of the register, read once: the units with their devices, and every
    device's age evidence."""

    units: tuple[PlanUnit, ...]
    ages: tuple[DeviceAgeRow, ...]


def read_register(database: Database, settings: Settings, now: dt.datetime, unit_code: str | None = None) -> Register:
    """Every unit (or one) and its devices, as the plan and the workbook's detail sheets need them."""
    today = now.date()
    with database.session(commit=False) as session:
        repo.require_unit(session, unit_code)
        unit_rows = [u for u in repo.list_units(session) if not unit_code or u.code.lower() == unit_code.lower()]
        devices = repo.list_devices(session, today, unit_code)
        links = repo.list_links(session, unit_code)
    terminals = {link.unit_code for link in links if link.device}
    by_unit: dict[str, list[PlanDevice]] = {}
    ages: list[DeviceAgeRow] = []
    names = {u.code: u.name for u in unit_rows}
    for d in devices:
        category = Category(d.category) if d.category else None
        age = (
            Age(
                d.age_years,
                d.age_source or "",
                basis=d.age_basis or "",
                lower_bound=d.age_source == "os_lower_bound",
                estimate=d.age_source == "model_catalog",
            )
            if d.age_years is not None
            else None
        )
        verdict = over_age(age, settings.age.threshold(category))
        label = d.asset_tag or d.hostname or d.ip or d.serial or f"#{d.id}"
        ages.append(
            DeviceAgeRow(
                d.unit_code,
                names.get(d.unit_code or ""),
                label,
                d.category,
                d.model,
                d.serial,
                int(d.in_service_on[:4]) if d.in_service_on else None,
                d.age_years,
                d.age_source,
                d.age_basis,
                verdict,
            )
        )
        if d.unit_code is None or d.status != "active":
            continue
        by_unit.setdefault(d.unit_code, []).append(
            PlanDevice(
                d.id,
                category,
                label,
                working=d.condition != "broken",
                over_age=verdict is True,
                age_years=d.age_years,
                age_basis=basis_vi(d.age_basis or ""),
            )
        )
    units = tuple(
        PlanUnit(
            u.id,
            u.code,
            u.name,
            u.kind,
            u.staff_count,
            tuple(by_unit.get(u.code, [])),
            link_terminal=u.code in terminals,
        )
        for u in unit_rows
    )
    return Register(units, tuple(ages))


def procurement_data(
    database: Database,
    settings: Settings,
    now: dt.datetime,
    unit_code: str | None = None,
    replace_broken: bool = False,
    verdicts: Sequence[LinkVerdict] | None = None,
    register: Register | None = None,
) -> ProcurementData:
    """The plan for every unit (or one), from the register, the ages and the link verdicts (each
    read or judged now, unless the audit that just ran hands over its own)."""
    if register is None:
        register = read_register(database, settings, now, unit_code)
    if verdicts is None:
        verdicts = link_verdicts(database, settings, now, unit_code)
    plan_links = [
        PlanLink(
            v.unit_code,
            v.name,
            v.judgement.verdict.value,
            max(v.judgement.capacity_down_mbps, v.judgement.capacity_up_mbps),
            v.judgement.recommended_mbps,
            v.justification_vi,
        )
        for v in verdicts
        if v.judgement.verdict in (Verdict.CONGESTED, Verdict.WARNING)
    ]
    return ProcurementData(
        plan(register.units, plan_links, settings.catalog, replace_broken),
        register.units,
        tuple(verdicts),
        register.ages,
        now,
    )


def settings_rows(settings: Settings, data: ProcurementData) -> list[tuple[str, str]]:
    """What the audit used, for the workbook's settings sheet: the document must be traceable."""
    rows = [
        ("Lập lúc / generated at", data.generated_at.isoformat(timespec="seconds")),
        ("Tỉnh / province", settings.province),
        ("Ngưỡng tuổi / age threshold (years)", f"{settings.age.threshold_years:g}"),
        *((f"Ngưỡng tuổi: {c.value}", f"{v:g}") for c, v in settings.age.per_category.items()),
        ("Đường truyền: cửa sổ / window (days)", f"{settings.links.window_days:g}"),
        ("Đường truyền: phân vị / percentile", f"{settings.links.percentile:g}"),
        ("Đường truyền: quá tải / congested above (%)", f"{settings.links.congested_pct:g}"),
        ("Đường truyền: cảnh báo / warning from (%)", f"{settings.links.warning_pct:g}"),
        ("Đường truyền: mục tiêu sau nâng cấp / target (%)", f"{settings.links.target_pct:g}"),
        ("Đường truyền: các mức băng thông / tiers (Mbps)", ", ".join(f"{t:g}" for t in settings.links.tiers_mbps)),
    ]
    rows += [(f"Đơn giá / price: {c.value}", f"{p.vnd:,} VND — {p.source}") for c, p in settings.catalog.prices.items()]
    rows += [
        (f"Định mức / norm: {name}", f"1 / {n.staff_per_item} — {n.source}")
        for name, n in settings.catalog.norms.items()
    ]
    rows += [
        (f"Trang bị tối thiểu / minimum kit: {name}", k.source) for name, k in settings.catalog.minimum_kit.items()
    ]
    rows += [("Ghi chú / note", note) for note in data.plan.notes]
    return rows


PLAN_KEYS = [
    "priority",
    "unit_code",
    "unit_name",
    "kind",
    "category",
    "item",
    "spec",
    "unit_of_measure",
    "quantity",
    "unit_price_vnd",
    "amount_vnd",
    "reason",
    "note",
    "device_ids",
]


def export_procurement(
    database: Database,
    settings: Settings,
    path: Path,
    now: dt.datetime,
    *,
    fmt: str = "xlsx",
    lang: str = "vi",
    unit_code: str | None = None,
    replace_broken: bool = False,
    verdicts: Sequence[LinkVerdict] | None = None,
    register: Register | None = None,
) -> ProcurementData:
    """Write the investment list to `path`: the workbook to sign (xlsx), or its lines (csv, json)."""
    data = procurement_data(database, settings, now, unit_code, replace_broken, verdicts, register)
    if fmt == "xlsx":
        write_workbook(path, data, settings_rows(settings, data), settings.province, lang)
        return data
    lines = [
        {key: getattr(line, key) for key in PLAN_KEYS} | {"kind": line.kind.value, "device_ids": list(line.device_ids)}
        for line in data.plan.lines
    ]
    with atomic_output(path) as temporary:
        if fmt == "csv":
            rows = [row | {"device_ids": " ".join(map(str, row["device_ids"]))} for row in lines]
            temporary.write_text(render_csv(rows, PLAN_KEYS) + "\n", encoding="utf-8-sig")
        else:
            temporary.write_text(
                json.dumps(
                    {
                        "generated_at": data.generated_at.isoformat(),
                        "province": settings.province,
                        "total_vnd": data.plan.total_vnd(),
                        "lines": lines,
                        "notes": list(data.plan.notes),
                    },
                    ensure_ascii=False,
                    indent=2,
                ),
                encoding="utf-8",
            )
    return data


@dataclass(frozen=True)
class PruneReport:
    samples_rolled_up: int = 0
    hours_added: int = 0
    polls_deleted: int = 0

    def line(self) -> str:
        return (
            f"{self.samples_rolled_up} link samples rolled up into {self.hours_added} hourly rows, "
            f"{self.polls_deleted} device polls deleted"
        )


ROLLUP_LINKS = 200


def prune(database: Database, settings: Settings, now: dt.datetime) -> PruneReport:
    """Apply the retention settings: old link samples become hourly rows (200 links × a day per
    transaction, so a killed run loses nothing and the next one goes on); old polls are deleted."""
    keep = settings.retention
    rolled = added = deleted = 0
    if keep.link_samples_raw_days:
        cutoff = (now - dt.timedelta(days=keep.link_samples_raw_days)).replace(minute=0, second=0, microsecond=0)
        with database.session(commit=False) as session:
            every = repo.link_ids(session)
        for start in range(0, len(every), ROLLUP_LINKS):  # bounded memory: 200 links × a day at a time
            links = every[start : start + ROLLUP_LINKS]
            with database.session(commit=False) as session:
                oldest = repo.oldest_raw_sample(session, links)
            day = oldest.replace(hour=0, minute=0, second=0, microsecond=0) if oldest else cutoff
            while day < cutoff:
                end = min(day + dt.timedelta(days=1), cutoff)
                with database.session() as session:
                    removed, hours = repo.roll_up_link_samples(session, links, day, end)
                rolled, added, day = rolled + removed, added + hours, end
    if keep.device_polls_days:
        with database.session() as session:
            deleted = repo.prune_device_polls(session, now - dt.timedelta(days=keep.device_polls_days))
    report = PruneReport(rolled, added, deleted)
    log.info("retention: %s", report.line())
    return report


def nightly(
    database: Database,
    settings: Settings,
    *,
    poll_first: bool,
    options: PollOptions,
    scans_dir: Path,
    export_dir: Path | None,
) -> tuple[AuditReport, Path | None, PruneReport]:
    """The nightly job: poll the devices, apply every rule, optionally write the day's workbook, and
    apply the retention settings."""
    if poll_first:
        polled = poll(database, settings, options=options, scans_dir=scans_dir)
        log.info("audit: polled %d devices (run %d)", polled.targets, polled.run_id)
    now = dt.datetime.now(dt.UTC)
    with judging(database, settings, now) as judged:
        # While the links are judged (in worker processes when there are many): the register for
        # the workbook, and the device rules.
        register = read_register(database, settings, now) if export_dir is not None else None
        assessed = assess_devices(database, settings, now)
        verdicts = await_verdicts(database, assessed, judged)
    with ThreadPoolExecutor(1, "auditor-findings") as writer:
        # The findings are written and the retention applied (database work, on PostgreSQL the
        # server's) while this thread writes the workbook, which needs neither.  A failed
        # workbook leaves the findings written.
        recorded = writer.submit(_record_and_prune, database, settings, assessed, verdicts, now)
        workbook = (
            _export_day(database, settings, verdicts, export_dir, now, register)
            if export_dir is not None and register is not None
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
    register: Register,
) -> Path:
    day = now.astimezone(zoneinfo.ZoneInfo(settings.links.timezone)).date().isoformat()
    workbook = export_dir / day / "danh-muc-de-xuat.xlsx"
    data = export_procurement(database, settings, workbook, now, verdicts=verdicts, register=register)
    log.info("audit: wrote %s (%d lines, %s VND)", workbook, len(data.plan.lines), f"{data.plan.total_vnd():,}")
    return workbook
