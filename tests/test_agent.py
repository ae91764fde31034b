"""`auditor agent`: a real process on a short cadence, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from auditor.agent import next_tick
from auditor.db.engine import open_database
from auditor.db.models import DevicePoll, LinkSample
from auditor.lab.snmpsim import SnmpSimulator
from tests.conftest import Cli
from tests.links.test_sampling import register_link_router


@pytest.mark.parametrize(
    ("now", "interval", "tick"), [(0.0, 300, 300.0), (299.9, 300, 300.0), (300.0, 300, 600.0), (1_000.5, 60, 1_020.0)]
)
def test_ticks_fall_on_the_interval_grid(now: float, interval: float, tick: float) -> None:
    assert next_tick(now, interval) == tick


def test_agent_samples_polls_and_stops_cleanly(workdir: Path, sqlite_url: str, lab: SnmpSimulator) -> None:
    auditor = Cli(sqlite_url)
    auditor.ok("init")
    register_link_router(auditor, workdir, lab.port, [["XA-A", "TSLCD", "30", "xa-a-gw", "ether1", ""]])
    agent = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("auditor")),
            "agent",
            "--interval",
            "2",
            "--poll-every",
            "3",
            "--db",
            sqlite_url,
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        time.sleep(9)
    finally:
        agent.send_signal(signal.SIGTERM)
        _, err = agent.communicate(timeout=30)
    assert agent.returncode == 0, err
    assert "Agent started: links every 2 s, devices every 3 s." in err
    assert "Signal SIGTERM: stopping after the cycle under way." in err
    assert "(0 failed)." in err and "Traceback" not in err
    database = open_database(sqlite_url)
    with database.session(commit=False) as session:
        samples = session.scalar(select(func.count()).select_from(LinkSample))
        rated = session.scalar(select(func.count()).select_from(LinkSample).where(LinkSample.in_bps.is_not(None)))
        polls = session.scalar(select(func.count()).select_from(DevicePoll))
    database.close()
    assert samples is not None and samples >= 3 and rated is not None and rated >= 2
    assert polls is not None and polls >= 2
