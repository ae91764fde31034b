"""The vocabulary of the links' traffic: counter readings, intervals, windows, judgements.  Frozen
dataclasses that cross the layers, like auditor.facts, for what is sampled every 5 minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from auditor.domain import Verdict
from auditor.facts import PollTarget

if TYPE_CHECKING:
    import numpy as np

Numbers: TypeAlias = "Sequence[float] | np.ndarray"  # a plain list, or an array read from linkhours


@dataclass(frozen=True)
class CounterSample:
    """One reading of a link's interface: the raw octet counters, on the poller's clock."""

    at: dt.datetime
    in_octets: int | None
    out_octets: int | None
    counter_bits: int | None = 64  # 64 (ifHC*Octets) or 32 (ifIn/OutOctets)
    if_index: int | None = None
    uptime_s: int | None = None
    speed_mbps: float | None = None  # the port's speed, to catch impossible rates


@dataclass(frozen=True)
class Interval:
    """The traffic between two samples, in bits per second; or why it is unknown."""

    start: dt.datetime
    end: dt.datetime
    in_bps: float | None = None
    out_bps: float | None = None
    unknown: str | None = None  # a reason key: see links.rates.REASONS

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


HOURLY = "hourly"  # the unknown_reason that marks a rolled-up row
NOT_INTERVALS = ("first_sample", "no_counters", HOURLY)  # samples that are not a 5-minute interval


@dataclass(frozen=True)
class PingSample:
    at: dt.datetime
    rtt_avg_ms: float | None
    rtt_max_ms: float | None
    loss_pct: float | None


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    window_start: dt.datetime
    window_end: dt.datetime
    capacity_down_mbps: float
    capacity_up_mbps: float
    samples: int  # intervals with a known rate in the window
    expected: int  # intervals the cadence should have given
    unknown: int  # intervals in the window whose rate is unknown
    coverage_pct: float
    p_in_bps: float | None  # the configured percentile (95th by default)
    p_out_bps: float | None
    max_in_bps: float | None
    max_out_bps: float | None
    util_in_pct: float | None
    util_out_pct: float | None
    loss_pct: float | None  # mean loss of the ICMP samples
    rtt_p_ms: float | None  # the percentile of the samples' mean round trips
    rtt_max_ms: float | None
    loss_high: bool
    rtt_high: bool
    recommended_mbps: float | None  # an upgrade, for a congested or warning link
    beyond_tiers: bool  # even the largest tier would not bring it under the target
    needs_justification: bool  # the upgrade is more than 20% over today's capacity
    days: float  # days of data: the known intervals times the cadence


@dataclass(frozen=True)
class WindowStats:
    """What the judgement needs of one link's window: counts, percentiles, extremes.  Computed here
    from the samples, or from the link hours (db.samples.window_figures)."""

    intervals: int  # intervals in the window, known or not
    samples: int  # intervals with a known rate in both directions
    p_in_bps: float | None
    p_out_bps: float | None
    max_in_bps: float | None
    max_out_bps: float | None
    loss_pct: float | None  # mean loss of the ICMP samples
    rtt_p_ms: float | None
    rtt_max_ms: float | None


@dataclass(frozen=True)
class LinkVerdict:
    """One link's judgement over the window, with the justification lines in both languages."""

    link_id: int
    unit_code: str
    name: str
    judgement: Judgement
    justification_vi: str
    justification_en: str

    def row(self) -> dict[str, Any]:
        """The flat record `links report` prints (JSON keys are stable)."""
        j = self.judgement

        def mbps(bps: float | None) -> float | None:
            return None if bps is None else round(bps / 1e6, 3)

        return {
            "link_id": self.link_id,
            "unit_code": self.unit_code,
            "name": self.name,
            "capacity_down_mbps": j.capacity_down_mbps,
            "capacity_up_mbps": j.capacity_up_mbps,
            "window_start": j.window_start.isoformat(),
            "window_end": j.window_end.isoformat(),
            "samples": j.samples,
            "expected": j.expected,
            "unknown": j.unknown,
            "coverage_pct": j.coverage_pct,
            "days": j.days,
            "p95_in_mbps": mbps(j.p_in_bps),
            "p95_out_mbps": mbps(j.p_out_bps),
            "p95_in_bps": j.p_in_bps,
            "p95_out_bps": j.p_out_bps,
            "p95_in_pct": j.util_in_pct,
            "p95_out_pct": j.util_out_pct,
            "max_in_mbps": mbps(j.max_in_bps),
            "max_out_mbps": mbps(j.max_out_bps),
            "loss_pct": j.loss_pct,
            "rtt_p95_ms": j.rtt_p_ms,
            "rtt_max_ms": j.rtt_max_ms,
            "verdict": j.verdict.value,
            "recommended_mbps": j.recommended_mbps,
            "needs_justification": j.needs_justification,
            "justification_vi": self.justification_vi,
            "justification_en": self.justification_en,
        }


@dataclass(frozen=True)
class WindowNumbers:
    """One link's window as numbers still to rank: the intervals counted, then one value per known
    sample (links.congestion.summarise ranks them)."""

    intervals: int
    ins: Numbers
    outs: Numbers
    losses: Numbers
    rtts: Numbers
    rtt_maxes: Numbers


@dataclass(frozen=True)
class RawSample:
    link_id: int
    sampled_at: dt.datetime
    started_at: dt.datetime | None
    interval_s: float | None
    in_bps: float | None
    out_bps: float | None
    known: bool  # an interval with a rate in both directions
    rtt_avg_ms: float | None
    rtt_max_ms: float | None
    loss_pct: float | None
    sample_id: int | None = None  # its row, for the roll-up that replaces it


@dataclass(frozen=True)
class HourRow:
    link_id: int
    hour: dt.datetime  # the clock hour's start (UTC)
    sampled_at: dt.datetime  # the last sample in it
    started_at: dt.datetime | None  # where its first interval began
    known_s: float  # seconds of known traffic behind the means
    in_bps: float | None  # time-weighted mean
    out_bps: float | None
    rtt_avg_ms: float | None
    rtt_max_ms: float | None
    loss_pct: float | None
    samples: int


@dataclass(frozen=True)
class LinkTarget:
    """A link to sample, as the database knows it."""

    link_id: int
    name: str
    unit_code: str
    device: PollTarget | None  # the router carrying it; None: not tied to a device yet
    interface: str | None  # as the register names it
    if_index: int | None  # as last resolved
    far_end_ip: str | None
    capacity_down_mbps: float
    capacity_up_mbps: float
    previous: CounterSample | None = None  # the last sample stored


@dataclass(frozen=True)
class LinkObservation:
    """One sample of one link: the counters read (or why not), and ICMP to the far end."""

    link_id: int
    counters: CounterSample | None
    error: str | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None
    loss_pct: float | None = None
    resolved_if_index: int | None = None  # set when the interface had to be found again
