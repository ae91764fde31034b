"""One cell's value as its column wants it, or BadValue saying what was expected (as data, for
the reader's language).  Pure: an explicit `today`, no file, no clock."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from auditor.domain import (
    CATEGORY_LABELS,
    CONDITION_LABELS,
    STATUS_LABELS,
    UNIT_KIND_LABELS,
    Category,
    Condition,
    DeviceStatus,
    SnmpVersion,
    UnitKind,
    fold,
    parse_category,
    parse_condition,
    parse_snmp_version,
    parse_status,
    parse_unit_kind,
)
from auditor.errors import BadValue
from auditor.facts import said
from auditor.formulas import unneutralise
from auditor.i18n import N_

EARLIEST_YEAR = 1980  # nothing in service today was bought before this

Cell = Any


class Uncomputed(str):
    """A formula whose value the file does not hold (a workbook written by a program, never opened
    and saved in Excel): refused, never read as text nor as empty."""


def cell_text(value: Cell) -> str:
    """A cell as a person would read it: numbers without a spurious '.0', dates in ISO form."""
    if type(value) is str and value.isascii():  # most cells: nothing to compose
        return unneutralise(value.strip())
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    # NFC: Windows-1258 files and Mac keyboards give decomposed letters ("a" + combining tilde);
    # stored composed, "Hòa" from one unit matches "Hòa" from another.
    text = str(value)
    return unneutralise((text if text.isascii() else unicodedata.normalize("NFC", text)).strip())


def parse_whole(value: Cell) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and value >= 0:
            return int(value)
        raise BadValue(said(N_("a whole number, 0 or more")))
    text = cell_text(value).replace(" ", "")
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+[.,]0+", text):
        return int(re.split(r"[.,]", text)[0])
    raise BadValue(said(N_("a whole number, 0 or more")))


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_YMD = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})")
_MY = re.compile(r"(\d{1,2})[/.\-](\d{4})")
_YM = re.compile(r"(\d{4})[/.\-](\d{1,2})")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_service_date(value: Cell, today: dt.date) -> tuple[dt.date, str]:
    """A year or date of entry into service, and its precision ('year', 'month' or 'day').

    Accepts 2015, "2015", "15/3/2015" (day first, as Vietnamese sheets write it), "3/2015",
    "2015-03-15", a spreadsheet date, and an Excel serial day number that a date column
    turned into.  A future date, or one before 1980, is refused rather than guessed at.
    """
    expected = said(N_("a year such as 2015 or a date such as 15/03/2015"))
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        found, precision = value, "day"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise BadValue(expected)
        number = int(value)
        if EARLIEST_YEAR <= number <= 2200:
            found, precision = dt.date(number, 1, 1), "year"
        elif 20000 <= number <= 80000:  # an Excel serial: 29221 is 1980-01-01
            found, precision = _EXCEL_EPOCH + dt.timedelta(days=number), "day"
        else:
            raise BadValue(expected)
    else:
        text = cell_text(value)
        try:
            if re.fullmatch(r"\d{4}", text):
                found, precision = dt.date(int(text), 1, 1), "year"
            elif m := _DMY.fullmatch(text):
                found, precision = dt.date(int(m[3]), int(m[2]), int(m[1])), "day"
            elif m := _YMD.fullmatch(text):
                found, precision = dt.date(int(m[1]), int(m[2]), int(m[3])), "day"
            elif m := _MY.fullmatch(text):
                found, precision = dt.date(int(m[2]), int(m[1]), 1), "month"
            elif m := _YM.fullmatch(text):
                found, precision = dt.date(int(m[1]), int(m[2]), 1), "month"
            elif re.fullmatch(r"\d{5}", text):
                return parse_service_date(int(text), today)
            else:
                raise BadValue(expected)
        except ValueError as exc:  # 31/02/2015 and the like
            raise BadValue(said(N_("{expected} (that date does not exist)"), expected=expected)) from exc
    if found.year < EARLIEST_YEAR:
        raise BadValue(said(N_("{expected}, not before {year}"), expected=expected, year=EARLIEST_YEAR))
    if found > today or (precision == "year" and found.year > today.year):
        raise BadValue(said(N_("{expected}, not in the future"), expected=expected))
    return found, precision


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # ASCII digits: \d matches "٠" too
_PLAIN_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")  # as ipaddress writes it: no leading zeros


def parse_ip(value: Cell) -> str:
    text = cell_text(value)
    if _PLAIN_IPV4.fullmatch(text):  # most cells: already the address as ipaddress would write it
        return text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError as exc:
        raise BadValue(said(N_("an IPv4 or IPv6 address such as 10.38.1.10"))) from exc


def parse_mac(value: Cell) -> str:
    digits = re.sub(r"[\s:.\-]", "", cell_text(value)).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", digits):
        raise BadValue(said(N_("a MAC address such as 00:1a:2b:3c:4d:5e")))
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


MAX_SUBNETS = 64
WIDEST_PREFIX = {4: 8, 6: 32}  # a unit's LAN, or a province's, is never wider: 0.0.0.0/0 is a mistake
RANGES = N_("address ranges such as 10.38.1.0/24, separated by commas")


def subnet_of(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """One LAN range, checked: "10.38.1.0/24" (an address alone is its /32 or /128).  A range wider
    than /8 (IPv4) or /32 (IPv6), a prefix length outside that, and a range with host bits set are
    each refused with what to write instead."""
    address, _, prefix = text.strip().partition("/")
    try:
        host = ipaddress.ip_address(address)
    except ValueError as exc:
        raise BadValue(said(RANGES)) from exc
    widest = WIDEST_PREFIX[host.version]
    if prefix and not (prefix.isdigit() and int(prefix) <= host.max_prefixlen):
        raise BadValue(
            said(N_("a prefix length from {widest} to {most} after the /"), widest=widest, most=host.max_prefixlen)
        )
    network = ipaddress.ip_network(text.strip(), strict=False)
    if network.prefixlen < widest:
        raise BadValue(
            said(
                N_("a range no wider than /{widest}: {network} is far larger than any unit's network"),
                widest=widest,
                network=str(network),
            )
        )
    if network.network_address != host:
        raise BadValue(said(N_("the range's first address: {network}"), network=str(network)))
    return network


def parse_subnets(value: Cell) -> str:
    """A unit's LAN ranges ("10.38.1.0/24, 10.38.2.0/24"), as they are stored: canonical networks
    joined by commas."""
    parts = [p for p in re.split(r"[\s,;]+", cell_text(value)) if p]
    if not parts or len(parts) > MAX_SUBNETS:
        raise BadValue(said(RANGES))
    return ",".join(str(n) for n in dict.fromkeys(subnet_of(p) for p in parts))


def parse_port(value: Cell) -> int:
    try:
        port = parse_whole(value)
    except BadValue:
        port = 0
    if not 1 <= port <= 65535:
        raise BadValue(said(N_("a port number from 1 to 65535")))
    return port


_RATE_UNITS = {
    "": 1.0,
    "m": 1.0,
    "mb": 1.0,
    "mbps": 1.0,
    "mbit": 1.0,
    "mbit s": 1.0,
    "mb s": 1.0,
    "g": 1000.0,
    "gb": 1000.0,
    "gbps": 1000.0,
    "gbit": 1000.0,
    "gbit s": 1000.0,
    "k": 0.001,
    "kb": 0.001,
    "kbps": 0.001,
    "kbit": 0.001,
    "kbit s": 0.001,
}


def parse_mbps(value: Cell) -> float:
    """A bandwidth in Mbps: 200, "200 Mbps", "1 Gbps", "512 kbps", "2,5" (decimal comma)."""
    expected = said(N_('a bandwidth in Mbps greater than 0, such as 200 or "1 Gbps"'))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", cell_text(value)):
        # "1.000" is one thousand to a Vietnamese clerk and one to an English one: ask, don't guess.
        raise BadValue(
            said(
                N_('{expected}, without a thousands separator (is "{text}" 1 or 1000?)'),
                expected=expected,
                text=cell_text(value),
            )
        )
    else:
        m = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*([a-zA-Z/ ]*)\s*", cell_text(value))
        unit = fold(m[2]) if m else ""
        if not m or unit not in _RATE_UNITS:
            raise BadValue(expected)
        number = float(m[1].replace(",", ".")) * _RATE_UNITS[unit]
    if not number > 0 or number > 1_000_000:
        raise BadValue(expected)
    return number


def _enum_parser(parse: Callable[[str], Any], labels: dict[Any, Any]) -> Callable[[Cell], Any]:
    names = ", ".join(f"{label.vi} ({member.value})" for member, label in labels.items())
    expected = said(N_("one of: {names}"), names=names)
    if len(names) > 250:  # too long to read in one message: the keys, and where the names are
        keys = ", ".join(m.value for m in labels)
        expected = said(N_("one of {keys}, or their Vietnamese names (the Lists sheet of the template)"), keys=keys)

    def parser(value: Cell) -> Any:
        hit = parse(cell_text(value))
        if hit is None:
            raise BadValue(expected)
        return hit

    return parser


parse_category_cell: Callable[[Cell], Category] = _enum_parser(parse_category, CATEGORY_LABELS)
parse_condition_cell: Callable[[Cell], Condition] = _enum_parser(parse_condition, CONDITION_LABELS)
parse_unit_kind_cell: Callable[[Cell], UnitKind] = _enum_parser(parse_unit_kind, UNIT_KIND_LABELS)
parse_status_cell: Callable[[Cell], DeviceStatus] = _enum_parser(parse_status, STATUS_LABELS)


YES = frozenset(fold(w) for w in ("có", "x", "yes", "y", "true", "1", "đã ghi sổ", "đã đăng ký", "rồi"))
NO = frozenset(fold(w) for w in ("không", "no", "n", "false", "0", "chưa", "chưa ghi sổ", "chưa đăng ký"))


def parse_yes_no(value: Cell) -> bool:
    """Có / Không, Yes / No, x, 1 / 0, TRUE / FALSE."""
    if isinstance(value, bool):
        return value
    word = fold(cell_text(value))
    if word in YES:
        return True
    if word in NO:
        return False
    raise BadValue(said(N_("Có or Không (Yes or No)")))


def parse_code(value: Cell) -> str:
    """A unit code or poller group: short, since it is typed on every row and used in commands."""
    return parse_identifier(value, 64)


# Bidirectional controls reorder what is printed ("pc-1" can display as "1-cp"): refused in every
# text.  Every other invisible format character (zero-width space, joiner, soft hyphen, BOM) is
# refused in what identifies a device or unit, where "pc\u200b-1" would look exactly like "pc-1";
# so is every space but the plain one (a no-break space copied from a web page or Word).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def invisible_characters(text: str, *, identifier: bool = True) -> list[tuple[int, str]]:
    """(position from 1, character) of each invisible or reordering character of `text`."""
    if text.isascii() and text.isprintable():  # most cells: no control, format or odd space
        return []
    return [
        (i, ch)
        for i, ch in enumerate(text, start=1)
        if ch in BIDI_CONTROLS or (identifier and (unicodedata.category(ch) == "Cf" or (ch.isspace() and ch != " ")))
    ]


def visible(text: str) -> str:
    """`text` with each invisible character shown as ⟨U+200B⟩, so a person sees where it is."""
    marked = {ch for _, ch in invisible_characters(text)}
    return "".join(f"⟨U+{ord(ch):04X}⟩" if ch in marked else ch for ch in text)


def _refuse_invisible(text: str, identifier: bool) -> str:
    found = invisible_characters(text, identifier=identifier)
    if found:
        position, ch = found[0]
        raise BadValue(
            said(
                N_("text without invisible characters; {char} ({name}) is at character {position}, delete it"),
                char=f"U+{ord(ch):04X}",
                name=unicodedata.name(ch, "FORMAT CHARACTER"),
                position=position,
            )
        )
    return text


def parse_identifier(value: Cell, limit: int = 255) -> str:
    """A hostname, serial, asset tag or code: plain text without any invisible character."""
    return _refuse_invisible(parse_text(value, limit), identifier=True)


def parse_snmp_version_cell(value: Cell) -> SnmpVersion:
    hit = parse_snmp_version(cell_text(value))
    if hit is None:
        raise BadValue(said(N_("1, 2c or 3")))
    return hit


def parse_text(value: Cell, limit: int = 255) -> str:
    text = cell_text(value)
    if len(text) > limit:
        raise BadValue(said(N_("at most {limit} characters"), limit=limit))
    if text.isascii() and text.isprintable():
        return text
    if any(ord(ch) < 32 for ch in text):
        raise BadValue(said(N_("plain text without control characters")))
    return _refuse_invisible(text, identifier=False)
