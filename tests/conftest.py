"""Shared fixtures: a scratch directory, the CLI, and databases (SQLite file; throwaway PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from auditor.cli import cli
from auditor.errors import PostgresUnavailable
from auditor.lab.postgres import ExistingPostgres, PostgresServer, throwaway_postgres
from auditor.lab.snmpsim import SnmpSimulator, responder_command

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "register"
CORPUS = REPO.parent / "shared" / "snmp-corpus"
WIDE_CORPUS = REPO.parent / "shared" / "snmp-corpus-wide"
RECORDINGS = Path(__file__).resolve().parent / "snmp" / "recordings"
V3_USER, V3_AUTH, V3_PRIV = "auditor", "auth-secret-123", "priv-secret-456"
# Read now: `workdir` clears AUDITOR_* from the environment of each test.
EXISTING_POSTGRES = os.environ.get("AUDITOR_TEST_POSTGRES")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch working directory, with no AUDITOR_* variable leaking in from the caller."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("AUDITOR_"):
            monkeypatch.delenv(name)
    return tmp_path


@dataclass
class Cli:
    db_url: str

    def __call__(self, *args: str, db: bool = True, env: dict[str, str] | None = None) -> Result:
        argv = [*args, "--db", self.db_url] if db else list(args)
        return CliRunner().invoke(cli, argv, catch_exceptions=False, env=env)

    def ok(self, *args: str, db: bool = True, env: dict[str, str] | None = None) -> Result:
        result = self(*args, db=db, env=env)
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        return result


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | ExistingPostgres]:
    """A PostgreSQL server in a temporary directory on a Unix socket, for this test session only; or,
    when AUDITOR_TEST_POSTGRES names one (a URL allowed to create databases), that server."""
    if EXISTING_POSTGRES:
        yield ExistingPostgres(EXISTING_POSTGRES)
        return
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, workdir: Path) -> str:
    """An empty database URL: a SQLite file in the scratch directory, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{workdir / 'inventory.db'}"
    server: PostgresServer | ExistingPostgres = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def sqlite_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'inventory.db'}"


@pytest.fixture
def auditor(db_url: str) -> Cli:
    """The CLI bound to an initialised, empty database."""
    runner = Cli(db_url)
    runner.ok("init")
    return runner


@pytest.fixture(scope="session")
def lab() -> Iterator[SnmpSimulator]:
    """snmpsim serving tests/snmp/recordings on loopback: SNMPv1/v2c by community, SNMPv3 by context."""
    if responder_command() is None:
        pytest.skip("snmpsim is not installed (the lab extra)")
    v3 = (
        "--v3-user=" + V3_USER,
        "--v3-auth-key=" + V3_AUTH,
        "--v3-auth-proto=SHA",
        "--v3-priv-key=" + V3_PRIV,
        "--v3-priv-proto=AES",
    )
    with SnmpSimulator(RECORDINGS, probe_community="reboot-before", extra_args=v3) as agents:
        yield agents


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The corpus sweep first: the longest test, started while the other process runs the rest."""
    items.sort(key=lambda item: item.get_closest_marker("sweep") is None)


TALLY_KEY, SWEEP_KEY = "battery tally", "sweep table"


@pytest.fixture(autouse=True)
def _battery_share(request: pytest.FixtureRequest) -> Iterator[None]:
    """What this test added to the battery's tally, carried in its report to the summary."""
    from tests.battery.tally import TALLY

    before = TALLY.counts()
    yield
    share = tuple(now - then for now, then in zip(TALLY.counts(), before, strict=True))
    if any(share):
        request.node.user_properties.append((TALLY_KEY, share))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The corpus sweep's table (issue 15) and the hardening battery's one-line tally (issue 7),
    when they ran; each from the reports, which come back from the worker processes too."""
    from tests.battery.tally import Tally

    tally = Tally()
    tables = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", ()):
                if key == TALLY_KEY and report.when == "teardown":
                    tally.add(*value)
                elif key == SWEEP_KEY and report.when == "call":
                    tables.append(value)
    for table in tables:
        terminalreporter.write_sep("-", "corpus sweep: agreement with LibreNMS")
        terminalreporter.write_line(table.rstrip("\n"))
    if tally.tried:
        terminalreporter.write_line(tally.line())
