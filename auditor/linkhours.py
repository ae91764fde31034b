"""A link's samples of one hour packed in one array: the shape the congestion judgement reads.

The raw samples (one database row each) stay the truth.  Beside them each link has one row per
UTC hour holding that hour's samples as a packed NumPy record array: when each was taken, where
its interval began, whether it closes a known interval, the two rates and the pings.  A week's
judgement of a country's 4,000 links then reads 672,000 small rows instead of 8 million, and
ranks each link's numbers with a partial sort.  The arrays hold every raw row of their hour
(hourly roll-ups included), so the statistics read from them are those of the raw rows
(links.congestion.window_stats); the tests compare the two.

Pure: rows in, bytes out, and back.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from auditor.traffic import NOT_INTERVALS, WindowNumbers

SAMPLE = np.dtype(
    [
        ("at", "<i8"),  # when the sample was taken, µs since 1970 (UTC)
        ("start", "<i8"),  # where its interval began, µs (when it was taken, for a row without it)
        ("flags", "u1"),  # INTERVAL | KNOWN
        ("in", "<f8"),  # bit/s into the unit; NaN when unknown
        ("out", "<f8"),
        ("loss", "<f8"),  # % of echoes lost; NaN when not measured
        ("rtt", "<f8"),  # ms
        ("rtt_max", "<f8"),
    ]
)
INTERVAL = 1  # the sample closes an interval (not a first sample, a failed read or an hourly row)
KNOWN = 2  # … with both of its rates known
HOUR = dt.timedelta(hours=1)
HOUR_US = 3_600_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


class SampleRow(NamedTuple):
    """The columns of a stored sample the judgement reads."""

    sampled_at: dt.datetime
    started_at: dt.datetime | None
    unknown_reason: str | None
    in_bps: float | None
    out_bps: float | None
    loss_pct: float | None
    rtt_avg_ms: float | None
    rtt_max_ms: float | None


def micros(moment: dt.datetime) -> int:
    """An aware datetime as µs since 1970, exactly."""
    return (moment - EPOCH) // _MICROSECOND


def hour_of(moment: dt.datetime) -> dt.datetime:
    """The start of the UTC hour `moment` falls in."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _measured(value: float | None) -> bool:
    """A rate that was measured: not missing, not NaN (PostgreSQL keeps a NaN; SQLite reads NULL)."""
    return value is not None and not math.isnan(value)


def records(rows: Iterable[Sequence[Any]]) -> np.ndarray:
    """These samples (SampleRow's columns, in its order) as records, in the order given."""
    found = []
    for at, start, reason, in_bps, out_bps, loss, rtt, rtt_max in rows:
        flags = 0 if reason in NOT_INTERVALS else INTERVAL
        if reason is None and _measured(in_bps) and _measured(out_bps):
            flags |= KNOWN
        found.append(
            (
                micros(at),
                micros(at if start is None else start),  # an interval without its start: as db.samples
                flags,
                _number(in_bps),
                _number(out_bps),
                _number(loss),
                _number(rtt),
                _number(rtt_max),
            )
        )
    return np.array(found, dtype=SAMPLE)


def hours_of(links: Sequence[int], rows: Sequence[Sequence[Any]]) -> Iterator[tuple[int, dt.datetime, int, bytes]]:
    """Samples of several links (`links[i]` is the link of `rows[i]`), as each link's hours:
    (link, the hour's start, how many samples, the hour's array, oldest first)."""
    if not rows:
        return
    found = records(rows)
    link = np.asarray(links, dtype=np.int64)
    order = np.lexsort((found["at"], link))
    found, link = found[order], link[order]
    hour = found["at"] // HOUR_US
    edges = np.flatnonzero((link[1:] != link[:-1]) | (hour[1:] != hour[:-1])) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(found)]))
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        moment = EPOCH + dt.timedelta(hours=int(hour[first]))
        yield int(link[first]), moment, last - first, found[first:last].tobytes()


def unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=SAMPLE)


def merged(old: bytes, new: bytes) -> bytes:
    """One hour's array with more samples added, still oldest first."""
    both = unpack(old + new)
    return both[np.argsort(both["at"], kind="stable")].tobytes()


def window_numbers(hours: Sequence[bytes], since: dt.datetime, now: dt.datetime) -> WindowNumbers:
    """A link's window (since, now] from the arrays of the hours it touches, as the numbers to rank:
    the intervals lying wholly inside it, the known rates, and every sample's pings — the same
    selection the raw rows get (db.samples, links.congestion.window_stats)."""
    if not hours:
        return WindowNumbers(0, [], [], [], [], [])
    every = unpack(b"".join(hours))  # one buffer: concatenating record arrays costs per field
    at = every["at"]
    inside = (at > micros(since)) & (at <= micros(now))
    counted = inside & ((every["flags"] & INTERVAL) != 0) & (every["start"] >= micros(since))
    known = counted & ((every["flags"] & KNOWN) != 0)
    here = every[inside]
    return WindowNumbers(
        int(np.count_nonzero(counted)),
        every["in"][known],
        every["out"][known],
        _present(here["loss"]),
        _present(here["rtt"]),
        _present(here["rtt_max"]),
    )


def _present(values: np.ndarray) -> np.ndarray:
    present: np.ndarray = values[~np.isnan(values)]
    return present
