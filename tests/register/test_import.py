"""`auditor register import` end to end: real files in, a real database (SQLite and PostgreSQL) out."""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import EXAMPLES, Cli


@pytest.fixture(autouse=True)
def _messages_in_english(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the import's messages in English (tests/register/test_messages.py reads
    them in Vietnamese, the default)."""
    monkeypatch.setenv("AUDITOR_LANG", "en")


UNITS_VI = [
    ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Số biên chế"],
    ["XA-A", "Đảng ủy xã A", "Đảng ủy xã", 25],
    ["VP-TU", "Văn phòng Tỉnh ủy", "Ban, cơ quan Đảng cấp tỉnh", 60],
]
DEVICES_VI = [
    [
        "Mã đơn vị",
        "Tên máy",
        "Địa chỉ IP",
        "Loại thiết bị",
        "Hãng sản xuất",
        "Model",
        "Số serial",
        "Mã tài sản",
        "Năm sử dụng",
        "Tình trạng",
        "Vị trí",
    ],
    [
        "XA-A",
        "xa-a-gw",
        "127.0.0.1",
        "Thiết bị định tuyến (router)",
        "Cisco",
        "ISR 4321",
        "FGL1",
        "TS-001",
        2016,  # (an ISR 4321 came out in 2015: a year before that would be a date to verify)
        "Tốt",
        "Phòng máy",
    ],
    [
        "XA-A",
        "xa-a-pc1",
        "",
        "Máy vi tính để bàn",
        "Dell",
        "OptiPlex 3020",
        "CN-1",
        "TS-002",
        "15/03/2015",
        "Xuống cấp",
        "Văn phòng",
    ],
    ["VP-TU", "", "", "Máy in", "Canon", "LBP 2900", "", "TS-100", "", "Hỏng", ""],
]
LINKS_VI = [
    [
        "Mã đơn vị",
        "Tên đường truyền",
        "Nhà cung cấp",
        "Băng thông tải xuống (Mbps)",
        "Băng thông tải lên (Mbps)",
        "Thiết bị đầu cuối",
        "Cổng WAN",
        "IP đầu xa",
    ],
    ["XA-A", "TSLCD", "VNPT", 30, 30, "xa-a-gw", "Gi0/0/0", "127.0.0.2"],
]


def workbook(path: Path, sheets: dict[str, list[list[Any]]], title_rows: int = 2) -> Path:
    """An XLSX like the ones units send back: title rows, then the header, then data."""
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for i in range(title_rows):
            sheet.append([f"PHIẾU KHẢO SÁT — dòng tiêu đề {i + 1}"])
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def windows_1258_spelling(text: str) -> str:
    """Vietnamese as Windows-1258 holds it: ơ, ư, â… precomposed, the tone as a combining mark."""
    out = []
    for char in text:
        try:
            char.encode("cp1258")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        candidates = [
            unicodedata.normalize("NFC", base + m) + "".join(marks[:i] + marks[i + 1 :]) for i, m in enumerate(marks)
        ] + [base + "".join(marks)]
        for candidate in candidates:
            try:
                candidate.encode("cp1258")
            except UnicodeEncodeError:
                continue
            out.append(candidate)
            break
        else:
            raise ValueError(f"{char!r} has no Windows-1258 spelling")
    return "".join(out)


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    if encoding == "cp1258":
        rows = [[windows_1258_spelling(str(c)) for c in row] for row in rows]
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def devices(auditor: Cli, *args: str) -> list[dict[str, Any]]:
    return json.loads(auditor.ok("devices", "list", "--format", "json", *args).stdout)  # type: ignore[no-any-return]


def full_vietnamese(workdir: Path) -> Path:
    return workbook(workdir / "khao-sat.xlsx", {"Đơn vị": UNITS_VI, "Thiết bị": DEVICES_VI, "Đường truyền": LINKS_VI})


def test_vietnamese_workbook_with_title_rows(auditor: Cli, workdir: Path) -> None:
    result = auditor.ok("register", "import", str(full_vietnamese(workdir)))
    assert result.stdout.splitlines() == [
        "units    2 new, 0 updated, 0 unchanged",
        "devices  3 new, 0 updated, 0 unchanged",
        "links    1 new, 0 updated, 0 unchanged",
    ]
    rows = {d["asset_tag"]: d for d in devices(auditor)}
    gw, pc, printer = rows["TS-001"], rows["TS-002"], rows["TS-100"]
    assert (gw["unit_code"], gw["hostname"], gw["ip"], gw["category"], gw["vendor"], gw["model"], gw["serial"]) == (
        "XA-A",
        "xa-a-gw",
        "127.0.0.1",
        "router",
        "Cisco",
        "ISR 4321",
        "FGL1",
    )
    assert (gw["in_service_on"], gw["in_service_precision"], gw["condition"]) == ("2016-01-01", "year", "good")
    assert gw["age_years"] == dt.date.today().year - 2016 and gw["age_source"] == "register"
    assert (pc["in_service_on"], pc["in_service_precision"], pc["condition"]) == ("2015-03-15", "day", "degraded")
    # No in-service year: the age is estimated from the model's release (LBP 2900, 2006), and says so.
    assert (printer["unit_code"], printer["category"], printer["age_years"], printer["age_source"]) == (
        "VP-TU",
        "printer",
        float(dt.date.today().year - 2006),
        "model_catalog",
    )
    assert printer["age_basis"] == "model LBP 2900 released 2006"
    assert all(d["registered"] is True and d["last_seen"] is None for d in rows.values())
    units = json.loads(auditor.ok("units", "list", "--format", "json").stdout)
    assert [(u["code"], u["kind"], u["staff_count"], u["devices"], u["links"]) for u in units] == [
        ("VP-TU", "party_board", 60, 1, 0),
        ("XA-A", "commune_committee", 25, 2, 1),
    ]
    (link,) = json.loads(auditor.ok("links", "list", "--format", "json").stdout)
    assert (
        link["unit_code"],
        link["name"],
        link["capacity_down_mbps"],
        link["capacity_up_mbps"],
        link["device"],
        link["interface"],
        link["far_end_ip"],
    ) == ("XA-A", "TSLCD", 30.0, 30.0, "xa-a-gw", "Gi0/0/0", "127.0.0.2")


def test_english_sheets_recognised_by_headers_alone(auditor: Cli, workdir: Path) -> None:
    path = workbook(
        workdir / "register.xlsx",
        {
            "Sheet1": [["unit_code", "unit_name", "unit_kind", "staff_count"], ["XA-B", "Commune B", "commune", 18]],
            "Sheet2": [
                ["Unit code", "Hostname", "IP address", "Category", "Serial number", "Year in service"],
                ["XA-B", "b-pc", "127.0.0.9", "laptop", "SN-9", "2020"],
            ],
            "Sheet3": [["unit_code", "name", "capacity_down_mbps", "capacity_up_mbps"], ["XA-B", "WAN", "20", "10"]],
        },
        title_rows=0,
    )
    auditor.ok("register", "import", str(path))
    (device,) = devices(auditor)
    assert (device["unit_code"], device["hostname"], device["category"], device["serial"]) == (
        "XA-B",
        "b-pc",
        "laptop",
        "SN-9",
    )
    (link,) = json.loads(auditor.ok("links", "list", "--format", "json").stdout)
    assert (link["capacity_down_mbps"], link["capacity_up_mbps"]) == (20.0, 10.0)


def test_reimport_changes_nothing(auditor: Cli, workdir: Path) -> None:
    path = full_vietnamese(workdir)
    auditor.ok("register", "import", str(path))
    before = devices(auditor)
    result = auditor.ok("register", "import", str(path))
    assert result.stdout.splitlines() == [
        "units    0 new, 0 updated, 2 unchanged",
        "devices  0 new, 0 updated, 3 unchanged",
        "links    0 new, 0 updated, 1 unchanged",
    ]
    assert devices(auditor) == before


def test_the_example_register_imports_cleanly(auditor: Cli) -> None:
    for name in ("don-vi", "thiet-bi", "duong-truyen"):
        auditor.ok("register", "import", str(EXAMPLES / f"{name}.csv"))
    assert len(devices(auditor)) == 113
    links = json.loads(auditor.ok("links", "list", "--format", "json").stdout)
    assert len(links) == 16 and all(link["device"] for link in links)


def test_bad_rows_are_reported_saved_and_the_good_ones_imported(auditor: Cli, workdir: Path) -> None:
    rows = [
        DEVICES_VI[0],
        DEVICES_VI[1],
        ["XA-A", "xa-a-pc2", "", "Máy vi tính để bàn", "", "", "", "TS-003", "20l5", "", ""],
        ["XA-Z", "z-pc", "", "", "", "", "", "TS-004", "", "", ""],
        DEVICES_VI[2],
    ]
    auditor.ok("register", "import", str(workbook(workdir / "units.xlsx", {"Đơn vị": UNITS_VI})))
    path = workbook(workdir / "khao-sat.xlsx", {"Thiết bị": rows})
    result = auditor("register", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        '  khao-sat.xlsx:Thiết bị:5: column "Năm sử dụng" is "20l5", expected a year such as 2015 or a date such '
        "as 15/03/2015",
        '  khao-sat.xlsx:Thiết bị:6: column "Mã đơn vị": unit code "XA-Z" is not in the register; add it on the '
        "units sheet (Đơn vị) of this file or import the units first",
        f"Error: 2 row(s) rejected; the other 2 were imported. Correct the rows in {workdir / 'khao-sat.errors.xlsx'} "
        "and import that file.",
    ]
    assert sorted(d["asset_tag"] for d in devices(auditor)) == ["TS-001", "TS-002"]

    errors = openpyxl.load_workbook(workdir / "khao-sat.errors.xlsx")
    sheet = errors["Thiết bị"]
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0][:4] == ["Source row", "Error", "Mã đơn vị", "Tên máy"]  # the headers of its own, in --lang
    assert [r[0] for r in table[1:]] == ["5", "6"] or [r[0] for r in table[1:]] == [5, 6]
    assert table[1][2:4] == ["XA-A", "xa-a-pc2"] and "Năm sử dụng" in table[1][1]

    # The clerk corrects the two rows in the errors file and imports it: both go in.
    sheet.cell(row=2, column=2 + DEVICES_VI[0].index("Năm sử dụng") + 1, value="2015")
    sheet.cell(row=3, column=3, value="XA-A")
    errors.save(workdir / "fixed.xlsx")
    auditor.ok("register", "import", str(workdir / "fixed.xlsx"))
    assert sorted(d["asset_tag"] for d in devices(auditor)) == ["TS-001", "TS-002", "TS-003", "TS-004"]


def test_dry_run_writes_nothing(auditor: Cli, workdir: Path) -> None:
    result = auditor.ok("register", "import", str(full_vietnamese(workdir)), "--dry-run")
    assert "Dry run: nothing was written." in result.stdout
    assert "units    2 new" in result.stdout
    assert devices(auditor) == []


def test_blank_cells_never_erase_known_values(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "import", str(full_vietnamese(workdir)))
    sparse = write_csv(
        workdir / "sparse.csv",
        [["Mã tài sản", "Mã đơn vị", "Tình trạng", "Hãng sản xuất"], ["TS-001", "XA-A", "Hỏng", ""]],
    )
    result = auditor.ok("register", "import", str(sparse))
    assert result.stdout.strip() == "devices  0 new, 1 updated, 0 unchanged"
    gw = next(d for d in devices(auditor) if d["asset_tag"] == "TS-001")
    assert (gw["condition"], gw["vendor"], gw["serial"], gw["in_service_on"]) == (
        "broken",
        "Cisco",
        "FGL1",
        "2016-01-01",
    )


def test_a_new_pc_given_an_old_hostname_does_not_overwrite_the_old_one(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "import", str(full_vietnamese(workdir)))
    replacement = write_csv(
        workdir / "new.csv",
        [["unit_code", "hostname", "serial", "asset_tag", "in_service_year"], ["XA-A", "xa-a-pc1", "CN-2", "", "2025"]],
    )
    assert "devices  1 new" in auditor.ok("register", "import", str(replacement)).stdout
    pcs = sorted((d["serial"], d["in_service_on"]) for d in devices(auditor) if d["hostname"] == "xa-a-pc1")
    assert pcs == [("CN-1", "2015-03-15"), ("CN-2", "2025-01-01")]


def test_a_row_whose_serial_and_asset_tag_name_two_devices_is_refused(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "import", str(full_vietnamese(workdir)))
    clash = write_csv(workdir / "clash.csv", [["unit_code", "serial", "asset_tag"], ["XA-A", "CN-1", "TS-001"]])
    result = auditor("register", "import", str(clash))
    assert result.exit_code == 1
    assert 'clash.csv:2: serial "CN-1" belongs to another device' in result.stderr
    assert (workdir / "clash.errors.csv").exists()


def test_devices_may_name_their_unit_by_name(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "import", str(workbook(workdir / "u.xlsx", {"Đơn vị": UNITS_VI})))
    path = write_csv(workdir / "d.csv", [["Đơn vị", "Tên máy"], ["Đảng ủy xã A", "pc-x"], ["Xã Không Có", "pc-y"]])
    result = auditor("register", "import", str(path), "--kind", "devices")
    assert result.exit_code == 1
    assert 'd.csv:3: column "Đơn vị": unit "Xã Không Có" is not in the register' in result.stderr
    assert [(d["unit_code"], d["hostname"]) for d in devices(auditor)] == [("XA-A", "pc-x")]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1258"])
def test_csv_encodings_offices_save(auditor: Cli, workdir: Path, encoding: str) -> None:
    path = write_csv(workdir / "u.csv", [["Mã đơn vị", "Tên đơn vị"], ["XA-C", "Đảng ủy xã Yên Hòa"]], encoding)
    auditor.ok("register", "import", str(path))
    (unit,) = json.loads(auditor.ok("units", "list", "--format", "json").stdout)
    assert unit["name"] == "Đảng ủy xã Yên Hòa"


def test_semicolon_separated_csv(auditor: Cli, workdir: Path) -> None:
    (workdir / "u.csv").write_text("Mã đơn vị;Tên đơn vị;Số biên chế\nXA-D;Xã D;12\n", encoding="utf-8")
    auditor.ok("register", "import", str(workdir / "u.csv"))
    assert json.loads(auditor.ok("units", "list", "--format", "json").stdout)[0]["staff_count"] == 12


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.xlsx", None, "missing.xlsx: no such file"),
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "old.xls: this is an old Excel .xls file or a password-protected workbook",
        ),
        (
            "renamed.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "renamed.xlsx: this is an old Excel .xls file or a password-protected workbook",
        ),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "broken.xlsx: not a valid .xlsx file"),
        ("notes.txt", b"", "notes.txt: found no units, devices or links to import"),
        ("random.csv", b"a,b\n1,2\n", "random.csv: found no units, devices or links to import"),
        ("data.json", b"{}", "data.json: expected an .xlsx or .csv file"),
    ],
)
def test_unreadable_files_get_one_clear_error(
    auditor: Cli, workdir: Path, name: str, content: bytes | None, message: str
) -> None:
    if content is not None:
        (workdir / name).write_bytes(content)
    result = auditor("register", "import", name)  # relative to the working directory, as people type it
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {message}")
    assert "Traceback" not in result.stderr


def test_kind_on_a_multi_sheet_workbook_is_refused(auditor: Cli, workdir: Path) -> None:
    result = auditor("register", "import", str(full_vietnamese(workdir)), "--kind", "devices")
    assert result.exit_code == 1
    assert "--kind applies to a CSV or a one-sheet workbook" in result.stderr


def test_the_errors_file_stays_within_excels_last_column(workdir: Path) -> None:
    """A row as wide as a sheet can be (A … XFD), handed back after the two columns of its own:
    cut at XFD, not written past it (Excel calls such a file damaged)."""
    from auditor.facts import RowError, Where, said
    from auditor.register.writers import write_errors_file

    headers = [f"h{i}" for i in range(1, 16385)]
    error = RowError(Where("wide.xlsx", "Thiết bị", 5), (said("bad"),), tuple((h, "v") for h in headers), ("h1",))
    write_errors_file(workdir / "wide.errors.xlsx", [error], {"Thiết bị": headers})
    sheet = openpyxl.load_workbook(workdir / "wide.errors.xlsx", read_only=True).worksheets[0]
    sheet.reset_dimensions()
    header, row = sheet.iter_rows(values_only=True)
    assert len(header) == len(row) == 16384
    assert header[:3] == ("Dòng gốc", "Lỗi", "h1") and header[-1] == "h16382"
