"""What the procurement documents show, typed: the plan and the details that back every line, built
from the register's views, the devices' ages and the links' verdicts.  Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from auditor.domain import Condition, DeviceStatus, Verdict
from auditor.facts import Age, DeviceView, LinkView, UnitView
from auditor.procurement.plan import Plan, PlanDevice, PlanLink, PlanUnit
from auditor.rules.age import over_age
from auditor.settings import AgeSettings
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
    evidence: tuple[str, ...] = ()  # the figures of `basis`, for a translation (rules.age.basis_text)
    threshold_years: float | None = None
    lower_bound: bool = False
    estimate: bool = False
    doubt: Age | None = None  # the age, when the register's date was not believed (rules.age.doubt_text)
    seen_via: str | None = None  # how the last poll saw it (DeviceView.seen_via)


@dataclass(frozen=True)
class OutlookRow:
    year: int
    unit_code: str
    unit_name: str
    category: str
    devices: int
    unit_price_vnd: int | None  # None: no catalog price (to be quoted)

    @property
    def amount_vnd(self) -> int | None:
        return None if self.unit_price_vnd is None else self.devices * self.unit_price_vnd


@dataclass(frozen=True)
class Outlook:
    years: tuple[int, ...]
    rows: tuple[OutlookRow, ...]  # by year, unit, category
    unknown_age: int  # devices no year can be given for

    def by_year(self) -> dict[int, tuple[int, int]]:
        """Year → (devices crossing, their cost at catalog prices)."""
        found = {year: (0, 0) for year in self.years}
        for row in self.rows:
            devices, amount = found[row.year]
            found[row.year] = (devices + row.devices, amount + (row.amount_vnd or 0))
        return found


@dataclass(frozen=True)
class Register:
    """What the plan needs of the register, read once: the units with their devices, and every
    device's age evidence."""

    units: tuple[PlanUnit, ...]
    ages: tuple[DeviceAgeRow, ...]
    providers: Mapping[tuple[str, str], str | None] = field(default_factory=dict)  # (unit, link) → provider


@dataclass(frozen=True)
class ProcurementData:
    """Everything the procurement workbook shows: the plan and the details that back every line."""

    plan: Plan
    units: tuple[PlanUnit, ...]
    verdicts: tuple[LinkVerdict, ...]
    ages: tuple[DeviceAgeRow, ...]  # every device judged, with its age evidence
    generated_at: dt.datetime
    outlook: Outlook  # the devices that cross the threshold in the next five years
    graphs: Mapping[int, bytes] = field(default_factory=dict)  # link id → the graph (PNG) of a link the plan upgrades
    graphs_left_out: int = 0  # links to upgrade beyond those drawn (a country's workbook draws the worst)


def _age_row(
    d: DeviceView, age: Age | None, names: dict[str, str], verdict: bool | None, threshold: float
) -> DeviceAgeRow:
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
        age.evidence if age else (),
        threshold,
        age.lower_bound if age else False,
        age.estimate if age else False,
        age if age is not None and age.doubt else None,
        d.seen_via,
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
        threshold = ages.threshold(d.category)
        verdict = over_age(age, threshold)
        row = _age_row(d, age, names, verdict, threshold)
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
    providers = {(link.unit_code, link.name): link.provider for link in links}
    return Register(plan_units, tuple(rows), providers)


def plan_links(
    verdicts: Sequence[LinkVerdict], providers: Mapping[tuple[str, str], str | None] | None = None
) -> list[PlanLink]:
    """The links the plan upgrades: the congested ones and those in warning."""
    found = []
    for v in verdicts:
        if v.judgement.verdict not in (Verdict.CONGESTED, Verdict.WARNING):
            continue
        row = v.row()
        found.append(
            PlanLink(
                v.unit_code,
                v.name,
                v.judgement.verdict.value,
                max(v.judgement.capacity_down_mbps, v.judgement.capacity_up_mbps),
                v.judgement.recommended_mbps,
                v.justification_vi,
                (providers or {}).get((v.unit_code, v.name)),
                row["p95_in_pct"],
                row["p95_out_pct"],
                row["days"],
            )
        )
    return found
