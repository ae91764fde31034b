"""What the listing commands show: units, devices with their ages, links, findings, agents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from auditor.catalogs import age_catalog
from auditor.db import claims, findings, register
from auditor.db.engine import Database
from auditor.facts import Age, AgentView, DeviceView, FindingView, LinkView, UnitView
from auditor.rules.age import AgeCatalog, evidence_age

T = TypeVar("T")


def _read(database: Database, unit_code: str | None, fetch: Callable[[Any], T]) -> T:
    with database.session(commit=False) as session:
        register.require_unit(session, unit_code)
        return fetch(session)


def units(database: Database, unit_code: str | None = None) -> list[UnitView]:
    """Every unit (or the one named), with how many devices and links each has."""
    return _read(database, unit_code, lambda s: register.list_units(s, unit_code))


def aged(
    session: Any, today: dt.date, unit_code: str | None, catalog: AgeCatalog
) -> list[tuple[DeviceView, Age | None]]:
    """Every device (or one unit's) with its age on `today`, from the best evidence it has."""
    found = []
    for view, evidence in register.list_devices(session, unit_code):
        age = evidence_age(evidence, today, catalog)
        if age is not None:
            view = replace(view, age_years=age.years, age_source=age.source, age_basis=age.basis)
        found.append((view, age))
    return found


def register_views(
    database: Database, today: dt.date, unit_code: str | None = None, catalog: AgeCatalog | None = None
) -> tuple[list[UnitView], list[tuple[DeviceView, Age | None]], list[LinkView]]:
    """The register (or one unit's part of it), read at once: units, devices with their ages on
    `today`, links."""
    chosen = catalog or age_catalog()

    def read(session: Any) -> tuple[list[UnitView], list[tuple[DeviceView, Age | None]], list[LinkView]]:
        return (
            register.list_units(session, unit_code),
            aged(session, today, unit_code, chosen),
            register.list_links(session, unit_code),
        )

    return _read(database, unit_code, read)


def devices(
    database: Database, today: dt.date, unit_code: str | None = None, catalog: AgeCatalog | None = None
) -> list[DeviceView]:
    """Every device (or one unit's), its age counted on `today`."""
    chosen = catalog or age_catalog()
    return [view for view, _ in _read(database, unit_code, lambda s: aged(s, today, unit_code, chosen))]


def links(database: Database, unit_code: str | None = None) -> list[LinkView]:
    return _read(database, unit_code, lambda s: register.list_links(s, unit_code))


def findings_of(
    database: Database, kind: str | None = None, unit_code: str | None = None, include_resolved: bool = False
) -> list[FindingView]:
    return _read(database, unit_code, lambda s: findings.list_findings(s, kind, unit_code, include_resolved))


def agents(database: Database, now: dt.datetime) -> list[AgentView]:
    """The agents, each judged running, stale or stopped as of `now`."""
    return _read(database, None, lambda s: claims.list_agents(s, now))
