"""The window statistics read from the link hours (db.samples, each link's samples of an hour in one
array) equal the pure computation over the same raw samples: stored at once or cycle by cycle as the
agent stores them, written behind the sampler (a bulk load, an older version) and folded before the
judgement, and after an upgrade from the schema without link hours."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import signal

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from auditor.config import LinkSettings, load_settings
from auditor.db import findings, samples
from auditor.db.engine import alembic_config, make_engine, open_database
from auditor.db.models import Link, Run, Unit
from auditor.domain import RunOutcome, Verdict
from auditor.errors import AuditorError
from auditor.jobs import audit, judge
from auditor.links.congestion import judge as judge_link
from auditor.links.congestion import window_stats
from auditor.traffic import CounterSample, Interval, LinkObservation
from tests.conftest import Cli

NOW = dt.datetime(2026, 11, 22, 0, 0, 7, 250_000, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=300)


def _samples(rng: random.Random, link_id: int, count: int) -> list[tuple[LinkObservation, Interval | None]]:
    """A little over the window of 5-minute samples: ties, gaps, unknown intervals, missing pings,
    and samples straddling the window's start."""
    found: list[tuple[LinkObservation, Interval | None]] = []
    at = NOW - count * STEP + dt.timedelta(seconds=rng.uniform(0, 299))
    previous = None
    for n in range(count):
        at += STEP * (2 if rng.random() < 0.02 else 1) + dt.timedelta(milliseconds=rng.randint(-900, 900))
        if at > NOW + STEP:
            break
        counters = CounterSample(at=at, in_octets=n, out_octets=n, counter_bits=64, if_index=1, uptime_s=n)
        pings = (
            (None, None, None)
            if rng.random() < 0.1
            else (rng.uniform(1, 80), rng.uniform(80, 300), rng.choice([0.0, 0.0, 33.3, 100.0]))
        )
        observation = LinkObservation(link_id, counters, rtt_avg_ms=pings[0], rtt_max_ms=pings[1], loss_pct=pings[2])
        if previous is None:
            interval = Interval(at, at, unknown="first_sample")
        elif rng.random() < 0.03:
            interval = Interval(previous, at, unknown=rng.choice(["counter_reset", "rebooted", "too_long"]))
        else:
            rate = rng.choice([rng.uniform(0, 30e6), 12e6])  # ties on purpose
            interval = Interval(previous, at, rate, rng.uniform(0, 30e6))
        if rng.random() < 0.01:
            observation, interval = LinkObservation(link_id, None, error="timeout"), None
        else:
            previous = at
        found.append((observation, interval))
    return found


def without_hours(patch: pytest.MonkeyPatch) -> None:
    """store_link_samples as before the link hours (schema 0006, or a bulk load): the rows alone."""
    patch.setattr(samples, "fold_hours", lambda session: 0)
    patch.setattr(samples, "_guard_top", lambda session: None)


def unit_with_links(session: Session, count: int) -> tuple[Unit, list[int]]:
    """Unit XA-A with `count` 30 Mbps links; the unit and the links' ids."""
    unit = Unit(code="XA-A", name="A", created_at=NOW, updated_at=NOW)
    session.add(unit)
    session.flush()
    links = [
        Link(
            unit_id=unit.id, name=f"WAN{i}", capacity_down_mbps=30, capacity_up_mbps=30, created_at=NOW, updated_at=NOW
        )
        for i in range(count)
    ]
    session.add_all(links)
    session.flush()
    return unit, [link.id for link in links]


@pytest.mark.parametrize("percentile", [95, 50, 99.9])
def test_database_window_statistics_equal_the_pure_ones(auditor: Cli, percentile: float) -> None:
    database = open_database(auditor.db_url)
    rng = random.Random(20261122)
    with database.session() as session:
        _, ids = unit_with_links(session, 4)
        for link_id, count in zip(ids[:3], (2100, 700, 3), strict=True):  # a full week, two days, a new link
            samples.store_link_samples(session, _samples(rng, link_id, count), None, NOW)
    settings = LinkSettings(percentile=percentile)
    since = NOW - dt.timedelta(days=settings.window_days)
    with database.session(commit=False) as session:
        in_sql = judge.window_stats_of(session, ids, since, NOW, percentile)
        history = samples.link_history(session, ids, since)
        pure = {i: window_stats(intervals, pings, NOW, settings) for i, (intervals, pings) in history.items()}
    database.close()
    assert in_sql == pure
    assert in_sql[ids[0]].samples > 1800 and in_sql[ids[0]].intervals > in_sql[ids[0]].samples
    assert in_sql[ids[3]].samples == 0 and in_sql[ids[3]].p_in_bps is None


def test_a_share_of_the_links_reads_only_its_range(auditor: Cli) -> None:
    """A judgement worker's share gets the same statistics as the whole, and nothing of the links
    outside it."""
    database = open_database(auditor.db_url)
    rng = random.Random(7)
    with database.session() as session:
        _, ids = unit_with_links(session, 4)
        for link_id in ids:
            samples.store_link_samples(session, _samples(rng, link_id, 400), None, NOW)
    since = NOW - dt.timedelta(days=7)
    with database.session(commit=False) as session:
        whole = judge.window_stats_of(session, ids, since, NOW, 95)
        share = judge.window_stats_of(session, ids[1:3], since, NOW, 95)
    database.close()
    assert share == {i: whole[i] for i in ids[1:3]}
    assert all(s.samples > 300 for s in whole.values())


def province_of_links(url: str, count: int) -> None:
    database = open_database(url)
    rng = random.Random(11)
    with database.session() as session:
        _, ids = unit_with_links(session, count)
        for n, link_id in enumerate(ids):  # a full week, a new link, two days
            samples.store_link_samples(session, _samples(rng, link_id, (2100, 40, 700)[n % 3]), None, NOW)
    database.close()


def test_links_judged_in_worker_processes_as_here(auditor: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """From PARALLEL_LINKS links the audit judges them in worker processes, each with a share: the
    verdicts, and their order, are those judged in this process."""
    province_of_links(auditor.db_url, 7)
    database = open_database(auditor.db_url)
    settings = load_settings(db_url=auditor.db_url)
    here = judge.link_verdicts(database, settings, NOW)
    monkeypatch.setattr(judge, "PARALLEL_LINKS", 2)
    with judge.judging(database, settings, NOW) as judged:
        workers = multiprocessing.active_children()
        apart = judged()
    database.close()
    assert len(workers) == min(judge.JUDGE_WORKERS, os.cpu_count() or 1) and all(
        w.name == "auditor-judgement" for w in workers
    )
    assert apart == here and len(here) == 7
    assert {v.judgement.verdict for v in here} - {Verdict.INSUFFICIENT_DATA}  # some links had enough samples


def test_a_judgement_worker_that_dies_stops_the_audit_with_a_message(
    auditor: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 of a worker: the audit raises a plain error, writes no findings, leaves no process."""
    province_of_links(auditor.db_url, 3)
    database = open_database(auditor.db_url)
    settings = load_settings(db_url=auditor.db_url)
    monkeypatch.setattr(judge, "PARALLEL_LINKS", 1)
    with (
        pytest.raises(AuditorError, match=r"ended without an answer .* run it again"),
        judge.judging(database, settings, NOW) as judged,
    ):
        workers = multiprocessing.active_children()
        for worker in workers:
            os.kill(worker.pid or 0, signal.SIGKILL)
        audit.await_verdicts(database, audit.assess_devices(database, settings, NOW), judged, NOW)
    with database.session(commit=False) as session:
        assert findings.list_findings(session) == []
        (run,) = session.scalars(select(Run))
        assert run.outcome is RunOutcome.FAILED and "ended without an answer" in (run.message or "")
    database.close()
    assert workers and not any(w.is_alive() for w in workers)


def _pure(session: Session, ids: list[int], now: dt.datetime, percentile: float) -> dict[int, object]:
    settings = LinkSettings(percentile=percentile)
    history = samples.link_history(session, ids, now - dt.timedelta(days=settings.window_days))
    return {i: window_stats(intervals, pings, now, settings) for i, (intervals, pings) in history.items()}


ENDS = [NOW, NOW - dt.timedelta(hours=30, minutes=7, seconds=13), NOW - dt.timedelta(days=2, microseconds=1)]


def test_samples_stored_cycle_by_cycle_are_judged_as_the_raw_ones(auditor: Cli) -> None:
    """The agent stores one sample of every link per cycle: each store adds to the hour arrays
    already there; windows ending anywhere read the raw rows' statistics."""
    database = open_database(auditor.db_url)
    rng = random.Random(5)
    with database.session() as session:
        _, ids = unit_with_links(session, 3)
    per_link = [_samples(rng, link_id, 500) for link_id in ids]
    cycles = max(len(found) for found in per_link)
    for cycle in range(0, cycles, 4):  # four cycles a transaction, as a slow agent's backlog
        with database.session() as session:
            for n in range(cycle, min(cycle + 4, cycles)):
                samples.store_link_samples(session, [found[n] for found in per_link if n < len(found)], None, NOW)
    with database.session(commit=False) as session:
        assert not samples.hours_due(session)
        for now in ENDS:
            assert judge.window_stats_of(session, ids, now - dt.timedelta(days=7), now, 95) == _pure(
                session, ids, now, 95
            )
        assert all(
            s.samples > 300 for s in judge.window_stats_of(session, ids, NOW - dt.timedelta(days=7), NOW, 95).values()
        )
    database.close()


@pytest.mark.parametrize("many", [False, True], ids=["folded", "rebuilt"])
def test_samples_written_behind_the_sampler_are_folded_before_the_judgement(
    auditor: Cli, monkeypatch: pytest.MonkeyPatch, many: bool
) -> None:
    """Rows that reached the table without the sampler (a bulk load, an older version) are added to
    the hours by the next judgement: a few folded in, many rebuilt link by link from the raw rows."""
    database = open_database(auditor.db_url)
    rng = random.Random(9)
    with database.session() as session:
        _, ids = unit_with_links(session, 3)
        for link_id in ids:
            samples.store_link_samples(session, _samples(rng, link_id, 300), None, NOW - dt.timedelta(days=1))
    with monkeypatch.context() as behind:
        without_hours(behind)
        with database.session() as session:
            for link_id in ids[1:]:
                samples.store_link_samples(session, _samples(rng, link_id, 100), None, NOW)
    monkeypatch.setattr(samples, "FOLD_AT_MOST", 50 if many else 10_000)
    monkeypatch.setattr(samples, "REBUILD_LINKS", 2)
    settings = load_settings(db_url=auditor.db_url)
    with database.session(commit=False) as session:
        due = samples.hours_due(session)
        assert due.fold > 150 and due.why == ("many" if many else None)
        stale = judge.window_stats_of(session, ids, NOW - dt.timedelta(days=7), NOW, 95)
        assert stale != _pure(session, ids, NOW, 95)  # the rows behind are missing until folded
    verdicts = judge.link_verdicts(database, settings, NOW)
    with database.session(commit=False) as session:
        assert not samples.hours_due(session)
        assert judge.window_stats_of(session, ids, NOW - dt.timedelta(days=7), NOW, 95) == _pure(session, ids, NOW, 95)
        history = samples.link_history(session, ids, NOW - dt.timedelta(days=7))
    assert [v.judgement for v in verdicts] == [
        judge_link(30, 30, *history[v.link_id], NOW, settings.links) for v in verdicts
    ]
    database.close()


def test_an_upgrade_from_the_schema_without_link_hours_judges_the_old_samples(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Samples stored by the previous version (schema 0006, no link hours): after `auditor init`
    the first judgement builds the hours, and the report is what the raw rows say."""
    auditor = Cli(db_url)
    engine = make_engine(db_url, create=True)
    command.upgrade(alembic_config(engine), "0006")
    rng = random.Random(13)
    with monkeypatch.context() as old_version, Session(engine) as session, session.begin():
        without_hours(old_version)  # 0006 stored the rows alone
        _, ids = unit_with_links(session, 2)
        for link_id in ids:
            samples.store_link_samples(session, _samples(rng, link_id, 2100), None, NOW)
    engine.dispose()
    assert auditor.ok("init").stdout.strip().endswith("from revision 0006 to 0008.")
    settings = load_settings(db_url=auditor.db_url)
    database = open_database(auditor.db_url)
    verdicts = judge.link_verdicts(database, settings, NOW)
    with database.session(commit=False) as session:
        history = samples.link_history(session, ids, NOW - dt.timedelta(days=7))
        assert not samples.hours_due(session)
    database.close()
    assert [v.judgement for v in verdicts] == [
        judge_link(30, 30, *history[v.link_id], NOW, settings.links) for v in verdicts
    ]
    assert all(v.judgement.samples > 1800 for v in verdicts)
