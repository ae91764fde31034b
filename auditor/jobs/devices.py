"""`auditor devices list|show|register|assign|retire|restore`: the register kept without a
spreadsheet.  A change is one transaction holding the register's lock (as an import does), and
the device's history records it, with the command that made it."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace
from typing import Any

from auditor.catalogs import age_catalog
from auditor.db import devices as stored
from auditor.db import endpoints, findings, history, register
from auditor.db.engine import Database
from auditor.domain import DeviceStatus
from auditor.endpoints import NeighbourView, SightingView
from auditor.errors import AuditorError
from auditor.facts import ChangeView, DeviceView, FindingView, PollView
from auditor.jobs.listings import aged
from auditor.register.search import DeviceQuery, named_by, select_devices

RECENT_POLLS = 10


class Action(enum.StrEnum):
    REGISTER = "register"  # a device found on the network is in the asset register after all
    ASSIGN = "assign"  # belongs to this unit
    RETIRE = "retire"  # out of service: no longer polled, audited or replaced
    RESTORE = "restore"  # back in service


@dataclass(frozen=True)
class Dossier:
    """Everything known of one device: its record and age, recent polls, findings, history."""

    device: DeviceView
    polls: list[PollView]
    findings: list[FindingView]
    history: list[ChangeView]
    seen: list[SightingView]  # the routers' and switches' tables that saw it
    neighbours: list[NeighbourView]  # what LLDP/CDP report on its own ports


def list_devices(
    database: Database, today: dt.date, query: DeviceQuery, unit_code: str | None = None
) -> list[DeviceView]:
    """The devices (of one unit, or all) that `query` keeps, their ages counted on `today`."""
    catalog = age_catalog()
    with database.session(commit=False) as session:
        register.require_unit(session, unit_code)
        views = [view for view, _ in aged(session, today, unit_code, catalog)]
    return select_devices(views, query)


def _one(session: Any, ref: str, today: dt.date) -> DeviceView:
    views = [view for view, _ in aged(session, today, None, age_catalog())]
    found = named_by(views, ref)
    if not found:
        raise AuditorError(
            f"no device is named {ref!r} (by id, asset tag, serial, IP address or MAC); "
            "`auditor devices list --search TEXT` finds it by any part of its name"
        )
    if len(found) > 1:
        shown = "; ".join(
            f"id {d.id} ({d.hostname or d.ip or d.serial}, {d.unit_code or 'no unit'})" for d in found[:5]
        )
        raise AuditorError(f"{ref!r} names {len(found)} devices: {shown}; name one by its id")
    return found[0]


def dossier(database: Database, ref: str, today: dt.date, polls: int = RECENT_POLLS) -> Dossier:
    with database.session(commit=False) as session:
        device = _one(session, ref, today)
        return Dossier(
            device,
            stored.polls_of(session, device.id, polls),
            findings.list_findings(session, include_resolved=True, device_id=device.id),
            history.history_of(session, device.id),
            endpoints.sightings_of(session, device.id),
            endpoints.neighbours_of(session, device.id),
        )


def change(
    database: Database,
    ref: str,
    action: Action,
    now: dt.datetime,
    today: dt.date,
    *,
    unit_code: str | None = None,
    note: str | None = None,
) -> tuple[DeviceView, bool]:
    """Apply `action` to the device `ref` names; the device as it is now, and whether it changed."""
    with database.session() as session:
        register.lock_register(session)
        source = f"devices {action.value}" + (f": {note}" if note else "")
        history.changes_by(session, source, now)
        device = _one(session, ref, today)
        values: dict[str, Any]
        if action is Action.ASSIGN:
            if not unit_code:
                raise AuditorError("assign needs --unit CODE: the unit the device belongs to")
            register.require_unit(session, unit_code)
            values = {"unit_id": _unit_id(session, unit_code)}
        elif action is Action.REGISTER:
            values = {"registered": True}
        elif action is Action.RETIRE:
            values = {"status": DeviceStatus.RETIRED}
        else:
            values = {"status": DeviceStatus.ACTIVE}
        changed = stored.update_device(session, device.id, values, now)
        code = unit_code if action is Action.ASSIGN else device.unit_code
        after = replace(device, **{k: v for k, v in values.items() if k != "unit_id"}, unit_code=code)
    return after, changed


def _unit_id(session: Any, unit_code: str) -> int:
    ids = {code.lower(): unit_id for code, unit_id in register.unit_ids(session).items()}
    return ids[unit_code.lower()]
