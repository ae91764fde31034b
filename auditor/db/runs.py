"""Runs: one row per execution of a command that changes or observes the inventory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auditor.db.models import Run
from auditor.domain import RunKind, RunOutcome
from auditor.facts import RunOwner


def record_run(
    session: Session,
    kind: RunKind,
    outcome: RunOutcome,
    counts: dict[str, Any],
    now: dt.datetime,
    message: str | None = None,
    started_at: dt.datetime | None = None,
) -> Run:
    """A run that is over already (an import: one transaction from start to end)."""
    run = Run(kind=kind, outcome=outcome, counts=counts, message=message, started_at=started_at or now, finished_at=now)
    session.add(run)
    session.flush()
    return run


def start_run(session: Session, kind: RunKind, now: dt.datetime, owner: RunOwner, agent: str | None = None) -> int:
    """A Run row marked running, for its process on its host; commit it at once, so that a run that
    dies still leaves its trace."""
    run = Run(
        kind=kind, outcome=RunOutcome.RUNNING, counts={}, agent=agent, host=owner.host, pid=owner.pid, started_at=now
    )
    session.add(run)
    session.flush()
    return run.id


def running_on(session: Session, host: str) -> list[tuple[int, int]]:
    """(run id, pid) of the runs of `host` still marked running."""
    return [
        (run_id, pid or 0)
        for run_id, pid in session.execute(
            select(Run.id, Run.pid).where(Run.outcome == RunOutcome.RUNNING, Run.host == host, Run.pid.is_not(None))
        )
    ]


def mark_interrupted(session: Session, runs: Sequence[tuple[int, int]], now: dt.datetime) -> None:
    """These runs' processes ended before the runs did (kill -9, a crash, a power cut).  What they
    stored before is kept: each unit of work was its own transaction."""
    for run_id, pid in runs:
        run = session.get(Run, run_id)
        assert run is not None
        run.outcome, run.finished_at = RunOutcome.INTERRUPTED, now
        run.message = f"its process (pid {pid}) ended before the run did: killed or crashed"


def finish_run(
    session: Session,
    run_id: int,
    outcome: RunOutcome,
    counts: dict[str, Any],
    now: dt.datetime,
    message: str | None = None,
) -> None:
    run = session.get(Run, run_id)
    assert run is not None
    run.outcome, run.counts, run.message, run.finished_at = outcome, counts, message, now
