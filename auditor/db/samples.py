"""Link samples: the 5-minute readings of every link, the windows the judgement reads, and their
retention (raw samples replaced by hourly rows, old device polls deleted)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from auditor.db.common import chunked, exclusive, unit_is
from auditor.db.engine import SQLITE_BUSY_TIMEOUT_MS
from auditor.db.models import Device, DevicePoll, Link, LinkHour, LinkHourMark, LinkSample, Unit
from auditor.db.observations import poll_target
from auditor.linkhours import HOUR, hour_of, hours_of, merged, window_numbers
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
    if link_ids is None:
        links = list(session.scalars(statement.order_by(Link.id)))
        previous = _last_with_counters(session, None)
    else:
        links = [link for chunk in chunked(link_ids) for link in session.scalars(statement.where(Link.id.in_(chunk)))]
        links.sort(key=lambda link: link.id)
        previous = _last_with_counters(session, link_ids)
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


def _last_with_counters(session: Session, link_ids: Sequence[int] | None) -> dict[int, LinkSample]:
    """Each link's last sample with counters (the highest id: the clock may step back), of the given
    links or all.  Each link's is one step down the partial index ix_link_sample_counters, not a
    grouping of every sample."""
    counted = aliased(LinkSample)
    last = (
        select(func.max(counted.id))
        .where(counted.link_id == Link.id, counted.in_octets.is_not(None))
        .correlate(Link)
        .scalar_subquery()
    )
    ids = select(last).select_from(Link)
    chosen = [ids] if link_ids is None else [ids.where(Link.id.in_(chunk)) for chunk in chunked(link_ids)]
    return {
        sample.link_id: sample
        for query in chosen
        for sample in session.scalars(select(LinkSample).where(LinkSample.id.in_(query.scalar_subquery())))
    }


def latest_sampled(session: Session, link_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """When each link's last sample with counters was read (the base of its next interval)."""
    return {link_id: sample.sampled_at for link_id, sample in _last_with_counters(session, link_ids).items()}


def store_link_samples(
    session: Session,
    samples: Sequence[tuple[LinkObservation, Interval | None]],
    run_id: int | None,
    now: dt.datetime,
    simulated: bool = False,
) -> None:
    """One LinkSample per observation: raw counters, the interval's rates (or why unknown), ICMP;
    folded into the link hours.  The caller holds the samples lock (lock_samples)."""
    _guard_top(session)
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
                in_bps=_nan(interval.in_bps if interval else None),
                out_bps=_nan(interval.out_bps if interval else None),
                unknown_reason=(interval.unknown if interval else "no_counters"),
                rtt_avg_ms=_nan(observation.rtt_avg_ms),
                rtt_max_ms=_nan(observation.rtt_max_ms),
                loss_pct=_nan(observation.loss_pct),
                simulated=simulated,
            )
        )
        if observation.resolved_if_index is not None:
            link = session.get(Link, observation.link_id)
            if link is not None:
                link.if_index = observation.resolved_if_index
    session.flush()
    fold_hours(session)


def _nan(value: float | None) -> float | None:
    """A NaN read back (PostgreSQL keeps one, SQLite reads NULL) is no measurement: as the link hours."""
    return None if value is None or math.isnan(value) else value


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
                    Interval(
                        s.started_at or s.sampled_at, s.sampled_at, _nan(s.in_bps), _nan(s.out_bps), s.unknown_reason
                    )
                )
            pings.append(PingSample(s.sampled_at, _nan(s.rtt_avg_ms), _nan(s.rtt_max_ms), _nan(s.loss_pct)))
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


# ---------------------------------------------------------------- link hours

FOLD_AT_MOST = 50_000  # more samples than this to fold (an upgrade, a bulk load): rebuilt link by link
REBUILD_LINKS = 50  # links rebuilt per query: a month of raw samples each stays in bounded memory
_SAMPLE_COLUMNS = (  # linkhours.SampleRow's, in its order
    LinkSample.sampled_at,
    LinkSample.started_at,
    LinkSample.unknown_reason,
    LinkSample.in_bps,
    LinkSample.out_bps,
    LinkSample.loss_pct,
    LinkSample.rtt_avg_ms,
    LinkSample.rtt_max_ms,
)


def _hours(found: Sequence[Any]) -> Iterator[tuple[int, dt.datetime, int, bytes]]:
    """Rows of (link_id, *_SAMPLE_COLUMNS) as their links' hours (linkhours.hours_of)."""
    return hours_of([r[0] for r in found], [tuple(r)[1:] for r in found])


def _mark(session: Session) -> LinkHourMark:
    """The mark, made on first use: a database without one has folded nothing (0 rows up to 0)."""
    mark = session.get(LinkHourMark, 1)
    if mark is None:
        mark = LinkHourMark(id=1, folded_to=0, folded_rows=0, rebuilt_through=None)
        session.add(mark)
        session.flush()
    return mark


def _top(session: Session) -> int:
    return int(session.scalar(select(func.max(LinkSample.id))) or 0)


def _count(session: Session, above: int | None = None) -> int:
    statement = select(func.count()).select_from(LinkSample)
    if above is not None:
        statement = statement.where(LinkSample.id > above)
    return int(session.scalar(statement) or 0)


@dataclass(frozen=True)
class HoursDue:
    """What the link hours need before a judgement can read them: `fold` samples stored since the
    mark, or a rebuild (`why`: "unknown", "resumed", "deleted", "many") of every link's hours."""

    fold: int = 0
    why: str | None = None
    deleted: int = 0  # samples gone (by hand) since they were folded, when why == "deleted"

    def __bool__(self) -> bool:
        return bool(self.fold or self.why)


def hours_due(session: Session) -> HoursDue:
    """Whether the link hours hold exactly the stored samples.  Counts the table (a fraction of a
    second for millions of rows, an index scan): a sample deleted by hand since it was folded,
    anywhere, makes the counts differ, and the hours are rebuilt."""
    mark = session.get(LinkHourMark, 1)
    folded_to, rows, through = (mark.folded_to, mark.folded_rows, mark.rebuilt_through) if mark else (0, 0, None)
    if through is not None:
        return HoursDue(why="resumed")
    if rows is None:
        return HoursDue(why="unknown")
    behind = _count(session, folded_to)
    if (gone := rows - (_count(session) - behind)) != 0:
        return HoursDue(why="deleted", deleted=gone)
    if behind > FOLD_AT_MOST:
        return HoursDue(fold=behind, why="many")
    return HoursDue(fold=behind)


def _guard_top(session: Session) -> None:
    """The newest samples deleted by hand: SQLite gives their ids again to the next rows, which the
    mark would take for folded.  Noticed before anything is stored: the hours are rebuilt."""
    if _top(session) < _mark(session).folded_to:
        start_rebuild(session)


def start_rebuild(session: Session) -> None:
    """Set every link's hours to be rebuilt from the raw samples (rebuild_step, a few links per
    transaction).  Meanwhile samplers go on folding what they store; a judgement finishes the
    rebuild before it reads.  The caller holds the samples lock."""
    mark = _mark(session)
    mark.folded_to, mark.folded_rows, mark.rebuilt_through = _top(session), None, 0
    session.flush()


def rebuild_step(session: Session) -> int:
    """Rebuild the hours of the next REBUILD_LINKS links of a rebuild under way; how many, 0 when every
    link's are rebuilt and the mark counts the rows again.  The caller holds the samples lock and
    commits after each step: a killed rebuild resumes where it stopped."""
    mark = _mark(session)
    if mark.rebuilt_through is None:
        return 0
    chunk = list(
        session.scalars(select(Link.id).where(Link.id > mark.rebuilt_through).order_by(Link.id).limit(REBUILD_LINKS))
    )
    if not chunk:
        mark.folded_rows, mark.rebuilt_through = _count(session) - _count(session, mark.folded_to), None
        session.flush()
        return 0
    _rebuild(session, chunk)
    mark.rebuilt_through = chunk[-1]
    session.flush()
    return len(chunk)


def fold_hours(session: Session) -> int:
    """Add the samples stored since the mark to their links' hours; how many.  The caller holds the
    samples lock (lock_samples), so that no sample is stored meanwhile.  Too many at once (a
    sampler long stopped, a bulk load) set the hours to be rebuilt instead (start_rebuild)."""
    _guard_top(session)
    mark = _mark(session)
    behind = _count(session, mark.folded_to)
    if not behind:
        return 0
    if behind > FOLD_AT_MOST:
        start_rebuild(session)
        return behind
    new = session.execute(select(LinkSample.link_id, *_SAMPLE_COLUMNS).where(LinkSample.id > mark.folded_to)).all()
    groups = {(link_id, hour): (count, data) for link_id, hour, count, data in _hours(new)}
    existing: dict[tuple[int, dt.datetime], Any] = {}
    for chunk in chunked(sorted({link_id for link_id, _ in groups})):
        for h in session.execute(
            select(LinkHour.id, LinkHour.link_id, LinkHour.hour, LinkHour.samples, LinkHour.data).where(
                LinkHour.link_id.in_(chunk), LinkHour.hour.in_(sorted({hour for _, hour in groups}))
            )
        ):
            existing[(h.link_id, h.hour)] = h
    updates, inserts = [], []
    for (link_id, hour), (count, data) in groups.items():
        old = existing.get((link_id, hour))
        if old is None:
            inserts.append({"link_id": link_id, "hour": hour, "samples": count, "data": data})
        else:
            updates.append({"id": old.id, "samples": old.samples + count, "data": merged(old.data, data)})
    if updates:
        session.execute(update(LinkHour), updates)
    if inserts:
        session.execute(insert(LinkHour), inserts)
    mark.folded_to = _top(session)
    if mark.folded_rows is not None:
        mark.folded_rows += len(new)
    session.flush()
    return behind


def _rebuild(
    session: Session, links: Sequence[int], start: dt.datetime | None = None, end: dt.datetime | None = None
) -> None:
    """Rebuild these links' hours from their raw samples: all of them, or the hours of [start, end)
    (UTC hours, as hour_of gives).  The caller holds the samples lock and keeps the mark."""
    for chunk in chunked(links, REBUILD_LINKS):
        old = delete(LinkHour).where(LinkHour.link_id.in_(chunk))
        raw = select(LinkSample.link_id, *_SAMPLE_COLUMNS).where(LinkSample.link_id.in_(chunk))
        if start is not None:
            old, raw = old.where(LinkHour.hour >= start), raw.where(LinkSample.sampled_at >= start)
        if end is not None:
            old, raw = old.where(LinkHour.hour < end), raw.where(LinkSample.sampled_at < end)
        session.execute(old)
        found = session.execute(raw).all()
        inserts = [
            {"link_id": link_id, "hour": hour, "samples": count, "data": data}
            for link_id, hour, count, data in _hours(found)
        ]
        del found
        for part in chunked(inserts, 2000):
            session.execute(insert(LinkHour), list(part))


# Links whose hours one query reads: a week of 200 links is ~30 MB of arrays.  PostgreSQL's driver
# holds a whole result in memory, so 4,000 links in one query took 1.6 GB there.
WINDOW_LINKS = 200


def window_figures(
    session: Session, link_ids: Sequence[int], since: dt.datetime, now: dt.datetime
) -> Iterator[tuple[int, WindowNumbers]]:
    """Each link's window over (since, now], all hours, as the numbers to rank, one link after the
    other in the order given: read from the arrays of the hours it touches (a week is 169 rows a
    link), so that memory holds one chunk of links' weeks at a time, not the country's.  Equal to
    links.congestion.window_stats over the raw samples, once the hours are folded (fold_hours)."""
    first = hour_of(since)
    for chunk in chunked(link_ids, WINDOW_LINKS):
        arrays: dict[int, list[bytes]] = {}
        for link_id, data in session.execute(
            select(LinkHour.link_id, LinkHour.data)
            .where(LinkHour.link_id.in_(chunk), LinkHour.hour >= first, LinkHour.hour <= now)
            .order_by(LinkHour.link_id, LinkHour.hour)
        ):
            arrays.setdefault(link_id, []).append(data)
        for link_id in chunk:
            yield link_id, window_numbers(arrays.pop(link_id, []), since, now)


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
    """Delete these raw samples and store the hourly rows that stand for them, and rebuild the link
    hours they were in.  Call it in one transaction holding the samples lock: all or nothing."""
    fold_hours(session)
    ids = [sample.sample_id for sample in samples]
    deleted = 0
    for chunk in chunked(ids):
        result: Any = session.execute(delete(LinkSample).where(LinkSample.id.in_(chunk)))
        deleted += int(result.rowcount or 0)
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
    moments = [sample.sampled_at for sample in samples] + [h.sampled_at for h in hours]
    if moments:
        links = sorted({sample.link_id for sample in samples} | {h.link_id for h in hours})
        _rebuild(session, links, hour_of(min(moments)), hour_of(max(moments)) + HOUR)
    mark = _mark(session)
    mark.folded_to = _top(session)
    if mark.folded_rows is not None:
        mark.folded_rows += len(hours) - deleted
    session.flush()


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
