"""The procurement workbook the Provincial Office prints, signs and sends up (XlsxWriter).

Sheet one is the list (danh mục đề xuất) in the layout of a Party document: the issuing body and
"ĐẢNG CỘNG SẢN VIỆT NAM" with the place and date, the title, a section per unit with its
subtotal, the total, the signatures.  It prints on A4 landscape, one page wide, the header on
every page, "Trang 1/3" at the foot, the total kept on the page of the signatures (the page breaks
are placed here, from the rows' own heights).  Amounts are formulas (Thành tiền = Số lượng ×
Đơn giá, subtotals and the total as SUMs) that carry their computed values, so any viewer shows
them and an edited quantity still updates every total.  The detail sheets back every line; what
the Office must still check is on a sheet of its own, never in the signed list.  Text that came
from a device or a spreadsheet is always written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from auditor.i18n import N_, Texts, texts
from auditor.procurement import texts as words
from auditor.procurement.document import ProcurementData
from auditor.procurement.paper import (
    LINE_PT,
    PAGE_HEIGHT_PT,
    Formats,
    Page,
    clean,
    document,
    heading,
    height_of,
    lines_of,
    local,
    page_breaks,
    print_setup,
    put,
    signatures,
)
from auditor.procurement.plan import Line
from auditor.procurement.summary import detail_sheets
from auditor.settings import Settings

# The list's columns: heading, width in characters, wrapped.  They fit one A4 landscape page at
# 100 % (paper.PAGE_WIDTH_CHARS), so the body prints at its own 11 pt and the page breaks placed
# here are the ones the printer makes.
COLUMNS: tuple[tuple[str, float, bool], ...] = (
    (N_("No."), 4.5, False),
    (N_("Item"), 20, True),
    (N_("Minimum specification"), 26.5, True),
    (N_("UoM"), 5.5, False),
    (N_("Qty"), 6.5, False),
    (N_("Unit price (VND)"), 11, False),
    (N_("Amount (VND)"), 14, False),
    (N_("Reason, basis"), 28.5, True),
    (N_("Notes"), 11.5, True),
)
QUANTITY, PRICE, AMOUNT = 4, 5, 6
WIDTHS = [width for _, width, _ in COLUMNS]
WRAPPED = [col for col, (_, _, wrapped) in enumerate(COLUMNS) if wrapped]
LAST = len(COLUMNS) - 1
SAFETY = 0.95  # of a page's height: what LibreOffice or Excel draw may run a little taller


def _roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L")):
        while number >= value:
            out, number = out + letters, number - value
    for value, letters in ((40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def _heading(out: Page, settings: Settings, generated: dt.datetime) -> None:
    tr = out.tr
    covers = tr(
        "Information technology equipment and dedicated data-network links of {province}", province=settings.province
    )
    stamp = tr("(Inventory and measurements up to {time})", time=generated.strftime("%H:%M %d/%m/%Y"))
    heading(out, settings.document, generated, tr("PROPOSED LIST OF EQUIPMENT INVESTMENT"), covers, stamp)


def _signatures(out: Page, settings: Settings) -> None:
    """The preparer bottom left, the head of the Office bottom right; then who receives it."""
    tr, doc = out.tr, settings.document
    left = [doc.preparer_title or tr("PREPARED BY"), tr("(Signature and full name)")]
    right = [doc.signer_for, doc.signer_title or tr("HEAD OF THE OFFICE"), tr("(Signature and seal)")]
    signatures(out, left, [line for line in right if line], (doc.preparer_name, doc.signer_name))
    if doc.recipients:
        out.next_row(LINE_PT)
        out.merged(0, 2, tr("Recipients:"), out.formats.italic)
        for line in doc.recipients:
            out.merged(0, 2, f"- {line}", out.formats.plain)


def _table_header(out: Page) -> int:
    headers = [out.tr(name) for name, _, _ in COLUMNS]
    row = out.next_row(max(lines_of(h, WIDTHS[c]) for c, h in enumerate(headers)) * LINE_PT + 4)
    for col, header in enumerate(headers):
        out.sheet.write_string(row, col, header, out.formats.header)
    return row


def _line_row(out: Page, number: int, line: Line) -> None:
    tr, f = out.tr, out.formats
    values: list[Any] = [
        number,
        words.item(line, tr),
        line.spec,
        words.unit_of_measure(line, tr),
        line.quantity,
        line.unit_price_vnd if line.unit_price_vnd is not None else tr("to be quoted"),
        None,
        words.reason(line, tr),
        words.note(line, tr),
    ]
    row = out.next_row(height_of([str(v) for v in values], WIDTHS, WRAPPED))
    sheet = out.sheet
    for col, value in enumerate(values):
        if col != AMOUNT:
            fmt = (
                f.money
                if col == PRICE and line.unit_price_vnd is not None
                else f.center
                if col in (0, 3, 4)
                else f.text
            )
            put(sheet, row, col, value, fmt)
    quantity, price = xl_rowcol_to_cell(row, QUANTITY), xl_rowcol_to_cell(row, PRICE)
    if line.amount_vnd is not None:
        sheet.write_formula(row, AMOUNT, f"={quantity}*{price}", f.money, line.amount_vnd)
    else:  # a price typed in later is multiplied too
        sheet.write_formula(row, AMOUNT, f'=IF(ISNUMBER({price}),{quantity}*{price},"")', f.money, "")


def _sections(out: Page, data: ProcurementData) -> tuple[list[str], int]:
    """A section per unit: its name with the subtotal, then its lines; (subtotal cells, last line row)."""
    by_unit: dict[str, list[Line]] = {}
    for line in data.plan.lines:
        by_unit.setdefault(line.unit_code, []).append(line)
    totals = data.plan.totals_by_unit()
    subtotals: list[str] = []
    last_line = out.row
    for number, (unit, lines) in enumerate(by_unit.items(), start=1):
        name = f"{lines[0].unit_name} ({unit})"
        row = out.next_row(LINE_PT * lines_of(name, sum(WIDTHS[1:AMOUNT])))
        out.keep_with_next.add(row)  # a unit's name never ends a page
        out.sheet.write_string(row, 0, _roman(number), out.formats.section)
        out.sheet.merge_range(row, 1, row, AMOUNT - 1, clean(name), out.formats.section)
        first, last = xl_rowcol_to_cell(row + 1, AMOUNT), xl_rowcol_to_cell(row + len(lines), AMOUNT)
        out.sheet.write_formula(row, AMOUNT, f"=SUM({first}:{last})", out.formats.section_money, totals.get(unit, 0))
        for col in (AMOUNT + 1, LAST):
            out.sheet.write_blank(row, col, None, out.formats.section)
        for index, line in enumerate(lines, start=1):
            _line_row(out, index, line)
        subtotals.append(xl_rowcol_to_cell(row, AMOUNT))
        last_line = out.row - 1
    return subtotals, last_line


def _total(out: Page, data: ProcurementData, subtotals: list[str]) -> None:
    tr, f = out.tr, out.formats
    row = out.next_row(LINE_PT + 2)
    out.sheet.write_blank(row, 0, None, f.total)
    out.sheet.merge_range(row, 1, row, AMOUNT - 1, tr("TOTAL"), f.total)
    formula = f"=SUM({','.join(subtotals)})" if subtotals else "=0"
    out.sheet.write_formula(row, AMOUNT, formula, f.total_money, data.plan.total_vnd())
    for col in (AMOUNT + 1, LAST):
        out.sheet.write_blank(row, col, None, f.total)
    unpriced = data.plan.unpriced()
    if unpriced:
        said = tr.plural(
            "The total excludes {n} item to be quoted.", "The total excludes {n} items to be quoted.", unpriced
        )
        out.merged(1, LAST, said, f.italic)


def _proposal(book: Workbook, formats: Formats, data: ProcurementData, settings: Settings, tr: Texts) -> None:
    sheet = book.add_worksheet(tr("Proposal")[:31])
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    out = Page(sheet, formats, tr, WIDTHS, left=(0, 2), right=(5, LAST))
    generated = local(data.generated_at, settings.timezone)
    _heading(out, settings, generated)
    header = _table_header(out)
    sheet.freeze_panes(header + 1, 0)
    subtotals, last_line = _sections(out, data)
    _total(out, data, subtotals)
    _signatures(out, settings)
    breaks = page_breaks(out.heights, header, out.keep_with_next, last_line, PAGE_HEIGHT_PT * SAFETY)
    sheet.set_h_pagebreaks(breaks)
    print_setup(sheet, tr, formats.font, header, LAST, out.row, fit=False)  # the columns fit at 100 %


def write_workbook(
    path: Path, data: ProcurementData, settings: Settings, lang: str = "vi", *, details: bool = True
) -> None:
    """Write the workbook for `data` to `path`, whole or not at all; without `details`, the signed
    list alone (what is printed to PDF)."""
    tr = texts(lang)
    title = {"title": tr("PROPOSED LIST OF EQUIPMENT INVESTMENT"), "company": settings.document.issuer[-1]}
    with document(path, settings.document.font, title, lang) as (book, formats):
        _proposal(book, formats, data, settings, tr)
        if details:
            detail_sheets(book, formats, data, settings, tr)
