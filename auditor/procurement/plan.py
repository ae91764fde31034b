"""The investment list (danh mục đầu tư trang thiết bị): what each unit should get, and why.

Pure: the units as the audit sees them, the link verdicts and the catalog come in; the lines of
the plan go out, deterministic (same inputs, same plan).  Four kinds of line, each citing its basis:
- replacement: over-age devices (and, if asked, broken ones) replaced by the same category;
- shortfall: what the norm (Quyết định 15/2025/QĐ-TTg) allows for the unit's staff, minus what it
  has that works; fractions round up, and no line ever takes a unit over the norm;
- minimum_kit: what every unit of a kind must have (a UPS at a link terminal, a video-conference
  set for a commune committee), where it has none;
- link_upgrade: a congested or warning link, to the tier its measurements call for.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.domain import CATEGORY_LABELS, Category, category_unit
from auditor.settings import Catalog, KitItem


class LineKind(enum.StrEnum):
    LINK_UPGRADE = "link_upgrade"
    REPLACEMENT = "replacement"
    SHORTFALL = "shortfall"
    MINIMUM_KIT = "minimum_kit"


# Lower is more urgent: a full link stops a unit's work; then worn-out equipment; then gaps.
PRIORITY = {LineKind.LINK_UPGRADE: 1, LineKind.REPLACEMENT: 2, LineKind.SHORTFALL: 3, LineKind.MINIMUM_KIT: 4}


@dataclass(frozen=True)
class PlanDevice:
    device_id: int
    category: Category | None
    label: str  # asset tag or hostname: what the basis cites
    working: bool  # not broken, active
    over_age: bool
    age_years: float | None = None
    age_basis: str = ""


@dataclass(frozen=True)
class PlanUnit:
    unit_id: int
    code: str
    name: str
    kind: str | None
    staff_count: int | None
    devices: tuple[PlanDevice, ...] = ()
    link_terminal: bool = False  # its link ends on a registered router


@dataclass(frozen=True)
class PlanLink:
    unit_code: str
    name: str
    verdict: str  # congested or warning
    capacity_mbps: float
    recommended_mbps: float | None
    justification: str


@dataclass(frozen=True)
class Line:
    unit_code: str
    unit_name: str
    kind: LineKind
    category: str  # a Category value, or "link"
    item: str  # Tên thiết bị
    spec: str  # Thông số / cấu hình
    unit_of_measure: str
    quantity: int
    unit_price_vnd: int | None  # None: to be quoted
    reason: str  # Lý do / căn cứ
    note: str = ""
    priority: int = 0
    device_ids: tuple[int, ...] = ()

    @property
    def amount_vnd(self) -> int | None:
        return None if self.unit_price_vnd is None else self.quantity * self.unit_price_vnd


@dataclass(frozen=True)
class Plan:
    lines: tuple[Line, ...]
    notes: tuple[str, ...] = field(default=())

    def total_vnd(self, unit_code: str | None = None) -> int:
        totals = self.totals_by_unit()
        return sum(totals.values()) if unit_code is None else totals.get(unit_code, 0)

    def totals_by_unit(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.unit_code] = totals.get(line.unit_code, 0) + (line.amount_vnd or 0)
        return totals


def _label(category: Category) -> str:
    return CATEGORY_LABELS[category].vi


def _price(catalog: Catalog, category: Category) -> int | None:
    price = catalog.prices.get(category)
    return price.vnd if price else None


def _norm_for(catalog: Catalog, category: Category) -> tuple[str, int, tuple[Category, ...], str] | None:
    for name, norm in catalog.norms.items():
        if category in norm.categories:
            return name, norm.staff_per_item, norm.categories, norm.source
    return None


SPEC = "Theo tiêu chuẩn, định mức hiện hành"


def _line(
    unit: PlanUnit, kind: LineKind, category: Category, quantity: int, catalog: Catalog, reason: str, **more: Any
) -> Line:
    return Line(
        unit.code,
        unit.name,
        kind,
        category.value,
        _label(category),
        SPEC,
        category_unit(category).vi,
        quantity,
        _price(catalog, category),
        reason,
        **more,
    )


def _worn(unit: PlanUnit, catalog: Catalog, replace_broken: bool) -> dict[Category, list[PlanDevice]]:
    """The devices to replace, by category: over age (or broken, if asked), and priced."""
    by_category: dict[Category, list[PlanDevice]] = {}
    for device in unit.devices:
        if device.category is None or device.category not in catalog.prices:
            continue
        if device.over_age or (replace_broken and not device.working):
            by_category.setdefault(device.category, []).append(device)
    return by_category


def _replacements(
    unit: PlanUnit, catalog: Catalog, replace_broken: bool, notes: list[str]
) -> tuple[list[Line], dict[Category, int]]:
    """Replacements, capped by the norm where one applies: never more than the staff may have."""
    lines: list[Line] = []
    replaced: dict[Category, int] = {}
    by_category = _worn(unit, catalog, replace_broken)
    for category in sorted(by_category, key=lambda c: c.value):
        worn = sorted(by_category[category], key=lambda d: (-(d.age_years or 0), d.label))
        norm = _norm_for(catalog, category)
        if norm is not None and unit.staff_count is not None:
            _, per_item, categories, _ = norm
            allowed = math.ceil(unit.staff_count / per_item)
            keep = sum(1 for d in unit.devices if d.category in categories and d.working and not d.over_age)
            room = max(0, allowed - keep - sum(replaced.get(c, 0) for c in categories))
            if len(worn) > room:
                notes.append(
                    f"{unit.code}: {len(worn)} {_label(category).lower()} to replace, but the norm allows "
                    f"{allowed} for {unit.staff_count} staff and {keep} others still work: {room} replaced"
                )
                worn = worn[:room]
        if not worn:
            continue
        replaced[category] = len(worn)
        why = "; ".join(f"{d.label} ({d.age_basis or 'hỏng'})" for d in worn)
        over = [d for d in worn if d.over_age]
        reason = (
            f"Thay thế {len(worn)} {_label(category).lower()} "
            + (f"quá {min(d.age_years or 0 for d in over):g} năm sử dụng" if over else "hỏng")
            + f": {why}"
        )
        ids = tuple(d.device_id for d in worn)
        lines.append(_line(unit, LineKind.REPLACEMENT, category, len(worn), catalog, reason, device_ids=ids))
    return lines, replaced


def _shortfalls(unit: PlanUnit, catalog: Catalog, replaced: dict[Category, int], notes: list[str]) -> list[Line]:
    """Shortfalls against the norms, counting what works and what the replacements bring."""
    if unit.staff_count is None:
        notes.append(f"{unit.code}: no staff count in the register, so no shortfall against the norms was computed")
        return []
    lines = []
    for _, rule in sorted(catalog.norms.items()):
        allowed = math.ceil(unit.staff_count / rule.staff_per_item)
        have = sum(1 for d in unit.devices if d.category in rule.categories and d.working and not d.over_age)
        have += sum(replaced.get(c, 0) for c in rule.categories)
        missing = allowed - have
        if missing <= 0:
            continue
        category = rule.categories[0]  # a computer short is a desktop: the cheaper of the two
        reason = (
            f"Thiếu so với định mức: {unit.staff_count} biên chế được {allowed}, hiện có {have} "
            f"đang sử dụng được ({rule.source})"
        )
        lines.append(_line(unit, LineKind.SHORTFALL, category, missing, catalog, reason))
    return lines


def plan_unit(unit: PlanUnit, catalog: Catalog, replace_broken: bool = False) -> tuple[list[Line], list[str]]:
    """The lines and notes for one unit: replacements, shortfalls, then the minimum kit of its kind."""
    notes: list[str] = []
    lines, replaced = _replacements(unit, catalog, replace_broken, notes)
    lines += _shortfalls(unit, catalog, replaced, notes)
    for item in sorted(catalog.minimum_kit.values(), key=lambda i: i.category.value):
        if not _kit_applies(item, unit):
            continue
        if any(d.category is item.category and d.working for d in unit.devices):
            continue
        reason = f"Đơn vị chưa có thiết bị đang sử dụng được ({item.source})"
        lines.append(_line(unit, LineKind.MINIMUM_KIT, item.category, 1, catalog, reason))
    return lines, notes


def _kit_applies(item: KitItem, unit: PlanUnit) -> bool:
    if item.unit_kinds and unit.kind not in item.unit_kinds:
        return False
    return item.when == "always" or (item.when == "link_terminal" and unit.link_terminal)


def plan(units: Sequence[PlanUnit], links: Sequence[PlanLink], catalog: Catalog, replace_broken: bool = False) -> Plan:
    """The whole plan: every unit's lines, then link upgrades, ordered by unit and urgency."""
    lines: list[Line] = []
    notes: list[str] = []
    names = {u.code: u.name for u in units}
    for unit in units:
        found, said = plan_unit(unit, catalog, replace_broken)
        lines.extend(found)
        notes.extend(said)
    for link in links:
        if link.recommended_mbps is None:
            notes.append(
                f"{link.unit_code} / {link.name}: {link.verdict}, but no tier in the catalog would do: "
                "a survey is needed"
            )
            continue
        lines.append(
            Line(
                link.unit_code,
                names.get(link.unit_code, link.unit_code),
                LineKind.LINK_UPGRADE,
                "link",
                "Nâng cấp băng thông đường truyền số liệu chuyên dùng",
                f"{link.name}: từ {link.capacity_mbps:g} lên {link.recommended_mbps:g} Mbps",
                "kênh",
                1,
                None,
                link.justification,
                note="Đơn giá theo báo giá của nhà cung cấp dịch vụ",
            )
        )
    ordered = sorted(lines, key=lambda line: (line.unit_code, PRIORITY[line.kind], line.category))
    return Plan(tuple(_with_priority(ordered)), tuple(notes))


def _with_priority(lines: list[Line]) -> list[Line]:
    """Number the lines by urgency across the whole plan (1 = first to fund), stable for equal ones."""
    rank = {
        id(line): i
        for i, line in enumerate(sorted(lines, key=lambda x: (PRIORITY[x.kind], x.unit_code, x.category)), start=1)
    }
    return [replace(line, priority=rank[id(line)]) for line in lines]
