"""The printed documents at a country's scale: the procurement workbook and its PDF.

Run:  .venv/bin/python benchmarks/documents.py [--units 3400] [--devices 100000] [--pdf]

Builds the plan of a synthetic country in memory (no database: the register's reading is measured
by benchmarks/scale.py), with one device in three over age, then measures, each in this process:
  1. the workbook, every sheet (the list, the summary, the age pyramid, the five-year plan, the
     over-age and unknown-age devices, the links, what to check, the settings): wall time, size;
  2. with --pdf, the signed list printed to PDF by LibreOffice: wall time, pages.
Peak RSS is the process's.  Prints one JSON line per figure.  No network traffic at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.config import load_settings  # noqa: E402
from auditor.domain import Category  # noqa: E402
from auditor.facts import Age  # noqa: E402
from auditor.procurement.document import DeviceAgeRow, ProcurementData, Register  # noqa: E402
from auditor.procurement.outlook import outlook  # noqa: E402
from auditor.procurement.plan import PlanDevice, PlanUnit, plan  # noqa: E402
from auditor.procurement.render import pdf_of  # noqa: E402
from auditor.procurement.workbook import write_workbook  # noqa: E402

CATEGORIES = [Category.DESKTOP, Category.DESKTOP, Category.LAPTOP, Category.PRINTER, Category.SWITCH, Category.ROUTER]
NOW = dt.datetime(2026, 12, 1, 18, 30, tzinfo=dt.UTC)


def country(units: int, devices: int, seed: int = 7) -> Register:
    chance = random.Random(seed)
    plan_units, ages = [], []
    per_unit = max(1, devices // units)
    for u in range(units):
        code, name = f"XA-{u:04d}", f"Đảng ủy xã Thử Nghiệm Số {u}"
        mine = []
        for d in range(per_unit):
            category = chance.choice(CATEGORIES)
            years = chance.uniform(0.5, 16) if chance.random() > 0.05 else None
            over = years is not None and years > 10
            label = f"TS-{u:04d}-{d:03d}"
            mine.append(PlanDevice(len(ages), category, label, working=True, over_age=over, age_years=years))
            age = Age(years, "register", basis=f"in service {2026 - int(years)}") if years else None
            ages.append(
                DeviceAgeRow(
                    code,
                    name,
                    label,
                    category.value,
                    "OptiPlex 3020",
                    f"SN{len(ages):08d}",
                    None,
                    years,
                    age.source if age else None,
                    age.basis if age else None,
                    over if years else None,
                    (),
                    10.0,
                )
            )
        plan_units.append(PlanUnit(u, code, name, "commune_committee", 4 + u % 20, tuple(mine), link_terminal=True))
    return Register(tuple(plan_units), tuple(ages))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3400)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--pdf", action="store_true")
    args = parser.parse_args()
    settings = load_settings(environ={}, cwd=Path(tempfile.gettempdir()))
    found = country(args.units, args.devices)
    planned = plan(found.units, [], settings.catalog)
    data = ProcurementData(planned, found.units, (), found.ages, NOW, outlook(found.ages, settings.catalog, 2026))
    print(f"{args.units} units, {len(found.ages)} devices, {len(planned.lines)} lines")
    figures: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "danh-muc.xlsx"
        started, cpu = time.perf_counter(), time.process_time()
        write_workbook(path, data, settings)
        took = time.perf_counter() - started
        figures.append(
            {
                "name": f"workbook {args.devices} devices",
                "wall_s": round(took, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "rss_mb": _peak_mb(),
                "baseline_s": None,
            }
        )
        print(f"workbook: {took:.2f} s wall, {path.stat().st_size / 1e6:.1f} MB")
        if args.pdf:
            signed = Path(scratch) / "signed.xlsx"
            write_workbook(signed, data, settings, details=False)
            started, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            pdf_of(signed, Path(scratch) / "signed.pdf")
            took = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            office_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
            figures.append(
                {
                    "name": f"signed list as PDF {args.devices} devices",
                    "wall_s": round(took, 2),
                    "cpu_s": round(office_cpu, 2),
                    "rss_mb": round(after.ru_maxrss / 1024),
                    "baseline_s": None,
                }
            )
            info = subprocess.run(["pdfinfo", str(Path(scratch) / "signed.pdf")], capture_output=True, text=True)
            pages = next((line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages")), "?")
            print(f"signed list as PDF: {took:.2f} s wall, {pages} pages")
    print(f"peak RSS: {_peak_mb()} MB")
    for found_figure in figures:  # one JSON line per figure (the PDF's CPU and memory are LibreOffice's)
        print(json.dumps(found_figure))


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    main()
