"""The procurement workbook the Provincial Office prints, signs and sends up (openpyxl).

Sheet one is the list (danh mục đề xuất): a title block, a section per unit with its subtotal,
the total, the signatures.  Amounts are formulas (Thành tiền = Số lượng × Đơn giá, subtotals and
the total as SUMs) so a quantity edited by hand updates every total.  The detail sheets back every
line: the over-age and unknown-age devices, the link measurements, the settings the audit used.
Text that came from a device or a spreadsheet is always written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from auditor.domain import CATEGORY_LABELS, Category, Label, category_unit
from auditor.procurement.document import DeviceAgeRow, ProcurementData
from auditor.procurement.plan import Line, LineKind, Plan
from auditor.register.cells import safe_row, save_workbook, styled_as, text_cell

VND = "#,##0"
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
FIRST_LINE_ROW = 7  # rows 1-4 the title block, 6 the header
AMOUNT_COLUMN = 8  # H: Thành tiền, F × G

# Named styles: a cell takes one by name, which costs a lookup, where setting its font, border and
# alignment one by one hashes each object again (minutes for a country's 100,000 devices).
LINE = NamedStyle("auditor-line", border=BOX, alignment=Alignment(vertical="top"))
LINE_WRAP = NamedStyle("auditor-line-wrap", border=BOX, alignment=Alignment(vertical="top", wrap_text=True))
LINE_MONEY = NamedStyle("auditor-line-money", border=BOX, alignment=Alignment(vertical="top"), number_format=VND)
SECTION = NamedStyle("auditor-section", font=Font(bold=True), fill=SECTION_FILL, border=BOX)
TOTAL = NamedStyle("auditor-total", font=Font(bold=True), border=BOX)
TOTAL_MONEY = NamedStyle("auditor-total-money", font=Font(bold=True), border=BOX, number_format=VND)
HEADER = NamedStyle(
    "auditor-header",
    font=Font(bold=True),
    fill=HEADER_FILL,
    border=BOX,
    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
)
TABLE_HEADER = NamedStyle("auditor-table-header", font=Font(bold=True), fill=HEADER_FILL)
BOLD = NamedStyle("auditor-bold", font=Font(bold=True))
SECTION_MONEY = NamedStyle(
    "auditor-section-money", font=Font(bold=True), fill=SECTION_FILL, border=BOX, number_format=VND
)

TEXT: dict[str, Label] = {
    "sheet": Label("Danh mục đề xuất", "Proposal"),
    "title": Label("DANH MỤC ĐỀ XUẤT ĐẦU TƯ TRANG THIẾT BỊ", "PROPOSED EQUIPMENT INVESTMENT LIST"),
    "date": Label("Ngày lập: {date}", "Prepared on {date}"),
    "period": Label("Số liệu: kiểm kê và đo đạc đến {date}", "Data: inventory and measurements up to {date}"),
    "total": Label("TỔNG CỘNG", "TOTAL"),
    "preparer": Label("NGƯỜI LẬP BIỂU", "PREPARED BY"),
    "head": Label("THỦ TRƯỞNG ĐƠN VỊ", "HEAD OF THE OFFICE"),
    "sign": Label("(Ký, ghi rõ họ tên)", "(Signature and full name)"),
    "sign_head": Label("(Ký tên, đóng dấu)", "(Signature and seal)"),
    "over_age": Label("Thiết bị quá hạn", "Over-age devices"),
    "unknown_age": Label("Chưa rõ năm sử dụng", "Unknown age"),
    "links": Label("Đường truyền", "Links"),
    "settings": Label("Thông số kiểm tra", "Audit settings"),
    "summary": Label("Tổng hợp", "Summary"),
    "quote": Label("Theo báo giá", "To be quoted"),
}
COLUMNS: tuple[tuple[Label, int], ...] = (
    (Label("STT", "No."), 6),
    (Label("Đơn vị", "Unit"), 24),
    (Label("Tên thiết bị", "Item"), 30),
    (Label("Thông số / cấu hình", "Specification"), 26),
    (Label("ĐVT", "Unit of measure"), 8),
    (Label("Số lượng", "Quantity"), 10),
    (Label("Đơn giá", "Unit price (VND)"), 15),
    (Label("Thành tiền", "Amount (VND)"), 17),
    (Label("Lý do / căn cứ", "Reason / basis"), 60),
    (Label("Ghi chú", "Notes"), 22),
)
KIND_NOTE: dict[LineKind, Label] = {
    LineKind.LINK_UPGRADE: Label("Nâng cấp đường truyền", "Link upgrade"),
    LineKind.REPLACEMENT: Label("Thay thế", "Replacement"),
    LineKind.SHORTFALL: Label("Bổ sung theo định mức", "Shortfall against the norm"),
    LineKind.MINIMUM_KIT: Label("Trang bị tối thiểu", "Minimum kit"),
}


def _roman(number: int) -> str:
    values = (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    )
    out = ""
    for value, letters in values:
        while number >= value:
            out, number = out + letters, number - value
    return out


def _item(line: Line, lang: str) -> str:
    if line.category in {c.value for c in Category} and lang == "en":
        return CATEGORY_LABELS[Category(line.category)].en
    return line.item


WRAPPED = (3, 4, 9, 10)  # the columns whose text wraps: item, spec, reason, notes
LINE_HEIGHT = 15.0  # points per line of 11-point text


LINE_STYLES = {
    col: (LINE_WRAP if col in WRAPPED else LINE_MONEY if col in (7, 8) else LINE).name
    for col in range(1, len(COLUMNS) + 1)
}


def _height(values: Sequence[Any]) -> float:
    """A row tall enough for its longest wrapped text: spreadsheets do not grow rows they did not write."""
    lines = 1
    for col in WRAPPED:
        text = str(values[col - 1] or "")
        width = COLUMNS[col - 1][1]
        lines = max(lines, math.ceil(len(text) * 1.15 / width))
    return LINE_HEIGHT * lines


def _unit_of_measure(line: Line, lang: str) -> str:
    if line.category in {c.value for c in Category}:
        return category_unit(Category(line.category)).text(lang)
    return "kênh" if lang == "vi" else "channel"


def _styled(sheet: Any, values: Sequence[Any], styles: Sequence[str]) -> list[Cell]:
    """A styled row: column H (the amount) is our own formula, every other cell is written as data,
    so text from a device or a spreadsheet never becomes a formula."""
    return [
        (_formula if col == AMOUNT_COLUMN else text_cell)(sheet, value, style)
        for col, (value, style) in enumerate(zip(values, styles, strict=True), start=1)
    ]


def _formula(sheet: Any, value: Any, style: str) -> Cell:
    """Our own formula (or number), styled: never text from a device or a spreadsheet."""
    cell = WriteOnlyCell(sheet, value)
    styled_as(cell, style)
    return cell


def _title_block(sheet: Any, lang: str, province: str, generated: dt.datetime) -> None:
    """Rows 1-6: the title, the province, the dates, the column headers."""
    last_col = get_column_letter(len(COLUMNS))
    for col, (_, width_chars) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width_chars
    sheet.freeze_panes = f"A{FIRST_LINE_ROW}"  # before the first row: a write-only sheet writes its view first
    title = text_cell(sheet, TEXT["title"].text(lang))
    title.font, title.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    sheet.append([title])
    sheet.merged_cells.add(f"A1:{last_col}1")
    place = text_cell(sheet, province)
    place.alignment = Alignment(horizontal="center")
    sheet.append([place])
    sheet.merged_cells.add(f"A2:{last_col}2")
    sheet.append([text_cell(sheet, TEXT["date"].text(lang).format(date=generated.strftime("%d/%m/%Y")))])
    sheet.append([text_cell(sheet, TEXT["period"].text(lang).format(date=generated.strftime("%d/%m/%Y %H:%M")))])
    sheet.append([])
    sheet.append([text_cell(sheet, label.text(lang), HEADER.name) for label, _ in COLUMNS])


def _unit_sections(sheet: Any, plan: Plan, lang: str) -> tuple[int, list[str]]:
    """A section per unit: its heading with the subtotal, then its lines; (next row, subtotal cells)."""
    width = len(COLUMNS)
    row = FIRST_LINE_ROW
    subtotals: list[str] = []
    by_unit: dict[str, list[Line]] = {}
    for line in plan.lines:
        by_unit.setdefault(line.unit_code, []).append(line)
    section_styles = [(SECTION_MONEY if col == AMOUNT_COLUMN else SECTION).name for col in range(1, width + 1)]
    line_styles = [LINE_STYLES[col] for col in range(1, width + 1)]
    for number, (unit, lines) in enumerate(by_unit.items(), start=1):
        section, first = row, row + 1
        last = row + len(lines)
        heading: list[Any] = [_roman(number), f"{lines[0].unit_name} ({unit})", None, None, None, None, None]
        # The unit's name spills over the empty cells to its right; the subtotal sums its lines.
        sheet.append(_styled(sheet, [*heading, f"=SUM(H{first}:H{last})", None, None], section_styles))
        subtotals.append(f"H{section}")
        for index, line in enumerate(lines, start=1):
            row += 1
            values: list[Any] = [
                index,
                line.unit_name,
                _item(line, lang),
                line.spec,
                _unit_of_measure(line, lang),
                line.quantity,
                line.unit_price_vnd,
                f"=F{row}*G{row}",
                line.reason,
                "; ".join(filter(None, [KIND_NOTE[line.kind].text(lang), line.note])),
            ]
            sheet.row_dimensions[row].height = _height(values)
            sheet.append(_styled(sheet, values, line_styles))
        row += 1
    return row, subtotals


def _proposal(sheet: Any, plan: Plan, lang: str, province: str, generated: dt.datetime) -> None:
    """Rows in order (the sheet is write-only: a row is written when appended)."""
    width = len(COLUMNS)
    last_col = get_column_letter(width)
    _title_block(sheet, lang, province, generated)
    total, subtotals = _unit_sections(sheet, plan, lang)
    totals: list[Any] = [None, TEXT["total"].text(lang), None, None, None, None, None]
    totals += [f"=SUM({','.join(subtotals)})" if subtotals else 0, None, None]
    sheet.append(
        _styled(sheet, totals, [(TOTAL_MONEY if c == AMOUNT_COLUMN else TOTAL).name for c in range(1, width + 1)])
    )
    sheet.append([])
    signatures: list[Any] = [None] * width
    notes: list[Any] = [None] * width
    for col, title_key, note in ((2, "preparer", "sign"), (9, "head", "sign_head")):
        signatures[col - 1] = text_cell(sheet, TEXT[title_key].text(lang))
        signatures[col - 1].font = Font(bold=True)
        notes[col - 1] = text_cell(sheet, TEXT[note].text(lang))
        notes[col - 1].font = Font(italic=True)
    sheet.append(signatures)
    sheet.append(notes)

    sheet.auto_filter.ref = f"A6:{last_col}{max(total - 1, 6)}"
    sheet.print_title_rows = "6:6"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _table(book: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    sheet = book.create_sheet(title[:31])
    for col, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = max(12, min(50, len(header) + 4))
    sheet.freeze_panes = "A2"
    sheet.append([text_cell(sheet, header, TABLE_HEADER.name) for header in headers])
    for values in rows:
        sheet.append(safe_row(sheet, values))
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    return sheet


AGE_BUCKETS: tuple[tuple[str, float, float], ...] = (("0–3", 0, 3), ("4–6", 3, 6), ("7–10", 6, 10), ("> 10", 10, 1000))


def _counts(sheet: Any, data: ProcurementData, lang: str, categories: Sequence[str]) -> int:
    """Devices by unit and category, the over-age ones and the proposed amount; the rows written."""
    vi = lang == "vi"
    headings = [
        "Đơn vị" if vi else "Unit",
        *(CATEGORY_LABELS[Category(c)].text(lang) for c in categories),
        "Quá hạn" if vi else "Over age",
        "Đề xuất (VND)" if vi else "Proposed (VND)",
    ]
    sheet.append([text_cell(sheet, h, BOLD.name) for h in headings])
    units = sorted({a.unit_code for a in data.ages if a.unit_code} | {line.unit_code for line in data.plan.lines})
    counts: dict[tuple[str | None, str | None], int] = {}
    over: dict[str | None, int] = {}
    for a in data.ages:
        counts[a.unit_code, a.category] = counts.get((a.unit_code, a.category), 0) + 1
        over[a.unit_code] = over.get(a.unit_code, 0) + (a.over_age is True)
    totals = data.plan.totals_by_unit()
    for unit in units:
        amount = WriteOnlyCell(sheet, totals.get(unit, 0))
        amount.number_format = VND
        sheet.append(
            [text_cell(sheet, unit), *(counts.get((unit, c), 0) for c in categories), over.get(unit, 0), amount]
        )
    return len(units) + 1


def _age_chart(sheet: Any, data: ProcurementData, lang: str, top: int, anchor: str) -> None:
    """The devices by age bracket, from row `top`, and their bar chart at `anchor`."""
    vi = lang == "vi"
    buckets = [
        (
            name,
            sum(
                1
                for a in data.ages
                if (a.age_years is not None and low < a.age_years <= high) or (low == 0 and a.age_years == 0)
            ),
        )
        for name, low, high in AGE_BUCKETS
    ]
    buckets.append(("Chưa rõ" if vi else "Unknown", sum(1 for a in data.ages if a.age_years is None)))
    sheet.append(
        safe_row(sheet, ["Tuổi thiết bị (năm)" if vi else "Device age (years)", "Số thiết bị" if vi else "Devices"])
    )
    for name, count in buckets:
        sheet.append(safe_row(sheet, [name, count]))
    ages = BarChart()
    ages.title = "Phân bố tuổi thiết bị" if vi else "Equipment age distribution"
    ages.y_axis.title = "Số thiết bị" if vi else "Devices"
    ages.add_data(Reference(sheet, min_col=2, min_row=top, max_row=top + len(AGE_BUCKETS) + 1), titles_from_data=True)
    ages.set_categories(Reference(sheet, min_col=1, min_row=top + 1, max_row=top + len(AGE_BUCKETS) + 1))
    sheet.add_chart(ages, anchor)


def _links_chart(sheet: Any, data: ProcurementData, lang: str, start: int, anchor: str) -> None:
    """Each link's 95th percentile in both directions, from row `start`, and their bar chart at `anchor`."""
    vi = lang == "vi"
    links = [v.row() for v in data.verdicts]
    headings = [
        "Đường truyền" if vi else "Link",
        "P95 xuống (% băng thông)" if vi else "P95 down (% of capacity)",
        "P95 lên (% băng thông)" if vi else "P95 up (% of capacity)",
    ]
    sheet.append(safe_row(sheet, headings))
    for link in links:
        sheet.append(safe_row(sheet, [link["unit_code"], link["p95_in_pct"], link["p95_out_pct"]]))
    if links:
        use = BarChart()
        use.title = "Sử dụng đường truyền (phân vị 95)" if vi else "Link utilisation (95th percentile)"
        use.y_axis.title = "% băng thông hợp đồng" if vi else "% of contracted bandwidth"
        use.add_data(
            Reference(sheet, min_col=2, max_col=3, min_row=start, max_row=start + len(links)), titles_from_data=True
        )
        use.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=start + len(links)))
        use.width = max(15, round(len(links) * 1.2))
        sheet.add_chart(use, anchor)


def _summary(book: Workbook, data: ProcurementData, lang: str) -> None:
    """Counts by unit and category, the age distribution and the links' utilisation, with native charts."""
    sheet = book.create_sheet(TEXT["summary"].text(lang))
    categories = sorted({a.category for a in data.ages if a.category})
    over_col = len(categories) + 2
    for col in range(1, over_col + 2):
        sheet.column_dimensions[get_column_letter(col)].width = 14
    written = _counts(sheet, data, lang, categories)
    top = written + 3
    sheet.append([])
    sheet.append([])
    _age_chart(sheet, data, lang, top, f"{get_column_letter(over_col + 3)}2")
    sheet.append([])
    sheet.append([])
    _links_chart(sheet, data, lang, top + len(AGE_BUCKETS) + 4, f"{get_column_letter(over_col + 3)}20")


def write_workbook(
    path: Path, data: ProcurementData, settings_rows: Sequence[tuple[str, str]], province: str, lang: str = "vi"
) -> None:
    """Write the workbook for `data` to `path`, whole or not at all."""
    gc.freeze()  # the plan and the register, alive throughout, are not scanned again by every collection
    try:
        _write_workbook(path, data, settings_rows, province, lang)
    finally:
        gc.unfreeze()


AGE_HEADERS = (
    Label("Đơn vị", "Unit"),
    Label("Thiết bị", "Device"),
    Label("Loại", "Category"),
    Label("Model", "Model"),
    Label("Số serial", "Serial"),
    Label("Năm sử dụng", "Year"),
    Label("Tuổi (năm)", "Age (years)"),
    Label("Nguồn", "Source"),
    Label("Căn cứ", "Basis"),
)
LINK_HEADERS = (  # each with the key of the links-report row it shows
    (Label("Đơn vị", "Unit"), "unit_code"),
    (Label("Đường truyền", "Link"), "name"),
    (Label("Băng thông (Mbps)", "Capacity (Mbps)"), "capacity_down_mbps"),
    (Label("Số mẫu", "Samples"), "samples"),
    (Label("Đủ dữ liệu (%)", "Coverage (%)"), "coverage_pct"),
    (Label("P95 xuống (Mbps)", "P95 down (Mbps)"), "p95_in_mbps"),
    (Label("P95 xuống (%)", "P95 down (%)"), "p95_in_pct"),
    (Label("P95 lên (Mbps)", "P95 up (Mbps)"), "p95_out_mbps"),
    (Label("P95 lên (%)", "P95 up (%)"), "p95_out_pct"),
    (Label("Mất gói (%)", "Loss (%)"), "loss_pct"),
    (Label("Độ trễ P95 (ms)", "RTT P95 (ms)"), "rtt_p95_ms"),
    (Label("Số ngày", "Days"), "days"),
    (Label("Kết luận", "Verdict"), "verdict"),
    (Label("Đề nghị (Mbps)", "Upgrade to (Mbps)"), "recommended_mbps"),
    (Label("Giải trình", "Justification"), "justification"),
)


def _age_row(a: DeviceAgeRow) -> list[Any]:
    return [a.unit_name or a.unit_code, a.label, a.category, a.model, a.serial, a.year, a.age_years, a.source, a.basis]


def _write_workbook(
    path: Path, data: ProcurementData, settings_rows: Sequence[tuple[str, str]], province: str, lang: str
) -> None:
    book = Workbook(write_only=True)  # rows go to the file as they are made: a country's in ~1/3 the memory
    for style in (LINE, LINE_WRAP, LINE_MONEY, SECTION, SECTION_MONEY, TOTAL, TOTAL_MONEY, HEADER, TABLE_HEADER, BOLD):
        book.add_named_style(style)
    _proposal(book.create_sheet(TEXT["sheet"].text(lang)), data.plan, lang, province, data.generated_at)
    _summary(book, data, lang)
    age_headers = [label.text(lang) for label in AGE_HEADERS]
    _table(book, TEXT["over_age"].text(lang), age_headers, [_age_row(a) for a in data.ages if a.over_age is True])
    _table(book, TEXT["unknown_age"].text(lang), age_headers, [_age_row(a) for a in data.ages if a.over_age is None])
    justification = "justification_vi" if lang == "vi" else "justification_en"
    keys = [justification if key == "justification" else key for _, key in LINK_HEADERS]
    link_rows = [[row[key] for key in keys] for row in (v.row() for v in data.verdicts)]
    _table(book, TEXT["links"].text(lang), [label.text(lang) for label, _ in LINK_HEADERS], link_rows)
    setting = [Label("Thông số", "Setting").text(lang), Label("Giá trị", "Value").text(lang)]
    _table(book, TEXT["settings"].text(lang), setting, list(settings_rows))
    save_workbook(book, path)
