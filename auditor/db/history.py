"""A device's history: every change to a field of its register record, stored as it is flushed,
whoever made it (an import, a scan or poll filling in what the device says, a command).

A job names itself with `changes_by(session, "import khao-sat.xlsx", now, run_id)`; a change
made in a session nobody named is still recorded, as "auditor", at the device's updated_at.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from auditor.db.models import Device, DeviceChange, Unit
from auditor.facts import ChangeView

# The register's fields: what a person registered, or what a device said of itself where the
# register was blank.  Its observations (reachable, uptime, leases…) are the polls' history.
TRACKED = (
    "unit_id",
    "hostname",
    "ip",
    "mac",
    "category",
    "vendor",
    "model",
    "serial",
    "asset_tag",
    "manufactured_on",
    "in_service_on",
    "condition",
    "location",
    "status",
    "registered",
)
CREATED = "created"
_TRACKED = frozenset(TRACKED)
# A scan or poll that fills in a field from what the device said leaves, under this key of the
# device's instance info, where each value came from (identify's sources: "sysDescr: 'Switch'",
# "oid 1.3.6.1.4.1.890.1.15.3.1.12.0", "sysObjectID (IANA registry)"); the change's source says it.
EVIDENCE = "identity_sources"


@dataclass(frozen=True)
class ChangeSource:
    source: str
    now: dt.datetime
    run_id: int | None = None


def changes_by(session: Session, source: str, now: dt.datetime, run_id: int | None = None) -> None:
    """Say who makes the changes this session will flush, and when."""
    session.info["changes"] = ChangeSource(source[:300], now, run_id)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _unit_code(session: Session, unit_id: Any) -> str | None:
    if unit_id is None:
        return None
    unit = session.get(Unit, unit_id)
    return unit.code if unit is not None else str(unit_id)


def _rows_of(session: Session, device: Device, created: bool, by: ChangeSource | None) -> list[dict[str, Any]]:
    at = by.now if by else (device.updated_at or device.created_at)
    base = {"device_id": device.id, "run_id": by.run_id if by else None, "changed_at": at}
    source = by.source if by else "auditor"
    state = inspect(device)
    evidence: dict[str, str] = state.info.get(EVIDENCE, {})
    if created:  # and what the device said of itself, with where each value came from
        shown = device.hostname or device.ip or device.asset_tag or device.serial
        rows = [base | {"field": CREATED, "old": None, "new": _text(shown), "source": source}]
        for name in TRACKED:
            if name in evidence and getattr(device, name) is not None:
                why = f"{source} ({evidence[name]})"[:300]
                rows.append(base | {"field": name, "old": None, "new": _text(getattr(device, name)), "source": why})
        return rows
    rows = []
    # The attributes set since the last flush (SQLAlchemy keeps their old values): a poll of 10,000
    # devices sets only their observations, and costs this hook one set intersection each.
    for name in sorted(state.committed_state.keys() & _TRACKED, key=TRACKED.index):
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        shown = name
        if name == "unit_id":  # people know a unit by its code
            old, new, shown = _unit_code(session, old), _unit_code(session, new), "unit"
        if _text(old) != _text(new):
            said = evidence.get(name)
            why = f"{source} ({said})"[:300] if said else source
            rows.append(base | {"field": shown, "old": _text(old), "new": _text(new), "source": why})
    return rows


@event.listens_for(Session, "after_flush")
def _record(session: Session, _context: Any) -> None:
    """After a flush (ids are known, the history of each attribute not yet reset)."""
    by = session.info.get("changes")
    rows: list[dict[str, Any]] = []
    for device in session.new:
        if isinstance(device, Device):
            rows.extend(_rows_of(session, device, True, by))
    for device in session.dirty:
        if isinstance(device, Device) and inspect(device).committed_state.keys() & _TRACKED:
            rows.extend(_rows_of(session, device, False, by))
    if rows:
        session.connection().execute(insert(DeviceChange), rows)


def history_of(session: Session, device_id: int, limit: int | None = None) -> list[ChangeView]:
    """A device's changes, newest first."""
    statement = (
        select(DeviceChange)
        .where(DeviceChange.device_id == device_id)
        .order_by(DeviceChange.changed_at.desc(), DeviceChange.id.desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [ChangeView(c.changed_at, c.field, c.old, c.new, c.source, c.run_id) for c in session.scalars(statement)]
