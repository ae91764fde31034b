"""A simulated week of link samples, stored the way real ones are, marked simulated.

The counters are generated from a daily pattern (busy in working hours, quiet at night and at
weekends) and go through the same rate computation (links.rates) and the same storage
(db.samples.store_link_samples) as what `auditor poll --links` reads from a router.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass, replace

from auditor.db import samples as stored
from auditor.db.engine import Database
from auditor.links import rates
from auditor.traffic import CounterSample, Interval, LinkObservation

LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Pattern:
    """Traffic of one link, in Mbps: `busy` in working hours, `quiet` otherwise, ±`jitter` (a share)."""

    busy_down: float
    busy_up: float
    quiet_down: float
    quiet_up: float
    jitter: float = 0.05
    coverage: float = 1.0  # the share of 5-minute samples that exist (a link down at times)
    rtt_ms: float = 20.0
    loss_pct: float = 0.0


def _busy(moment: dt.datetime) -> bool:
    local = moment.astimezone(LOCAL)
    return local.weekday() < 5 and dt.time(7, 30) <= local.time() < dt.time(17, 0)


def generate(
    pattern: Pattern, now: dt.datetime, days: float = 7, step_s: int = 300, seed: int = 0
) -> list[tuple[LinkObservation, Interval | None]]:
    """Observations for `days` up to `now`, every `step_s`, with their intervals; deterministic by seed."""
    rng = random.Random(seed)
    count = int(days * 86_400 // step_s) + 1
    start = now - dt.timedelta(seconds=step_s * (count - 1))
    octets_in, octets_out = rng.randrange(10**9), rng.randrange(10**9)
    previous: CounterSample | None = None
    found: list[tuple[LinkObservation, Interval | None]] = []
    for i in range(count):
        at = start + dt.timedelta(seconds=step_s * i)
        busy = _busy(at)
        down = (pattern.busy_down if busy else pattern.quiet_down) * (1 + rng.uniform(-pattern.jitter, pattern.jitter))
        up = (pattern.busy_up if busy else pattern.quiet_up) * (1 + rng.uniform(-pattern.jitter, pattern.jitter))
        octets_in += int(down * 1e6 / 8 * step_s)
        octets_out += int(up * 1e6 / 8 * step_s)
        if i and rng.random() > pattern.coverage:
            continue  # this sample was never taken
        sample = CounterSample(
            at=at,
            in_octets=octets_in % 2**64,
            out_octets=octets_out % 2**64,
            counter_bits=64,
            if_index=1,
            uptime_s=86_400 * 30 + step_s * i,
        )
        interval = (
            Interval(at, at, unknown="first_sample") if previous is None else rates.interval(previous, sample, step_s)
        )
        rtt = pattern.rtt_ms * (1 + rng.uniform(0, 0.5))
        found.append(
            (
                LinkObservation(
                    0, sample, rtt_avg_ms=round(rtt, 2), rtt_max_ms=round(rtt * 1.5, 2), loss_pct=pattern.loss_pct
                ),
                interval,
            )
        )
        previous = sample
    return found


def seed_link(
    database: Database, link_id: int, pattern: Pattern, now: dt.datetime, days: float = 7, seed: int = 0
) -> int:
    """Store a simulated history for one link; returns how many samples were stored."""
    samples = [(replace(o, link_id=link_id), i) for o, i in generate(pattern, now, days, seed=seed)]
    with database.session() as session:
        stored.lock_samples(session)  # as every writer of samples: the link hours stay in step
        stored.store_link_samples(session, samples, None, now, simulated=True)
    return len(samples)
