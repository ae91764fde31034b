"""The dashboard and the link graphs over a country-sized database: the time to render the province
page and a link's graph (goal: under 1 s each).

Run:  .venv/bin/python benchmarks/dashboard.py [--links 4000] [--days 7] [--devices 100000] [--units 3400]

Builds the country of benchmarks/scale.py in a scratch SQLite file (3,400 units, 100,000 devices,
4,000 links, a week of 5-minute samples of every link: 8.06 million rows; bulk-loaded, not
measured), runs `auditor audit --no-poll` once so that the findings the province page counts
exist, then measures, in one process as `auditor serve` runs them (Flask's test client, the same
application and database objects, no network):
  1. the province page (`/`: a page of 100 units, the worst first, with their sparklines), cold
     and then the median of 5;
  2. a unit's page (`/unit/XA-00001`);
  3. a link's graph as the dashboard sends it (`/link/1/graph.svg`, the week) and its page;
and, as a process of its own (process start included), `auditor links graph 1 -o FILE.png`.
Prints the README's table rows, then one JSON line per figure.  No network traffic at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.config import load_settings  # noqa: E402
from auditor.db.engine import open_database  # noqa: E402
from auditor.web.app import create_app  # noqa: E402
from benchmarks.common import measure, row  # noqa: E402
from benchmarks.scale import SAMPLE_COLUMNS, devices, links, load, samples, units  # noqa: E402


def build(url: str, args: argparse.Namespace, env: dict[str, str]) -> int:
    auditor = str(Path(sys.executable).with_name("auditor"))
    subprocess.run([auditor, "init"], env=env, check=True, capture_output=True)
    load(
        url,
        "unit",
        ["id", "code", "name", "kind", "staff_count", "poller_group", "created_at", "updated_at"],
        units(args.units),
    )
    device_columns = [
        "id", "unit_id", "hostname", "ip", "category", "vendor", "model", "serial", "asset_tag", "in_service_on",
        "in_service_precision", "condition", "status", "registered", "reachable", "created_at", "updated_at",
    ]  # fmt: skip
    load(url, "device", device_columns, devices(args.devices, args.units))
    link_columns = [
        "id",
        "unit_id",
        "name",
        "provider",
        "capacity_down_mbps",
        "capacity_up_mbps",
        "created_at",
        "updated_at",
    ]
    load(url, "link", link_columns, links(args.links, args.units))
    count = load(url, "link_sample", SAMPLE_COLUMNS, samples(args.links, args.days))
    print(f"  {count:,} samples loaded; auditing once …", flush=True)
    done = subprocess.run([auditor, "audit", "--no-poll"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the audit failed: {done.stderr[-2000:]}")
    return count


def timed(get: object, path: str, times: int) -> tuple[float, float, int]:
    """(cold, median of the warm ones) seconds, and the response's size."""
    walls, size = [], 0
    for _ in range(times + 1):
        start = time.perf_counter()
        answer = get(path)  # type: ignore[operator]
        walls.append(time.perf_counter() - start)
        assert answer.status_code == 200, (path, answer.status_code)
        size = len(answer.data)
    return walls[0], statistics.median(walls[1:]), size


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--links", type=int, default=4000)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=3400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="auditor-dashboard-") as scratch:
        url = f"sqlite:///{scratch}/inventory.db"
        env = dict(os.environ, AUDITOR_DB=url)
        print(
            f"building {args.units} units, {args.devices} devices, {args.links} links × {args.days:g} days …",
            flush=True,
        )
        count = build(url, args, env)
        settings = load_settings(db_url=url, environ={})
        database = open_database(url)
        client = create_app(database, settings, lambda: dt.datetime.now(dt.UTC)).test_client()
        figures = {
            "province page (/)": timed(client.get, "/", 5),
            "unit page (/unit/XA-00001)": timed(client.get, "/unit/XA-00001", 5),
            "link graph (/link/1/graph.svg, 7 days)": timed(client.get, "/link/1/graph.svg", 5),
            "link page (/link/1)": timed(client.get, "/link/1", 5),
        }
        database.close()
        auditor = str(Path(sys.executable).with_name("auditor"))
        png = measure([auditor, "links", "graph", "1", "-o", f"{scratch}/graph.png", "--db", url], env=env)
    scale = (
        f"{args.links:,} links × {args.days:g} days ({count:,} samples), {args.units:,} units, {args.devices:,} devices"
    )
    print(f"\n{scale}; SQLite\n")
    print("| what | cold | warm (median of 5) | response |")
    print("|---|---|---|---|")
    for label, (cold, warm, size) in figures.items():
        print(f"| {label} | {cold:.3f} s | {warm:.3f} s | {size / 1024:.0f} kB |")
    print()
    print(row("`auditor links graph 1 -o graph.png` (its own process)", png, "process start and imports included"))
    print()
    for label, (cold, warm, _) in figures.items():
        print(
            json.dumps(
                {
                    "name": f"dashboard {label}",
                    "wall_s": round(warm, 4),
                    "cold_s": round(cold, 4),
                    "cpu_s": None,
                    "rss_mb": None,
                    "baseline_s": None,
                }
            )
        )
    print(
        json.dumps(
            {
                "name": "links graph (process)",
                "wall_s": png["wall_s"],
                "cpu_s": png["cpu_s"],
                "rss_mb": png["peak_mb"],
                "baseline_s": None,
            }
        )
    )


if __name__ == "__main__":
    main()
