"""Old 5-minute samples rolled up into hours.  Pure.

A link makes 288 samples a day; a country's 4,000 links, 1.15 million.  Past the retention of raw
samples (retention.link_samples_raw_days, longer than the judged window), each link's samples of
one clock hour become one row: the hour's mean rates weighted by time (total traffic over total
known seconds, not a mean of means), the mean loss and round trip, the worst round trip, and how
many samples it stands for.  A rolled-up row is never a 5-minute interval:
the congestion judgement, which only ever looks at the last window_days, never sees one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from auditor.traffic import HourRow, RawSample


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def hourly(samples: Iterable[RawSample]) -> list[HourRow]:
    """One row per link and clock hour of `samples`, ordered by link and hour."""
    groups: dict[tuple[int, dt.datetime], list[RawSample]] = {}
    for sample in samples:
        hour = sample.sampled_at.replace(minute=0, second=0, microsecond=0)
        groups.setdefault((sample.link_id, hour), []).append(sample)
    rows = []
    for (link_id, hour), members in sorted(groups.items()):
        members.sort(key=lambda s: s.sampled_at)
        known = [s for s in members if s.known and s.interval_s and s.in_bps is not None and s.out_bps is not None]
        seconds = sum(s.interval_s or 0.0 for s in known)
        starts = [s.started_at for s in members if s.started_at is not None]
        rows.append(
            HourRow(
                link_id=link_id,
                hour=hour,
                sampled_at=members[-1].sampled_at,
                started_at=min(starts) if starts else None,
                known_s=seconds,
                in_bps=sum((s.in_bps or 0) * (s.interval_s or 0) for s in known) / seconds if seconds else None,
                out_bps=sum((s.out_bps or 0) * (s.interval_s or 0) for s in known) / seconds if seconds else None,
                rtt_avg_ms=_mean([s.rtt_avg_ms for s in members if s.rtt_avg_ms is not None]),
                rtt_max_ms=max((s.rtt_max_ms for s in members if s.rtt_max_ms is not None), default=None),
                loss_pct=_mean([s.loss_pct for s in members if s.loss_pct is not None]),
                samples=len(members),
            )
        )
    return rows
