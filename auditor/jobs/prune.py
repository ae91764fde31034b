"""`auditor prune` (and the end of every audit): the retention settings applied."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from auditor.db import endpoints, samples
from auditor.db.engine import Database
from auditor.links.rollup import hourly
from auditor.settings import Settings

log = logging.getLogger(__name__)
ROLLUP_LINKS = 200


@dataclass(frozen=True)
class PruneReport:
    samples_rolled_up: int = 0
    hours_added: int = 0
    polls_deleted: int = 0
    sightings_deleted: int = 0
    endpoints_deleted: int = 0

    def line(self) -> str:
        return (
            f"{self.samples_rolled_up} link samples rolled up into {self.hours_added} hourly rows, "
            f"{self.polls_deleted} device polls deleted, "
            f"{self.endpoints_deleted} endpoints and {self.sightings_deleted} sightings not seen for long deleted"
        )


def _roll_up(database: Database, links: list[int], cutoff: dt.datetime) -> tuple[int, int]:
    """These links' raw samples older than `cutoff` become hourly rows, a day per transaction (a
    killed run loses nothing and the next one goes on); (samples removed, hourly rows added)."""
    rolled = added = 0
    with database.session(commit=False) as session:
        oldest = samples.oldest_raw_sample(session, links)
    day = oldest.replace(hour=0, minute=0, second=0, microsecond=0) if oldest else cutoff
    while day < cutoff:
        end = min(day + dt.timedelta(days=1), cutoff)
        with database.session() as session:
            samples.lock_samples(session)  # the link hours are rebuilt with the rows: no sampler between
            raw = samples.raw_samples(session, links, day, end)
            hours = hourly(raw)
            samples.replace_with_hours(session, raw, hours)
        rolled, added, day = rolled + len(raw), added + len(hours), end
    return rolled, added


def prune(database: Database, settings: Settings, now: dt.datetime) -> PruneReport:
    """Apply the retention settings as of `now`: old link samples become hourly rows (200 links × a
    day per transaction, bounded memory); old device polls are deleted, and endpoints not seen
    for `endpoints_days`."""
    keep = settings.retention
    rolled = added = deleted = 0
    if keep.link_samples_raw_days:
        cutoff = (now - dt.timedelta(days=keep.link_samples_raw_days)).replace(minute=0, second=0, microsecond=0)
        with database.session(commit=False) as session:
            every = samples.link_ids(session)
        for start in range(0, len(every), ROLLUP_LINKS):
            removed, hours = _roll_up(database, every[start : start + ROLLUP_LINKS], cutoff)
            rolled, added = rolled + removed, added + hours
    if keep.device_polls_days:
        with database.session() as session:
            deleted = samples.prune_device_polls(session, now - dt.timedelta(days=keep.device_polls_days))
    places = gone = 0
    if keep.endpoints_days:
        with database.session() as session:
            places, gone = endpoints.prune_endpoints(session, now - dt.timedelta(days=keep.endpoints_days), now)
    report = PruneReport(rolled, added, deleted, places, gone)
    log.info("retention: %s", report.line())
    return report
