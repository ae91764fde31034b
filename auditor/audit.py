"""The audit: reading what the database holds, applying the pure rules (device findings, the
links' congestion verdicts), and giving findings their life.  The orchestration only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from auditor.config import Settings
from auditor.db import repo
from auditor.db.engine import Database
from auditor.domain import RunKind, RunOutcome
from auditor.errors import AuditorError
from auditor.facts import Interval
from auditor.links.congestion import Judgement, PingSample, judge, justify
from auditor.rules.findings import device_findings, link_findings

NOT_INTERVALS = {"first_sample", "no_counters"}  # samples that do not close an interval


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
    """Every link's verdict over the window ending at `now`, from its stored samples."""
    since = now - dt.timedelta(days=settings.links.window_days)
    with database.session(commit=False) as session:
        if unit_code and not repo.unit_exists(session, unit_code):
            raise AuditorError(f"no unit with code {unit_code!r}; `auditor units list` shows the codes")
        links = repo.list_links(session, unit_code)
        history = repo.link_history(session, [link.id for link in links], since)
        prepared = {
            link.id: (
                [
                    Interval(
                        s.sampled_at - dt.timedelta(seconds=s.interval_s or 0),
                        s.sampled_at,
                        s.in_bps,
                        s.out_bps,
                        s.unknown_reason,
                    )
                    for s in history[link.id]
                    if s.unknown_reason not in NOT_INTERVALS
                ],
                [PingSample(s.sampled_at, s.rtt_avg_ms, s.rtt_max_ms, s.loss_pct) for s in history[link.id]],
            )
            for link in links
        }
    verdicts = []
    for link in links:
        intervals, pings = prepared[link.id]
        judgement = judge(link.capacity_down_mbps, link.capacity_up_mbps, intervals, pings, now, settings.links)
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
    report = AuditReport(run_id, devices=len(states), links=len(verdicts))
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
