"""The inventory record (biên bản kiểm kê thiết bị) of one unit, for the unit to check against
what is on its desks and sign with the Office's auditor (XlsxWriter).

The same Party document heading as the list, the unit and the moment of the count, a table of its
devices (each with its age and where that comes from, its condition and place, and an empty column
"Kết quả kiểm tra" for the unit to mark), its data-network links, the counts, and two signatures:
the unit's representative and the person who made the count.  A4 landscape, one page wide, the
header on every page, "Trang 1/2" at the foot, the counts kept with the signatures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.workbook import Workbook

from auditor.domain import CONDITION_LABELS, DeviceStatus
from auditor.endpoints import EndpointView
from auditor.facts import Age, DeviceView, LinkView, UnitView
from auditor.i18n import N_, Texts, number, texts
from auditor.procurement import texts as words
from auditor.procurement.paper import (
    PAGE_HEIGHT_PT,
    Formats,
    Page,
    document,
    heading,
    local,
    page_breaks,
    print_setup,
    put,
    signatures,
)
from auditor.rules.age import over_age
from auditor.settings import AgeSettings, Settings
from auditor.textfit import LINE_PT, height_of

COLUMNS: tuple[tuple[str, float], ...] = (
    (N_("No."), 4.5),
    (N_("Asset tag / device"), 18),
    (N_("Category"), 17),
    (N_("Model"), 15),
    (N_("Serial"), 13),
    (N_("Year in service"), 7),
    (N_("Age (years)"), 6.5),
    (N_("Condition"), 9),
    (N_("Place, address, how it was seen"), 21),
    (N_("Checked (right / wrong / missing)"), 13),
)
WIDTHS = [width for _, width in COLUMNS]
WRAPPED = list(range(1, len(COLUMNS)))
LAST = len(COLUMNS) - 1
SAFETY = 0.95
BLANK_ROWS = 2
RECORD_GRAPH_IN = (9.5, 2.5)  # a link's graph on the record, above its table (jobs.graphs draws it so)
GRAPH_HEIGHT_PT = RECORD_GRAPH_IN[1] * 72


@dataclass(frozen=True)
class UnitInventory:
    """One unit as the record shows it."""

    unit: UnitView
    devices: Sequence[tuple[DeviceView, Age | None]]
    links: Sequence[LinkView]
    over_age: int
    unknown_age: int
    seen: Mapping[int, EndpointView] = field(default_factory=dict)  # device id → where a table saw it last
    strangers: Sequence[EndpointView] = ()  # endpoints seen on its network that no device is
    graphs: Sequence[bytes] = ()  # its links' graphs (PNG), as `links graph` draws them


def inventory_records(
    units: Sequence[UnitView],
    devices: Sequence[tuple[DeviceView, Age | None]],
    links: Sequence[LinkView],
    ages: AgeSettings,
    endpoints: Sequence[EndpointView] = (),
    strangers: Sequence[EndpointView] = (),
    graphs: Mapping[int, bytes] | None = None,
) -> list[UnitInventory]:
    """Each unit's record: its active devices, the register's by asset tag then those the network
    found, then the endpoints no device is (`strangers`, by MAC), its links, and how many of its
    registered devices are over age or of unknown age.  `endpoints` say where the router's and
    switches' tables saw each device last (its address from ARP, its switch port); `graphs`, by
    link id, each link's graph to print after the devices."""
    by_unit: dict[str, list[tuple[DeviceView, Age | None]]] = {}
    for device, age in devices:
        if device.unit_code is not None and device.status is DeviceStatus.ACTIVE:
            by_unit.setdefault(device.unit_code, []).append((device, age))
    seen: dict[int, EndpointView] = {}
    for e in sorted(endpoints, key=lambda e: e.last_seen):
        if e.device_id is not None:
            seen[e.device_id] = e
    strange: dict[str, list[EndpointView]] = {}
    for e in sorted(strangers, key=lambda e: e.mac):
        if e.unit is not None:
            strange.setdefault(e.unit, []).append(e)
    records = []
    for unit in units:
        mine = sorted(
            by_unit.get(unit.code, []),
            key=lambda pair: (not pair[0].registered, pair[0].asset_tag or pair[0].hostname or pair[0].ip or ""),
        )
        verdicts = [over_age(age, ages.threshold(d.category)) for d, age in mine if d.registered]
        records.append(
            UnitInventory(
                unit,
                mine,
                [link for link in links if link.unit_code == unit.code],
                over_age=sum(v is True for v in verdicts),
                unknown_age=sum(v is None for v in verdicts),
                seen={d.id: seen[d.id] for d, _ in mine if d.id in seen},
                strangers=strange.get(unit.code, []),
                graphs=[
                    (graphs or {})[link.id]
                    for link in links
                    if link.unit_code == unit.code and link.id in (graphs or {})
                ],
            )
        )
    return records


def _where(place: str | None, ip: str | None, e: EndpointView | None, sources: Iterable[str], tr: Texts) -> str:
    """ "Văn phòng, 127.38.5.23; cổng ge-0/0/5 của SW-HUNGPHUC; nhận biết qua …": where it stands,
    its address, the switch port a table saw it behind, and what saw it."""
    port = tr("port {port} of {switch}", port=e.port, switch=e.seen_on) if e and e.port and e.seen_on else ""
    parts = (", ".join(p for p in (place, ip or (e.ip if e else None)) if p), port, words.seen_via(sources, tr))
    return "; ".join(part for part in parts if part)


def _device_row(number: int, d: DeviceView, age: Age | None, e: EndpointView | None, tr: Texts) -> list[Any]:
    sources = {s for s in (d.seen_via or "").split(",") if s}
    name = d.asset_tag or d.hostname or d.ip or d.serial or f"#{d.id}"
    return [
        number,
        name if d.registered else tr("{name} (found on the network, not in the register)", name=name),
        words.category_name(d.category, tr),
        d.model,
        d.serial,
        d.in_service_on.year if d.in_service_on else None,
        None if age is None else round(age.years, 1),
        CONDITION_LABELS[d.condition].text(tr.lang) if d.condition else "",
        _where(d.location, d.ip, e, sources, tr),
        None,
    ]


def _stranger_row(number: int, e: EndpointView, tr: Texts) -> list[Any]:
    """An endpoint no device is: its MAC, its maker (and its Windows name)."""
    name = " — ".join(part for part in (e.mac, e.vendor or tr("maker unknown"), e.netbios_name) if part)
    return [
        number,
        tr("{name} (found on the network, not in the register)", name=name),
        "",
        None,
        None,
        None,
        None,
        "",
        _where(None, None, e, e.sources, tr),
        None,
    ]


def _rows(record: UnitInventory, tr: Texts) -> list[list[Any]]:
    rows = [_device_row(n, d, age, record.seen.get(d.id), tr) for n, (d, age) in enumerate(record.devices, 1)]
    first = len(rows) + 1
    return rows + [_stranger_row(n, e, tr) for n, e in enumerate(record.strangers, first)]


def _table(out: Page, record: UnitInventory) -> int:
    tr, f = out.tr, out.formats
    header = out.header([tr(name) for name, _ in COLUMNS])
    for values in _rows(record, tr):
        row = out.next_row(height_of([str(v or "") for v in values], WIDTHS, WRAPPED))
        for col, value in enumerate(values):
            put(out.sheet, row, col, value, f.center if col in (0, 5, 6) else f.text)
    for _ in range(BLANK_ROWS):  # ruled lines for the devices the unit finds on its desks and adds by hand
        row = out.next_row(LINE_PT * 2)
        for col in range(len(COLUMNS)):
            put(out.sheet, row, col, None, f.text)
    return header


def _links_and_counts(out: Page, record: UnitInventory) -> int:
    """The unit's links, then the counts; the first row of what must stay with the signatures."""
    tr, f = out.tr, out.formats
    out.next_row(LINE_PT / 2)
    first = out.row
    for link in record.links:
        said = tr(
            "{name}: {provider} {capacity} Mbps, circuit {circuit}",
            name=link.name,
            provider=link.provider or "",
            capacity=number(max(link.capacity_down_mbps, link.capacity_up_mbps), tr),
            circuit=link.circuit_id or "—",
        )
        out.merged(0, LAST, said, f.plain)
    registered = sum(1 for device, _ in record.devices if device.registered)
    counts = tr.plural(
        "{n} device in the register: {over} over age, {unknown} of unknown age.",
        "{n} devices in the register: {over} over age, {unknown} of unknown age.",
        registered,
        over=record.over_age,
        unknown=record.unknown_age,
    )
    found = len(record.devices) - registered + len(record.strangers)
    if found:
        counts += " " + tr.plural(
            "{n} more found on the network, not in the register.",
            "{n} more found on the network, not in the register.",
            found,
        )
    out.merged(0, LAST, counts, f.plain)
    out.merged(
        0,
        LAST,
        tr("The unit checks every line and marks the last column; a device on no line is added on the empty lines."),
        f.italic,
    )
    return first


def _record(
    book: Workbook, formats: Formats, record: UnitInventory, settings: Settings, generated: dt.datetime, tr: Texts
) -> None:
    sheet = book.add_worksheet(record.unit.code[:31])
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    out = Page(sheet, formats, tr, WIDTHS, left=(0, 3), right=(6, LAST))
    unit = record.unit
    staff = tr("Staff: {n}", n=unit.staff_count) if unit.staff_count is not None else tr("Staff: not in the register")
    heading(
        out,
        settings.document,
        generated,
        tr("EQUIPMENT INVENTORY RECORD"),
        tr("Unit: {name} ({code}) — {staff}", name=unit.name, code=unit.code, staff=staff),
        tr("(As the register and the network show it at {time})", time=generated.strftime("%H:%M %d/%m/%Y")),
        number=settings.document.inventory_number,
    )
    for k, png in enumerate(record.graphs):  # above the table: no page of the table's header over a graph
        out.picture(png, f"duong-truyen-{k + 1}.png", GRAPH_HEIGHT_PT)
        out.next_row(LINE_PT / 2)
    header = _table(out, record)
    sheet.freeze_panes(header + 1, 0)
    tail = _links_and_counts(out, record)
    signatures(
        out,
        [tr("REPRESENTATIVE OF THE UNIT"), tr("(Signature and full name)")],
        [tr("COUNTED BY"), tr("(Signature and full name)")],
        ("", settings.document.preparer_name),
    )
    last_line = max(header + 1, tail - 2)
    sheet.set_h_pagebreaks(page_breaks(out.heights, header, last_line, PAGE_HEIGHT_PT * SAFETY))
    print_setup(sheet, tr, formats.font, header, LAST, out.row, fit=False)


def write_inventory(path: Path, record: UnitInventory, settings: Settings, now: dt.datetime, lang: str = "vi") -> None:
    """Write one unit's inventory record to `path`, whole or not at all."""
    tr = texts(lang)
    title = {"title": tr("EQUIPMENT INVENTORY RECORD"), "subject": record.unit.name}
    with document(path, settings.document.font, title, lang) as (book, formats):
        _record(book, formats, record, settings, local(now, settings.timezone), tr)
