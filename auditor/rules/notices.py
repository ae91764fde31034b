"""The events worth an e-mail, from what the audit and the samples found: a link down (its far end
silent for N samples running) or newly congested, a unit where no device answers, an audit or an
agent that failed.  Each with its figures, in plain words.  Pure: a `Texts` comes in."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping

from auditor.domain import FindingKind
from auditor.facts import FindingView
from auditor.i18n import Texts, number
from auditor.notices import Event, LinkDown, SilentUnit

SCOPE = ("link_down:", "link_congested:", "unit_silent:")  # what an audit looks at again each time


def _when(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M %d/%m/%Y") if moment else "—"


def _figure(value: object, tr: Texts) -> str:
    """A figure of a finding's evidence (stored as JSON: a number, or nothing)."""
    return number(value if isinstance(value, int | float) else None, tr)


def link_events(
    down: Iterable[LinkDown], congested: Iterable[FindingView], tr: Texts, zone: zoneinfo.ZoneInfo
) -> Iterator[Event]:
    for d in down:
        yield Event(
            f"link_down:{d.link_id}",
            tr("Link down: {unit} / {name}", unit=d.unit_code, name=d.name),
            tr(
                "The far end of {unit} / {name} has not answered for {n} samples running, since {since} "
                "(the last at {last}). Check the line and the router, and call the provider.",
                unit=d.unit_code,
                name=d.name,
                n=d.samples,
                since=_when(d.since, zone),
                last=_when(d.last, zone),
            ),
        )
    for f in congested:
        if f.kind is not FindingKind.LINK_CONGESTED or f.link_id is None:
            continue
        e = f.evidence
        yield Event(
            f"link_congested:{f.link_id}",
            tr("Link congested: {subject}", subject=f.subject),
            tr(
                "{subject} is congested: its 95th percentile is {down}% of the contract down and {up}% up "
                "over {days} days of data ({samples} samples). Recommended: {tier} Mbps.\n\n{justification}",
                subject=f.subject,
                down=_figure(e.get("p95_in_pct"), tr),
                up=_figure(e.get("p95_out_pct"), tr),
                days=_figure(e.get("days"), tr),
                samples=e.get("samples", "—"),
                tier=_figure(e.get("recommended_mbps"), tr),
                justification=e.get("justification") or "",
            ),
        )


def unit_events(silent: Iterable[SilentUnit], tr: Texts, zone: zoneinfo.ZoneInfo) -> Iterator[Event]:
    for u in silent:
        yield Event(
            f"unit_silent:{u.unit_id}",
            tr("No device answers at {unit}", unit=u.code),
            tr(
                "None of the {n} devices of {name} ({unit}) that have an address answered the last poll, and no "
                "router or switch saw them; the last answer was at {last}. The unit's link or its power may be down.",
                n=u.devices,
                name=u.name,
                unit=u.code,
                last=_when(u.last_seen, zone),
            ),
        )


def failure_events(
    failures: Mapping[str, str], tr: Texts, now: dt.datetime, zone: zoneinfo.ZoneInfo
) -> Iterator[Event]:
    """`failures`: "audit" or "agent:NAME" → what went wrong."""
    for who, error in sorted(failures.items()):
        name = (
            tr("The audit (auditor audit)") if who == "audit" else tr("Agent {name}", name=who.removeprefix("agent:"))
        )
        yield Event(
            f"failed:{who}",
            tr("{who} failed", who=name),
            tr("{who} failed at {when}: {error}", who=name, when=_when(now, zone), error=error),
        )
