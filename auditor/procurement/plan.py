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

from auditor.domain import Category
from auditor.settings import Catalog, KitItem, Norm


class LineKind(enum.StrEnum):
    LINK_UPGRADE = "link_upgrade"
    REPLACEMENT = "replacement"
    SHORTFALL = "shortfall"
    MINIMUM_KIT = "minimum_kit"


# The order of the units in the list: the provincial bodies, then the communes and wards.
KIND_ORDER = {
    "party_board": 0,
    "fatherland_front": 1,
    "socio_political": 2,
    "commune_committee": 3,
    "ward_committee": 3,
}

# Lower is more urgent: a full link stops a unit's work; then worn-out equipment; then gaps.
PRIORITY = {LineKind.LINK_UPGRADE: 1, LineKind.REPLACEMENT: 2, LineKind.SHORTFALL: 3, LineKind.MINIMUM_KIT: 4}


@dataclass(frozen=True)
class PlanDevice:
    device_id: int
    category: Category | None
    label: str  # asset tag or hostname: what the reason cites
    working: bool  # not broken, active
    over_age: bool
    age_years: float | None = None


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
    provider: str | None = None
    p95_in_pct: float | None = None
    p95_out_pct: float | None = None
    days: float | None = None


@dataclass(frozen=True)
class Reason:
    """Why a line is proposed, as data: the documents put it into words in the reader's language
    (procurement/texts.py), the evidence itself is in the detail sheets."""

    labels: tuple[str, ...] = ()  # replacement: the devices replaced, oldest first
    over_age: int = 0  # replacement: how many are over age …
    broken: int = 0  # … and how many broken
    min_age_years: float | None = None  # replacement: the youngest over-age one replaced
    staff: int | None = None  # shortfall: the unit's staff …
    allowed: int | None = None  # … what the norm allows for them …
    have: int | None = None  # … and what works
    source: str = ""  # the norm, kit rule or tariff cited
    link: PlanLink | None = None  # link_upgrade: its measurements


@dataclass(frozen=True)
class Line:
    unit_code: str
    unit_name: str
    kind: LineKind
    category: str  # a Category value, or "link"
    spec: str  # Thông số kỹ thuật: the catalog's minimum specification, or the link's new tier
    quantity: int
    unit_price_vnd: int | None  # None: to be quoted
    reason: Reason
    priority: int = 0
    device_ids: tuple[int, ...] = ()
    checked: bool = True  # False: a figure it rests on is still to be checked (see Plan.to_check)

    @property
    def amount_vnd(self) -> int | None:
        return None if self.unit_price_vnd is None else self.quantity * self.unit_price_vnd


@dataclass(frozen=True)
class Plan:
    lines: tuple[Line, ...]
    notes: tuple[Note, ...] = field(default=())

    def total_vnd(self, unit_code: str | None = None) -> int:
        totals = self.totals_by_unit()
        return sum(totals.values()) if unit_code is None else totals.get(unit_code, 0)

    def totals_by_unit(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.unit_code] = totals.get(line.unit_code, 0) + (line.amount_vnd or 0)
        return totals

    def unpriced(self) -> int:
        """How many lines are to be quoted, and so outside the total."""
        return sum(1 for line in self.lines if line.unit_price_vnd is None)


class NoteKind(enum.StrEnum):
    CAPPED = "capped"  # more to replace than the norm allows
    NO_STAFF = "no_staff"  # no staff count: no shortfall computed
    NO_TIER = "no_tier"  # a congested link no catalog tier would relieve
    NO_DEVICES = "no_devices"  # no device in the register: every shortfall is the whole norm


@dataclass(frozen=True)
class Note:
    """Something the Office must look at before signing: it goes to the sheet of items to check,
    never into the signed list."""

    kind: NoteKind
    unit_code: str
    subject: str = ""  # the category or link concerned
    figures: tuple[float, ...] = ()  # capped: (to replace, allowed, staff, still working, replaced)


def _price(catalog: Catalog, category: Category) -> int | None:
    price = catalog.prices.get(category)
    return price.vnd if price else None


def _norm_for(catalog: Catalog, category: Category) -> Norm | None:
    return next((norm for norm in catalog.norms.values() if category in norm.categories), None)


def _line(unit: PlanUnit, kind: LineKind, category: Category, quantity: int, catalog: Catalog, **more: Any) -> Line:
    price = catalog.prices.get(category)
    checked = more.pop("checked", True) and (price is None or price.checked)
    return Line(
        unit.code,
        unit.name,
        kind,
        category.value,
        price.spec if price else "",
        quantity,
        price.vnd if price else None,
        checked=checked,
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
    unit: PlanUnit, catalog: Catalog, replace_broken: bool, notes: list[Note]
) -> tuple[list[Line], dict[Category, int]]:
    """Replacements, capped by the norm where one applies: never more than the staff may have."""
    lines: list[Line] = []
    replaced: dict[Category, int] = {}
    by_category = _worn(unit, catalog, replace_broken)
    for category in sorted(by_category, key=lambda c: c.value):
        worn = sorted(by_category[category], key=lambda d: (-(d.age_years or 0), d.label))
        norm = _norm_for(catalog, category)
        if norm is not None and unit.staff_count is not None:
            allowed = math.ceil(unit.staff_count / norm.staff_per_item)
            keep = sum(1 for d in unit.devices if d.category in norm.categories and d.working and not d.over_age)
            room = max(0, allowed - keep - sum(replaced.get(c, 0) for c in norm.categories))
            if len(worn) > room:
                figures = (len(worn), allowed, unit.staff_count, keep, room)
                notes.append(Note(NoteKind.CAPPED, unit.code, category.value, figures))
                worn = worn[:room]
        if not worn:
            continue
        replaced[category] = len(worn)
        over = [d for d in worn if d.over_age]
        reason = Reason(
            labels=tuple(d.label for d in worn),
            over_age=len(over),
            broken=len(worn) - len(over),
            min_age_years=min(d.age_years or 0 for d in over) if over else None,
        )
        ids = tuple(d.device_id for d in worn)
        checked = norm is None or norm.checked
        lines.append(
            _line(
                unit, LineKind.REPLACEMENT, category, len(worn), catalog, reason=reason, device_ids=ids, checked=checked
            )
        )
    return lines, replaced


def _shortfalls(unit: PlanUnit, catalog: Catalog, replaced: dict[Category, int], notes: list[Note]) -> list[Line]:
    """Shortfalls against the norms, counting what works and what the replacements bring."""
    if unit.staff_count is None:
        notes.append(Note(NoteKind.NO_STAFF, unit.code))
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
        reason = Reason(staff=unit.staff_count, allowed=allowed, have=have, source=rule.source)
        lines.append(_line(unit, LineKind.SHORTFALL, category, missing, catalog, reason=reason, checked=rule.checked))
    return lines


def plan_unit(unit: PlanUnit, catalog: Catalog, replace_broken: bool = False) -> tuple[list[Line], list[Note]]:
    """The lines and notes for one unit: replacements, shortfalls, then the minimum kit of its kind."""
    notes: list[Note] = []
    if not unit.devices:
        notes.append(Note(NoteKind.NO_DEVICES, unit.code))
    lines, replaced = _replacements(unit, catalog, replace_broken, notes)
    lines += _shortfalls(unit, catalog, replaced, notes)
    for item in sorted(catalog.minimum_kit.values(), key=lambda i: i.category.value):
        if not _kit_applies(item, unit):
            continue
        if any(d.category is item.category and d.working for d in unit.devices):
            continue
        reason = Reason(source=item.source)
        lines.append(_line(unit, LineKind.MINIMUM_KIT, item.category, 1, catalog, reason=reason, checked=item.checked))
    return lines, notes


def _kit_applies(item: KitItem, unit: PlanUnit) -> bool:
    if item.unit_kinds and unit.kind not in item.unit_kinds:
        return False
    return item.when == "always" or (item.when == "link_terminal" and unit.link_terminal)


def _link_line(link: PlanLink, unit_name: str, recommended: float, catalog: Catalog) -> Line:
    """An upgrade for links.upgrade_months months at the new tier's monthly price (or to be quoted)."""
    tariff = catalog.link_price(link.provider, recommended)
    provider = f"{link.provider}: " if link.provider else ""
    return Line(
        link.unit_code,
        unit_name,
        LineKind.LINK_UPGRADE,
        "link",
        f"{provider}{link.name}, {link.capacity_mbps:g} → {recommended:g} Mbps",
        catalog.link_months,
        tariff.vnd_per_month if tariff else None,
        Reason(source=tariff.source if tariff else "", link=link),
        checked=tariff is None or tariff.checked,
    )


def plan(units: Sequence[PlanUnit], links: Sequence[PlanLink], catalog: Catalog, replace_broken: bool = False) -> Plan:
    """The whole plan: every unit's lines, then link upgrades, ordered by unit and urgency."""
    lines: list[Line] = []
    notes: list[Note] = []
    names = {u.code: u.name for u in units}
    for unit in units:
        found, said = plan_unit(unit, catalog, replace_broken)
        lines.extend(found)
        notes.extend(said)
    for link in links:
        if link.recommended_mbps is None:
            notes.append(Note(NoteKind.NO_TIER, link.unit_code, link.name))
            continue
        lines.append(_link_line(link, names.get(link.unit_code, link.unit_code), link.recommended_mbps, catalog))
    rank = {u.code: (KIND_ORDER.get(u.kind or "", len(KIND_ORDER)), u.code) for u in units}
    ordered = sorted(
        lines,
        key=lambda line: (
            rank.get(line.unit_code, (len(KIND_ORDER), line.unit_code)),
            PRIORITY[line.kind],
            line.category,
        ),
    )
    return Plan(tuple(_with_priority(ordered)), tuple(notes))


def _with_priority(lines: list[Line]) -> list[Line]:
    """Number the lines by urgency across the whole plan (1 = first to fund), stable for equal ones."""
    rank = {
        id(line): i
        for i, line in enumerate(sorted(lines, key=lambda x: (PRIORITY[x.kind], x.unit_code, x.category)), start=1)
    }
    return [replace(line, priority=rank[id(line)]) for line in lines]
