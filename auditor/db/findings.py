"""Findings: the rules' conclusions given a life (first detected, refreshed, resolved when the
condition clears), and the device histories the rules read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from auditor.db import endpoints
from auditor.db.common import unit_is
from auditor.db.models import Device, DevicePoll, Finding, Unit
from auditor.domain import DeviceStatus, FindingKind
from auditor.facts import AgeEvidence, DeviceHistory, FindingFact, FindingView

_HISTORY_COLUMNS = (
    "id",
    "unit_id",
    "hostname",
    "ip",
    "asset_tag",
    "serial",
    "category",
    "registered",
    "in_service_on",
    "in_service_precision",
    "manufactured_on",
    "model",
    "sys_descr",
    "first_seen",
    "last_seen",
    "created_at",
)


def device_histories(session: Session, now: dt.datetime, recent_polls: int) -> list[DeviceHistory]:
    """What the rules need of every active device: age evidence, its last polls, its reboots in 7 days."""
    ranked = select(
        DevicePoll.device_id,
        DevicePoll.reachable,
        DevicePoll.seen_via,
        func.row_number().over(partition_by=DevicePoll.device_id, order_by=DevicePoll.polled_at.desc()).label("rank"),
    ).subquery()
    recent: dict[int, list[tuple[int, bool]]] = {}
    for device_id, reachable, seen_via, rank in session.execute(select(ranked).where(ranked.c.rank <= recent_polls)):
        recent.setdefault(device_id, []).append((rank, bool(reachable or seen_via)))  # a table saw it: seen
    seen_by = endpoints.seen_by(session)
    looked_at = endpoints.sources_by_unit(session)
    reboots = {
        device_id: count
        for device_id, count in session.execute(
            select(DevicePoll.device_id, func.count())
            .where(DevicePoll.rebooted.is_(True), DevicePoll.polled_at > now - dt.timedelta(days=7))
            .group_by(DevicePoll.device_id)
        )
    }
    states = []
    # rows, not model instances (half the time for 100,000 devices), of the columns read here only
    # (SQLite hands dates back as text, each parsed)
    active = select(*(Device.__table__.c[name] for name in _HISTORY_COLUMNS)).where(
        Device.status == DeviceStatus.ACTIVE
    )
    for d in session.execute(active.order_by(Device.id)):
        polls = [reachable for _, reachable in sorted(recent.get(d.id, []), reverse=True)]  # oldest first
        states.append(
            DeviceHistory(
                device_id=d.id,
                unit_id=d.unit_id,
                label=d.hostname or d.ip or d.asset_tag or d.serial or f"#{d.id}",
                category=d.category,
                registered=d.registered,
                has_address=d.ip is not None,
                evidence=AgeEvidence(
                    d.in_service_on,
                    d.in_service_precision,
                    d.manufactured_on,
                    d.model,
                    d.sys_descr,
                    d.first_seen.date() if d.first_seen else None,
                ),
                created_at=d.created_at,
                first_seen=d.first_seen,
                last_seen=d.last_seen,
                recent_reachable=tuple(polls),
                reboots_7d=reboots.get(d.id, 0),
                seen_by=seen_by.get(d.id, {}),
                looked_at=("icmp", "snmp", *sorted(looked_at.get(d.unit_id, ()))),
            )
        )
    return states


def apply_findings(session: Session, found: Sequence[FindingFact], now: dt.datetime) -> dict[str, int]:
    """Give the rules' findings a life: open the new ones, refresh the ones still true, resolve the rest.

    Written in bulk (one executemany per kind of change, not a model instance per finding): a
    country's audit opens or refreshes some 50,000 findings.
    """
    open_findings = {
        (kind.value, device_id, link_id, endpoint_id): finding_id
        for finding_id, kind, device_id, link_id, endpoint_id in session.execute(
            select(Finding.id, Finding.kind, Finding.device_id, Finding.link_id, Finding.endpoint_id).where(
                Finding.resolved_at.is_(None)
            )
        )
    }
    new: list[dict[str, Any]] = []
    refreshed: list[dict[str, Any]] = []
    for fact in found:
        values = {
            "severity": fact.severity,
            "unit_id": fact.unit_id,
            "subject": fact.subject[:255],
            "evidence": fact.evidence,
            "last_detected": now,
        }
        finding_id = open_findings.pop(fact.key, None)
        if finding_id is None:
            new.append(
                values
                | {
                    "kind": fact.kind,
                    "device_id": fact.device_id,
                    "link_id": fact.link_id,
                    "endpoint_id": fact.endpoint_id,
                    "first_detected": now,
                }
            )
        else:
            refreshed.append(values | {"id": finding_id})
    resolved = [{"id": finding_id, "resolved_at": now} for finding_id in open_findings.values()]  # condition cleared
    for rows, statement in ((new, insert(Finding)), (refreshed, update(Finding)), (resolved, update(Finding))):
        if rows:
            session.execute(statement, rows)
    return {"new": len(new), "still_open": len(refreshed), "resolved": len(resolved)}


def list_findings(
    session: Session,
    kind: str | None = None,
    unit_code: str | None = None,
    include_resolved: bool = False,
    device_id: int | None = None,
) -> list[FindingView]:
    statement = select(Finding, Unit.code).outerjoin(Unit, Finding.unit_id == Unit.id)
    if device_id is not None:
        statement = statement.where(Finding.device_id == device_id)
    if kind:
        statement = statement.where(Finding.kind == FindingKind(kind))
    if unit_code:
        statement = statement.where(unit_is(unit_code))
    if not include_resolved:
        statement = statement.where(Finding.resolved_at.is_(None))
    return [
        FindingView(
            id=f.id,
            kind=f.kind,
            severity=f.severity,
            unit_code=code,
            subject=f.subject,
            device_id=f.device_id,
            link_id=f.link_id,
            first_detected=f.first_detected,
            last_detected=f.last_detected,
            resolved_at=f.resolved_at,
            evidence=f.evidence,
        )
        for f, code in session.execute(statement.order_by(Finding.kind, Unit.code, Finding.subject))
    ]
