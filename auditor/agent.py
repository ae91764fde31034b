"""`auditor agent`: the long-running loop that samples links every 5 minutes and polls devices on
their own, slower cadence.  One cycle's failure is logged and the next cycle runs; SIGTERM or
SIGINT ends the loop after the cycle under way, so a sample is never left half stored."""

from __future__ import annotations

import datetime as dt
import logging
import math
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from auditor.config import Settings
from auditor.db.engine import open_database
from auditor.errors import AuditorError
from auditor.polling import PollOptions, poll, sample_links

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


def run_agent(
    settings: Settings,
    *,
    interval_s: float,
    poll_every_s: float,
    group: str | None = None,
    unit_code: str | None = None,
    options: PollOptions | None = None,
    max_cycles: int | None = None,
    scans_dir: Path = Path("scans"),
    say: Callable[[str], None] = print,
) -> AgentReport:
    """Run until SIGTERM/SIGINT (or `max_cycles`); returns what was done."""
    stop = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        say(f"Signal {signal.Signals(number).name}: stopping after the cycle under way.")
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    report = AgentReport()
    last_poll = -math.inf
    say(
        f"Agent started: links every {interval_s:g} s, devices every {poll_every_s:g} s"
        + (f", group {group}" if group else "")
        + "."
    )
    try:
        while not stop.is_set() and (max_cycles is None or report.cycles < max_cycles):
            stop.wait(max(0.0, next_tick(time.time(), interval_s) - time.time()))
            if stop.is_set():
                break
            report.cycles += 1
            database = None
            try:
                database = open_database(settings.db_url)
                links = sample_links(database, settings, unit_code=unit_code, group=group, options=options)
                report.link_samples += links.links
                log.info("cycle %d: %d links sampled (run %d)", report.cycles, links.links, links.run_id)
                if time.monotonic() - last_poll >= poll_every_s:
                    polled = poll(
                        database, settings, unit_code=unit_code, group=group, options=options, scans_dir=scans_dir
                    )
                    last_poll = time.monotonic()
                    report.device_polls += 1
                    log.info("cycle %d: %d devices polled (run %d)", report.cycles, polled.targets, polled.run_id)
            except (AuditorError, OSError) as exc:  # the database or the network had a bad moment
                report.failed_cycles += 1
                log.error("cycle %d failed: %s; the next cycle will try again", report.cycles, exc)
            finally:
                if database is not None:
                    database.close()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    say(
        f"Agent stopped at {dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z} after {report.cycles} cycles "
        f"({report.failed_cycles} failed)."
    )
    return report
