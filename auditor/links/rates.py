"""From two readings of an interface's octet counters to bits per second.  Pure.

An interval whose rate cannot be known is marked unknown with its reason, never turned into a
number: a counter that went down, a device that restarted between the readings, an interface
whose index changed, a gap far longer than the cadence, or a rate the port could not carry.
A 32-bit counter that wrapped once is understood; one that could have wrapped twice is not.
"""

from __future__ import annotations

import itertools

from auditor.rules.uptime import rebooted
from auditor.traffic import CounterSample, Interval

GAP_FACTOR = 2.5  # an interval longer than 2.5 cadences is not a 5-minute sample
SPEED_MARGIN = 1.05  # counters and clocks drift a little: 5% over the port speed is still possible

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
    "above_speed": "the rate exceeds the port's speed",
}


def _delta(previous: int, current: int, bits: int, seconds: float, speed_mbps: float | None) -> int | str:
    if current >= previous:
        return current - previous
    if bits != 32:
        return "counter_went_down"
    # One wrap is certain only if the port could not move 2^32 octets in the interval.
    if speed_mbps is None or speed_mbps * 1e6 / 8 * seconds >= 2**32:
        return "counter32_ambiguous"
    return current + 2**32 - previous


def interval(previous: CounterSample, current: CounterSample, cadence_s: float) -> Interval:
    """The interval from `previous` to `current`: rates in bits per second, or the reason they are unknown."""
    seconds = (current.at - previous.at).total_seconds()

    def unknown(reason: str) -> Interval:
        return Interval(previous.at, current.at, unknown=reason)

    if seconds <= 0:
        return unknown("clock")
    if seconds > GAP_FACTOR * cadence_s:
        return unknown("gap")
    if None in (previous.in_octets, previous.out_octets, current.in_octets, current.out_octets):
        return unknown("counter_missing")
    if previous.counter_bits != current.counter_bits:
        return unknown("counter_width_changed")
    if previous.if_index is not None and current.if_index is not None and previous.if_index != current.if_index:
        return unknown("if_index_changed")
    if rebooted(previous.uptime_s, previous.at, current.uptime_s, current.at) is not None:
        return unknown("reboot")
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
    if speed and max(in_bps, out_bps) > speed * 1e6 * SPEED_MARGIN:
        return unknown("above_speed")
    return Interval(previous.at, current.at, in_bps=in_bps, out_bps=out_bps)


def intervals(samples: list[CounterSample], cadence_s: float) -> list[Interval]:
    """Every interval between consecutive samples (sorted by time)."""
    ordered = sorted(samples, key=lambda s: s.at)
    return [interval(a, b, cadence_s) for a, b in itertools.pairwise(ordered)]
