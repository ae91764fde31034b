"""The link hours kept in step with the raw samples when something else touches them: samples
deleted by hand (the oldest, some in the middle, the newest with SQLite giving their ids again), a
value changed by hand (`auditor links rebuild-hours`), a rebuild stopped half-way with a sampler
storing between its steps, and a database at revision 0007 whose hours cannot be trusted.  Every
time the judgement must read what the raw rows say (the pure computation over them)."""

from __future__ import annotations

import datetime as dt
import logging
import random

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from auditor.config import load_settings
from auditor.db import samples
from auditor.db.engine import Database, alembic_config, make_engine, open_database
from auditor.db.models import LinkHourMark, LinkSample
from auditor.jobs import judge
from auditor.settings import Settings
from tests.conftest import Cli
from tests.links.test_window_stats import NOW, STEP, _pure, _samples, unit_with_links, without_hours

WEEK = dt.timedelta(days=7)


def _stored(database: Database, links: int, count: int, seed: int) -> list[int]:
    """`links` links of `count` samples each, stored as the sampler stores them (folded)."""
    rng = random.Random(seed)
    with database.session() as session:
        _, ids = unit_with_links(session, links)
    for link_id in ids:
        with database.session() as session:
            samples.lock_samples(session)
            samples.store_link_samples(session, _samples(rng, link_id, count), None, NOW)
    return ids


def _judged_as_raw(database: Database, ids: list[int], now: dt.datetime = NOW) -> bool:
    with database.session(commit=False) as session:
        return judge.window_stats_of(session, ids, now - WEEK, now, 95) == _pure(session, ids, now, 95)


def _rows_counted(database: Database) -> bool:
    with database.session(commit=False) as session:
        mark = session.get(LinkHourMark, 1)
        total = session.scalar(select(func.count()).select_from(LinkSample))
        return mark is not None and mark.rebuilt_through is None and mark.folded_rows == total


def _settings(db_url: str) -> Settings:
    return load_settings(db_url=db_url)


@pytest.mark.parametrize("where", ["oldest", "middle"])
def test_samples_deleted_by_hand_are_noticed_by_the_next_judgement(
    auditor: Cli, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    """`DELETE FROM link_sample ...` in a SQL shell: the next judgement counts fewer rows than the
    hours hold, says so, rebuilds them, and judges what is left."""
    database = open_database(auditor.db_url)
    ids = _stored(database, 3, 2100, seed=1)
    with database.session() as session:
        every = list(session.scalars(select(LinkSample.id).where(LinkSample.link_id == ids[1]).order_by(LinkSample.id)))
        gone = every[200:260] if where == "oldest" else every[900:1500:3]
        session.execute(text(f"DELETE FROM link_sample WHERE id IN ({','.join(map(str, gone))})"))
    assert not _judged_as_raw(database, ids)  # the hours still hold the rows deleted
    with caplog.at_level(logging.INFO, logger="auditor"):
        verdicts = judge.link_verdicts(database, _settings(auditor.db_url), NOW)
    assert f"{len(gone)} link samples were deleted outside auditor" in caplog.text
    assert _judged_as_raw(database, ids) and _rows_counted(database)
    assert len(verdicts) == 3
    database.close()


def test_the_newest_samples_deleted_by_hand_and_their_ids_given_again(auditor: Cli) -> None:
    """The newest rows deleted, then as many stored by the next cycle: SQLite gives the new rows the
    deleted rows' ids, which the mark had folded.  Noticed before the cycle stores; judged right."""
    database = open_database(auditor.db_url)
    ids = _stored(database, 2, 2100, seed=2)
    with database.session() as session:
        top = session.scalars(select(LinkSample.id).order_by(LinkSample.id.desc()).limit(8)).all()
        session.execute(text(f"DELETE FROM link_sample WHERE id IN ({','.join(map(str, top))})"))
    later = NOW + STEP
    rng = random.Random(3)
    with database.session() as session:
        samples.lock_samples(session)
        cycle = [found for link_id in ids for found in _samples(rng, link_id, 6)[-4:]]  # 8 rows
        samples.store_link_samples(session, cycle, None, later)
    judge.link_verdicts(database, _settings(auditor.db_url), later)
    assert _judged_as_raw(database, ids, later) and _rows_counted(database)
    database.close()


def test_a_rebuild_goes_a_few_links_a_transaction_and_resumes_after_a_kill(
    auditor: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild commits every few links, so a sampler stores between its steps (its rows are
    folded into hours rebuilt or not yet); killed half-way, the next judgement finishes it."""
    monkeypatch.setattr(samples, "REBUILD_LINKS", 2)
    database = open_database(auditor.db_url)
    ids = _stored(database, 5, 2100, seed=4)
    with database.session() as session:
        samples.lock_samples(session)
        samples.start_rebuild(session)
    with database.session() as session:
        samples.lock_samples(session)
        assert samples.rebuild_step(session) == 2
    later = NOW + STEP
    rng = random.Random(5)
    with database.session() as session:  # the sampler's cycle, between two steps
        samples.lock_samples(session)
        samples.store_link_samples(session, [_samples(rng, i, 3)[-1] for i in ids], None, later)
    with database.session(commit=False) as session:  # here the rebuild was killed
        assert samples.hours_due(session).why == "resumed"
    judge.link_verdicts(database, _settings(auditor.db_url), later)
    with database.session(commit=False) as session:
        assert not samples.hours_due(session)
    assert _judged_as_raw(database, ids, later) and _rows_counted(database)
    database.close()


def test_links_rebuild_hours_after_a_value_changed_by_hand(auditor: Cli) -> None:
    """A change of a value is not counted: `auditor links rebuild-hours` is the way after one."""
    database = open_database(auditor.db_url)
    ids = _stored(database, 3, 2100, seed=6)
    with database.session() as session:
        session.execute(
            text("UPDATE link_sample SET in_bps = 29500000 WHERE link_id = :l AND id % 4 = 0"), {"l": ids[0]}
        )
    assert not _judged_as_raw(database, ids)
    database.close()
    assert (
        auditor.ok("links", "rebuild-hours").stdout.strip() == "Rebuilt the link hours of 3 links from their samples."
    )
    database = open_database(auditor.db_url)
    assert _judged_as_raw(database, ids) and _rows_counted(database)
    database.close()


def test_hours_of_a_database_at_revision_0007_are_rebuilt_once(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """0007's mark did not count the rows, so its hours may miss a deletion: the first judgement
    after the upgrade to 0008 rebuilds them, then trusts the count."""
    engine = make_engine(db_url, create=True)
    command.upgrade(alembic_config(engine), "0007")
    rng = random.Random(7)
    with monkeypatch.context() as old_version, Session(engine) as session, session.begin():
        without_hours(old_version)
        _, ids = unit_with_links(session, 2)
        for link_id in ids:
            samples.store_link_samples(session, _samples(rng, link_id, 2100), None, NOW)
        session.execute(text("INSERT INTO link_hour_mark (id, folded_to) SELECT 1, max(id) FROM link_sample"))
    engine.dispose()
    auditor = Cli(db_url)
    assert auditor.ok("init").stdout.strip().endswith("from revision 0007 to 0008.")
    database = open_database(db_url)
    with database.session(commit=False) as session:
        assert samples.hours_due(session).why == "unknown"
    judge.link_verdicts(database, _settings(db_url), NOW)
    assert _judged_as_raw(database, ids) and _rows_counted(database)
    database.close()


def test_rows_without_an_interval_start_or_with_nan_values_are_judged_as_the_raw_ones(auditor: Cli) -> None:
    """Rows older versions (or a hand) left: an interval without its start (taken as starting when
    it was read), NaN rates and pings (PostgreSQL keeps a NaN; SQLite reads NULL): no measurement,
    in the hours as in the raw path."""
    database = open_database(auditor.db_url)
    ids = _stored(database, 2, 2100, seed=8)
    nan = float("nan")
    with database.session() as session:
        session.execute(text("UPDATE link_sample SET started_at = NULL WHERE id % 7 = 0"))
        session.execute(text("UPDATE link_sample SET in_bps = :v WHERE id % 11 = 0"), {"v": nan})
        session.execute(text("UPDATE link_sample SET rtt_avg_ms = :v, loss_pct = :v WHERE id % 13 = 0"), {"v": nan})
    database.close()
    auditor.ok("links", "rebuild-hours")
    database = open_database(auditor.db_url)
    assert _judged_as_raw(database, ids)
    with database.session(commit=False) as session:
        stats = judge.window_stats_of(session, ids, NOW - WEEK, NOW, 95)
    assert all(s.samples > 1500 and s.p_in_bps == s.p_in_bps and s.loss_pct == s.loss_pct for s in stats.values())
    database.close()
