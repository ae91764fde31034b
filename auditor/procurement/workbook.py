"""The procurement workbook the Provincial Office prints, signs and sends up (openpyxl).

Sheet one is the list (danh mục đề xuất): a title block, a section per unit with its subtotal,
the total, the signatures.  Amounts are formulas (Thành tiền = Số lượng × Đơn giá, subtotals and
the total as SUMs) so a quantity edited by hand updates every total.  The detail sheets back every
line: the over-age and unknown-age devices, the link measurements, the settings the audit used.
Text that came from a device or a spreadsheet is always written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from auditor.domain import CATEGORY_LABELS, Category, Label, category_unit
from auditor.files import atomic_output
from auditor.procurement.plan import Line, LineKind, Plan
from auditor.register.writers import put, put_row

if TYPE_CHECKING:  # audit imports the planner: no import at run time
    from auditor.audit import DeviceAgeRow, ProcurementData

VND = "#,##0"
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
FIRST_LINE_ROW = 7  # rows 1-4 the title block, 6 the header

# Named styles: a cell takes one by name, which costs a lookup, where setting its font, border and
# alignment one by one hashes each object again (minutes for a country's 100,000 devices).
LINE = NamedStyle("auditor-line", border=BOX, alignment=Alignment(vertical="top"))
LINE_WRAP = NamedStyle("auditor-line-wrap", border=BOX, alignment=Alignment(vertical="top", wrap_text=True))
LINE_MONEY = NamedStyle("auditor-line-money", border=BOX, alignment=Alignment(vertical="top"), number_format=VND)
SECTION = NamedStyle("auditor-section", font=Font(bold=True), fill=SECTION_FILL, border=BOX)
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


def _proposal(sheet: Worksheet, plan: Plan, lang: str, province: str, generated: dt.datetime) -> None:
    width = len(COLUMNS)
    last_col = get_column_letter(width)
    put(sheet, 1, 1, TEXT["title"].text(lang))
    sheet.merge_cells(f"A1:{last_col}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    put(sheet, 2, 1, province)
    sheet.merge_cells(f"A2:{last_col}2")
    sheet["A2"].alignment = Alignment(horizontal="center")
    put(sheet, 3, 1, TEXT["date"].text(lang).format(date=generated.strftime("%d/%m/%Y")))
    put(sheet, 4, 1, TEXT["period"].text(lang).format(date=generated.strftime("%d/%m/%Y %H:%M")))
    for col, (label, width_chars) in enumerate(COLUMNS, start=1):
        put(sheet, 6, col, label.text(lang))
        cell = sheet.cell(row=6, column=col)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(col)].width = width_chars

    row = FIRST_LINE_ROW
    subtotals: list[str] = []
    by_unit: dict[str, list[Line]] = {}
    for line in plan.lines:
        by_unit.setdefault(line.unit_code, []).append(line)
    for number, (unit, lines) in enumerate(by_unit.items(), start=1):
        section = row
        put(sheet, section, 1, _roman(number))
        put(sheet, section, 2, f"{lines[0].unit_name} ({unit})")  # spills over the empty cells to its right
        row += 1
        first = row
        for index, line in enumerate(lines, start=1):
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
            for col, value in enumerate(values, start=1):
                if col == 8:
                    sheet.cell(row=row, column=col, value=value)  # our own formula
                else:
                    put(sheet, row, col, value)
                sheet.cell(row=row, column=col).style = LINE_STYLES[col]
            sheet.row_dimensions[row].height = _height(values)
            row += 1
        sheet.cell(row=section, column=8, value=f"=SUM(H{first}:H{row - 1})")
        for col in range(1, width + 1):
            sheet.cell(row=section, column=col).style = SECTION_MONEY.name if col == 8 else SECTION.name
        subtotals.append(f"H{section}")
    total = row
    put(sheet, total, 2, TEXT["total"].text(lang))
    sheet.cell(row=total, column=8, value=f"=SUM({','.join(subtotals)})" if subtotals else 0).number_format = VND
    for col in range(1, width + 1):
        cell = sheet.cell(row=total, column=col)
        cell.font, cell.border = Font(bold=True), BOX
    sign = total + 2
    for col, title, note in ((2, "preparer", "sign"), (9, "head", "sign_head")):
        put(sheet, sign, col, TEXT[title].text(lang))
        sheet.cell(row=sign, column=col).font = Font(bold=True)
        put(sheet, sign + 1, col, TEXT[note].text(lang))
        sheet.cell(row=sign + 1, column=col).font = Font(italic=True)

    sheet.freeze_panes = f"A{FIRST_LINE_ROW}"
    sheet.auto_filter.ref = f"A6:{last_col}{max(total - 1, 6)}"
    sheet.print_title_rows = "6:6"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _table(book: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Worksheet:
    sheet: Worksheet = book.create_sheet(title[:31])
    for col, header in enumerate(headers, start=1):
        put(sheet, 1, col, header)
        cell = sheet.cell(row=1, column=col)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        sheet.column_dimensions[get_column_letter(col)].width = max(12, min(50, len(header) + 4))
    for r, values in enumerate(rows, start=2):
        put_row(sheet, r, values)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    return sheet


AGE_BUCKETS: tuple[tuple[str, float, float], ...] = (("0–3", 0, 3), ("4–6", 3, 6), ("7–10", 6, 10), ("> 10", 10, 1000))


def _summary(book: Workbook, data: ProcurementData, lang: str) -> None:
    """Counts by unit and category, the age distribution and the links' utilisation, with native charts."""
    vi = lang == "vi"
    sheet: Worksheet = book.create_sheet(TEXT["summary"].text(lang), 1)
    categories = sorted({a.category for a in data.ages if a.category})
    put(sheet, 1, 1, "Đơn vị" if vi else "Unit")
    for col, category in enumerate(categories, start=2):
        put(sheet, 1, col, CATEGORY_LABELS[Category(category)].text(lang))
    over_col = len(categories) + 2
    put(sheet, 1, over_col, "Quá hạn" if vi else "Over age")
    put(sheet, 1, over_col + 1, "Đề xuất (VND)" if vi else "Proposed (VND)")
    units = sorted({a.unit_code for a in data.ages if a.unit_code} | {line.unit_code for line in data.plan.lines})
    counts: dict[tuple[str | None, str | None], int] = {}
    over: dict[str | None, int] = {}
    for a in data.ages:
        counts[a.unit_code, a.category] = counts.get((a.unit_code, a.category), 0) + 1
        over[a.unit_code] = over.get(a.unit_code, 0) + (a.over_age is True)
    totals = data.plan.totals_by_unit()
    for row, unit in enumerate(units, start=2):
        put(sheet, row, 1, unit)
        for col, category in enumerate(categories, start=2):
            put(sheet, row, col, counts.get((unit, category), 0))
        put(sheet, row, over_col, over.get(unit, 0))
        put(sheet, row, over_col + 1, totals.get(unit, 0))
        sheet.cell(row=row, column=over_col + 1).number_format = VND
    for col in range(1, over_col + 2):
        sheet.cell(row=1, column=col).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(col)].width = 14

    top = len(units) + 4
    put(sheet, top, 1, "Tuổi thiết bị (năm)" if vi else "Device age (years)")
    put(sheet, top, 2, "Số thiết bị" if vi else "Devices")
    for offset, (name, low, high) in enumerate(AGE_BUCKETS, start=1):
        put(sheet, top + offset, 1, name)
        put(
            sheet,
            top + offset,
            2,
            sum(
                1
                for a in data.ages
                if (a.age_years is not None and low < a.age_years <= high) or (low == 0 and a.age_years == 0)
            ),
        )
    put(sheet, top + len(AGE_BUCKETS) + 1, 1, "Chưa rõ" if vi else "Unknown")
    put(sheet, top + len(AGE_BUCKETS) + 1, 2, sum(1 for a in data.ages if a.age_years is None))
    ages = BarChart()
    ages.title = "Phân bố tuổi thiết bị" if vi else "Equipment age distribution"
    ages.y_axis.title = "Số thiết bị" if vi else "Devices"
    ages.add_data(Reference(sheet, min_col=2, min_row=top, max_row=top + len(AGE_BUCKETS) + 1), titles_from_data=True)
    ages.set_categories(Reference(sheet, min_col=1, min_row=top + 1, max_row=top + len(AGE_BUCKETS) + 1))
    sheet.add_chart(ages, f"{get_column_letter(over_col + 3)}2")

    links = [v.row() for v in data.verdicts]
    start = top + len(AGE_BUCKETS) + 4
    put(sheet, start, 1, "Đường truyền" if vi else "Link")
    put(sheet, start, 2, "P95 xuống (% băng thông)" if vi else "P95 down (% of capacity)")
    put(sheet, start, 3, "P95 lên (% băng thông)" if vi else "P95 up (% of capacity)")
    for offset, link in enumerate(links, start=1):
        put(sheet, start + offset, 1, link["unit_code"])
        put(sheet, start + offset, 2, link["p95_in_pct"])
        put(sheet, start + offset, 3, link["p95_out_pct"])
    if links:
        use = BarChart()
        use.title = "Sử dụng đường truyền (phân vị 95)" if vi else "Link utilisation (95th percentile)"
        use.y_axis.title = "% băng thông hợp đồng" if vi else "% of contracted bandwidth"
        use.add_data(
            Reference(sheet, min_col=2, max_col=3, min_row=start, max_row=start + len(links)), titles_from_data=True
        )
        use.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=start + len(links)))
        use.width = max(15, round(len(links) * 1.2))
        sheet.add_chart(use, f"{get_column_letter(over_col + 3)}20")


def write_workbook(
    path: Path, data: ProcurementData, settings_rows: Sequence[tuple[str, str]], province: str, lang: str = "vi"
) -> None:
    """Write the workbook for `data` to `path`, whole or not at all."""
    book = Workbook()
    for style in (LINE, LINE_WRAP, LINE_MONEY, SECTION, SECTION_MONEY):
        book.add_named_style(style)
    proposal = book.active
    assert proposal is not None
    proposal.title = TEXT["sheet"].text(lang)
    _proposal(proposal, data.plan, lang, province, data.generated_at)
    _summary(book, data, lang)
    vi = lang == "vi"
    age_headers = (
        ["Đơn vị", "Thiết bị", "Loại", "Model", "Số serial", "Năm sử dụng", "Tuổi (năm)", "Nguồn", "Căn cứ"]
        if vi
        else ["Unit", "Device", "Category", "Model", "Serial", "Year", "Age (years)", "Source", "Basis"]
    )

    def age_row(a: DeviceAgeRow) -> list[Any]:
        return [
            a.unit_name or a.unit_code,
            a.label,
            a.category,
            a.model,
            a.serial,
            a.year,
            a.age_years,
            a.source,
            a.basis,
        ]

    _table(book, TEXT["over_age"].text(lang), age_headers, [age_row(a) for a in data.ages if a.over_age is True])
    _table(book, TEXT["unknown_age"].text(lang), age_headers, [age_row(a) for a in data.ages if a.over_age is None])
    link_headers = (
        [
            "Đơn vị",
            "Đường truyền",
            "Băng thông (Mbps)",
            "Số mẫu",
            "Đủ dữ liệu (%)",
            "P95 xuống (Mbps)",
            "P95 xuống (%)",
            "P95 lên (Mbps)",
            "P95 lên (%)",
            "Mất gói (%)",
            "Độ trễ P95 (ms)",
            "Số ngày",
            "Kết luận",
            "Đề nghị (Mbps)",
            "Giải trình",
        ]
        if vi
        else [
            "Unit",
            "Link",
            "Capacity (Mbps)",
            "Samples",
            "Coverage (%)",
            "P95 down (Mbps)",
            "P95 down (%)",
            "P95 up (Mbps)",
            "P95 up (%)",
            "Loss (%)",
            "RTT P95 (ms)",
            "Days",
            "Verdict",
            "Upgrade to (Mbps)",
            "Justification",
        ]
    )
    _table(
        book,
        TEXT["links"].text(lang),
        link_headers,
        [
            [
                r["unit_code"],
                r["name"],
                r["capacity_down_mbps"],
                r["samples"],
                r["coverage_pct"],
                r["p95_in_mbps"],
                r["p95_in_pct"],
                r["p95_out_mbps"],
                r["p95_out_pct"],
                r["loss_pct"],
                r["rtt_p95_ms"],
                r["days"],
                r["verdict"],
                r["recommended_mbps"],
                r["justification_vi" if vi else "justification_en"],
            ]
            for r in (v.row() for v in data.verdicts)
        ],
    )
    _table(
        book,
        TEXT["settings"].text(lang),
        ["Thông số" if vi else "Setting", "Giá trị" if vi else "Value"],
        list(settings_rows),
    )
    with atomic_output(path) as temporary:
        book.save(temporary)
