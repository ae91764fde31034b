"""Import a register into SQLite (or PostgreSQL), first and again with nothing changed, at several
sizes: the curve of the cost.

Run: .venv/bin/python benchmarks/register_import.py [--devices 1000,10000,100000] [--db sqlite|postgresql]

For each size: a register workbook (a units sheet, a devices sheet with Vietnamese headers under a
title row, a links sheet, one link per unit; ~30 devices a unit, as a commune has), then
`auditor init` and `auditor register import` twice, each as its own process (wall, CPU with
children and, on PostgreSQL, the server's; peak memory of all its processes).  Prints a table row
per import and one JSON line per figure (`name`, `wall_s`, `cpu_s`, `rss_mb`, `baseline_s`;
`baseline_s` of a re-import is the first import's wall).  No network traffic at all.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import openpyxl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.lab.postgres import throwaway_postgres  # noqa: E402
from benchmarks.common import figure, measure, postgres_cpu_s, row  # noqa: E402

DEVICES_A_UNIT = 30
CATEGORIES = ["Máy vi tính để bàn", "Máy in", "Thiết bị chuyển mạch (switch)", "Bộ lưu điện (UPS)"]
DEVICE_HEADERS = [
    "Mã đơn vị",
    "Tên máy",
    "Địa chỉ IP",
    "Loại thiết bị",
    "Hãng sản xuất",
    "Model",
    "Số serial",
    "Mã tài sản",
    "Năm sử dụng",
    "Tình trạng",
]


def make_register(path: Path, units: int, devices: int) -> None:
    """A register as a province's office writes one (written row by row: openpyxl's write-only mode)."""
    rng = random.Random(38)
    book = openpyxl.Workbook(write_only=True)
    unit_sheet = book.create_sheet("Đơn vị")
    unit_sheet.append(["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Số biên chế"])
    for u in range(units):
        unit_sheet.append([f"XA-{u:05d}", f"Đảng ủy xã số {u}", "Đảng ủy xã", rng.randint(15, 40)])
    device_sheet = book.create_sheet("Thiết bị")
    device_sheet.append(["PHIẾU KHẢO SÁT"])
    device_sheet.append(DEVICE_HEADERS)
    for d in range(devices):
        u = d % units
        device_sheet.append(
            [
                f"XA-{u:05d}",
                f"pc-{d}",
                f"10.{u // 250}.{u % 250}.{d // units + 1}",  # never contacted: an import does not poll
                rng.choice(CATEGORIES),
                "Dell",
                "OptiPlex 3020",
                f"SN{d:07d}",
                f"TS-{d:07d}",
                rng.randint(2008, 2025),
                "Tốt",
            ]
        )
    link_sheet = book.create_sheet("Đường truyền")
    link_sheet.append(["Mã đơn vị", "Tên đường truyền", "Băng thông (Mbps)", "Thiết bị đầu cuối"])
    for u in range(units):
        link_sheet.append([f"XA-{u:05d}", "TSLCD", rng.choice([20, 50, 100, 200]), f"pc-{u}"])
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", default="1000,10000,100000", help="the sizes, comma-separated")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    sizes = [int(size) for size in args.devices.split(",")]
    auditor = str(Path(sys.executable).with_name("auditor"))
    lines, figures = [], []
    with ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory())
        server = stack.enter_context(throwaway_postgres()) if args.db == "postgresql" else None
        for size in sizes:
            units = max(1, size // DEVICES_A_UNIT)
            register = Path(scratch) / f"register-{size}.xlsx"
            make_register(register, units, size)
            if server is None:
                url = f"sqlite:///{scratch}/inventory-{size}.db"
            else:
                url = server.new_database(f"register_{size}")
            env = dict(os.environ, AUDITOR_DB=url)
            subprocess.run([auditor, "init"], check=True, capture_output=True, env=env)
            what = f"{units:,} units, {size:,} devices, {units:,} links ({register.stat().st_size // 1024:,} kB XLSX)"
            first_wall = None
            for label in ("first import", "re-import (nothing changed)"):
                before = postgres_cpu_s(server.socket_dir) if server else 0.0
                result = measure([auditor, "register", "import", str(register)], env=env, fatal=True)
                extra = (postgres_cpu_s(server.socket_dir) if server else 0.0) - before
                counts = str(result["stdout"]).strip().splitlines()  # units, devices, links: the devices'
                lines.append(row(f"{args.db}: {label}, {what}", result, counts[1] if len(counts) > 1 else ""))
                figures.append((f"register {label} {size} devices {args.db}", result, first_wall, extra))
                first_wall = float(str(result["wall_s"]))
    print("| what | wall | CPU | peak memory | note |")
    print("|---|---|---|---|---|")
    for line in lines:
        print(line)
    print()
    for name, result, baseline, extra in figures:
        figure(name, result, baseline, extra)


if __name__ == "__main__":
    main()
