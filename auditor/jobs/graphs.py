"""`auditor links graph`, and the graphs the workbook and the inventory records carry: each link's
samples over a window with its judgement over the same window (the percentiles drawn are the
verdict's own), drawn by auditor/graphs.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from auditor import graphs
from auditor.db import register, samples
from auditor.db.engine import Database
from auditor.domain import Verdict
from auditor.errors import AuditorError
from auditor.facts import LinkView
from auditor.files import atomic_output
from auditor.i18n import texts
from auditor.jobs.judge import link_verdicts
from auditor.links.graph import LinkGraph
from auditor.procurement.summary import PLAN_GRAPH_IN
from auditor.settings import Settings
from auditor.traffic import LinkVerdict

SHOWN = (Verdict.CONGESTED, Verdict.WARNING)  # the links whose graph backs a line of the plan


def find_link(links: Sequence[LinkView], ref: str) -> LinkView:
    """A link by its id (`links list`) or as UNIT/NAME (the name's case and spacing aside)."""
    if ref.strip().isdigit():
        found = [link for link in links if link.id == int(ref)]
    else:
        unit, _, name = ref.partition("/")
        found = [
            link
            for link in links
            if link.unit_code.casefold() == unit.strip().casefold()
            and (not name.strip() or " ".join(link.name.split()).casefold() == " ".join(name.split()).casefold())
        ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise AuditorError(f"no link {ref!r}: give its id or UNIT/NAME as `auditor links list` shows them")
    names = ", ".join(f"{link.id} ({link.unit_code}/{link.name})" for link in found)
    raise AuditorError(f"{ref!r} names {len(found)} links: {names}; give one id")


def link_graphs(
    database: Database,
    settings: Settings,
    now: dt.datetime,
    days: float | None = None,
    only: Sequence[int] | None = None,
    verdicts: Sequence[LinkVerdict] | None = None,
) -> list[LinkGraph]:
    """The graphs of every link (or `only` these) over the `days` ending at `now` (the judged
    window by default), each with its judgement over that window (`verdicts`, when the caller
    judged the same window already)."""
    window = settings.links if days is None else dataclasses.replace(settings.links, window_days=days)
    since = now - dt.timedelta(days=window.window_days)
    with database.session(commit=False) as session:
        links = register.list_links(session)
        if only is not None:
            chosen = set(only)
            links = [link for link in links if link.id in chosen]
        ids = [link.id for link in links]
        drawn = samples.graph_intervals(session, ids, since, now)
    judged = {
        v.link_id: v for v in (verdicts if verdicts is not None else link_verdicts(database, window, now, only=ids))
    }
    return [
        LinkGraph(
            link.id,
            link.unit_code,
            link.name,
            since,
            now,
            tuple(drawn[link.id]),
            link.capacity_down_mbps,
            link.capacity_up_mbps,
            window.percentile,
            window.congested_pct,
            judged[link.id].judgement,
        )
        for link in links
        if link.id in judged
    ]


def pictures(
    graphs_of: Sequence[LinkGraph], settings: Settings, lang: str, size: tuple[float, float]
) -> dict[int, bytes]:
    """Each graph as PNG bytes, by link id (for the documents)."""
    tr = texts(lang)
    return {
        g.link_id: graphs.link_graph(g, settings.links.interval_s, settings.timezone, tr, "png", size, dpi=120)
        for g in graphs_of
    }


MAX_PLAN_GRAPHS = 100  # a province has fewer links to upgrade; a country's workbook draws the worst 100


def _severity(v: LinkVerdict) -> tuple[bool, float]:
    j = v.judgement
    return (j.verdict is not Verdict.CONGESTED, -max(j.util_in_pct or 0, j.util_out_pct or 0))


def plan_graphs(
    database: Database, settings: Settings, now: dt.datetime, verdicts: Sequence[LinkVerdict], lang: str
) -> tuple[dict[int, bytes], int]:
    """The graphs (PNG) of the links the plan upgrades, over the window they were judged on: the
    worst `MAX_PLAN_GRAPHS` of them (congested first, then by their percentile); and how many more
    there are."""
    wanted = sorted(
        (v for v in verdicts if v.judgement.verdict in SHOWN or v.judgement.recommended_mbps), key=_severity
    )
    chosen = [v.link_id for v in wanted[:MAX_PLAN_GRAPHS]]
    if not chosen:
        return {}, len(wanted)
    drawn = link_graphs(database, settings, now, only=chosen, verdicts=verdicts)
    return pictures(drawn, settings, lang, PLAN_GRAPH_IN), len(wanted) - len(chosen)


def graph_file(
    database: Database,
    settings: Settings,
    now: dt.datetime,
    path: Path,
    *,
    ref: str | None,
    days: float | None = None,
    lang: str = "vi",
) -> list[LinkGraph]:
    """Draw one link's graph (`ref`), or every link on one page (`ref` None), to `path` (.png or
    .svg), whole or not at all; the graphs drawn."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in graphs.FORMATS:
        raise AuditorError(f"{path}: a graph is written as .png or .svg")
    with database.session(commit=False) as session:
        links = register.list_links(session)
    if ref is not None:
        chosen = [find_link(links, ref).id]
    elif not links:
        raise AuditorError("no link in the register: import the links sheet first (auditor register import)")
    else:
        chosen = [link.id for link in links]
    drawn = link_graphs(database, settings, now, days, chosen)
    tr = texts(lang)
    cadence = settings.links.interval_s
    if ref is not None:
        picture = graphs.link_graph(drawn[0], cadence, settings.timezone, tr, fmt)
    else:
        title = tr("Every link of {province}, busiest first", province=settings.province)
        picture = graphs.province_graphs(drawn, cadence, settings.timezone, tr, title, fmt)
    with atomic_output(path) as temporary:
        temporary.write_bytes(picture)
    return drawn
