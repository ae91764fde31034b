"""One device at a time: its recent polls, and the changes a person makes to its record (every one
kept in its history by db/history.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auditor.db.models import Device, DevicePoll
from auditor.facts import PollView


def polls_of(session: Session, device_id: int, limit: int) -> list[PollView]:
    """A device's last `limit` polls, newest first."""
    statement = (
        select(DevicePoll)
        .where(DevicePoll.device_id == device_id)
        .order_by(DevicePoll.polled_at.desc(), DevicePoll.id.desc())
        .limit(limit)
    )
    return [
        PollView(p.polled_at, p.reachable, p.rtt_ms, p.snmp_ok, p.uptime_s, p.rebooted, p.error, p.seen_via)
        for p in session.scalars(statement)
    ]


def update_device(session: Session, device_id: int, values: dict[str, Any], now: dt.datetime) -> bool:
    """Set `values` on the device; whether anything changed."""
    device = session.get(Device, device_id)
    if device is None:
        raise LookupError(device_id)
    changed = {name: value for name, value in values.items() if getattr(device, name) != value}
    for name, value in changed.items():
        setattr(device, name, value)
    if changed:
        device.updated_at = now
        session.flush()
    return bool(changed)
