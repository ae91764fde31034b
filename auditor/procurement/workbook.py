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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from auditor.i18n import N_, Texts, texts
from auditor.procurement import texts as words
from auditor.procurement.document import ProcurementData
from auditor.procurement.paper import (
    PAGE_HEIGHT_PT,
    Formats,
    Page,
    clean,
    document,
    heading,
    local,
    print_setup,
    put,
    signatures,
)
from auditor.procurement.plan import Line
from auditor.procurement.summary import detail_sheets
from auditor.settings import Settings
from auditor.textfit import LINE_PT, ROW_PADDING_PT, height_of, lines_of

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


ROMAN: tuple[tuple[int, str], ...] = (
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


def _roman(number: int) -> str:
    out = ""
    for value, letters in ROMAN:
        count, number = divmod(number, value)
        out += letters * count
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


def _line_values(number: int, line: Line, tr: Texts) -> list[Any]:
    return [
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


def _line_row(out: Page, row_spec: _Row) -> None:
    f, line, values = out.formats, row_spec.line, row_spec.values
    assert line is not None
    row = out.next_row(row_spec.height)
    sheet = out.sheet
    for col, value in enumerate(values):
        if col != AMOUNT:
            priced = col == PRICE and line.unit_price_vnd is not None
            put(sheet, row, col, value, f.money if priced else f.center if col in (0, 3, 4) else f.text)
    quantity, price = xl_rowcol_to_cell(row, QUANTITY), xl_rowcol_to_cell(row, PRICE)
    if line.amount_vnd is not None:
        sheet.write_formula(row, AMOUNT, f"={quantity}*{price}", f.money, line.amount_vnd)
    else:  # a price typed in later is multiplied too
        sheet.write_formula(row, AMOUNT, f'=IF(ISNUMBER({price}),{quantity}*{price},"")', f.money, "")


@dataclass
class _Row:
    """One row of the table, laid out before it is written: a unit's section, one of its lines, or
    its name again at the top of a page its lines go on to."""

    kind: str  # "section", "line" or "continued"
    height: float
    number: int  # the unit's section number
    name: str
    unit: str
    line: Line | None = None
    values: list[Any] = field(default_factory=list)


def _layout(
    data: ProcurementData, tr: Texts, first_page: float, header: float, tail: float
) -> tuple[list[_Row], list[int]]:
    """The table's rows and where its pages break (indices into the rows): pages filled to the
    capacity, a unit's name never last on a page, its name repeated where its lines go on to the
    next page, and the last line kept with the total and the signatures (`tail` points)."""
    capacity = PAGE_HEIGHT_PT * SAFETY
    by_unit: dict[str, list[Line]] = {}
    for line in data.plan.lines:
        by_unit.setdefault(line.unit_code, []).append(line)
    rows: list[_Row] = []
    breaks: list[int] = []
    used = first_page
    last = len(data.plan.lines)
    seen = 0
    for number, (unit, lines) in enumerate(by_unit.items(), start=1):
        name = f"{lines[0].unit_name} ({unit})"
        section_height = LINE_PT * lines_of(name, sum(WIDTHS[1:AMOUNT])) + ROW_PADDING_PT
        for index, line in enumerate(lines, start=1):
            seen += 1
            values = _line_values(index, line, tr)
            height = height_of([str(v) for v in values], WIDTHS, WRAPPED)
            need = height + (tail if seen == last else 0) + (section_height if index == 1 else 0)
            if used + need > capacity and used > header:
                breaks.append(len(rows))
                used = header
                if index > 1:  # the unit's lines go on: its name again, so the page says whose they are
                    continued = tr("{unit} (continued)", unit=name)
                    rows.append(_Row("continued", section_height, number, continued, unit))
                    used += section_height
            if index == 1:
                rows.append(_Row("section", section_height, number, name, unit))
                used += section_height
            rows.append(_Row("line", height, number, name, unit, line, values))
            used += height
    return rows, breaks


def _section_row(out: Page, spec: _Row, last_of_unit: int, subtotal: int) -> str:
    """A unit's name with its subtotal (or, at the top of a page, its name again, without it)."""
    f = out.formats
    row = out.next_row(spec.height)
    style = f.section if spec.kind == "section" else f.section_continued
    out.sheet.write_string(row, 0, _roman(spec.number) if spec.kind == "section" else "", style)
    out.sheet.merge_range(row, 1, row, AMOUNT - 1, clean(spec.name), style)
    if spec.kind == "section":
        first, last = xl_rowcol_to_cell(row + 1, AMOUNT), xl_rowcol_to_cell(last_of_unit, AMOUNT)
        out.sheet.write_formula(row, AMOUNT, f"=SUM({first}:{last})", f.section_money, subtotal)
    else:
        out.sheet.write_blank(row, AMOUNT, None, style)
    for col in (AMOUNT + 1, LAST):
        out.sheet.write_blank(row, col, None, style)
    return str(xl_rowcol_to_cell(row, AMOUNT))


def _sections(out: Page, data: ProcurementData, rows: list[_Row]) -> list[str]:
    """The laid-out rows written; the cells of the units' subtotals."""
    top = out.row
    last_of_unit: dict[str, int] = {}
    for offset, spec in enumerate(rows):
        if spec.kind == "line":
            last_of_unit[spec.unit] = top + offset
    totals = data.plan.totals_by_unit()
    subtotals: list[str] = []
    for spec in rows:
        if spec.kind == "line":
            _line_row(out, spec)
        else:
            cell = _section_row(out, spec, last_of_unit[spec.unit], totals.get(spec.unit, 0))
            if spec.kind == "section":
                subtotals.append(cell)
    return subtotals


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


class _Measure:
    """A sheet that writes nothing: the tail is laid out on it once to learn how tall it is."""

    def __getattr__(self, _name: str) -> Any:
        return lambda *args, **kwargs: None


def _tail_height(out: Page, data: ProcurementData, settings: Settings) -> float:
    """How tall the total and the signatures print (laid out by the code that writes them)."""
    measure = Page(_Measure(), out.formats, out.tr, WIDTHS, out.left, out.right)
    _total(measure, data, [])
    _signatures(measure, settings)
    return sum(measure.heights)


def _proposal(book: Workbook, formats: Formats, data: ProcurementData, settings: Settings, tr: Texts) -> None:
    sheet = book.add_worksheet(tr("Proposal")[:31])
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    out = Page(sheet, formats, tr, WIDTHS, left=(0, 2), right=(5, LAST))
    generated = local(data.generated_at, settings.timezone)
    _heading(out, settings, generated)
    header = out.header([tr(name) for name, _, _ in COLUMNS])
    sheet.freeze_panes(header + 1, 0)
    rows, breaks = _layout(data, tr, sum(out.heights), out.heights[header], _tail_height(out, data, settings))
    top = out.row
    subtotals = _sections(out, data, rows)
    _total(out, data, subtotals)
    _signatures(out, settings)
    sheet.set_h_pagebreaks([top + index for index in breaks])
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
