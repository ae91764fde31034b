"""`auditor links graph`, and the graphs the workbook and the inventory records carry: each link's
samples over a window with its judgement over the same window (the percentiles drawn are the
verdict's own), drawn by auditor/graphs.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor import graphs
from auditor.db import register, samples
from auditor.db.engine import Database, open_database
from auditor.domain import Verdict
from auditor.errors import AuditorError
from auditor.facts import LinkView
from auditor.files import atomic_output
from auditor.i18n import texts
from auditor.jobs.fanout import Workers, send_answer
from auditor.jobs.judge import link_verdicts
from auditor.links.graph import LinkGraph
from auditor.procurement.summary import PLAN_GRAPH_IN
from auditor.settings import LinkSettings, Settings
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
    return _graphs_of(database, window, now, only, verdicts)


def _graphs_of(
    database: Database,
    window: LinkSettings,
    now: dt.datetime,
    only: Sequence[int] | None,
    verdicts: Sequence[LinkVerdict] | None,
) -> list[LinkGraph]:
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
    return _pngs(graphs_of, settings.links.interval_s, settings.timezone, lang, size)


def _pngs(
    graphs_of: Sequence[LinkGraph], cadence_s: float, timezone: str, lang: str, size: tuple[float, float]
) -> dict[int, bytes]:
    tr = texts(lang)
    return {g.link_id: graphs.link_graph(g, cadence_s, timezone, tr, "png", size, dpi=120) for g in graphs_of}


MAX_PLAN_GRAPHS = 100  # a province has fewer links to upgrade; a country's workbook draws the worst 100


def _severity(v: LinkVerdict) -> tuple[bool, float]:
    j = v.judgement
    return (j.verdict is not Verdict.CONGESTED, -max(j.util_in_pct or 0, j.util_out_pct or 0))


# From this many graphs (~0.15 s each), the plan's are drawn by a worker process while this one
# writes the workbook's other sheets: a country's 100 take ~20 s of the audit's second core.
APART_FROM = 20


def plan_graphs(
    database: Database, settings: Settings, now: dt.datetime, verdicts: Sequence[LinkVerdict], lang: str
) -> tuple[Mapping[int, bytes], int]:
    """The graphs (PNG) of the links the plan upgrades, over the window they were judged on: the
    worst `MAX_PLAN_GRAPHS` of them (congested first, then by their percentile); and how many more
    there are.  Many are drawn apart (`Drawing`): close it when done."""
    wanted = sorted(
        (v for v in verdicts if v.judgement.verdict in SHOWN or v.judgement.recommended_mbps), key=_severity
    )
    chosen = [v.link_id for v in wanted[:MAX_PLAN_GRAPHS]]
    if not chosen:
        return {}, len(wanted)
    left_out = len(wanted) - len(chosen)
    if len(chosen) >= APART_FROM:
        ids = set(chosen)
        share = (
            database.engine.url.render_as_string(hide_password=False),  # through the pipe, never argv
            settings.links,
            settings.timezone,
            now,
            chosen,
            [v for v in verdicts if v.link_id in ids],
            lang,
        )
        return Drawing(Workers(_draw_apart, [share], "auditor-graphs")), left_out
    drawn = link_graphs(database, settings, now, only=chosen, verdicts=verdicts)
    return pictures(drawn, settings, lang, PLAN_GRAPH_IN), left_out


class Drawing(Mapping[int, bytes]):
    """The plan's graphs being drawn in a worker process: the first look at them waits for it
    (the workbook looks on its links sheet, after the larger sheets before it)."""

    def __init__(self, workers: Workers) -> None:
        self._workers = workers
        self._drawn: dict[int, bytes] | None = None

    def _all(self) -> dict[int, bytes]:
        if self._drawn is None:
            try:
                [self._drawn] = self._workers.answers("graph", "the workbook was not written: run the export again")
            finally:
                self._workers.close()
        return self._drawn

    def __getitem__(self, link_id: int) -> bytes:
        return self._all()[link_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def close(self) -> None:
        """Stop the worker if nobody waited for its graphs (the workbook failed before)."""
        self._workers.close()


def _draw_apart(
    send: Any,
    url: str,
    window: LinkSettings,
    timezone: str,
    now: dt.datetime,
    chosen: Sequence[int],
    verdicts: Sequence[LinkVerdict],
    lang: str,
) -> None:  # pragma: no cover - runs in a worker process; tests check its graphs
    def draw() -> dict[int, bytes]:
        with open_database(url) as database:
            drawn = _graphs_of(database, window, now, chosen, verdicts)
        return _pngs(drawn, window.interval_s, timezone, lang, PLAN_GRAPH_IN)

    send_answer(send, draw, "graph drawing")


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
