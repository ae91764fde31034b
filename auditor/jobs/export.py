"""`auditor export procurement` and `auditor register export`: the documents, from the database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import tempfile
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.db.engine import Database
from auditor.facts import DeviceView, LinkView, UnitView
from auditor.files import atomic_output
from auditor.i18n import texts
from auditor.jobs.endpoints import list_endpoints
from auditor.jobs.graphs import Drawing, link_graphs, pictures, plan_graphs
from auditor.jobs.judge import link_verdicts
from auditor.jobs.listings import register_views
from auditor.output import render_csv
from auditor.procurement.document import ProcurementData, Register, plan_links, register_of
from auditor.procurement.inventory import RECORD_GRAPH_IN, inventory_records, write_inventory
from auditor.procurement.outlook import outlook
from auditor.procurement.plan import plan
from auditor.procurement.render import pdf_of, pdfs_of, png_of
from auditor.procurement.texts import PLAN_KEYS, checks, outlook_record, plan_records, pyramid_record
from auditor.procurement.workbook import write_workbook
from auditor.register.columns import SheetKind
from auditor.register.writers import export_csv, write_register_workbook
from auditor.rules.findings import is_stranger
from auditor.settings import Settings
from auditor.traffic import LinkVerdict


def local_day(now: dt.datetime, settings: Settings) -> dt.date:
    """The day it is where the Office is: the one ages are counted to and documents are dated."""
    return now.astimezone(zoneinfo.ZoneInfo(settings.timezone)).date()


def read_register(database: Database, settings: Settings, now: dt.datetime, unit_code: str | None = None) -> Register:
    """Every unit (or one) and its devices, their ages on `now`'s day, as the plan and the workbook's
    detail sheets need them."""
    units, devices, links = register_views(database, local_day(now, settings), unit_code)
    return register_of(units, devices, links, settings.age)


def procurement_data(
    database: Database,
    settings: Settings,
    now: dt.datetime,
    unit_code: str | None = None,
    replace_broken: bool = False,
    verdicts: Sequence[LinkVerdict] | None = None,
    register_read: Register | None = None,
) -> ProcurementData:
    """The plan for every unit (or one), from the register, the ages and the link verdicts (each
    read or judged now, unless the audit that just ran hands over its own)."""
    found = register_read or read_register(database, settings, now, unit_code)
    if verdicts is None:
        verdicts = link_verdicts(database, settings, now, unit_code)
    this_year = local_day(now, settings).year
    return ProcurementData(
        plan(found.units, plan_links(verdicts, found.providers), settings.catalog, replace_broken),
        found.units,
        tuple(verdicts),
        found.ages,
        now,
        outlook(found.ages, settings.catalog, this_year),
    )


def export_procurement(
    database: Database,
    settings: Settings,
    path: Path,
    now: dt.datetime,
    *,
    fmt: str = "xlsx",
    lang: str = "vi",
    unit_code: str | None = None,
    replace_broken: bool = False,
    verdicts: Sequence[LinkVerdict] | None = None,
    register_read: Register | None = None,
) -> ProcurementData:
    """Write the investment list to `path`: the workbook to sign (xlsx), the signed list printed
    (pdf; png: its first page, for a look), or its lines (csv, json)."""
    data = procurement_data(database, settings, now, unit_code, replace_broken, verdicts, register_read)
    if fmt == "xlsx":
        graphs, left_out = plan_graphs(database, settings, now, data.verdicts, lang)
        try:
            data = dataclasses.replace(data, graphs=graphs, graphs_left_out=left_out)
            write_workbook(path, data, settings, lang)
        finally:
            if isinstance(graphs, Drawing):
                graphs.close()
        return data
    if fmt in ("pdf", "png"):
        with tempfile.TemporaryDirectory(prefix="auditor-export-") as scratch:
            workbook, pdf = Path(scratch) / f"{path.stem}.xlsx", Path(scratch) / f"{path.stem}.pdf"
            write_workbook(workbook, data, settings, lang, details=False)
            pdf_of(workbook, pdf if fmt == "png" else path)
            if fmt == "png":
                png_of(pdf, path)
        return data
    lines = plan_records(data.plan, texts(lang))
    with atomic_output(path) as temporary:
        if fmt == "csv":
            rows = [row | {"device_ids": " ".join(map(str, row["device_ids"]))} for row in lines]
            temporary.write_text(render_csv(rows, PLAN_KEYS) + "\n", encoding="utf-8-sig")
        else:
            document = {
                "generated_at": data.generated_at.isoformat(),
                "province": settings.province,
                "total_vnd": data.plan.total_vnd(),
                "unpriced_lines": data.plan.unpriced(),
                "lines": lines,
                "replacement_plan": outlook_record(data.outlook),
                "age_pyramid": pyramid_record(data.ages, texts(lang)),
                "to_check": [
                    {"subject": subject, "check": what}
                    for subject, what in checks(data.plan.notes, data.ages, settings, texts(lang))
                ],
            }
            temporary.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return data


def inventory_name(unit_code: str, suffix: str) -> str:
    """The file of one unit's inventory record: bien-ban-kiem-ke-XA-HUNGPHUC.xlsx."""
    return f"bien-ban-kiem-ke-{re.sub(r'[^A-Za-z0-9_.-]', '_', unit_code)}{suffix}"


def export_inventory(
    database: Database,
    settings: Settings,
    directory: Path,
    now: dt.datetime,
    *,
    fmt: str = "xlsx",
    lang: str = "vi",
    unit_code: str | None = None,
) -> list[Path]:
    """One inventory record per unit (or the one unit) into `directory`, as XLSX or PDF; the files written."""
    units, devices, links = register_views(database, local_day(now, settings), unit_code)
    seen = list_endpoints(database, unit_code)
    strangers = [e for e in seen if is_stranger(e, now, settings.rules)]
    drawn = [g for g in link_graphs(database, settings, now, only=[link.id for link in links]) if g.intervals]
    graphs = pictures(drawn, settings, lang, RECORD_GRAPH_IN)
    records = inventory_records(units, devices, links, settings.age, seen, strangers, graphs)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="auditor-export-") as scratch:
        pairs = []
        for record in records:
            target = directory / inventory_name(record.unit.code, f".{fmt}")
            workbook = target if fmt == "xlsx" else Path(scratch) / inventory_name(record.unit.code, ".xlsx")
            write_inventory(workbook, record, settings, now, lang)
            pairs.append((workbook, target))
            written.append(target)
        if fmt == "pdf":
            pdfs_of(pairs)
    return written


@dataclass(frozen=True)
class RegisterExport:
    units: list[UnitView]
    devices: list[DeviceView]
    links: list[LinkView]


def export_register(
    database: Database, path: Path, today: dt.date, *, lang: str = "vi", kind: SheetKind, unit_code: str | None = None
) -> RegisterExport:
    """The register (or one unit's part) as the survey workbook, or one table of it as CSV."""
    units, aged_devices, links = register_views(database, today, unit_code)
    devices = [view for view, _ in aged_devices]
    if path.suffix.lower() == ".csv":
        export_csv(path, kind, units, devices, links)
    else:
        write_register_workbook(path, lang, units, devices, links, template=False)
    return RegisterExport(units, devices, links)
