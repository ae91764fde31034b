"""What the procurement documents show, typed: the plan and the details that back every line, built
from the register's views, the devices' ages and the links' verdicts.  Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.domain import Condition, DeviceStatus, Verdict
from auditor.facts import Age, DeviceView, LinkView, UnitView
from auditor.procurement.plan import Plan, PlanDevice, PlanLink, PlanUnit
from auditor.rules.age import basis_vi, over_age
from auditor.settings import AgeSettings, Settings
from auditor.traffic import LinkVerdict


@dataclass(frozen=True)
class DeviceAgeRow:
    unit_code: str | None
    unit_name: str | None
    label: str
    category: str | None
    model: str | None
    serial: str | None
    year: int | None
    age_years: float | None
    source: str | None
    basis: str | None
    over_age: bool | None  # None: unknown


@dataclass(frozen=True)
class Register:
    """What the plan needs of the register, read once: the units with their devices, and every
    device's age evidence."""

    units: tuple[PlanUnit, ...]
    ages: tuple[DeviceAgeRow, ...]


@dataclass(frozen=True)
class ProcurementData:
    """Everything the procurement workbook shows: the plan and the details that back every line."""

    plan: Plan
    units: tuple[PlanUnit, ...]
    verdicts: tuple[LinkVerdict, ...]
    ages: tuple[DeviceAgeRow, ...]  # every device judged, with its age evidence
    generated_at: dt.datetime


def _age_row(d: DeviceView, age: Age | None, names: dict[str, str], verdict: bool | None) -> DeviceAgeRow:
    return DeviceAgeRow(
        d.unit_code,
        names.get(d.unit_code or ""),
        d.asset_tag or d.hostname or d.ip or d.serial or f"#{d.id}",
        d.category.value if d.category else None,
        d.model,
        d.serial,
        d.in_service_on.year if d.in_service_on else None,
        age.years if age else None,
        age.source.value if age else None,
        age.basis if age else None,
        verdict,
    )


def register_of(
    units: Sequence[UnitView],
    devices: Sequence[tuple[DeviceView, Age | None]],
    links: Sequence[LinkView],
    ages: AgeSettings,
) -> Register:
    """The units with their active devices, for the plan, and every device's age, for the detail sheets."""
    terminals = {link.unit_code for link in links if link.device}
    names = {u.code: u.name for u in units}
    by_unit: dict[str, list[PlanDevice]] = {}
    rows: list[DeviceAgeRow] = []
    for d, age in devices:
        verdict = over_age(age, ages.threshold(d.category))
        row = _age_row(d, age, names, verdict)
        rows.append(row)
        if d.unit_code is None or d.status is not DeviceStatus.ACTIVE:
            continue
        by_unit.setdefault(d.unit_code, []).append(
            PlanDevice(
                d.id,
                d.category,
                row.label,
                working=d.condition is not Condition.BROKEN,
                over_age=verdict is True,
                age_years=age.years if age else None,
                age_basis=basis_vi(age.basis if age else ""),
            )
        )
    plan_units = tuple(
        PlanUnit(
            u.id,
            u.code,
            u.name,
            u.kind.value if u.kind else None,
            u.staff_count,
            tuple(by_unit.get(u.code, [])),
            link_terminal=u.code in terminals,
        )
        for u in units
    )
    return Register(plan_units, tuple(rows))


def plan_links(verdicts: Sequence[LinkVerdict]) -> list[PlanLink]:
    """The links the plan upgrades: the congested ones and those in warning."""
    return [
        PlanLink(
            v.unit_code,
            v.name,
            v.judgement.verdict.value,
            max(v.judgement.capacity_down_mbps, v.judgement.capacity_up_mbps),
            v.judgement.recommended_mbps,
            v.justification_vi,
        )
        for v in verdicts
        if v.judgement.verdict in (Verdict.CONGESTED, Verdict.WARNING)
    ]


def settings_rows(settings: Settings, data: ProcurementData) -> list[tuple[str, str]]:
    """What the audit used, for the workbook's settings sheet: the document must be traceable."""
    rows = [
        ("Lập lúc / generated at", data.generated_at.isoformat(timespec="seconds")),
        ("Tỉnh / province", settings.province),
        ("Ngưỡng tuổi / age threshold (years)", f"{settings.age.threshold_years:g}"),
        *((f"Ngưỡng tuổi: {c.value}", f"{v:g}") for c, v in settings.age.per_category.items()),
        ("Đường truyền: cửa sổ / window (days)", f"{settings.links.window_days:g}"),
        ("Đường truyền: phân vị / percentile", f"{settings.links.percentile:g}"),
        ("Đường truyền: quá tải / congested above (%)", f"{settings.links.congested_pct:g}"),
        ("Đường truyền: cảnh báo / warning from (%)", f"{settings.links.warning_pct:g}"),
        ("Đường truyền: mục tiêu sau nâng cấp / target (%)", f"{settings.links.target_pct:g}"),
        ("Đường truyền: các mức băng thông / tiers (Mbps)", ", ".join(f"{t:g}" for t in settings.links.tiers_mbps)),
    ]
    rows += [(f"Đơn giá / price: {c.value}", f"{p.vnd:,} VND — {p.source}") for c, p in settings.catalog.prices.items()]
    rows += [
        (f"Định mức / norm: {name}", f"1 / {n.staff_per_item} — {n.source}")
        for name, n in settings.catalog.norms.items()
    ]
    rows += [
        (f"Trang bị tối thiểu / minimum kit: {name}", k.source) for name, k in settings.catalog.minimum_kit.items()
    ]
    rows += [("Ghi chú / note", note) for note in data.plan.notes]
    return rows


PLAN_KEYS = [
    "priority",
    "unit_code",
    "unit_name",
    "kind",
    "category",
    "item",
    "spec",
    "unit_of_measure",
    "quantity",
    "unit_price_vnd",
    "amount_vnd",
    "reason",
    "note",
    "device_ids",
]


def plan_records(plan: Plan) -> list[dict[str, Any]]:
    """The plan's lines as flat records, for the CSV and JSON exports (the keys are PLAN_KEYS)."""
    return [
        {key: getattr(line, key) for key in PLAN_KEYS} | {"kind": line.kind.value, "device_ids": list(line.device_ids)}
        for line in plan.lines
    ]
