"""Poll 10,000 simulated devices, sample 4,000 links, sweep a /16 of mostly-dead addresses, beside
the peers' tools.

Run as root:  .venv/bin/python benchmarks/poll_sweep.py [--devices 10000] [--links 4000]
              [--sweep 198.19.0.0/16] [--skip-baselines] [--profile DIR]

Everything happens in network namespaces this script creates (auditor.lab.netns): the devices
are 10,000 addresses on the namespace's loopback, all answered by one net-snmp snmpd (so the
agent is C and fast, and every device is a distinct address); the sweep range is routed into a
sink namespace that drops it, with 5% of its addresses live.  Nothing leaves the namespaces.

Measured, each as a separate process: wall time, CPU (user + system, children included) and
peak resident memory:
  1. `auditor poll` over the 10,000 registered devices, first time (identity: system group,
     vendor OIDs, ENTITY-MIB) and again (steady state: ICMP + uptime), into SQLite;
  2. `auditor poll --links` over 4,000 links on the first 4,000 devices (their loopback's
     64-bit counters, 3 echoes to each far end), a second time so every link has a rate;
  3. `xargs -P 4 snmpget` of sysDescr, sysObjectID and sysUpTime over the same addresses;
  4. the ICMP sweep of 198.19.0.0/16 (65,536 addresses, 5% live): auditor's SweepPinger, ping3
     (256 threads), and fping.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.lab import netns  # noqa: E402
from benchmarks.common import MEASURE, figure, measured, row  # noqa: E402

COMMUNITY = "bench-community"
DEVICE_BASE = ipaddress.IPv4Address("198.18.0.1")
DEAD_RANGE = "198.18.0.0/15"  # RFC 2544's benchmarking range, routed into the sink namespace

SWEEP = r"""
import asyncio, json, sys
from auditor.discovery.icmp import Ping3Pinger, SweepPinger
pinger = SweepPinger() if sys.argv[1] == "sweep" else Ping3Pinger(workers=256)
addresses = [line.strip() for line in open(sys.argv[2]) if line.strip()]
results = asyncio.run(pinger.sweep(addresses, timeout_s=1.0, count=2))
print(sum(r.alive for r in results.values()), "alive")
"""


def measure(network: netns.DeadNetwork, argv: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    return measured(network.run([sys.executable, "-c", MEASURE, *argv], timeout=1800, env=env), argv)


# NET-SNMP-AGENT-MIB::nsCacheTimeout, and its row for IF-MIB's ifTable (1.3.6.1.2.1.2.2).
CACHE_TIMEOUTS = "1.3.6.1.4.1.8072.1.5.3.1.2"
IF_TABLE_CACHE = f"{CACHE_TIMEOUTS}.1.3.6.1.2.1.2.2"


def keep_interfaces(network: netns.DeadNetwork, admin: str, address: str) -> None:
    """Make the one agent keep its interface table for an hour instead of 3 s.

    net-snmp reloads ifTable every 3 seconds, idle or not, and each reload reads every IPv4 address
    of the host: with the 10,000 devices' addresses on its one loopback that kept 60% of a core
    busy doing nothing (measured: 624 ticks in 10 idle seconds; 1 with this), a cost no real device
    has, each agent holding its own few addresses.  The table is still served as before."""
    done = network.run(
        ["snmpset", "-v2c", "-c", admin, "-t", "2", "-r", "5", address, IF_TABLE_CACHE, "i", "3600"], timeout=60
    )
    if done.returncode != 0:
        raise SystemExit(f"could not set the agent's ifTable cache timeout: {done.stderr.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--links", type=int, default=4000, help="links to sample (on the first devices; 0: none)")
    parser.add_argument("--sweep", default="198.19.0.0/16", help="the range to sweep, inside 198.18.0.0/15")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--profile", metavar="DIR", help="also write cProfile files of both polls into DIR")
    args = parser.parse_args()
    problem = netns.unavailable()
    if problem:
        raise SystemExit(f"cannot run: {problem}")
    for tool in ("snmpd", "snmpget", "fping"):
        if shutil.which(tool) is None:
            raise SystemExit(f"cannot run: {tool} is not installed (Debian packages snmpd, snmp, fping)")
    auditor = str(Path(sys.executable).with_name("auditor"))
    devices = [str(DEVICE_BASE + i) for i in range(args.devices)]
    network_swept = ipaddress.IPv4Network(args.sweep)
    if not network_swept.subnet_of(ipaddress.IPv4Network(DEAD_RANGE)):
        raise SystemExit(f"--sweep must lie inside {DEAD_RANGE}: only that range is routed into the namespaces")
    sweep = [str(a) for a in network_swept]
    sweep_live = sweep[::20]  # 5%
    scratch = Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    admin = secrets.token_hex(12)  # the agent's write community, for its cache timeouts only
    lines: list[str] = []
    results: dict[str, dict[str, object]] = {}  # figure name → what was measured, for the JSON lines
    with netns.DeadNetwork(live=sweep_live, dead_range=DEAD_RANGE) as network:
        batch = "".join(f"addr add {a}/32 dev lo\n" for a in devices)
        added = subprocess.run(["ip", "-n", network.name, "-batch", "-"], input=batch, text=True, capture_output=True)
        if added.returncode != 0:
            raise SystemExit(f"adding addresses failed: {added.stderr[-500:]}")
        config = scratch / "snmpd.conf"
        config.write_text(
            # One agent stands for 10,000: give it the receive queue 10,000 agents would have between
            # them (the kernel's rmem_max caps it), or a poller's burst overflows the one socket.
            # serverRecvBuf is the library's setting, so snmpd.conf needs "[snmp]" before it: without
            # it (as until 2026-12-08) the agent kept Linux's 208 kB and dropped replies under two
            # workers, each drop a 2-second retry.
            f"agentaddress udp:161\nrocommunity {COMMUNITY} default\n[snmp] serverRecvBuf 4194304\n"
            f"rwcommunity {admin} default -V caches\nview caches included {CACHE_TIMEOUTS}\n"
            "sysDescr Linux bench 6.1.0 #1 SMP x86_64\nsysName bench\n",
            encoding="utf-8",
        )
        snmpd = subprocess.Popen(
            [*network.prefix, "snmpd", "-f", "-Lo", "-C", "-c", str(config), "-p", str(scratch / "snmpd.pid")],
            env=dict(os.environ, SNMP_PERSISTENT_DIR=str(scratch / "persist")),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            keep_interfaces(network, admin, devices[0])
            units = scratch / "units.csv"
            units.write_text("unit_code,unit_name\nXA-BENCH,Benchmark\n", encoding="utf-8")
            register = scratch / "devices.csv"
            register.write_text(
                "unit_code,hostname,ip,snmp_version\n"
                + "".join(f"XA-BENCH,dev-{i},{a},2c\n" for i, a in enumerate(devices)),
                encoding="utf-8",
            )
            env = dict(
                os.environ,
                AUDITOR_DB=f"sqlite:///{scratch}/bench.db",
                AUDITOR_SNMP_COMMUNITIES=COMMUNITY,
                AUDITOR_SNMP_TIMEOUT="2",
                AUDITOR_SNMP_RETRIES="1",
            )
            for step in (["init"], ["register", "import", str(units)], ["register", "import", str(register)]):
                done = network.run([auditor, *step], env=env, timeout=600)
                if done.returncode != 0:
                    raise SystemExit(f"auditor {step[0]} failed: {done.stderr}")

            def poll_argv(name: str) -> list[str]:
                if args.profile:
                    return [
                        sys.executable,
                        "-m",
                        "cProfile",
                        "-o",
                        f"{args.profile}/{name}.prof",
                        "-m",
                        "auditor",
                        "poll",
                        "-v",
                        "--scans-dir",
                        str(scratch / "scans"),
                    ]
                return [auditor, "poll", "-v", "--scans-dir", str(scratch / "scans")]

            def agent_cpu() -> float:
                """CPU the simulated devices' agent used: on this machine it competes with the poller."""
                fields = Path(f"/proc/{snmpd.pid}/stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

            def measured_row(name: str, label: str, argv: list[str], note: str, tail: bool = False) -> None:
                """Measure `argv` and the agent's CPU beside it; a table row (`note` names the work)."""
                before = agent_cpu()
                result = results[name] = measure(network, argv, env)
                cpu = round(agent_cpu() - before, 2)
                print(result["stdout"], result["stderr"])
                said = "; " + " ".join(str(result["stdout"]).split())[:120] if tail else ""
                lines.append(row(label, result, f"{note}; snmpd used {cpu} s CPU{said}"))

            measured_row(
                f"poll first {args.devices} devices",
                f"`auditor poll`, {args.devices:,} devices, first (full identity)",
                poll_argv("first"),
                "ICMP + SNMP system group, vendor OIDs, ENTITY-MIB, into SQLite",
            )
            measured_row(
                f"poll routine {args.devices} devices",
                f"`auditor poll`, {args.devices:,} devices, routine (identity + uptime)",
                poll_argv("steady"),
                "ICMP + SNMP system group, reboots, into SQLite",
            )
            if args.links:
                links = scratch / "links.csv"
                links.write_text(
                    "unit_code,name,capacity_mbps,device,interface,far_end_ip\n"
                    + "".join(f"XA-BENCH,WAN-{i},100,dev-{i},lo,{a}\n" for i, a in enumerate(devices[: args.links])),
                    encoding="utf-8",
                )
                done = network.run([auditor, "register", "import", str(links)], env=env, timeout=600)
                if done.returncode != 0:
                    raise SystemExit(f"importing the links failed: {done.stderr}")
                sample = [auditor, "poll", "--links", "-v"]
                measure(network, sample, env)  # the first sample: each link's interface found, no rate yet
                time.sleep(5)
                measured_row(
                    f"poll --links {args.links} links",
                    f"`auditor poll --links`, {args.links:,} links, one 5-minute cycle",
                    sample,
                    "counters (64-bit) + 3 echoes to each far end + rates, into SQLite",
                    tail=True,
                )
            if not args.skip_baselines:
                targets = scratch / "devices.txt"
                targets.write_text("\n".join(devices) + "\n", encoding="utf-8")
                measured_row(
                    f"snmpget baseline {args.devices} devices",
                    f"`xargs -P 4 snmpget` (3 OIDs), {args.devices:,} devices",
                    [
                        "sh",
                        "-c",
                        f"xargs -P 4 -I{{}} snmpget -v2c -c {COMMUNITY} -t 2 -r 1 -Oqv "
                        f"{{}} 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.3.0 "
                        f"< {targets} > /dev/null",
                    ],
                    "SNMP only",
                )
        finally:
            snmpd.terminate()
            snmpd.wait(timeout=10)

        listing = scratch / "sweep.txt"
        listing.write_text("\n".join(sweep) + "\n", encoding="utf-8")
        label = f"{len(sweep):,} addresses, {len(sweep_live)} live"
        ours = results[f"sweep {len(sweep)} addresses"] = measure(
            network, [sys.executable, "-c", SWEEP, "sweep", str(listing)]
        )
        lines.append(row(f"ICMP sweep, auditor SweepPinger, {label}", ours, str(ours["stdout"]).strip()))
        if not args.skip_baselines and len(sweep) <= 4096:  # 256 threads need ~9 minutes for a /16
            ping3 = results[f"sweep baseline ping3 {len(sweep)} addresses"] = measure(
                network, [sys.executable, "-c", SWEEP, "ping3", str(listing)]
            )
            lines.append(row(f"ICMP sweep, ping3 in 256 threads, {label}", ping3, str(ping3["stdout"]).strip()))
        if not args.skip_baselines:
            fping = results[f"sweep baseline fping {len(sweep)} addresses"] = measure(
                network, ["sh", "-c", f"fping -q -a -r 1 -t 1000 -i 1 -f {listing} | wc -l"]
            )
            lines.append(
                row(f"ICMP sweep, `fping -r 1 -t 1000 -i 1`, {label}", fping, f"{str(fping['stdout']).strip()} alive")
            )
    shutil.rmtree(scratch, ignore_errors=True)
    print("\n| what | wall | CPU | peak RSS | notes |\n|---|---|---|---|---|")
    print("\n".join(lines))
    print()
    # One JSON line per figure; a poll's baseline is the snmpget script of the same run, a sweep's fping.
    snmpget = results.get(f"snmpget baseline {args.devices} devices")
    fping_run = results.get(f"sweep baseline fping {len(sweep)} addresses")
    for name, result in results.items():
        peer = fping_run if name.startswith("sweep ") else snmpget if name.startswith("poll ") else None
        baseline = peer is not None and peer is not result and "--links" not in name
        figure(name, result, float(str(peer["wall_s"])) if baseline and peer is not None else None)


if __name__ == "__main__":
    main()
