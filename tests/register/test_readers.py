"""The two XLSX readers agree: calamine (the fast path, for workbooks of values) reads what
openpyxl (kept for workbooks with formulas, and for sheets whose cells reach far) reads, on files
written by openpyxl, by XlsxWriter and by LibreOffice."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from auditor.register import readers
from auditor.register.files import parse_file
from auditor.register.parse import Sheet
from auditor.register.values import cell_text

TODAY = dt.date(2026, 11, 21)
HEADER = ["Mã đơn vị", "Tên máy", "Địa chỉ IP", "Loại thiết bị", "Model", "Số serial", "Năm sử dụng", "Ngày mua"]


def _cells(rng: random.Random, n: int) -> list[Any]:
    """A row of what clerks type: codes, names with composed and decomposed marks, numbers as
    numbers and as text, dates, blanks, stray spaces, booleans."""
    name = rng.choice(["Hòa", unicodedata.normalize("NFD", "Hòa"), "Đảng ủy", "pc", " pc  "])
    return [
        rng.choice(["XA-A", "xa-a", " XA-A "]),
        f"{name}-{n}",
        rng.choice([f"10.0.{n // 250}.{n % 250}", "", None]),
        rng.choice(["Máy vi tính để bàn", "Máy in", "desktop", "Thiết bị định tuyến (router)"]),
        rng.choice(["OptiPlex 3020", "", None, 3020, "'=cmd"]),
        rng.choice([f"SN-{n}", n * 1000003, f"{n:08d}"]),
        rng.choice([2016, 2016.0, "2016", None, 1999]),
        rng.choice([dt.date(2015, 3, n % 28 + 1), dt.datetime(2015, 3, 4, 10, 30), "04/03/2015", None]),
    ]


def _rows(seed: int = 1, count: int = 60) -> list[list[Any]]:
    rng = random.Random(seed)
    return [HEADER, *(_cells(rng, n) for n in range(1, count + 1))]


def _openpyxl_file(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Thiết bị"
    sheet["A1"] = "PHIẾU KHẢO SÁT THIẾT BỊ"
    for r, row in enumerate(_rows(), start=3):
        for c, value in enumerate(row, start=2):  # from B3: a margin column and a title above
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    hidden = book.create_sheet("Ẩn")
    hidden.append(HEADER)
    hidden.append(["XA-A", "an-1", "", "Máy in", "", "SN-H", 2015])
    hidden.sheet_state = "hidden"
    very = book.create_sheet("Rất ẩn")
    very.append(["x"])
    very.sheet_state = "veryHidden"
    book.create_sheet("Trống")
    book.save(path)
    return path


def _xlsxwriter_file(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet = book.add_worksheet("Thiết bị")
    for r, row in enumerate(_rows(seed=2)):
        for c, value in enumerate(row):
            if isinstance(value, (dt.date, dt.datetime)):
                sheet.write_datetime(r, c, value, dates)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)
            elif value is not None:
                sheet.write(r, c, value)
    book.add_worksheet("Ẩn").hide()
    book.close()
    return path


def _values(sheets: list[Sheet]) -> list[tuple[str | None, bool, list[list[str]]]]:
    """What the parser reads of each sheet: its name, whether hidden, each cell's text."""
    return [(s.name, s.hidden, [[cell_text(v) for v in row] for row in s.rows]) for s in sheets]


def _both(path: Path) -> tuple[list[Sheet], list[Sheet]]:
    return readers._read_with_calamine(path), readers._read_with_openpyxl(path)


@pytest.mark.parametrize("writer", [_openpyxl_file, _xlsxwriter_file])
def test_calamine_reads_what_openpyxl_reads(workdir: Path, writer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = writer(workdir / "register.xlsx")
    fast, reference = _both(path)
    assert _values(fast) == _values(reference)
    # Row positions are the file's (the errors file and every message name them).
    assert len(fast[0].rows) == len(reference[0].rows)
    # The records and the rejections are the same, row for row.
    parsed = parse_file(path, TODAY)
    monkeypatch.setattr(readers, "_read_with_calamine", readers._read_with_openpyxl)
    again = parse_file(path, TODAY)
    assert [(r.where, r.record) for s in parsed for r in s.rows] == [(r.where, r.record) for s in again for r in s.rows]
    assert [e for s in parsed for e in s.errors] == [e for s in again for e in s.errors]
    assert sum(len(s.rows) for s in parsed) > 20, "too few rows parsed to compare"


def test_a_sheet_written_by_libreoffice_reads_the_same(workdir: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian libreoffice-calc); .ci/run installs it")
    source = _openpyxl_file(workdir / "source.xlsx")
    out = workdir / "lo"
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{workdir}/lo-profile", "--convert-to", "xlsx",
         "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    fast, reference = _both(out / "source.xlsx")
    assert _values(fast) == _values(reference)
    assert [s.hidden for s in fast] == [s.hidden for s in reference]


def test_the_fast_path_is_the_one_taken_for_values_and_not_for_formulas(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[str] = []
    for name in ("_read_with_calamine", "_read_with_openpyxl"):
        real = getattr(readers, name)
        monkeypatch.setattr(readers, name, lambda *a, real=real, name=name: taken.append(name) or real(*a))
    values = _openpyxl_file(workdir / "values.xlsx")
    readers.read_sheets(values)
    book = openpyxl.load_workbook(values)
    book["Thiết bị"]["J5"] = "=1+1"
    book.save(workdir / "formulas.xlsx")
    readers.read_sheets(workdir / "formulas.xlsx")
    assert taken == ["_read_with_calamine", "_read_with_openpyxl"]


def test_the_shape_scan_sees_a_cell_far_out_after_megabytes_of_xml(workdir: Path) -> None:
    """The reach of the cells is read in chunks of a megabyte: a far cell after megabytes of
    others counts, and sends the sheet to the streaming reader."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for r in range(1, 40_000):  # a few MB of XML
        sheet.append([f"row {r} with some text", r])
    sheet["XFD1048576"] = "far"
    book.save(workdir / "far.xlsx")
    assert readers._shape(workdir / "far.xlsx").cells == 16384 * 1048576


def test_a_formula_a_program_wrote_without_computing_it_is_refused_and_kept_once_computed(workdir: Path) -> None:
    """XlsxWriter writes each formula's value as 0 and asks the workbook to be computed on opening
    (fullCalcOnLoad): that 0 is no year.  Saved by LibreOffice, the formula holds its result."""
    path = workdir / "program.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Thiết bị")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["XA-A", "pc-1", "", "Máy in", "", "SN-1", 2015])
    sheet.write_row(2, 0, ["XA-A", "pc-2", "", "Máy in", "", "SN-2"])
    sheet.write_formula(2, 6, "=2010+6")  # value 0, XlsxWriter's placeholder
    book.close()
    [parsed] = parse_file(path, TODAY)
    assert [r.record.hostname for r in parsed.rows] == ["pc-1"]
    [error] = parsed.errors
    assert "holds the formula =2010+6 but not its value" in str(error.reasons[0]), error

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian libreoffice-calc); .ci/run installs it")
    # As a person does who answers "Recalculate" when LibreOffice asks on opening the file: its
    # setting for Excel files, "always recalculate".
    profile = workdir / "lo-recalc"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry">'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        "<value>0</value></prop></item></oor:items>\n"
    )
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", "xlsx",
         "--outdir", str(workdir / "lo"), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    [computed] = parse_file(workdir / "lo" / "program.xlsx", TODAY)
    assert not computed.errors
    assert {r.record.hostname: r.record.in_service_on.year for r in computed.rows} == {"pc-1": 2015, "pc-2": 2016}
