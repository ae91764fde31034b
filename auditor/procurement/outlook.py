"""The years ahead: which devices cross the age threshold in each of the next five years, and what
replacing them would cost at the catalog's prices; and the age pyramid of today's equipment.

Pure.  A device's age "in year Y" is its age today plus the whole years until Y (a register that
gives the year in service counts whole years too), so a computer in service in 2016 with a
threshold of 10 years crosses in 2027, when it turns 11.  Devices already over age are in today's
list, not here; devices of unknown age cannot be placed in a year and are counted apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from auditor.domain import Category
from auditor.procurement.document import DeviceAgeRow, Outlook, OutlookRow
from auditor.settings import Catalog

YEARS_AHEAD = 5
# The age pyramid of today's equipment: (label, above, up to) in years.
AGE_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("≤ 5", -math.inf, 5),
    ("5–7", 5, 7),
    ("7–10", 7, 10),
    ("10–13", 10, 13),
    ("> 13", 13, math.inf),
)


def crossing_year(age_years: float, threshold_years: float, this_year: int) -> int | None:
    """The first year after `this_year` in which a device of this age today is over the threshold;
    None if it is over already."""
    if age_years > threshold_years:
        return None
    return this_year + math.floor(threshold_years - age_years) + 1


def outlook(ages: Sequence[DeviceAgeRow], catalog: Catalog, this_year: int, years: int = YEARS_AHEAD) -> Outlook:
    """The devices that cross the threshold in each of the `years` after `this_year`, by unit and category."""
    span = tuple(range(this_year + 1, this_year + 1 + years))
    counts: dict[tuple[int, str, str, str], int] = {}
    unknown = 0
    for a in ages:
        if a.age_years is None or a.threshold_years is None:
            unknown += 1
            continue
        year = crossing_year(a.age_years, a.threshold_years, this_year)
        if year is None or year not in span:
            continue
        key = (year, a.unit_code or "", a.unit_name or a.unit_code or "", a.category or "")
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for (year, unit, name, category), devices in sorted(counts.items()):
        price = catalog.prices.get(Category(category)) if category else None
        rows.append(OutlookRow(year, unit, name, category, devices, price.vnd if price else None))
    return Outlook(span, tuple(rows), unknown)


def age_bucket(years: float | None) -> int | None:
    """The index in AGE_BUCKETS of an age; None for an unknown one."""
    if years is None:
        return None
    return next(i for i, (_, low, high) in enumerate(AGE_BUCKETS) if low < years <= high)


def age_pyramid(ages: Sequence[DeviceAgeRow]) -> list[int]:
    """How many devices in each of AGE_BUCKETS, then how many of unknown age."""
    counts = [0] * (len(AGE_BUCKETS) + 1)
    for a in ages:
        bucket = age_bucket(a.age_years)
        counts[len(AGE_BUCKETS) if bucket is None else bucket] += 1
    return counts
