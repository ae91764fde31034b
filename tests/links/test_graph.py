"""The link graphs: drawn from a stored week with a known gap, a known unknown interval and a known
95th percentile, read back from the file written (PNG header, SVG elements and text)."""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor.config import load_settings
from auditor.db import samples
from auditor.db.engine import open_database
from auditor.db.models import Link
from auditor.jobs.clock import system_now
from auditor.jobs.graphs import graph_file
from auditor.links.graph import gaps, steps, unknown_spans
from auditor.traffic import CounterSample, Interval, LinkObservation
from tests.conftest import Cli
from tests.links.test_window_stats import unit_with_links

NOW = dt.datetime(2026, 3, 9, 5, 0, tzinfo=dt.UTC)  # 12:00 in Hà Nội, a Monday
STEP = dt.timedelta(minutes=5)
GAP = (dt.timedelta(days=3, hours=2), dt.timedelta(days=3, hours=5))  # after the window's start: no sample
UNKNOWN_AT = dt.timedelta(days=5, hours=1)  # one interval across a reboot
SVG = "{http://www.w3.org/2000/svg}"


def _week(link_id: int, end: dt.datetime) -> list[tuple[LinkObservation, Interval | None]]:
    """A week of 5-minute samples ending at `end`: 5 Mbit/s in, every tenth interval 18 Mbit/s (so
    the 95th percentile in is exactly 18), 2 Mbit/s out; three hours missing, one interval unknown."""
    start = end - dt.timedelta(days=7)
    found: list[tuple[LinkObservation, Interval | None]] = []
    previous: dt.datetime | None = None
    for n in range(7 * 288 + 1):
        at = start + n * STEP
        if start + GAP[0] < at <= start + GAP[1]:
            continue
        counters = CounterSample(at=at, in_octets=n, out_octets=n, counter_bits=64, if_index=1, uptime_s=n)
        observation = LinkObservation(link_id, counters, rtt_avg_ms=5.0, rtt_max_ms=9.0, loss_pct=0.0)
        if previous is None:
            interval = Interval(at, at, unknown="first_sample")
        elif previous < start + GAP[1] < at:
            interval = Interval(previous, at, unknown="gap")
        elif previous < start + UNKNOWN_AT <= at:
            interval = Interval(previous, at, unknown="reboot")
        else:
            interval = Interval(previous, at, 18e6 if n % 10 == 0 else 5e6, 2e6)
        found.append((observation, interval))
        previous = at
    return found


def _stored(url: str, end: dt.datetime, capacities: tuple[float, float] = (20, 20)) -> int:
    database = open_database(url)
    with database.session() as session:
        _, (link_id,) = unit_with_links(session, 1)
        link = session.get(Link, link_id)
        assert link is not None
        link.capacity_down_mbps, link.capacity_up_mbps = capacities
        samples.store_link_samples(session, _week(link_id, end), None, end)
    return link_id


def _svg(path: Path) -> ET.Element:
    return ET.fromstring(path.read_text(encoding="utf-8"))


def _group(root: ET.Element, gid: str) -> ET.Element:
    found = root.find(f".//{SVG}g[@id='{gid}']")
    assert found is not None, f"the graph has no {gid}"
    return found


def _path(root: ET.Element, gid: str) -> str:
    drawn = _group(root, gid).find(f"{SVG}path")
    assert drawn is not None
    return drawn.attrib["d"]


def _numbers(d: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]


def _level(root: ET.Element, gid: str) -> float:
    """The height a horizontal line is drawn at, in the SVG's points (y grows downwards)."""
    x0, y0, x1, y1 = _numbers(_path(root, gid))[:4]
    assert y0 == y1 and x1 > x0, f"{gid} is a horizontal line"
    return y0


def _frame(root: ET.Element) -> tuple[float, float, float, float]:
    """The plotting area: left, right, bottom, top."""
    background = _group(root, "axes").find(f"{SVG}g/{SVG}path")
    assert background is not None
    values = _numbers(background.attrib["d"])
    xs, ys = values[0::2], values[1::2]
    return min(xs), max(xs), max(ys), min(ys)


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def test_the_graph_draws_the_percentile_the_capacity_the_gap_and_the_unknown(sqlite_url: str, tmp_path: Path) -> None:
    Cli(sqlite_url).ok("init")
    link_id = _stored(sqlite_url, NOW)
    settings = load_settings(db_url=sqlite_url, environ={})
    database = open_database(sqlite_url)
    out = tmp_path / "graph.svg"

    [graph] = graph_file(database, settings, NOW, out, ref=str(link_id))

    assert graph.p_in_mbps == pytest.approx(18) and graph.p_out_mbps == pytest.approx(2)
    root = _svg(out)
    left, right, bottom, top = _frame(root)
    capacity, p_in, p_out = _level(root, "capacity-in"), _level(root, "p-in"), _level(root, "p-out")
    threshold = _level(root, "threshold-in")
    assert (bottom - p_in) / (bottom - capacity) == pytest.approx(18 / 20, abs=0.005), "the p95 line is at 18 of 20"
    assert (bottom - p_out) / (bottom - capacity) == pytest.approx(2 / 20, abs=0.005)
    assert (bottom - threshold) / (bottom - capacity) == pytest.approx(0.9, abs=0.005), "the 90 % line"
    assert bottom > capacity > top, "the capacity is inside the plot, with room above"

    # The gap: a hatched span where it was, and the traffic line broken there, not bridged.
    gap = _numbers(_path(root, "gap-0"))
    width = right - left
    expected_start = left + width * GAP[0] / dt.timedelta(days=7)
    expected_end = left + width * (GAP[1] + STEP) / dt.timedelta(days=7)  # to the first sample after it
    assert min(gap[0::2]) == pytest.approx(expected_start, abs=1) and max(gap[0::2]) == pytest.approx(
        expected_end, abs=1
    )
    with pytest.raises(AssertionError):
        _group(root, "gap-1")  # one gap only: five-minute steps are not gaps
    unknown = _numbers(_path(root, "unknown-0"))
    assert min(unknown[0::2]) == pytest.approx(left + width * UNKNOWN_AT / dt.timedelta(days=7), abs=1.5)
    runs = _path(root, "traffic-in").count("M")
    assert runs == 3, "the line stops at the gap and at the unknown interval, and nowhere else"

    words = _texts(root)
    assert "phân vị 95 chiều vào: 18 Mbps" in words and "phân vị 95 chiều ra: 2 Mbps" in words
    assert "băng thông hợp đồng 20 Mbps" in words and "không có mẫu đo" in words
    assert any(w.startswith("XA-A / WAN0: ") for w in words)
    # Local time: the window ends at 12:00 in Hà Nội (05:00 UTC), and the axis names its days.
    assert any("12:00 09/03/2026" in w and "Asia/Ho_Chi_Minh" in w for w in words), words
    assert {"03/03", "09/03"} <= set(words)


def test_png_and_english_and_a_province_page(sqlite_url: str, tmp_path: Path) -> None:
    Cli(sqlite_url).ok("init")
    link_id = _stored(sqlite_url, NOW, capacities=(30, 10))
    settings = load_settings(db_url=sqlite_url, environ={})
    database = open_database(sqlite_url)

    graph_file(database, settings, NOW, tmp_path / "g.png", ref="xa-a/wan0", lang="en")
    header = (tmp_path / "g.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (1100, 462)

    graph_file(database, settings, NOW, tmp_path / "g.svg", ref=str(link_id), lang="en")
    root = _svg(tmp_path / "g.svg")
    bottom = _frame(root)[2]
    down, up = _level(root, "capacity-in"), _level(root, "capacity-out")
    assert (bottom - up) / (bottom - down) == pytest.approx(10 / 30, abs=0.005), "each direction its own capacity"
    assert "contracted 10 Mbps up" in _texts(root) and "95th percentile in: 18 Mbps" in _texts(root)

    [page] = graph_file(database, settings, NOW, tmp_path / "all.svg", ref=None, lang="en")
    assert page.link_id == link_id
    words = _texts(_svg(tmp_path / "all.svg"))
    assert "XA-A · 60 %" in words, "each panel: the unit and its busier direction's share"
    assert "title: congested" in words and "95th percentile" in words, "one legend says what the lines and colours are"


def test_the_command(auditor: Cli, tmp_path: Path) -> None:
    _stored(auditor.db_url, system_now())
    done = auditor.ok("links", "graph", "XA-A/WAN0", "-o", str(tmp_path / "a.png"))
    assert "Wrote the graph of XA-A / WAN0 (" in done.stdout and (tmp_path / "a.png").stat().st_size > 10_000
    done = auditor.ok("links", "graph", "--all", "--days", "2", "-o", str(tmp_path / "all.png"))
    assert "Wrote the graphs of 1 link to" in done.stdout

    for args, message in (
        (("links", "graph", "XA-B/WAN0", "-o", "x.png"), "no link 'XA-B/WAN0'"),
        (("links", "graph", "99", "-o", "x.png"), "no link '99'"),
    ):
        failed = auditor(*args)
        assert failed.exit_code == 1 and message in failed.stderr, failed.stderr
    for args in (("-o", "x.png"), ("XA-A/WAN0", "-o", "x.jpg")):  # neither a link nor --all; not a picture
        failed = auditor("links", "graph", *args)
        assert failed.exit_code == 2 and ("give one LINK" in failed.stderr or ".png or .svg" in failed.stderr)
    english = auditor.ok("links", "graph", "XA-A/WAN0", "-o", str(tmp_path / "en.svg"), env={"AUDITOR_LANG": "en"})
    assert "Wrote" in english.stdout and "local time" in (tmp_path / "en.svg").read_text(encoding="utf-8")
    assert not (tmp_path / "x.png").exists()


def test_steps_break_at_gaps_and_unknowns() -> None:
    t = NOW
    m = dt.timedelta(minutes=5)
    intervals = [
        Interval(t, t + m, 1e6, 2e6),
        Interval(t + m, t + 2 * m, 3e6, 4e6),
        Interval(t + 2 * m, t + 3 * m, unknown="reboot"),
        Interval(t + 5 * m, t + 6 * m, 5e6, 6e6),  # after ten minutes of nothing
    ]
    xs, ys = steps(intervals, inbound=True)
    assert xs == [t, t + m, t + 2 * m, t + 3 * m, t + 3 * m, t + 5 * m, t + 6 * m, t + 6 * m]
    assert [None if math.isnan(y) else y for y in ys] == [1, 3, None, None, None, 5, 5, None]
    [middle] = gaps(intervals, t - m, t + 7 * m, 300)  # five minutes at either end are no gap
    assert (middle.start, middle.end) == (t + 3 * m, t + 5 * m)
    first, _ = gaps(intervals, t - 2 * m, t + 6 * m, 300)
    assert (first.start, first.end) == (t - 2 * m, t)
    [reported] = gaps([Interval(t, t + 6 * m, unknown="gap")], t, t + 6 * m, 300)  # the rate maths said so
    assert (reported.start, reported.end) == (t, t + 6 * m)
    [span] = unknown_spans([*intervals[:3], Interval(t + 3 * m, t + 4 * m, unknown="reboot")])
    assert (span.start, span.end, span.reason) == (t + 2 * m, t + 4 * m, "reboot")
