"""Reading register spreadsheets (XLSX) and CSV files into plain rows of cell values."""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import InputFileError
from auditor.facts import said
from auditor.i18n import N_
from auditor.register.parse import Sheet
from auditor.register.values import Uncomputed

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and Office's encrypted .xlsx
MAX_UNPACKED_BYTES = 512 * 1024 * 1024  # a real register unpacks to a few MB; more is a zip bomb
MAX_RATIO = 200  # XML compresses ~10-20x; a ratio beyond this is crafted
STR = "str"  # openpyxl's type of a formula's cached text result (t="str" in the sheet's XML)
MAX_FILE_BYTES = 64 * 1024 * 1024  # a country's 100,000 devices are ~15 MB of CSV, ~6 MB of XLSX


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a workbook, or the one table of a CSV file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError as exc:
        raise InputFileError(said(N_("{file}: no such file"), file=path)) from exc
    except OSError as exc:
        raise InputFileError(said(N_("{file}: cannot read it: {why}"), file=path, why=exc.strerror)) from exc
    suffix = path.suffix.lower()
    if size > MAX_FILE_BYTES:
        raise InputFileError(
            said(
                N_(
                    "{file}: refused: {size} MB is more than a register of the whole country (the limit is "
                    "{limit} MB); split it by unit or province and import the parts"
                ),
                file=path.name,
                size=size // (1024 * 1024),
                limit=MAX_FILE_BYTES // (1024 * 1024),
            )
        )
    if head == OLE_MAGIC:
        raise InputFileError(
            said(
                N_(
                    "{file}: this is an old Excel .xls file or a password-protected workbook; open it in Excel "
                    "or LibreOffice, remove any password and save it as .xlsx"
                ),
                file=path.name,
            )
        )
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return [_read_csv(path)]
    if suffix == ".xls":
        raise InputFileError(said(N_("{file}: .xls is not supported; save it as .xlsx"), file=path.name))
    raise InputFileError(said(N_("{file}: expected an .xlsx or .csv file"), file=path.name))


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise InputFileError(
            said(
                N_(
                    "{file}: not a valid .xlsx file (damaged, or another format renamed .xlsx); open it in "
                    "Excel or LibreOffice and save it as .xlsx"
                ),
                file=path.name,
            )
        ) from exc
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > MAX_UNPACKED_BYTES or (unpacked / packed > MAX_RATIO and unpacked > 10 * 1024 * 1024):
        raise InputFileError(
            said(
                N_(
                    "{file}: refused: it would unpack to {unpacked} MB from {packed} kB, which no register "
                    "does (a zip bomb?)"
                ),
                file=path.name,
                unpacked=unpacked // (1024 * 1024),
                packed=packed // 1024,
            )
        )


def _read_xlsx(path: Path) -> list[Sheet]:
    _check_zip(path)
    # Values through calamine (Rust: a country's 100,000 rows in ~1 s, openpyxl takes ~15 s); a
    # workbook with formulas through openpyxl, which tells a formula's missing value from an empty
    # cell (calamine reads both as empty).
    # And a sheet whose cells reach far (calamine would hold every cell of the rectangle at once)
    # through openpyxl too, which streams it.
    shape = _shape(path)
    if shape.formulas or shape.cells > MAX_DENSE_CELLS:
        return _read_with_openpyxl(path, shape.formulas, shape.recalculate)
    return _read_with_calamine(path)


def _read_with_calamine(path: Path) -> list[Sheet]:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # CalamineError, ZipError… on damaged parts
        raise _unreadable(path, exc) from exc
    sheets, name = [], None
    try:
        for meta in workbook.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue  # a chart sheet holds no cells
            name = meta.name
            # Every row from A1, whatever the file declares of its used range (a claim, not a fact).
            values = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            rows = [_trimmed(tuple(_as_openpyxl(v) for v in row)) for row in values]
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            sheets.append(Sheet(path.name, name, rows, hidden))
    except Exception as exc:  # a truncated sheet, XML that is not XML
        raise _unreadable(path, exc, name) from exc
    finally:
        workbook.close()
    return sheets


def _as_openpyxl(value: Any) -> Any:
    """A calamine value as openpyxl gives it: an empty cell is None, a whole number an int."""
    if value == "" and isinstance(value, str):
        return None
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _read_with_openpyxl(path: Path, formulas: bool = True, recalculate: bool = False) -> list[Sheet]:
    import openpyxl  # imported here so CSV-only runs never pay for it

    try:
        # data_only: a formula cell gives the value Excel last computed, not the formula text.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, ValueError… on damaged parts
        raise _unreadable(path, exc) from exc
    sheets, strings = [], []
    try:
        for worksheet in workbook.worksheets:
            # The used range the file declares (<dimension>) is a claim, not a fact: Excel itself
            # ignores it.  Read what the sheet holds, whatever it says of its size.
            worksheet.reset_dimensions()
            if formulas:  # the cells, not only their values: a computed text result says so ("str")
                cells = [_trimmed(row) for row in worksheet.iter_rows(min_row=1)]
                rows = [tuple(c.value for c in row) for row in cells]
                strings.append(
                    {(r, c) for r, row in enumerate(cells) for c, x in enumerate(row) if x.data_type == "str"}
                )
            else:
                rows = [_trimmed(row) for row in worksheet.iter_rows(min_row=1, values_only=True)]
            hidden = getattr(worksheet, "sheet_state", "visible") != "visible"
            sheets.append(Sheet(path.name, worksheet.title, rows, hidden))
    except InputFileError:
        raise
    except Exception as exc:  # a truncated sheet, an entity bomb, XML that is not XML
        raise _unreadable(path, exc, getattr(worksheet, "title", None)) from exc
    finally:
        workbook.close()
    return _with_uncomputed_formulas(path, sheets, strings, recalculate) if formulas else sheets


def _trimmed(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row without its trailing empty cells (a styled but empty cell far to the right is nothing)."""
    end = len(row)
    while end and getattr(row[end - 1], "value", row[end - 1]) is None:
        end -= 1
    return row[:end]


def _unreadable(path: Path, exc: BaseException, sheet: str | None = None) -> InputFileError:
    why = f"{type(exc).__name__}: {exc}"[:200]
    if sheet is not None:
        return InputFileError(
            said(
                N_(
                    '{file}: sheet "{sheet}" cannot be read ({why}); nothing was imported. Open the file in '
                    "Excel or LibreOffice and save it again as .xlsx"
                ),
                file=path.name,
                sheet=sheet,
                why=why,
            )
        )
    return InputFileError(
        said(
            N_(
                "{file}: cannot read the workbook ({why}); nothing was imported. Open it in Excel or "
                "LibreOffice and save it again as .xlsx"
            ),
            file=path.name,
            why=why,
        )
    )


# A cell's or a row's reference in a sheet's XML; the scan carries an unfinished element over from
# one chunk to the next, up to this many bytes (an element longer than that is not Excel's).
_ROW_REF = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')
_CELL_REF = re.compile(rb'<c\b[^>]*?\sr="([A-Z]+)(\d+)"')
_CARRY = 64 * 1024
MAX_DENSE_CELLS = 4_000_000  # rows × columns calamine may hold at once: a country is 100,000 × ~15


# The workbook asks to be computed again when opened (<calcPr fullCalcOnLoad="1"/>): what XlsxWriter
# and openpyxl write, whose formulas' values are placeholders (XlsxWriter's 0), never computed.
_RECALCULATE = re.compile(rb'<(?:\w+:)?calcPr\b[^>]*\sfullCalcOnLoad="(?:1|true)"')


@dataclass(frozen=True)
class _Shape:
    formulas: bool  # any sheet holds a formula (an <f> element)
    cells: int  # the largest rows × columns of any sheet, as its cells' references say
    recalculate: bool = False  # the workbook says its formulas' values are to be computed on opening


def _shape(path: Path) -> _Shape:
    """What the sheets hold, from their XML without parsing it: whether any holds a formula, and
    how far its cells reach (a 5 kB file may put one cell at XFD1048576)."""
    formulas, cells = False, 0
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        for name in names:
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            rows, columns = 0, 0
            with archive.open(name) as member:
                carried = b""
                while chunk := member.read(1 << 20):
                    text = carried + chunk
                    formulas = formulas or b"<f>" in text or b"<f " in text
                    refs = set(_CELL_REF.findall(text))
                    rows = max([rows, *(int(r) for r in _ROW_REF.findall(text)), *(int(r) for _, r in refs)])
                    columns = max([columns, *(_column_number(c) for c in {c for c, _ in refs})])
                    cut = text.rfind(b"<")
                    carried = text[cut:] if cut >= 0 and len(text) - cut <= _CARRY else b""
            cells = max(cells, rows * columns)
        recalculate = "xl/workbook.xml" in names and bool(
            _RECALCULATE.search(archive.read("xl/workbook.xml")[: 1 << 20])
        )
    return _Shape(formulas, cells, recalculate)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _formula(cell: object) -> str | None:
    """The formula a cell holds (openpyxl gives text, or an ArrayFormula with its text), if any."""
    text = getattr(cell, "text", cell)
    return text if isinstance(text, str) and text.startswith("=") else None


def _with_uncomputed_formulas(
    path: Path, sheets: list[Sheet], strings: list[set[tuple[int, int]]], recalculate: bool = False
) -> list[Sheet]:
    """Mark the formula cells whose value the file does not hold (openpyxl reads them as empty).
    A formula Excel computed to empty text ("") is marked as a text result: that one is empty.
    In a workbook that asks to be computed on opening, every formula: the value it holds is the
    writing program's placeholder (XlsxWriter writes 0), not a result."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        marked = []
        for sheet, texts, worksheet in zip(sheets, strings, workbook.worksheets, strict=True):
            rows = []
            worksheet.reset_dimensions()
            written_rows = worksheet.iter_rows(min_row=1, values_only=True)
            for r, (values, written) in enumerate(zip(sheet.rows, written_rows, strict=False)):
                # every written cell: a formula at the end of a row reads as empty, and the values'
                # row was trimmed there
                row = tuple(
                    Uncomputed(formula)
                    if (recalculate or (value is None and (r, c) not in texts)) and (formula := _formula(cell))
                    else value
                    for c, (value, cell) in enumerate(itertools.zip_longest(values, written))
                )
                rows.append(_trimmed(row))
            marked.append(Sheet(sheet.file, sheet.name, rows, sheet.hidden))
        return marked
    finally:
        workbook.close()


WINDOWS_1258 = N_("{file}: not UTF-8; read as Windows-1258 (Vietnamese). Save it as UTF-8 CSV to be sure")


def decode_text(data: bytes, name: str) -> tuple[str, bool]:
    """Text from bytes as Vietnamese offices save it: UTF-8 (BOM or not), UTF-16, or Windows-1258
    (and whether it was that).  Anything else (Shift-JIS, GB18030…) is refused, never stored garbled."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:  # a byte Windows-1258 does not define
        raise _foreign_encoding(name, exc.start) from exc
    if (odd := _first_non_vietnamese(text)) is not None:
        raise _foreign_encoding(name, len(text[:odd].encode("cp1258")))
    return text, True


# What a Vietnamese text in Windows-1258 holds beyond ASCII: letters with their marks (composed
# or as Windows-1258's separate tone marks), đ, and the typographic punctuation Word types.
_PUNCTUATION = frozenset("–—‘’“”…•°±×÷€«»§©®™·\xa0")


def _vietnamese(ch: str) -> bool:
    if ch.isascii() or ch in _PUNCTUATION or ch in "đĐ" or unicodedata.combining(ch):
        return True
    base = unicodedata.normalize("NFD", ch)[0]
    return base.isascii() and base.isalpha()


def _first_non_vietnamese(text: str) -> int | None:
    """Where a text read as Windows-1258 stops looking like Vietnamese (Shift-JIS or GB18030 read
    so turns into runs of ƒ, Œ, ‚ and symbols), or None if it reads as Vietnamese throughout."""
    odd = [i for i, ch in enumerate(text) if not _vietnamese(ch)]
    foreign = sum(1 for ch in text if not ch.isascii())
    if odd and len(odd) * 10 > foreign:  # a stray symbol or two is a person's; more is an encoding
        return odd[0]
    return None


def _foreign_encoding(name: str, byte: int) -> InputFileError:
    return InputFileError(
        said(
            N_(
                "{file}: the text is not UTF-8, UTF-16 or Windows-1258 (Vietnamese); from byte {byte} it "
                "reads as another code page (Shift-JIS, GB18030…). Nothing was imported: save it as "
                "UTF-8 CSV (Excel: Save As, CSV UTF-8)"
            ),
            file=name,
            byte=byte,
        )
    )


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one of comma, semicolon and tab that splits the first rows
    into the most rows of one same width.  The quote is always '"' (RFC 4180): a name with an
    apostrophe ("Ban Dân vận 'A'") is text, never a quote."""
    best, best_score = ",", 0
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter, quotechar='"')
        widths = [len(row) for _, row in zip(range(50), reader, strict=False) if any(c.strip() for c in row)]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = widths.count(common) * (common > 1)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path) -> Sheet:
    try:
        text, windows_1258 = decode_text(path.read_bytes(), path.name)
    except UnicodeDecodeError as exc:
        raise InputFileError(
            said(
                N_("{file}: the text encoding is damaged at byte {byte}; save it as UTF-8 CSV"),
                file=path.name,
                byte=exc.start,
            )
        ) from exc
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    notes = (said(WINDOWS_1258, file=path.name),) if windows_1258 else ()
    return Sheet(path.name, None, [tuple(row) for row in reader], notes=notes)
