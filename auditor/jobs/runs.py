"""What every job that records a run shares: the clock, the process it runs in, starting a run
(marking runs that died as interrupted first), and an agent's claim on what it polls."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.db import claims, runs
from auditor.db.engine import Database
from auditor.domain import RunKind
from auditor.facts import RunOwner

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


def this_process() -> RunOwner:
    return RunOwner(socket.gethostname(), os.getpid())


def process_alive(pid: int) -> bool:
    """Whether a process of this host is still running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def start_run(database: Database, kind: RunKind, now: dt.datetime, agent: str | None = None) -> int:
    """A run, committed at once (a run that dies still leaves its trace).  This host's runs left
    'running' by a process that is gone are marked interrupted first."""
    me = this_process()
    with database.session() as session:
        dead = [
            (run_id, pid)
            for run_id, pid in runs.running_on(session, me.host)
            if pid != me.pid and not process_alive(pid)
        ]
        runs.mark_interrupted(session, dead, now)
        return runs.start_run(session, kind, now, me, agent)


@dataclass(frozen=True)
class Claim:
    """An agent's claim on the items of a run: only those it still holds are stored, then they are
    due again at `due_at` (see db/claims.py)."""

    agent: str
    ids: tuple[int, ...]
    due_at: dt.datetime

    def settle(self, session: Any, kind: claims.Kind) -> set[int]:
        """The claimed items this agent still holds, done for the cycle in `session` (db/claims.py)."""
        return claims.settle(session, kind, self.agent, self.ids, self.due_at)
