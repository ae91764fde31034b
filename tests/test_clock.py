"""Every job takes its time as an argument: run at a chosen moment, far from today, the rows it
stores, the runs it records and the findings it opens carry that moment, and the rules judge by it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select

from auditor.config import load_settings
from auditor.db.engine import open_database
from auditor.db.models import Device, Run
from auditor.jobs.audit import nightly
from auditor.jobs.importing import import_register
from auditor.jobs.listings import devices, findings_of
from auditor.settings import PollOptions
from tests.conftest import Cli
from tests.register.test_import import write_csv

THEN = dt.datetime(2031, 7, 1, 18, 30, tzinfo=dt.UTC)  # 01:30 the next day in Vietnam


def _audit(db_url: str, now: dt.datetime, workdir: Path) -> dict[str, set[str]]:
    settings = load_settings(db_url=db_url, environ={})
    with open_database(db_url) as database:
        nightly(database, settings, now, poll_first=False, options=PollOptions(), scans_dir=workdir, export_dir=None)
        found: dict[str, set[str]] = {}
        for finding in findings_of(database):
            found.setdefault(finding.subject, set()).add(finding.kind.value)
            assert finding.last_detected == now
    return found


def test_jobs_run_at_the_time_they_are_given(auditor: Cli, workdir: Path) -> None:
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "A"]])
    write_csv(
        workdir / "devices.csv",
        [["unit_code", "hostname", "ip", "in_service_year"], ["XA-A", "gw", "127.0.0.1", "2021"]],
    )
    with open_database(auditor.db_url) as database:
        for name in ("units.csv", "devices.csv"):
            result = import_register(workdir / name, database, THEN, THEN.date())
            assert not result.errors
        (view,) = devices(database, THEN.date())
        with database.session(commit=False) as session:
            stamps = [(d.created_at, d.updated_at) for d in session.scalars(select(Device))]
            imports = [(r.started_at, r.finished_at) for r in session.scalars(select(Run))]
    assert stamps == [(THEN, THEN)]
    assert imports == [(THEN, THEN)] * 2
    assert (view.age_years, view.age_basis) == (10.0, "in service 2021")  # counted on 2031, not today

    # A registered device never seen is missing once rules.missing_days (30) have passed since it
    # was registered: judged by the time the audit is given, not by the machine's clock.
    assert "missing" not in _audit(auditor.db_url, THEN + dt.timedelta(days=29), workdir).get("gw", set())
    later = _audit(auditor.db_url, THEN + dt.timedelta(days=31), workdir)
    assert "missing" in later["gw"]
    with open_database(auditor.db_url) as database, database.session(commit=False) as session:
        audits = [r.started_at for r in session.scalars(select(Run).where(Run.kind == "audit").order_by(Run.id))]
    assert audits == [THEN + dt.timedelta(days=29), THEN + dt.timedelta(days=31)]


def test_a_step_of_the_clock_adds_to_the_offset_the_suite_runs_under(monkeypatch: Any) -> None:
    """A test that steps a child's clock 12 s must step it from where this process's clock is:
    under make test-future (+365d), "+12s" alone would move the child a year back."""
    from auditor.lab import future

    assert future.offset_seconds("+365d") == 365 * 86400
    assert future.offset_seconds("-120") == -120 and future.offset_seconds("+12s") == 12
    monkeypatch.delenv("FAKETIME", raising=False)
    assert future.stepped(12)["FAKETIME"] == "+12s"
    monkeypatch.setenv("FAKETIME", "+365d")
    assert future.stepped(12)["FAKETIME"] == f"+{365 * 86400 + 12}s"
