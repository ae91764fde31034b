"""How old a device is, from the best evidence available.  Pure: `today` is an argument."""

from __future__ import annotations

import datetime as dt

from auditor.facts import Age


def years_between(start: dt.date, today: dt.date) -> float:
    return round((today - start).days / 365.25, 1)


def device_age(
    today: dt.date,
    in_service_on: dt.date | None = None,
    in_service_precision: str | None = None,
    manufactured_on: dt.date | None = None,
) -> Age | None:
    """The register's in-service date first, then the manufacture date; None when neither is known.

    A year-only date counts whole years (2015 seen in 2026 is 11), not from 1 January, so a
    device bought in December is not made older than the sheet says.
    """
    if in_service_on is not None:
        if in_service_precision == "year":
            return Age(float(today.year - in_service_on.year), "register")
        return Age(years_between(in_service_on, today), "register")
    if manufactured_on is not None:
        return Age(years_between(manufactured_on, today), "entity_mib")
    return None
