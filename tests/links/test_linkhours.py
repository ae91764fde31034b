"""The link hours (each link's samples of an hour in one array) give the judgement the statistics of
the raw samples: packed and read back, over windows starting and ending anywhere, with hourly
roll-ups, unknown intervals and missing pings among them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable

import numpy as np
import pytest

from auditor.linkhours import HOUR, SAMPLE, SampleRow, hour_of, hours_of, merged, records, unpack, window_numbers
from auditor.links.congestion import nearest_rank, summarise, window_stats
from auditor.settings import LinkSettings
from auditor.traffic import HOURLY, NOT_INTERVALS, Interval, PingSample

START = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)


def _rows(rng: random.Random, count: int) -> list[SampleRow]:
    """A link's stored rows as the sampler and the roll-up write them: first samples, failed reads,
    unknown intervals, hourly rows, ties between rates, gaps, missing pings."""
    rows: list[SampleRow] = []
    at = START
    for _ in range(count):
        at += dt.timedelta(seconds=300 * (3 if rng.random() < 0.02 else 1), microseconds=rng.randint(0, 999_999))
        reason = rng.choices([None, "first_sample", "no_counters", HOURLY, "counter_reset"], [90, 2, 2, 3, 3])[0]
        started = None if reason in ("first_sample", "no_counters") else at - dt.timedelta(seconds=300)
        rate = (
            None
            if reason in NOT_INTERVALS[:2] or (reason and rng.random() < 0.5)
            else rng.choice([12e6, rng.uniform(0, 3e7)])
        )
        pings = (
            (None, None, None)
            if rng.random() < 0.1
            else (rng.uniform(1, 80), rng.uniform(80, 300), rng.choice([0.0, 33.3]))
        )
        rows.append(
            SampleRow(at, started, reason, rate, None if rate is None else rng.uniform(0, 3e7), pings[2], *pings[:2])
        )
    return rows


def pack(rows: Iterable[SampleRow]) -> bytes:
    """The reference: one hour's rows packed alone, oldest first (ties keep their order)."""
    found = records(rows)
    return found[np.argsort(found["at"], kind="stable")].tobytes()


def _by_hour(rows: list[SampleRow]) -> dict[dt.datetime, bytes]:
    hours: dict[dt.datetime, list[SampleRow]] = {}
    for r in rows:
        hours.setdefault(hour_of(r.sampled_at), []).append(r)
    return {hour: pack(part) for hour, part in hours.items()}


def _as_raw(rows: list[SampleRow]) -> tuple[list[Interval], list[PingSample]]:
    """What db.samples.link_history makes of the same rows (the judgement's reference)."""
    intervals = [
        Interval(r.started_at or r.sampled_at, r.sampled_at, r.in_bps, r.out_bps, r.unknown_reason)
        for r in rows
        if r.unknown_reason not in NOT_INTERVALS
    ]
    return intervals, [PingSample(r.sampled_at, r.rtt_avg_ms, r.rtt_max_ms, r.loss_pct) for r in rows]


def test_a_packed_hour_reads_back_every_value() -> None:
    rows = _rows(random.Random(1), 12)
    back = unpack(pack(reversed(rows)))  # given in any order, kept oldest first
    assert back.dtype == SAMPLE and len(back) == 12
    assert list(back["in"]) == pytest.approx([np.nan if r.in_bps is None else r.in_bps for r in rows], nan_ok=True)
    assert list(back["at"]) == sorted(back["at"])
    assert len(unpack(merged(pack(rows[:5]), pack(rows[5:])))) == 12


def test_many_links_split_in_bulk_equal_each_hour_packed_alone() -> None:
    """The bulk path (a rebuild reads many links' rows in no order) gives every link and hour the
    same array as packing that hour's rows alone, and the hour each row falls in."""
    rng = random.Random(5)
    per_link = {link: _rows(rng, 300) for link in (7, 3, 11)}
    mixed = [(link, r) for link, rows in per_link.items() for r in rows]
    rng.shuffle(mixed)
    found = {(link, hour): (count, data) for link, hour, count, data in hours_of(*zip(*mixed, strict=True))}
    expected = {(link, hour): data for link, rows in per_link.items() for hour, data in _by_hour(rows).items()}
    assert found.keys() == expected.keys()
    for key, (count, data) in found.items():
        assert data == expected[key] and count == len(unpack(data))
        assert all(hour_of(dt.datetime.fromtimestamp(at / 1e6, dt.UTC)) == key[1] for at in unpack(data)["at"])


@pytest.mark.parametrize("percentile", [95, 50, 99.9])
def test_windows_read_from_the_hours_equal_the_raw_judgement(percentile: float) -> None:
    """Thirty windows of a week, each starting and ending at a random moment (mid-hour, on a
    sample, before the first): the statistics equal window_stats over the raw rows."""
    rng = random.Random(int(percentile * 10))
    rows = _rows(rng, 2400)
    hours = _by_hour(rows)
    intervals, pings = _as_raw(rows)
    settings = LinkSettings(percentile=percentile)
    ends = [rows[-1].sampled_at, rows[1200].sampled_at, START + dt.timedelta(days=1), START - HOUR]
    ends += [START + dt.timedelta(seconds=rng.uniform(0, 9 * 86_400)) for _ in range(27)]
    judged = []
    for now in ends:
        since = now - dt.timedelta(days=settings.window_days)
        touched = [data for hour, data in sorted(hours.items()) if hour_of(since) <= hour <= now]
        f = window_numbers(touched, since, now)
        from_hours = summarise(f.intervals, f.ins, f.outs, f.losses, f.rtts, f.rtt_maxes, percentile)
        assert from_hours == window_stats(intervals, pings, now, settings), now
        judged.append(from_hours)
    whole_week = judged[0]  # the window ending at the last row
    assert whole_week.samples > 1500 and whole_week.intervals > whole_week.samples  # unknown ones too
    assert any(j.samples == 0 for j in judged) and whole_week.p_in_bps is not None


def test_nearest_rank_of_an_array_is_that_of_the_list() -> None:
    rng = random.Random(3)
    for n in (1, 2, 19, 20, 21, 2016):
        values = [rng.choice([1.0, 2.0, rng.random()]) for _ in range(n)]
        for p in (0.1, 50, 95, 99.9, 100):
            assert nearest_rank(np.array(values), p) == nearest_rank(values, p)
