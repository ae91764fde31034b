"""The procurement workbook's detail sheets (XlsxWriter): the summary with its charts, the devices
over age and of unknown age, the links' measurements, what the Office must still check, and the
settings the audit used.  Each prints like the list: titled, A4 landscape, one page wide."""

from __future__ import annotations

import io
from typing import Any

from xlsxwriter.workbook import Workbook

from auditor.i18n import N_, Texts
from auditor.procurement import texts as words
from auditor.procurement.document import DeviceAgeRow, ProcurementData
from auditor.procurement.outlook import AGE_BUCKETS, age_pyramid
from auditor.procurement.paper import Formats, Table, local, shrink_to_page, titled_table
from auditor.settings import Settings
from auditor.textfit import fitted_widths

AGE_HEADERS = (
    N_("Unit"),
    N_("Device"),
    N_("Category"),
    N_("Model"),
    N_("Serial"),
    N_("Year in service"),
    N_("Age (years)"),
    N_("Source of the age"),
    N_("Evidence"),
    N_("Seen on the network"),
)
LINK_HEADERS = (  # each with the key of the links-report row it shows
    (N_("Unit"), "unit_code"),
    (N_("Link"), "name"),
    (N_("Capacity (Mbps)"), "capacity_down_mbps"),
    (N_("Coverage (%)"), "coverage_pct"),
    (N_("P95 down (%)"), "p95_in_pct"),
    (N_("P95 up (%)"), "p95_out_pct"),
    (N_("Loss (%)"), "loss_pct"),
    (N_("RTT P95 (ms)"), "rtt_p95_ms"),
    (N_("Days"), "days"),
    (N_("Verdict"), "verdict"),
    (N_("Upgrade to (Mbps)"), "recommended_mbps"),
    (N_("Justification"), "justification"),
)
VERDICT_COLUMN = 9


def _stamp(data: ProcurementData, settings: Settings, tr: Texts) -> str:
    moment = local(data.generated_at, settings.timezone)
    return tr(
        "{province} — inventory and measurements up to {time}",
        province=settings.province,
        time=moment.strftime("%H:%M %d/%m/%Y"),
    )


def _age_row(a: DeviceAgeRow, tr: Texts) -> list[Any]:
    years = None if a.age_years is None else round(a.age_years, 1)
    return [
        a.unit_name or a.unit_code,
        a.label,
        words.category_name(a.category, tr),
        a.model,
        a.serial,
        a.year,
        years,
        words.age_source(a, tr),
        words.age_basis(a, tr),
        words.seen_via(a.seen_via, tr),
    ]


def _summary(book: Workbook, formats: Formats, data: ProcurementData, settings: Settings, tr: Texts) -> None:
    """Counts by unit and category with the proposed amount, then the age pyramid and its chart."""
    categories = sorted({a.category for a in data.ages if a.category})
    headers = [tr("Unit"), *(words.category_name(c, tr) for c in categories), tr("Over age"), tr("Proposed (VND)")]
    units = sorted({a.unit_code for a in data.ages if a.unit_code} | {line.unit_code for line in data.plan.lines})
    counts: dict[tuple[str | None, str | None], int] = {}
    over: dict[str | None, int] = {}
    for a in data.ages:
        counts[a.unit_code, a.category] = counts.get((a.unit_code, a.category), 0) + 1
        over[a.unit_code] = over.get(a.unit_code, 0) + (a.over_age is True)
    totals = data.plan.totals_by_unit()
    names = {a.unit_code: a.unit_name for a in data.ages} | {line.unit_code: line.unit_name for line in data.plan.lines}
    rows = [
        [
            names.get(unit) or unit,
            *(counts.get((unit, c), 0) for c in categories),
            over.get(unit, 0),
            totals.get(unit, 0),
        ]
        for unit in units
    ]
    counted = Table(headers, rows, wrapped=[0], money=[len(headers) - 1])
    titled_table(book, formats, tr, tr("Summary"), tr("SUMMARY"), _stamp(data, settings, tr), counted)


def _ages(book: Workbook, formats: Formats, data: ProcurementData, stamp: str, tr: Texts) -> None:
    """The age pyramid of today's equipment, and its chart beside it, on one page."""
    pyramid = age_pyramid(data.ages)
    ages: list[list[Any]] = [[label, count] for (label, _, _), count in zip(AGE_BUCKETS, pyramid, strict=False)]
    ages.append([tr("unknown"), pyramid[-1]])
    table = Table([tr("Device age (years)"), tr("Devices")], ages)
    sheet, (first,) = titled_table(
        book, formats, tr, tr("Ages"), tr("EQUIPMENT AGE PYRAMID"), stamp, table, area=False, title_columns=12
    )
    name = sheet.get_name()
    chart = book.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": tr("Devices"),
            "categories": [name, first, 0, first + len(ages) - 1, 0],
            "values": [name, first, 1, first + len(ages) - 1, 1],
            "data_labels": {"value": True, "font": {"name": formats.font, "size": 10}},
        }
    )
    chart.set_title({"name": tr("Equipment age distribution"), "name_font": {"name": formats.font, "size": 12}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_font": {"name": formats.font, "size": 10}})
    chart.set_y_axis({"num_font": {"name": formats.font, "size": 10}})
    sheet.insert_chart(first - 1, 3, chart, {"x_scale": 1.3, "y_scale": 1.1})
    sheet.fit_to_pages(1, 1)


def _outlook(book: Workbook, formats: Formats, data: ProcurementData, stamp: str, tr: Texts) -> None:
    """The next five years: the devices that cross the age threshold each year, by unit and
    category, at catalog prices; then the totals by year."""
    ahead = data.outlook
    rows = [
        [
            r.year,
            r.unit_name,
            words.category_name(r.category, tr),
            r.devices,
            r.unit_price_vnd if r.unit_price_vnd is not None else tr("to be quoted"),
            r.amount_vnd,
        ]
        for r in ahead.rows
    ]
    headers = [tr("Year"), tr("Unit"), tr("Category"), tr("Devices"), tr("Unit price (VND)"), tr("Amount (VND)")]
    table = Table(headers, rows, wrapped=[1, 2], money=[4, 5])
    totals = [[year, devices, amount] for year, (devices, amount) in ahead.by_year().items()]
    by_year = Table([tr("Year"), tr("Devices"), tr("Amount (VND)")], totals, money=[2])
    first, last = ahead.years[0], ahead.years[-1]
    title = tr("REPLACEMENT PLAN {first}–{last}", first=first, last=last)
    said = stamp
    if ahead.unknown_age:
        said += "; " + tr.plural(
            "{n} device of unknown age is not placed in a year",
            "{n} devices of unknown age are not placed in a year",
            ahead.unknown_age,
        )
    titled_table(book, formats, tr, tr("Plan {first}–{last}", first=first, last=last), title, said, table, by_year)


CHART_ROWS = 16  # the chart of percentiles: 288 pixels, rows of 20
PLAN_GRAPH_IN = (9.5, 2.7)  # a link's graph on the links sheet, two to a page (jobs.graphs draws it so)
GRAPH_ROW_PT = PLAN_GRAPH_IN[1] * 72 + 8  # its row, with a little room under it


def _links(book: Workbook, formats: Formats, data: ProcurementData, stamp: str, tr: Texts) -> None:
    """The links' measurements and verdicts, with their 95th percentiles as a chart, then the graph
    of every link the plan upgrades (congested or near the limit)."""
    justification = "justification_vi" if tr.lang == "vi" else "justification_en"
    rows = []
    for row in (v.row() for v in data.verdicts):
        values = [row[justification if key == "justification" else key] for _, key in LINK_HEADERS]
        values[VERDICT_COLUMN] = words.verdict(row["verdict"], tr)
        rows.append(values)
    headers = [tr(h) for h, _ in LINK_HEADERS]
    table = Table(headers, rows, wrapped=[0, 1, VERDICT_COLUMN, len(LINK_HEADERS) - 1])
    sheet, (first,) = titled_table(book, formats, tr, tr("Links"), tr("DEDICATED DATA-NETWORK LINKS"), stamp, table)
    if not rows:
        return
    name = sheet.get_name()
    use = book.add_chart({"type": "column"})
    for col, label in ((4, tr("P95 down (%)")), (5, tr("P95 up (%)"))):
        use.add_series(
            {
                "name": label,
                "categories": [name, first, 0, first + len(rows) - 1, 0],  # by unit: links share names
                "values": [name, first, col, first + len(rows) - 1, col],
            }
        )
    use.set_title({"name": tr("Link utilisation (95th percentile)"), "name_font": {"name": formats.font, "size": 12}})
    use.set_y_axis({"name": tr("% of contracted bandwidth"), "name_font": {"name": formats.font, "size": 10}})
    use.set_x_axis({"num_font": {"name": formats.font, "size": 9}})
    use.set_legend({"position": "bottom", "font": {"name": formats.font, "size": 10}})
    # Pictures no wider than the table's columns: a picture past the print area prints pages of its own.
    room = sum(int(w * 7 + 0.5) + 5 for w in shrink_to_page(fitted_widths(headers, rows), headers, table.wrapped))
    chart_scale = max(0.8, min(2.2, len(rows) / 8, room / 480))
    sheet.insert_chart(first + len(rows) + 1, 0, use, {"x_scale": chart_scale, "y_scale": 1.0})
    graph_scale = min(1.0, room / (PLAN_GRAPH_IN[0] * 96))
    end = _graphs(sheet, formats, data, tr, first + len(rows) + 1 + CHART_ROWS, graph_scale)
    if end is not None:  # printed too: the evidence an upgrade's justification cites, the chart on a page of its own
        sheet.print_area(0, 0, end, len(LINK_HEADERS) - 1)
        sheet.set_h_pagebreaks([first + len(rows) + 1])


def _graphs(sheet: Any, formats: Formats, data: ProcurementData, tr: Texts, at: int, scale: float) -> int | None:
    """The graph of each link the plan upgrades, in the table's order, from row `at`, each on a row
    of its own as tall as it is (a page break falls between graphs, never across one), then how
    many were left out; the last row written, or None when there was no graph."""
    drawn = 0
    for v in data.verdicts:
        png = data.graphs.get(v.link_id)
        if png is not None:
            sheet.set_row(at, GRAPH_ROW_PT * scale)
            sheet.write_blank(at, 0, None, formats.plain)  # a row with no cell is not written at all
            picture = {"image_data": io.BytesIO(png), "object_position": 2, "x_scale": scale, "y_scale": scale}
            sheet.insert_image(at, 0, f"{v.unit_code}.png", picture)
            drawn += 1
            at += 1
    if data.graphs_left_out:
        said = tr.plural(
            "{n} more link to upgrade is not drawn here: `auditor links graph UNIT -o FILE.png` draws it.",
            "{n} more links to upgrade are not drawn here: `auditor links graph UNIT -o FILE.png` draws each.",
            data.graphs_left_out,
        )
        sheet.write_string(at, 0, said, formats.italic)
        at += 1
    return at - 1 if drawn else None


def _to_check(
    book: Workbook, formats: Formats, data: ProcurementData, settings: Settings, stamp: str, tr: Texts
) -> None:
    """What the Office must look at before signing: never in the signed list itself."""
    rows = [list(row) for row in words.checks(data.plan.notes, data.ages, settings, tr)]
    table = Table([tr("Subject"), tr("What to check")], rows, wrapped=[0, 1])
    titled_table(book, formats, tr, tr("To check"), tr("ITEMS TO CHECK BEFORE SIGNING"), stamp, table)


def detail_sheets(book: Workbook, formats: Formats, data: ProcurementData, settings: Settings, tr: Texts) -> None:
    """Every sheet after the list, in the order a reader checks it."""
    stamp = _stamp(data, settings, tr)
    _summary(book, formats, data, settings, tr)
    _ages(book, formats, data, stamp, tr)
    _outlook(book, formats, data, stamp, tr)
    age_headers = [tr(h) for h in AGE_HEADERS]
    for name, title, wanted in (
        (tr("Devices over age"), tr("DEVICES OVER AGE"), True),
        (tr("Unknown age"), tr("DEVICES OF UNKNOWN AGE"), None),
    ):
        rows = [_age_row(a, tr) for a in data.ages if a.over_age is wanted]
        titled_table(book, formats, tr, name, title, stamp, Table(age_headers, rows, wrapped=[0, 1, 2, 3, 4, 7, 8, 9]))
    _links(book, formats, data, stamp, tr)
    _to_check(book, formats, data, settings, stamp, tr)
    setting = Table([tr("Setting"), tr("Value")], words.settings_rows(settings, tr), wrapped=[0, 1])
    titled_table(book, formats, tr, tr("Settings"), tr("SETTINGS THE AUDIT USED"), stamp, setting)
