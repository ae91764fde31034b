"""The results file of a scan or poll: one JSON line per address, what was seen, no credentials."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from auditor.facts import HostObservation


def write_results(directory: Path, run_id: int, kind: str, observations: Sequence[HostObservation]) -> Path:
    """One JSON line per address: what was seen, no credentials (only which one answered: community:N, v3:PROFILE)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{run_id:06d}-{kind}.jsonl"
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        for o in observations:
            facts = o.facts
            out.write(
                json.dumps(
                    {
                        "address": o.address,
                        "at": o.at.isoformat(),
                        "device_id": o.device_id,
                        "alive": o.alive,
                        "rtt_ms": o.rtt_ms,
                        "snmp_ok": o.snmp_ok,
                        "snmp_error": o.snmp_error,
                        "snmp_version": str(o.snmp_version) if o.snmp_version else None,
                        "credential": o.credential,
                        "uptime_s": o.uptime_s,
                        "vendor": facts.vendor if facts else None,
                        "category": str(facts.category) if facts and facts.category else None,
                        "model": facts.model if facts else None,
                        "serial": facts.serial if facts else None,
                        "os_version": facts.os_version if facts else None,
                        "sys_name": facts.sys_name if facts else None,
                        "manufactured_on": facts.manufactured_on.isoformat()
                        if facts and facts.manufactured_on
                        else None,
                        "tables": {
                            "arp": len(o.tables.arp),
                            "fdb": len(o.tables.fdb),
                            "neighbours": len(o.tables.neighbours),
                            "requests": o.tables.requests,
                            "problems": list(o.tables.problems),
                        }
                        if o.tables
                        else None,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return path
