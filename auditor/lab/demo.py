"""`make demo`: the whole job on a simulated province, on loopback only.

The province is the example register (examples/register): its units, devices and links are
imported as a clerk would; each unit's router becomes a real SNMP agent (snmpsim) at the
router's loopback address, whose WAN counters grow at a chosen share of the link's bandwidth;
a week of link history is stored through the same path as real samples, marked simulated.
Then the commands a person runs: poll, sample the links, judge them, export the register.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from auditor.db.engine import open_database
from auditor.jobs.listings import links as list_links
from auditor.lab.history import Pattern, seed_link
from auditor.lab.province import SimulatedRouter, SimulatedSwitch, write_recordings, write_switches
from auditor.lab.snmpsim import SnmpSimulator, free_udp_port

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "register"


Run = Callable[..., None]
DASHBOARD = "http://127.0.0.1:8080/"  # serve.listen and serve.port by default


def _runner(db: str) -> Run:
    """Each command as a person types it: a process of the installed `auditor`, its output shown."""
    auditor = str(Path(sys.executable).with_name("auditor"))

    def run(*args: str, show: bool = True) -> None:
        argv = [auditor, *args]
        if args[:2] != ("register", "template"):  # the one command without a database
            argv += ["--db", db]
        print(f"\n$ auditor {' '.join(args)}", flush=True)
        done = subprocess.run(argv, capture_output=True, text=True)
        if show:
            print(done.stdout.rstrip())
        if done.stderr.strip():
            print(done.stderr.rstrip(), file=sys.stderr)
        if done.returncode != 0:
            raise SystemExit(f"the demo stopped: `auditor {' '.join(args)}` exited {done.returncode}")

    return run


def _register(run: Run, out: Path) -> tuple[list[SimulatedRouter], list[SimulatedSwitch], int]:
    """The register imported as a clerk would, then the SNMP settings of the routers and switches;
    those agents, and the port they answer on."""
    run("init")
    run("register", "template", str(out / "phieu-khao-sat.xlsx"))
    for sheet in ("don-vi", "thiet-bi", "duong-truyen"):
        run("register", "import", str(EXAMPLES / f"{sheet}.csv"))
    routers = write_recordings(EXAMPLES, out / "agents")
    switches = write_switches(EXAMPLES, out / "agents")
    port = free_udp_port(routers[0].address)
    settings = out / "snmp.csv"  # what a clerk adds to the register for the devices that speak SNMP
    settings.write_text(
        "asset_tag,unit_code,snmp_version,snmp_port,snmp_community\n"
        + "".join(f"{r.asset_tag},{r.unit_code},2c,{port},{r.community}\n" for r in routers)
        + "".join(f"{w.asset_tag},{w.unit_code},2c,{port},{w.community}\n" for w in switches),
        encoding="utf-8",
    )
    run("register", "import", str(settings))
    return routers, switches, port


def _history(db: str, routers: list[SimulatedRouter], now: dt.datetime) -> None:
    """A week of history for every link, ending half an hour before `now`: the live samples that
    follow start a new series (the first interval is a gap, and says so)."""
    with open_database(db) as database:
        links = {link.unit_code: link for link in list_links(database)}
        for seed, router in enumerate(routers):
            busy = router.capacity_mbps * router.load
            pattern = Pattern(
                busy,
                busy / 8,
                router.capacity_mbps * 0.1,
                busy / 20,
                rtt_ms=15 + seed * 3,
                loss_pct=0.0 if router.load < 0.9 else 1.5,
            )
            seed_link(database, links[router.unit_code].id, pattern, now - dt.timedelta(minutes=30), seed=seed)
    print(f"\n(stored a simulated week of 5-minute samples for {len(routers)} links)")


def main(out: Path = Path("demo-output")) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    db = f"sqlite:///{out / 'inventory.db'}"
    run = _runner(db)
    routers, switches, port = _register(run, out)
    addresses = [r.address for r in routers[1:]] + [w.address for w in switches]
    endpoints = tuple(f"--agent-udpv4-endpoint={address}:{port}" for address in addresses)
    with SnmpSimulator(
        out / "agents",
        probe_community=routers[0].community,
        host=routers[0].address,
        port=port,
        cache_dir=out / "agents-cache",
        extra_args=endpoints,
    ):
        # Two addresses on Hưng Phúc's LAN are not in the register: the scan finds them.
        scans = str(out / "scans")
        run(
            "scan", "127.38.5.0/29", "--unit", "XA-HUNGPHUC", "--scans-dir", scans, "--timeout", "0.5", "--retries", "0"
        )
        run("poll", "--scans-dir", scans, "--timeout", "1", "--retries", "0")
        run("devices", "list", "--unit", "XA-HUNGPHUC")
        # Its PCs registered by MAC alone, and one nobody registered, seen only by the router's
        # ARP table and the switch's forwarding table.
        run("endpoints", "list", "--unit", "XA-HUNGPHUC")
        _history(db, routers, dt.datetime.now(dt.UTC))
        run("poll", "--links")
        time.sleep(3)
        run("poll", "--links")
    run("links", "report")
    run("links", "graph", "XA-KIMLIEN", "-o", str(out / "do-thi-XA-KIMLIEN.png"))
    run("links", "graph", "--all", "-o", str(out / "do-thi-toan-tinh.png"))
    run("audit", "--no-poll", "--export", str(out / "reports"))
    run("findings", "--kind", "link_congested")
    run("findings", "--kind", "unregistered")
    run("export", "procurement", str(out / "danh-muc-de-xuat.xlsx"))
    printed = shutil.which("soffice") or shutil.which("libreoffice")
    if printed:  # the signed list as it prints, and its first page as a picture
        run("export", "procurement", str(out / "danh-muc-de-xuat.pdf"))
        if shutil.which("pdftoppm"):
            run("export", "procurement", str(out / "danh-muc-de-xuat-trang-1.png"))
    else:
        print("\n(LibreOffice is not installed, so no PDF: sudo apt-get install libreoffice-calc)")
    # each unit's inventory record, to check and sign
    run("export", "inventory", str(out / "bien-ban"), "--format", "pdf" if printed else "xlsx")
    run("register", "export", str(out / "so-dang-ky.xlsx"))
    print(
        f"\nDemo done.  The procurement workbook to print and sign: {out / 'danh-muc-de-xuat.xlsx'}\n"
        + (f"and as it prints: {out / 'danh-muc-de-xuat.pdf'}\n" if printed else "")
        + f"(and the nightly audit's copy under {out / 'reports'}/<date>/).  Also in {out}/: inventory.db,\n"
        "phieu-khao-sat.xlsx (the blank survey), so-dang-ky.xlsx (the register), do-thi-*.png (the link\n"
        "graphs: XA-KIMLIEN's week, every link on one page), bien-ban/ (the inventory records), scans/, agents/."
    )
    print(
        f"\nThe dashboard over the same database: `make serve` (or `auditor serve --db sqlite:///{out}/inventory.db`),\n"
        f"then open {DASHBOARD} in a browser; `make demo SERVE=1` starts it now."
    )


if __name__ == "__main__":
    main()
    if "--serve" in sys.argv[1:]:  # `make demo SERVE=1`: the dashboard over what the demo made
        os.execv(
            str(Path(sys.executable).with_name("auditor")),
            ["auditor", "serve", "--db", "sqlite:///demo-output/inventory.db"],
        )
