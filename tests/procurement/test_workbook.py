"""`auditor export procurement`: the workbook read back (its values as any viewer shows them, its
formulas as Excel keeps them, its print setup), and the same lines as CSV and JSON."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import zipfile
import zoneinfo
from pathlib import Path

import openpyxl

from auditor.config import load_settings
from auditor.db.engine import open_database
from auditor.jobs.export import export_procurement
from tests.conftest import Cli
from tests.register.test_import import write_csv

HOSTILE = '=HYPERLINK("http://evil.example/","bấm vào")'
YEAR = dt.date.today().year  # the years in service are counted back from the day the test runs
LOCAL_YEAR = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")).year  # the year the Office is in
SHEETS_VI = [
    "Danh mục đề xuất",
    "Tổng hợp",
    "Tuổi thiết bị",
    f"Kế hoạch {LOCAL_YEAR + 1}–{LOCAL_YEAR + 5}",
    "Thiết bị quá hạn",
    "Chưa rõ năm sử dụng",
    "Đường truyền",
    "Cần đối chiếu",
    "Thông số kiểm tra",
]
HEADER_VI = [
    "STT",
    "Tên thiết bị, hạng mục",
    "Thông số kỹ thuật tối thiểu",
    "ĐVT",
    "Số lượng",
    "Đơn giá (đồng)",
    "Thành tiền (đồng)",
    "Lý do, căn cứ",
    "Ghi chú",
]
# What the program says in English and must never say inside the Vietnamese document.
ENGLISH_CODES = re.compile(
    r"\b(desktop|laptop|printer|register|model_catalog|entity_mib|os_lower_bound|in service|manufactured|released"
    r"|replacement|shortfall|minimum_kit|link_upgrade|congested|warning|insufficient_data|ok|TOTAL|Unit|Norm"
    r"|cần đối chiếu)\b"
)


def _province(auditor: Cli, workdir: Path) -> None:
    write_csv(
        workdir / "units.csv",
        [
            ["unit_code", "unit_name", "unit_kind", "staff_count"],
            ["XA-A", "Đảng ủy xã A", "Đảng ủy xã", "4"],
            ["VP-TU", "Văn phòng Tỉnh ủy", "Ban, cơ quan Đảng cấp tỉnh", "3"],
        ],
    )
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "asset_tag", "category", "model", "in_service_year", "condition"],
            ["XA-A", "TS-1", "Máy vi tính để bàn", HOSTILE, str(YEAR - 14), "Tốt"],
            ["XA-A", "TS-2", "Máy vi tính để bàn", "OptiPlex 7010", str(YEAR - 2), "Tốt"],
            ["VP-TU", "TS-3", "Máy in", "LBP 2900", "", "Tốt"],
            ["VP-TU", "TS-4", "Máy vi tính để bàn", "", str(YEAR - 3), "Tốt"],
            ["VP-TU", "TS-5", "Máy vi tính để bàn", "", str(YEAR - 3), "Tốt"],
            ["VP-TU", "TS-6", "Máy vi tính để bàn", "", str(YEAR - 3), "Tốt"],
        ],
    )
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "devices.csv")


def _rows(sheet: openpyxl.worksheet.worksheet.Worksheet) -> dict[int, list[object]]:
    return {r: [c.value for c in sheet[r]] for r in range(1, sheet.max_row + 1)}


def _strings(book: openpyxl.Workbook) -> list[str]:
    return [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]


def test_the_workbook_read_back(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    out = auditor.ok("export", "procurement", "danh-muc.xlsx").stdout
    book = openpyxl.load_workbook(workdir / "danh-muc.xlsx")  # the formulas, as Excel keeps them
    shown = openpyxl.load_workbook(workdir / "danh-muc.xlsx", data_only=True)  # what a viewer shows
    assert book.sheetnames == SHEETS_VI
    sheet, values = book["Danh mục đề xuất"], _rows(shown["Danh mục đề xuất"])
    rows = _rows(sheet)
    # The Party document's heading: the issuing body left, the Party and the place and date right.
    heading = [v for r in range(1, 8) for v in rows[r] if v]
    assert heading[:2] == ["ĐẢNG BỘ TỈNH NGHỆ AN", "ĐẢNG CỘNG SẢN VIỆT NAM"] and "VĂN PHÒNG TỈNH ỦY" in heading
    assert any(re.fullmatch(r"Nghệ An, ngày \d\d tháng \d\d năm \d{4}", str(v)) for v in heading)
    assert "DANH MỤC ĐỀ XUẤT ĐẦU TƯ TRANG THIẾT BỊ" in heading
    header = next(r for r, v in rows.items() if v[0] == "STT")
    assert rows[header] == HEADER_VI
    sections = [r for r, v in rows.items() if v[0] in ("I", "II")]
    lines = {r: v for r, v in rows.items() if r > header and isinstance(v[0], int)}
    total_row = next(r for r, v in rows.items() if v[1] == "TỔNG CỘNG")
    # Every amount is a formula of its own row; every section sums its lines; the total sums the sections …
    assert all(v[6] == f"=E{r}*F{r}" for r, v in lines.items())
    ends = [following - 1 for following in [*sections[1:], total_row]]
    assert [rows[s][6] for s in sections] == [f"=SUM(G{s + 1}:G{end})" for s, end in zip(sections, ends, strict=True)]
    assert rows[total_row][6] == f"=SUM({','.join(f'G{s}' for s in sections)})"
    # … and carries its value, so a viewer that computes nothing still shows every amount.
    assert all(values[r][6] == v[4] * v[5] for r, v in lines.items())
    assert [values[s][6] for s in sections] == [
        sum(values[r][6] for r in lines if s < r <= e) for s, e in zip(sections, ends, strict=True)
    ]
    total = values[total_row][6]
    assert total == sum(values[s][6] for s in sections) and f"total {total:,} VND" in out
    assert all(sheet.cell(row=r, column=c).number_format == "[$-42A]#,##0" for r in lines for c in (6, 7))
    # Section rows name the unit once; the lines under them do not repeat it.
    unit_of = {r: str(rows[max(s for s in sections if s < r)][1]) for r in lines}
    assert sorted((unit_of[r], v[1], v[4]) for r, v in lines.items()) == sorted(
        [
            ("Văn phòng Tỉnh ủy (VP-TU)", "Máy in", 1),
            ("Văn phòng Tỉnh ủy (VP-TU)", "Máy scan tài liệu", 1),
            ("Văn phòng Tỉnh ủy (VP-TU)", "Máy hủy tài liệu", 1),
            ("Văn phòng Tỉnh ủy (VP-TU)", "Máy photocopy / máy đa chức năng", 1),
            ("Đảng ủy xã A (XA-A)", "Máy vi tính để bàn", 1),
            ("Đảng ủy xã A (XA-A)", "Máy vi tính để bàn", 2),
            ("Đảng ủy xã A (XA-A)", "Máy in", 2),
            ("Đảng ủy xã A (XA-A)", "Máy scan tài liệu", 1),
            ("Đảng ủy xã A (XA-A)", "Máy hủy tài liệu", 1),
            ("Đảng ủy xã A (XA-A)", "Máy photocopy / máy đa chức năng", 1),
            ("Đảng ủy xã A (XA-A)", "Thiết bị hội nghị truyền hình", 1),
        ]
    )
    assert all(v[2] and v[2] != "Theo tiêu chuẩn, định mức hiện hành" for v in lines.values())  # the catalog's spec
    # Printing: A4 landscape at 100 % (the columns fit), the header on every page, frozen below it.
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize) == ("landscape", 9)
    assert not sheet.sheet_properties.pageSetUpPr or not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${header}:${header}" and sheet.freeze_panes == f"A{header + 1}"
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
    signatures = [v for r in range(total_row, sheet.max_row + 1) for v in rows[r] if v]
    assert "NGƯỜI LẬP BIỂU" in signatures and "CHÁNH VĂN PHÒNG" in signatures
    # Vietnamese throughout, and nothing marked for checking in the signed list: that has its own sheet.
    assert not [s for s in _strings(shown) if s != HOSTILE and ENGLISH_CODES.search(s)]
    to_check = [str(v) for row in shown["Cần đối chiếu"].iter_rows(min_row=5, values_only=True) for v in row if v]
    assert any("QĐ 15/2025/QĐ-TTg" in s for s in to_check)
    # The over-age sheet backs the replacement, its evidence in words; the device's hostile model stays text.
    over = shown["Thiết bị quá hạn"]
    cells = [c for row in over.iter_rows(min_row=5) for c in row]
    hostile = next(c for c in cells if c.value == HOSTILE)
    assert hostile.data_type == "s"
    assert any(c.value == f"đưa vào sử dụng {YEAR - 14}" for c in cells)
    unknown = [c.value for row in shown["Chưa rõ năm sử dụng"].iter_rows(min_row=5) for c in row]
    assert "model LBP 2900 ra mắt năm 2006" not in unknown  # known from the catalog: over age, not unknown
    assert any(c.value == "model LBP 2900 ra mắt năm 2006" for c in cells)
    # TS-2 (2 years old) crosses the 10-year threshold in 9 years: beyond the five-year plan, which is empty.
    ahead = list(shown[SHEETS_VI[3]].iter_rows(min_row=5, values_only=True))
    assert ahead[0][0] is None and [row[:3] for row in ahead[2:]] == [(LOCAL_YEAR + n, 0, 0) for n in range(1, 6)]
    pyramid = {row[0]: row[1] for row in shown["Tuổi thiết bị"].iter_rows(min_row=5, max_col=2, values_only=True)}
    assert pyramid == {"≤ 5": 4, "5–7": 0, "7–10": 0, "10–13": 0, "> 13": 2, "chưa rõ": 0}
    with zipfile.ZipFile(workdir / "danh-muc.xlsx") as archive:  # openpyxl does not read charts back: the file does
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) == 1  # the age distribution (no link has samples here, so no utilisation chart)


def test_dates_are_local_on_the_day_vietnam_is_on(auditor: Cli, workdir: Path) -> None:
    """18:30 UTC on 1 December is 01:30 on 2 December in Vietnam: the document says the 2nd."""
    _province(auditor, workdir)
    settings = load_settings(db_url=auditor.db_url, environ={})
    moment = dt.datetime(2026, 12, 1, 18, 30, 12, tzinfo=dt.UTC)
    with open_database(auditor.db_url) as database:
        export_procurement(database, settings, workdir / "dm.xlsx", moment)
    words = [str(c.value) for row in openpyxl.load_workbook(workdir / "dm.xlsx").active.iter_rows() for c in row]
    assert "Nghệ An, ngày 02 tháng 12 năm 2026" in words
    assert "(Số liệu kiểm kê và đo đạc đến 01:30 02/12/2026)" in words


def test_the_document_heading_comes_from_the_configuration(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    (workdir / "auditor.toml").write_text(
        """
province = "Tỉnh Phú Thọ"
[document]
issuer = ["ĐẢNG BỘ TỈNH PHÚ THỌ", "VĂN PHÒNG TỈNH ỦY"]
place = "Phú Thọ"
number = "Số: 15-DM/VPTU"
signer_for = "T/L BAN THƯỜNG VỤ"
signer_name = "Nguyễn Văn A"
preparer_name = "Trần Thị B"
recipients = ["Ban Thường vụ Tỉnh ủy", "Lưu VP"]
[catalog.link_prices]
any_30 = { provider = "*", mbps = 30, vnd_per_month = 900000, source = "Báo giá số 7" }
""",
        encoding="utf-8",
    )
    auditor.ok("export", "procurement", "dm.xlsx")
    words = [str(c.value) for row in openpyxl.load_workbook(workdir / "dm.xlsx").active.iter_rows() for c in row]
    for said in ("ĐẢNG BỘ TỈNH PHÚ THỌ", "Số: 15-DM/VPTU", "T/L BAN THƯỜNG VỤ", "Nguyễn Văn A", "Trần Thị B"):
        assert said in words
    assert any(w.startswith("Phú Thọ, ngày ") for w in words) and "- Lưu VP" in words and "Nơi nhận:" in words


def test_english_csv_and_json(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    auditor.ok("export", "procurement", "list.xlsx", "--lang", "en", "--unit", "XA-A")
    book = openpyxl.load_workbook(workdir / "list.xlsx", data_only=True)
    assert book.sheetnames[0] == "Proposal"
    strings = _strings(book)
    assert {"COMMUNIST PARTY OF VIET NAM", "TOTAL", "Item", "PREPARED BY", "Replacement"} <= set(strings)
    said = " ".join(s for s in strings if s != HOSTILE)
    for vietnamese in ("Thay thế", "Định mức", "Tổng", "Ngày", "Đơn vị", "đưa vào sử dụng", "sổ đăng ký"):
        assert vietnamese not in said
    auditor.ok("export", "procurement", "list.json", env={"AUDITOR_LANG": "en"})
    plan = json.loads((workdir / "list.json").read_text(encoding="utf-8"))
    assert plan["total_vnd"] == sum(line["amount_vnd"] or 0 for line in plan["lines"])
    assert {line["kind"] for line in plan["lines"]} == {"replacement", "shortfall", "minimum_kit"}
    assert {line["note"] for line in plan["lines"]} == {"Replacement", "Shortfall against the norm", "Minimum kit"}
    assert plan["replacement_plan"]["years"] == list(range(LOCAL_YEAR + 1, LOCAL_YEAR + 6))
    assert sum(bracket["devices"] for bracket in plan["age_pyramid"]) == 6  # every device of the register
    # What the Office must check before signing, as the workbook's sheet lists it (the shipped
    # norms and prices are marked checked = false).
    assert any("QĐ 15/2025/QĐ-TTg" in item["check"] for item in plan["to_check"])
    auditor.ok("export", "procurement", "list.csv")
    with (workdir / "list.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(plan["lines"]) and rows[0]["unit_code"] == plan["lines"][0]["unit_code"]
    assert rows[0]["note"] in {"Thay thế", "Bổ sung theo định mức", "Trang bị tối thiểu"}  # Vietnamese by default
    bad = auditor("export", "procurement", "list.txt")
    assert bad.exit_code == 2 and "*.xlsx, *.pdf, *.png, *.csv or *.json" in bad.stderr
