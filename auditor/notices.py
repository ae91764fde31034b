"""The vocabulary of the notifications: the events worth a person's attention, and what the
database says of links and units to find them.  Frozen dataclasses, no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """One e-mail's worth: `key` names the event while it lasts ("link_down:12")."""

    key: str
    subject: str
    body: str


@dataclass(frozen=True)
class LinkDown:
    link_id: int
    unit_code: str
    name: str
    samples: int  # the silent samples running
    since: dt.datetime  # the first of them
    last: dt.datetime


@dataclass(frozen=True)
class SilentUnit:
    unit_id: int
    code: str
    name: str
    devices: int  # with an address, none answering
    last_seen: dt.datetime | None  # when any of them last answered


@dataclass(frozen=True)
class NotifyReport:
    sent: int = 0
    failed: int = 0
    open: int = 0  # events that last, already told
    error: str | None = None
