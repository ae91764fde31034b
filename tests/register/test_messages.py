"""The import speaks the clerk's language: Vietnamese by default, English with --lang en; the
errors file that goes back to the commune marks the cell at fault."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.conftest import Cli
from tests.register.test_import import write_csv

UNITS = [["Mã đơn vị", "Tên đơn vị"], ["XA-A", "Đảng ủy xã A"]]
DEVICES = [
    ["Mã đơn vị", "Mã tài sản", "Năm sử dụng", "Địa chỉ IP"],
    ["XA-A", "TS-1", "2015", "10.0.0.1"],
    ["XA-A", "TS-2", "20l5", "10.0.0.2"],  # a typo the clerk must fix
    ["XA-Z", "TS-3", "2016", "10.0.0.300"],  # two faults on one row
]


def _survey(workdir: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Đơn vị"
    for row in UNITS:
        sheet.append(row)
    devices = book.create_sheet("Thiết bị")
    for row in DEVICES:
        devices.append(row)
    book.save(workdir / "khao-sat.xlsx")
    return workdir / "khao-sat.xlsx"


def test_messages_and_the_errors_file_are_vietnamese_by_default(auditor: Cli, workdir: Path) -> None:
    result = auditor("register", "import", str(_survey(workdir)))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        "đơn vị        1 mới, 0 cập nhật, 0 không đổi",
        "thiết bị      1 mới, 0 cập nhật, 0 không đổi",
    ]
    assert 'khao-sat.xlsx:Thiết bị:3: cột "Năm sử dụng" ghi "20l5", cần một năm như 2015 hoặc một ngày' in result.stderr
    assert 'cột "Địa chỉ IP" ghi "10.0.0.300", cần một địa chỉ IPv4 hoặc IPv6' in result.stderr
    assert "2 dòng bị từ chối; 2 dòng còn lại đã được nhập. Sửa các dòng trong" in result.stderr
    book = openpyxl.load_workbook(workdir / "khao-sat.errors.xlsx")
    sheet = book["Thiết bị"]
    rows = [[c for c in row] for row in sheet.iter_rows()]
    assert [c.value for c in rows[0][:3]] == ["Dòng gốc", "Lỗi", "Mã đơn vị"]
    typo, double = rows[1], rows[2]
    assert str(typo[1].value).startswith('cột "Năm sử dụng" ghi "20l5", cần một năm như 2015')
    assert typo[1].alignment.wrap_text
    # The cell at fault is marked, its neighbours are not.
    marked = {cell.column_letter for cell in typo if cell.fill.fgColor.rgb == "00FFC7CE"}
    assert [c.value for c in typo if c.column_letter in marked] == ["20l5"]
    assert {c.value for c in double if c.fill.fgColor.rgb == "00FFC7CE"} == {"10.0.0.300"}
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"


def test_english_on_request(auditor: Cli, workdir: Path) -> None:
    write_csv(workdir / "u.csv", [["unit_code", "unit_name"], ["XA-A", "A"]])
    write_csv(workdir / "d.csv", [["unit_code", "asset_tag", "ip"], ["XA-A", "TS-1", "nope"]])
    auditor.ok("register", "import", "u.csv")
    english = auditor("register", "import", "d.csv", "--lang", "en")
    assert 'column "ip" is "nope", expected an IPv4 or IPv6 address' in english.stderr
    assert "1 row(s) rejected; the other 0 were imported." in english.stderr
    errors = (workdir / "d.errors.csv").read_text(encoding="utf-8-sig")
    assert errors.splitlines()[0].startswith("Source row,Error,") and "expected an IPv4" in errors
    vietnamese = auditor("register", "import", "d.csv", env={"AUDITOR_LANG": "vi"})
    assert 'cột "ip" ghi "nope"' in vietnamese.stderr


def test_a_file_that_cannot_be_read_is_said_in_the_readers_language(auditor: Cli, workdir: Path) -> None:
    (workdir / "hong.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    vietnamese = auditor("register", "import", "hong.xlsx")
    assert vietnamese.exit_code == 1
    assert "hong.xlsx: không phải tệp .xlsx hợp lệ" in vietnamese.stderr and "lưu thành .xlsx" in vietnamese.stderr
    english = auditor("register", "import", "hong.xlsx", "--lang", "en")
    assert "hong.xlsx: not a valid .xlsx file" in english.stderr
