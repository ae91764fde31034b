"""Every time a person reads is the Office's local time, to the minute; the database keeps UTC."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from sqlalchemy import select

from auditor.db.engine import open_database
from auditor.db.models import Finding
from tests.conftest import Cli
from tests.procurement.test_workbook import _province


def test_findings_are_listed_in_local_time_and_stored_in_utc(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    before = dt.datetime.now(dt.UTC)
    auditor.ok("audit", "--no-poll")
    listed = json.loads(auditor.ok("findings", "--format", "json").stdout)
    first = listed[0]["first_detected"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d\+07:00", first)  # Vietnam, to the minute
    shown = dt.datetime.fromisoformat(first)
    assert abs(shown - before.replace(second=0, microsecond=0)) <= dt.timedelta(minutes=2)
    table = auditor.ok("findings").stdout
    assert f"{shown:%Y-%m-%d %H:%M}" in table
    utc = json.loads(auditor.ok("findings", "--format", "json", env={"AUDITOR_TIMEZONE": "UTC"}).stdout)
    assert utc[0]["first_detected"].endswith("+00:00")
    database = open_database(auditor.db_url)
    with database.session(commit=False) as session:
        stored = session.scalars(select(Finding.first_detected)).first()
    database.close()
    assert stored is not None and (stored.utcoffset() in (None, dt.timedelta(0)))  # storage stays UTC
