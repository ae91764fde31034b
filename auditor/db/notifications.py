"""What the notifications read (links whose far end is silent, units where nothing answers) and
the events already told, so that each is sent once while it lasts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auditor.db.models import Device, Link, LinkSample, Notification, Unit
from auditor.domain import DeviceStatus
from auditor.notices import Event, LinkDown, SilentUnit


def links_down(session: Session, samples: int, since: dt.datetime) -> list[LinkDown]:
    """The links whose last `samples` pings of the far end all went unanswered (100 % loss); a
    sample that did not ping (no far end configured, the router unread) says nothing either way.
    Only samples taken since `since` are read: the recent ones, through the (link, time) index."""
    ranked = (
        select(
            LinkSample.link_id,
            LinkSample.sampled_at,
            LinkSample.loss_pct,
            func.row_number()
            .over(partition_by=LinkSample.link_id, order_by=LinkSample.sampled_at.desc())
            .label("rank"),
        )
        .where(LinkSample.loss_pct.is_not(None), LinkSample.sampled_at > since)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.link_id, func.count(), func.min(ranked.c.sampled_at), func.max(ranked.c.sampled_at))
        .where(ranked.c.rank <= samples)
        .group_by(ranked.c.link_id)
        .having(func.count() == samples, func.min(ranked.c.loss_pct) >= 100)
    ).all()
    if not rows:
        return []
    names = {
        link_id: (code, name)
        for link_id, code, name in session.execute(
            select(Link.id, Unit.code, Link.name)
            .join(Unit, Link.unit_id == Unit.id)
            .where(Link.id.in_([r[0] for r in rows]))
        )
    }
    return [
        LinkDown(link_id, *names[link_id], count, since, last)
        for link_id, count, since, last in rows
        if link_id in names
    ]


def silent_units(session: Session) -> list[SilentUnit]:
    """The units with devices that have an address, none of which answered its last poll or was
    seen in a router's or switch's table."""
    rows = session.execute(
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            func.count(Device.id),
            func.count(Device.id).filter(Device.reachable.is_(True) | Device.seen_via.is_not(None)),
            func.max(Device.last_seen),
        )
        .join(Device, Device.unit_id == Unit.id)
        .where(Device.status == DeviceStatus.ACTIVE, Device.ip.is_not(None), Device.reachable.is_not(None))
        .group_by(Unit.id, Unit.code, Unit.name)
    ).all()
    return [SilentUnit(i, code, name, total, last) for i, code, name, total, alive, last in rows if total and not alive]


def open_notifications(session: Session, prefixes: Sequence[str]) -> dict[str, Notification]:
    rows = session.scalars(select(Notification).where(Notification.resolved_at.is_(None)))
    return {n.key: n for n in rows if n.key.startswith(tuple(prefixes))}


def record(session: Session, events: Iterable[Event], prefixes: Sequence[str], now: dt.datetime) -> list[Notification]:
    """The events as they stand now, among the keys of `prefixes`: a new one opens a row, one
    still there is refreshed, one gone is resolved.  The rows still to send (new, or whose send
    failed before)."""
    known = open_notifications(session, prefixes)
    pending = []
    current = set()
    for event in events:
        current.add(event.key)
        row = known.get(event.key)
        if row is None:
            row = Notification(key=event.key, subject=event.subject, body=event.body, first_seen=now, last_seen=now)
            session.add(row)
        else:
            row.last_seen = now
        if row.sent_at is None:
            row.subject, row.body = event.subject, event.body  # the latest figures
            pending.append(row)
    for key, row in known.items():
        if key not in current:
            row.resolved_at = now
    session.flush()
    return pending


def mark(session: Session, ids: Sequence[int], now: dt.datetime, error: str | None) -> None:
    for row in session.scalars(select(Notification).where(Notification.id.in_(ids))):
        if error is None:
            row.sent_at, row.error = now, None
        else:
            row.error = error
