"""The audit: reading what the database holds, applying the pure rules (device findings, the
links' congestion verdicts), and giving findings their life.  The orchestration only."""

from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.config import Settings
from auditor.db import repo
from auditor.db.engine import Database
from auditor.domain import Category, RunKind, RunOutcome
from auditor.facts import Age
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
    database: Database, settings: Settings, now: dt.datetime, unit_code: str | None = None
) -> list[LinkVerdict]:
    """Every link's verdict over the window ending at `now`, from its stored samples.

    Over all hours the database computes each window's statistics (no sample is loaded); when only
    business hours are judged, which needs each sample's local time, the samples are loaded and
    the same statistics computed here.
    """
    since = now - dt.timedelta(days=settings.links.window_days)
    with database.session(commit=False) as session:
        repo.require_unit(session, unit_code)
        links = repo.list_links(session, unit_code)
        ids = [link.id for link in links]
        if settings.links.business_hours is None:
            stats = repo.link_window_stats(session, ids, since, now, settings.links.percentile)
        else:
            history = repo.link_history(session, ids, since)
            stats = {
                i: window_stats(intervals, pings, now, settings.links) for i, (intervals, pings) in history.items()
            }
    verdicts = []
    for link in links:
        judgement = judge_window(link.capacity_down_mbps, link.capacity_up_mbps, stats[link.id], now, settings.links)
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


def evaluate(database: Database, settings: Settings, now: dt.datetime) -> AuditReport:
    """Apply every rule to every device and link; open, refresh and resolve findings in one transaction."""
    with database.session() as session:  # committed at once: a crashed audit still leaves its run
        run_id = repo.start_run(session, RunKind.AUDIT)
    with database.session(commit=False) as session:
        states = repo.device_states(session, now, settings.age, settings.rules.unreachable_polls)
        unit_ids = {unit.code: unit.id for unit in repo.list_units(session)}
    verdicts = link_verdicts(database, settings, now)
    found = [fact for state in states for fact in device_findings(state, now, settings.rules)]
    for verdict in verdicts:
        found.extend(
            link_findings(
                verdict.link_id,
                unit_ids.get(verdict.unit_code),
                f"{verdict.unit_code} / {verdict.name}",
                verdict.judgement,
                verdict.justification_vi,
            )
        )
    report = AuditReport(run_id, devices=len(states), links=len(verdicts), verdicts=tuple(verdicts))
    for fact in found:
        report.open_by_kind[fact.kind.value] = report.open_by_kind.get(fact.kind.value, 0) + 1
    with database.session() as session:
        counts = repo.apply_findings(session, found, now)
        report.new, report.still_open, report.resolved = counts["new"], counts["still_open"], counts["resolved"]
        repo.finish_run(
            session,
            run_id,
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


def procurement_data(
    database: Database,
    settings: Settings,
    now: dt.datetime,
    unit_code: str | None = None,
    replace_broken: bool = False,
    verdicts: Sequence[LinkVerdict] | None = None,
) -> ProcurementData:
    """The plan for every unit (or one), from the register, the ages and the link verdicts (judged
    now, unless the audit that just ran hands over its own)."""
    today = now.date()
    with database.session(commit=False) as session:
        repo.require_unit(session, unit_code)
        unit_rows = [u for u in repo.list_units(session) if not unit_code or u.code.lower() == unit_code.lower()]
        devices = repo.list_devices(session, today, unit_code)
        links = repo.list_links(session, unit_code)
    if verdicts is None:
        verdicts = link_verdicts(database, settings, now, unit_code)
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
        plan(units, plan_links, settings.catalog, replace_broken), units, tuple(verdicts), tuple(ages), now
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
) -> ProcurementData:
    """Write the investment list to `path`: the workbook to sign (xlsx), or its lines (csv, json)."""
    data = procurement_data(database, settings, now, unit_code, replace_broken, verdicts)
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
    report = evaluate(database, settings, now)
    log.info(
        "audit %d: %d devices, %d links, %d new findings, %d resolved",
        report.run_id,
        report.devices,
        report.links,
        report.new,
        report.resolved,
    )
    workbook = None
    if export_dir is not None:
        workbook = _export_day(database, settings, report, export_dir, now)
    return report, workbook, prune(database, settings, now)


def _export_day(
    database: Database, settings: Settings, report: AuditReport, export_dir: Path, now: dt.datetime
) -> Path:
    day = now.astimezone(zoneinfo.ZoneInfo(settings.links.timezone)).date().isoformat()
    workbook = export_dir / day / "danh-muc-de-xuat.xlsx"
    data = export_procurement(database, settings, workbook, now, verdicts=report.verdicts)
    log.info(
        "audit %d: wrote %s (%d lines, %s VND)",
        report.run_id,
        workbook,
        len(data.plan.lines),
        f"{data.plan.total_vnd():,}",
    )
    return workbook
