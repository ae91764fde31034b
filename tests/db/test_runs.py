"""A run whose process died (kill -9, a crash) is marked interrupted by the next run on that host."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess

from sqlalchemy import select

from auditor.db.engine import open_database
from auditor.db.models import Run
from auditor.domain import RunKind, RunOutcome
from auditor.jobs.runs import start_run
from tests.conftest import Cli

NOW = dt.datetime(2026, 3, 2, 1, 15, tzinfo=dt.UTC)
HERE = socket.gethostname()


def test_the_next_run_marks_a_dead_processs_run_interrupted(auditor: Cli) -> None:
    child = subprocess.Popen(["true"])
    child.wait()  # a pid that has surely ended
    database = open_database(auditor.db_url)
    with database.session() as session:
        session.add_all(
            [
                Run(kind=RunKind.POLL, outcome=RunOutcome.RUNNING, counts={}, host=HERE, pid=child.pid, started_at=NOW),
                Run(
                    kind=RunKind.POLL,
                    outcome=RunOutcome.RUNNING,
                    counts={},
                    host="another-host",
                    pid=child.pid,
                    started_at=NOW,
                ),
                Run(
                    kind=RunKind.AUDIT,
                    outcome=RunOutcome.RUNNING,
                    counts={},
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=NOW,
                ),
            ]
        )
    start_run(database, RunKind.SCAN, NOW)
    with database.session(commit=False) as session:
        runs = [
            (r.host == socket.gethostname(), r.pid, r.outcome, r.message)
            for r in session.scalars(select(Run).order_by(Run.id))
        ]
    database.close()
    dead, elsewhere, alive, new = runs
    assert dead[2] is RunOutcome.INTERRUPTED
    assert dead[3] == f"its process (pid {child.pid}) ended before the run did: killed or crashed"
    assert elsewhere[2] is RunOutcome.RUNNING  # another host's processes cannot be checked from here
    assert alive[2] is RunOutcome.RUNNING and new[:3] == (True, os.getpid(), RunOutcome.RUNNING)
