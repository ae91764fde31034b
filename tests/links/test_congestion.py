"""The congestion judgement on hand-made weeks, with the figures worked out by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from auditor.domain import Verdict
from auditor.links.congestion import judge, justify, nearest_rank
from auditor.settings import LinkSettings
from auditor.traffic import Interval, PingSample

NOW = dt.datetime(2026, 11, 21, 17, 0, tzinfo=dt.UTC)  # Sunday 22 November 2026, 00:00 in Hà Nội
STEP = dt.timedelta(minutes=5)
SETTINGS = LinkSettings()
WEEK = 7 * 288  # 2,016 five-minute intervals


def week(rates_mbps: list[tuple[float, float]], *, unknown: int = 0) -> list[Interval]:
    """Intervals ending at NOW, newest last, with the given (in, out) Mbps; then `unknown` unknown ones."""
    found = []
    total = len(rates_mbps) + unknown
    for i in range(total):
        end = NOW - STEP * (total - 1 - i)
        if i < len(rates_mbps):
            down, up = rates_mbps[i]
            found.append(Interval(end - STEP, end, in_bps=down * 1e6, out_bps=up * 1e6))
        else:
            found.append(Interval(end - STEP, end, unknown="reboot"))
    return found


@pytest.mark.parametrize(
    ("values", "percentile", "expected"),
    [
        (list(range(1, 21)), 95, 19),  # rank ceil(0.95 × 20) = 19
        ([5.0, 1.0, 3.0], 95, 5.0),  # rank ceil(2.85) = 3: the largest
        ([1, 2, 3, 4], 50, 2),  # rank ceil(2.0) = 2
        ([7.0], 95, 7.0),
        ([], 95, None),
    ],
)
def test_nearest_rank(values: list[float], percentile: float, expected: float | None) -> None:
    assert nearest_rank(values, percentile) == expected


def test_a_congested_commune_link() -> None:
    # 30 Mbps contracted. 1,900 intervals at 10 Mbps down, 116 at 29 Mbps: the 95th percentile is
    # the value at rank ceil(0.95 × 2016) = 1916, the 16th of the 29 Mbps ones: 96.7% of capacity.
    found = week([(10, 2)] * 1900 + [(29, 3)] * 116)
    j = judge(30, 30, found, [], NOW, SETTINGS)
    assert (j.verdict, j.samples, j.expected, j.coverage_pct) == (Verdict.CONGESTED, 2016, 2016, 100.0)
    assert (j.p_in_bps, j.p_out_bps, j.util_in_pct, j.util_out_pct) == (29e6, 3e6, 96.7, 10.0)
    assert (j.max_in_bps, j.days) == (29e6, 7.0)
    # 29 / 0.70 = 41.4 Mbps: the smallest tier above 30 that holds it is 50, a raise of 67%.
    assert (j.recommended_mbps, j.needs_justification, j.beyond_tiers) == (50.0, True, False)


def test_short_peaks_are_not_congestion() -> None:
    # 100 peak intervals are 4.96% of the week: the 95th percentile stays at the 10 Mbps floor.
    # A "peak of averages" would call this link full; the regulation's test does not.
    j = judge(30, 30, week([(10, 2)] * 1916 + [(30, 3)] * 100), [], NOW, SETTINGS)
    assert (j.verdict, j.p_in_bps, j.recommended_mbps) == (Verdict.OK, 10e6, None)


def test_a_warning_and_the_upload_direction() -> None:
    j = judge(30, 30, week([(5, 25)] * WEEK), [], NOW, SETTINGS)  # 25 of 30 Mbps up: 83.3%
    assert (j.verdict, j.util_out_pct, j.recommended_mbps) == (Verdict.WARNING, 83.3, 50.0)


def test_exactly_ninety_percent_is_still_adequate() -> None:
    j = judge(20, 20, week([(18, 1)] * WEEK), [], NOW, SETTINGS)
    assert (j.verdict, j.util_in_pct) == (Verdict.WARNING, 90.0)  # "≤ 90%" is adequate, ≥ 80% warns


@pytest.mark.parametrize(
    ("known", "unknown", "verdict"),
    [
        (1600, 0, Verdict.INSUFFICIENT_DATA),  # 79.4% of the week
        (1613, 0, Verdict.CONGESTED),  # 80.0%
        (1400, 616, Verdict.INSUFFICIENT_DATA),  # unknown intervals are not data
    ],
)
def test_too_little_data_is_never_fine(known: int, unknown: int, verdict: Verdict) -> None:
    j = judge(30, 30, week([(29, 1)] * known, unknown=unknown), [], NOW, SETTINGS)
    assert (j.verdict, j.unknown) == (verdict, unknown)


def test_nothing_beyond_the_largest_tier() -> None:
    j = judge(1000, 1000, week([(990, 10)] * WEEK), [], NOW, SETTINGS)
    assert (j.verdict, j.recommended_mbps, j.beyond_tiers) == (Verdict.CONGESTED, None, True)


def test_an_upgrade_within_twenty_percent_needs_no_written_justification() -> None:
    settings = replace(SETTINGS, tiers_mbps=(100.0, 110.0, 200.0), target_pct=95)
    j = judge(100, 100, week([(95, 10)] * WEEK), [], NOW, settings)
    assert (j.recommended_mbps, j.needs_justification) == (110.0, False)


def test_loss_and_latency() -> None:
    pings = [
        PingSample(NOW - STEP * i, rtt_avg_ms=20.0 + (i % 10) * 20, rtt_max_ms=300.0, loss_pct=3.0 if i % 2 else 1.0)
        for i in range(WEEK)
    ]
    j = judge(30, 30, week([(5, 1)] * WEEK), pings, NOW, SETTINGS)
    # Round trips are 20, 40, … 200 ms in equal shares: rank ceil(0.95 × 2016) = 1916 falls in the 200 ms tenth.
    assert (j.loss_pct, j.loss_high, j.rtt_p_ms, j.rtt_high, j.rtt_max_ms) == (2.0, True, 200.0, True, 300.0)


def test_business_hours_judge_only_working_time() -> None:
    settings = replace(SETTINGS, business_hours=(dt.time(7, 30), dt.time(17, 0)))
    # Quiet by day, full at night and at weekends (backups): judged over all hours the link is
    # congested; judged over working hours only, it is not.
    rates = []
    for i in range(WEEK):
        local = (NOW - STEP * (WEEK - 1 - i)).astimezone(dt.timezone(dt.timedelta(hours=7)))
        working = local.weekday() < 5 and dt.time(7, 30) <= local.time() < dt.time(17, 0)
        rates.append((3.0, 1.0) if working else (28.0, 1.0))
    assert judge(30, 30, week(rates), [], NOW, SETTINGS).verdict is Verdict.CONGESTED
    j = judge(30, 30, week(rates), [], NOW, settings)
    # Monday to Friday, 07:30 to 17:00: 5 × 9.5 h × 12 = 570 intervals, all at 3 Mbps.
    assert (j.verdict, j.expected, j.samples, j.p_in_bps) == (Verdict.OK, 570, 570, 3e6)


def test_the_justification_reads_the_same_figures() -> None:
    found = week([(10, 2)] * 1900 + [(29, 3)] * 116)
    pings = [PingSample(NOW - STEP * i, 35.0, 60.0, 0.5) for i in range(WEEK)]
    j = judge(30, 30, found, pings, NOW, SETTINGS)
    assert justify("TSLCD Hưng Phúc", j, "vi") == (
        "Đường truyền TSLCD Hưng Phúc: trong 7 ngày dữ liệu (2016 mẫu 5 phút, đạt 100% số mẫu), phân vị 95 tải "
        "xuống 29 Mbps (96,7% băng thông hợp đồng 30 Mbps), tải lên 3 Mbps (10% của 30 Mbps); mất gói trung bình "
        "0,5%, độ trễ phân vị 95 35 ms. Kênh được coi là quá tải khi phân vị 95 vượt 90% băng thông (Thông tư "
        "06/2026/TT-BKHCN); đề nghị nâng lên 50 Mbps."
    )
    assert justify("TSLCD Hưng Phúc", j, "en").endswith("upgrade to 50 Mbps.")
    assert "96.7% of the contracted 30 Mbps" in justify("TSLCD Hưng Phúc", j, "en")
