"""Did a device restart between two polls?  Pure: both polls' uptimes and clocks come in.

An uptime lower than the last one means a reboot, except when it is sysUpTime wrapping: a
32-bit count of hundredths rolls over every 2^32 / 100 s (about 497 days), and a device whose
uptime is exactly where the wrap would put it has not rebooted.
"""

from __future__ import annotations

import datetime as dt

WRAP_S = 2**32 / 100  # 42,949,672.96 s


def rebooted(
    previous_uptime_s: int | None, previous_at: dt.datetime | None, uptime_s: int | None, now: dt.datetime
) -> dt.datetime | None:
    """When the device came back up, if it rebooted since the previous poll; else None."""
    if previous_uptime_s is None or previous_at is None or uptime_s is None:
        return None
    if uptime_s >= previous_uptime_s:
        return None
    elapsed = max(0.0, (now - previous_at).total_seconds())
    expected = previous_uptime_s + elapsed
    tolerance = max(120.0, elapsed * 0.01)  # polling jitter, and agents that count a little fast or slow
    if expected >= WRAP_S and abs((expected - WRAP_S) - uptime_s) <= tolerance:
        return None
    return now - dt.timedelta(seconds=uptime_s)
