"""Turning what an agent sent into plain values, without trusting it.  Pure.

The client hands over raw values: bytes (OCTET STRING), int (INTEGER, counters, gauges,
TimeTicks), str (OBJECT IDENTIFIER in dotted form, IpAddress), or None (noSuchObject,
noSuchInstance, endOfMibView).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

MAX_TEXT = 1024  # a 64 kB sysDescr is a lie or a bug; keep the start, say it was cut
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]+")
PLACEHOLDERS = {
    "",
    "na",
    "n/a",
    "none",
    "null",
    "unknown",
    "not available",
    "not specified",
    "default string",
    "to be filled by o.e.m.",
    "oem",
    "generic",
    "system manufacturer",
    "manufacturer",
    "0",
    "00000000",
    "0000000000000000",
    "-",
}


def text(value: Any) -> str | None:
    """Printable text from an OCTET STRING: UTF-8 (else Latin-1), no control bytes, at most 1 kB.

    Returns None for nothing useful: absent, empty, or a placeholder like "N/A" or "0000…".
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            decoded = value.decode("utf-8")
        except UnicodeDecodeError:
            decoded = value.decode("latin-1")
    else:
        decoded = str(value)
    cleaned = _CONTROL.sub(" ", decoded.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if cleaned.lower() in PLACEHOLDERS or set(cleaned) <= {"0", " "}:
        return None
    if len(cleaned) > MAX_TEXT:
        cleaned = cleaned[: MAX_TEXT - 1] + "…"
    return cleaned


def first_line(value: Any) -> str | None:
    found = text(value)
    return found.splitlines()[0].strip() if found else None


def integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


MAX_OID_ARCS = 128  # RFC 2578: at most 128 sub-identifiers, each below 2^32
MAX_OID_TEXT = 255  # as stored (device.sys_object_id)


def oid(value: Any) -> str | None:
    """An OBJECT IDENTIFIER in dotted form, or None for text that is not one, or one no agent may send."""
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)+", value.lstrip(".")):
        found = value.lstrip(".")
        arcs = found.split(".")
        if len(found) <= MAX_OID_TEXT and len(arcs) <= MAX_OID_ARCS and all(int(a) < 2**32 for a in arcs):
            return found
    return None


def enterprise(object_id: str | None) -> int | None:
    """The enterprise number in a sysObjectID (1.3.6.1.4.1.N…), which names the vendor."""
    if object_id and object_id.startswith("1.3.6.1.4.1."):
        parts = object_id.split(".")
        if len(parts) > 6 and parts[6].isdigit():
            return int(parts[6])
    return None


_TEXT_DATES = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), (1, 2, 3)),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (3, 1, 2)),  # APC and most US firmware: mm/dd/yyyy
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), (1, 2, 3)),
)


def table_rows(columns: Mapping[str, Iterable[tuple[str, Any]]]) -> dict[int, dict[str, Any]]:
    """Walked table columns (name → [(oid, value)]) as rows keyed by their index (the last arc)."""
    rows: dict[int, dict[str, Any]] = {}
    for name, walked in columns.items():
        for oid_text, value in walked:
            last_arc = oid_text.rsplit(".", 1)[-1]
            if last_arc.isdigit():
                rows.setdefault(int(last_arc), {})[name] = value
    return rows


def manufacture_date(value: Any, earliest: int = 1980, latest: int = 2100) -> dt.date | None:
    """A manufacture date from ENTITY-MIB DateAndTime (8 or 11 octets) or a vendor's text date.

    Unknown, not a guess, for: absent, eight (or more) zero bytes, sixteen ASCII "0", "NA", a
    month or day out of range, or a year outside earliest…latest.
    """
    if not isinstance(value, bytes) or not value:
        return None
    if len(value) in (8, 11) and value[0] < 0x20:  # binary: a year below 8192; text starts at "0" (0x30)
        year, month, day = int.from_bytes(value[:2], "big"), value[2], value[3]
        return _date(year, month, day, earliest, latest)
    decoded = text(value)
    if decoded is None:
        return None
    for pattern, (y, m, d) in _TEXT_DATES:
        match = pattern.search(decoded)
        if match:
            return _date(int(match[y]), int(match[m]), int(match[d]), earliest, latest)
    return None


def _date(year: int, month: int, day: int, earliest: int, latest: int) -> dt.date | None:
    if not earliest <= year <= latest:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def uptime_seconds(sys_uptime: Any, hr_uptime: Any, engine_time: Any) -> int | None:
    """The largest uptime that answered: sysUpTime wraps after ~497 days and restarts with the agent,
    hrSystemUptime counts the host, snmpEngineTime the SNMP engine in seconds."""
    found = [v // 100 for v in (integer(sys_uptime), integer(hr_uptime)) if v is not None and v >= 0]
    engine = integer(engine_time)
    if engine is not None and 0 <= engine < 2**31:
        found.append(engine)
    return max(found) if found else None
