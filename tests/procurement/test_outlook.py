"""The five years ahead and the age pyramid, on hand-built devices worked out by hand."""

from __future__ import annotations

import pytest

from auditor.config import load_settings
from auditor.procurement.document import DeviceAgeRow
from auditor.procurement.outlook import age_pyramid, crossing_year, outlook

CATALOG = load_settings(environ={}).catalog


def device(unit: str, category: str, age: float | None, threshold: float = 10) -> DeviceAgeRow:
    return DeviceAgeRow(unit, f"Đơn vị {unit}", "TS", category, None, None, None, age, None, None, None, (), threshold)


@pytest.mark.parametrize(
    ("age", "threshold", "year"),
    [
        (10, 10, 2027),  # in service 2016: 11 in 2027, over 10
        (9, 10, 2028),
        (9.5, 10, 2027),  # 10.5 next year
        (6, 10, 2031),
        (10.2, 10, None),  # over already: in today's list
        (3, 8, 2032),  # a printer's own threshold
    ],
)
def test_the_year_a_device_crosses_the_threshold(age: float, threshold: float, year: int | None) -> None:
    assert crossing_year(age, threshold, 2026) == year


def test_five_years_by_unit_and_category_at_catalog_prices() -> None:
    ages = [
        device("XA-A", "desktop", 10),
        device("XA-A", "desktop", 9.9),
        device("XA-A", "printer", 7, threshold=8),  # crosses in 2028 at its own threshold
        device("XA-B", "desktop", 6),  # 2031
        device("XA-B", "desktop", 5),  # 2032: beyond the five years
        device("XA-B", "desktop", 12),  # over already
        device("XA-B", "printer", None),  # unknown: counted apart
    ]
    ahead = outlook(ages, CATALOG, 2026)
    assert ahead.years == (2027, 2028, 2029, 2030, 2031)
    assert [(r.year, r.unit_code, r.category, r.devices, r.amount_vnd) for r in ahead.rows] == [
        (2027, "XA-A", "desktop", 2, 40_000_000),
        (2028, "XA-A", "printer", 1, 13_000_000),
        (2031, "XA-B", "desktop", 1, 20_000_000),
    ]
    assert ahead.by_year() == {
        2027: (2, 40_000_000),
        2028: (1, 13_000_000),
        2029: (0, 0),
        2030: (0, 0),
        2031: (1, 20_000_000),
    }
    assert ahead.unknown_age == 1


def test_the_age_pyramid_brackets() -> None:
    ages = [device("X", "desktop", a) for a in (0, 5, 5.1, 7, 7.5, 10, 10.1, 13, 13.01, 30, None)]
    assert age_pyramid(ages) == [2, 2, 2, 2, 2, 1]  # ≤ 5, 5–7, 7–10, 10–13, > 13, unknown
