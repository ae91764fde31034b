"""What every job that records a run shares: the clock, the process it runs in, starting a run
(marking runs that died as interrupted first), and an agent's claim on what it polls."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Any

from auditor.db import claims, runs
from auditor.db.engine import Database
from auditor.domain import RunKind
from auditor.facts import RunOwner


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
