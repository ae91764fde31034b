"""Rates from hand-made counter series: wraps, reboots, gaps, re-indexing, impossible rates."""

from __future__ import annotations

import datetime as dt

import pytest

from auditor.links.rates import intervals
from auditor.traffic import CounterSample

T0 = dt.datetime(2026, 11, 16, 0, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=5)


def sample(minutes: float, in_octets: int | None, out_octets: int | None, **kwargs: object) -> CounterSample:
    return CounterSample(T0 + dt.timedelta(minutes=minutes), in_octets, out_octets, **kwargs)  # type: ignore[arg-type]


def test_steady_traffic() -> None:
    # 30 Mbit/s in and 6 Mbit/s out for five minutes: 1,125,000,000 and 225,000,000 octets.
    (one,) = intervals([sample(0, 10, 20), sample(5, 10 + 1_125_000_000, 20 + 225_000_000)], 300)
    assert (one.in_bps, one.out_bps, one.unknown, one.seconds) == (30e6, 6e6, None, 300.0)


def test_a_32_bit_counter_that_wrapped_once() -> None:
    before = 2**32 - 1_000
    (one,) = intervals(
        [
            sample(0, before, 0, counter_bits=32, speed_mbps=100),
            sample(5, 124_999_000, 0, counter_bits=32, speed_mbps=100),
        ],
        300,
    )
    assert one.unknown is None and one.in_bps == pytest.approx(125_000_000 * 8 / 300)


@pytest.mark.parametrize(
    ("series", "reason"),
    [
        ([sample(0, 500, 0), sample(5, 100, 0)], "counter_went_down"),
        (
            [
                sample(0, 2**32 - 5, 0, counter_bits=32, speed_mbps=1000),
                sample(5, 5, 0, counter_bits=32, speed_mbps=1000),
            ],
            "counter32_ambiguous",
        ),  # a gigabit port moves 2^32 octets in 34 s: it may have wrapped many times
        ([sample(0, 2**32 - 5, 0, counter_bits=32), sample(5, 5, 0, counter_bits=32)], "counter32_ambiguous"),
        ([sample(0, 100, 0, uptime_s=86_400), sample(5, 200, 0, uptime_s=60)], "reboot"),
        ([sample(0, 100, 0, if_index=3), sample(5, 200, 0, if_index=5)], "if_index_changed"),
        ([sample(0, 100, 0), sample(30, 200, 0)], "gap"),
        ([sample(5, 100, 0), sample(5, 200, 0)], "clock"),
        ([sample(0, 100, None), sample(5, 200, 300)], "counter_missing"),
        ([sample(0, 100, 0, counter_bits=64), sample(5, 200, 0, counter_bits=32)], "counter_width_changed"),
        ([sample(0, 0, 0, speed_mbps=100), sample(5, 10**10, 0, speed_mbps=100)], "above_speed"),  # 267 Mbit/s on 100
    ],
)
def test_unknown_intervals_are_never_spikes(series: list[CounterSample], reason: str) -> None:
    (one,) = intervals(series, 300)
    assert (one.unknown, one.in_bps, one.out_bps) == (reason, None, None)


def test_a_reboot_costs_one_interval_only() -> None:
    series = [
        sample(0, 0, 0, uptime_s=1000),
        sample(5, 3_750_000, 0, uptime_s=1300),
        sample(10, 50, 0, uptime_s=30),
        sample(15, 3_750_050, 0, uptime_s=330),
    ]
    found = intervals(series, 300)
    assert [i.unknown for i in found] == [None, "reboot", None]
    assert [i.in_bps for i in found] == [100_000.0, None, 100_000.0]


def test_samples_are_taken_in_time_order() -> None:
    found = intervals([sample(5, 375_000, 0), sample(0, 0, 0)], 300)
    assert [(i.in_bps, i.unknown) for i in found] == [(10_000.0, None)]


def test_a_port_that_hides_its_speed_is_bounded_by_its_contract() -> None:
    # The case: ifSpeed and ifHighSpeed 0, a counter jumping from 1,000 to 2^62.
    jump = [sample(0, 1_000, 0, speed_mbps=None), sample(5, 2**62, 0, speed_mbps=None)]
    (with_contract,) = intervals(jump, 300, capacity_mbps=20)
    assert (with_contract.unknown, with_contract.in_bps) == ("above_possible", None)
    (without,) = intervals(jump, 300)  # no contract either: no port is faster than 1.6 Tbit/s
    assert without.unknown == "above_possible"
    busy = [sample(0, 0, 0), sample(5, 30 * 1_000_000 // 8 * 300, 0)]  # 30 Mbit/s on a 20 Mbit/s contract
    (bursting,) = intervals(busy, 300, capacity_mbps=20)
    assert bursting.unknown is None and bursting.in_bps == pytest.approx(30e6)  # possible: a port carries more


def test_the_devices_uptime_checks_the_pollers_interval() -> None:
    # The poller's clock stepped 27 s forward: it sees 327 s where the device counted 300.
    stepped = [sample(0, 0, 0, uptime_s=10_000), sample(5.45, 1_000_000, 0, uptime_s=10_300)]
    (one,) = intervals(stepped, 300)
    assert (one.unknown, one.in_bps) == ("clock_step", None)
    agreeing = [sample(0, 0, 0, uptime_s=10_000), sample(5, 1_000_000, 0, uptime_s=10_301)]
    assert intervals(agreeing, 300)[0].unknown is None  # a second apart: whole-second uptimes
    frozen = [sample(0, 0, 0, uptime_s=10_000), sample(5, 1_000_000, 0, uptime_s=10_000)]
    assert intervals(frozen, 300)[0].unknown is None  # an uptime that stands still says nothing


def test_two_samplers_at_once_make_no_sample() -> None:
    (one,) = intervals([sample(0, 0, 0), sample(0.01, 10_000, 0)], 300)  # 0.6 s apart
    assert (one.unknown, one.in_bps) == ("too_short", None)
