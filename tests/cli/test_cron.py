"""What cron and a person at a terminal see: shared options before the command, --quiet that is
quiet, a log file that cannot be written, a sample in which no router answered, a dry run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor.config import load_settings
from auditor.lab.snmpsim import free_udp_port
from tests.conftest import Cli
from tests.register.test_import import write_csv


@pytest.fixture(autouse=True)
def _messages_in_english(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the import's messages in English (tests/register/test_messages.py reads
    them in Vietnamese, the default)."""
    monkeypatch.setenv("AUDITOR_LANG", "en")


def _auditor(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A separate process, as cron runs it."""
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, cwd=workdir, timeout=120
    )


def _units(auditor: Cli, workdir: Path, count: int = 1) -> None:
    rows = [["unit_code", "unit_name"], *([f"XA-{n}", f"Xã {n}"] for n in range(count))]
    write_csv(workdir / "units.csv", rows)
    auditor.ok("register", "import", "units.csv")


def test_shared_options_may_stand_before_the_command(auditor: Cli, workdir: Path) -> None:
    _units(auditor, workdir, 2)
    before = auditor("--db", auditor.db_url, "units", "list", "--format", "json", db=False)
    assert before.exit_code == 0 and '"XA-1"' in before.stdout
    nested = auditor("--db", auditor.db_url, "-v", "register", "import", "units.csv", db=False)
    assert nested.exit_code == 0 and "units    0 new, 0 updated, 2 unchanged" in nested.stdout
    # The command's own option wins over the one before it.
    wrong = auditor("--db", "sqlite:///elsewhere.db", "units", "list", "--db", auditor.db_url, db=False)
    assert wrong.exit_code == 0 and "XA-0" in wrong.stdout


def test_quiet_prints_nothing_and_the_log_file_has_it_all(auditor: Cli, workdir: Path) -> None:
    _units(auditor, workdir)
    done = _auditor(workdir, "audit", "--no-poll", "--quiet", "--log-file", "audit.log", "--db", auditor.db_url)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    logged = (workdir / "audit.log").read_text(encoding="utf-8")
    assert " INFO auditor.jobs.audit: audit " in logged and "retention:" in logged
    before = _auditor(workdir, "--quiet", "--log-file", "audit.log", "--db", auditor.db_url, "audit", "--no-poll")
    assert (before.returncode, before.stdout, before.stderr) == (0, "", "")
    # A listing's rows are its result, not a report: --quiet does not hide them.
    assert "XA-0" in _auditor(workdir, "--quiet", "--db", auditor.db_url, "units", "list").stdout


def test_a_log_file_that_cannot_be_written_is_a_usage_error(auditor: Cli, workdir: Path) -> None:
    (workdir / "a-file").write_text("", encoding="utf-8")
    for where, why in (("missing/audit.log", "No such file or directory"), ("a-file/audit.log", "Not a directory")):
        done = _auditor(workdir, "audit", "--no-poll", "--log-file", where, "--db", auditor.db_url)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert f"cannot write the log file {where}: {why}; create its directory or choose another" in done.stderr


def test_a_link_sample_in_which_no_router_answered_fails_in_one_line(auditor: Cli, workdir: Path) -> None:
    """Seven links whose routers never answer: exit 1, five notes and a count, or only the error
    when quiet (every note is in the log file)."""
    _units(auditor, workdir, 7)
    silent = free_udp_port("127.0.0.1")  # nothing listens there
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "snmp_port", "snmp_community"],
            *([f"XA-{n}", f"gw{n}", "127.0.0.1", str(silent), "public"] for n in range(7)),
        ],
    )
    write_csv(
        workdir / "links.csv",
        [["unit_code", "name", "capacity_mbps", "device"], *([f"XA-{n}", "TSLCD", "30", f"gw{n}"] for n in range(7))],
    )
    auditor.ok("register", "import", "devices.csv")
    auditor.ok("register", "import", "links.csv")
    flags = ("poll", "--links", "--timeout", "0.2", "--retries", "0", "--db", auditor.db_url)
    loud = _auditor(workdir, *flags)
    lines = loud.stderr.splitlines()
    assert loud.returncode == 1 and loud.stdout.startswith("Link sample (run ")
    assert [line.split(":")[0] for line in lines] == ["Note"] * 6 + ["Error"], loud.stderr
    assert lines[5] == "Note: … and 2 more (--log-file FILE keeps them all)"
    assert lines[6].startswith("Error: no router answered: none of the 7 links with a router could be read")
    quiet = _auditor(workdir, *flags, "--quiet", "--log-file", "links.log")
    assert quiet.returncode == 1 and quiet.stdout == "" and quiet.stderr.startswith("Error: no router answered")
    assert quiet.stderr.count("\n") == 1
    logged = (workdir / "links.log").read_text(encoding="utf-8")
    assert logged.count(" WARNING auditor.notes: XA-") == 7 and " ERROR auditor: no router answered" in logged


def test_a_dry_run_writes_nothing_not_even_the_errors_file(auditor: Cli, workdir: Path) -> None:
    write_csv(
        workdir / "units.csv", [["unit_code", "unit_name", "staff_count"], ["XA-A", "A", "12"], ["XA-B", "B", "x"]]
    )
    dry = auditor("register", "import", "units.csv", "--dry-run")
    assert dry.exit_code == 1 and "Dry run: nothing was written." in dry.stdout
    assert "Correct them and check again; add --errors FILE to get them in a file to correct." in dry.stderr
    assert not (workdir / "units.errors.csv").exists()
    asked = auditor("register", "import", "units.csv", "--dry-run", "--errors", "checked.csv")
    assert "Dry run: nothing was written but the errors file checked.csv." in asked.stdout
    assert (workdir / "checked.csv").exists() and not (workdir / "units.errors.csv").exists()
    assert auditor.ok("units", "list").stdout.strip() == "(none)"


def test_prune_help_gives_the_defaults_in_force(workdir: Path) -> None:
    retention = load_settings(environ={}).retention
    said = " ".join(Cli("unused").ok("prune", "--help", db=False).stdout.split())
    assert f"link_samples_raw_days (default {retention.link_samples_raw_days:g})" in said
    assert f"device_polls_days (default {retention.device_polls_days:g})" in said


def test_an_error_is_one_line_even_from_a_command_without_a_database(workdir: Path) -> None:
    """`register template` has no shared options, so no log handler: its error is still one line."""
    (workdir / "a-file").write_text("", encoding="utf-8")
    done = _auditor(workdir, "register", "template", "a-file/phieu.xlsx")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("Error: cannot write a-file/phieu.xlsx: ") and done.stderr.count("\n") == 1
