"""Claims, leases and heartbeats (db/claims.py) on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import pytest
from sqlalchemy import select

from auditor.db import claims
from auditor.db.engine import Database, open_database
from auditor.db.models import Device, Link, Unit
from auditor.errors import AgentConflict
from auditor.facts import AgentIdentity
from auditor.jobs.runs import process_alive
from tests.conftest import Cli

T0 = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)


STAMPED = {"created_at": T0, "updated_at": T0}  # rows are stamped by whoever writes them


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def me(name: str, group: str | None = "tinh", lease_s: float = 60, pid: int | None = None) -> AgentIdentity:
    return AgentIdentity(name=name, group=group, host="test-host", pid=pid or os.getpid(), lease_s=lease_s)


@pytest.fixture
def database(auditor: Cli) -> Database:
    """Two groups: unit TINH (group tinh) with 10 devices and 2 links, unit XA (group xa) with 3
    devices; and 2 devices nobody assigned (group default)."""
    db = open_database(auditor.db_url)
    with db.session() as session:
        tinh = Unit(code="TINH", name="Tỉnh", poller_group="tinh", **STAMPED)
        xa = Unit(code="XA", name="Xã", poller_group="xa", **STAMPED)
        session.add_all([tinh, xa])
        session.flush()
        session.add_all(Device(unit_id=tinh.id, hostname=f"t{i}", ip=f"127.0.9.{i}", **STAMPED) for i in range(1, 11))
        session.add_all(Device(unit_id=xa.id, hostname=f"x{i}", ip=f"127.0.8.{i}", **STAMPED) for i in range(1, 4))
        session.add_all(Device(unit_id=None, ip=f"127.0.7.{i}", **STAMPED) for i in range(1, 3))
        session.add(Device(unit_id=tinh.id, hostname="no-address", **STAMPED))  # nothing to poll
        session.add_all(
            Link(unit_id=tinh.id, name=f"WAN{i}", capacity_down_mbps=30, capacity_up_mbps=30, **STAMPED) for i in (1, 2)
        )
    yield db
    db.close()


def claim(db: Database, name: str, now: float, *, group: str | None = "tinh", limit: int = 100, lease_s: float = 60):
    with db.session() as session:
        return claims.claim(
            session, "device", name, group=group, due_by=at(now), now=at(now), lease_s=lease_s, limit=limit
        )


def test_claims_never_overlap_and_cover_the_group(database: Database) -> None:
    first = claim(database, "a", 0, limit=4)
    second = claim(database, "b", 0, limit=4)
    third = claim(database, "a", 0, limit=4)
    assert len(first) == 4 and len(second) == 4 and len(third) == 2
    assert not set(first) & set(second) and not set(third) & (set(first) | set(second))
    with database.session(commit=False) as session:
        tinh = set(session.scalars(select(Device.id).join(Unit).where(Unit.code == "TINH", Device.ip.is_not(None))))
    assert set(first) | set(second) | set(third) == tinh
    assert claim(database, "b", 1) == []  # all held


def test_devices_without_a_unit_are_in_the_default_group(database: Database) -> None:
    assert len(claim(database, "a", 0, group="default")) == 2
    assert len(claim(database, "b", 0, group="xa")) == 3
    assert len(claim(database, "c", 0, group=None)) == 10  # every group: what is left


def test_an_expired_lease_is_taken_over_and_the_late_results_are_refused(database: Database) -> None:
    held = claim(database, "dead", 0, lease_s=30)
    assert claim(database, "alive", 29) == []  # still leased
    taken = claim(database, "alive", 31)
    assert sorted(taken) == sorted(held)
    with database.session() as session:  # the first agent comes back with its results: too late
        assert claims.still_held(session, "device", "dead", held) == set()
        assert claims.still_held(session, "device", "alive", taken) == set(taken)
        claims.complete(session, "device", "alive", taken, at(3600))
    assert claim(database, "other", 60) == []  # done for this cycle: due again in an hour
    assert len(claim(database, "other", 3600)) == 10


def test_a_heartbeat_keeps_leases_alive(database: Database) -> None:
    with database.session() as session:
        claims.register_agent(session, me("a", lease_s=30), at(0), process_alive)
    held = claim(database, "a", 0, lease_s=30)
    with database.session() as session:
        assert claims.heartbeat(session, "a", at(25), 30) == len(held)
    assert claim(database, "b", 40) == []  # renewed until 55 s
    assert len(claim(database, "b", 56)) == len(held)


def test_items_done_during_a_cycle_wait_for_the_next(database: Database) -> None:
    """`due_by` is the cycle's start: an item due again a moment later is left to the next cycle."""
    ids = claim(database, "a", 0)
    with database.session() as session:
        claims.complete(session, "device", "a", ids, at(10))
    with database.session() as session:
        later = claims.claim(session, "device", "a", group="tinh", due_by=at(5), now=at(20), lease_s=60, limit=100)
    assert later == []


def test_stopping_gives_the_leases_back(database: Database) -> None:
    with database.session() as session:
        claims.register_agent(session, me("a"), at(0), process_alive)
    held = claim(database, "a", 0)
    with database.session() as session:
        claims.stop_agent(session, "a", at(1))
    assert sorted(claim(database, "b", 2)) == sorted(held)
    with database.session(commit=False) as session:
        (view,) = claims.list_agents(session, at(3))
    assert (view.name, view.state, view.poller_group) == ("a", "stopped", "tinh")


def test_a_live_name_is_refused_and_a_dead_one_is_taken_over(database: Database) -> None:
    """Two agents under one name would share leases: refused, unless the old one's process is gone."""
    with database.session() as session:
        claims.register_agent(session, me("a"), at(0), process_alive)
    refused = r"agent 'a' on test-host \(pid \d+, last heartbeat 5 s ago\) is already running under this name"
    with pytest.raises(AgentConflict, match=refused), database.session() as session:
        claims.register_agent(session, me("a", pid=os.getpid() + 1, lease_s=60), at(5), process_alive)
    with database.session() as session:
        claims.stop_agent(session, "a", at(5))  # (on SQLite a live "a" would refuse any other agent)
    dead = me("b", pid=_dead_pid())
    with database.session() as session:
        claims.register_agent(session, dead, at(0), process_alive)
    held = claim(database, "b", 0)
    with database.session() as session:  # same host, its process is gone: the restart takes its place
        claims.register_agent(session, me("b", pid=os.getpid()), at(1), process_alive)
    assert sorted(claim(database, "c", 2)) == sorted(held)  # and its leases were given back


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_sqlite_serves_one_agent(database: Database) -> None:
    with database.session() as session:
        claims.register_agent(session, me("a"), at(0), process_alive)
    second = me("b")
    if database.engine.dialect.name == "sqlite":
        refused = "SQLite serves one agent at a time, and agent 'a' on test-host"
        with pytest.raises(AgentConflict, match=refused), database.session() as session:
            claims.register_agent(session, second, at(10), process_alive)
        with database.session() as session:  # once the first is stale (no heartbeat for a lease), it may
            claims.register_agent(session, second, at(61), process_alive)
    else:
        with database.session() as session:
            claims.register_agent(session, second, at(10), process_alive)
    with database.session(commit=False) as session:
        states = {v.name: v.state for v in claims.list_agents(session, at(62))}
    assert states == {"a": "stale", "b": "running"}
