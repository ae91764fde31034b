"""The link graphs, drawn (matplotlib, its object API: no pyplot, no global figure, safe in threads):
one link's traffic in and out against local time with its capacity, the congestion line and
each direction's percentile, gaps left empty and unknown intervals shaded; and every link of
the province on one page, busiest first.  PNG or SVG bytes; the only module that imports
matplotlib.

The SVG keeps its text as text and names what a reader (or a test) looks for: `traffic-in`,
`traffic-out`, `capacity-in`, `threshold-in`, `p-in`, `p-out` (and `-out` twins when the two
capacities differ), `gap-N`, `unknown-N`, `axes`.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zoneinfo
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from auditor.domain import Verdict
from auditor.i18n import Texts, number
from auditor.links.graph import LinkGraph, gaps, steps, top, unknown_spans
from auditor.procurement.texts import VERDICT

FORMATS = ("png", "svg")
IN_COLOUR, OUT_COLOUR = "#2e8b3a", "#1f4fa8"  # MRTG's green area in, blue line out
CAPACITY_COLOUR, THRESHOLD_COLOUR = "#c0392b", "#e67e22"
VERDICT_COLOUR = {
    Verdict.CONGESTED: "#c0392b",
    Verdict.WARNING: "#e67e22",
    Verdict.OK: "#2e8b3a",
    Verdict.INSUFFICIENT_DATA: "#7f8c8d",
}
STYLE: Any = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib, every Vietnamese letter in it
    "font.size": 9,
    "svg.fonttype": "none",
    "svg.hashsalt": "auditor",  # the same graph, the same file
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _time_axis(ax: Axes, start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo, compact: bool) -> None:
    """Days for a week or more, hours with their day for a few days, hours for a day."""
    ax.set_xlim(start, end)  # type: ignore[arg-type]
    days = (end - start).total_seconds() / 86400
    if days > 4:
        every = max(1, math.ceil(days / (5 if compact else 10)))
        ax.xaxis.set_major_locator(mdates.DayLocator(tz=zone, interval=every))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m", tz=zone))
    elif days > 1.5:
        step = 12 if compact or days > 2.5 else 6
        ax.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, step), tz=zone))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M %d/%m", tz=zone))
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=zone, maxticks=5 if compact else 8))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
    if compact:
        ax.tick_params(labelsize=5, length=2, pad=1)


def _line(ax: Axes, value: float, colour: str, style: str, gid: str, label: str | None, width: float = 1.0) -> None:
    drawn = ax.axhline(value, color=colour, linestyle=style, linewidth=width, label=label)
    drawn.set_gid(gid)


def _spans(ax: Axes, graph: LinkGraph, cadence_s: float, tr: Texts, labelled: bool) -> None:
    for n, span in enumerate(gaps(graph.intervals, graph.start, graph.end, cadence_s)):
        patch = ax.axvspan(
            span.start,  # type: ignore[arg-type]
            span.end,  # type: ignore[arg-type]
            facecolor="none",
            edgecolor="#bbbbbb",
            hatch="///",
            linewidth=0,
            label=tr("no samples") if labelled and n == 0 else None,
        )
        patch.set_gid(f"gap-{n}")
    for n, span in enumerate(unknown_spans(graph.intervals)):
        patch = ax.axvspan(
            span.start,  # type: ignore[arg-type]
            span.end,  # type: ignore[arg-type]
            color="#f1c40f",
            alpha=0.35,
            linewidth=0,
            label=tr("rate unknown") if labelled and n == 0 else None,
        )
        patch.set_gid(f"unknown-{n}")


def _traffic(ax: Axes, graph: LinkGraph, tr: Texts, labelled: bool, width: float) -> None:
    xs, ys = steps(graph.intervals, inbound=True)
    area = ax.fill_between(
        xs,  # type: ignore[arg-type]
        ys,
        step="post",
        color=IN_COLOUR,
        alpha=0.45,
        linewidth=0,
        label=tr("in (download)") if labelled else None,
    )
    area.set_gid("traffic-in-area")
    (inbound,) = ax.plot(xs, ys, drawstyle="steps-post", color=IN_COLOUR, linewidth=width * 0.6)  # type: ignore[arg-type]
    inbound.set_gid("traffic-in")
    xs, ys = steps(graph.intervals, inbound=False)
    (outbound,) = ax.plot(
        xs,  # type: ignore[arg-type]
        ys,
        drawstyle="steps-post",
        color=OUT_COLOUR,
        linewidth=width,
        label=tr("out (upload)") if labelled else None,
    )
    outbound.set_gid("traffic-out")


def _levels(ax: Axes, graph: LinkGraph, tr: Texts, labelled: bool) -> None:
    """The capacity, the congestion line and the percentiles: the first two drawn once per
    direction whose capacity differs."""
    same = graph.capacity_down_mbps == graph.capacity_up_mbps
    pct, nth = f"{graph.congested_pct:g}", f"{graph.percentile:g}"
    for direction, capacity in (("in", graph.capacity_down_mbps), ("out", graph.capacity_up_mbps)):
        if direction == "out" and same:
            break
        mbps = number(capacity, tr)
        if same:
            contract, share = tr("contracted {mbps} Mbps", mbps=mbps), tr("{pct}% of the contract", pct=pct)
        else:
            way = tr("down") if direction == "in" else tr("up")
            contract = tr("contracted {mbps} Mbps {direction}", mbps=mbps, direction=way)
            share = tr("{pct}% of the contract {direction}", pct=pct, direction=way)
        _line(ax, capacity, CAPACITY_COLOUR, "-", f"capacity-{direction}", contract if labelled else None, 1.4)
        threshold = capacity * graph.congested_pct / 100
        _line(ax, threshold, THRESHOLD_COLOUR, "--", f"threshold-{direction}", share if labelled else None)
    for direction, value, colour in (("in", graph.p_in_mbps, IN_COLOUR), ("out", graph.p_out_mbps, OUT_COLOUR)):
        if value is None:
            continue
        way = tr("in") if direction == "in" else tr("out")
        label = tr("{nth}th percentile {direction}: {mbps} Mbps", nth=nth, direction=way, mbps=number(value, tr))
        _line(ax, value, colour, ":", f"p-{direction}", label if labelled else None, 1.6)


def draw(
    ax: Axes, graph: LinkGraph, cadence_s: float, zone: zoneinfo.ZoneInfo, tr: Texts, compact: bool = False
) -> None:
    """One link's graph on `ax`: full size with its legend, or `compact` for the province page."""
    ax.set_gid("axes")
    _spans(ax, graph, cadence_s, tr, labelled=not compact)
    _traffic(ax, graph, tr, labelled=not compact, width=0.6 if compact else 1.0)
    _levels(ax, graph, tr, labelled=not compact)
    ax.set_ylim(0, top(graph))
    _time_axis(ax, graph.start, graph.end, zone, compact)
    verdict = tr(VERDICT[graph.verdict])
    if compact:
        ax.tick_params(axis="y", labelsize=5, length=2, pad=1)
        pct = f"{graph.p_pct:.0f}"
        title = graph.unit_code if graph.p_pct < 0 else tr("{unit} · {pct} %", unit=graph.unit_code, pct=pct)
        ax.set_title(title, fontsize=6.5, pad=2, color=VERDICT_COLOUR[graph.verdict], loc="left", fontweight="bold")
        return
    ax.set_ylabel("Mbit/s")
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    ax.set_title(f"{graph.unit_code} / {graph.name}: {verdict}", loc="left", fontsize=11, fontweight="bold", pad=16)

    def local(moment: dt.datetime) -> str:
        return moment.astimezone(zone).strftime("%H:%M %d/%m/%Y")

    ax.text(
        0,
        1.015,
        tr("{start} – {end}, local time ({zone})", start=local(graph.start), end=local(graph.end), zone=zone.key),
        transform=ax.transAxes,
        fontsize=8,
        color="#555555",
        va="bottom",
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=7.5, frameon=False)


def _save(figure: Figure, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"a graph is PNG or SVG, not {fmt}")
    out = io.BytesIO()
    canvas = FigureCanvasAgg(figure) if fmt == "png" else FigureCanvasSVG(figure)
    metadata = {"Software": "auditor"} if fmt == "png" else {"Date": None, "Creator": "auditor"}
    canvas.print_figure(out, format=fmt, dpi=figure.dpi, metadata=metadata)
    return out.getvalue()


def link_graph(
    graph: LinkGraph,
    cadence_s: float,
    timezone: str,
    tr: Texts,
    fmt: str = "png",
    size: tuple[float, float] = (10, 4.2),
    dpi: int = 110,
) -> bytes:
    """One link's graph as PNG or SVG bytes."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=size, dpi=dpi)
        width, height = size  # fixed margins, in inches: a layout engine would draw it twice
        figure.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, top=1 - 0.5 / height, bottom=0.95 / height)
        draw(figure.add_subplot(), graph, cadence_s, zoneinfo.ZoneInfo(timezone), tr)
        return _save(figure, fmt)


def _key(tr: Texts, percentile: float, congested_pct: float) -> tuple[list[Any], list[str]]:
    """The province page's legend: what each line is, and what each title's colour says."""
    nth, pct = f"{percentile:g}", f"{congested_pct:g}"
    handles: list[Any] = [
        Patch(color=IN_COLOUR, alpha=0.45),
        Line2D([], [], color=OUT_COLOUR),
        Line2D([], [], color=CAPACITY_COLOUR, linewidth=1.4),
        Line2D([], [], color=THRESHOLD_COLOUR, linestyle="--"),
        Line2D([], [], color=IN_COLOUR, linestyle=":", linewidth=1.6),
    ]
    labels = [
        tr("in (download)"),
        tr("out (upload)"),
        tr("the contract"),
        tr("{pct}% of the contract", pct=pct),
        tr("{nth}th percentile", nth=nth),
    ]
    for verdict in (Verdict.CONGESTED, Verdict.WARNING, Verdict.OK, Verdict.INSUFFICIENT_DATA):
        handles.append(Patch(color=VERDICT_COLOUR[verdict]))
        labels.append(tr("title: {verdict}", verdict=tr(VERDICT[verdict])))
    return handles, labels


def province_graphs(
    graphs: Sequence[LinkGraph],
    cadence_s: float,
    timezone: str,
    tr: Texts,
    title: str,
    fmt: str = "png",
    dpi: int = 110,
) -> bytes:
    """Every link on one A4-landscape page, busiest first (by the busier direction's percentile as
    a share of its capacity, the number in each title), with one legend for them all."""
    ordered = sorted(graphs, key=lambda g: (-g.p_pct, g.unit_code, g.name))
    count = max(1, len(ordered))
    cols = max(1, math.ceil(math.sqrt(count * 1.6)))
    rows = math.ceil(count / cols)
    zone = zoneinfo.ZoneInfo(timezone)
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(11.69, 8.27), dpi=dpi, layout="constrained")
        if ordered:
            first = ordered[0]
            start, end = (moment.astimezone(zone).strftime("%H:%M %d/%m/%Y") for moment in (first.start, first.end))
            window = tr("{start} – {end}, local time ({zone})", start=start, end=end, zone=timezone)
            nth = f"{first.percentile:g}"
            how = tr(
                "Mbit/s; each title: the unit, its busier direction's {nth}th percentile as a share of the contract",
                nth=nth,
            )
            figure.suptitle(f"{title}\n{window}\n{how}", fontsize=9.5, linespacing=1.5)
        for n, graph in enumerate(ordered):
            draw(figure.add_subplot(rows, cols, n + 1), graph, cadence_s, zone, tr, compact=True)
        if ordered:
            handles, labels = _key(tr, ordered[0].percentile, ordered[0].congested_pct)
            figure.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=7, frameon=False)
        return _save(figure, fmt)
