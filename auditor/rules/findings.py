"""The audit's rules: from what is known of each device and link to findings, with their evidence.

Pure: states, verdicts, settings and `now` come in; FindingFacts go out.  The database gives
them a life (first detected, last detected, resolved when the condition clears).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from auditor.domain import FindingKind, Severity, Verdict
from auditor.endpoints import EndpointView
from auditor.facts import DeviceState, FindingFact
from auditor.rules.age import over_age
from auditor.settings import RuleSettings
from auditor.traffic import Judgement


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _seen_by(state: DeviceState) -> dict[str, str | None]:
    """When each table source (ARP, forwarding table, LLDP, NetBIOS) last saw the device."""
    return {source: _iso(at) for source, at in sorted(state.seen_by.items())}


def _finding(state: DeviceState, kind: FindingKind, severity: Severity, evidence: dict[str, Any]) -> FindingFact:
    return FindingFact(kind, severity, state.label, evidence, device_id=state.device_id, unit_id=state.unit_id)


def _age(state: DeviceState) -> Iterator[FindingFact]:
    """Over age, with the evidence; or of unknown age, with why it cannot be told; and a register
    date that cannot be right, to verify."""
    verdict = over_age(state.age, state.threshold_years)
    age = state.age
    if age is not None and age.doubt:
        evidence = {"doubt": age.doubt, "age_years": age.years, "source": age.source, "basis": age.basis}
        yield _finding(state, FindingKind.AGE_TO_VERIFY, Severity.WARNING, evidence)
    if verdict is True and age is not None:
        evidence = {
            "age_years": age.years,
            "threshold_years": state.threshold_years,
            "source": age.source,
            "basis": age.basis,
            "estimate": age.estimate,
            "lower_bound": age.lower_bound,
        }
        yield _finding(state, FindingKind.OVER_AGE, Severity.WARNING, evidence)
    elif verdict is None:
        why = (
            "no in-service date, manufacture date, known model or old operating system"
            if age is None
            else f"at least {age.years:g} years ({age.basis}): maybe over {state.threshold_years:g}"
        )
        evidence = {
            "threshold_years": state.threshold_years,
            "why": why,
            "category": state.category.value if state.category else None,
        }
        yield _finding(state, FindingKind.UNKNOWN_AGE, Severity.INFO, evidence)


def _reboots(state: DeviceState, rules: RuleSettings) -> Iterator[FindingFact]:
    if state.reboots_7d >= rules.reboots_per_week:
        evidence = {
            "reboots": state.reboots_7d,
            "days": 7,
            "threshold": rules.reboots_per_week,
            "suggestion": "often power: check the supply, and whether the unit has a UPS",
        }
        yield _finding(state, FindingKind.FREQUENT_REBOOTS, Severity.WARNING, evidence)


def _registration(state: DeviceState, now: dt.datetime, rules: RuleSettings) -> Iterator[FindingFact]:
    """Seen but never registered; or registered but not seen for `missing_days`."""
    if not state.registered:
        yield _finding(state, FindingKind.UNREGISTERED, Severity.INFO, {"first_seen": _iso(state.first_seen)})
    elif state.has_address and now - (state.last_seen or state.created_at) > dt.timedelta(days=rules.missing_days):
        evidence = {
            "last_seen": _iso(state.last_seen),
            "days": rules.missing_days,
            "registered_since": _iso(state.created_at),
            "looked_at": list(state.looked_at),
            "last_seen_by": _seen_by(state),
        }
        yield _finding(state, FindingKind.MISSING, Severity.WARNING, evidence)


def device_findings(state: DeviceState, now: dt.datetime, rules: RuleSettings) -> Iterator[FindingFact]:
    """Every finding one device earns today."""
    yield from _age(state)
    polls = state.recent_reachable[-rules.unreachable_polls :]
    if len(polls) == rules.unreachable_polls and not any(polls):
        evidence = {
            "polls_without_answer": len(polls),
            "last_seen": _iso(state.last_seen),
            "looked_at": list(state.looked_at),
            "last_seen_by": _seen_by(state),
        }
        yield _finding(state, FindingKind.UNREACHABLE, Severity.WARNING, evidence)
    yield from _reboots(state, rules)
    yield from _registration(state, now, rules)


_LINK_KINDS = {
    Verdict.CONGESTED: (FindingKind.LINK_CONGESTED, Severity.CRITICAL),
    Verdict.WARNING: (FindingKind.LINK_WARNING, Severity.WARNING),
    Verdict.INSUFFICIENT_DATA: (FindingKind.LINK_INSUFFICIENT_DATA, Severity.INFO),
}


def link_findings(
    link_id: int, unit_id: int | None, subject: str, judgement: Judgement, justification: str
) -> Iterator[FindingFact]:
    """The finding a link's verdict earns (none when it is fine)."""
    if judgement.verdict not in _LINK_KINDS:
        return
    kind, severity = _LINK_KINDS[judgement.verdict]
    j = judgement
    yield FindingFact(
        kind,
        severity,
        subject,
        {
            "p95_in_pct": j.util_in_pct,
            "p95_out_pct": j.util_out_pct,
            "p95_in_bps": j.p_in_bps,
            "p95_out_bps": j.p_out_bps,
            "capacity_down_mbps": j.capacity_down_mbps,
            "capacity_up_mbps": j.capacity_up_mbps,
            "samples": j.samples,
            "expected": j.expected,
            "coverage_pct": j.coverage_pct,
            "days": j.days,
            "loss_pct": j.loss_pct,
            "loss_high": j.loss_high,
            "rtt_p95_ms": j.rtt_p_ms,
            "rtt_high": j.rtt_high,
            "recommended_mbps": j.recommended_mbps,
            "justification": justification,
        },
        link_id=link_id,
        unit_id=unit_id,
    )


def is_stranger(e: EndpointView, now: dt.datetime, rules: RuleSettings) -> bool:
    """An endpoint no device of the inventory is, with a maker's MAC, seen within `missing_days`."""
    recent = now - e.last_seen <= dt.timedelta(days=rules.missing_days)
    return e.device_id is None and e.mac_kind != "local" and recent


def endpoint_findings(
    endpoints: Iterable[EndpointView], now: dt.datetime, rules: RuleSettings
) -> Iterator[FindingFact]:
    """An endpoint no device of the inventory is, seen within `missing_days`: `unregistered`, with
    its maker and where it is plugged in.  MACs that are locally administered are left out: a
    phone's or laptop's randomised address changes, and would be a new stranger every day."""
    for e in endpoints:
        if not is_stranger(e, now, rules):
            continue
        where = f"{e.seen_on} {e.port}" if e.seen_on and e.port else e.seen_on or ""
        subject = " ".join(part for part in (e.vendor or "?", e.mac, e.ip or "", where) if part)
        evidence = {
            "mac": e.mac,
            "ip": e.ip,
            "vendor": e.vendor,
            "netbios_name": e.netbios_name,
            "seen_on": e.seen_on,
            "port": e.port,
            "vlan": e.vlan,
            "sources": list(e.sources),
            "first_seen": _iso(e.first_seen),
            "last_seen": _iso(e.last_seen),
        }
        yield FindingFact(
            FindingKind.UNREGISTERED, Severity.INFO, subject, evidence, unit_id=e.unit_id, endpoint_id=e.endpoint_id
        )
