"""What the dashboard's province page reads at a glance, in a few grouped queries: each unit's
device counts, its open findings by kind, its links, the last audit, and a coarse week of each
link's traffic for its sparkline (only the links on the page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from auditor.db.common import chunked
from auditor.db.models import Device, Finding, Link, LinkSample, Run, Unit
from auditor.domain import DeviceStatus, RunKind


@dataclass(frozen=True)
class UnitCounts:
    unit_id: int
    code: str
    name: str
    devices: int  # active
    registered: int  # active and in the register
    findings: dict[str, int]  # open, by kind
    links: tuple[tuple[int, str, float, float], ...]  # (id, name, down, up), by name


@dataclass(frozen=True)
class AuditRun:
    run_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: str
    message: str | None


def unit_counts(session: Session) -> list[UnitCounts]:
    """Every unit with its counts, by code."""
    active = Device.status == DeviceStatus.ACTIVE
    devices = dict(
        (unit_id, (total, registered))
        for unit_id, total, registered in session.execute(
            select(Device.unit_id, func.count(), func.count().filter(Device.registered.is_(True)))
            .where(active, Device.unit_id.is_not(None))
            .group_by(Device.unit_id)
        )
    )
    findings: dict[int | None, dict[str, int]] = {}
    for unit_id, kind, count in session.execute(
        select(Finding.unit_id, Finding.kind, func.count())
        .where(Finding.resolved_at.is_(None), Finding.unit_id.is_not(None))
        .group_by(Finding.unit_id, Finding.kind)
    ):
        findings.setdefault(unit_id, {})[kind.value] = count
    links: dict[int, list[tuple[int, str, float, float]]] = {}
    for link in session.execute(
        select(Link.id, Link.unit_id, Link.name, Link.capacity_down_mbps, Link.capacity_up_mbps).order_by(
            Link.unit_id, Link.name
        )
    ):
        links.setdefault(link.unit_id, []).append((link.id, link.name, link.capacity_down_mbps, link.capacity_up_mbps))
    return [
        UnitCounts(
            u.id,
            u.code,
            u.name,
            devices.get(u.id, (0, 0))[0],
            devices.get(u.id, (0, 0))[1],
            findings.get(u.id, {}),
            tuple(links.get(u.id, ())),
        )
        for u in session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.code))
    ]


def findings_by_kind(session: Session) -> dict[str, int]:
    """The open findings of the whole province, by kind."""
    rows = session.execute(
        select(Finding.kind, func.count()).where(Finding.resolved_at.is_(None)).group_by(Finding.kind)
    )
    return {kind.value: count for kind, count in rows}


def last_audit(session: Session) -> AuditRun | None:
    run = session.scalars(select(Run).where(Run.kind == RunKind.AUDIT).order_by(Run.started_at.desc()).limit(1)).first()
    if run is None:
        return None
    return AuditRun(run.id, run.started_at, run.finished_at, run.outcome.value, run.message)


def traffic_buckets(
    session: Session, link_ids: Sequence[int], since: dt.datetime, bucket_s: float
) -> dict[int, dict[int, tuple[float, float]]]:
    """Each link's mean known rate in and out per bucket of `bucket_s` seconds since `since`
    (bucket 0 first), for its sparkline: averaged by the database, a few numbers a link."""
    s = LinkSample
    if session.get_bind().dialect.name == "sqlite":  # stored as naive UTC text; julianday() reads it
        start = since.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        seconds = (func.julianday(s.sampled_at) - func.julianday(start)) * 86400
    else:
        seconds = func.extract("epoch", s.sampled_at) - since.timestamp()
    bucket = cast(seconds / bucket_s, Integer).label("bucket")
    found: dict[int, dict[int, tuple[float, float]]] = {i: {} for i in link_ids}
    for chunk in chunked(link_ids):
        rows = session.execute(
            select(s.link_id, bucket, func.avg(s.in_bps), func.avg(func.coalesce(s.out_bps, 0.0)))
            .where(s.link_id.in_(chunk), s.sampled_at > since, s.in_bps.is_not(None), s.unknown_reason.is_(None))
            .group_by(s.link_id, bucket)
        )
        for link_id, number, in_bps, out_bps in rows:
            found[link_id][int(number)] = (float(in_bps), float(out_bps))
    return found
