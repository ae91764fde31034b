"""A throwaway PostgreSQL server in a temporary directory, on a Unix socket only: for the test suite
and the benchmarks (Debian's `postgresql` binaries, `initdb` and `pg_ctl`)."""

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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from auditor.db.engine import create_postgres_database
from auditor.errors import PostgresUnavailable


@dataclass
class PostgresServer:
    socket_dir: str
    port: int
    psql: str
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def _psql(self) -> list[str]:
        return [self.psql, "-q", "-h", self.socket_dir, "-p", str(self.port), "-U", "postgres", "-d", "postgres"]

    def new_database(self, prefix: str = "auditor_test") -> str:
        """A fresh, empty database on this server; its SQLAlchemy URL."""
        name = f"{prefix}_{next(self.counter)}"
        subprocess.run(
            [*self._psql(), "-c", f"CREATE DATABASE {name}"],
            check=True,
            capture_output=True,
        )
        return self.url(name)


@dataclass
class ExistingPostgres:
    """A server someone else runs (`admin_url` may create databases): the tests' databases go there."""

    admin_url: str
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_database(self, prefix: str = "auditor_test") -> str:
        return create_postgres_database(self.admin_url, f"{prefix}_{os.getpid()}_{next(self.counter)}")


def server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextmanager
def throwaway_postgres(options: str = "-c fsync=off -c full_page_writes=off") -> Iterator[PostgresServer]:
    """Start a server for the duration of the block, then stop it and delete its files.

    Raises PostgresUnavailable when the binaries are missing, or when running as root without a
    `postgres` user (initdb refuses to run as root).
    """
    bindir = server_binaries()
    psql = shutil.which("psql") or (str(bindir / "psql") if bindir and (bindir / "psql").exists() else None)
    if bindir is None or psql is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl, psql) are not installed; .ci/run installs them"
        )
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server as") from exc
        prefix = ["runuser", "-u", "postgres", "--"]
    base = tempfile.mkdtemp(prefix="auditor-pg-")
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data = os.path.join(base, "data")
    port = _free_port()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"],
        check=True,
        capture_output=True,
    )
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", data]
    server_options = f"-k {base} -p {port} -c listen_addresses='' {options}"
    subprocess.run(
        [*pg_ctl, "-o", server_options, "-l", os.path.join(base, "log"), "-w", "-t", "30", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield PostgresServer(base, port, psql)
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        for _ in range(50):
            if not os.path.exists(os.path.join(data, "postmaster.pid")):
                break
            time.sleep(0.1)
        shutil.rmtree(base, ignore_errors=True)


def _free_port() -> int:
    """A port number nobody uses now (the server listens only on a Unix socket named after it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
