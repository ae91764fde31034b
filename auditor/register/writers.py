"""Writing register workbooks: the blank survey template, the register export, the errors file."""

from __future__ import annotations

import csv
import enum
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from auditor.domain import (
    CATEGORY_LABELS,
    CONDITION_LABELS,
    STATUS_LABELS,
    UNIT_KIND_LABELS,
    Label,
    SnmpVersion,
)
from auditor.facts import DeviceView, LinkView, RowError, UnitView
from auditor.files import atomic_output
from auditor.formulas import neutralise
from auditor.i18n import texts
from auditor.register.cells import put, save_workbook
from auditor.register.columns import REGISTER_KEYS, SHEET_TITLES, TEMPLATE_KEYS, SheetKind, column
from auditor.textfit import fitted_widths, height_of

FIRST_DATA_ROW = 4  # row 1 title, row 2 how to fill, row 3 headers
TEMPLATE_ROWS = 2000  # rows that carry drop-down lists and formats in the blank template
BLANK_PRINTED_ROWS = 20  # of them, printed on the blank form
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="999999")
RULED = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def font(size: float = 11, **style: Any) -> Font:
    """The workbook's body font (Calibri 11) with `style`: a font without a name prints, in
    LibreOffice, in a serif fallback beside the sans-serif body."""
    return Font(name="Calibri", size=size, **style)


TEXT_KEYS = {
    "unit_code",
    "hostname",
    "ip",
    "mac",
    "serial",
    "asset_tag",
    "circuit_id",
    "far_end_ip",
    "interface",
    "device",
    "poller_group",
    "snmp_community",
}
NUMBER_FORMATS = {
    "staff_count": "0",
    "snmp_port": "0",
    "capacity_down_mbps": "#,##0.###",
    "capacity_up_mbps": "#,##0.###",
}

_TEXTS = {
    "title": Label(
        "PHIẾU KHẢO SÁT TRANG THIẾT BỊ CÔNG NGHỆ THÔNG TIN VÀ ĐƯỜNG TRUYỀN SỐ LIỆU CHUYÊN DÙNG",
        "SURVEY OF IT EQUIPMENT AND DEDICATED DATA-NETWORK LINKS",
    ),
    "fill_from": Label(
        "Điền từ dòng 4. Không đổi tên, không xóa các cột. Ô có mũi tên: chọn trong danh sách.",
        "Fill in from row 4. Do not rename or delete columns. Cells with an arrow: pick from the list.",
    ),
    "instructions": Label("Hướng dẫn", "Instructions"),
    "lists": Label("Danh mục", "Lists"),
    "sheet": Label("Trang", "Sheet"),
    "column": Label("Cột", "Column"),
    "meaning": Label("Cách điền", "How to fill it"),
    "steps": Label(
        "1. Mỗi đơn vị một dòng ở trang Đơn vị; mỗi thiết bị một dòng ở trang Thiết bị; mỗi kênh truyền "
        "một dòng ở trang Đường truyền.\n2. Mã đơn vị ở trang Thiết bị và Đường truyền phải trùng mã ở "
        "trang Đơn vị.\n3. Năm sử dụng: ghi năm (2015) hoặc ngày (15/03/2015) đưa vào sử dụng; để trống "
        "nếu không rõ.\n4. Gửi lại tệp .xlsx này; không lưu sang định dạng .xls.",
        "1. One row per unit on Units, per device on Devices, per link on Links.\n2. The unit code on "
        "Devices and Links must match a code on Units.\n3. Year in service: a year (2015) or a date "
        "(15/03/2015); blank if unknown.\n4. Send back this .xlsx file; do not save it as .xls.",
    ),
    "error": Label("Lỗi", "Error"),
    "row": Label("Dòng gốc", "Source row"),
    "invalid": Label("Giá trị không hợp lệ", "Invalid value"),
    "pick": Label("Chọn một giá trị trong danh sách (trang Danh mục).", "Pick a value from the list (Lists sheet)."),
    "yes": Label("Có", "Yes"),
    "no": Label("Không", "No"),
}

# The drop-down lists: which key, and the labels offered.
_LISTS: dict[str, Mapping[Any, Label]] = {
    "category": CATEGORY_LABELS,
    "condition": CONDITION_LABELS,
    "unit_kind": UNIT_KIND_LABELS,
    "snmp_version": {v: Label(v.value, v.value) for v in SnmpVersion},
}


def _header_row(sheet: Worksheet, row: int, headers: Sequence[str], widths: Sequence[float]) -> None:
    for index, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        put(sheet, row, index, header)
        cell = sheet.cell(row=row, column=index)
        cell.font = font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = width


_LIST_SHEET = {"category": SheetKind.DEVICES, "condition": SheetKind.DEVICES, "unit_kind": SheetKind.UNITS}


PRINT_WIDTH_CHARS = 150  # what A4 landscape holds at about 90 %: the body stays above 10 pt


def printable(widths: Sequence[int]) -> list[int]:
    """The columns' widths, narrowed alike (never below 8) so the sheet prints readable on one page wide."""
    share = min(1.0, PRINT_WIDTH_CHARS / sum(widths))
    return [max(8, round(w * share)) for w in widths]


def print_ready(sheet: Worksheet, lang: str, header_row: int, last_row: int, last_col: int) -> None:
    """A4 landscape, one page wide, the header row on every page, "Trang 1/3" at the foot, the
    title tall enough for the accents above its capitals."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins = PageMargins(left=0.6, right=0.4, top=0.6, bottom=0.7, footer=0.3)
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_area = f"A1:{get_column_letter(last_col)}{max(last_row, header_row)}"
    footer = sheet.oddFooter
    assert footer is not None  # openpyxl gives every sheet one
    footer.center.text, footer.center.size = texts(lang)("Page &P of &N"), 10
    sheet.row_dimensions[1].height = 24


def _lists_sheet(workbook: Workbook, lang: str, used: set[str]) -> dict[str, str]:
    """The Lists sheet of the `used` columns; for each, the range formula that lists its values."""
    sheet = workbook.create_sheet(_TEXTS["lists"].text(lang))
    ranges = {}
    lists = {key: labels for key, labels in _LISTS.items() if key in used}
    for col, (key, labels) in enumerate(lists.items(), start=1):
        put(sheet, 1, col, column(_LIST_SHEET.get(key, SheetKind.DEVICES), key).label.text(lang))
        sheet.cell(row=1, column=col).font = font(bold=True)
        for row, label in enumerate(labels.values(), start=2):
            put(sheet, row, col, label.text(lang))
        letter = get_column_letter(col)
        ranges[key] = f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${len(labels) + 1}"
        sheet.column_dimensions[letter].width = 40
    print_ready(sheet, lang, 1, 1 + max(len(labels) for labels in lists.values()), len(lists))
    sheet.row_dimensions[1].height = None
    return ranges


def _data_sheet(
    workbook: Workbook,
    kind: SheetKind,
    lang: str,
    keys: Sequence[str],
    ranges: Mapping[str, str],
    rows: Iterable[Sequence[Any]],
) -> Worksheet:
    sheet: Worksheet = workbook.create_sheet(SHEET_TITLES[kind].text(lang))
    columns = [column(kind, key) for key in keys]
    put(sheet, 1, 1, f"{_TEXTS['title'].text(lang)} — {SHEET_TITLES[kind].text(lang).upper()}")
    sheet.cell(row=1, column=1).font = font(bold=True, size=13)
    put(sheet, 2, 1, _TEXTS["fill_from"].text(lang))
    sheet.cell(row=2, column=1).font = font(italic=True)
    _header_row(sheet, 3, [c.label.text(lang) for c in columns], printable([c.width for c in columns]))
    sheet.row_dimensions[3].height = 45  # three lines of a wrapped heading
    formats = ["@" if key in TEXT_KEYS else NUMBER_FORMATS.get(key) for key in keys]
    last = FIRST_DATA_ROW - 1
    for last, values in enumerate(rows, start=FIRST_DATA_ROW):
        for index, (value, number_format) in enumerate(zip(values, formats, strict=True), start=1):
            put(sheet, last, index, value)
            if number_format:
                sheet.cell(row=last, column=index).number_format = number_format
    bottom = max(last, FIRST_DATA_ROW + TEMPLATE_ROWS - 1)
    for index, (key, number_format) in enumerate(zip(keys, formats, strict=True), start=1):
        letter = get_column_letter(index)
        area = f"{letter}{FIRST_DATA_ROW}:{letter}{bottom}"
        if number_format:
            # The column's own style: what Excel gives every cell typed into it later, on any row.
            sheet.column_dimensions[letter].number_format = number_format
        if key in ranges:
            validation = DataValidation(
                type="list",
                formula1=f"={ranges[key]}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=_TEXTS["invalid"].text(lang),
                error=_TEXTS["pick"].text(lang),
            )
            validation.add(area)
            sheet.add_data_validation(validation)
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    sheet.auto_filter.ref = f"A3:{get_column_letter(len(keys))}{max(last, FIRST_DATA_ROW)}"
    # A blank form prints with room for a few rows to be written in by hand, ruled.
    printed = max(last, FIRST_DATA_ROW + BLANK_PRINTED_ROWS - 1)
    for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, max_row=printed, max_col=len(keys)):
        for cell in row:
            cell.border = RULED
    print_ready(sheet, lang, 3, printed, len(keys))
    return sheet


def _instructions(workbook: Workbook, lang: str, keys: Mapping[SheetKind, Sequence[str]]) -> None:
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _TEXTS["instructions"].text(lang)
    put(sheet, 1, 1, _TEXTS["title"].text(lang))
    sheet.cell(row=1, column=1).font = font(bold=True, size=13)
    put(sheet, 2, 1, _TEXTS["steps"].text(lang))
    sheet.cell(row=2, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells("A2:C2")
    sheet.row_dimensions[2].height = 90
    _header_row(sheet, 4, [_TEXTS[k].text(lang) for k in ("sheet", "column", "meaning")], [18, 30, 80])
    row = 5
    for kind, kind_keys in keys.items():
        for key in kind_keys:
            col = column(kind, key)
            put(sheet, row, 1, SHEET_TITLES[kind].text(lang))
            put(sheet, row, 2, col.label.text(lang))
            put(sheet, row, 3, col.hint.text(lang))
            sheet.cell(row=row, column=3).alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
    print_ready(sheet, lang, 4, row - 1, 3)


def _plain(value: Any) -> Any:
    """An enum as its key: a cell holds plain text."""
    return value.value if isinstance(value, enum.Enum) else value


def _label(labels: Mapping[Any, Label], value: str | None, lang: str) -> str | None:
    if value is None:
        return None
    return next(label.text(lang) for member, label in labels.items() if member.value == value)


def _service(device: DeviceView) -> Any:
    if device.in_service_on is None:
        return None
    day = device.in_service_on
    if device.in_service_precision == "year":
        return day.year
    if device.in_service_precision == "month":
        return f"{day.month:02d}/{day.year}"
    return day.strftime("%d/%m/%Y")


EXPORT_KEYS: dict[SheetKind, tuple[str, ...]] = {
    kind: tuple(k for k in keys if k != "snmp_community") for kind, keys in REGISTER_KEYS.items()
}


def _unit_values(unit: UnitView, lang: str) -> dict[str, Any]:
    return {
        "unit_code": unit.code,
        "unit_name": unit.name,
        "unit_kind": _label(UNIT_KIND_LABELS, unit.kind, lang),
        "staff_count": unit.staff_count,
        "poller_group": unit.poller_group,
        "subnets": unit.subnets,
    }


def _device_values(device: DeviceView, lang: str) -> dict[str, Any]:
    values = {key: _plain(getattr(device, key, None)) for key in EXPORT_KEYS[SheetKind.DEVICES]}
    values["category"] = _label(CATEGORY_LABELS, device.category, lang)
    values["condition"] = _label(CONDITION_LABELS, device.condition, lang)
    values["in_service_year"] = _service(device)
    values["registered"] = _TEXTS["yes" if device.registered else "no"].text(lang)
    values["status"] = _label(STATUS_LABELS, device.status, lang)
    return values


def _link_values(link: LinkView, lang: str) -> dict[str, Any]:
    return {key: getattr(link, key) for key in EXPORT_KEYS[SheetKind.LINKS]}


def write_register_workbook(
    path: Path,
    lang: str,
    units: Sequence[UnitView] = (),
    devices: Sequence[DeviceView] = (),
    links: Sequence[LinkView] = (),
    *,
    template: bool = True,
) -> None:
    """The survey workbook: blank (`template`) or holding the register (an export)."""
    keys = TEMPLATE_KEYS if template else EXPORT_KEYS
    workbook = Workbook()
    _instructions(workbook, lang, keys)
    data_sheets = [
        (SheetKind.UNITS, [_unit_values(u, lang) for u in units]),
        (SheetKind.DEVICES, [_device_values(d, lang) for d in devices]),
        (SheetKind.LINKS, [_link_values(link, lang) for link in links]),
    ]
    # Lists go last, but the drop-downs need their ranges: build it first, then move it.
    ranges = _lists_sheet(workbook, lang, {key for kind_keys in keys.values() for key in kind_keys})
    for kind, rows in data_sheets:
        _data_sheet(workbook, kind, lang, keys[kind], ranges, ([r.get(k) for k in keys[kind]] for r in rows))
    workbook.move_sheet(_TEXTS["lists"].text(lang), offset=len(workbook.sheetnames))
    workbook.active = 1
    save_workbook(workbook, path)


def export_csv(
    path: Path,
    kind: SheetKind,
    units: Sequence[UnitView] = (),
    devices: Sequence[DeviceView] = (),
    links: Sequence[LinkView] = (),
) -> None:
    """One kind as CSV with the canonical keys as headers and enum keys as values (for scripts)."""
    keys = EXPORT_KEYS[kind]
    if kind is SheetKind.UNITS:
        rows = [_unit_values(u, "en") | {"unit_kind": _plain(u.kind)} for u in units]
    elif kind is SheetKind.DEVICES:
        rows = [
            _device_values(d, "en")
            | {"category": _plain(d.category), "condition": _plain(d.condition), "status": _plain(d.status)}
            | {"registered": "true" if d.registered else "false"}
            for d in devices
        ]
    else:
        rows = [_link_values(link, "en") for link in links]
    _write_csv(path, list(keys), ([r.get(k) for k in keys] for r in rows))


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return neutralise(str(value))


def _write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with atomic_output(path) as temporary, temporary.open("w", encoding="utf-8-sig", newline="") as handle:
        # UTF-8 with a BOM, so Excel shows the Vietnamese letters right.
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows([_csv_text(v) for v in row] for row in rows)


BAD_CELL = PatternFill("solid", fgColor="FFC7CE")  # the cell at fault, as spreadsheets mark a bad value
BAD_FONT = font(color="9C0006")


def excel_sheet_title(name: str, taken: set[str]) -> str:
    """A sheet title Excel accepts for `name`: without []:*?/\\, at most 31 characters, not blank,
    not quoted, and not one of `taken` (another program may have written a name Excel refuses)."""
    title = re.sub(r"[\[\]:*?/\\\x00-\x1f]", "_", name).strip().strip("'")[:31] or "Sheet"
    candidate, n = title, 1
    while candidate.casefold() in {t.casefold() for t in taken}:
        n += 1
        candidate = f"{title[: 31 - len(str(n)) - 1]}~{n}"
    return candidate


EXCEL_COLUMNS = 16384  # A … XFD
WRAPPED_TOP = Alignment(wrap_text=True, vertical="top")
MAX_ROW_PT = 409  # Excel's tallest row


def write_errors_file(
    path: Path, errors: Sequence[RowError], headers: Mapping[str | None, Sequence[str]], lang: str = "vi"
) -> None:
    """The rejected rows as the file had them, with the reason first (in `lang`: it goes back to the
    unit that sent the file) and the cells at fault marked: fix them here and re-import."""
    tr = texts(lang)
    by_sheet: dict[str | None, list[RowError]] = defaultdict(list)
    for error in errors:
        by_sheet[error.where.sheet].append(error)
    lead = [_TEXTS["row"].text(lang), _TEXTS["error"].text(lang)]
    if path.suffix.lower() == ".csv":
        sheet_headers = next(iter(headers.values()), ())
        _write_csv(
            path, [*lead, *sheet_headers], ([e.where.row, e.text(tr), *(text for _, text in e.cells)] for e in errors)
        )
        return
    workbook = Workbook()
    first = True
    for sheet_name, sheet_errors in by_sheet.items():
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        sheet.title = excel_sheet_title(sheet_name or _TEXTS["error"].text(lang), set(workbook.sheetnames[:-1]))
        first = False
        sheet_headers = list(headers.get(sheet_name, ()))[: EXCEL_COLUMNS - 2]  # Excel's last column, XFD
        table = [
            [error.where.row, error.text(tr), *(t for _, t in error.cells[: EXCEL_COLUMNS - 2])]
            for error in sheet_errors
        ]
        # Each column as wide as its values (a code, an address, a serial kept whole; Calibri's
        # digits are wide), the reason wrapped at 40; the page is scaled to one page wide.
        widths = [
            8.0,
            40.0,
            *fitted_widths(sheet_headers, (r[2 : 2 + len(sheet_headers)] for r in table), low=8, high=24, scale=1.2),
        ]
        _header_row(sheet, 1, [*lead, *sheet_headers], widths)
        for row, (error, values) in enumerate(zip(sheet_errors, table, strict=True), start=2):
            cells = error.cells[: EXCEL_COLUMNS - 2]
            for col, value in enumerate(values, start=1):
                put(sheet, row, col, value)
                sheet.cell(row=row, column=col).alignment = WRAPPED_TOP
                sheet.cell(row=row, column=col).border = RULED
            # Every cell shown whole: LibreOffice prints a row at the height the file gives it, and
            # a reason taller than that would run over the rows below.  Excel keeps at most 409 pt
            # (more than a page): a longer cell is cut on paper, whole in the file.
            sheet.row_dimensions[row].height = min(
                MAX_ROW_PT, height_of(values, widths, range(min(len(values), len(widths))))
            )
            for col, (header, _) in enumerate(cells, start=3):
                if header and header in error.columns:
                    sheet.cell(row=row, column=col).fill = BAD_CELL
                    sheet.cell(row=row, column=col).font = BAD_FONT
        sheet.freeze_panes = "C2"
        print_ready(sheet, lang, 1, len(sheet_errors) + 1, len(sheet_headers) + 2)
        sheet.row_dimensions[1].height = min(
            MAX_ROW_PT, max(32, height_of([*lead, *sheet_headers], widths, range(len(widths))))
        )
    save_workbook(workbook, path)
