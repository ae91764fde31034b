"""Is a link congested?  The judgement of Thông tư 06/2026/TT-BKHCN, and the upgrade it justifies.

Pure: the intervals, the pings, the settings and `now` come in.  The percentile is the
nearest-rank one over the per-interval rates of each direction (the value at position
ceil(p/100 × n) of the sorted rates), never a "peak of averages".  "In" on the router's WAN
interface is traffic into the unit (download), judged against the contracted download capacity;
"out" is upload, against the upload capacity.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Sequence

import numpy as np

from auditor.domain import Verdict
from auditor.settings import LinkSettings
from auditor.traffic import Interval, Judgement, PingSample, WindowStats


def nearest_rank(values: Sequence[float] | np.ndarray, percentile: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `percentile`% of values at or below it.
    An array is ranked by a partial sort (what a week of a country's samples needs)."""
    if len(values) == 0:
        return None
    rank = max(1, math.ceil(percentile / 100 * len(values)))
    if isinstance(values, np.ndarray):
        return float(np.partition(values, rank - 1)[rank - 1])
    return sorted(values)[rank - 1]


def _largest(values: Sequence[float] | np.ndarray) -> float | None:
    if len(values) == 0:
        return None
    return float(values.max()) if isinstance(values, np.ndarray) else max(values)


def _mean(values: Sequence[float] | np.ndarray, digits: int) -> float | None:
    """The mean, rounded; the sum exact (fsum), so that the order the values come in cannot change it."""
    if len(values) == 0:
        return None
    listed = values.tolist() if isinstance(values, np.ndarray) else values
    return round(math.fsum(listed) / len(listed), digits)


def _counted(moment: dt.datetime, settings: LinkSettings) -> bool:
    """Whether an interval ending at `moment` falls in the judged hours."""
    if settings.business_hours is None:
        return True
    local = moment.astimezone(zoneinfo.ZoneInfo(settings.timezone))
    start, end = settings.business_hours
    return local.weekday() < 5 and start <= local.time() < end


def _expected(start: dt.datetime, end: dt.datetime, settings: LinkSettings) -> int:
    if settings.business_hours is None:
        return int((end - start).total_seconds() // settings.interval_s)
    step = dt.timedelta(seconds=settings.interval_s)
    count, moment = 0, start + step
    while moment <= end:
        count += _counted(moment, settings)
        moment += step
    return count


def _pct(bps: float | None, capacity_mbps: float) -> float | None:
    return None if bps is None or capacity_mbps <= 0 else round(100.0 * bps / (capacity_mbps * 1e6), 1)


def recommend(
    p_in_bps: float, p_out_bps: float, capacity_mbps: float, settings: LinkSettings
) -> tuple[float | None, bool]:
    """The smallest configured tier above today's capacity at which the measured percentile would
    use at most target_pct; (None, True) when even the largest tier would not do."""
    needed_mbps = max(p_in_bps, p_out_bps) / 1e6 / (settings.target_pct / 100)
    for tier in settings.tiers_mbps:
        if tier > capacity_mbps and tier >= needed_mbps:
            return tier, False
    return None, True


def summarise(
    intervals: int,
    ins: Sequence[float] | np.ndarray,
    outs: Sequence[float] | np.ndarray,
    losses: Sequence[float] | np.ndarray,
    rtts: Sequence[float] | np.ndarray,
    rtt_maxes: Sequence[float] | np.ndarray,
    percentile: float,
) -> WindowStats:
    """The statistics of a window from its known rates and its pings (one value per sample)."""
    return WindowStats(
        intervals=intervals,
        samples=len(ins),
        p_in_bps=nearest_rank(ins, percentile),
        p_out_bps=nearest_rank(outs, percentile),
        max_in_bps=_largest(ins),
        max_out_bps=_largest(outs),
        loss_pct=_mean(losses, 2),
        rtt_p_ms=nearest_rank(rtts, percentile),
        rtt_max_ms=_largest(rtt_maxes),
    )


def window_stats(
    found: Sequence[Interval], pings: Sequence[PingSample], now: dt.datetime, settings: LinkSettings
) -> WindowStats:
    """The statistics of the window ending at `now`: intervals wholly inside it, in the judged hours."""
    start = now - dt.timedelta(days=settings.window_days)
    window = [i for i in found if start < i.end <= now and i.start >= start and _counted(i.end, settings)]
    known = [i for i in window if i.unknown is None and i.in_bps is not None and i.out_bps is not None]
    in_window = [p for p in pings if start < p.at <= now and _counted(p.at, settings)]
    return summarise(
        len(window),
        [i.in_bps for i in known if i.in_bps is not None],
        [i.out_bps for i in known if i.out_bps is not None],
        [p.loss_pct for p in in_window if p.loss_pct is not None],
        [p.rtt_avg_ms for p in in_window if p.rtt_avg_ms is not None],
        [p.rtt_max_ms for p in in_window if p.rtt_max_ms is not None],
        settings.percentile,
    )


def judge(
    capacity_down_mbps: float,
    capacity_up_mbps: float,
    found: Sequence[Interval],
    pings: Sequence[PingSample],
    now: dt.datetime,
    settings: LinkSettings,
) -> Judgement:
    """The verdict over the window ending at `now`, with the figures that back it."""
    return judge_window(capacity_down_mbps, capacity_up_mbps, window_stats(found, pings, now, settings), now, settings)


def judge_window(
    capacity_down_mbps: float, capacity_up_mbps: float, stats: WindowStats, now: dt.datetime, settings: LinkSettings
) -> Judgement:
    """The verdict on a window's statistics, with the upgrade it justifies."""
    start = now - dt.timedelta(days=settings.window_days)
    expected = _expected(start, now, settings)
    coverage = round(100.0 * stats.samples / expected, 1) if expected else 0.0
    p_in, p_out = stats.p_in_bps, stats.p_out_bps
    util_in, util_out = _pct(p_in, capacity_down_mbps), _pct(p_out, capacity_up_mbps)
    worst = max((u for u in (util_in, util_out) if u is not None), default=None)
    if coverage < settings.min_coverage_pct or worst is None:
        found = Verdict.INSUFFICIENT_DATA
    elif worst > settings.congested_pct:
        found = Verdict.CONGESTED
    elif worst >= settings.warning_pct:
        found = Verdict.WARNING
    else:
        found = Verdict.OK
    recommended, beyond = None, False
    if found in (Verdict.CONGESTED, Verdict.WARNING) and p_in is not None and p_out is not None:
        recommended, beyond = recommend(p_in, p_out, max(capacity_down_mbps, capacity_up_mbps), settings)
    return Judgement(
        verdict=found,
        window_start=start,
        window_end=now,
        capacity_down_mbps=capacity_down_mbps,
        capacity_up_mbps=capacity_up_mbps,
        samples=stats.samples,
        expected=expected,
        unknown=stats.intervals - stats.samples,
        coverage_pct=coverage,
        p_in_bps=p_in,
        p_out_bps=p_out,
        max_in_bps=stats.max_in_bps,
        max_out_bps=stats.max_out_bps,
        util_in_pct=util_in,
        util_out_pct=util_out,
        loss_pct=stats.loss_pct,
        rtt_p_ms=stats.rtt_p_ms,
        rtt_max_ms=stats.rtt_max_ms,
        loss_high=stats.loss_pct is not None and stats.loss_pct >= settings.loss_warning_pct,
        rtt_high=stats.rtt_p_ms is not None and stats.rtt_p_ms >= settings.rtt_warning_ms,
        recommended_mbps=recommended,
        beyond_tiers=beyond,
        days=round(stats.samples * settings.interval_s / 86_400, 2),
        needs_justification=recommended is not None and recommended > 1.2 * max(capacity_down_mbps, capacity_up_mbps),
    )


def _number(value: float | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return "?"
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if lang == "vi" else text


def justify(name: str, judgement: Judgement, lang: str = "vi") -> str:
    """The justification line an upgrade request carries (a raise of more than 20% needs one)."""
    j = judgement

    def n(value: float | None, digits: int = 1) -> str:
        return _number(value, lang, digits)

    p_in, p_out = (j.p_in_bps or 0) / 1e6, (j.p_out_bps or 0) / 1e6
    if lang == "vi":
        text = (
            f"Đường truyền {name}: trong {n(j.days, 2)} ngày dữ liệu ({j.samples} mẫu 5 phút, đạt "
            f"{n(j.coverage_pct)}% số mẫu), phân vị 95 tải xuống {n(p_in)} Mbps ({n(j.util_in_pct)}% băng thông "
            f"hợp đồng {n(j.capacity_down_mbps, 0)} Mbps), tải lên {n(p_out)} Mbps ({n(j.util_out_pct)}% của "
            f"{n(j.capacity_up_mbps, 0)} Mbps); mất gói trung bình {n(j.loss_pct, 2)}%, độ trễ phân vị 95 "
            f"{n(j.rtt_p_ms)} ms."
        )
        if j.recommended_mbps:
            text += (
                f" Kênh được coi là quá tải khi phân vị 95 vượt 90% băng thông (Thông tư 06/2026/TT-BKHCN); "
                f"đề nghị nâng lên {n(j.recommended_mbps, 0)} Mbps."
            )
        elif j.beyond_tiers:
            text += " Cần khảo sát: lưu lượng vượt cả mức băng thông lớn nhất trong danh mục."
        return text
    text = (
        f"Link {name}: over {n(j.days, 2)} days of data ({j.samples} five-minute samples, {n(j.coverage_pct)}% "
        f"of those expected), the 95th percentile was {n(p_in)} Mbps down ({n(j.util_in_pct)}% of the contracted "
        f"{n(j.capacity_down_mbps, 0)} Mbps) and {n(p_out)} Mbps up ({n(j.util_out_pct)}% of "
        f"{n(j.capacity_up_mbps, 0)} Mbps); mean loss {n(j.loss_pct, 2)}%, 95th-percentile RTT {n(j.rtt_p_ms)} ms."
    )
    if j.recommended_mbps:
        text += (
            " A link is congested when its 95th percentile exceeds 90% of capacity (Thông tư 06/2026/TT-BKHCN); "
            f"upgrade to {n(j.recommended_mbps, 0)} Mbps."
        )
    elif j.beyond_tiers:
        text += " Needs a survey: the traffic exceeds even the largest bandwidth tier in the catalog."
    return text
