"""Read the ARP, forwarding and LLDP/CDP tables of recorded devices, served by snmpsim, and print
them as JSON (one line per recording): `python -m auditor.lab.tables DATA_DIR [NAME…]`.

The recordings' tables hold real-world addresses: run it inside a namespace with loopback only
(`auditor.lab.netns.LoopbackOnly`, as the tests do), so that nothing can reach them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path

from auditor.config import Secret
from auditor.lab.snmpsim import SnmpSimulator
from auditor.snmp.client import SnmpClient, SnmpTarget
from auditor.snmp.poller import read_tables


def main(argv: list[str]) -> int:
    data = Path(argv[0])
    names = argv[1:] or sorted(p.stem for p in data.glob("*.snmprec"))
    with SnmpSimulator(data, probe_community=names[0]) as agents:

        async def read_all() -> None:
            async with SnmpClient() as client:
                for name in names:
                    target = SnmpTarget(agents.host, agents.port, community=Secret(name), timeout_s=2.0, retries=1)
                    found = dataclasses.asdict(await read_tables(client, target))
                    found["own_macs"] = sorted(found["own_macs"])
                    print(json.dumps({"name": name, **found}, ensure_ascii=False), flush=True)

        asyncio.run(read_all())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
