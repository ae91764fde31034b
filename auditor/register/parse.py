"""Turn a sheet's rows into register records, or into row errors that say exactly what is wrong.

Pure: takes the cell values a reader produced (str, int, float, date, datetime or None) and an
explicit `today`; reads no file and no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.domain import (
    fold,
)
from auditor.errors import BadValue
from auditor.facts import DeviceRecord, LinkRecord, ParsedRow, Record, RowError, Said, UnitRecord, Where, said
from auditor.i18n import N_
from auditor.register.columns import (
    IGNORED_HEADERS,
    SheetKind,
    column,
    header_score,
    kind_from_headers,
    kind_from_sheet_name,
    match_header,
)
from auditor.register.twins import Identity, identity_of, twins
from auditor.register.values import (
    Cell,
    Uncomputed,
    cell_text,
    parse_category_cell,
    parse_code,
    parse_condition_cell,
    parse_identifier,
    parse_ip,
    parse_mac,
    parse_mbps,
    parse_port,
    parse_service_date,
    parse_snmp_version_cell,
    parse_status_cell,
    parse_subnets,
    parse_text,
    parse_unit_kind_cell,
    parse_whole,
    parse_yes_no,
    visible,
)

SECRET_KEYS = frozenset({"snmp_community"})  # never echoed in a message or the errors file
HEADER_SEARCH_ROWS = 30  # title blocks above the header row are rarely longer than a few rows


@dataclass(frozen=True)
class Sheet:
    """What a reader hands over: a name (None for CSV) and the rows, 1-based as a person counts."""

    file: str
    name: str | None
    rows: Sequence[Sequence[Cell]]
    hidden: bool = False  # a sheet the workbook hides from whoever opens it
    notes: tuple[Said, ...] = ()  # what the reader noticed (a CSV read as Windows-1258)


@dataclass(frozen=True)
class ParsedSheet:
    kind: SheetKind | None
    rows: tuple[ParsedRow, ...] = ()
    errors: tuple[RowError, ...] = ()
    headers: tuple[str, ...] = ()  # the header row as written, for the errors file
    notes: tuple[Said, ...] = ()  # things worth a line of output, not a rejection
    name: str | None = None  # the sheet's name (None for a CSV)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- sheets


@dataclass
class _Row:
    """One data row: its cells by canonical key, and helpers that collect errors as they go (with
    the headers of the cells at fault)."""

    where: Where
    cells: dict[str, Cell]
    headers: dict[str, str]  # key → header as written
    errors: list[Said]
    columns: list[str] = field(default_factory=list)

    def fault(self, reason: Said, key: str | None = None) -> None:
        self.errors.append(reason)
        if key is not None and key in self.headers:
            self.columns.append(self.headers[key])

    def get(self, key: str, parser: Callable[[Cell], Any] = parse_text) -> Any:
        value = self.cells.get(key)
        if value is None:  # a column the sheet lacks, or an empty cell
            return None
        header = self.headers.get(key, key)
        if isinstance(value, Uncomputed):
            formula = _clip(str(value))
            self.fault(
                said(
                    N_(
                        'column "{header}" holds the formula {formula} but not its value; open the file in '
                        "Excel or LibreOffice and save it, or type the value"
                    ),
                    header=header,
                    formula=formula,
                ),
                key,
            )
            return None
        if cell_text(value) == "":
            return None
        try:
            return parser(value)
        except BadValue as exc:
            shown = "********" if key in SECRET_KEYS else visible(_clip(cell_text(value)))
            expected = exc.expected
            self.fault(
                said(
                    N_('column "{header}" is "{shown}", expected {expected}'),
                    header=header,
                    shown=shown,
                    expected=expected,
                ),
                key,
            )
            return None

    def require(self, key: str, what: Said, parser: Callable[[Cell], Any] = parse_text) -> Any:
        if key not in self.headers:
            self.fault(said(N_("{what} is missing: the sheet has no such column"), what=what))
            return None
        if cell_text(self.cells.get(key)) == "":
            self.fault(
                said(N_('column "{header}" is empty, expected {what}'), header=self.headers[key], what=what), key
            )
            return None
        return self.get(key, parser)


UNIT_CODE = said(N_("the unit's code"))
UNIT_NAME = said(N_("the unit's name"))


def _unit_ref(row: _Row) -> str | None:
    """The unit a device or link row belongs to: its code, or failing that 'name:<unit name>'."""
    code = row.get("unit_code", parse_code)
    if code:
        return str(code)
    name = row.get("unit_name")
    if name:
        return f"name:{name}"
    if "unit_code" in row.headers:
        row.fault(
            said(N_('column "{header}" is empty, expected {what}'), header=row.headers["unit_code"], what=UNIT_CODE),
            "unit_code",
        )
    elif "unit_name" in row.headers:
        row.fault(
            said(N_('column "{header}" is empty, expected {what}'), header=row.headers["unit_name"], what=UNIT_NAME),
            "unit_name",
        )
    else:
        row.fault(said(N_("the unit is missing: the sheet has neither a unit code nor a unit name column")))
    return None


def _unit(row: _Row, today: dt.date) -> UnitRecord | None:
    code = row.require("unit_code", UNIT_CODE, parse_code)
    name = row.require("unit_name", UNIT_NAME)
    kind = row.get("unit_kind", parse_unit_kind_cell)
    staff = row.get("staff_count", parse_whole)
    group = row.get("poller_group", parse_code)
    subnets = row.get("subnets", parse_subnets)
    if row.errors:
        return None
    return UnitRecord(code=code, name=name, kind=kind, staff_count=staff, poller_group=group, subnets=subnets)


def _device(row: _Row, today: dt.date) -> DeviceRecord | None:
    unit = _unit_ref(row)
    values = {key: row.get(key, parse_identifier) for key in ("hostname", "serial", "asset_tag")}
    values |= {key: row.get(key) for key in ("vendor", "model", "location")}
    ip = row.get("ip", parse_ip)
    mac = row.get("mac", parse_mac)
    category = row.get("category", parse_category_cell)
    service = row.get("in_service_year", lambda v: parse_service_date(v, today))
    condition = row.get("condition", parse_condition_cell)
    version = row.get("snmp_version", parse_snmp_version_cell)
    port = row.get("snmp_port", parse_port)
    community = row.get("snmp_community")
    registered = row.get("registered", parse_yes_no)
    status = row.get("status", parse_status_cell)
    if not row.errors and not (values["hostname"] or ip or values["serial"] or values["asset_tag"]):
        row.fault(said(N_("a device needs one of hostname, IP address, serial or asset tag; all are empty")))
    if row.errors or unit is None:
        return None
    return DeviceRecord(
        unit_code=unit,
        ip=ip,
        mac=mac,
        category=category,
        condition=condition,
        in_service_on=service[0] if service else None,
        in_service_precision=service[1] if service else None,
        snmp_version=version,
        snmp_port=port,
        snmp_community=community,
        registered=registered,
        status=status,
        **values,
    )


def _link(row: _Row, today: dt.date) -> LinkRecord | None:
    unit = _unit_ref(row)
    name = row.require("name", said(N_("the link's name")))
    both = row.get("capacity_mbps", parse_mbps)
    down = row.get("capacity_down_mbps", parse_mbps) or both
    up = row.get("capacity_up_mbps", parse_mbps) or both or down
    if not row.errors and down is None:
        header = row.headers.get("capacity_down_mbps") or row.headers.get("capacity_mbps")
        bandwidth = said(N_("the contracted bandwidth in Mbps"))
        if header:
            row.fault(
                said(N_('column "{header}" is empty, expected {what}'), header=header, what=bandwidth),
                "capacity_down_mbps",
            )
        else:
            row.fault(said(N_("the contracted bandwidth is missing: the sheet has no capacity column")))
    far_end = row.get("far_end_ip", parse_ip)
    others = {key: row.get(key) for key in ("provider", "circuit_id", "device", "interface")}
    if row.errors or unit is None:
        return None
    return LinkRecord(
        unit_code=unit, name=name, capacity_down_mbps=down, capacity_up_mbps=up, far_end_ip=far_end, **others
    )


_BUILDERS: dict[SheetKind, Callable[[_Row, dt.date], Record | None]] = {
    SheetKind.UNITS: _unit,
    SheetKind.DEVICES: _device,
    SheetKind.LINKS: _link,
}


def _find_header(rows: Sequence[Sequence[Cell]]) -> int | None:
    """Index of the header row: the first of the top rows that names the most columns (≥ 2)."""
    best, best_score = None, 1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = header_score([cell_text(c) for c in row])
        if score > best_score:
            best, best_score = index, score
    return best


def parse_sheet(sheet: Sheet, today: dt.date, forced: SheetKind | None = None) -> ParsedSheet:
    """Parse one sheet; its kind comes from `forced`, its name, or its headers, in that order."""
    parsed = _parse_sheet(sheet, today, forced)
    return replace(parsed, name=sheet.name, notes=sheet.notes + parsed.notes)


def _parse_sheet(sheet: Sheet, today: dt.date, forced: SheetKind | None) -> ParsedSheet:
    kind = forced or (kind_from_sheet_name(sheet.name) if sheet.name else None)
    header_index = _find_header(sheet.rows)
    place = Where(sheet.file, sheet.name, (header_index or 0) + 1)
    if header_index is None:
        if kind is None:
            return ParsedSheet(
                None,
                notes=(
                    said(
                        N_("{file}: no header row found; not a register sheet, passed over"),
                        file=f"{place.file}{':' + sheet.name if sheet.name else ''}",
                    ),
                ),
            )
        return ParsedSheet(
            kind,
            errors=(
                RowError(
                    place,
                    (
                        said(
                            N_('no header row found in the first {rows} rows: expected headers such as "{example}"'),
                            rows=HEADER_SEARCH_ROWS,
                            example=column(kind, "unit_code").label.vi,
                        ),
                    ),
                ),
            ),
        )
    raw_headers = [cell_text(c) for c in sheet.rows[header_index]]
    kind = kind or kind_from_headers(raw_headers)
    if kind is None:
        return ParsedSheet(
            None,
            notes=(
                said(
                    N_("{place}: cannot tell whether this sheet holds units, devices or links; name it or pass --kind"),
                    place=place,
                ),
            ),
        )
    mapped = _columns(kind, raw_headers, place)
    if isinstance(mapped, RowError):
        return ParsedSheet(kind, headers=tuple(raw_headers), errors=(mapped,))
    keys, headers, notes = mapped
    good, errors, identities, vendors = _rows(sheet, header_index, kind, raw_headers, keys, headers, today)
    found = twins(identities, vendors)
    kept = [row for row in good if row.where not in found]
    rejected = [RowError(r.where, (), r.cells) for r in good if r.where in found] + errors
    errors = [_with_twins(e, found.get(e.where, []), headers) for e in rejected]
    return ParsedSheet(
        kind, tuple(kept), tuple(sorted(errors, key=lambda e: e.where.row)), tuple(raw_headers), tuple(notes)
    )


def _columns(
    kind: SheetKind, raw_headers: Sequence[str], place: Where
) -> tuple[dict[int, str], dict[str, str], list[Said]] | RowError:
    """Which column holds which key, the header each key was found under, and notes on the columns
    passed over; or the error of two columns meaning the same."""
    keys: dict[int, str] = {}
    headers: dict[str, str] = {}
    notes: list[Said] = []
    for index, header in enumerate(raw_headers):
        if not header:
            continue
        key = match_header(kind, header)
        if key is None:
            if fold(header) not in IGNORED_HEADERS:
                notes.append(
                    said(
                        N_('{place}: column "{header}" is not a {kind} column; passed over'),
                        place=place,
                        header=header,
                        kind=kind.value,
                    )
                )
            continue
        if key in headers:
            reason = said(
                N_('columns "{first}" and "{second}" both mean {key}; keep one'),
                first=headers[key],
                second=header,
                key=key,
            )
            return RowError(place, (reason,), columns=(headers[key], header))
        keys[index], headers[key] = key, header
    return keys, headers, notes


def _rows(
    sheet: Sheet,
    header_index: int,
    kind: SheetKind,
    raw_headers: Sequence[str],
    keys: dict[int, str],
    headers: dict[str, str],
    today: dt.date,
) -> tuple[list[ParsedRow], list[RowError], list[Identity], dict[Where, str]]:
    """Every non-empty row under the header, parsed into a record or rejected with its reasons;
    and what each row, parsed or not, says it is (its identity, its vendor as written)."""
    good: list[ParsedRow] = []
    errors: list[RowError] = []
    identities: list[Identity] = []
    vendors: dict[Where, str] = {}
    width = len(raw_headers)
    for offset, row in enumerate(sheet.rows[header_index + 1 :], start=header_index + 2):
        texts = [cell_text(c) for c in row]
        if not any(texts):
            continue
        where = Where(sheet.file, sheet.name, offset)
        if not any(texts[:width]):  # nothing under the headers: a stray cell to the right of the table
            errors.append(RowError(where, (_outside_the_table(texts, width, offset),)))
            continue
        # the row as written, under its headers: what lies beyond them is not read (and a cell at
        # XFD would push the errors file, two columns wider, past Excel's last column)
        as_written = tuple(
            (raw_headers[i], "" if keys.get(i) in SECRET_KEYS else text) for i, text in enumerate(texts[:width])
        )
        cells = {key: row[i] for i, key in keys.items() if i < len(row)}
        identities.append(identity_of(kind, where, cells))
        vendors[where] = cell_text(cells.get("vendor"))
        checking = _Row(where, cells, headers, [])
        record = _BUILDERS[kind](checking, today)
        if record is None:
            errors.append(RowError(where, tuple(checking.errors), as_written, tuple(checking.columns)))
        else:
            good.append(ParsedRow(where, record, as_written))
    return good, errors, identities, vendors


def _outside_the_table(texts: Sequence[str], width: int, row: int) -> Said:
    from openpyxl.utils.cell import get_column_letter  # here: a CSV import never loads openpyxl

    cells = [f"{get_column_letter(i + 1)}{row}" for i in range(width, len(texts)) if texts[i]]
    return said(
        N_(
            "the row holds nothing under the table's headers, only {cells} to the right of the table; "
            "delete that, or move it under its column"
        ),
        cells=", ".join(cells[:3]) + (", …" if len(cells) > 3 else ""),
    )


def _with_twins(error: RowError, found: Sequence[tuple[Said, str]], headers: dict[str, str]) -> RowError:
    """A rejected row with the reasons its twins add (and their cells marked)."""
    if not found:
        return error
    columns = tuple(dict.fromkeys([*error.columns, *(headers[k] for _, k in found if k in headers)]))
    return replace(error, reasons=(*error.reasons, *(reason for reason, _ in found)), columns=columns)
