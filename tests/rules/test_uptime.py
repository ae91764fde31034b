"""Reboot detection on hand-made polls."""

from __future__ import annotations

import datetime as dt

import pytest

from auditor.rules.uptime import WRAP_S, rebooted

T0 = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)
FIVE_MIN = dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("previous", "now_uptime", "later", "came_up"),
    [
        (86_400, 86_700, FIVE_MIN, None),  # kept counting
        (86_400, 120, FIVE_MIN, T0 + FIVE_MIN - dt.timedelta(seconds=120)),  # restarted two minutes ago
        (int(WRAP_S) - 100, 200, FIVE_MIN, None),  # sysUpTime wrapped after ~497 days
        (int(WRAP_S) - 100, 5_000, FIVE_MIN, T0 + FIVE_MIN - dt.timedelta(seconds=5_000)),  # low, but not the wrap
        (None, 100, FIVE_MIN, None),  # first poll: nothing to compare
        (86_400, None, FIVE_MIN, None),  # no uptime this time
    ],
)
def test_reboots(
    previous: int | None, now_uptime: int | None, later: dt.timedelta, came_up: dt.datetime | None
) -> None:
    assert rebooted(previous, T0, now_uptime, T0 + later) == came_up
