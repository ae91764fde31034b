"""Import a province-sized register (170 units, ~5,000 devices, 170 links) into SQLite and time it.

Run: .venv/bin/python benchmarks/register_import.py [--devices 5000]
Reports wall time and peak memory for the first import and for a re-import of the same file.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl


def make_register(path: Path, units: int, devices: int) -> None:
    rng = random.Random(38)
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    unit_sheet = book.create_sheet("Đơn vị")
    unit_sheet.append(["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Số biên chế"])
    for u in range(units):
        unit_sheet.append([f"XA-{u:04d}", f"Đảng ủy xã số {u}", "Đảng ủy xã", rng.randint(15, 40)])
    device_sheet = book.create_sheet("Thiết bị")
    device_sheet.append(["PHIẾU KHẢO SÁT"])
    device_sheet.append(
        [
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
    )
    categories = ["Máy vi tính để bàn", "Máy in", "Thiết bị chuyển mạch (switch)", "Bộ lưu điện (UPS)"]
    for d in range(devices):
        u = d % units
        device_sheet.append(
            [
                f"XA-{u:04d}",
                f"pc-{d}",
                f"127.{u // 250}.{u % 250}.{d // units + 1}",
                rng.choice(categories),
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
        link_sheet.append([f"XA-{u:04d}", "TSLCD", rng.choice([20, 50, 100, 200]), f"pc-{u}"])
    book.save(path)


def timed(argv: list[str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.run(argv, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, process.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=170)
    parser.add_argument("--devices", type=int, default=5000)
    args = parser.parse_args()
    auditor = str(Path(sys.executable).with_name("auditor"))
    with tempfile.TemporaryDirectory() as scratch:
        register = Path(scratch) / "register.xlsx"
        make_register(register, args.units, args.devices)
        db = f"sqlite:///{scratch}/inventory.db"
        subprocess.run([auditor, "init", "--db", db], check=True, capture_output=True)
        print(
            f"register: {args.units} units, {args.devices} devices, {args.units} links "
            f"({register.stat().st_size // 1024} kB XLSX)"
        )
        for label in ("first import", "re-import"):
            wall, cpu, out = timed([auditor, "register", "import", str(register), "--db", db])
            print(f"{label:13} wall {wall:6.2f} s  cpu {cpu:6.2f} s  | " + " | ".join(out.strip().splitlines()))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS of any child: {peak:.0f} MB")


if __name__ == "__main__":
    main()
