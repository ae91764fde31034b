"""A scan beside an agent that floods the scanner with replies: how much slower, and what it prints.

Run:  .venv/bin/python benchmarks/reply_flood.py [--devices 200] [--senders 1]

One net-snmp `snmpd` (Debian's `snmpd`) answers for DEVICES loopback addresses (127.0.77.1…, an
unprivileged port); a flooder process listens on one more address of the same port and, once
asked anything, sends the asker well-formed SNMP replies from another loopback address as fast
as it can (`--senders` processes), for as long as the scan runs.  `auditor scan` (ICMP, then the
full identity of every device) runs as its own process three times over the devices and the
flooder's address: with the flooder silent (a device that never answers costs a timeout round
either way), flooding, and silent again; each figure is the process's wall time, CPU and peak
memory, and the flood's size.  The scan's stderr is checked for tracebacks.  Everything is
on 127.0.0.0/8.  Prints a table row per run and one JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.lab.snmpsim import free_udp_port  # noqa: E402
from benchmarks.common import measure, row  # noqa: E402

COMMUNITY = "bench-community"
BASE = "127.0.77."
FLOODER = "127.0.78.1"
FLOOD_FROM = "127.0.78.2"


def _reply() -> bytes:
    """A well-formed SNMPv2c Response (sysDescr.0 = "FLOOD", request id 1), encoded by pysnmp."""
    from pyasn1.codec.ber import encoder
    from pysnmp.proto import api

    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, pdu = v2c.Message(), v2c.GetResponsePDU()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, COMMUNITY.encode())
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, 1)
    v2c.apiPDU.set_varbinds(pdu, [((1, 3, 6, 1, 2, 1, 1, 1, 0), v2c.OctetString(b"FLOOD"))])
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def _flood(asker: tuple[str, int], stop: Any, sent: Any) -> None:
    payload = _reply()
    count = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind((FLOOD_FROM, 0))
        while not stop.is_set():
            for _ in range(1000):
                try:
                    other.sendto(payload, asker)
                except OSError:  # the scanner's socket is gone
                    break
            count += 1000
    with sent.get_lock():
        sent.value += count


def flooder(port: int, senders: int, stop: Any, sent: Any) -> None:
    """Listen on FLOODER:port; the first time anyone asks, flood them until `stop` (with no
    senders: never answer, a silent device)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as agent:
        agent.bind((FLOODER, port))
        agent.settimeout(0.2)
        while not stop.is_set():
            try:
                _, asker = agent.recvfrom(65535)
            except TimeoutError:
                continue
            if not senders:
                continue
            workers = [multiprocessing.Process(target=_flood, args=(asker, stop, sent)) for _ in range(senders)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--senders", type=int, default=1, help="flooding processes")
    args = parser.parse_args()
    if shutil.which("snmpd") is None:
        raise SystemExit("cannot run: snmpd is not installed (Debian package snmpd)")
    port = free_udp_port()
    devices = [f"{BASE}{i}" for i in range(1, args.devices + 1)]
    scratch = Path(tempfile.mkdtemp(prefix="auditor-flood-"))
    config = scratch / "snmpd.conf"
    config.write_text(
        "agentaddress " + ",".join(f"udp:{a}:{port}" for a in devices) + "\n"
        f"rocommunity {COMMUNITY} 127.0.0.0/8\nsysDescr Linux bench 6.1.0 #1 SMP x86_64\nsysName bench\n",
        encoding="utf-8",
    )
    snmpd = subprocess.Popen(
        ["snmpd", "-f", "-Lo", "-C", "-c", str(config), "-p", str(scratch / "snmpd.pid")],
        env=dict(os.environ, SNMP_PERSISTENT_DIR=str(scratch / "persist")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    auditor = str(Path(sys.executable).with_name("auditor"))
    lines, figures = [], []
    try:
        time.sleep(2)
        if snmpd.poll() is not None:
            raise SystemExit("snmpd did not start")

        def scan(name: str, targets: list[str]) -> dict[str, object]:
            env = dict(os.environ, AUDITOR_DB=f"sqlite:///{scratch}/{name}.db", AUDITOR_SNMP_COMMUNITIES=COMMUNITY)
            subprocess.run([auditor, "init", "--quiet"], env=env, check=True)
            argv = [auditor, "-v", "scan", *targets, "--port", str(port), "--timeout", "1", "--retries", "1"]
            return measure(argv, env=env)

        def beside(name: str, senders: int) -> tuple[dict[str, object], int]:
            """A scan of the devices and the flooder's address, the flooder with `senders` (0: silent)."""
            stop, sent = multiprocessing.Event(), multiprocessing.Value("q", 0)
            flooding = multiprocessing.Process(target=flooder, args=(port, senders, stop, sent))
            flooding.start()
            try:
                time.sleep(0.5)
                result = scan(name, [*devices, FLOODER])
            finally:
                stop.set()
                flooding.join(timeout=10)
            return result, sent.value  # the senders add their count as they stop

        silent, _ = beside("silent", 0)  # the flooder never answers: a timeout round either way
        flooded, flood = beside("flooded", args.senders)
        again, _ = beside("again", 0)
        stderr = str(flooded["stderr"])
        refused = next((m[1] for m in re.finditer(r"(\d+) SNMP replies refused", stderr)), "0")
        for line in stderr.splitlines():
            if "Traceback" in line or "CarrierError" in line:
                print(f"  the flooded scan printed: {line}")
        ratio = float(str(flooded["wall_s"])) / float(str(silent["wall_s"]))
        lines.append(row(f"scan {args.devices} devices + a silent one", silent))
        identified = re.search(r"identified\s+(\d+)", str(flooded["stdout"]))
        note = (
            f"{flood:,} replies flooded at it, {int(refused):,} refused unread; "
            f"{ratio:.2f}× the scan beside a silent one; {identified[1] if identified else '?'} of "
            f"{args.devices} devices identified"
        )
        lines.append(row(f"scan {args.devices} devices + a flooder ({args.senders} sending process)", flooded, note))
        lines.append(row(f"scan {args.devices} devices + a silent one, again", again))
        for name, result in (("scan_beside_silent", silent), ("scan_beside_flood", flooded), ("scan_again", again)):
            figures.append(
                {
                    "name": name,
                    "wall_s": result["wall_s"],
                    "cpu_s": result["cpu_s"],
                    "rss_mb": result["tree_peak_mb"],
                    "baseline_s": silent["wall_s"],
                }
            )
    finally:
        snmpd.terminate()
        snmpd.wait(timeout=10)
        shutil.rmtree(scratch, ignore_errors=True)
    print("| run | wall | CPU | peak memory | note |\n|---|---|---|---|---|")
    print("\n".join(lines))
    for figure in figures:
        print(json.dumps(figure))


if __name__ == "__main__":
    main()
