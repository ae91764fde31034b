"""`auditor export inventory`: one record per unit for it to check and sign, read back."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.conftest import Cli
from tests.procurement.test_libreoffice import SOFFICE, _large_province, _pages
from tests.procurement.test_workbook import YEAR, _province


def _words(path: Path) -> list[str]:
    return [str(c.value) for row in openpyxl.load_workbook(path).active.iter_rows() for c in row if c.value is not None]


def test_one_record_per_unit_with_its_devices_and_two_signatures(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    said = auditor.ok("export", "inventory", "bien-ban").stdout
    assert "Wrote 2 inventory records" in said
    assert sorted(p.name for p in (workdir / "bien-ban").iterdir()) == [
        "bien-ban-kiem-ke-VP-TU.xlsx",
        "bien-ban-kiem-ke-XA-A.xlsx",
    ]
    book = openpyxl.load_workbook(workdir / "bien-ban" / "bien-ban-kiem-ke-VP-TU.xlsx")
    sheet = book.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    words = [str(v) for row in rows for v in row if v is not None]
    assert "BIÊN BẢN KIỂM KÊ TRANG THIẾT BỊ" in words and "ĐẢNG CỘNG SẢN VIỆT NAM" in words
    assert "Đơn vị: Văn phòng Tỉnh ủy (VP-TU) — Biên chế: 3 người" in words
    header = next(i for i, row in enumerate(rows) if row[0] == "STT")
    lines = [row for row in rows[header + 1 :] if isinstance(row[0], int)]
    assert sorted(row[1] for row in lines) == ["TS-3", "TS-4", "TS-5", "TS-6"]
    printer = next(row for row in lines if row[1] == "TS-3")
    assert printer[2:8] == ["Máy in", "LBP 2900", None, None, YEAR - 2006, "Tốt"]  # its age from the model's year
    assert all(row[9] is None for row in lines)  # the column the unit fills in
    assert "Sổ đăng ký có 4 thiết bị: 1 thiết bị quá hạn sử dụng, 0 thiết bị chưa rõ năm sử dụng." in words
    assert {"ĐẠI DIỆN ĐƠN VỊ", "NGƯỜI KIỂM KÊ"} <= set(words)
    assert (sheet.page_setup.orientation, sheet.print_title_rows) == ("landscape", f"${header + 1}:${header + 1}")
    auditor.ok("export", "inventory", "one", "--unit", "XA-A", "--lang", "en")
    english = _words(workdir / "one" / "bien-ban-kiem-ke-XA-A.xlsx")
    assert "EQUIPMENT INVENTORY RECORD" in english and "REPRESENTATIVE OF THE UNIT" in english
    assert [p.name for p in (workdir / "one").iterdir()] == ["bien-ban-kiem-ke-XA-A.xlsx"]


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (Debian libreoffice-calc); .ci/run installs it"
)
def test_the_records_as_pdf_sign_on_the_page_of_the_counts(auditor: Cli, workdir: Path) -> None:
    _large_province(auditor, workdir, 2)
    auditor.ok("export", "inventory", "out", "--format", "pdf")
    files = sorted((workdir / "out").iterdir())
    assert [p.suffix for p in files] == [".pdf", ".pdf"]
    for pdf in files:
        pages = _pages(pdf)
        assert all("Kết quả kiểm" in page for page in pages)
        assert "ĐẠI DIỆN ĐƠN VỊ" in pages[-1] and "Sổ đăng ký có" in pages[-1]
        assert f"Trang {len(pages)}/{len(pages)}" in pages[-1]
