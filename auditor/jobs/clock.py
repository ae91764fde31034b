"""A run's clock.  Its own room, importing nothing of the database: worker processes unpickle it,
and a worker that imported the database layer to read the time would start a second later."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], dt.datetime]


def system_now() -> dt.datetime:
    """The machine's clock, in UTC: what the CLI hands every job as `now`."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RunClock:
    """A clock that reads `start` when the run begins and moves on with the monotonic clock: a job
    given a time keeps it, and a step of the wall clock during a run does not bend its stamps.
    The monotonic clock is the machine's, so a worker process given this clock reads the same."""

    start: dt.datetime
    monotonic_start: float

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.monotonic_start)


def clock_from(now: dt.datetime) -> RunClock:
    return RunClock(now, time.monotonic())
