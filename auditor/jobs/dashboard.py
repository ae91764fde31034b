"""What `auditor serve` shows, read from the database as plain views: the province at a glance (a
page of units, the worst first, each with its devices, over-age share, link verdict and a
sparkline), a unit, a link over a window, a device, a search.  Read only: nothing here writes."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from auditor.catalogs import age_catalog
from auditor.db import overview, register
from auditor.db.engine import Database
from auditor.domain import FindingKind, Verdict, fold
from auditor.endpoints import EndpointView
from auditor.errors import AuditorError
from auditor.facts import AgentView, DeviceView, FindingView, LinkView, UnitView
from auditor.jobs.devices import Dossier, dossier
from auditor.jobs.endpoints import list_endpoints
from auditor.jobs.graphs import link_graphs
from auditor.jobs.listings import aged, agents, findings_of
from auditor.links.congestion import justify
from auditor.links.graph import LinkGraph
from auditor.register.search import DeviceQuery, named_by, select_devices
from auditor.settings import Settings

PAGE_UNITS = 100  # units on a page of the province: a country's 3,400 are 34 pages, worst first
SPARK_BUCKETS = 84  # a week in 2-hour steps
SEARCH_LIMIT = 200  # characters of a search that are read; hits shown of each kind
VERDICT_OF = {
    FindingKind.LINK_CONGESTED.value: Verdict.CONGESTED,
    FindingKind.LINK_WARNING.value: Verdict.WARNING,
    FindingKind.LINK_INSUFFICIENT_DATA.value: Verdict.INSUFFICIENT_DATA,
}
RANK = {Verdict.CONGESTED: 0, Verdict.WARNING: 1, Verdict.INSUFFICIENT_DATA: 2, Verdict.OK: 3, None: 4}


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    devices: int
    registered: int
    over_age: int
    verdict: Verdict | None  # of its links, the worst open finding says; OK after an audit found none
    link_id: int | None
    spark: tuple[float | None, ...]  # the busier direction's mean share of its capacity, per bucket

    @property
    def over_age_pct(self) -> float | None:
        return None if not self.registered else 100 * self.over_age / self.registered


@dataclass(frozen=True)
class Province:
    units: list[UnitRow]
    page: int
    pages: int
    total: int
    findings: dict[str, int]
    audit: overview.AuditRun | None
    agents: list[AgentView]


@dataclass(frozen=True)
class UnitPage:
    unit: UnitView
    devices: list[DeviceView]
    endpoints: list[EndpointView]
    links: list[LinkView]
    findings: list[FindingView]


@dataclass(frozen=True)
class LinkPage:
    link: LinkView
    graph: LinkGraph
    justification: str


@dataclass(frozen=True)
class Found:
    units: list[UnitView]
    devices: list[DeviceView]
    endpoints: list[EndpointView]


def _verdict(counts: overview.UnitCounts, audited: bool) -> Verdict | None:
    found = [VERDICT_OF[k] for k in counts.findings if k in VERDICT_OF]
    if found:
        return min(found, key=lambda v: RANK[v])
    return Verdict.OK if audited and counts.links else None


def _spark(cells: dict[int, tuple[float, float]], down: float, up: float) -> tuple[float | None, ...]:
    def share(cell: tuple[float, float] | None) -> float | None:
        if cell is None:
            return None
        return max(cell[0] / (down * 1e6) if down else 0.0, cell[1] / (up * 1e6) if up else 0.0)

    return tuple(share(cells.get(b)) for b in range(SPARK_BUCKETS))


def province(database: Database, settings: Settings, now: dt.datetime, page: int = 1) -> Province:
    """One page of the province's units, the worst first: congested links, then near the limit,
    then by over-age share."""
    since = now - dt.timedelta(days=settings.links.window_days)
    with database.session(commit=False) as session:
        counts = overview.unit_counts(session)
        audit = overview.last_audit(session)
        totals = overview.findings_by_kind(session)
        audited = audit is not None
        ordered = sorted(
            counts,
            key=lambda c: (
                RANK[_verdict(c, audited)],
                -(c.findings.get("over_age", 0) / c.registered if c.registered else 0),
                c.code,
            ),
        )
        pages = max(1, math.ceil(len(ordered) / PAGE_UNITS))
        page = min(max(1, page), pages)
        shown = ordered[(page - 1) * PAGE_UNITS : page * PAGE_UNITS]
        first_links = {c.unit_id: c.links[0] for c in shown if c.links}
        bucket_s = settings.links.window_days * 86400 / SPARK_BUCKETS
        traffic = overview.traffic_buckets(session, [link[0] for link in first_links.values()], since, bucket_s)
    rows = []
    for c in shown:
        link = first_links.get(c.unit_id)
        spark = _spark(traffic.get(link[0], {}), link[2], link[3]) if link else ()
        rows.append(
            UnitRow(
                c.code,
                c.name,
                c.devices,
                c.registered,
                c.findings.get("over_age", 0),
                _verdict(c, audited),
                link[0] if link else None,
                spark,
            )
        )
    return Province(rows, page, pages, len(ordered), totals, audit, agents(database, now))


def unit_page(database: Database, settings: Settings, today: dt.date, code: str) -> UnitPage:
    with database.session(commit=False) as session:
        units = register.list_units(session, code) if register.unit_exists(session, code) else []
        if not units:
            raise LookupError(code)
        devices = [view for view, _ in aged(session, today, code, age_catalog())]
        links = register.list_links(session, code)
    return UnitPage(units[0], devices, list_endpoints(database, code), links, findings_of(database, unit_code=code))


def link_page(
    database: Database, settings: Settings, now: dt.datetime, link_id: int, days: float, lang: str
) -> LinkPage:
    with database.session(commit=False) as session:
        found = [link for link in register.list_links(session) if link.id == link_id]
    if not found:
        raise LookupError(link_id)
    [graph] = link_graphs(database, settings, now, days, [link_id])
    link = found[0]
    return LinkPage(link, graph, justify(f"{link.unit_code} / {link.name}", graph.judgement, lang))


def device_page(database: Database, today: dt.date, device_id: int) -> Dossier:
    try:
        return dossier(database, str(device_id), today)
    except AuditorError as exc:
        raise LookupError(device_id) from exc


def search(database: Database, today: dt.date, text: str) -> Found:
    """Units by code or name, devices by any part of their name, serial, tag, IP or MAC, endpoints
    by MAC, IP or NetBIOS name: case and Vietnamese diacritics aside ("hung phuc" finds Hưng Phúc)."""
    wanted = text.strip()[:SEARCH_LIMIT]
    folded, exact = fold(wanted), wanted.casefold()
    if not folded:  # nothing but punctuation ("%", "_"): nothing to look for
        return Found([], [], [])
    with database.session(commit=False) as session:
        units = [u for u in register.list_units(session) if folded in fold(f"{u.code} {u.name}")]
        views = [view for view, _ in aged(session, today, None, age_catalog())]
    devices = named_by(views, wanted) or select_devices(views, DeviceQuery(text=wanted))
    devices += [d for d in views if d not in devices and exact in f"{d.ip or ''} {d.mac or ''}".casefold()]
    endpoints = [
        e
        for e in list_endpoints(database)
        if e.device_id is None and (exact in f"{e.mac} {e.ip or ''}" or folded in fold(e.netbios_name or ""))
    ]
    return Found(units[:SEARCH_LIMIT], devices[:SEARCH_LIMIT], endpoints[:SEARCH_LIMIT])
