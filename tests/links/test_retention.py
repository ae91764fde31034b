"""Retention: old link samples rolled up into hours, old device polls deleted, no verdict changed."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select

from auditor.config import load_settings
from auditor.db import samples
from auditor.db.engine import open_database
from auditor.db.models import Device, DevicePoll, LinkSample
from auditor.errors import ConfigError
from auditor.jobs import judge
from auditor.jobs.judge import link_verdicts
from auditor.jobs.prune import prune
from auditor.links.congestion import window_stats
from auditor.links.rollup import hourly
from auditor.traffic import RawSample
from tests.conftest import Cli
from tests.links.test_window_stats import NOW, _samples, unit_with_links

T = dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)


def raw(
    minute: int, in_bps: float | None, out_bps: float | None = 1e6, seconds: float = 300, **kw: object
) -> RawSample:
    at = T + dt.timedelta(minutes=minute)
    values: dict[str, object] = {
        "link_id": 1,
        "sampled_at": at,
        "started_at": at - dt.timedelta(seconds=seconds),
        "interval_s": seconds,
        "in_bps": in_bps,
        "out_bps": out_bps,
        "known": in_bps is not None,
        "rtt_avg_ms": 10.0,
        "rtt_max_ms": 20.0,
        "loss_pct": 0.0,
    } | kw
    return RawSample(**values)  # type: ignore[arg-type]


def test_an_hour_is_the_time_weighted_mean_of_its_known_intervals() -> None:
    rows = hourly(
        [
            raw(5, 10e6),
            raw(10, 20e6, seconds=600),  # a long interval weighs twice
            raw(15, None, None, known=False),  # unknown: not in the means, counted as a sample
            raw(20, 1e9, known=False),  # a rate marked unknown (above the port's speed) stays out
            raw(30, 30e6, rtt_avg_ms=30.0, rtt_max_ms=90.0, loss_pct=50.0),
            raw(65, 5e6),  # the next hour
        ]
    )
    assert [(r.hour.hour, r.samples) for r in rows] == [(10, 5), (11, 1)]
    first = rows[0]
    assert first.in_bps == pytest.approx((10e6 * 300 + 20e6 * 600 + 30e6 * 300) / 1200)
    assert first.known_s == 1200 and first.out_bps == pytest.approx(1e6)
    assert first.rtt_avg_ms == pytest.approx(14.0) and first.rtt_max_ms == 90.0 and first.loss_pct == 10.0
    assert first.sampled_at == T + dt.timedelta(minutes=30) and first.started_at == T


def test_raw_samples_must_outlive_the_judged_window(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="link_samples_raw_days is 7, but the congestion test judges the last 7"):
        load_settings(environ={"AUDITOR_CONFIG": ""}, cwd=None, config_file=_config(tmp_path, 7))


def _config(directory: object, raw_days: float) -> str:
    path = f"{directory}/auditor.toml"
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"[retention]\nlink_samples_raw_days = {raw_days}\n")
    return path


def test_prune_rolls_up_old_samples_deletes_old_polls_and_changes_no_verdict(auditor: Cli) -> None:
    database = open_database(auditor.db_url)
    rng = random.Random(7)
    with database.session() as session:
        unit, links = unit_with_links(session, 2)
        device = Device(unit_id=unit.id, hostname="gw", ip="127.0.0.1", created_at=NOW, updated_at=NOW)
        session.add(device)
        session.flush()
        for link_id in links:
            samples.store_link_samples(session, _samples(rng, link_id, 40 * 288), None, NOW)
        for days in (120, 15, 13, 1):
            at = NOW - dt.timedelta(days=days)
            session.add(DevicePoll(device_id=device.id, polled_at=at, reachable=True))
    settings = load_settings(db_url=auditor.db_url, environ={})
    before = [v.judgement for v in link_verdicts(database, settings, NOW)]
    with database.session(commit=False) as session:
        total = session.scalar(select(func.count()).select_from(LinkSample))
        old = session.scalar(
            select(func.count()).where(LinkSample.sampled_at < NOW - dt.timedelta(days=30)).select_from(LinkSample)
        )
        previous = {t.link_id: t.previous for t in samples.link_targets(session)}

    report = prune(database, settings, NOW)

    assert report.polls_deleted == 2 and report.samples_rolled_up == old and old and total
    assert 0 < report.hours_added <= 2 * 24 * 11  # at most one row per link and hour of the 10-odd old days
    with database.session(commit=False) as session:
        hourly_rows = [
            (r.samples or 0, r.unknown_reason, r.in_octets)
            for r in session.scalars(select(LinkSample).where(LinkSample.samples.is_not(None)))
        ]
        left = session.scalar(select(func.count()).select_from(LinkSample))
        polls = sorted(p.polled_at for p in session.scalars(select(DevicePoll)))
        assert {t.link_id: t.previous for t in samples.link_targets(session)} == previous  # rates go on as before
    assert sum(count for count, _, _ in hourly_rows) == old and left == total - old + report.hours_added
    assert {(reason, octets) for _, reason, octets in hourly_rows} == {("hourly", None)}
    assert polls == [NOW - dt.timedelta(days=13), NOW - dt.timedelta(days=1)]
    assert [v.judgement for v in link_verdicts(database, settings, NOW)] == before
    with database.session(commit=False) as session:  # the link hours were rebuilt with the hourly rows
        old_end = NOW - dt.timedelta(days=31, minutes=17)
        history = samples.link_history(session, links, old_end - dt.timedelta(days=7))
        pure = {i: window_stats(*history[i], old_end, settings.links) for i in links}
        assert judge.window_stats_of(session, links, old_end - dt.timedelta(days=7), old_end, 95) == pure
        assert all(s.intervals == 0 and s.rtt_p_ms is not None for s in pure.values())  # hourly rows: pings only
    assert prune(database, settings, NOW) == type(report)()  # nothing left to do
    # Three hours on, three more hours of samples are old enough; the polls are not.
    later = prune(database, settings, NOW + dt.timedelta(hours=3))
    assert 0 < later.samples_rolled_up <= 2 * 3 * 13 and 0 < later.hours_added <= 2 * 3 and later.polls_deleted == 0
    database.close()


def test_the_prune_command_says_what_it_did(auditor: Cli) -> None:
    said = auditor.ok("prune").stdout
    assert said == (
        "Retention: 0 link samples rolled up into 0 hourly rows, 0 device polls deleted, "
        "0 endpoints and 0 sightings not seen for long deleted.\n"
    )
