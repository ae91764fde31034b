"""The schema and its migrations, on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from auditor.db.engine import alembic_config, make_engine, open_database
from auditor.db.models import Base, Device, Link, LinkSample, Unit
from auditor.errors import SchemaMissing
from tests.conftest import Cli


def test_init_twice_is_a_no_op(db_url: str) -> None:
    cli = Cli(db_url)
    assert cli.ok("init").stdout.startswith("Created the inventory schema (revision 0008)")
    assert "is up to date (revision 0008); nothing to do." in cli.ok("init").stdout


def test_sqlite_file_is_private(workdir: Path) -> None:
    old = os.umask(0o022)
    try:
        Cli(f"sqlite:///{workdir / 'sub' / 'inventory.db'}").ok("init")
    finally:
        os.umask(old)
    assert stat.S_IMODE((workdir / "sub" / "inventory.db").stat().st_mode) == 0o600


def test_commands_before_init_say_to_run_init(workdir: Path, sqlite_url: str) -> None:
    result = Cli(sqlite_url)("devices", "list")
    assert result.exit_code == 1
    assert (
        result.stderr == f"Error: no database at {workdir / 'inventory.db'}; run `auditor init` first (or pass --db)\n"
    )
    assert not (workdir / "inventory.db").exists()


def test_a_database_without_the_schema_says_to_run_init(db_url: str) -> None:
    make_engine(db_url, create=True).dispose()
    with pytest.raises(SchemaMissing, match="has no auditor schema; run `auditor init`"):
        open_database(db_url)


def test_a_newer_schema_is_refused_and_left_alone(db_url: str) -> None:
    cli = Cli(db_url)
    cli.ok("init")
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    for args in (("devices", "list"), ("init",)):
        result = cli(*args)
        assert result.exit_code == 1
        assert (
            "is at schema revision 0099_future, which this auditor (0008) does not know: it was migrated "
            "by a newer auditor. Upgrade auditor; do not downgrade the database." in result.stderr
        )
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0099_future"
    engine.dispose()


def test_migrations_build_exactly_the_models(db_url: str) -> None:
    """`alembic upgrade head` yields the schema the models describe: autogenerate finds nothing to add."""
    engine = make_engine(db_url, create=True)
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert differences == []


def test_downgrade_to_nothing_and_back(db_url: str) -> None:
    engine = make_engine(db_url, create=True)
    config = alembic_config(engine)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is None
    command.upgrade(config, "head")
    engine.dispose()
    open_database(db_url).close()


@pytest.mark.parametrize("older", ["0001", "0002"])
def test_init_upgrades_an_older_schema_and_keeps_its_data(db_url: str, older: str) -> None:
    """From the first revision and from the previous one; devices keep their unit, and every device
    and link is due at once for the agents (no lease, no due time yet)."""
    engine = make_engine(db_url, create=True)
    command.upgrade(alembic_config(engine), older)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO unit (id, code, name, poller_group, created_at, updated_at) "
                "VALUES (1, 'XA-A', 'A', 'default', '2026-01-01', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO device (id, unit_id, hostname, status, registered, created_at, "
                "updated_at) VALUES (1, 1, 'gw', 'active', true, '2026-01-01', '2026-01-01')"
            )
        )
    engine.dispose()
    cli = Cli(db_url)
    with pytest.raises(SchemaMissing, match=rf"older schema \({older}\); run `auditor init`"):
        open_database(db_url)
    assert cli.ok("init").stdout.strip().endswith(f"from revision {older} to 0008.")
    (device,) = json.loads(cli.ok("devices", "list", "--format", "json").stdout)
    assert (device["unit_code"], device["hostname"]) == ("XA-A", "gw")
    database = open_database(db_url)
    with database.session(commit=False) as session:
        stored = session.query(Device).one()
        assert (stored.due_at, stored.lease_owner, stored.lease_expires) == (None, None, None)
    database.close()
    assert cli.ok("agents").stdout.strip() == "(none)"


def test_stored_values_come_back_exactly(db_url: str) -> None:
    """Aware UTC timestamps, and 64-bit counters above 2^63 (which a signed BIGINT cannot hold as such)."""
    Cli(db_url).ok("init")
    database = open_database(db_url)
    seen = dt.datetime(2026, 11, 21, 23, 59, 1, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with database.session() as session:
        unit = Unit(code="XA-A", name="A", created_at=seen, updated_at=seen)
        session.add(unit)
        session.flush()
        device = Device(unit_id=unit.id, hostname="gw", last_seen=seen, created_at=seen, updated_at=seen)
        link = Link(
            unit_id=unit.id, name="WAN", capacity_down_mbps=30, capacity_up_mbps=30, created_at=seen, updated_at=seen
        )
        session.add_all([device, link])
        session.flush()
        session.add(LinkSample(link_id=link.id, sampled_at=seen, in_octets=2**64 - 1, out_octets=2**63))
    with database.session(commit=False) as session:
        device = session.query(Device).one()
        sample = session.query(LinkSample).one()
        assert device.last_seen == seen and device.last_seen.tzinfo == dt.UTC
        assert (sample.in_octets, sample.out_octets) == (2**64 - 1, 2**63)
    database.close()
