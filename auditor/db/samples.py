"""Link samples: the 5-minute readings of every link, the windows the judgement reads, and their
retention (raw samples replaced by hourly rows, old device polls deleted)."""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, selectinload

from auditor.db.common import chunked, exclusive, unit_is
from auditor.db.engine import SQLITE_BUSY_TIMEOUT_MS
from auditor.db.models import Device, DevicePoll, Link, LinkSample, Unit
from auditor.db.observations import poll_target
from auditor.traffic import (
    HOURLY,
    NOT_INTERVALS,
    CounterSample,
    HourRow,
    Interval,
    LinkObservation,
    LinkTarget,
    PingSample,
    RawSample,
    WindowNumbers,
    WindowStats,
)


def link_targets(
    session: Session, unit_code: str | None = None, group: str | None = None, link_ids: Sequence[int] | None = None
) -> list[LinkTarget]:
    """The links to sample (of a unit, a group, the given ids, or all), each with its router and
    the last sample that has counters."""
    statement = (
        select(Link).join(Unit, Link.unit_id == Unit.id).options(selectinload(Link.unit), selectinload(Link.device))
    )
    if unit_code is not None:
        statement = statement.where(unit_is(unit_code))
    if group is not None:
        statement = statement.where(Unit.poller_group == group)
    latest = select(func.max(LinkSample.id)).where(LinkSample.in_octets.is_not(None)).group_by(LinkSample.link_id)
    previous: dict[int, LinkSample] = {}
    if link_ids is None:
        links = list(session.scalars(statement.order_by(Link.id)))
        chosen = [latest]
    else:
        chunks = list(chunked(link_ids))
        links = [link for chunk in chunks for link in session.scalars(statement.where(Link.id.in_(chunk)))]
        links.sort(key=lambda link: link.id)
        chosen = [latest.where(LinkSample.link_id.in_(chunk)) for chunk in chunks]
    for query in chosen:
        for sample in session.scalars(select(LinkSample).where(LinkSample.id.in_(query.scalar_subquery()))):
            previous[sample.link_id] = sample
    found = []
    for link in links:
        last = previous.get(link.id)
        found.append(
            LinkTarget(
                link_id=link.id,
                name=link.name,
                unit_code=link.unit.code,
                device=poll_target(link.device, carries_link=True) if link.device and link.device.ip else None,
                interface=link.interface,
                if_index=link.if_index,
                far_end_ip=link.far_end_ip,
                capacity_down_mbps=link.capacity_down_mbps,
                capacity_up_mbps=link.capacity_up_mbps,
                previous=CounterSample(
                    at=last.sampled_at,
                    in_octets=last.in_octets,
                    out_octets=last.out_octets,
                    counter_bits=last.counter_bits,
                    if_index=last.if_index,
                    uptime_s=last.uptime_s,
                )
                if last
                else None,
            )
        )
    return found


SAMPLES_LOCK = 0x6C696E6B  # the advisory lock key of link samples ("link")


def lock_samples(session: Session) -> None:
    """Take the link samples for this session's transaction: two samplers store one after the other."""
    exclusive(session, SAMPLES_LOCK, SQLITE_BUSY_TIMEOUT_MS, SQLITE_BUSY_TIMEOUT_MS)


def latest_sampled(session: Session, link_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """When each link's last sample with counters was read (the base of its next interval)."""
    found: dict[int, dt.datetime] = {}
    for chunk in chunked(link_ids):
        latest = (
            select(func.max(LinkSample.id))
            .where(LinkSample.in_octets.is_not(None), LinkSample.link_id.in_(chunk))
            .group_by(LinkSample.link_id)
        )
        for link_id, at in session.execute(
            select(LinkSample.link_id, LinkSample.sampled_at).where(LinkSample.id.in_(latest.scalar_subquery()))
        ):
            found[link_id] = at
    return found


def store_link_samples(
    session: Session,
    samples: Sequence[tuple[LinkObservation, Interval | None]],
    run_id: int | None,
    now: dt.datetime,
    simulated: bool = False,
) -> None:
    """One LinkSample per observation: raw counters, the interval's rates (or why unknown), ICMP."""
    for observation, interval in samples:
        counters = observation.counters
        session.add(
            LinkSample(
                link_id=observation.link_id,
                run_id=run_id,
                sampled_at=counters.at if counters else now,
                if_index=counters.if_index if counters else None,
                counter_bits=counters.counter_bits if counters else None,
                in_octets=counters.in_octets if counters else None,
                out_octets=counters.out_octets if counters else None,
                uptime_s=counters.uptime_s if counters else None,
                interval_s=interval.seconds if interval and interval.unknown != "first_sample" else None,
                started_at=interval.start if interval and interval.unknown != "first_sample" else None,
                in_bps=interval.in_bps if interval else None,
                out_bps=interval.out_bps if interval else None,
                unknown_reason=(interval.unknown if interval else "no_counters"),
                rtt_avg_ms=observation.rtt_avg_ms,
                rtt_max_ms=observation.rtt_max_ms,
                loss_pct=observation.loss_pct,
                simulated=simulated,
            )
        )
        if observation.resolved_if_index is not None:
            link = session.get(Link, observation.link_id)
            if link is not None:
                link.if_index = observation.resolved_if_index
    session.flush()


def link_history(
    session: Session, link_ids: Sequence[int], since: dt.datetime
) -> dict[int, tuple[list[Interval], list[PingSample]]]:
    """The samples of these links since `since`, oldest first, by link: as the intervals they close
    (first samples, failed reads and hourly roll-ups close none) and as pings."""
    found: dict[int, tuple[list[Interval], list[PingSample]]] = {i: ([], []) for i in link_ids}
    for chunk in chunked(link_ids):
        for s in session.scalars(
            select(LinkSample)
            .where(LinkSample.link_id.in_(chunk), LinkSample.sampled_at > since)
            .order_by(LinkSample.link_id, LinkSample.sampled_at)
        ):
            intervals, pings = found[s.link_id]
            if s.unknown_reason not in NOT_INTERVALS:
                intervals.append(
                    Interval(s.started_at or s.sampled_at, s.sampled_at, s.in_bps, s.out_bps, s.unknown_reason)
                )
            pings.append(PingSample(s.sampled_at, s.rtt_avg_ms, s.rtt_max_ms, s.loss_pct))
    return found


def graph_intervals(
    session: Session, link_ids: Sequence[int], since: dt.datetime, until: dt.datetime
) -> dict[int, list[Interval]]:
    """The intervals of these links that lie wholly in [since, until], oldest first, known or not,
    read as plain columns (a graph of a week is 2,016 of them): hourly roll-ups stand for their
    hour, first samples and failed reads close none."""
    found: dict[int, list[Interval]] = {i: [] for i in link_ids}
    s = LinkSample
    for chunk in chunked(link_ids):
        rows = session.execute(
            select(s.link_id, s.started_at, s.sampled_at, s.in_bps, s.out_bps, s.unknown_reason, s.samples)
            .where(s.link_id.in_(chunk), s.sampled_at > since, s.sampled_at <= until)
            .order_by(s.link_id, s.sampled_at)
        )
        for link_id, started, sampled, in_bps, out_bps, reason, hourly in rows:
            if hourly is None and reason in NOT_INTERVALS:
                continue
            start = started or sampled
            if start >= since:
                found[link_id].append(Interval(start, sampled, in_bps, out_bps, None if hourly else reason))
    return found


SQLITE_WINDOW_LINKS = 250  # a few links: found through the (link_id, sampled_at) index, 250 at a time
SQLITE_SCAN_FROM = 1000  # many links: one pass over the table in its own order, no index hops


def _sqlite_window_queries(
    link_ids: Sequence[int], since_text: Any, now_text: Any
) -> list[tuple[str, list[Any], Sequence[int]]]:
    """(SQL, parameters, the links it reads) for the window of `link_ids`: one pass over the table for
    many links, the (link_id, sampled_at) index for a few."""
    interval = "(unknown_reason IS NULL OR unknown_reason NOT IN (?, ?, ?)) AND started_at >= ?"
    known = "unknown_reason IS NULL AND in_bps IS NOT NULL AND out_bps IS NOT NULL AND started_at >= ?"
    columns = (
        f"SELECT link_id, CASE WHEN {interval} THEN 1 ELSE 0 END, CASE WHEN {known} THEN in_bps END, "
        f"CASE WHEN {known} THEN out_bps END, loss_pct, rtt_avg_ms, rtt_max_ms FROM link_sample "
    )
    head = [*NOT_INTERVALS, since_text, since_text, since_text]
    if len(link_ids) >= SQLITE_SCAN_FROM:
        # The whole table in its own order; `+link_id` keeps SQLite off the index, whose order
        # would cost a random read per row.  A worker given a share of the links reads its range.
        return [
            (
                columns + "WHERE +link_id BETWEEN ? AND ? AND sampled_at > ? AND sampled_at <= ?",
                [*head, min(link_ids), max(link_ids), since_text, now_text],
                link_ids,
            )
        ]
    return [
        (
            columns + f"WHERE link_id IN ({', '.join('?' * len(chunk))}) AND sampled_at > ? AND sampled_at <= ?",
            [*head, *chunk, since_text, now_text],
            chunk,
        )
        for chunk in (list(c) for c in chunked(link_ids, SQLITE_WINDOW_LINKS))
    ]


def _sqlite_window_numbers(
    session: Session, link_ids: Sequence[int], since: dt.datetime, now: dt.datetime
) -> dict[int, WindowNumbers]:
    """SQLite's half of window_figures: the window filtered by the database, the numbers handed
    back to be ranked.  Through the driver's own cursor, numbers kept in arrays of doubles: a week
    of a country's samples is 8 million rows, and a row object each would cost more than ranking."""
    as_text = LinkSample.__table__.c.sampled_at.type.bind_processor(session.get_bind().dialect)
    assert as_text is not None
    queries = _sqlite_window_queries(link_ids, as_text(since), as_text(now))
    cursor: Any = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    found: dict[int, WindowNumbers] = {}
    for sql, parameters, chosen in queries:
        # Per link: intervals counted, then the numbers; a link's arrays are made up front, so the
        # loop over millions of rows does one lookup and the appends, nothing else.
        numbers = {link_id: ([0], array("d"), array("d"), array("d"), array("d"), array("d")) for link_id in chosen}
        cursor.execute(sql, parameters)
        for link_id, interval_here, in_bps, out_bps, loss, rtt, rtt_max in cursor:
            kept = numbers.get(link_id)
            if kept is None:
                continue
            if interval_here:
                kept[0][0] += 1
            if in_bps is not None:
                kept[1].append(in_bps)
                kept[2].append(out_bps)
            if loss is not None:
                kept[3].append(loss)
            if rtt is not None:
                kept[4].append(rtt)
            if rtt_max is not None:
                kept[5].append(rtt_max)
        for link_id, (counted, ins, outs, losses, rtts, maxes) in numbers.items():
            found[link_id] = WindowNumbers(counted[0], ins, outs, losses, rtts, maxes)
    cursor.close()
    return found


def window_figures(
    session: Session, link_ids: Sequence[int], since: dt.datetime, now: dt.datetime, percentile: float
) -> dict[int, WindowStats | WindowNumbers]:
    """Each link's window over (since, now], all hours, without loading its samples.

    PostgreSQL ranks in SQL (`percentile_disc`, which is the nearest-rank percentile) and gives the
    statistics; SQLite has no percentile, so it filters the window in SQL and hands back only the
    numbers, for the caller to rank (links.congestion.summarise).  Either way the statistics equal
    links.congestion.window_stats over the same samples.
    """
    if session.get_bind().dialect.name != "postgresql":
        return dict(_sqlite_window_numbers(session, link_ids, since, now)) if link_ids else {}
    empty = WindowNumbers(0, [], [], [], [], [])
    s = LinkSample
    interval = (s.unknown_reason.is_(None) | s.unknown_reason.not_in(NOT_INTERVALS)) & (s.started_at >= since)
    known = interval & s.unknown_reason.is_(None) & s.in_bps.is_not(None) & s.out_bps.is_not(None)
    frac = percentile / 100  # ceil(frac × n) in double precision, as nearest_rank computes it
    found: dict[int, WindowStats | WindowNumbers] = {}
    for chunk in chunked(link_ids):
        where = (s.link_id.in_(chunk), s.sampled_at > since, s.sampled_at <= now)
        rows = session.execute(
            select(
                s.link_id,
                func.count().filter(interval),
                func.count().filter(known),
                func.percentile_disc(frac).within_group(s.in_bps).filter(known),
                func.percentile_disc(frac).within_group(s.out_bps).filter(known),
                func.max(s.in_bps).filter(known),
                func.max(s.out_bps).filter(known),
                func.avg(s.loss_pct),
                func.percentile_disc(frac).within_group(s.rtt_avg_ms),
                func.max(s.rtt_max_ms),
            )
            .where(*where)
            .group_by(s.link_id)
        )
        for link_id, intervals, samples, p_in, p_out, max_in, max_out, loss, rtt_p, rtt_max in rows:
            found[link_id] = WindowStats(
                intervals,
                samples,
                p_in,
                p_out,
                max_in,
                max_out,
                round(loss, 2) if loss is not None else None,
                rtt_p,
                rtt_max,
            )
    return {link_id: found.get(link_id, empty) for link_id in link_ids}


# ---------------------------------------------------------------- retention


def link_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Link.id).order_by(Link.id)))


def oldest_raw_sample(session: Session, links: Sequence[int]) -> dt.datetime | None:
    """When the oldest 5-minute sample (not yet rolled up) of these links was taken."""
    return session.scalar(
        select(func.min(LinkSample.sampled_at)).where(LinkSample.link_id.in_(links), LinkSample.samples.is_(None))
    )


def raw_samples(session: Session, links: Sequence[int], start: dt.datetime, end: dt.datetime) -> list[RawSample]:
    """These links' 5-minute samples (not yet rolled up) taken in [start, end).  By link, then
    time: the (link_id, sampled_at) index finds the rows without reading the table."""
    s = LinkSample
    found = session.execute(
        select(
            s.id,
            s.link_id,
            s.sampled_at,
            s.started_at,
            s.interval_s,
            s.in_bps,
            s.out_bps,
            s.unknown_reason,
            s.rtt_avg_ms,
            s.rtt_max_ms,
            s.loss_pct,
        ).where(s.link_id.in_(links), s.sampled_at >= start, s.sampled_at < end, s.samples.is_(None))
    )
    return [
        RawSample(
            r.link_id,
            r.sampled_at,
            r.started_at,
            r.interval_s,
            r.in_bps,
            r.out_bps,
            r.unknown_reason is None and r.in_bps is not None and r.out_bps is not None,
            r.rtt_avg_ms,
            r.rtt_max_ms,
            r.loss_pct,
            sample_id=r.id,
        )
        for r in found
    ]


def replace_with_hours(session: Session, samples: Sequence[RawSample], hours: Sequence[HourRow]) -> None:
    """Delete these raw samples and store the hourly rows that stand for them.  Call it in one
    transaction: both or neither."""
    ids = [sample.sample_id for sample in samples]
    for chunk in chunked(ids):
        session.execute(delete(LinkSample).where(LinkSample.id.in_(chunk)))
    if hours:
        session.execute(
            insert(LinkSample),
            [
                {
                    "link_id": h.link_id,
                    "sampled_at": h.sampled_at,
                    "started_at": h.started_at,
                    "interval_s": h.known_s,
                    "in_bps": h.in_bps,
                    "out_bps": h.out_bps,
                    "unknown_reason": HOURLY,
                    "rtt_avg_ms": h.rtt_avg_ms,
                    "rtt_max_ms": h.rtt_max_ms,
                    "loss_pct": h.loss_pct,
                    "samples": h.samples,
                    "simulated": False,
                }
                for h in hours
            ],
        )


def prune_device_polls(session: Session, before: dt.datetime) -> int:
    """Delete the device polls taken before `before`; how many.  Device by device, so the
    (device_id, polled_at) index finds them, not a scan of every poll ever taken."""
    ids = list(session.scalars(select(Device.id)))
    deleted = 0
    for chunk in chunked(ids):
        result: Any = session.execute(
            delete(DevicePoll).where(DevicePoll.device_id.in_(chunk), DevicePoll.polled_at < before)
        )
        deleted += int(result.rowcount or 0)
    return deleted
