"""`auditor links report`, and the audit's half that judges the links: every link's verdict over the
window ending at `now`, from its stored samples, by the congestion test (links.congestion)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from auditor.db import register, samples
from auditor.db.engine import Database, open_database
from auditor.jobs.fanout import Workers, send_answer
from auditor.links.congestion import judge_window, justify, summarise, window_stats
from auditor.settings import LinkSettings, Settings
from auditor.traffic import LinkVerdict, WindowNumbers, WindowStats

log = logging.getLogger(__name__)

PARALLEL_LINKS = 500  # from this many links the judgement runs in worker processes
JUDGE_WORKERS = 2  # at most; no more than the machine's cores


def _ranked(f: WindowNumbers, percentile: float) -> WindowStats:
    return summarise(f.intervals, f.ins, f.outs, f.losses, f.rtts, f.rtt_maxes, percentile)


def window_stats_of(
    session: Any, link_ids: Sequence[int], since: dt.datetime, now: dt.datetime, percentile: float
) -> dict[int, WindowStats]:
    """Each link's statistics over (since, now], all hours, from its link hours (db.samples): the
    arrays of the hours the window touches, ranked here by a partial sort."""
    return {i: _ranked(f, percentile) for i, f in samples.window_figures(session, link_ids, since, now)}


def fold_pending(database: Database) -> None:
    """Bring the link hours up to the stored samples before judging: nothing to do when the
    samplers folded their own (the rule); else the samples stored since, or, after an upgrade, a
    bulk load or samples deleted by hand, every link's hours rebuilt from the raw samples, a few
    links per transaction so that samplers store between them (a killed rebuild resumes)."""
    with database.session(commit=False) as session:
        due = samples.hours_due(session)
    if not due:
        return
    with database.session() as session:
        samples.lock_samples(session)
        due = samples.hours_due(session)  # again, with no writer between its counts
        if due.why is None:
            if due.fold:
                log.info("folding %d link samples into the link hours before judging", due.fold)
                samples.fold_hours(session)
            return
        if due.why == "deleted":
            log.warning(
                "%d link samples were deleted outside auditor since they were folded into the link hours: "
                "rebuilding every link's hours from the samples",
                due.deleted,
            )
        else:
            log.info("rebuilding every link's hours from the samples (%s)", due.why)
        if due.why != "resumed":
            samples.start_rebuild(session)
    _rebuild_steps(database)


def rebuild_hours(database: Database) -> int:
    """Rebuild every link's hours from the raw samples (`auditor links rebuild-hours`); how many
    links.  A few links per transaction, as fold_pending's rebuild."""
    with database.session() as session:
        samples.lock_samples(session)
        samples.start_rebuild(session)
    return _rebuild_steps(database)


def _rebuild_steps(database: Database) -> int:
    done = 0
    while True:
        with database.session() as session:
            samples.lock_samples(session)
            step = samples.rebuild_step(session)
        if not step:
            break
        done += step
        log.debug("link hours: %d links rebuilt", done)
    log.info("link hours rebuilt: %d links", done)
    return done


def link_verdicts(
    database: Database,
    settings: Settings | LinkSettings,
    now: dt.datetime,
    unit_code: str | None = None,
    only: Sequence[int] | None = None,
) -> list[LinkVerdict]:
    """Every link's verdict over the window ending at `now`, from its stored samples.

    Over all hours each window is read from the link hours (no sample is loaded); when only
    business hours are judged, which needs each sample's local time, the samples are loaded and
    the same statistics computed here.  `only`: just these links (a worker's share).
    """
    links_settings = settings.links if isinstance(settings, Settings) else settings
    since = now - dt.timedelta(days=links_settings.window_days)
    if only is None:  # a worker's share: its parent folded them
        fold_pending(database)
    with database.session(commit=False) as session:
        register.require_unit(session, unit_code)
        links = register.list_links(session, unit_code)
        if only is not None:
            chosen = set(only)
            links = [link for link in links if link.id in chosen]
        ids = [link.id for link in links]
        if links_settings.business_hours is None:
            stats = window_stats_of(session, ids, since, now, links_settings.percentile)
        else:
            history = samples.link_history(session, ids, since)
            stats = {
                i: window_stats(intervals, pings, now, links_settings) for i, (intervals, pings) in history.items()
            }
    verdicts = []
    for link in links:
        judgement = judge_window(link.capacity_down_mbps, link.capacity_up_mbps, stats[link.id], now, links_settings)
        label = f"{link.unit_code} / {link.name}"
        verdicts.append(
            LinkVerdict(
                link.id,
                link.unit_code,
                link.name,
                judgement,
                justify(label, judgement, "vi"),
                justify(label, judgement, "en"),
            )
        )
    return verdicts


@contextmanager
def judging(
    database: Database, settings: Settings, now: dt.datetime, unit_code: str | None = None
) -> Iterator[Callable[[], list[LinkVerdict]]]:
    """The links' verdicts, judged beside whatever the caller does meanwhile; yields the function
    that waits for them.

    The link hours are brought up to the stored samples first (fold_pending).  With many links the
    judgement then runs in worker processes, each on its own connection with a share of the links,
    reading their hour arrays and ranking them on the other cores while this process applies the
    device rules and reads the register.  With few links (a province) it runs here, when first
    asked for: a process would cost more than it saves.
    """
    with database.session(commit=False) as session:
        register.require_unit(session, unit_code)
        order = [link.id for link in register.list_links(session, unit_code)]
    fold_pending(database)
    count = max(1, min(JUDGE_WORKERS, os.cpu_count() or 1))
    if len(order) < PARALLEL_LINKS or database.in_memory:
        done: list[list[LinkVerdict]] = []

        def here() -> list[LinkVerdict]:
            if not done:
                done.append(link_verdicts(database, settings, now, unit_code))
            return done[0]

        yield here
        return
    ids = sorted(order)
    shares = [ids[i * len(ids) // count : (i + 1) * len(ids) // count] for i in range(count)]
    # The URL (with any password) reaches each worker through its pipe's arguments, never its argv.
    url = database.engine.url.render_as_string(hide_password=False)
    workers = Workers(_judge_apart, [(url, settings.links, now, share) for share in shares], "auditor-judgement")
    answer: list[list[LinkVerdict]] = []

    def wait() -> list[LinkVerdict]:
        if not answer:
            found = {v.link_id: v for verdicts in workers.answers("link judgement") for v in verdicts}
            answer.append([found[i] for i in order if i in found])  # links added since: judged next time
        return answer[0]

    try:
        yield wait
    finally:
        workers.close()


def _judge_apart(
    send: Any, url: str, settings: LinkSettings, now: dt.datetime, share: Sequence[int]
) -> None:  # pragma: no cover - runs in a worker process; tests check its answers
    """A worker process of `judging`: the verdicts of its share of the links, or its error, down the pipe."""

    def verdicts() -> list[LinkVerdict]:
        with open_database(url) as database:
            return link_verdicts(database, settings, now, only=share)

    send_answer(send, verdicts, "link judgement")
