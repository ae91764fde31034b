"""The plan on a hand-built commune: every line, quantity and total worked out by hand."""

from __future__ import annotations

from pathlib import Path

from auditor.config import load_settings
from auditor.domain import Category
from auditor.i18n import texts
from auditor.procurement import texts as words
from auditor.procurement.plan import LineKind, NoteKind, PlanDevice, PlanLink, PlanUnit, plan

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
LINK = PlanLink("XA-A", "TSLCD", "congested", 20, 30, "…", provider="VNPT", p95_in_pct=96.25, p95_out_pct=41, days=7)
VI, EN = texts("vi"), texts("en")


def test_a_commune_plan_line_by_line() -> None:
    result = plan([COMMUNE], [LINK], CATALOG)
    rows = [
        (line.kind.value, line.category, line.quantity, line.unit_price_vnd, line.amount_vnd) for line in result.lines
    ]
    assert rows == [
        ("link_upgrade", "link", 12, None, None),  # 12 months of the new tier, to be quoted (no tariff)
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
    assert words.reason(replacement, VI) == "Thay thế 3 thiết bị đã sử dụng từ 12 năm trở lên: TS-1, TS-2, TS-3"
    assert words.reason(replacement, EN) == "Replace 3 in use 12 years or more: TS-1, TS-2, TS-3"
    assert replacement.device_ids == (1, 2, 3) and words.unit_of_measure(replacement, VI) == "bộ"
    assert replacement.spec == CATALOG.prices[Category.DESKTOP].spec != ""  # the catalog's minimum specification
    shortfall = next(line for line in result.lines if line.kind is LineKind.SHORTFALL and line.category == "printer")
    assert words.reason(shortfall, VI).startswith("Định mức: 10 người được 4, hiện có 1 dùng được (QĐ 15")
    link = result.lines[0]
    assert link.spec == "VNPT: TSLCD, 20 → 30 Mbps"
    assert words.reason(link, VI) == "Quá tải: phân vị 95 tải xuống 96,3%, tải lên 41% của 20 Mbps trong 7 ngày"
    assert words.reason(link, EN) == "Congested: 95th percentile down 96.3%, up 41% of 20 Mbps over 7 days"
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
    (note,) = result.notes
    assert (note.kind, note.unit_code, note.subject) == (NoteKind.CAPPED, "XA-B", "desktop")
    assert words.to_check(note, EN) == (
        "XA-B: 5 desktop computer to replace, but the norm allows 2 for 2 staff and 1 others still work: 1 proposed"
    )


def test_without_a_staff_count_no_shortfall_is_guessed() -> None:
    unknown = PlanUnit(
        3, "XA-C", "Xã C", "party_board", staff_count=None, devices=tuple(devices(Category.DESKTOP, [15], 40))
    )
    result = plan([unknown], [], CATALOG)
    assert [(line.kind.value, line.quantity) for line in result.lines] == [("replacement", 1)]
    assert [words.to_check(note, VI) for note in result.notes] == [
        "XA-C: sổ đăng ký chưa có số biên chế, nên chưa tính phần thiếu so với định mức"
    ]


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
            (line.kind, words.reason(line, VI))
            for line in plan([broken], [], CATALOG, replace_broken).lines
            if line.category == "desktop"
        ]

    # A broken desktop is not working: by default the norm finds one computer short.
    assert [kind for kind, _ in desktops(False)] == [LineKind.SHORTFALL]
    assert desktops(True) == [(LineKind.REPLACEMENT, "Thay thế 1 thiết bị hỏng: TS-50")]
    assert plan([COMMUNE], [LINK], CATALOG) == plan([COMMUNE], [LINK], CATALOG)


def test_link_upgrades_are_priced_from_the_tariff_of_their_provider() -> None:
    from dataclasses import replace

    from auditor.settings import LinkPrice

    tariff = (LinkPrice("*", 30, 900_000, "bảng giá chung"), LinkPrice("vnpt", 30, 800_000, "Báo giá VNPT số 12"))
    priced = plan([COMMUNE], [LINK], replace(CATALOG, link_prices=tariff, link_months=6))
    link = priced.lines[0]
    # The provider's own price beats the one for any provider; 6 months of the new 30 Mbps tier.
    assert (link.quantity, link.unit_price_vnd, link.amount_vnd, link.reason.source) == (
        6,
        800_000,
        4_800_000,
        "Báo giá VNPT số 12",
    )
    assert priced.total_vnd() == 380_000_000 + 4_800_000 and priced.unpriced() == 0
    other = plan([COMMUNE], [replace(LINK, provider="Viettel")], replace(CATALOG, link_prices=tariff))
    assert other.lines[0].unit_price_vnd == 900_000
    assert plan([COMMUNE], [LINK], CATALOG).unpriced() == 1  # no tariff: to be quoted, outside the total


def test_a_unit_without_devices_is_flagged_not_silently_given_the_whole_norm() -> None:
    empty = PlanUnit(5, "XA-E", "Xã E", "commune_committee", staff_count=4)
    result = plan([empty], [], CATALOG)
    assert [note.kind for note in result.notes] == [NoteKind.NO_DEVICES]
    assert words.to_check(result.notes[0], EN).startswith("XA-E: no device in the register")


def test_units_are_listed_provincial_bodies_first() -> None:
    board = PlanUnit(6, "ZZ-BAN", "Ban Z", "party_board", staff_count=1)
    commune = PlanUnit(7, "AA-XA", "Xã A", "commune_committee", staff_count=1)
    assert [line.unit_code for line in plan([commune, board], [], CATALOG).lines][:1] == ["ZZ-BAN"]


def test_a_figure_without_its_source_is_to_be_checked(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text(
        """
[catalog.prices]
desktop = { vnd = 18_000_000, source = "Báo giá số 12" }
laptop = { vnd = 21_000_000 }
[catalog.link_prices]
quoted = { provider = "VNPT", mbps = 50, vnd_per_month = 1_200_000, source = "Báo giá VNPT số 45" }
guessed = { provider = "*", mbps = 100, vnd_per_month = 2_000_000 }
""",
        encoding="utf-8",
    )
    catalog = load_settings(environ={}, cwd=tmp_path).catalog
    assert catalog.prices[Category.DESKTOP].checked and not catalog.prices[Category.LAPTOP].checked
    assert [p.checked for p in catalog.link_prices] == [True, False]
