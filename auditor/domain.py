"""The vocabulary of the audit: categories, unit kinds, conditions, statuses.

Each enum value is the stable key that scripts, JSON and the database use; the labels are what
a person reads on a Vietnamese or English sheet.  Pure: no I/O.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from dataclasses import dataclass


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics and collapse punctuation to single spaces.

    "Loại thiết bị" and "loai thiet bi" and "LOẠI  THIẾT-BỊ" all fold to "loai thiet bi", so a
    header typed with or without diacritics, in any case, matches the same key.
    """
    if not text.isascii():  # most cells are (hostnames, serials, addresses): nothing to strip
        text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", text.lower()).strip()


_NOT_WORD = re.compile(r"[^0-9a-z]+")


VENDOR_SYNONYMS = {"hewlett": "hp"}  # "Hewlett-Packard" is HP


def vendor_key(vendor: str | None) -> str:
    """A vendor as one word for comparing: "Cisco Systems, Inc." and "cisco" are "cisco"."""
    words = fold(vendor or "").split()
    return VENDOR_SYNONYMS.get(words[0], words[0]) if words else ""


def tag_key(asset_tag: str | None) -> str | None:
    """What makes two asset tags the same tag: case, diacritics and punctuation aside."""
    return fold(asset_tag) or None if asset_tag else None


def serial_key(vendor: str | None, serial: str | None) -> str | None:
    """What makes two serials the same device: a serial is unique within its vendor."""
    folded = fold(serial) if serial else ""
    return f"{vendor_key(vendor)}:{folded}" if folded else None


@dataclass(frozen=True)
class Label:
    vi: str
    en: str
    aliases: tuple[str, ...] = ()

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


class Category(enum.StrEnum):
    DESKTOP = "desktop"
    LAPTOP = "laptop"
    PRINTER = "printer"
    SCANNER = "scanner"
    SHREDDER = "shredder"
    COPIER = "copier"
    PHONE = "phone"
    SWITCH = "switch"
    ROUTER = "router"
    FIREWALL = "firewall"
    ACCESS_POINT = "access_point"
    UPS = "ups"
    VC_ENDPOINT = "vc_endpoint"
    SERVER = "server"
    NAS = "nas"
    CAMERA = "camera"
    PROJECTOR = "projector"
    OTHER = "other"


# The devices whose ARP, forwarding and LLDP/CDP tables show the endpoints around them.
NETWORK_CATEGORIES = frozenset({Category.ROUTER, Category.SWITCH, Category.FIREWALL, Category.ACCESS_POINT})

# Names and units of measure (đơn vị tính) as DOMAIN.md gives them.
CATEGORY_LABELS: dict[Category, Label] = {
    Category.DESKTOP: Label(
        "Máy vi tính để bàn",
        "Desktop computer",
        ("may tinh de ban", "pc", "may tinh", "may tinh ban", "may ban", "bo may tinh", "may tinh dong bo", "desktop"),
    ),
    Category.LAPTOP: Label(
        "Máy vi tính xách tay / máy tính bảng",
        "Laptop / tablet",
        ("may tinh xach tay", "may tinh bang", "may xach tay", "laptop", "notebook", "tablet", "ipad"),
    ),
    Category.PRINTER: Label("Máy in", "Printer", ("may in laser", "may in mau", "may in phun", "may in kim")),
    Category.SCANNER: Label(
        "Máy scan tài liệu", "Document scanner", ("may scan", "may quet", "may quet tai lieu", "scanner")
    ),
    Category.SHREDDER: Label("Máy hủy tài liệu", "Shredder", ("may huy",)),
    Category.COPIER: Label(
        "Máy photocopy / máy đa chức năng",
        "Photocopier / multi-function device",
        ("may photocopy", "photocopy", "may photo", "may da chuc nang", "may in da chuc nang", "may in da nang", "mfp"),
    ),
    Category.PHONE: Label(
        "Điện thoại cố định",
        "Desk phone",
        ("dien thoai", "dien thoai ban", "may dien thoai", "telephone", "ip phone", "dien thoai ip"),
    ),
    Category.SWITCH: Label("Thiết bị chuyển mạch (switch)", "Switch", ("thiet bi chuyen mach", "bo chuyen mach")),
    Category.ROUTER: Label("Thiết bị định tuyến (router)", "Router", ("thiet bi dinh tuyen", "bo dinh tuyen", "modem")),
    Category.FIREWALL: Label("Tường lửa (firewall)", "Firewall", ("tuong lua",)),
    Category.ACCESS_POINT: Label(
        "Thiết bị phát Wi-Fi (access point)",
        "Wi-Fi access point",
        ("access point", "wifi", "thiet bi phat wifi", "bo phat wifi", "cuc phat wifi", "ap"),
    ),
    Category.UPS: Label("Bộ lưu điện (UPS)", "UPS", ("bo luu dien", "luu dien", "may luu dien")),
    Category.VC_ENDPOINT: Label(
        "Thiết bị hội nghị truyền hình", "Video-conference endpoint", ("hoi nghi truyen hinh", "video conference", "vc")
    ),
    Category.SERVER: Label("Máy chủ", "Server", ("may chu",)),
    Category.NAS: Label("Thiết bị lưu trữ", "Storage (NAS)", ("thiet bi luu tru", "luu tru", "storage")),
    Category.CAMERA: Label("Camera", "Camera / NVR", ("nvr", "dau ghi", "dau ghi hinh", "camera ip")),
    Category.PROJECTOR: Label("Máy chiếu", "Projector", ("may chieu",)),
    Category.OTHER: Label("Khác", "Other", ("khac",)),
}

CATEGORY_UNITS: dict[Category, Label] = {
    Category.DESKTOP: Label("bộ", "set"),
    Category.LAPTOP: Label("chiếc", "piece"),
    Category.VC_ENDPOINT: Label("bộ", "set"),
    Category.PRINTER: Label("chiếc", "piece"),
    Category.SCANNER: Label("chiếc", "piece"),
    Category.SHREDDER: Label("chiếc", "piece"),
    Category.COPIER: Label("chiếc", "piece"),
    Category.PHONE: Label("chiếc", "piece"),
}


def category_unit(category: Category) -> Label:
    return CATEGORY_UNITS.get(category, Label("cái", "piece"))


class UnitKind(enum.StrEnum):
    PARTY_BOARD = "party_board"
    FATHERLAND_FRONT = "fatherland_front"
    SOCIO_POLITICAL = "socio_political"
    COMMUNE_COMMITTEE = "commune_committee"
    WARD_COMMITTEE = "ward_committee"
    OTHER = "other"


UNIT_KIND_LABELS: dict[UnitKind, Label] = {
    UnitKind.PARTY_BOARD: Label(
        "Ban, cơ quan Đảng cấp tỉnh",
        "Provincial Party board / office",
        ("ban dang", "co quan dang", "van phong tinh uy", "ban"),
    ),
    UnitKind.FATHERLAND_FRONT: Label(
        "Ủy ban MTTQ", "Fatherland Front", ("mttq", "mat tran to quoc", "uy ban mat tran to quoc")
    ),
    UnitKind.SOCIO_POLITICAL: Label(
        "Tổ chức chính trị - xã hội", "Socio-political organisation", ("to chuc chinh tri xa hoi", "doan the")
    ),
    UnitKind.COMMUNE_COMMITTEE: Label("Đảng ủy xã", "Commune Party committee", ("xa", "dang uy xa", "commune")),
    UnitKind.WARD_COMMITTEE: Label("Đảng ủy phường", "Ward Party committee", ("phuong", "dang uy phuong", "ward")),
    UnitKind.OTHER: Label("Khác", "Other", ("khac",)),
}


class Condition(enum.StrEnum):
    GOOD = "good"
    DEGRADED = "degraded"
    BROKEN = "broken"
    UNKNOWN = "unknown"


CONDITION_LABELS: dict[Condition, Label] = {
    Condition.GOOD: Label("Tốt", "Good", ("dang su dung", "binh thuong", "con tot", "hoat dong tot", "ok", "working")),
    Condition.DEGRADED: Label(
        "Xuống cấp", "Degraded", ("hong nhe", "cham", "yeu", "xuong cap hong nhe", "fair", "poor")
    ),
    Condition.BROKEN: Label("Hỏng", "Broken", ("hu hong", "hong khong su dung duoc", "khong hoat dong", "failed")),
    Condition.UNKNOWN: Label("Chưa rõ", "Unknown", ("khong ro", "chua xac dinh")),
}


class DeviceStatus(enum.StrEnum):
    """Where a device is in its life; reachability is tracked apart from this."""

    ACTIVE = "active"
    SPARE = "spare"
    RETIRED = "retired"


STATUS_LABELS: dict[DeviceStatus, Label] = {
    # Short, to fit the printed register's narrow column; the long forms are read too.
    DeviceStatus.ACTIVE: Label("Đang dùng", "In service", ("dang su dung", "su dung", "in use")),
    DeviceStatus.SPARE: Label("Dự phòng", "Spare", ("du tru",)),
    DeviceStatus.RETIRED: Label("Thanh lý", "Retired", ("da thanh ly", "ngung su dung", "disposed")),
}


class RunKind(enum.StrEnum):
    IMPORT = "import"
    SCAN = "scan"
    POLL = "poll"
    LINKS = "links"
    AUDIT = "audit"
    EXPORT = "export"


class RunOutcome(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process ended (killed, crashed) before the run did


class FindingKind(enum.StrEnum):
    OVER_AGE = "over_age"
    UNKNOWN_AGE = "unknown_age"
    AGE_TO_VERIFY = "age_to_verify"  # the register's date cannot be right
    UNREACHABLE = "unreachable"
    FREQUENT_REBOOTS = "frequent_reboots"
    UNREGISTERED = "unregistered"
    MISSING = "missing"
    LINK_CONGESTED = "link_congested"
    LINK_WARNING = "link_warning"
    LINK_INSUFFICIENT_DATA = "link_insufficient_data"


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class SnmpVersion(enum.StrEnum):
    V1 = "1"
    V2C = "2c"
    V3 = "3"


class AgeSource(enum.StrEnum):
    """Where a device's age comes from, best evidence first."""

    REGISTER = "register"  # the register's in-service date
    ENTITY_MIB = "entity_mib"  # the manufacture date the device reported
    MODEL_CATALOG = "model_catalog"  # the model's release year: an estimate
    OS_LOWER_BOUND = "os_lower_bound"  # the last year its Windows was sold: "at least"
    FIRST_SEEN = "first_seen"  # when auditor first saw it on the network: "at least"


class Verdict(enum.StrEnum):
    """The congestion test's conclusion on a link."""

    OK = "ok"
    WARNING = "warning"
    CONGESTED = "congested"
    INSUFFICIENT_DATA = "insufficient_data"


def _canonical(folded: str) -> str:
    """One spelling for the words clerks write two ways: "máy vi tính" is "máy tính"."""
    return re.sub(r"\bvi tinh\b", "tinh", re.sub(r"\bwi fi\b", "wifi", folded))


def name_variants(text: str) -> list[str]:
    """The folded ways a name may be written: whole, without its bracketed part, the bracketed word
    alone, and each alternative of "A / B" ("Máy vi tính xách tay / máy tính bảng" gives "may tinh
    xach tay" and "may tinh bang"; "Thiết bị định tuyến (router)" gives "router")."""
    plain = re.sub(r"\([^)]*\)", " ", text)
    parts = [text, plain, *re.findall(r"\(([^)]*)\)", text), *re.split(r"[/;|]", plain)]
    found: list[str] = []
    for part in parts:
        folded = _canonical(fold(part))
        if folded and folded not in found:
            found.append(folded)
    return found


def _lookup_table(labels: dict[enum.StrEnum, Label]) -> dict[str, enum.StrEnum]:
    table: dict[str, enum.StrEnum] = {}
    for member, label in labels.items():
        for word in (member.value, label.vi, label.en, *label.aliases):
            for variant in name_variants(word):
                table.setdefault(variant, member)
    return table


def _look_up(table: dict[str, enum.StrEnum], text: str) -> enum.StrEnum | None:
    """The member a name means: the whole name, else the one member all its variants agree on."""
    variants = name_variants(text)
    if not variants:
        return None
    if variants[0] in table:
        return table[variants[0]]
    hits = {table[v] for v in variants[1:] if v in table}
    return hits.pop() if len(hits) == 1 else None


_CATEGORY_BY_WORD = _lookup_table(CATEGORY_LABELS)  # type: ignore[arg-type]
_UNIT_KIND_BY_WORD = _lookup_table(UNIT_KIND_LABELS)  # type: ignore[arg-type]
_CONDITION_BY_WORD = _lookup_table(CONDITION_LABELS)  # type: ignore[arg-type]
_STATUS_BY_WORD = _lookup_table(STATUS_LABELS)  # type: ignore[arg-type]
_SNMP_VERSION_BY_WORD = {
    "1": SnmpVersion.V1,
    "v1": SnmpVersion.V1,
    "2": SnmpVersion.V2C,
    "2c": SnmpVersion.V2C,
    "v2c": SnmpVersion.V2C,
    "v2": SnmpVersion.V2C,
    "3": SnmpVersion.V3,
    "v3": SnmpVersion.V3,
}


@functools.lru_cache(maxsize=4096)  # a register names a few categories 100,000 times
def parse_category(text: str) -> Category | None:
    """The category a sheet names, by key, Vietnamese or English name; None if unknown."""
    hit = _look_up(_CATEGORY_BY_WORD, text)
    return Category(hit) if hit is not None else None


@functools.lru_cache(maxsize=4096)
def parse_unit_kind(text: str) -> UnitKind | None:
    hit = _look_up(_UNIT_KIND_BY_WORD, text)
    return UnitKind(hit) if hit is not None else None


@functools.lru_cache(maxsize=4096)
def parse_condition(text: str) -> Condition | None:
    hit = _look_up(_CONDITION_BY_WORD, text)
    return Condition(hit) if hit is not None else None


@functools.lru_cache(maxsize=4096)
def parse_status(text: str) -> DeviceStatus | None:
    hit = _look_up(_STATUS_BY_WORD, text)
    return DeviceStatus(hit) if hit is not None else None


def parse_snmp_version(text: str) -> SnmpVersion | None:
    return _SNMP_VERSION_BY_WORD.get(fold(text).replace(" ", ""))
