"""Age from the best evidence, and what the over-age rule makes of each kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from auditor.facts import Age
from auditor.i18n import texts
from auditor.rules.age import basis_text, device_age, doubt_text, model_release, over_age, parse_age_catalog

TODAY = dt.date(2026, 11, 21)
CATALOG = parse_age_catalog("""
[models]
"OptiPlex 380" = 2009
"OptiPlex 3020" = 2014
"WS-C2960X" = 2013
[windows_last_sold]
7601 = 2016
2600 = 2010
""")
WIN7 = "Hardware: Intel64 Family 6 - Software: Windows Version 6.1 (Build 7601 Multiprocessor Free)"


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (
            {"in_service_on": dt.date(2015, 1, 1), "in_service_precision": "year"},
            Age(11.0, "register", basis="in service 2015"),
        ),
        (
            {"in_service_on": dt.date(2015, 3, 15), "in_service_precision": "day"},
            Age(11.7, "register", basis="in service 2015-03-15"),
        ),
        ({"manufactured_on": dt.date(2011, 10, 13)}, Age(15.1, "entity_mib", basis="manufactured 2011-10-13")),
        (
            {"model": "OptiPlex 380"},
            Age(17.0, "model_catalog", estimate=True, basis="model OptiPlex 380 released 2009"),
        ),
        (
            {"model": "optiplex-3020 MT"},
            Age(12.0, "model_catalog", estimate=True, basis="model optiplex-3020 MT released 2014"),
        ),
        (
            {"model": "WS-C2960X-48FPS-L"},
            Age(13.0, "model_catalog", estimate=True, basis="model WS-C2960X-48FPS-L released 2013"),
        ),
        (
            {"sys_descr": WIN7},
            Age(
                10.0, "os_lower_bound", lower_bound=True, basis="Windows build 7601, last sold on new computers in 2016"
            ),
        ),
        ({"model": "Máy lạ", "sys_descr": "Linux box 6.1"}, None),
        ({}, None),
    ],
)
def test_age_from_the_best_evidence(evidence: dict[str, object], expected: Age | None) -> None:
    assert device_age(TODAY, catalog=CATALOG, **evidence) == expected  # type: ignore[arg-type]


def test_the_register_wins_over_what_the_device_says() -> None:
    age = device_age(TODAY, dt.date(2020, 1, 1), "year", dt.date(2011, 1, 1), "OptiPlex 380", WIN7, CATALOG)
    assert age is not None and (age.source, age.years) == ("register", 6.0)


@pytest.mark.parametrize(
    ("age", "verdict"),
    [
        (Age(11.0, "register"), True),
        (Age(10.0, "register"), False),  # "over 10 years": ten is not over
        (Age(17.0, "model_catalog", estimate=True), True),
        (Age(12.0, "os_lower_bound", lower_bound=True), True),  # at least 12: certainly over 10
        (Age(8.0, "os_lower_bound", lower_bound=True), None),  # at least 8: cannot tell
        (None, None),  # no evidence: listed for verification, never young
    ],
)
def test_over_age(age: Age | None, verdict: bool | None) -> None:
    assert over_age(age, 10) is verdict


def test_model_match_prefers_the_longest_key() -> None:
    catalog = parse_age_catalog('[models]\n"OptiPlex" = 2000\n"OptiPlex 3020" = 2014\n')
    assert model_release("OptiPlex 3020 SFF", catalog) == ("optiplex 3020", 2014)
    assert model_release(None, catalog) is None


@pytest.mark.parametrize(
    ("evidence", "english", "vietnamese"),
    [
        (
            {"in_service_on": dt.date(2015, 1, 1), "in_service_precision": "year"},
            "in service 2015",
            "đưa vào sử dụng 2015",
        ),
        ({"in_service_on": dt.date(2015, 3, 15)}, "in service 2015-03-15", "đưa vào sử dụng 2015-03-15"),
        ({"manufactured_on": dt.date(2011, 10, 13)}, "manufactured 2011-10-13", "sản xuất 2011-10-13"),
        ({"model": "OptiPlex 380"}, "model OptiPlex 380 released 2009", "model OptiPlex 380 ra mắt năm 2009"),
        (
            {"sys_descr": WIN7},
            "Windows build 7601, last sold on new computers in 2016",
            "Windows build 7601, ngừng bán kèm máy mới từ năm 2016",
        ),
    ],
)
def test_the_basis_in_both_languages(evidence: dict[str, Any], english: str, vietnamese: str) -> None:
    age = device_age(TODAY, catalog=CATALOG, **evidence)
    assert age is not None and age.basis == english
    assert basis_text(age.source, age.evidence, texts("en")) == english
    assert basis_text(age.source, age.evidence, texts("vi")) == vietnamese


def test_a_register_year_before_the_models_release_is_not_believed() -> None:
    """A 2009 "OptiPlex 3020" (released 2014) would drive a replacement it cannot deserve: the
    age is counted from the model's release, and the date is to verify."""
    age = device_age(TODAY, dt.date(2009, 1, 1), "year", None, "OptiPlex 3020", None, CATALOG)
    assert age is not None
    assert (age.source, age.years, age.estimate) == ("model_catalog", 12.0, True)
    assert age.doubt == "the register says in service 2009, before model OptiPlex 3020 was released in 2014"
    vi = texts("vi")
    assert doubt_text(age, vi) == "sổ ghi đưa vào sử dụng từ 2009, trước khi model OptiPlex 3020 ra đời (2014)"


def test_a_register_date_after_the_device_was_first_seen_is_not_believed() -> None:
    age = device_age(
        TODAY, dt.date(2024, 1, 1), "year", None, "OptiPlex 3020", None, CATALOG, first_seen=dt.date(2019, 5, 6)
    )
    assert age is not None
    assert (age.source, age.years, age.lower_bound) == ("first_seen", 7.5, True)
    assert age.doubt == "the register says in service 2024, but the device was on the network on 2019-05-06"


def test_a_plausible_register_date_is_taken_as_it_is() -> None:
    age = device_age(
        TODAY, dt.date(2016, 1, 1), "year", None, "OptiPlex 3020", None, CATALOG, first_seen=dt.date(2016, 8, 1)
    )
    assert age is not None and (age.source, age.years, age.doubt) == ("register", 10.0, "")
