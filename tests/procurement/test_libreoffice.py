"""The signed list as it prints: LibreOffice computes every formula and draws the pages, and the
PDF is read back with poppler (pdfinfo, pdftotext) as a person would read the paper."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import statistics
import subprocess
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from auditor.config import load_settings
from auditor.db.engine import open_database
from auditor.jobs.export import export_procurement
from auditor.procurement.render import pdf_of
from tests.conftest import Cli
from tests.procurement.test_workbook import ENGLISH_CODES, _province
from tests.register.test_import import write_csv

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (Debian libreoffice-calc); .ci/run installs it"
)
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed; .ci/run installs it")
YEAR = dt.date.today().year
# 18:30 UTC on 1 December is 01:30 on the 2nd in Vietnam: the paper must say the 2nd.
MOMENT = dt.datetime(2026, 12, 1, 18, 30, tzinfo=dt.UTC)


def _amount(text: str) -> int:
    digits = re.sub(r"[^\d]", "", text)
    return int(digits) if digits else 0


@needs_soffice
def test_libreoffice_computes_the_planners_totals(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    auditor.ok("export", "procurement", "danh-muc.xlsx")
    auditor.ok("export", "procurement", "danh-muc.json")
    planned = json.loads((workdir / "danh-muc.json").read_text(encoding="utf-8"))
    assert SOFFICE is not None
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{workdir / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(workdir / "out"),
            str(workdir / "danh-muc.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    with (workdir / "out" / "danh-muc.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    (total,) = [row for row in rows if len(row) > 6 and row[1] == "TỔNG CỘNG"]
    assert _amount(total[6]) == planned["total_vnd"] > 0
    sections = {
        row[1].rsplit("(", 1)[1].rstrip(")"): _amount(row[6]) for row in rows if len(row) > 6 and row[0] in ("I", "II")
    }
    by_unit: dict[str, int] = {}
    for line in planned["lines"]:
        by_unit[line["unit_code"]] = by_unit.get(line["unit_code"], 0) + (line["amount_vnd"] or 0)
    assert sections == by_unit


def _large_province(auditor: Cli, workdir: Path, communes: int) -> None:
    """`communes` commune committees of 6 to 20 staff with a few old computers and printers each:
    about eight lines a commune, a list of several pages."""
    units = [["unit_code", "unit_name", "unit_kind", "staff_count"]]
    devices = [["unit_code", "asset_tag", "category", "model", "in_service_year", "condition"]]
    for n in range(communes):
        code = f"XA-{n:03d}"
        units.append([code, f"Đảng ủy xã Thử Nghiệm Số {n}", "Đảng ủy xã", str(6 + n % 15)])
        for k in range(n % 4 + 1):
            devices.append([code, f"TS-{n:03d}-{k}", "Máy vi tính để bàn", "OptiPlex 380", str(YEAR - 11 - k), "Tốt"])
        devices.append([code, f"TS-{n:03d}-P", "Máy in", "LaserJet P1102", str(YEAR - 2), "Tốt"])
    write_csv(workdir / "units.csv", units)
    write_csv(workdir / "devices.csv", devices)
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "devices.csv")


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])  # type: ignore[index]
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(p), "-l", str(p), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for p in range(1, count + 1)
    ]


def _word_heights(pdf: Path, page: int, words: set[str]) -> list[float]:
    """The heights of these words' boxes on `page`: the size the text is printed at."""
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)<', boxes)
    return [float(bottom) - float(top) for top, bottom, word in found if word in words]


def _ten_point_height(workdir: Path) -> float:
    """How tall LibreOffice prints a word of 10-point Times New Roman, the smallest body text allowed."""
    path = workdir / "reference.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_string(0, 0, "Máy", book.add_format({"font_name": "Times New Roman", "font_size": 10}))
    book.close()
    pdf_of(path, workdir / "reference.pdf")
    (height,) = _word_heights(workdir / "reference.pdf", 1, {"Máy"})
    return height


@needs_soffice
@needs_poppler
def test_the_signed_list_prints_one_page_wide_and_signs_on_the_page_of_its_total(auditor: Cli, workdir: Path) -> None:
    _large_province(auditor, workdir, 24)
    settings = load_settings(db_url=auditor.db_url, environ={})
    with open_database(auditor.db_url) as database:
        data = export_procurement(database, settings, workdir / "danh-muc.pdf", MOMENT, fmt="pdf")
        export_procurement(database, settings, workdir / "danh-muc.xlsx", MOMENT)
    pages = _pages(workdir / "danh-muc.pdf")
    assert len(pages) >= 3
    # The pages are the ones the workbook lays out: no page broken by the printer, none cut in width
    # (a column pushed off the page would make a page of its own, without the column headers).
    with zipfile.ZipFile(workdir / "danh-muc.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    breaks = len(re.findall(r"<brk ", sheet))
    assert len(pages) == breaks + 1
    lines = len(data.plan.lines)
    assert lines / len(pages) >= 4  # several lines a page: rows are not padded out of proportion
    for number, text in enumerate(pages, start=1):
        for column in ("STT", "ĐVT", "Lý do, căn cứ", "Ghi chú"):
            assert column in text, f"page {number} has no column {column!r}"
        assert f"Trang {number}/{len(pages)}" in text
        # Whose lines these are: a unit's section, or its name again where its lines go on.
        assert re.search(r"Đảng ủy xã Thử Nghiệm Số \d+ \(XA-\d{3}\)", text), f"page {number} names no unit"
    first, last = pages[0], pages[-1]
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in first and "DANH MỤC ĐỀ XUẤT ĐẦU TƯ TRANG THIẾT BỊ" in first
    assert "Nghệ An, ngày 02 tháng 12 năm 2026" in first and "01:30 02/12/2026" in first
    assert "TỔNG CỘNG" in last and "NGƯỜI LẬP BIỂU" in last and "CHÁNH VĂN PHÒNG" in last
    assert not any("TỔNG CỘNG" in page for page in pages[:-1])
    assert any("(tiếp theo)" in page for page in pages[1:])  # some unit's lines run on to a next page
    assert f"{data.plan.total_vnd():,}".replace(",", ".") in last  # the total, as Vietnamese write it
    # The accents above capitals print whole in the title (pdftotext reads them back).
    assert "ĐỀ XUẤT ĐẦU TƯ" in first and "THIẾT BỊ" in first
    # Vietnamese throughout, and the body at least 10 pt on paper.
    assert not [m.group(0) for page in pages for m in ENGLISH_CODES.finditer(page)]
    body = _word_heights(workdir / "danh-muc.pdf", 2, {"Máy", "thiết", "bị", "Định", "mức:"})
    assert body and statistics.median(body) >= _ten_point_height(workdir) * 0.99


@needs_soffice
@needs_poppler
def test_the_english_list_and_its_first_page_as_a_picture(auditor: Cli, workdir: Path) -> None:
    _large_province(auditor, workdir, 3)
    auditor.ok("export", "procurement", "list.pdf", "--lang", "en")
    pages = _pages(workdir / "list.pdf")
    assert "COMMUNIST PARTY OF VIET NAM" in pages[0] and "TOTAL" in pages[-1] and "Page 1 of" in pages[0]
    for vietnamese in ("Thay thế", "TỔNG CỘNG", "Trang ", "Định mức"):
        assert vietnamese not in "".join(pages)
    if shutil.which("pdftoppm"):
        auditor.ok("export", "procurement", "first-page.png")
        assert (workdir / "first-page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_libreoffice_the_pdf_says_how_to_install_it(
    auditor: Cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _province(auditor, workdir)
    monkeypatch.setenv("PATH", str(workdir / "empty"))
    said = auditor("export", "procurement", "danh-muc.pdf")
    assert said.exit_code == 1 and "apt-get install libreoffice-calc" in said.stderr
    assert not (workdir / "danh-muc.pdf").exists()
