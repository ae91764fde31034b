"""`audit --notify` and `agent --notify`: find the events worth a person's attention, send a mail
for each one not yet told, and resolve those that are over (so a new one is told again)."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Mapping

from auditor.db import findings, notifications
from auditor.db.engine import Database
from auditor.domain import FindingKind
from auditor.errors import AuditorError
from auditor.i18n import texts
from auditor.mail import send
from auditor.notices import Event, NotifyReport
from auditor.rules.notices import SCOPE, failure_events, link_events, unit_events
from auditor.settings import Settings

log = logging.getLogger(__name__)


def _deliver(
    database: Database, settings: Settings, events: list[Event], prefixes: tuple[str, ...], now: dt.datetime
) -> NotifyReport:
    with database.session() as session:
        pending = notifications.record(session, events, prefixes, now)
        due = [(row.id, Event(row.key, row.subject, row.body)) for row in pending]
    if not due:
        return NotifyReport(open=len(events))
    try:
        send([event for _, event in due], settings.notify)
    except AuditorError as exc:
        log.error("notify: %s; the %d mail(s) will be tried again next time", exc, len(due))
        with database.session() as session:
            notifications.mark(session, [i for i, _ in due], now, str(exc))
        return NotifyReport(failed=len(due), open=len(events) - len(due), error=str(exc))
    with database.session() as session:
        notifications.mark(session, [i for i, _ in due], now, None)
    log.info("notify: %d mail(s) sent", len(due))
    return NotifyReport(sent=len(due), open=len(events) - len(due))


def notify_state(database: Database, settings: Settings, now: dt.datetime) -> NotifyReport:
    """The links and units as the database has them now: a mail for each new event."""
    if not settings.notify.enabled:
        raise AuditorError(
            "--notify needs [notify] smtp_host, sender and recipients in auditor.toml (see the README's Notifications)"
        )
    tr, zone = texts(settings.notify.lang), zoneinfo.ZoneInfo(settings.timezone)
    with database.session(commit=False) as session:
        recent = now - dt.timedelta(seconds=settings.links.interval_s * (settings.notify.link_down_samples + 2) * 4)
        down = notifications.links_down(session, settings.notify.link_down_samples, recent)
        congested = findings.list_findings(session, FindingKind.LINK_CONGESTED.value)
        silent = notifications.silent_units(session)
    events = [*link_events(down, congested, tr, zone), *unit_events(silent, tr, zone)]
    return _deliver(database, settings, events, SCOPE, now)


def notify_failures(
    database: Database, settings: Settings, now: dt.datetime, failures: Mapping[str, str], who: tuple[str, ...]
) -> NotifyReport:
    """`failures` ("audit", "agent:NAME" → what went wrong) as they stand for `who`: a failure told
    once, resolved when the next run of the same one succeeds."""
    return _deliver(database, settings, failure_mails(settings, now, failures), tuple(f"failed:{w}" for w in who), now)


def failure_mails(settings: Settings, now: dt.datetime, failures: Mapping[str, str]) -> list[Event]:
    tr, zone = texts(settings.notify.lang), zoneinfo.ZoneInfo(settings.timezone)
    return list(failure_events(failures, tr, now, zone))
