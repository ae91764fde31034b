"""`auditor agent`: real processes on a short cadence, stopped with SIGTERM or killed with SIGKILL;
several agents sharing one PostgreSQL database, one agent on SQLite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from auditor.db.engine import open_database
from auditor.db.models import Device, DevicePoll, LinkSample, Run, RunOutcome
from auditor.jobs.agent import next_tick
from auditor.lab.snmpsim import SnmpSimulator
from tests.conftest import Cli, PostgresServer
from tests.links.test_sampling import register_link_router
from tests.register.test_import import write_csv


@pytest.mark.parametrize(
    ("now", "interval", "tick"), [(0.0, 300, 300.0), (299.9, 300, 300.0), (300.0, 300, 600.0), (1_000.5, 60, 1_020.0)]
)
def test_ticks_fall_on_the_interval_grid(now: float, interval: float, tick: float) -> None:
    assert next_tick(now, interval) == tick


def test_agent_samples_polls_and_stops_cleanly(workdir: Path, sqlite_url: str, lab: SnmpSimulator) -> None:
    auditor = Cli(sqlite_url)
    auditor.ok("init")
    register_link_router(auditor, workdir, lab.port, [["XA-A", "TSLCD", "30", "xa-a-gw", "ether1", ""]])
    agent = start_agent(workdir, sqlite_url, "--name", "lab-1", "--interval", "2", "--poll-every", "3")
    try:
        time.sleep(9)
    finally:
        agent.send_signal(signal.SIGTERM)
        _, err = agent.communicate(timeout=30)
    assert agent.returncode == 0, err
    assert "Agent lab-1 started: links every 2 s, devices every 3 s, every group." in err
    assert "Signal SIGTERM: stopping after the batch under way." in err
    assert "(0 failed)." in err and "Traceback" not in err
    database = open_database(sqlite_url)
    with database.session(commit=False) as session:
        samples = session.scalar(select(func.count()).select_from(LinkSample))
        rated = session.scalar(select(func.count()).select_from(LinkSample).where(LinkSample.in_bps.is_not(None)))
        polls = session.scalar(select(func.count()).select_from(DevicePoll))
    database.close()
    assert samples is not None and samples >= 3 and rated is not None and rated >= 2
    assert polls is not None and polls >= 2
    (listed,) = json.loads(auditor.ok("agents", "--format", "json").stdout)
    assert (listed["name"], listed["state"], listed["poller_group"]) == ("lab-1", "stopped", "(all)")
    assert listed["links_done"] == 1 and listed["lag_s"] is not None and listed["lag_s"] >= 0


def start_agent(workdir: Path, db_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("auditor")), "agent", *args, "--db", db_url],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def register_slow_devices(auditor: Cli, workdir: Path, count: int) -> None:
    """`count` devices of group "tinh", each answering ping (loopback) but never SNMP (nothing
    listens on their port): every poll of one waits out its SNMP timeout, so a batch takes time."""
    write_csv(workdir / "units.csv", [["unit_code", "unit_name", "poller_group"], ["TINH", "Tỉnh", "tinh"]])
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "snmp_port", "snmp_community"],
            *(["TINH", f"d{i}", f"127.0.{40 + i // 200}.{1 + i % 200}", "9", "silent"] for i in range(count)),
        ],
    )
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "devices.csv")


def shared_inventory(workdir: Path, server: PostgresServer, devices: int) -> Cli:
    """A fresh PostgreSQL inventory with `devices` slow devices in group "tinh"."""
    auditor = Cli(server.new_database())
    auditor.ok("init")
    register_slow_devices(auditor, workdir, devices)
    return auditor


# Cycles every 2 s; devices are due once a week, so a test never spans two of their cycles.
SHARED = ("--group", "tinh", "--interval", "2", "--poll-every", "604800", "--timeout", "1", "--retries", "0")


def polls_by_device(db_url: str) -> dict[str, list[str | None]]:
    """hostname → the agents (from the poll's run) that stored a poll of it."""
    database = open_database(db_url)
    with database.session(commit=False) as session:
        rows = session.execute(
            select(Device.hostname, Run.agent)
            .join(DevicePoll, DevicePoll.device_id == Device.id)
            .join(Run, DevicePoll.run_id == Run.id)
        ).all()
    database.close()
    found: dict[str, list[str | None]] = {}
    for hostname, agent in rows:
        found.setdefault(hostname, []).append(agent)
    return found


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.2)


def not_due(db_url: str) -> int:
    database = open_database(db_url)
    with database.session(commit=False) as session:
        count = session.scalar(select(func.count()).select_from(Device).where(Device.due_at.is_not(None)))
    database.close()
    return count or 0


def stop(*agents: subprocess.Popen[str]) -> list[str]:
    for agent in agents:
        if agent.poll() is None:
            agent.send_signal(signal.SIGTERM)
    return [agent.communicate(timeout=60)[1] for agent in agents]


@pytest.mark.postgres
def test_two_agents_share_a_cycle_and_poll_each_device_once(workdir: Path, postgres_server: PostgresServer) -> None:
    auditor = shared_inventory(workdir, postgres_server, 80)
    db_url = auditor.db_url
    agents = [start_agent(workdir, db_url, "--name", name, "--batch", "8", *SHARED) for name in ("pg-1", "pg-2")]
    try:
        wait_for(lambda: not_due(db_url) == 80, 90, "both agents polled the 80 devices")
    finally:
        errors = stop(*agents)
    assert [a.returncode for a in agents] == [0, 0], errors
    polled = polls_by_device(db_url)
    assert sorted(polled) == sorted(f"d{i}" for i in range(80))
    assert {host: len(by) for host, by in polled.items() if len(by) != 1} == {}  # each exactly once
    shares = {name: sum(by == [name] for by in polled.values()) for name in ("pg-1", "pg-2")}
    assert shares["pg-1"] > 0 and shares["pg-2"] > 0 and sum(shares.values()) == 80
    listed = {a["name"]: a for a in json.loads(auditor.ok("agents", "--format", "json").stdout)}
    assert {name: (a["state"], a["poller_group"]) for name, a in listed.items()} == {
        "pg-1": ("stopped", "tinh"),
        "pg-2": ("stopped", "tinh"),
    }


@pytest.mark.postgres
def test_a_killed_agents_work_is_finished_by_the_other(workdir: Path, postgres_server: PostgresServer) -> None:
    auditor = shared_inventory(workdir, postgres_server, 40)
    db_url = auditor.db_url
    doomed = start_agent(workdir, db_url, "--name", "doomed", "--batch", "10", "--lease", "3", *SHARED)
    survivor = start_agent(workdir, db_url, "--name", "survivor", "--batch", "10", "--lease", "3", *SHARED)
    try:
        # a batch claimed and its run under way (not the instant between the claim and the run)
        wait_for(lambda: polling_now(db_url, "doomed"), 30, "the first agent is polling a claimed batch")
        doomed.kill()
        doomed.wait(timeout=10)
        orphaned = held_by(db_url, "doomed")  # claimed, never stored: what the survivor must take over
        wait_for(lambda: not_due(db_url) == 40, 90, "the survivor finished the cycle")
        rows = {a["name"]: a for a in json.loads(auditor.ok("agents", "--format", "json").stdout)}
    finally:
        errors = stop(survivor, doomed)
    assert survivor.returncode == 0, errors[0]
    assert orphaned > 0
    assert rows["doomed"]["state"] == "stale" and rows["survivor"]["state"] == "running"
    polled = polls_by_device(db_url)
    assert sorted(polled) == sorted(f"d{i}" for i in range(40))
    assert {host: by for host, by in polled.items() if len(by) != 1} == {}  # nothing twice, nothing lost
    assert sum(by == ["survivor"] for by in polled.values()) >= orphaned
    database = open_database(db_url)
    with database.session(commit=False) as session:  # the survivor's next run marked the killed one
        outcomes = [str(o) for o in session.scalars(select(Run.outcome).where(Run.agent == "doomed"))]
    database.close()
    assert outcomes.count("interrupted") == 1 and "running" not in outcomes


def polling_now(db_url: str, agent: str) -> bool:
    """Whether `agent` holds leases and has a poll run under way, seen in one snapshot."""
    database = open_database(db_url)
    with database.session(commit=False) as session:
        held = session.scalar(select(func.count()).select_from(Device).where(Device.lease_owner == agent))
        running = session.scalar(
            select(func.count()).select_from(Run).where(Run.agent == agent, Run.outcome == RunOutcome.RUNNING)
        )
    database.close()
    return bool(held) and bool(running)


def held_by(db_url: str, agent: str) -> int:
    database = open_database(db_url)
    with database.session(commit=False) as session:
        count = session.scalar(select(func.count()).select_from(Device).where(Device.lease_owner == agent))
    database.close()
    return count or 0


def test_sqlite_refuses_a_second_live_agent(workdir: Path, sqlite_url: str) -> None:
    auditor = Cli(sqlite_url)
    auditor.ok("init")
    first = start_agent(workdir, sqlite_url, "--name", "first", "--interval", "60")
    try:
        wait_for(lambda: '"first"' in auditor.ok("agents", "--format", "json").stdout, 30, "the first agent is up")
        second = start_agent(workdir, sqlite_url, "--name", "second", "--interval", "60")
        _, err = second.communicate(timeout=60)
    finally:
        stop(first)
    assert second.returncode == 1
    assert err.startswith("Error: SQLite serves one agent at a time, and agent 'first' on ")
    assert "move the inventory to PostgreSQL" in err and "Traceback" not in err
