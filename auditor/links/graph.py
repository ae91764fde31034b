"""What a link's graph shows, as numbers: the traffic of each interval in and out as steps, broken
where no sample was taken and where the rate is unknown, the contracted capacity, the congestion
line and each direction's percentile (the judgement's own).  Pure: auditor/graphs.py draws it."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.domain import Verdict
from auditor.traffic import Interval, Judgement

GAP_FACTOR = 1.5  # no interval ends within 1.5 cadences of the last: the graph breaks there
GAP_REASON = "gap"  # links.rates: the readings are far further apart than the cadence


@dataclass(frozen=True)
class Span:
    """A stretch of the time axis: no sample at all (`reason` None) or a rate unknown, and why."""

    start: dt.datetime
    end: dt.datetime
    reason: str | None = None


@dataclass(frozen=True)
class LinkGraph:
    """One link over a window, ready to draw."""

    link_id: int
    unit_code: str
    name: str
    start: dt.datetime
    end: dt.datetime
    intervals: tuple[Interval, ...]  # in the window, oldest first, known or not
    capacity_down_mbps: float
    capacity_up_mbps: float
    percentile: float
    congested_pct: float
    judgement: Judgement

    @property
    def verdict(self) -> Verdict:
        return self.judgement.verdict

    @property
    def p_in_mbps(self) -> float | None:
        return None if self.judgement.p_in_bps is None else self.judgement.p_in_bps / 1e6

    @property
    def p_out_mbps(self) -> float | None:
        return None if self.judgement.p_out_bps is None else self.judgement.p_out_bps / 1e6

    @property
    def p_pct(self) -> float:
        """The busier direction's percentile, as a share of its capacity (the order of the province page)."""
        shares = [p for p in (self.judgement.util_in_pct, self.judgement.util_out_pct) if p is not None]
        return max(shares, default=-1.0)


def steps(intervals: Sequence[Interval], inbound: bool) -> tuple[list[dt.datetime], list[float]]:
    """The points of one direction's step line (each value held from its interval's start): NaN
    after an interval that the next does not follow at once, and for an unknown rate, so that
    neither a gap nor an unknown is ever bridged."""
    xs: list[dt.datetime] = []
    ys: list[float] = []
    for number, interval in enumerate(intervals):
        rate = interval.in_bps if inbound else interval.out_bps
        value = math.nan if interval.unknown is not None or rate is None else rate / 1e6
        xs.append(interval.start)
        ys.append(value)
        following = intervals[number + 1] if number + 1 < len(intervals) else None
        if following is None or (following.start - interval.end).total_seconds() > 1:
            xs += [interval.end, interval.end]
            ys += [value, math.nan]
    return xs, ys


def gaps(intervals: Sequence[Interval], start: dt.datetime, end: dt.datetime, cadence_s: float) -> list[Span]:
    """Where nothing was measured: no interval for longer than 1.5 cadences, or an interval the
    rate maths called a `gap` (the first sample after the poller or the device was away)."""
    found: list[Span] = []
    edge = start
    for interval in [*intervals, Interval(end, end)]:
        if (interval.start - edge).total_seconds() > cadence_s * GAP_FACTOR:
            found.append(Span(edge, interval.start))
        if interval.unknown == GAP_REASON:
            found.append(Span(interval.start, interval.end))
        edge = max(edge, interval.end)
    return found


def unknown_spans(intervals: Sequence[Interval]) -> list[Span]:
    """The intervals whose rate is unknown (gaps aside), neighbours with the same reason joined."""
    found: list[Span] = []
    for interval in intervals:
        if interval.unknown is None or interval.unknown == GAP_REASON:
            continue
        last = found[-1] if found else None
        if last is not None and last.reason == interval.unknown and interval.start <= last.end:
            found[-1] = Span(last.start, max(last.end, interval.end), last.reason)
        else:
            found.append(Span(interval.start, interval.end, interval.unknown))
    return found


def top(graph: LinkGraph) -> float:
    """The height of the axis: the capacity with room above, or the highest rate if it is higher."""
    highest = max(
        (r / 1e6 for i in graph.intervals if i.unknown is None for r in (i.in_bps, i.out_bps) if r is not None),
        default=0.0,
    )
    return max(graph.capacity_down_mbps, graph.capacity_up_mbps, highest) * 1.12 or 1.0
