"""A whole country in the database: the congestion judgement, the audit and its export, and growth.

Run:  .venv/bin/python benchmarks/scale.py [--db sqlite|postgresql|both] [--links 4000]
      [--days 7] [--devices 100000] [--units 3400]

Builds, in a scratch directory (SQLite) and/or a throwaway PostgreSQL server (auditor.lab.postgres,
as root it runs the server as the `postgres` user), the inventory of ~3,300 communes and the
provincial bodies: 3,400 units in 63 poller groups, 100,000 devices, 4,000 links, and a week of
5-minute samples of every link (4,000 × 7 × 288 = 8.06 million rows), written cycle by cycle as
the agent writes them (time-major, so a link's samples are scattered as in real life).  Rows are
bulk-loaded (executemany on SQLite, COPY on PostgreSQL): the loading is set-up, not measured.

Measured, each as its own process (wall, CPU with children and, on PostgreSQL, the server's, peak
RSS of all the command's processes):
  1. the first `auditor links report` after the bulk load: it builds every link's hour arrays (the
     link hours, db/samples.py) from the raw rows, as the first judgement after an upgrade does;
  2. `auditor links report` again: the routine congestion judgement of every link over its window;
  3. one sampler cycle stored as `poll --links` stores it (4,000 samples, the hour arrays extended);
  4. `auditor audit --no-poll --export DIR`: every rule over every device and link, the findings,
     and the procurement workbook;
and the database's growth: bytes per link sample (raw rows, and the link hours beside them) and
per device poll (table and indexes), scaled to a link-day (288 samples) and a device-day (96 polls
at the agent's default 15 minutes).  Prints the table, and one JSON line per figure.
No network traffic at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.db.engine import make_engine  # noqa: E402
from auditor.lab.postgres import throwaway_postgres  # noqa: E402
from benchmarks.common import figure, measure, postgres_cpu_s, row  # noqa: E402

STEP_S = 300
TIERS = (20, 30, 50, 100)
CATEGORIES = ["desktop"] * 12 + ["laptop"] * 3 + ["printer"] * 5 + ["scanner", "switch", "router", "ups", "phone"]
NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, second=0, microsecond=0)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load(url: str, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Bulk-insert `rows`; how many."""
    engine = make_engine(url)
    raw = engine.raw_connection()
    count = 0
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for values in rows:
                    copy.write_row(values)
                    count += 1
        else:
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            batch: list[tuple[Any, ...]] = []
            for values in rows:
                batch.append(tuple(_sqlite_value(v) for v in values))
                if len(batch) >= 50_000:
                    cursor.executemany(statement, batch)
                    count += len(batch)
                    batch.clear()
            cursor.executemany(statement, batch)
            count += len(batch)
        if engine.dialect.name == "postgresql":  # later inserts take ids after the loaded ones
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return count


def units(count: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(1)
    for i in range(1, count + 1):
        kind = "party_board" if i <= 100 else "commune_committee"
        yield (i, f"XA-{i:05d}", f"Đảng ủy xã số {i}", kind, rng.randint(12, 60), f"tinh-{i % 63:02d}", NOW, NOW)


def devices(count: int, unit_count: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(2)
    for i in range(1, count + 1):
        year = rng.randint(2009, 2025)
        known = rng.random() > 0.08
        yield (
            i,
            1 + i % unit_count,
            f"pc-{i:06d}",
            f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            rng.choice(CATEGORIES),
            "Dell",
            f"OptiPlex {rng.choice([380, 3020, 3080, 7010])}",
            f"SN{i:08d}",
            f"TS-{i:06d}",
            dt.date(year, 1, 1) if known else None,
            "year" if known else None,
            rng.choice(["good", "good", "degraded", "broken"]),
            "active",
            True,
            rng.random() > 0.1,
            NOW,
            NOW,
        )


def links(count: int, unit_count: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(3)
    for i in range(1, count + 1):
        capacity = rng.choice(TIERS)
        name = "TSLCD" if i <= unit_count else f"TSLCD-{i}"
        yield (i, 1 + (i - 1) % unit_count, name, "VNPT", capacity, capacity, NOW, NOW)


def samples(link_count: int, days: float) -> Iterator[tuple[Any, ...]]:
    """Time-major, as the agent writes: every link at each 5-minute tick.  Each link has a load
    (a fraction of its capacity at the busiest hour; ~8% of links above 90%) and a working-day shape."""
    rng = random.Random(4)
    capacity = [rng.choice(TIERS) * 1e6 for _ in range(link_count)]  # the same draws as links()
    rng = random.Random(5)
    load = [min(1.1, rng.betavariate(2, 3) * 1.3) for _ in range(link_count)]
    steps = int(days * 86_400 / STEP_S)
    start = NOW - dt.timedelta(seconds=steps * STEP_S)
    octets = [0] * link_count
    identifier = 0
    for k in range(1, steps + 1):
        tick = start + dt.timedelta(seconds=k * STEP_S)
        local_hour = (tick.hour + 7 + tick.minute / 60) % 24
        shape = 0.25 + 0.75 * max(0.0, math.sin(math.pi * (local_hour - 7) / 10)) if tick.weekday() < 5 else 0.25
        for i in range(link_count):
            identifier += 1
            at = tick + dt.timedelta(microseconds=rng.randint(0, 900_000))
            in_bps = capacity[i] * load[i] * shape * rng.uniform(0.8, 1.05)
            out_bps = in_bps * rng.uniform(0.1, 0.4)
            octets[i] += int(in_bps * STEP_S / 8)
            yield (
                identifier,
                i + 1,
                at,
                1,
                64,
                octets[i],
                octets[i] // 4,
                k * STEP_S,
                float(STEP_S),
                at - dt.timedelta(seconds=STEP_S),
                in_bps,
                out_bps,
                rng.uniform(4, 40),
                rng.uniform(40, 90),
                0.0 if rng.random() > 0.02 else 33.3,
                False,
            )


def polls(device_count: int, per_device: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(6)
    identifier = 0
    for k in range(per_device):
        at = NOW - dt.timedelta(minutes=15 * (per_device - k))
        for device in range(1, device_count + 1):
            identifier += 1
            alive = rng.random() > 0.05
            yield (identifier, device, at, alive, rng.uniform(1, 30) if alive else None, alive, 86_400 * 30, False)


SAMPLE_COLUMNS = [
    "id",
    "link_id",
    "sampled_at",
    "if_index",
    "counter_bits",
    "in_octets",
    "out_octets",
    "uptime_s",
    "interval_s",
    "started_at",
    "in_bps",
    "out_bps",
    "rtt_avg_ms",
    "rtt_max_ms",
    "loss_pct",
    "simulated",
]
POLL_COLUMNS = ["id", "device_id", "polled_at", "reachable", "rtt_ms", "snmp_ok", "uptime_s", "rebooted"]


# One sampler cycle stored as `auditor poll --links` stores it (jobs/sample.py): under the samples
# lock, each link's last sample read, one new sample per link, its hour array extended.  Prints
# the seconds the storing took (the interpreter's start-up is not the sampler's).
CYCLE = r"""
import datetime as dt, json, random, sys, time
from auditor.db import samples
from auditor.db.engine import open_database
from auditor.traffic import CounterSample, Interval, LinkObservation
url, count, end = sys.argv[1], int(sys.argv[2]), dt.datetime.fromisoformat(sys.argv[3]).replace(tzinfo=dt.UTC)
rng = random.Random(8)
database = open_database(url)
started = time.perf_counter()
with database.session() as session:
    samples.lock_samples(session)
    latest = samples.latest_sampled(session, list(range(1, count + 1)))
    cycle = []
    for link_id in range(1, count + 1):
        at = end + dt.timedelta(seconds=300 + rng.uniform(0, 0.9))
        counters = CounterSample(at=at, in_octets=0, out_octets=0, counter_bits=64, if_index=1, uptime_s=0)
        rate = rng.uniform(0, 2e7)
        observed = LinkObservation(link_id, counters, 10.0, 40.0, 0.0)
        cycle.append((observed, Interval(latest[link_id], at, rate, rate / 4)))
    samples.store_link_samples(session, cycle, None, end)
print(json.dumps({"store_s": round(time.perf_counter() - started, 2)}))
database.close()
"""


def size_of(url: str, table: str) -> int:
    """Bytes the table and its indexes take."""
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SELECT pg_total_relation_size(%s)", (table,))
            return int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT SUM(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = ?)", (table,)
        )
        found = cursor.fetchone()[0]
        if found is None:  # no dbstat in this SQLite: the index pages cannot be told apart
            raise SystemExit("this SQLite has no dbstat virtual table")
        return int(found)
    finally:
        raw.close()
        engine.dispose()


def vacuum(url: str) -> None:
    engine = make_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def timed(
    argv: list[str], env: dict[str, str], server_cpu: Callable[[], float] | None
) -> tuple[dict[str, object], float]:
    """`argv` measured; and the database server's CPU meanwhile (0 for SQLite, which is in-process)."""
    before = server_cpu() if server_cpu else 0.0
    result = measure(argv, env=env, fatal=True)
    return result, (server_cpu() - before if server_cpu else 0.0)


def with_server(result: dict[str, object], server_s: float) -> dict[str, object]:
    """The figures with the server's CPU added to the command's, for the table."""
    return result | {"cpu_s": round(float(str(result["cpu_s"])) + server_s, 2)} if server_s else result


def run(
    kind: str, url: str, scratch: Path, args: argparse.Namespace, server_cpu: Callable[[], float] | None = None
) -> list[str]:
    auditor = str(Path(sys.executable).with_name("auditor"))
    env = dict(os.environ, AUDITOR_DB=url)
    subprocess.run([auditor, "init"], env=env, check=True, capture_output=True)
    print(f"[{kind}] loading {args.units} units, {args.devices} devices, {args.links} links …", flush=True)
    load(
        url,
        "unit",
        ["id", "code", "name", "kind", "staff_count", "poller_group", "created_at", "updated_at"],
        units(args.units),
    )
    load(
        url,
        "device",
        [
            "id",
            "unit_id",
            "hostname",
            "ip",
            "category",
            "vendor",
            "model",
            "serial",
            "asset_tag",
            "in_service_on",
            "in_service_precision",
            "condition",
            "status",
            "registered",
            "reachable",
            "created_at",
            "updated_at",
        ],
        devices(args.devices, args.units),
    )
    load(
        url,
        "link",
        ["id", "unit_id", "name", "provider", "capacity_down_mbps", "capacity_up_mbps", "created_at", "updated_at"],
        links(args.links, args.units),
    )
    print(f"[{kind}] loading {args.links} links × {args.days:g} days of 5-minute samples …", flush=True)
    sample_rows = load(url, "link_sample", SAMPLE_COLUMNS, samples(args.links, args.days))
    poll_devices = min(args.devices, 10_000)
    poll_rows = load(url, "device_poll", POLL_COLUMNS, polls(poll_devices, 96))
    if url.startswith("postgresql"):
        vacuum(url)
    per_sample = size_of(url, "link_sample") / sample_rows
    per_poll = size_of(url, "device_poll") / poll_rows
    print(f"[{kind}] {sample_rows:,} samples, {poll_rows:,} polls loaded; measuring …", flush=True)
    report_argv = [auditor, "-v", "links", "report", "--format", "json", "--db", url]
    first, first_server = timed(report_argv, env, server_cpu)  # builds the link hours: once, after the bulk load
    if url.startswith("postgresql"):
        # as autovacuum would have long since, in the days after: the routine judgement is measured,
        # not the planner's first guesses about 4,000 links' freshly written hours (or a vacuum racing it)
        vacuum(url)
    report, report_server = timed(report_argv, env, server_cpu)
    verdicts = str(report["stdout"]).count('"verdict": "congested"')
    per_hour_row = size_of(url, "link_hour") / sample_rows
    cycle, cycle_server = timed([sys.executable, "-c", CYCLE, url, str(args.links), NOW.isoformat()], env, server_cpu)
    stored_s = json.loads(str(cycle["stdout"]))["store_s"]
    audit, audit_server = timed(
        [auditor, "audit", "--no-poll", "--export", str(scratch / f"export-{kind}"), "--db", url], env, server_cpu
    )
    workbooks = list((scratch / f"export-{kind}").glob("*/danh-muc-de-xuat.xlsx"))
    size_mb = workbooks[0].stat().st_size / 1e6 if workbooks else 0
    server_note = "; CPU includes the server's" if server_cpu else ""
    figure(f"{kind}: first judgement after a bulk load (builds the link hours)", first, extra_cpu_s=first_server)
    figure(f"{kind}: links report, {args.links} links x {args.days:g} days", report, extra_cpu_s=report_server)
    figure(
        f"{kind}: storing one sampler cycle of {args.links} links",
        cycle | {"wall_s": stored_s},
        extra_cpu_s=cycle_server,
    )
    figure(
        f"{kind}: audit --no-poll --export, {args.devices} devices, {args.links} links", audit, extra_cpu_s=audit_server
    )
    return [
        row(
            f"{kind}: first `auditor links report` after the bulk load",
            with_server(first, first_server),
            "builds every link's hour arrays from the raw samples (once: after an upgrade or a bulk load)"
            + server_note,
        ),
        row(
            f"{kind}: `auditor links report`, {args.links:,} links × {args.days:g} days ({sample_rows:,} samples)",
            with_server(report, report_server),
            "judgement of every link"
            + (f"; the tail of its output names {verdicts} congested" if verdicts else "")
            + server_note,
        ),
        f"| {kind}: storing one sampler cycle of {args.links:,} links | {stored_s} s | | | "
        "as `poll --links` stores it: lock, last samples, rows, hour arrays extended (the process: "
        f"{cycle['wall_s']} s wall with start-up) |",
        row(
            f"{kind}: `auditor audit --no-poll --export`, {args.devices:,} devices, {args.links:,} links",
            with_server(audit, audit_server),
            f"findings + workbook ({size_mb:.1f} MB); " + " ".join(str(audit["stdout"]).split())[:160] + server_note,
        ),
        f"| {kind}: storage | {per_sample:.0f} B a link sample → **{per_sample * 288 / 1024:.0f} kB a link-day**, "
        f"and {per_hour_row:.0f} B a sample in the link hours ({per_hour_row * 288 / 1024:.0f} kB a link-day); "
        f"{per_poll:.0f} B a device poll → **{per_poll * 96 / 1024:.1f} kB a device-day** (96 polls) | | | "
        "table + indexes |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--links", type=int, default=4000)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=3400)
    args = parser.parse_args()
    lines = ["| what | wall | CPU | peak RSS | notes |", "|---|---|---|---|---|"]
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="auditor-scale-")))
        if args.db in ("sqlite", "both"):
            lines += run("SQLite", f"sqlite:///{scratch}/inventory.db", scratch, args)
        if args.db in ("postgresql", "both"):
            server = stack.enter_context(throwaway_postgres("-c shared_buffers=256MB -c work_mem=64MB"))
            lines += run(
                "PostgreSQL", server.new_database("bench"), scratch, args, lambda: postgres_cpu_s(server.socket_dir)
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
