"""The procurement documents' words, in the reader's language (gettext, auditor/i18n.py): what a
line is, why it is proposed, what the Office must check.  Pure: a `Texts` comes in, text goes out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from babel.numbers import format_decimal

from auditor.domain import CATEGORY_LABELS, AgeSource, Category, Verdict, category_unit
from auditor.endpoints import ordered_sources
from auditor.i18n import N_, Texts, number
from auditor.procurement.document import DeviceAgeRow, Outlook
from auditor.procurement.outlook import AGE_BUCKETS, age_pyramid
from auditor.procurement.plan import Line, LineKind, Note, NoteKind, Plan
from auditor.rules.age import basis_text, doubt_text
from auditor.settings import Settings

KIND = {
    LineKind.LINK_UPGRADE: N_("Link upgrade"),
    LineKind.REPLACEMENT: N_("Replacement"),
    LineKind.SHORTFALL: N_("Shortfall against the norm"),
    LineKind.MINIMUM_KIT: N_("Minimum kit"),
}
SOURCE = {
    AgeSource.REGISTER: N_("register"),
    AgeSource.ENTITY_MIB: N_("reported by the device"),
    AgeSource.MODEL_CATALOG: N_("model's release year (estimate)"),
    AgeSource.OS_LOWER_BOUND: N_("operating system (at least)"),
    AgeSource.FIRST_SEEN: N_("first seen on the network (at least)"),
}
VERDICT = {
    Verdict.OK: N_("adequate"),
    Verdict.WARNING: N_("near the limit"),
    Verdict.CONGESTED: N_("congested"),
    Verdict.INSUFFICIENT_DATA: N_("not enough data"),
}
SHOWN_LABELS = 3  # a replacement names its first devices; the detail sheet lists them all


def money(vnd: int, tr: Texts) -> str:
    """An amount as the reader writes it: 20.000.000 đồng, or 20,000,000 VND."""
    return tr("{amount} VND", amount=format_decimal(vnd, locale=tr.lang))


def item(line: Line, tr: Texts) -> str:
    if line.kind is LineKind.LINK_UPGRADE:
        return tr("Bandwidth upgrade of the dedicated data network link")
    return CATEGORY_LABELS[Category(line.category)].text(tr.lang)


def unit_of_measure(line: Line, tr: Texts) -> str:
    if line.kind is LineKind.LINK_UPGRADE:
        return tr("month")
    return category_unit(Category(line.category)).text(tr.lang)


# How a device was seen, in words a clerk reads, the protocol's name kept for the IT staff.
SOURCE_NAMES = {
    "icmp": N_("ping"),
    "snmp": N_("SNMP"),
    "arp": N_("the router (ARP)"),
    "fdb": N_("a switch (FDB)"),
    "lldp": N_("a neighbour (LLDP)"),
    "cdp": N_("a neighbour (CDP)"),
    "netbios": N_("its Windows name (NetBIOS)"),
}


def seen_via(sources: str | Iterable[str] | None, tr: Texts) -> str:
    """How a device was seen, for a person: "seen via ping, SNMP" ("" when nothing saw it)."""
    names = [tr(SOURCE_NAMES[s]) if s in SOURCE_NAMES else s for s in ordered_sources(sources)]
    return tr("seen via {sources}", sources=", ".join(names)) if names else ""


def category_name(category: str | None, tr: Texts) -> str:
    return CATEGORY_LABELS[Category(category)].text(tr.lang) if category else ""


def _labels(labels: tuple[str, ...], tr: Texts) -> str:
    shown = ", ".join(labels[:SHOWN_LABELS])
    more = len(labels) - SHOWN_LABELS
    return shown if more <= 0 else tr.plural("{shown} and {n} other", "{shown} and {n} others", more, shown=shown)


def reason(line: Line, tr: Texts) -> str:
    """Why the line is proposed, short: the evidence is in the detail sheets."""
    r = line.reason
    if line.kind is LineKind.REPLACEMENT:
        parts = []
        if r.over_age:
            years = math.floor(r.min_age_years or 0)
            parts.append(
                tr.plural(
                    "{n} in use {years} years or more", "{n} in use {years} years or more", r.over_age, years=years
                )
            )
        if r.broken:
            parts.append(tr.plural("{n} broken", "{n} broken", r.broken))
        return tr("Replace {what}: {labels}", what=", ".join(parts), labels=_labels(r.labels, tr))
    if line.kind is LineKind.SHORTFALL:
        return tr(
            "Norm: {staff} staff may have {allowed}, {have} in working order ({source})",
            staff=r.staff,
            allowed=r.allowed,
            have=r.have,
            source=r.source,
        )
    if line.kind is LineKind.MINIMUM_KIT:
        return tr("None in working order ({source})", source=r.source)
    link = r.link
    assert link is not None
    return tr(
        "{verdict}: 95th percentile down {down}%, up {up}% of {capacity} Mbps over {days} days",
        verdict=tr(VERDICT[Verdict(link.verdict)]).capitalize(),
        down=number(link.p95_in_pct, tr),
        up=number(link.p95_out_pct, tr),
        capacity=number(link.capacity_mbps, tr),
        days=number(link.days, tr),
    )


def note(line: Line, tr: Texts) -> str:
    return tr(KIND[line.kind])


def to_check(n: Note, tr: Texts) -> str:
    """An item the Office must check before signing, in words."""
    if n.kind is NoteKind.CAPPED:
        worn, allowed, staff, keep, room = (int(f) for f in n.figures)
        return tr(
            "{unit}: {worn} {category} to replace, but the norm allows {allowed} for {staff} staff and "
            "{keep} others still work: {room} proposed",
            unit=n.unit_code,
            worn=worn,
            category=category_name(n.subject, tr).lower(),
            allowed=allowed,
            staff=staff,
            keep=keep,
            room=room,
        )
    if n.kind is NoteKind.NO_DEVICES:
        return tr(
            "{unit}: no device in the register, so every shortfall is the whole norm: import its survey first",
            unit=n.unit_code,
        )
    if n.kind is NoteKind.NO_STAFF:
        return tr(
            "{unit}: no staff count in the register, so no shortfall against the norms was computed", unit=n.unit_code
        )
    return tr(
        "{unit} / {link}: congested, but no bandwidth tier would do: a survey is needed",
        unit=n.unit_code,
        link=n.subject,
    )


def age_source(row: DeviceAgeRow, tr: Texts) -> str:
    return tr(SOURCE[AgeSource(row.source)]) if row.source else ""


def age_basis(row: DeviceAgeRow, tr: Texts) -> str:
    return basis_text(row.source, row.evidence, tr) or (row.basis or "")


def verdict(value: str, tr: Texts) -> str:
    return tr(VERDICT[Verdict(value)])


def plan_records(plan: Plan, tr: Texts) -> list[dict[str, Any]]:
    """The plan's lines as flat records, for the CSV and JSON exports (the keys are PLAN_KEYS)."""
    return [
        {
            "priority": line.priority,
            "unit_code": line.unit_code,
            "unit_name": line.unit_name,
            "kind": line.kind.value,
            "category": line.category,
            "item": item(line, tr),
            "spec": line.spec,
            "unit_of_measure": unit_of_measure(line, tr),
            "quantity": line.quantity,
            "unit_price_vnd": line.unit_price_vnd,
            "amount_vnd": line.amount_vnd,
            "reason": reason(line, tr),
            "note": note(line, tr),
            "checked": line.checked,
            "device_ids": list(line.device_ids),
        }
        for line in plan.lines
    ]


def outlook_record(ahead: Outlook) -> dict[str, Any]:
    """The five-year plan for the JSON export."""
    return {
        "years": list(ahead.years),
        "by_year": [{"year": y, "devices": d, "amount_vnd": a} for y, (d, a) in ahead.by_year().items()],
        "rows": [
            {
                "year": r.year,
                "unit_code": r.unit_code,
                "unit_name": r.unit_name,
                "category": r.category,
                "devices": r.devices,
                "unit_price_vnd": r.unit_price_vnd,
                "amount_vnd": r.amount_vnd,
            }
            for r in ahead.rows
        ],
        "unknown_age": ahead.unknown_age,
    }


def pyramid_record(ages: Sequence[DeviceAgeRow], tr: Texts) -> list[dict[str, Any]]:
    """Today's equipment by age bracket, for the JSON export."""
    labels = [label for label, _, _ in AGE_BUCKETS] + [tr("unknown")]
    return [{"years": label, "devices": n} for label, n in zip(labels, age_pyramid(ages), strict=True)]


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
    "checked",
    "device_ids",
]


def _names(categories: tuple[Category, ...], tr: Texts) -> str:
    return ", ".join(category_name(c, tr).lower() for c in categories)


def _catalog_rows(settings: Settings, tr: Texts) -> list[tuple[str, str, bool]]:
    """Every figure of the catalog the plan used: (what, value and source, checked)."""
    catalog = settings.catalog
    rows = [
        (tr("Price: {category}", category=category_name(c, tr)), f"{money(p.vnd, tr)} — {p.source}", p.checked)
        for c, p in catalog.prices.items()
    ]
    rows += [
        (tr("Norm: {name}", name=_names(n.categories, tr)), f"1 / {n.staff_per_item} — {n.source}", n.checked)
        for n in catalog.norms.values()
    ]
    rows += [
        (tr("Minimum kit: {name}", name=category_name(k.category, tr)), k.source, k.checked)
        for k in catalog.minimum_kit.values()
    ]
    rows += [
        (
            tr("Link price: {provider} {mbps} Mbps", provider=p.provider, mbps=number(p.mbps, tr)),
            f"{money(p.vnd_per_month, tr)} — {p.source}",
            p.checked,
        )
        for p in catalog.link_prices
    ]
    return rows


def settings_rows(settings: Settings, tr: Texts) -> list[tuple[str, str]]:
    """What the audit used, for the workbook's settings sheet: the document must be traceable."""
    links = settings.links
    rows = [
        (tr("Province"), settings.province),
        (tr("Time zone"), settings.timezone),
        (tr("Age threshold (years)"), number(settings.age.threshold_years, tr)),
        *(
            (tr("Age threshold: {category}", category=category_name(c, tr)), number(v, tr))
            for c, v in settings.age.per_category.items()
        ),
        (tr("Links: window (days)"), number(links.window_days, tr)),
        (tr("Links: percentile"), number(links.percentile, tr)),
        (tr("Links: congested above (% of the contract)"), number(links.congested_pct, tr)),
        (tr("Links: warning from (%)"), number(links.warning_pct, tr)),
        (tr("Links: target after an upgrade (%)"), number(links.target_pct, tr)),
        (tr("Links: bandwidth tiers (Mbps)"), ", ".join(number(t, tr) for t in links.tiers_mbps)),
        (tr("Links: an upgrade is priced for (months)"), str(settings.catalog.link_months)),
    ]
    return rows + [(what, value) for what, value, _ in _catalog_rows(settings, tr)]


def checks(notes: Sequence[Note], ages: Sequence[DeviceAgeRow], settings: Settings, tr: Texts) -> list[tuple[str, str]]:
    """What the Office must look at before signing, (subject, what): never in the signed list."""
    rows = [(tr("Plan"), to_check(n, tr)) for n in notes]
    unknown = sum(1 for a in ages if a.over_age is None)
    if unknown:
        rows.append(
            (
                tr("Devices"),
                tr.plural(
                    "{n} device of unknown age: see the sheet of unknown ages",
                    "{n} devices of unknown age: see the sheet of unknown ages",
                    unknown,
                ),
            )
        )
    doubted = [(f"{a.label} ({a.unit_code or '-'})", a.doubt) for a in ages if a.doubt is not None]
    rows += [(tr("Register date to verify: {device}", device=device), doubt_text(age, tr)) for device, age in doubted]
    rows += [
        (tr("Figure not yet checked: {what}", what=what), value) for what, value in unchecked_figures(settings, tr)
    ]
    return rows


def unchecked_figures(settings: Settings, tr: Texts) -> list[tuple[str, str]]:
    """The catalog's figures not yet checked against the official text or a quotation."""
    return [(what, value) for what, value, checked in _catalog_rows(settings, tr) if not checked]
