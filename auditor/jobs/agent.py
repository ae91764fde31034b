"""`auditor agent`: the long-running loop that samples links every 5 minutes and polls devices on
their own, slower cadence.  Several agents may serve one poller group on PostgreSQL: each claims
due work in batches with short leases (db/claims.py) and keeps them alive with a heartbeat.  One
cycle's failure is logged and the next cycle runs; SIGTERM or SIGINT ends the loop after the
batch under way (what is left stays due, for another agent or the next start), so a sample is
never left half stored."""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from auditor.db import claims
from auditor.db.engine import Database, open_database
from auditor.errors import AuditorError
from auditor.facts import AgentIdentity
from auditor.jobs.clock import Clock, system_now
from auditor.jobs.notify import notify_failures, notify_state
from auditor.jobs.poll import poll
from auditor.jobs.runs import Claim, process_alive
from auditor.jobs.sample import sample_links
from auditor.settings import PollOptions, Settings

log = logging.getLogger(__name__)


def next_tick(now: float, interval_s: float) -> float:
    """The next moment on the interval's grid (every 300 s: :00, :05, :10 …), strictly after `now`."""
    return (math.floor(now / interval_s) + 1) * interval_s


@dataclass
class AgentReport:
    cycles: int = 0
    link_samples: int = 0
    device_polls: int = 0
    failed_cycles: int = 0


def _moment(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


class _Heartbeat(threading.Thread):
    """Tells the database this agent is alive, and renews its leases, every third of a lease."""

    def __init__(self, database: Database, me: AgentIdentity, clock: Clock) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.database, self.me, self.clock, self.done = database, me, clock, threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.me.lease_s / 3):
            try:
                with self.database.session() as session:
                    claims.heartbeat(session, self.me.name, self.clock(), self.me.lease_s)
            except (AuditorError, OSError) as exc:
                log.warning("heartbeat failed: %s; trying again in %.0f s", exc, self.me.lease_s / 3)


def _drain(
    database: Database,
    me: AgentIdentity,
    kind: claims.Kind,
    *,
    clock: Clock,
    unit_code: str | None,
    due_by: dt.datetime,
    due_at: dt.datetime,
    batch: int,
    run: Callable[[Claim], int],
    stop: threading.Event,
) -> int:
    """Claim due items a batch at a time and hand each batch to `run`, until none is left or `stop`
    is set; how many items `run` stored.  A batch that fails is given back at once, for another
    agent or the next cycle."""
    done = 0
    while not stop.is_set():
        with database.session() as session:
            ids = claims.claim(
                session,
                kind,
                me.name,
                group=me.group,
                unit_code=unit_code,
                due_by=due_by,
                now=clock(),
                lease_s=me.lease_s,
                limit=batch,
            )
        if not ids:
            break
        try:
            done += run(Claim(me.name, tuple(ids), due_at))
        except BaseException:
            with database.session() as session:
                claims.release(session, me.name, kind, ids)
            raise
    return done


def agent_identity(settings: Settings, name: str | None, group: str | None, lease_s: float | None) -> AgentIdentity:
    host = socket.gethostname()
    return AgentIdentity(
        name=name or settings.agent.name or host,
        group=group,
        host=host,
        pid=os.getpid(),
        lease_s=lease_s or settings.agent.lease_s,
    )


@dataclass
class _Cycles:
    """What every cycle of one agent needs: its database, its work, its cadence, its stop signal."""

    database: Database
    settings: Settings
    me: AgentIdentity
    interval_s: float
    poll_every_s: float
    batch: int
    unit_code: str | None
    options: PollOptions | None
    scans_dir: Path
    clock: Clock
    stop: threading.Event
    notify: bool = False

    def poll_batch(self, claim: Claim) -> int:
        found = poll(
            self.database, self.settings, self.clock(), options=self.options, scans_dir=self.scans_dir, claim=claim
        )
        return found.targets

    def link_batch(self, claim: Claim) -> int:
        found = sample_links(
            self.database, self.settings, self.clock(), options=self.options, claim=claim, cadence_s=self.interval_s
        )
        return found.links - found.lost

    def drain(self, kind: claims.Kind, due_by: dt.datetime, due_at: float, run: Callable[[Claim], int]) -> int:
        return _drain(
            self.database,
            self.me,
            kind,
            clock=self.clock,
            unit_code=self.unit_code,
            due_by=due_by,
            due_at=_moment(due_at),
            batch=self.batch,
            run=run,
            stop=self.stop,
        )

    def run(self, report: AgentReport) -> None:
        """One cycle, at its moment on the grid: the due links, then the due devices."""
        report.cycles += 1
        started = self.clock().timestamp()
        tick = math.floor(started / self.interval_s) * self.interval_s
        device_tick = math.floor(started / self.poll_every_s) * self.poll_every_s
        due_by = _moment(started)
        try:
            links = self.drain("link", due_by, tick + self.interval_s, self.link_batch)
            devices = self.drain("device", due_by, device_tick + self.poll_every_s, self.poll_batch)
            report.link_samples += links
            report.device_polls += devices
            with self.database.session() as session:
                claims.record_cycle(session, self.me.name, _moment(tick), self.clock(), devices, links)
            log.info("cycle %d: %d links sampled, %d devices polled", report.cycles, links, devices)
            failure = None
        except (AuditorError, OSError) as exc:  # the database or the network had a bad moment
            report.failed_cycles += 1
            log.error("cycle %d failed: %s; the next cycle will try again", report.cycles, exc)
            failure = f"cycle {report.cycles}: {exc}"
        if self.notify:
            self.tell(failure)

    def tell(self, failure: str | None) -> None:
        """Mail what is new since the last cycle: the agent's own failure (or its end), the links
        and units.  A mail that cannot go now is tried again next cycle."""
        who = f"agent:{self.me.name}"
        try:
            notify_failures(self.database, self.settings, self.clock(), {who: failure} if failure else {}, (who,))
            if failure is None:
                notify_state(self.database, self.settings, self.clock())
        except (AuditorError, OSError) as exc:
            log.error("notify: %s", exc)

    def wait(self) -> bool:
        """Sleep until the next moment on the grid; False if stopped meanwhile."""
        now = self.clock().timestamp()
        self.stop.wait(max(0.0, next_tick(now, self.interval_s) - now))
        return not self.stop.is_set()


def _registered(settings: Settings, me: AgentIdentity, clock: Clock) -> Database:
    database = open_database(settings.db_url)
    try:
        with database.session() as session:
            claims.register_agent(session, me, clock(), process_alive)
    except BaseException:
        database.close()
        raise
    return database


def _stopped(database: Database, me: AgentIdentity, clock: Clock) -> None:
    try:
        with database.session() as session:
            claims.stop_agent(session, me.name, clock())
    except (AuditorError, OSError) as exc:
        log.warning("could not record the stop (the leases will expire on their own): %s", exc)
    database.close()


def run_agent(
    settings: Settings,
    *,
    interval_s: float,
    poll_every_s: float,
    me: AgentIdentity,
    batch: int,
    unit_code: str | None = None,
    options: PollOptions | None = None,
    max_cycles: int | None = None,
    scans_dir: Path = Path("scans"),
    say: Callable[[str], None] = print,
    clock: Clock = system_now,
    notify: bool = False,
) -> AgentReport:
    """Run until SIGTERM/SIGINT (or `max_cycles`); returns what was done.

    Each cycle, on the `interval_s` grid: claim and sample the due links, then claim and poll the
    due devices (due every `poll_every_s`), a batch at a time; other agents of the group take the
    rest.  Raises AgentConflict if the name is taken, or if SQLite already has a live agent.
    `clock`: the time the cycles are placed by (the machine's; a test may give its own).
    """
    database = _registered(settings, me, clock)
    stop = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        say(f"Signal {signal.Signals(number).name}: stopping after the batch under way.")
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    beat = _Heartbeat(database, me, clock)
    beat.start()
    report = AgentReport()
    say(
        f"Agent {me.name} started: links every {interval_s:g} s, devices every {poll_every_s:g} s, "
        f"{'group ' + me.group if me.group else 'every group'}."
    )
    cycles = _Cycles(
        database, settings, me, interval_s, poll_every_s, batch, unit_code, options, scans_dir, clock, stop, notify
    )
    try:
        while not stop.is_set() and (max_cycles is None or report.cycles < max_cycles) and cycles.wait():
            cycles.run(report)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        beat.done.set()
        beat.join()
        _stopped(database, me, clock)
    say(
        f"Agent stopped at {clock().astimezone():%Y-%m-%d %H:%M:%S %z} after {report.cycles} cycles "
        f"({report.failed_cycles} failed)."
    )
    return report
