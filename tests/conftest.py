"""Shared fixtures: a scratch directory, the CLI, and databases (SQLite file; throwaway PostgreSQL)."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from auditor.cli import cli
from auditor.lab.snmpsim import SnmpSimulator, responder_command

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "register"
CORPUS = REPO.parent / "shared" / "snmp-corpus"
RECORDINGS = Path(__file__).resolve().parent / "snmp" / "recordings"
V3_USER, V3_AUTH, V3_PRIV = "auditor", "auth-secret-123", "priv-secret-456"


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

    def __call__(self, *args: str, db: bool = True) -> Result:
        argv = [*args, "--db", self.db_url] if db else list(args)
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    def ok(self, *args: str, db: bool = True) -> Result:
        result = self(*args, db=db)
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        return result


# ---------------------------------------------------------------- PostgreSQL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    socket_dir: str
    port: int
    counter: itertools.count  # type: ignore[type-arg]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def new_database(self) -> str:
        name = f"auditor_test_{next(self.counter)}"
        subprocess.run(
            [
                "psql",
                "-q",
                "-h",
                self.socket_dir,
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                f"CREATE DATABASE {name}",
            ],
            check=True,
            capture_output=True,
        )
        return self.url(name)


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server in a temporary directory on a Unix socket, for this test session only."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed; .ci/run installs them")
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb refuses to run as root: run it as the postgres user
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        prefix = ["runuser", "-u", "postgres", "--"]
    base = tempfile.mkdtemp(prefix="auditor-pg-")
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data, port = os.path.join(base, "data"), _free_port()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"],
        check=True,
        capture_output=True,
    )
    options = f"-k {base} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            data,
            "-o",
            options,
            "-l",
            os.path.join(base, "log"),
            "-w",
            "-t",
            "30",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield PostgresServer(base, port, itertools.count(1))
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"], capture_output=True)
        for _ in range(50):
            if not os.path.exists(os.path.join(data, "postmaster.pid")):
                break
            time.sleep(0.1)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, workdir: Path) -> str:
    """An empty database URL: a SQLite file in the scratch directory, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{workdir / 'inventory.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
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
