"""From two readings of an interface's octet counters to bits per second.  Pure.

An interval whose rate cannot be known is marked unknown with its reason, never turned into a
number: a counter that went down, a device that restarted between the readings, an interface
whose index changed, a gap far longer than the cadence or far shorter (two samplers at once), a
poller clock that disagrees with the device's own uptime (a clock step), or a rate that neither
the port nor the contract make possible.
A 32-bit counter that wrapped once is understood; one that could have wrapped twice is not.
"""

from __future__ import annotations

import itertools

from auditor.rules.uptime import rebooted
from auditor.traffic import CounterSample, Interval

GAP_FACTOR = 2.5  # an interval longer than 2.5 cadences is not a 5-minute sample
SPEED_MARGIN = 1.05  # counters and clocks drift a little: 5% over the port speed is still possible
SHORT_FACTOR = 0.2  # an interval shorter than a fifth of the cadence is not a sample either
# A port that does not say its speed (ifSpeed and ifHighSpeed 0) carries at most this many times
# its link's contract, and no port at all more than the fastest Ethernet there is.
CONTRACT_HEADROOM = 10
FASTEST_PORT_BPS = 1.6e12
# The poller's interval and the device's (from its uptime, whole seconds) may differ by this much.
CLOCK_SLACK_S = 2.0
CLOCK_SLACK_SHARE = 0.02

REASONS = {
    "first_sample": "the first reading of this link: a rate needs two",
    "no_counters": "the counters could not be read this time",
    "counter_missing": "a counter did not answer",
    "counter_went_down": "a 64-bit counter went down",
    "counter_width_changed": "the counters switched between 32 and 64 bits",
    "counter32_ambiguous": "a 32-bit counter could have wrapped more than once in the interval",
    "reboot": "the device restarted between the readings",
    "if_index_changed": "the interface's index changed (re-indexed after a restart?)",
    "gap": "the gap between the readings is far longer than the cadence",
    "clock": "the poller's clock went backwards or stood still",
    "too_short": "the interval is far shorter than the cadence (two samplers at once?)",
    "clock_step": "the poller's clock and the device's uptime disagree on the interval (a clock step?)",
    "above_speed": "the rate exceeds the port's speed",
    "above_possible": "the rate exceeds anything the port or the contract make possible",
}


def _clock_agrees(previous: CounterSample, current: CounterSample, seconds: float) -> bool:
    """Whether the device's own clock (its uptime, read in the same request as the counters) saw
    about the interval the poller's did.  Without both uptimes there is nothing to check."""
    if previous.uptime_s is None or current.uptime_s is None or current.uptime_s == previous.uptime_s:
        return True  # an agent whose uptime stands still says nothing of the interval
    agent_s = current.uptime_s - previous.uptime_s
    return abs(agent_s - seconds) <= CLOCK_SLACK_S + CLOCK_SLACK_SHARE * max(agent_s, seconds)


def ceiling_bps(speed_mbps: float | None, capacity_mbps: float | None) -> tuple[float, str]:
    """The fastest rate the interval may show, and the reason for an interval above it."""
    if speed_mbps:
        return speed_mbps * 1e6 * SPEED_MARGIN, "above_speed"
    if capacity_mbps:
        return min(capacity_mbps * 1e6 * CONTRACT_HEADROOM, FASTEST_PORT_BPS), "above_possible"
    return FASTEST_PORT_BPS, "above_possible"


def _delta(previous: int, current: int, bits: int, seconds: float, speed_mbps: float | None) -> int | str:
    if current >= previous:
        return current - previous
    if bits != 32:
        return "counter_went_down"
    # One wrap is certain only if the port could not move 2^32 octets in the interval.
    if speed_mbps is None or speed_mbps * 1e6 / 8 * seconds >= 2**32:
        return "counter32_ambiguous"
    return current + 2**32 - previous


def interval(
    previous: CounterSample, current: CounterSample, cadence_s: float, capacity_mbps: float | None = None
) -> Interval:
    """The interval from `previous` to `current`: rates in bits per second, or the reason they are
    unknown.  `capacity_mbps`: the link's contract (the larger direction), a bound where the port
    does not say its speed."""
    seconds = (current.at - previous.at).total_seconds()

    def unknown(reason: str) -> Interval:
        return Interval(previous.at, current.at, unknown=reason)

    if seconds <= 0:
        return unknown("clock")
    if seconds > GAP_FACTOR * cadence_s:
        return unknown("gap")
    if seconds < SHORT_FACTOR * cadence_s:
        return unknown("too_short")
    if None in (previous.in_octets, previous.out_octets, current.in_octets, current.out_octets):
        return unknown("counter_missing")
    if previous.counter_bits != current.counter_bits:
        return unknown("counter_width_changed")
    if previous.if_index is not None and current.if_index is not None and previous.if_index != current.if_index:
        return unknown("if_index_changed")
    if rebooted(previous.uptime_s, previous.at, current.uptime_s, current.at) is not None:
        return unknown("reboot")
    if not _clock_agrees(previous, current, seconds):
        return unknown("clock_step")
    bits = current.counter_bits or 64
    speed = current.speed_mbps or previous.speed_mbps
    assert previous.in_octets is not None and current.in_octets is not None
    assert previous.out_octets is not None and current.out_octets is not None
    delta_in = _delta(previous.in_octets, current.in_octets, bits, seconds, speed)
    delta_out = _delta(previous.out_octets, current.out_octets, bits, seconds, speed)
    for delta in (delta_in, delta_out):
        if isinstance(delta, str):
            return unknown(delta)
    assert isinstance(delta_in, int) and isinstance(delta_out, int)
    in_bps, out_bps = delta_in * 8 / seconds, delta_out * 8 / seconds
    ceiling, reason = ceiling_bps(speed, capacity_mbps)
    if max(in_bps, out_bps) > ceiling:
        return unknown(reason)
    return Interval(previous.at, current.at, in_bps=in_bps, out_bps=out_bps)


def intervals(samples: list[CounterSample], cadence_s: float, capacity_mbps: float | None = None) -> list[Interval]:
    """Every interval between consecutive samples (sorted by time)."""
    ordered = sorted(samples, key=lambda s: s.at)
    return [interval(a, b, cadence_s, capacity_mbps) for a, b in itertools.pairwise(ordered)]
