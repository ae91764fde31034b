"""`auditor export procurement`: the workbook read back, and the same lines as CSV and JSON."""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl

from tests.conftest import Cli
from tests.register.test_import import write_csv

HOSTILE = '=HYPERLINK("http://evil.example/","bấm vào")'
YEAR = dt.date.today().year  # the years in service are counted back from the day the test runs


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


def test_the_workbook_read_back(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    out = auditor.ok("export", "procurement", "danh-muc.xlsx").stdout
    book = openpyxl.load_workbook(workdir / "danh-muc.xlsx")
    assert book.sheetnames == [
        "Danh mục đề xuất",
        "Tổng hợp",
        "Thiết bị quá hạn",
        "Chưa rõ năm sử dụng",
        "Đường truyền",
        "Thông số kiểm tra",
    ]
    summary = [[c.value for c in row] for row in book["Tổng hợp"].iter_rows()]
    assert summary[0][:5] == ["Đơn vị", "Máy vi tính để bàn", "Máy in", "Quá hạn", "Đề xuất (VND)"]
    # VP-TU: printer 13 M + scanner 22 M + shredder 10 M + copier 110 M.  XA-A: desktops 20 + 40 M,
    # printers 26 M, scanner, shredder, copier 142 M, video-conference set 60 M.
    assert summary[1][:5] == ["VP-TU", 3, 1, 1, 155_000_000] and summary[2][:5] == ["XA-A", 2, 0, 1, 288_000_000]
    ages = {row[0]: row[1] for row in summary if row and row[0] in ("0–3", "4–6", "7–10", "> 10", "Chưa rõ")}
    assert ages == {"0–3": 4, "4–6": 0, "7–10": 0, "> 10": 2, "Chưa rõ": 0}
    with zipfile.ZipFile(workdir / "danh-muc.xlsx") as archive:  # openpyxl does not read charts back: the file does
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) == 1  # the age distribution (no link has samples here, so no utilisation chart)
    sheet = book["Danh mục đề xuất"]
    assert sheet["A1"].value == "DANH MỤC ĐỀ XUẤT ĐẦU TƯ TRANG THIẾT BỊ"
    assert [c.value for c in sheet[6]] == [
        "STT",
        "Đơn vị",
        "Tên thiết bị",
        "Thông số / cấu hình",
        "ĐVT",
        "Số lượng",
        "Đơn giá",
        "Thành tiền",
        "Lý do / căn cứ",
        "Ghi chú",
    ]
    rows = {r: [c.value for c in sheet[r]] for r in range(7, sheet.max_row + 1)}
    lines = {r: v for r, v in rows.items() if isinstance(v[0], int)}
    sections = [r for r, v in rows.items() if v[0] in ("I", "II")]
    # Every amount is a formula of its own row; every section sums its lines; the total sums the sections.
    assert all(v[7] == f"=F{r}*G{r}" for r, v in lines.items())
    total_row = next(r for r, v in rows.items() if v[1] == "TỔNG CỘNG")
    ends = [following - 1 for following in [*sections[1:], total_row]]
    assert [rows[s][7] for s in sections] == [f"=SUM(H{s + 1}:H{end})" for s, end in zip(sections, ends, strict=True)]
    assert rows[total_row][7] == f"=SUM({','.join(f'H{s}' for s in sections)})"
    assert all(sheet.cell(row=r, column=c).number_format == "#,##0" for r in lines for c in (7, 8))
    # What Excel would compute equals what the planner said.
    computed = sum((v[5] or 0) * (v[6] or 0) for v in lines.values())
    assert f"total {computed:,} VND" in out
    # VP-TU: staff 3 → 3 computers (3 work), 1 printer: the LBP 2900 (2006) replaced.  XA-A: staff 4 →
    # 4 computers: 1 replaced (14 years old), 1 works, 2 short; ceil(4/3) = 2 printers short; 1 scanner,
    # shredder and copier each, and the commune's video-conference set.
    assert sorted((v[1], v[2], v[5]) for v in lines.values()) == sorted(
        [
            ("Văn phòng Tỉnh ủy", "Máy in", 1),
            ("Văn phòng Tỉnh ủy", "Máy scan tài liệu", 1),
            ("Văn phòng Tỉnh ủy", "Máy hủy tài liệu", 1),
            ("Văn phòng Tỉnh ủy", "Máy photocopy / máy đa chức năng", 1),
            ("Đảng ủy xã A", "Máy vi tính để bàn", 1),
            ("Đảng ủy xã A", "Máy vi tính để bàn", 2),
            ("Đảng ủy xã A", "Máy in", 2),
            ("Đảng ủy xã A", "Máy scan tài liệu", 1),
            ("Đảng ủy xã A", "Máy hủy tài liệu", 1),
            ("Đảng ủy xã A", "Máy photocopy / máy đa chức năng", 1),
            ("Đảng ủy xã A", "Thiết bị hội nghị truyền hình", 1),
        ]
    )
    # Printing: A4 landscape, one page wide, the header on every page; frozen below it, filterable.
    assert (sheet.page_setup.orientation, sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (
        "landscape",
        1,
        0,
    )
    assert sheet.print_title_rows == "$6:$6" and sheet.freeze_panes == "A7" and sheet.auto_filter.ref.startswith("A6")
    signatures = [v[1] for v in rows.values()] + [v[8] for v in rows.values()]
    assert "NGƯỜI LẬP BIỂU" in signatures and "THỦ TRƯỞNG ĐƠN VỊ" in signatures
    # The over-age sheet backs the replacement, and the device's hostile model stays text.
    over = book["Thiết bị quá hạn"]
    cells = [c for row in over.iter_rows(min_row=2) for c in row]
    hostile = next(c for c in cells if c.value == HOSTILE)
    assert hostile.data_type == "s"
    assert any(c.value == f"in service {YEAR - 14}" for c in cells) and any(
        c.value == "model LBP 2900 released 2006" for c in cells
    )


def test_english_csv_and_json(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    auditor.ok("export", "procurement", "list.xlsx", "--lang", "en", "--unit", "XA-A")
    book = openpyxl.load_workbook(workdir / "list.xlsx")
    assert book.sheetnames[0] == "Proposal" and book["Proposal"]["C6"].value == "Item"
    auditor.ok("export", "procurement", "list.json")
    plan = json.loads((workdir / "list.json").read_text(encoding="utf-8"))
    assert plan["total_vnd"] == sum(line["amount_vnd"] or 0 for line in plan["lines"])
    assert {line["kind"] for line in plan["lines"]} == {"replacement", "shortfall", "minimum_kit"}
    auditor.ok("export", "procurement", "list.csv")
    with (workdir / "list.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(plan["lines"]) and rows[0]["unit_code"] == plan["lines"][0]["unit_code"]
    bad = auditor("export", "procurement", "list.pdf")
    assert bad.exit_code == 2 and "*.xlsx, *.csv or *.json" in bad.stderr
