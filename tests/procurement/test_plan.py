"""The plan on a hand-built commune: every line, quantity and total worked out by hand."""

from __future__ import annotations

from auditor.config import load_settings
from auditor.domain import Category
from auditor.procurement.plan import LineKind, PlanDevice, PlanLink, PlanUnit, plan

CATALOG = load_settings(environ={}).catalog  # the shipped norms and prices


def devices(category: Category, ages: list[float | None], start: int, over_from: float = 10) -> list[PlanDevice]:
    return [
        PlanDevice(
            start + i,
            category,
            f"TS-{start + i}",
            working=True,
            over_age=age is not None and age > over_from,
            age_years=age,
            age_basis=f"in service {2026 - int(age)}" if age else "",
        )
        for i, age in enumerate(ages)
    ]


COMMUNE = PlanUnit(
    unit_id=1,
    code="XA-A",
    name="Đảng ủy xã A",
    kind="commune_committee",
    staff_count=10,
    link_terminal=True,
    devices=tuple(
        devices(Category.DESKTOP, [16, 14, 12, 3, 4, 5], 1)
        + devices(Category.LAPTOP, [2], 10)
        + devices(Category.PRINTER, [13], 20)
    ),
)
LINK = PlanLink("XA-A", "TSLCD", "congested", 20, 30, "Đường truyền XA-A / TSLCD: … đề nghị nâng lên 30 Mbps.")


def test_a_commune_plan_line_by_line() -> None:
    result = plan([COMMUNE], [LINK], CATALOG)
    rows = [
        (line.kind.value, line.category, line.quantity, line.unit_price_vnd, line.amount_vnd) for line in result.lines
    ]
    assert rows == [
        ("link_upgrade", "link", 1, None, None),
        # Three desktops over 10 years (16, 14, 12): within the norm of 10 computers for 10 staff.
        ("replacement", "desktop", 3, 20_000_000, 60_000_000),
        ("replacement", "printer", 1, 13_000_000, 13_000_000),
        # Norms for 10 staff: 10 computers (4 work + 3 replaced = 7: 3 short), ceil(10/3) = 4 printers
        # (1 replaced: 3 short), ceil(10/15) = 1 copier, scanner and shredder each.
        ("shortfall", "copier", 1, 110_000_000, 110_000_000),
        ("shortfall", "desktop", 3, 20_000_000, 60_000_000),
        ("shortfall", "printer", 3, 13_000_000, 39_000_000),
        ("shortfall", "scanner", 1, 22_000_000, 22_000_000),
        ("shortfall", "shredder", 1, 10_000_000, 10_000_000),
        ("minimum_kit", "ups", 1, 6_000_000, 6_000_000),  # its link ends on a router
        ("minimum_kit", "vc_endpoint", 1, 60_000_000, 60_000_000),  # a commune committee
    ]
    assert result.total_vnd() == 380_000_000 == result.total_vnd("XA-A")
    replacement = result.lines[1]
    assert replacement.reason == (
        "Thay thế 3 máy vi tính để bàn quá 12 năm sử dụng: TS-1 (in service 2010); "
        "TS-2 (in service 2012); TS-3 (in service 2014)"
    )
    assert replacement.device_ids == (1, 2, 3) and replacement.unit_of_measure == "bộ"
    shortfall = next(line for line in result.lines if line.kind is LineKind.SHORTFALL and line.category == "printer")
    assert shortfall.reason.startswith("Thiếu so với định mức: 10 biên chế được 4, hiện có 1 đang sử dụng được (QĐ 15")
    assert result.lines[0].spec == "TSLCD: từ 20 lên 30 Mbps" and result.lines[0].reason == LINK.justification
    # Urgency across the plan: the link first, then the replacements.
    assert [line.priority for line in result.lines[:3]] == [1, 2, 3]


def test_replacements_never_take_a_unit_over_the_norm() -> None:
    small = PlanUnit(
        2,
        "XA-B",
        "Xã B",
        "commune_committee",
        staff_count=2,
        devices=tuple(devices(Category.DESKTOP, [15, 14, 13, 12, 11, 2], 30)),
    )
    result = plan([small], [], CATALOG)
    (replacement,) = [line for line in result.lines if line.kind is LineKind.REPLACEMENT]
    assert (replacement.quantity, replacement.device_ids) == (1, (30,))  # the oldest one
    assert not [line for line in result.lines if line.kind is LineKind.SHORTFALL and line.category == "desktop"]
    assert (
        "XA-B: 5 máy vi tính để bàn to replace, but the norm allows 2 for 2 staff and 1 others still work: "
        "1 replaced" in result.notes
    )


def test_without_a_staff_count_no_shortfall_is_guessed() -> None:
    unknown = PlanUnit(
        3, "XA-C", "Xã C", "party_board", staff_count=None, devices=tuple(devices(Category.DESKTOP, [15], 40))
    )
    result = plan([unknown], [], CATALOG)
    assert [(line.kind.value, line.quantity) for line in result.lines] == [("replacement", 1)]
    assert "XA-C: no staff count in the register, so no shortfall against the norms was computed" in result.notes


def test_broken_devices_only_when_asked_and_plans_are_deterministic() -> None:
    broken = PlanUnit(
        4,
        "XA-D",
        "Xã D",
        "party_board",
        staff_count=1,
        devices=(PlanDevice(50, Category.DESKTOP, "TS-50", working=False, over_age=False, age_years=3),),
    )

    def desktops(replace_broken: bool) -> list[tuple[LineKind, str]]:
        return [
            (line.kind, line.reason)
            for line in plan([broken], [], CATALOG, replace_broken).lines
            if line.category == "desktop"
        ]

    # A broken desktop is not working: by default the norm finds one computer short.
    assert [kind for kind, _ in desktops(False)] == [LineKind.SHORTFALL]
    assert desktops(True) == [(LineKind.REPLACEMENT, "Thay thế 1 máy vi tính để bàn hỏng: TS-50 (hỏng)")]
    assert plan([COMMUNE], [LINK], CATALOG) == plan([COMMUNE], [LINK], CATALOG)
