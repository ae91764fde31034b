"""Which columns the register has, what they are called, and how a sheet's headers map to them.

Pure: no file I/O.  Headers match after `fold` (case, diacritics and punctuation ignored), so
"Năm sử dụng", "nam su dung" and "NĂM SỬ DỤNG:" all name `in_service_year`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.domain import Label, fold


class SheetKind(enum.StrEnum):
    UNITS = "units"
    DEVICES = "devices"
    LINKS = "links"


SHEET_TITLES: dict[SheetKind, Label] = {
    SheetKind.UNITS: Label("Đơn vị", "Units", ("danh sach don vi", "unit", "don vi")),
    SheetKind.DEVICES: Label("Thiết bị", "Devices", ("trang thiet bi", "thiet bi cntt", "device", "thiet bi")),
    SheetKind.LINKS: Label("Đường truyền", "Links", ("duong truyen so lieu", "kenh truyen", "link", "duong truyen")),
}

# Sheets the template writes for people, not data; an import passes over them quietly.
NON_DATA_SHEETS = {fold(w) for w in ("Hướng dẫn", "Instructions", "Danh mục", "Lists", "Lỗi", "Errors")}


@dataclass(frozen=True)
class Column:
    key: str
    label: Label
    hint: Label  # one line for the instructions sheet
    width: int = 16


def _col(key: str, vi: str, en: str, hint_vi: str, hint_en: str, *aliases: str, width: int = 16) -> Column:
    return Column(key, Label(vi, en, aliases), Label(hint_vi, hint_en), width)


UNIT_COLUMNS: tuple[Column, ...] = (
    _col(
        "unit_code",
        "Mã đơn vị",
        "Unit code",
        "Bắt buộc. Mã ngắn, duy nhất, ví dụ XA-ANHSON.",
        "Required. A short unique code, e.g. XA-ANHSON.",
        "ma dv",
        "code",
        width=16,
    ),
    _col(
        "unit_name",
        "Tên đơn vị",
        "Unit name",
        "Bắt buộc. Tên đầy đủ của đơn vị.",
        "Required. The unit's full name.",
        "don vi",
        "ten",
        "name",
        "unit",
        width=36,
    ),
    _col(
        "unit_kind",
        "Loại đơn vị",
        "Unit kind",
        "Chọn trong danh sách.",
        "Pick from the list.",
        "loai",
        "kind",
        "type",
        width=28,
    ),
    _col(
        "staff_count",
        "Số biên chế",
        "Staff count",
        "Biên chế được giao + hợp đồng không xác định thời hạn.",
        "Assigned staff plus indefinite-term contracts.",
        "bien che",
        "so can bo",
        "so nguoi",
        "so luong can bo",
        "staff",
        "headcount",
        width=12,
    ),
    _col(
        "poller_group",
        "Nhóm thu thập",
        "Poller group",
        "Để trống nếu chỉ có một máy thu thập.",
        "Leave blank with a single poller.",
        "nhom",
        "group",
        width=14,
    ),
    _col(
        "subnets",
        "Dải mạng",
        "Subnets",
        "Các dải địa chỉ mạng LAN của đơn vị, cách nhau bởi dấu phẩy, ví dụ 10.38.1.0/24.",
        "The unit's LAN address ranges, comma-separated, e.g. 10.38.1.0/24.",
        "dai mang lan",
        "dai dia chi",
        "dai ip",
        "mang lan",
        "subnet",
        "lan",
        width=22,
    ),
)

DEVICE_COLUMNS: tuple[Column, ...] = (
    _col(
        "unit_code",
        "Mã đơn vị",
        "Unit code",
        "Bắt buộc (hoặc Tên đơn vị).",
        "Required (or the unit name).",
        "ma dv",
        width=14,
    ),
    _col(
        "unit_name",
        "Tên đơn vị",
        "Unit name",
        "Dùng khi không có mã đơn vị.",
        "Used when the unit code is blank.",
        "don vi",
        "unit",
        width=28,
    ),
    _col(
        "hostname",
        "Tên máy",
        "Hostname",
        "Cần ít nhất một trong: tên máy, địa chỉ IP, số serial, mã tài sản.",
        "At least one of hostname, IP, serial, asset tag.",
        "ten thiet bi",
        "host",
        "host name",
        "ten may tinh",
        width=18,
    ),
    _col(
        "ip",
        "Địa chỉ IP",
        "IP address",
        "Ví dụ 10.38.1.10.",
        "e.g. 10.38.1.10.",
        "ip",
        "dia chi ip v4",
        "ip address",
        "ipv4",
        width=16,
    ),
    _col("mac", "Địa chỉ MAC", "MAC address", "Ví dụ 00:1a:2b:3c:4d:5e.", "e.g. 00:1a:2b:3c:4d:5e.", "mac", width=18),
    _col(
        "category",
        "Loại thiết bị",
        "Category",
        "Chọn trong danh sách.",
        "Pick from the list.",
        "chung loai",
        "loai",
        "type",
        "device type",
        width=30,
    ),
    _col(
        "vendor",
        "Hãng sản xuất",
        "Vendor",
        "Ví dụ Dell, HP, Canon.",
        "e.g. Dell, HP, Canon.",
        "hang",
        "hang sx",
        "nha san xuat",
        "manufacturer",
        "brand",
        "nhan hieu",
        width=16,
    ),
    _col(
        "model",
        "Model",
        "Model",
        "Ví dụ OptiPlex 3020.",
        "e.g. OptiPlex 3020.",
        "kieu may",
        "ma hieu",
        "model thiet bi",
        width=20,
    ),
    _col(
        "serial",
        "Số serial",
        "Serial number",
        "In trên nhãn thiết bị.",
        "Printed on the device's label.",
        "serial",
        "so seri",
        "seri",
        "s n",
        "sn",
        "serial no",
        width=18,
    ),
    _col(
        "asset_tag",
        "Mã tài sản",
        "Asset tag",
        "Mã trong sổ tài sản của đơn vị.",
        "The code in the unit's asset book.",
        "ma ts",
        "so the tai san",
        "asset",
        "asset no",
        width=16,
    ),
    _col(
        "in_service_year",
        "Năm sử dụng",
        "Year in service",
        "Năm (2015) hoặc ngày (15/03/2015) đưa vào sử dụng.",
        "A year (2015) or the date (15/03/2015) it entered service.",
        "nam dua vao su dung",
        "nam mua",
        "nam trang bi",
        "ngay dua vao su dung",
        "in service year",
        "in service on",
        "in service date",
        "purchase year",
        "year",
        width=14,
    ),
    _col(
        "condition",
        "Tình trạng",
        "Condition",
        "Chọn trong danh sách.",
        "Pick from the list.",
        "tinh trang su dung",
        "hien trang",
        width=14,
    ),
    _col(
        "location",
        "Vị trí",
        "Location",
        "Phòng, tầng đặt thiết bị.",
        "Room or floor.",
        "vi tri dat",
        "noi dat",
        "phong",
        "room",
        width=18,
    ),
    _col(
        "status",
        "Trạng thái",
        "Status",
        "Đang dùng, Dự phòng hoặc Thanh lý.",
        "In service, Spare or Retired.",
        "trang thai quan ly",
        "life status",
        width=14,
    ),
    _col(
        "registered",
        "Đã ghi sổ",
        "Registered",
        "Có: thiết bị có trong sổ tài sản; Không: chỉ phát hiện trên mạng.",
        "Yes: in the asset register; No: only found on the network.",
        "da dang ky",
        "dang ky",
        "ghi so",
        "in register",
        width=12,
    ),
    _col(
        "snmp_version",
        "Phiên bản SNMP",
        "SNMP version",
        "1, 2c hoặc 3; để trống nếu không có.",
        "1, 2c or 3; blank if none.",
        "snmp",
        width=10,
    ),
    _col("snmp_port", "Cổng SNMP", "SNMP port", "Mặc định 161.", "Default 161.", width=10),
    _col(
        "snmp_community",
        "SNMP community",
        "SNMP community",
        "Không bắt buộc; nên khai trong tệp cấu hình.",
        "Optional; better kept in the config file.",
        "community",
        width=14,
    ),
)

LINK_COLUMNS: tuple[Column, ...] = (
    _col(
        "unit_code",
        "Mã đơn vị",
        "Unit code",
        "Bắt buộc (hoặc Tên đơn vị).",
        "Required (or the unit name).",
        "ma dv",
        width=14,
    ),
    _col(
        "unit_name",
        "Tên đơn vị",
        "Unit name",
        "Dùng khi không có mã đơn vị.",
        "Used when the unit code is blank.",
        "don vi",
        "unit",
        width=28,
    ),
    _col(
        "name",
        "Tên đường truyền",
        "Link name",
        "Bắt buộc, duy nhất trong đơn vị.",
        "Required, unique within the unit.",
        "ten kenh",
        "duong truyen",
        "link",
        "link name",
        width=22,
    ),
    _col("provider", "Nhà cung cấp", "Provider", "Ví dụ VNPT.", "e.g. VNPT.", "nha mang", "isp", width=12),
    _col(
        "circuit_id",
        "Mã kênh",
        "Circuit ID",
        "Mã kênh của nhà cung cấp.",
        "The provider's circuit ID.",
        "ma duong truyen",
        "ma kenh truyen",
        "circuit",
        width=16,
    ),
    _col(
        "capacity_down_mbps",
        "Băng thông tải xuống (Mbps)",
        "Download capacity (Mbps)",
        "Băng thông theo hợp đồng, không phải tốc độ cổng.",
        "Contracted bandwidth, not the port speed.",
        "bang thong xuong",
        "toc do tai xuong",
        "download mbps",
        "capacity down",
        "down mbps",
        width=14,
    ),
    _col(
        "capacity_up_mbps",
        "Băng thông tải lên (Mbps)",
        "Upload capacity (Mbps)",
        "Để trống nếu bằng tải xuống.",
        "Blank if the same as download.",
        "bang thong len",
        "toc do tai len",
        "upload mbps",
        "capacity up",
        "up mbps",
        width=14,
    ),
    _col(
        "capacity_mbps",
        "Băng thông (Mbps)",
        "Capacity (Mbps)",
        "Dùng khi hai chiều như nhau.",
        "Use when both directions are equal.",
        "bang thong",
        "toc do",
        "bandwidth",
        "capacity",
        "bang thong hop dong",
        width=12,
    ),
    _col(
        "device",
        "Thiết bị đầu cuối",
        "Terminal device",
        "Tên máy hoặc IP của router/thiết bị mang kênh.",
        "Hostname or IP of the router carrying the link.",
        "thiet bi",
        "router",
        "terminal device",
        width=18,
    ),
    _col(
        "interface",
        "Cổng WAN",
        "Interface",
        "Tên, mô tả hoặc ifIndex của cổng WAN.",
        "The WAN port's name, description or ifIndex.",
        "cong",
        "giao dien",
        "interface",
        "port",
        "if",
        width=16,
    ),
    _col(
        "far_end_ip",
        "IP đầu xa",
        "Far-end IP",
        "Địa chỉ để đo độ trễ và mất gói (ICMP).",
        "Address pinged for latency and loss.",
        "ip dau xa",
        "dia chi dau xa",
        "far end",
        "gateway",
        width=16,
    ),
)

COLUMNS: dict[SheetKind, tuple[Column, ...]] = {
    SheetKind.UNITS: UNIT_COLUMNS,
    SheetKind.DEVICES: DEVICE_COLUMNS,
    SheetKind.LINKS: LINK_COLUMNS,
}

# The columns of the register, in the order the export writes them.
REGISTER_KEYS: dict[SheetKind, tuple[str, ...]] = {
    SheetKind.UNITS: ("unit_code", "unit_name", "unit_kind", "staff_count", "poller_group", "subnets"),
    SheetKind.DEVICES: (
        "unit_code",
        "hostname",
        "ip",
        "mac",
        "category",
        "vendor",
        "model",
        "serial",
        "asset_tag",
        "in_service_year",
        "condition",
        "location",
        "status",
        "registered",
        "snmp_version",
        "snmp_port",
        "snmp_community",
    ),
    SheetKind.LINKS: (
        "unit_code",
        "name",
        "provider",
        "circuit_id",
        "capacity_down_mbps",
        "capacity_up_mbps",
        "device",
        "interface",
        "far_end_ip",
    ),
}

# How a device is polled is the Office's business, not the units': the survey form sent to them has
# no SNMP column (the settings belong in auditor.toml, or a sheet the IT staff import) and no
# poller group.  An import still reads those columns wherever they are.
# Nor does it ask whether a device is registered: what a unit lists is its register.  The export
# says it, so that an export imported again keeps what auditor only found on the network apart.
IT_KEYS = frozenset({"snmp_version", "snmp_port", "snmp_community", "poller_group", "subnets", "registered", "status"})
TEMPLATE_KEYS: dict[SheetKind, tuple[str, ...]] = {
    kind: tuple(k for k in keys if k not in IT_KEYS) for kind, keys in REGISTER_KEYS.items()
}

# Columns the tool itself adds (the errors file's reason); passed over on re-import.
IGNORED_HEADERS = {
    fold(w)
    for w in ("Lỗi", "Error", "Lý do lỗi", "Reason", "Dòng gốc", "Source row", "STT", "No", "TT", "Ghi chú", "Note")
}

# Columns whose presence tells one kind of sheet from another.
_MARKERS: dict[SheetKind, frozenset[str]] = {
    SheetKind.UNITS: frozenset({"unit_kind", "staff_count", "poller_group", "subnets"}),
    SheetKind.DEVICES: frozenset(
        {"hostname", "ip", "mac", "category", "vendor", "model", "serial", "asset_tag", "in_service_year"}
    ),
    SheetKind.LINKS: frozenset(
        {"capacity_down_mbps", "capacity_up_mbps", "capacity_mbps", "circuit_id", "far_end_ip", "provider"}
    ),
}


def _alias_table(columns: Sequence[Column]) -> dict[str, str]:
    table: dict[str, str] = {}
    for column in columns:
        for word in (column.key, column.key.replace("_", " "), column.label.vi, column.label.en, *column.label.aliases):
            table.setdefault(fold(word), column.key)
    return table


_ALIASES: dict[SheetKind, dict[str, str]] = {kind: _alias_table(cols) for kind, cols in COLUMNS.items()}


def column(kind: SheetKind, key: str) -> Column:
    return next(c for c in COLUMNS[kind] if c.key == key)


def match_header(kind: SheetKind, header: str) -> str | None:
    """The canonical key a header names in a sheet of this kind, or None."""
    return _ALIASES[kind].get(fold(header))


def kind_from_sheet_name(name: str) -> SheetKind | None:
    folded = fold(name)
    for kind, label in SHEET_TITLES.items():
        words = {fold(w) for w in (kind.value, label.vi, label.en, *label.aliases)}
        if folded in words or any(folded.startswith(w + " ") or folded.endswith(" " + w) for w in words):
            return kind
    return None


def kind_from_headers(headers: Sequence[str]) -> SheetKind | None:
    """The kind whose marker columns the headers name most; None when none is named.

    A sheet of nothing but unit codes and names is a list of units.
    """
    scores = {kind: sum(1 for h in headers if match_header(kind, h) in markers) for kind, markers in _MARKERS.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        named = {match_header(SheetKind.UNITS, h) for h in headers if h}
        return SheetKind.UNITS if {"unit_code", "unit_name"} <= named else None
    if list(scores.values()).count(scores[best]) > 1:
        return None
    return best


def header_score(headers: Sequence[str]) -> int:
    """How many cells of a row name a column of any kind: the header row scores highest."""
    return max(sum(1 for h in headers if h and match_header(kind, h)) for kind in SheetKind)
