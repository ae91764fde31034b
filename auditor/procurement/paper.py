"""What every printed sheet shares (XlsxWriter): A4 landscape, one page wide, the header repeated,
page numbers, column widths that fit their content, rows tall enough for their wrapped text, and
text always written as text (a device's "=HYPERLINK(…)" stays words, never a formula)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
import tempfile
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from auditor.errors import AuditorError
from auditor.files import atomic_output
from auditor.i18n import Texts
from auditor.settings import DocumentSettings
from auditor.textfit import (
    HIGH,
    LINE_PT,
    ROW_PADDING_PT,
    fitted_widths,
    header_width,
    height_of,
    lines_of,
)

A4 = 9  # XlsxWriter's paper code
# Margins, inches: 2 cm left for the binding, 1.5 cm right, 1.5 cm top, 1.8 cm bottom with the footer.
MARGINS = {"left": 0.79, "right": 0.59, "top": 0.59, "bottom": 0.71}
FOOTER_MARGIN = 0.3
# What fits between the margins of A4 landscape, in the sheet's own units.
# Column-width characters (of the workbook's normal font, Times New Roman 11) that fit at 100 %,
# the 0.71 the file adds to every column included: LibreOffice draws each 5.5 pt wide (measured),
# Excel 7 px (5.25 pt) plus 5 px a column.
PAGE_WIDTH_CHARS = 134.5
COLUMN_PADDING = 0.71
PAGE_HEIGHT_PT = (8.27 - MARGINS["top"] - MARGINS["bottom"]) * 72
BODY_PT = 11  # the body text; the signed list prints at 100 %, the detail sheets shrink little
# Amounts as the reader writes them: 20.000.000 (the format's Vietnamese locale), 20,000,000 in English.
VND = {"vi": "[$-42A]#,##0", "en": "#,##0"}


def clean(value: str) -> str:
    """Text fit for a cell: without the control bytes a spreadsheet file cannot hold."""
    return value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value)  # most text: one C scan


def put(sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
    """Write one cell of data: text as text (never a formula), numbers as numbers, None as a blank."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, clean(str(value)), fmt)


def span(widths: Sequence[float]) -> float:
    """How wide columns of these widths print, in width characters."""
    return sum(widths) + COLUMN_PADDING * len(widths)


def shrink_to_page(
    widths: list[float], headers: Sequence[str], wrapped: Iterable[int], floor: float = 12
) -> list[float]:
    """The same widths, the widest wrapped columns narrowed first, to one level (never below
    `floor` or their heading's longest word), so the sheet fits one page wide if it can."""
    # a long text keeps room to be read; a heading's longest word stays whole
    floors = [max(floor * (2.5 if w >= HIGH else 1), header_width(h)) for w, h in zip(widths, headers, strict=True)]
    wrapped = {c for c in wrapped if widths[c] > floors[c]}
    if span(widths) <= PAGE_WIDTH_CHARS or not wrapped:
        return widths

    def at(level: float) -> list[float]:
        return [max(floors[c], min(w, level)) if c in wrapped else w for c, w in enumerate(widths)]

    low, high = 0.0, max(widths)
    for _ in range(40):  # the level where the columns just fit
        middle = (low + high) / 2
        low, high = (middle, high) if span(at(middle)) <= PAGE_WIDTH_CHARS else (low, middle)
    return at(low)


@dataclass
class Formats:
    """The cell formats of one workbook (XlsxWriter makes each once)."""

    book: Workbook
    font: str
    lang: str = "vi"

    def make(self, **properties: Any) -> Format:
        return self.book.add_format({"font_name": self.font, "font_size": BODY_PT, **properties})

    def __post_init__(self) -> None:
        box = {"border": 1, "border_color": "#808080", "valign": "top"}
        self.text = self.make(**box, text_wrap=True)
        self.center = self.make(**box, align="center")
        self.money = self.make(**box, num_format=VND[self.lang])
        self.header = self.make(
            **{**box, "valign": "vcenter"}, bold=True, align="center", text_wrap=True, bg_color="#DDEBF7"
        )
        self.section = self.make(**box, bold=True, bg_color="#F2F2F2", text_wrap=True)
        self.section_continued = self.make(**box, italic=True, bg_color="#F2F2F2", text_wrap=True)
        self.section_money = self.make(**box, bold=True, bg_color="#F2F2F2", num_format=VND[self.lang])
        self.total = self.make(**box, bold=True)
        self.total_money = self.make(**box, bold=True, num_format=VND[self.lang])
        self.title = self.make(bold=True, font_size=14, align="center", valign="vcenter", text_wrap=True)
        self.subtitle = self.make(italic=True, align="center", valign="vcenter", text_wrap=True)
        self.plain = self.make(valign="top", text_wrap=True)
        self.bold_center = self.make(bold=True, align="center", valign="vcenter")
        self.center_plain = self.make(align="center", valign="vcenter")
        self.italic_center = self.make(italic=True, align="center", valign="vcenter")
        self.italic = self.make(italic=True, valign="top", text_wrap=True)
        self.party = self.make(bold=True, underline=1, align="center", valign="vcenter")


def print_setup(
    sheet: Worksheet, tr: Texts, font: str, header_row: int, last_col: int, rows: int, fit: bool = True
) -> None:
    """A4 landscape, the table's header on every page, "Trang 1/3" at the foot; `fit`: shrunk to
    one page wide (a sheet whose columns fit at 100 % is printed at 100 %, never enlarged)."""
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.set_margins(**MARGINS)
    sheet.center_horizontally()
    sheet.repeat_rows(header_row)
    if fit:
        sheet.fit_to_pages(1, 0)
    if last_col >= 0:
        sheet.print_area(0, 0, max(rows - 1, header_row), last_col)
    page = tr("Page &P of &N")
    sheet.set_footer(f'&C&"{font},Regular"&{BODY_PT - 1}{page}', {"margin": FOOTER_MARGIN})


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    wrapped: Sequence[int] = ()
    money: Sequence[int] = ()


def header_height(headers: Sequence[str], widths: Sequence[float]) -> float:
    return max((lines_of(h, widths[c]) for c, h in enumerate(headers)), default=1) * LINE_PT + ROW_PADDING_PT


def header_row(sheet: Worksheet, formats: Formats, row: int, headers: Sequence[str]) -> int:
    for col, header in enumerate(headers):
        sheet.write_string(row, col, clean(header), formats.header)
    return row


def _table(sheet: Worksheet, formats: Formats, top: int, table: Table, widths: Sequence[float]) -> int:
    """`table` from row `top`: its header, then its rows; the row after it."""
    sheet.set_row(top, header_height(table.headers, widths))
    header_row(sheet, formats, top, table.headers)
    for index, values in enumerate(table.rows, start=top + 1):
        sheet.set_row(index, height_of(values, widths, table.wrapped))
        for col, value in enumerate(values):
            put(sheet, index, col, value, formats.money if col in table.money else formats.text)
    return top + 1 + len(table.rows)


def titled_table(
    book: Workbook,
    formats: Formats,
    tr: Texts,
    name: str,
    title: str,
    subtitle: str,
    table: Table,
    *more: Table,
    area: bool = True,
    title_columns: int = 0,
) -> tuple[Worksheet, list[int]]:
    """A detail sheet to print: its title, the moment it describes, a filterable table whose header
    repeats on every page, widths that fit the content, wrapped long text; then any `more` tables
    (narrower ones, e.g. a chart's figures) under it.  The sheet, and the first data row of each
    table.  `area`: print only the tables (False also prints a chart beside them); `title_columns`:
    how many columns the title spans, if more than the table's."""
    sheet = book.add_worksheet(name[:31])
    widths = shrink_to_page(fitted_widths(table.headers, table.rows), table.headers, table.wrapped)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    last = len(table.headers) - 1
    title_last = max(last, title_columns - 1)
    sheet.set_row(0, 24)
    sheet.merge_range(0, 0, 0, title_last, clean(title), formats.title)
    room = sum(widths) + 9 * (title_last - last)  # the default width of the columns beyond
    sheet.set_row(1, LINE_PT * lines_of(subtitle, room) + ROW_PADDING_PT)
    sheet.merge_range(1, 0, 1, title_last, clean(subtitle), formats.subtitle)
    end = _table(sheet, formats, 3, table, widths)
    sheet.freeze_panes(4, 0)
    if table.rows:
        sheet.autofilter(3, 0, end - 1, last)
    starts = [4]
    for extra in more:
        starts.append(end + 2)
        end = _table(sheet, formats, end + 1, extra, widths)
    print_setup(sheet, tr, formats.font, 3, last if area else -1, end, fit=span(widths) > PAGE_WIDTH_CHARS)
    return sheet, starts


def local(moment: dt.datetime, timezone: str) -> dt.datetime:
    """`moment` as the reader's clock shows it, to the minute."""
    return moment.astimezone(zoneinfo.ZoneInfo(timezone)).replace(second=0, microsecond=0)


def place_and_date(place: str, day: dt.date, tr: Texts) -> str:
    month = f"tháng {day.month:02d} năm" if tr.lang == "vi" else day.strftime("%B")
    return tr("{place}, {day} {month} {year}", place=place, day=str(day.day).zfill(2), month=month, year=day.year)


@dataclass
class Page:
    """A document sheet written row by row, each row's height kept for the page breaks; `left` and
    `right` are the column spans of the heading's and the signatures' two sides."""

    sheet: Worksheet
    formats: Formats
    tr: Texts
    widths: Sequence[float]
    left: tuple[int, int]
    right: tuple[int, int]
    heights: list[float] = field(default_factory=list)

    @property
    def row(self) -> int:
        return len(self.heights)

    @property
    def last(self) -> int:
        return len(self.widths) - 1

    def next_row(self, height: float) -> int:
        row = self.row
        self.sheet.set_row(row, height)
        # In constant_memory mode a row with no cell is not written, and its height is lost with it.
        self.sheet.write_blank(row, 0, None, self.formats.plain)
        self.heights.append(height)
        return row

    def header(self, headers: Sequence[str]) -> int:
        """The table's header row (it repeats on every page); its row."""
        return header_row(self.sheet, self.formats, self.next_row(header_height(headers, self.widths)), headers)

    def merged(self, first: int, last: int, text: str, fmt: Format, height: float | None = None) -> int:
        row = self.next_row(height or LINE_PT * lines_of(text, sum(self.widths[first : last + 1])) + ROW_PADDING_PT)
        self.sheet.merge_range(row, first, row, last, clean(text), fmt)
        return row

    def picture(self, png: bytes, name: str, height_pt: float) -> int:
        """A picture (a link's graph) on a row of its own as tall as it is, so that no page break
        cuts it; its row.  The PNG's own resolution gives its size on the page."""
        row = self.next_row(height_pt + ROW_PADDING_PT)
        self.sheet.insert_image(row, 0, name, {"image_data": io.BytesIO(png), "object_position": 2, "y_offset": 2})
        return row

    def sides(self, left: Sequence[tuple[str, Format]], right: Sequence[tuple[str, Format]]) -> None:
        """Rows of two blocks side by side: the heading's, the signatures'."""
        blank = ("", self.formats.center_plain)
        for i in range(max(len(left), len(right))):
            row = self.next_row(LINE_PT + 2)
            for (first, last), side in ((self.left, left), (self.right, right)):
                text, fmt = side[i] if i < len(side) else blank
                self.sheet.merge_range(row, first, row, last, clean(text), fmt)


def heading(
    out: Page, doc: DocumentSettings, generated: dt.datetime, title: str, *subtitles: str, number: str | None = None
) -> None:
    """The Party document's heading: the issuing body and its number top left, the Party's name
    and the place-and-date line top right, then the title and what the document covers."""
    tr, f = out.tr, out.formats
    last = len(doc.issuer) - 1
    left = [(line, f.bold_center if i == last else f.center_plain) for i, line in enumerate(doc.issuer)]
    left += [("*", f.center_plain), (doc.number if number is None else number, f.center_plain)]
    right = [(tr("COMMUNIST PARTY OF VIET NAM"), f.party), ("", f.center_plain)]
    right += [(place_and_date(doc.place, generated.date(), tr), f.italic_center)]
    out.sides(left, right)
    out.next_row(LINE_PT)
    out.merged(0, out.last, title, f.title, 26)
    for line in subtitles:
        out.merged(0, out.last, line, f.subtitle)
    out.next_row(LINE_PT / 2)


def signatures(out: Page, left: Sequence[str], right: Sequence[str], names: tuple[str, str]) -> None:
    """Two signatures, titles above and names below the room to sign; a line in parentheses is
    the instruction under a title ("(Ký, ghi rõ họ tên)")."""
    f = out.formats
    out.next_row(LINE_PT)
    pad = max(len(left), len(right))
    left = [""] * (pad - len(left)) + list(left)
    right = [""] * (pad - len(right)) + list(right)

    def styled(lines: Sequence[str]) -> list[tuple[str, Format]]:
        return [(text, f.italic_center if text.startswith("(") else f.bold_center) for text in lines]

    out.sides(styled(left), styled(right))
    for _ in range(4):
        out.next_row(LINE_PT)
    out.sides([(names[0], f.bold_center)], [(names[1], f.bold_center)])


def page_breaks(heights: Sequence[float], header: int, tail: int, capacity: float) -> list[int]:
    """The first row of every page after the first: pages filled to `capacity` points (the header
    row `header` repeats on each), and the rows from `tail` (the last line, the counts, the
    signatures) kept together on the last page."""
    breaks: list[int] = []
    used = sum(heights[: header + 1])  # the first page: the heading and the table's header
    for row in range(header + 1, len(heights)):
        need = sum(heights[row:]) if row == tail else heights[row]
        if used + need > capacity and used > heights[header]:
            # the first row does not fit under the header on the first page: the header goes with it
            breaks.append(header if row == header + 1 and not breaks else row)
            used = heights[header]
        if row == tail:
            break
        used += heights[row]
    return breaks


@contextlib.contextmanager
def document(path: Path, font: str, properties: dict[str, str], lang: str) -> Iterator[tuple[Workbook, Formats]]:
    """A workbook to print, written to `path` whole or not at all when the block ends.  Rows go to
    the file as they are made (a country's list in little memory); text from a device stays text,
    never a formula or a link.  It is built beside the system's temporary files and copied in one
    rename: a full disk is one clear error (and nothing left behind), not a half-closed archive."""
    with tempfile.TemporaryDirectory(prefix="auditor-document-") as scratch:
        built = Path(scratch) / "document.xlsx"
        options = {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_format_properties": {"font_name": font, "font_size": BODY_PT},  # the unit of column widths
            "tmpdir": scratch,
        }
        book = Workbook(str(built), options)
        book.set_properties(properties)
        yield book, Formats(book, font, lang)
        try:
            book.close()
        except (OSError, FileCreateError) as exc:
            raise AuditorError(f"cannot write {path}: {exc}; nothing was written") from exc
        with atomic_output(path) as temporary:
            shutil.copyfile(built, temporary)
