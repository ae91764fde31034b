"""Reading the tables that show the endpoints: a 48-port switch with 1,000 MACs, a router with
2,000 ARP entries, and the same at a tenth and ten times the size (the curve).

Run:  .venv/bin/python benchmarks/tables.py [--repeat 3]

The devices are generated recordings served by snmpsim on 127.0.0.1 (a real SNMP agent): the
switch has 48 edge ports and two uplinks, Q-BRIDGE forwarding entries in two VLANs, the bridge
port map and an LLDP neighbour on its uplink; the router has IP-MIB's ipNetToPhysicalTable and
ipNetToMediaTable.  Each figure is `read_tables` (what every poll of the device runs) in this
process: the best wall time of `--repeat` reads, its CPU, the requests it sent; the baseline is
net-snmp's `snmpbulkwalk` of the same columns (max-repetitions 25, as auditor asks), one
process per column.  Prints a table row per device and one JSON line per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.config import Secret  # noqa: E402
from auditor.lab.snmpsim import SnmpSimulator  # noqa: E402
from auditor.snmp import oids  # noqa: E402
from auditor.snmp.client import SnmpClient, SnmpTarget  # noqa: E402
from auditor.snmp.poller import read_tables  # noqa: E402

SYSTEM = [
    "1.3.6.1.2.1.1.1.0|4|bench device",
    "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10",
    "1.3.6.1.2.1.1.3.0|67|100",
    "1.3.6.1.2.1.1.5.0|4|bench",
]


def _hex_mac(n: int) -> str:
    return "3c5282" + f"{n:06x}"


def _sorted(lines: list[str]) -> str:
    return "\n".join(sorted(lines, key=lambda line: tuple(int(a) for a in line.split("|")[0].split(".")))) + "\n"


def switch(macs: int, ports: int = 48) -> str:
    """A switch: `ports` edge ports and two uplinks, `macs` MACs behind the edge ports in VLANs 10
    and 20, the switch upstream's MAC and an LLDP neighbour on uplink 49."""
    lines = list(SYSTEM)
    for port in range(1, ports + 3):
        lines += [
            f"{oids.IF_DESCR}.{port}|4|GigabitEthernet0/{port}",
            f"{oids.IF_NAME}.{port}|4|Gi0/{port}",
            f"{oids.DOT1D_BASE_PORT_IF_INDEX}.{port}|2|{port}",
        ]
    for n in range(macs):
        vlan, port = (10 if n % 2 else 20), 1 + n % ports
        index = ".".join(str(int(_hex_mac(n)[i : i + 2], 16)) for i in range(0, 12, 2))
        lines += [f"{oids.DOT1Q_TP_FDB}.2.{vlan}.{index}|2|{port}", f"{oids.DOT1Q_TP_FDB}.3.{vlan}.{index}|2|3"]
    for column, value in (("4", "2|4"), ("5", "4x|001122334455"), ("7", "4|Gi1/0/1"), ("9", "4|core-sw")):
        lines.append(f"{oids.LLDP_REM}.{column}.0.{ports + 1}.1|{value}")
    return _sorted(lines)


def router(entries: int) -> str:
    """A router: `entries` neighbours on one VLAN interface, in both IP-MIB tables."""
    lines = [*SYSTEM, f"{oids.IF_NAME}.3|4|vlan10", f"{oids.IF_DESCR}.3|4|vlan10"]
    for n in range(entries):
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        lines += [
            f"{oids.IP_NET_TO_PHYSICAL}.4.3.1.4.{address}|4x|{_hex_mac(n)}",
            f"{oids.IP_NET_TO_PHYSICAL}.6.3.1.4.{address}|2|3",
            f"{oids.IP_NET_TO_MEDIA}.2.3.{address}|4x|{_hex_mac(n)}",
            f"{oids.IP_NET_TO_MEDIA}.4.3.{address}|2|3",
        ]
    return _sorted(lines)


def _read(host: str, port: int, name: str) -> tuple[float, float, int, int, int]:
    async def once() -> tuple[int, int, int]:
        async with SnmpClient() as client:
            found = await read_tables(client, SnmpTarget(host, port, community=Secret(name), timeout_s=5.0, retries=1))
        return found.requests, len(found.fdb), len(found.arp)

    wall, cpu = time.perf_counter(), time.process_time()
    requests, fdb, arp = asyncio.run(once())
    return time.perf_counter() - wall, time.process_time() - cpu, requests, fdb, arp


def _baseline(host: str, port: int, name: str, subtrees: list[str]) -> float:
    started = time.perf_counter()
    for subtree in subtrees:
        subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", name, "-Cr25", "-On", "-t", "5", f"{host}:{port}", subtree],
            capture_output=True,
            check=True,
        )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # The baseline walks what read_tables reads of each: the same columns, one walk each.
    ports = [oids.IF_NAME, oids.IF_DESCR]
    fdb = [f"{oids.DOT1Q_TP_FDB}.2", f"{oids.DOT1Q_TP_FDB}.3", oids.DOT1D_BASE_PORT_IF_INDEX, oids.LLDP_REM]
    arp = [f"{oids.IP_NET_TO_PHYSICAL}.4", f"{oids.IP_NET_TO_PHYSICAL}.6"]
    devices = {f"switch-48p-{macs}-macs": (switch(macs), ports + fdb) for macs in (100, 1000, 10_000)} | {
        f"router-{entries}-arp": (router(entries), ports + arp) for entries in (200, 2000, 20_000)
    }
    data = Path(tempfile.mkdtemp(prefix="auditor-bench-tables-"))
    try:
        for name, (text, _) in devices.items():
            (data / f"{name}.snmprec").write_text(text, encoding="utf-8")
        with SnmpSimulator(data, probe_community=next(iter(devices))) as agent:
            print(f"{'device':28} {'wall':>8} {'CPU':>8} {'requests':>9} {'entries':>8} {'snmpbulkwalk':>13}")
            for name, (_, subtrees) in devices.items():
                runs = [_read(agent.host, agent.port, name) for _ in range(args.repeat)]
                wall, cpu, requests, fdb, arp = min(runs)
                baseline = _baseline(agent.host, agent.port, name, subtrees) if shutil.which("snmpbulkwalk") else None
                entries = fdb or arp
                shown = f"{baseline:12.2f}s" if baseline is not None else "           -"
                print(f"{name:28} {wall:7.2f}s {cpu:7.2f}s {requests:9d} {entries:8d} {shown}")
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                figure = {
                    "name": f"tables {name}",
                    "wall_s": round(wall, 3),
                    "cpu_s": round(cpu, 3),
                    "rss_mb": round(rss),
                    "baseline_s": round(baseline, 3) if baseline is not None else None,
                    "requests": requests,
                    "entries": entries,
                }
                print(json.dumps(figure))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
