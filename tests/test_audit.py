"""`auditor audit` and `auditor findings`: rules applied to a real database, findings with a life."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from auditor.db.claims import held_alone
from auditor.db.engine import make_engine, open_database
from auditor.db.models import Run
from auditor.db.observations import poll_targets
from auditor.facts import HostObservation
from auditor.files import exclusive
from auditor.jobs.audit import AUDIT_LOCK
from auditor.jobs.poll import record_observations
from auditor.lab.postgres import PostgresServer
from tests.conftest import Cli
from tests.register.test_import import write_csv

YEAR = dt.date.today().year  # young devices' years are counted back from the day the test runs


def _register(auditor: Cli, workdir: Path, pc_year: str = "2010") -> None:
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "Đảng ủy xã A"]])
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "asset_tag", "category", "in_service_year"],
            ["XA-A", "old-pc", "", "TS-1", "Máy vi tính để bàn", pc_year],
            ["XA-A", "new-pc", "", "TS-2", "Máy vi tính để bàn", str(YEAR - 2)],
            ["XA-A", "mystery", "", "TS-3", "Máy in", ""],
        ],
    )
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "devices.csv")


def _findings(auditor: Cli, *args: str) -> list[dict[str, object]]:
    return json.loads(auditor.ok("findings", "--format", "json", *args).stdout)  # type: ignore[no-any-return]


def test_findings_open_stay_open_and_resolve(auditor: Cli, workdir: Path) -> None:
    _register(auditor, workdir)
    first = auditor.ok("audit", "--no-poll").stdout
    assert "open findings: over_age 1, unknown_age 1" in first and "new 2, still open 0, resolved 0" in first
    over = _findings(auditor, "--kind", "over_age")
    assert [(f["subject"], f["unit_code"], f["severity"]) for f in over] == [("old-pc", "XA-A", "warning")]
    assert over[0]["evidence"] == {
        "age_years": float(dt.date.today().year - 2010),
        "threshold_years": 10.0,
        "source": "register",
        "basis": "in service 2010",
        "estimate": False,
        "lower_bound": False,
    }
    (as_csv,) = csv.DictReader(io.StringIO(auditor.ok("findings", "--kind", "over_age", "--format", "csv").stdout))
    assert json.loads(as_csv["evidence"]) == over[0]["evidence"]  # a CSV cell holds the evidence as JSON
    assert "new 0, still open 2, resolved 0" in auditor.ok("audit", "--no-poll").stdout

    # The clerk corrects the year: the condition clears, the finding is resolved, not deleted.
    write_csv(workdir / "fix.csv", [["asset_tag", "unit_code", "in_service_year"], ["TS-1", "XA-A", str(YEAR - 4)]])
    auditor.ok("register", "import", "fix.csv")
    assert "new 0, still open 1, resolved 1" in auditor.ok("audit", "--no-poll").stdout
    assert _findings(auditor, "--kind", "over_age") == []
    (resolved,) = _findings(auditor, "--kind", "over_age", "--all")
    assert resolved["resolved_at"] is not None and resolved["subject"] == "old-pc"


def test_unreachable_and_reboots_come_from_the_stored_polls(auditor: Cli, workdir: Path) -> None:
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "A"]])
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "in_service_year"],
            ["XA-A", "gw", "127.0.0.1", str(YEAR - 4)],
            ["XA-A", "sw", "127.0.0.2", str(YEAR - 4)],
        ],
    )
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "devices.csv")
    database = open_database(auditor.db_url)
    now = dt.datetime.now(dt.UTC)
    with database.session() as session:
        ids = {t.address: t.device_id for t in poll_targets(session)}
    # Three polls: gw never answers; sw answers, restarting before each of the last two.
    for i, uptime in enumerate((500_000, 60, 30)):  # 500,000 s, then 60, then 30: two restarts
        at = now - dt.timedelta(hours=3 - i)
        record_observations(
            database,
            [
                HostObservation("127.0.0.1", at, device_id=ids["127.0.0.1"], alive=False),
                HostObservation("127.0.0.2", at, device_id=ids["127.0.0.2"], alive=True, snmp_ok=True, uptime_s=uptime),
            ],
            at,
        )
    database.close()
    (workdir / "auditor.toml").write_text("[rules]\nreboots_per_week = 2\n", encoding="utf-8")
    assert "frequent_reboots 1" in auditor.ok("audit", "--no-poll", "--config", "auditor.toml").stdout
    found = {(f["kind"], f["subject"]) for f in _findings(auditor)}
    assert ("unreachable", "gw") in found and ("frequent_reboots", "sw") in found
    assert ("unreachable", "sw") not in found


def test_quiet_fail_on_and_log_file(auditor: Cli, workdir: Path) -> None:
    _register(auditor, workdir)
    quiet = auditor("audit", "--no-poll", "--quiet", "--log-file", "audit.log")
    assert (quiet.exit_code, quiet.stdout) == (0, "")
    assert "new findings" in (workdir / "audit.log").read_text(encoding="utf-8")
    failing = auditor("audit", "--no-poll", "--quiet", "--fail-on", "over_age", "--fail-on", "missing")
    assert failing.exit_code == 3 and failing.stdout == "" and failing.stderr == "Failing on: over_age 1\n"
    assert auditor("audit", "--no-poll", "--quiet", "--fail-on", "missing").exit_code == 0


def _second_audit(workdir: Path, db_url: str) -> subprocess.CompletedProcess[str]:
    """An audit started while another holds the lock: it may wait half a second."""
    return subprocess.run(
        [sys.executable, "-m", "auditor", "audit", "--no-poll", "--lock-wait", "0.5", "--db", db_url],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=60,
    )


def test_a_second_audit_waits_then_gives_up(workdir: Path, sqlite_url: str) -> None:
    Cli(sqlite_url).ok("init")
    with exclusive(workdir / "inventory.db.audit.lock", 0, "a test"):
        second = _second_audit(workdir, sqlite_url)
    assert second.returncode == 1
    assert second.stderr.startswith("Error: `auditor audit` is already running (pid ")
    assert "waited 0.5 s and gave up. Nothing was changed." in second.stderr
    assert Cli(sqlite_url)("audit", "--no-poll").exit_code == 0  # the lock went with its holder


@pytest.mark.postgres
def test_overlapping_audits_on_postgresql_wait_then_give_up(workdir: Path, postgres_server: PostgresServer) -> None:
    """On PostgreSQL the lock is the server's: it holds for audits started on any machine."""
    url = postgres_server.new_database()
    Cli(url).ok("init")
    engine = make_engine(url)
    try:
        with held_alone(engine, AUDIT_LOCK, 0, "a test"):
            second = _second_audit(workdir, url)
        with engine.connect() as connection:
            runs = connection.scalar(select(func.count()).select_from(Run))
    finally:
        engine.dispose()
    assert second.returncode == 1
    assert second.stderr.startswith("Error: `auditor audit` is already running on this database")
    assert "waited 0.5 s and gave up. Nothing was changed." in second.stderr
    assert runs == 0 and list(workdir.glob("*.lock")) == []
    assert Cli(url)("audit", "--no-poll").exit_code == 0  # the lock went with its holder's connection


def test_the_nightly_audit_writes_the_workbook_under_the_date(auditor: Cli, workdir: Path) -> None:
    _register(auditor, workdir)
    out = auditor.ok("audit", "--no-poll", "--export", "reports").stdout
    (written,) = (workdir / "reports").glob("*/danh-muc-de-xuat.xlsx")
    assert f"workbook: {Path('reports') / written.parent.name / 'danh-muc-de-xuat.xlsx'}" in out
    assert dt.date.fromisoformat(written.parent.name)  # the folder is the day (in the province's time zone)
    assert not list((workdir / "reports").rglob("*.part"))  # written whole, under a temporary name first
