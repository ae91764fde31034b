"""The register parser on hand-made rows: every accepted form and every rejection message."""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import re
from typing import Any

import pytest

from auditor.domain import Category, Condition, SnmpVersion, UnitKind, fold, parse_category
from auditor.errors import BadValue
from auditor.facts import DeviceRecord, LinkRecord, UnitRecord
from auditor.register.columns import SheetKind, kind_from_headers, kind_from_sheet_name, match_header
from auditor.register.parse import Sheet, parse_sheet
from auditor.register.values import parse_ip, parse_mac, parse_mbps, parse_service_date, parse_subnets, parse_whole

TODAY = dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Năm sử dụng", "nam su dung"),
        ("NĂM  SỬ-DỤNG:", "nam su dung"),
        ("Địa chỉ IP", "dia chi ip"),
        ("Đường truyền", "duong truyen"),
    ],
)
def test_fold_ignores_case_diacritics_and_punctuation(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("kind", "header", "key"),
    [
        (SheetKind.DEVICES, "Mã đơn vị", "unit_code"),
        (SheetKind.DEVICES, "ma don vi", "unit_code"),
        (SheetKind.DEVICES, "Loại thiết bị", "category"),
        (SheetKind.DEVICES, "Hãng sản xuất", "vendor"),
        (SheetKind.DEVICES, "Số serial", "serial"),
        (SheetKind.DEVICES, "Mã tài sản", "asset_tag"),
        (SheetKind.DEVICES, "Năm sử dụng", "in_service_year"),
        (SheetKind.DEVICES, "Địa chỉ IP", "ip"),
        (SheetKind.DEVICES, "Tên máy", "hostname"),
        (SheetKind.DEVICES, "Tình trạng", "condition"),
        (SheetKind.DEVICES, "Vị trí", "location"),
        (SheetKind.DEVICES, "in_service_year", "in_service_year"),
        (SheetKind.DEVICES, "Serial number", "serial"),
        (SheetKind.UNITS, "Số biên chế", "staff_count"),
        (SheetKind.UNITS, "Loại đơn vị", "unit_kind"),
        (SheetKind.LINKS, "Băng thông tải xuống (Mbps)", "capacity_down_mbps"),
        (SheetKind.LINKS, "IP đầu xa", "far_end_ip"),
        (SheetKind.DEVICES, "Ghi chú", None),
    ],
)
def test_headers_match_in_vietnamese_and_english(kind: SheetKind, header: str, key: str | None) -> None:
    assert match_header(kind, header) == key


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Đơn vị", SheetKind.UNITS),
        ("don vi", SheetKind.UNITS),
        ("Units", SheetKind.UNITS),
        ("Thiết bị", SheetKind.DEVICES),
        ("Devices", SheetKind.DEVICES),
        ("Thiết bị CNTT", SheetKind.DEVICES),
        ("Đường truyền", SheetKind.LINKS),
        ("Links", SheetKind.LINKS),
        ("Sheet1", None),
        ("Hướng dẫn", None),
    ],
)
def test_sheet_kinds_by_name(name: str, kind: SheetKind | None) -> None:
    assert kind_from_sheet_name(name) == kind


def test_sheet_kind_by_headers() -> None:
    assert kind_from_headers(["Mã đơn vị", "Tên đơn vị", "Số biên chế"]) is SheetKind.UNITS
    assert kind_from_headers(["unit_code", "hostname", "serial"]) is SheetKind.DEVICES
    assert kind_from_headers(["Mã đơn vị", "Tên đường truyền", "Băng thông (Mbps)"]) is SheetKind.LINKS
    assert kind_from_headers(["foo", "bar"]) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Máy in", Category.PRINTER),
        ("may in", Category.PRINTER),
        ("printer", Category.PRINTER),
        ("Máy vi tính để bàn", Category.DESKTOP),
        ("PC", Category.DESKTOP),
        ("Máy photocopy / máy đa chức năng", Category.COPIER),
        ("Bộ lưu điện (UPS)", Category.UPS),
        ("access_point", Category.ACCESS_POINT),
        ("Thiết bị định tuyến (router)", Category.ROUTER),
        ("máy pha cà phê", None),
    ],
)
def test_categories_by_key_or_name(text: str, category: Category | None) -> None:
    assert parse_category(text) == category


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2015, (dt.date(2015, 1, 1), "year")),
        (2015.0, (dt.date(2015, 1, 1), "year")),
        ("2015", (dt.date(2015, 1, 1), "year")),
        ("15/3/2015", (dt.date(2015, 3, 15), "day")),
        ("15-03-2015", (dt.date(2015, 3, 15), "day")),
        ("2015-03-15", (dt.date(2015, 3, 15), "day")),
        ("3/2015", (dt.date(2015, 3, 1), "month")),
        (dt.datetime(2015, 3, 15, 0, 0), (dt.date(2015, 3, 15), "day")),
        (dt.date(2015, 3, 15), (dt.date(2015, 3, 15), "day")),
        (42078, (dt.date(2015, 3, 15), "day")),  # an Excel serial day number
        ("42078", (dt.date(2015, 3, 15), "day")),
    ],
)
def test_service_dates_accepted(value: Any, expected: tuple[dt.date, str]) -> None:
    assert parse_service_date(value, TODAY) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("20l5", "a year such as 2015 or a date such as 15/03/2015"),
        ("2027", "a year such as 2015 or a date such as 15/03/2015, not in the future"),
        ("1/12/2026", "a year such as 2015 or a date such as 15/03/2015, not in the future"),
        ("1975", "a year such as 2015 or a date such as 15/03/2015, not before 1980"),
        ("31/02/2015", "a year such as 2015 or a date such as 15/03/2015 (that date does not exist)"),
        (2015.5, "a year such as 2015 or a date such as 15/03/2015"),
        ("mới", "a year such as 2015 or a date such as 15/03/2015"),
    ],
)
def test_service_dates_refused(value: Any, why: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_service_date(value, TODAY)
    assert str(caught.value) == why


@pytest.mark.parametrize(
    ("value", "mbps"),
    [
        (200, 200.0),
        ("200", 200.0),
        ("200 Mbps", 200.0),
        ("1 Gbps", 1000.0),
        ("512 kbps", 0.512),
        ("2,5", 2.5),
        ("20Mb/s", 20.0),
    ],
)
def test_bandwidths(value: Any, mbps: float) -> None:
    assert parse_mbps(value) == pytest.approx(mbps)


@pytest.mark.parametrize("value", [0, -5, "abc", "200 furlongs", "1.2.3"])
def test_bandwidths_refused(value: Any) -> None:
    with pytest.raises(BadValue):
        parse_mbps(value)


@pytest.mark.parametrize(
    ("value", "mac"),
    [
        ("00-1A-2B-3C-4D-5E", "00:1a:2b:3c:4d:5e"),
        ("001a.2b3c.4d5e", "00:1a:2b:3c:4d:5e"),
        ("001A2B3C4D5E", "00:1a:2b:3c:4d:5e"),
    ],
)
def test_macs_normalised(value: str, mac: str) -> None:
    assert parse_mac(value) == mac


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("10.38.1.0/24", "10.38.1.0/24"),
        ("10.38.1.0/24; 10.38.2.0/24, 10.38.1.0/24", "10.38.1.0/24,10.38.2.0/24"),
        ("10.38.1.7", "10.38.1.7/32"),
        ("2001:db8:38::/64", "2001:db8:38::/64"),
    ],
)
def test_subnets_stored_canonical(value: str, stored: str) -> None:
    assert parse_subnets(value) == stored


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("10.38.1.5/24", "the range's first address: 10.38.1.0/24"),  # host bits: say the range meant
        ("0.0.0.0/0", "no wider than /8"),
        ("10.0.0.0/7", "no wider than /8"),
        ("::/0", "no wider than /32"),
        ("2001:db8::/16", "no wider than /32"),  # wide first: the first address of a /16 is no cure
        ("10.38.1.0/33", "a prefix length from 8 to 32"),
        ("2001:db8::/129", "a prefix length from 32 to 128"),
        ("10.38.1.0/x", "a prefix length from 8 to 32"),
        ("xã Hưng Phúc", "address ranges such as 10.38.1.0/24"),
        ("10.38.1.256/24", "address ranges such as 10.38.1.0/24"),
    ],
)
def test_subnets_refused_with_what_to_write(value: str, said: str) -> None:
    with pytest.raises(BadValue, match=re.escape(said)):
        parse_subnets(value)


@pytest.mark.parametrize(("value", "number"), [(12, 12), (12.0, 12), ("12", 12), (" 12 ", 12), ("12,0", 12)])
def test_whole_numbers(value: Any, number: int) -> None:
    assert parse_whole(value) == number


@pytest.mark.parametrize("value", [-1, 12.5, "12.5", "mười", "-3"])
def test_whole_numbers_refused(value: Any) -> None:
    with pytest.raises(BadValue, match="a whole number, 0 or more"):
        parse_whole(value)


DEVICE_HEADER = [
    "Mã đơn vị",
    "Tên máy",
    "Địa chỉ IP",
    "Loại thiết bị",
    "Số serial",
    "Mã tài sản",
    "Năm sử dụng",
    "Tình trạng",
    "Cổng SNMP",
    "Địa chỉ MAC",
    "Phiên bản SNMP",
]


def _devices(*rows: list[Any]) -> Sheet:
    return Sheet("khao-sat.xlsx", "Thiết bị", [["PHIẾU KHẢO SÁT"], [], DEVICE_HEADER, *rows])


def test_device_row_parsed_fully() -> None:
    parsed = parse_sheet(
        _devices(
            [
                "XA-A",
                "pc-01",
                "10.0.0.5",
                "Máy vi tính để bàn",
                12345,
                "TS-1",
                2015,
                "Tốt",
                161,
                "00-11-22-33-44-55",
                "v2c",
            ]
        ),
        TODAY,
    )
    assert parsed.errors == ()
    assert parsed.kind is SheetKind.DEVICES
    (row,) = parsed.rows
    assert str(row.where) == "khao-sat.xlsx:Thiết bị:4"
    assert row.record == DeviceRecord(
        unit_code="XA-A",
        hostname="pc-01",
        ip="10.0.0.5",
        category=Category.DESKTOP,
        serial="12345",
        asset_tag="TS-1",
        in_service_on=dt.date(2015, 1, 1),
        in_service_precision="year",
        condition=Condition.GOOD,
        snmp_port=161,
        mac="00:11:22:33:44:55",
        snmp_version=SnmpVersion.V2C,
    )


# Each bad row, and the one message a user reads for it.
BAD_DEVICE_ROWS = [
    (
        ["XA-A", "pc", "10.0.0.5", "Máy in", "S1", "T1", "20l5", "", "", "", ""],
        'khao-sat.xlsx:Thiết bị:4: column "Năm sử dụng" is "20l5", expected a year such as 2015 or a date such '
        "as 15/03/2015",
    ),
    (
        ["XA-A", "pc", "10.0.0.300", "", "S1", "", "", "", "", "", ""],
        'khao-sat.xlsx:Thiết bị:4: column "Địa chỉ IP" is "10.0.0.300", expected an IPv4 or IPv6 address such as '
        "10.38.1.10",
    ),
    (
        ["", "pc", "", "", "S1", "", "", "", "", "", ""],
        'khao-sat.xlsx:Thiết bị:4: column "Mã đơn vị" is empty, expected the unit\'s code',
    ),
    (
        ["XA-A", "", "", "Máy in", "", "", "2015", "", "", "", ""],
        "khao-sat.xlsx:Thiết bị:4: a device needs one of hostname, IP address, serial or asset tag; all are empty",
    ),
    (
        ["XA-A", "pc", "", "máy pha cà phê", "", "", "", "", "", "", ""],
        'khao-sat.xlsx:Thiết bị:4: column "Loại thiết bị" is "máy pha cà phê", expected one of desktop, laptop, ',
    ),
    (
        ["XA-A", "pc", "", "", "", "", "", "mất", "", "", ""],
        'khao-sat.xlsx:Thiết bị:4: column "Tình trạng" is "mất", expected one of: Tốt (good), Xuống cấp (degraded), '
        "Hỏng (broken), Chưa rõ (unknown)",
    ),
    (
        ["XA-A", "pc", "", "", "", "", "", "", 70000, "", ""],
        'khao-sat.xlsx:Thiết bị:4: column "Cổng SNMP" is "70000", expected a port number from 1 to 65535',
    ),
    (
        ["XA-A", "pc", "", "", "", "", "", "", "", "00:11:22", ""],
        'khao-sat.xlsx:Thiết bị:4: column "Địa chỉ MAC" is "00:11:22", expected a MAC address such as '
        "00:1a:2b:3c:4d:5e",
    ),
    (
        ["XA-A", "pc", "", "", "", "", "", "", "", "", "v4"],
        'khao-sat.xlsx:Thiết bị:4: column "Phiên bản SNMP" is "v4", expected 1, 2c or 3',
    ),
    (
        ["XA-A", "pc\x07", "", "", "", "", "", "", "", "", ""],
        'khao-sat.xlsx:Thiết bị:4: column "Tên máy" is "pc\x07", expected plain text without control characters',
    ),
    (
        ["XA-A", "x" * 300, "", "", "", "", "", "", "", "", ""],
        f'khao-sat.xlsx:Thiết bị:4: column "Tên máy" is "{"x" * 59}…", expected at most 255 characters',
    ),
]


@pytest.mark.parametrize(("row", "message"), BAD_DEVICE_ROWS)
def test_each_bad_device_row_gets_one_precise_message(row: list[Any], message: str) -> None:
    parsed = parse_sheet(_devices(row), TODAY)
    assert parsed.rows == ()
    (error,) = parsed.errors
    assert str(error).startswith(message)
    assert error.cells[0] == ("Mã đơn vị", row[0])  # the row as written, for the errors file


def test_several_problems_in_one_row_are_all_named() -> None:
    parsed = parse_sheet(_devices(["XA-A", "pc", "999.1.1.1", "", "", "", "20l5", "", "", "", ""]), TODAY)
    (error,) = parsed.errors
    assert '"Địa chỉ IP"' in error.message and '"Năm sử dụng"' in error.message


def test_good_rows_beside_bad_ones_are_kept_and_empty_rows_skipped() -> None:
    parsed = parse_sheet(
        _devices(
            ["XA-A", "pc-1", "", "", "", "", "", "", "", "", ""],
            [None] * 11,
            ["XA-A", "pc-2", "", "", "", "", "20l5", "", "", "", ""],
            ["XA-A", "pc-3", "", "", "", "", "", "", "", "", ""],
        ),
        TODAY,
    )
    assert [r.record.hostname for r in parsed.rows if isinstance(r.record, DeviceRecord)] == ["pc-1", "pc-3"]
    assert [e.where.row for e in parsed.errors] == [6]


def test_duplicate_asset_tags_and_serials_within_a_sheet() -> None:
    parsed = parse_sheet(
        _devices(
            ["XA-A", "pc-1", "", "", "S1", "T1", "", "", "", "", ""],
            ["XA-A", "pc-2", "", "", "S2", "t1", "", "", "", "", ""],
            ["XA-A", "pc-3", "", "", "s1", "T3", "", "", "", "", ""],
        ),
        TODAY,
    )
    # Which of two twins is right is the clerk's to say: both are rejected, each naming the other.
    fix = "it may appear once: correct or delete one of the rows"
    assert [str(e) for e in parsed.errors] == [
        f'khao-sat.xlsx:Thiết bị:4: asset tag "T1" is also on row 5; {fix}; serial "S1" is also on row 6; {fix}',
        f'khao-sat.xlsx:Thiết bị:5: asset tag "t1" is also on row 4; {fix}',
        f'khao-sat.xlsx:Thiết bị:6: serial "s1" is also on row 4; {fix}',
    ]
    assert parsed.rows == ()


def test_a_twin_is_caught_even_when_the_other_row_is_rejected_for_another_reason() -> None:
    parsed = parse_sheet(
        _devices(
            ["XA-A", "pc-1", "", "", "S1", "", "năm ngoái", "", "", "", ""],
            ["XA-A", "pc-2", "", "", "S1", "", "", "", "", "", ""],
        ),
        TODAY,
    )
    assert parsed.rows == ()
    first, second = parsed.errors
    assert "Năm" in str(first) and 'serial "S1" is also on row 5' in str(first)
    assert str(second).endswith('serial "S1" is also on row 4; it may appear once: correct or delete one of the rows')


def test_one_address_under_two_hostnames_is_a_conflict_but_not_across_units() -> None:
    parsed = parse_sheet(
        _devices(
            ["XA-A", "pc-a", "10.0.0.5", "", "", "", "", "", "", "", ""],
            ["XA-A", "pc-b", "10.0.0.5", "", "", "", "", "", "", "", ""],
            ["XA-A", "pc-c", "10.0.0.5", "", "", "", "", "", "", "", ""],
            ["XA-B", "pc-d", "10.0.0.5", "", "", "", "", "", "", "", ""],  # behind another unit's NAT
        ),
        TODAY,
    )
    assert [r.record.hostname for r in parsed.rows if isinstance(r.record, DeviceRecord)] == ["pc-d"]
    assert [e.where.row for e in parsed.errors] == [4, 5, 6]
    assert "address 10.0.0.5 is also on row 5, 6, under another name or serial (pc-b)" in str(parsed.errors[0])


def test_duplicated_header_is_refused_for_the_sheet() -> None:
    sheet = Sheet("f.xlsx", "Thiết bị", [["Mã đơn vị", "Số serial", "Serial"], ["XA-A", "1", "2"]])
    (error,) = parse_sheet(sheet, TODAY).errors
    assert str(error) == 'f.xlsx:Thiết bị:1: columns "Số serial" and "Serial" both mean serial; keep one'


def test_unknown_columns_are_noted_not_fatal() -> None:
    sheet = Sheet("f.csv", None, [["unit_code", "hostname", "màu sắc"], ["XA-A", "pc", "đỏ"]])
    parsed = parse_sheet(sheet, TODAY)
    assert len(parsed.rows) == 1
    assert [str(note) for note in parsed.notes] == ['f.csv:1: column "màu sắc" is not a devices column; passed over']


def test_units_and_links() -> None:
    units = parse_sheet(
        Sheet(
            "u.csv",
            None,
            [["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Số biên chế"], ["XA-A", "Đảng ủy xã A", "Đảng ủy xã", "25"]],
        ),
        TODAY,
    )
    assert units.rows[0].record == UnitRecord("XA-A", "Đảng ủy xã A", UnitKind.COMMUNE_COMMITTEE, 25)
    links = parse_sheet(
        Sheet(
            "l.csv",
            None,
            [
                ["Mã đơn vị", "Tên đường truyền", "Băng thông (Mbps)", "IP đầu xa"],
                ["XA-A", "TSLCD", "100", "10.1.1.1"],
                ["XA-A", "TSLCD 2", "", ""],
            ],
        ),
        TODAY,
    )
    assert links.rows[0].record == LinkRecord("XA-A", "TSLCD", 100.0, 100.0, far_end_ip="10.1.1.1")
    assert [str(e) for e in links.errors] == [
        'l.csv:3: column "Băng thông (Mbps)" is empty, expected the contracted bandwidth in Mbps'
    ]


def test_neutralised_cells_are_read_back_as_written() -> None:
    sheet = Sheet("f.csv", None, [["unit_code", "hostname"], ["XA-A", "'=cmd"]])
    (row,) = parse_sheet(sheet, TODAY).rows
    assert isinstance(row.record, DeviceRecord) and row.record.hostname == "=cmd"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["XA-A", "", "", ""], 'u.csv:2: column "Tên đơn vị" is empty, expected the unit\'s name'),
        (["XA-A", "A", "huyện", ""], 'u.csv:2: column "Loại đơn vị" is "huyện", expected one of: Ban, cơ quan Đảng'),
        (["XA-A", "A", "", "mười"], 'u.csv:2: column "Số biên chế" is "mười", expected a whole number, 0 or more'),
        (["X" * 65, "A", "", ""], 'u.csv:2: column "Mã đơn vị" is "XXXX'),
    ],
)
def test_each_bad_unit_row(row: list[Any], message: str) -> None:
    sheet = Sheet("u.csv", None, [["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Số biên chế"], row])
    (error,) = parse_sheet(sheet, TODAY).errors
    assert str(error).startswith(message)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["XA-A", "", "100", ""], 'l.csv:2: column "Tên đường truyền" is empty, expected the link\'s name'),
        (
            ["XA-A", "TSLCD", "nhanh", ""],
            'l.csv:2: column "Băng thông tải xuống (Mbps)" is "nhanh", expected a bandwidth',
        ),
        (
            ["XA-A", "TSLCD", "1.000", ""],
            'l.csv:2: column "Băng thông tải xuống (Mbps)" is "1.000", expected a bandwidth '
            'in Mbps greater than 0, such as 200 or "1 Gbps", without a thousands separator (is "1.000" 1 or 1000?)',
        ),
        (["XA-A", "TSLCD", "100", "vnpt.vn"], 'l.csv:2: column "IP đầu xa" is "vnpt.vn", expected an IPv4 or IPv6'),
    ],
)
def test_each_bad_link_row(row: list[Any], message: str) -> None:
    sheet = Sheet("l.csv", None, [["Mã đơn vị", "Tên đường truyền", "Băng thông tải xuống (Mbps)", "IP đầu xa"], row])
    (error,) = parse_sheet(sheet, TODAY).errors
    assert str(error).startswith(message)


def test_a_community_never_reaches_a_message_or_the_rejected_row() -> None:
    sheet = Sheet(
        "d.csv", None, [["unit_code", "hostname", "snmp_community", "snmp_port"], ["XA-A", "gw", "s3cr3t\x01", "99999"]]
    )
    (error,) = parse_sheet(sheet, TODAY).errors
    assert "s3cr3t" not in str(error) and 'column "snmp_community" is "********"' in str(error)
    assert ("snmp_community", "") in error.cells and ("hostname", "gw") in error.cells


def test_the_plain_ipv4_fast_path_agrees_with_ipaddress() -> None:
    """parse_ip takes a shortcut for dotted quads written as ipaddress writes them; on every other
    text (leading zeros, octets over 255, three or five parts) it must answer as ipaddress does."""
    rng = random.Random(18)
    for _ in range(20_000):
        octets = [str(rng.randint(0, 300)), f"0{rng.randint(0, 99)}", str(rng.randint(0, 255)), "\u0660", "\uff11"]
        parts = [rng.choice(octets) for _ in range(rng.choice([3, 4, 4, 4, 5]))]  # "٠", "１": digits, not ASCII
        text = ".".join(parts)
        try:
            expected: str | None = str(ipaddress.ip_address(text))
        except ValueError:
            expected = None
        try:
            got: str | None = parse_ip(text)
        except BadValue:
            got = None
        assert got == expected, text
