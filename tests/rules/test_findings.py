"""The audit's rules on hand-built devices: which findings, with which evidence."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from auditor.config import RuleSettings
from auditor.domain import Category, FindingKind, Severity
from auditor.facts import Age, DeviceState
from auditor.rules.findings import device_findings

NOW = dt.datetime(2026, 11, 21, 20, 0, tzinfo=dt.UTC)
RULES = RuleSettings(unreachable_polls=3, reboots_per_week=3, missing_days=30)
FINE = DeviceState(
    device_id=7,
    unit_id=2,
    label="xa-a-pc1",
    category=Category.DESKTOP,
    registered=True,
    has_address=True,
    age=Age(5.0, "register", basis="in service 2021"),
    threshold_years=10,
    created_at=NOW - dt.timedelta(days=90),
    first_seen=NOW - dt.timedelta(days=80),
    last_seen=NOW - dt.timedelta(hours=1),
    recent_reachable=(True, True, True),
    reboots_7d=0,
)


def kinds(state: DeviceState) -> list[FindingKind]:
    return [f.kind for f in device_findings(state, NOW, RULES)]


def test_a_healthy_young_registered_device_has_no_findings() -> None:
    assert kinds(FINE) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"age": Age(12.0, "register", basis="in service 2014")}, [FindingKind.OVER_AGE]),
        (
            {"age": Age(17.0, "model_catalog", estimate=True, basis="model OptiPlex 380 released 2009")},
            [FindingKind.OVER_AGE],
        ),
        ({"age": None}, [FindingKind.UNKNOWN_AGE]),
        ({"age": Age(8.0, "os_lower_bound", lower_bound=True, basis="Windows build 7601")}, [FindingKind.UNKNOWN_AGE]),
        ({"recent_reachable": (True, False, False, False)}, [FindingKind.UNREACHABLE]),
        ({"recent_reachable": (False, False, True)}, []),  # it answered last time
        ({"recent_reachable": (False, False)}, []),  # two polls are not yet three
        ({"reboots_7d": 3}, [FindingKind.FREQUENT_REBOOTS]),
        ({"registered": False}, [FindingKind.UNREGISTERED]),
        ({"last_seen": NOW - dt.timedelta(days=31)}, [FindingKind.MISSING]),
        ({"last_seen": None, "first_seen": None}, [FindingKind.MISSING]),  # registered 90 days ago, never seen
        ({"last_seen": None, "has_address": False}, []),  # no address: nothing could have seen it
    ],
)
def test_each_rule(change: dict[str, object], expected: list[FindingKind]) -> None:
    assert kinds(replace(FINE, **change)) == expected  # type: ignore[arg-type]


def test_evidence_says_why() -> None:
    old = replace(
        FINE, age=Age(17.0, "model_catalog", estimate=True, basis="model OptiPlex 380 released 2009"), reboots_7d=4
    )
    over, reboots = device_findings(old, NOW, RULES)
    assert (over.kind, over.severity, over.subject, over.device_id, over.unit_id) == (
        FindingKind.OVER_AGE,
        Severity.WARNING,
        "xa-a-pc1",
        7,
        2,
    )
    assert over.evidence == {
        "age_years": 17.0,
        "threshold_years": 10,
        "source": "model_catalog",
        "basis": "model OptiPlex 380 released 2009",
        "estimate": True,
        "lower_bound": False,
    }
    assert reboots.evidence["reboots"] == 4 and "UPS" in reboots.evidence["suggestion"]
    (unknown,) = device_findings(replace(FINE, age=None), NOW, RULES)
    assert unknown.evidence["why"].startswith("no in-service date")
