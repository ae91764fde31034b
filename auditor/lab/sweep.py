"""The corpus sweep: the wide corpus served on loopback, scanned by the CLI, compared with LibreNMS.

Every recording of the wide corpus is served as its own device, scanned by the real CLI, and what
auditor found is compared with LibreNMS's answer.

    python -m auditor.lab.sweep [--corpus ../shared/snmp-corpus-wide] [--out DIR]

Prints category / model / serial agreement overall and by LibreNMS type, how many devices got a
maker's name (LibreNMS names an OS, not a maker, so vendor agreement is not measured), and writes
the disagreements to DIR/disagreements.tsv, what each device was found to be to DIR/found.json and
the overall shares to DIR/summary.json.  LibreNMS's labels are sometimes its own wording, so a
model or serial agrees when one contains the other, case and punctuation aside.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.catalogs import vendor_catalog
from auditor.lab.fleet import Fleet
from auditor.lab.snmpsim import free_udp_port
from auditor.snmp.catalog import AGENT_SOFTWARE

FIELDS = ("category", "model", "serial")  # vendor: LibreNMS names an OS, not a maker


def _squash(text: str | None) -> str:
    return re.sub(r"[^0-9a-z]+", "", (text or "").casefold())


def contains(ours: str | None, theirs: str | None) -> bool:
    a, b = _squash(ours), _squash(theirs)
    return bool(a and b) and (a in b or b in a)


@dataclass
class Expected:
    name: str
    os: str
    type: str
    model: str | None
    serial: str | None
    set_serial_no: str | None = None  # the recording's snmpSetSerialNo.0, which LibreNMS sometimes takes for a serial


@dataclass
class Tally:
    agreed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    asked: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, name: str, ok: bool) -> None:
        self.asked[name] += 1
        self.agreed[name] += ok

    def share(self, name: str) -> float | None:
        return self.agreed[name] / self.asked[name] if self.asked[name] else None


def sweep_rules() -> dict[str, Any]:
    return tomllib.loads(resources.files("auditor.lab").joinpath("wide_corpus.toml").read_text(encoding="utf-8"))


def _known(value: Any) -> str | None:
    """LibreNMS's value, unless empty or anonymised by the corpus ("<private>")."""
    text = str(value or "").strip()
    return None if not text or text == "<private>" else text


SNMP_SET_SERIAL_NO = "1.3.6.1.6.3.1.1.6.1.0"  # SNMPv2-MIB's advisory lock for SETs (RFC 3418)


def agent_names() -> set[str]:
    """The vendor said of a device whose agent's software, not its maker, is known (net-snmp…)."""
    catalog = vendor_catalog()
    return {name for n in AGENT_SOFTWARE if (name := catalog.enterprises.get(n) or catalog.registry.get(n))}


def _recorded(recording: Path, oid: str) -> str | None:
    """One value of a .snmprec file (oid|type|value), as recorded."""
    if not recording.exists():
        return None
    with recording.open(encoding="utf-8", errors="replace") as lines:
        return next((line.rstrip("\n").split("|", 2)[2] for line in lines if line.startswith(oid + "|")), None)


def expected(corpus: Path) -> dict[str, Expected]:
    found = {}
    for path in sorted((corpus / "expected").glob("*.json")):
        answer = json.loads(path.read_text(encoding="utf-8")).get("os", {})
        os_name = str(answer.get("os") or "")
        found[path.stem] = Expected(
            path.stem,
            os_name,
            str(answer.get("type") or ""),
            _known(answer.get("hardware")),
            _known(answer.get("serial")),
            _recorded(corpus / "data" / f"{path.stem}.snmprec", SNMP_SET_SERIAL_NO),
        )
    return found


_ARCHITECTURE = re.compile(r"^(?:Generic (?:x86|ARM)|Intel x64|x86_64|i[3-6]86|armv\d)", re.IGNORECASE)


def why_they_differ(theirs: Expected, field: str, notes: Mapping[str, str]) -> str:
    """Why we believe LibreNMS is wrong here, if we do: a note of wide_corpus.toml's [notes]
    ("recording/field"), or what its value shows itself to be."""
    if (note := notes.get(f"{theirs.name}/{field}")) is not None:
        return note
    if field == "serial" and theirs.serial and theirs.serial == theirs.set_serial_no:
        return "LibreNMS's serial is the agent's snmpSetSerialNo (RFC 3418's lock counter for SETs), not a serial"
    if field == "model" and theirs.model and _ARCHITECTURE.match(theirs.model):
        return "LibreNMS's model is the CPU architecture, not a model"
    if field == "model" and theirs.model and re.fullmatch(r"[A-Za-z]+(?:\.\d+){3,}", theirs.model):
        return "LibreNMS's model is the sysObjectID written with its MIB's name, not a model"
    return ""


def judge(
    ours: Mapping[str, Any] | None, theirs: Expected, categories: Mapping[str, list[str]]
) -> dict[str, bool | None]:
    """Agreement per field: True, False, or None where LibreNMS gives nothing to compare with."""
    ours = ours or {}
    allowed = categories.get(theirs.type, ["*"])
    category = ours.get("category")
    return {
        "category": bool(category) and ("*" in allowed or category in allowed),
        "model": None if theirs.model is None else contains(ours.get("model"), theirs.model),
        "serial": None if theirs.serial is None else contains(ours.get("serial"), theirs.serial),
    }


def scan(fleet: Fleet, workdir: Path, tables: bool = False) -> dict[str, dict[str, Any]]:
    """Scan every device of the fleet with the real CLI; what `devices list` says, by recording name.
    Without `tables`, the network devices' ARP/forwarding/LLDP tables are not read (they hold
    real-world addresses: read them only inside a namespace with loopback alone)."""
    env = dict(os.environ, AUDITOR_SNMP_COMMUNITIES="public", AUDITOR_DB=f"sqlite:///{workdir / 'sweep.db'}")
    env.pop("AUDITOR_CONFIG", None)
    if not tables:
        (workdir / "auditor.toml").write_text("[snmp]\ntables = false\n", encoding="utf-8")
        env["AUDITOR_CONFIG"] = str(workdir / "auditor.toml")
    cli = [sys.executable, "-m", "auditor"]
    subprocess.run([*cli, "init", "--quiet"], check=True, env=env, cwd=workdir)
    # snmpsim is one Python process answering for every device: a few requests in flight at once.
    pace = ["--timeout", "5", "--retries", "2", "--concurrency", "24"]
    subprocess.run(
        [*cli, "scan", *fleet.addresses.values(), "--port", str(fleet.port), *pace],
        check=False,
        env=env,
        cwd=workdir,
    )
    listing = subprocess.run(
        [*cli, "devices", "list", "--format", "json"], check=True, env=env, cwd=workdir, capture_output=True, text=True
    )
    names = fleet.names
    return {names[d["ip"]]: d for d in json.loads(listing.stdout) if d.get("ip") in names}


def report(
    found: Mapping[str, Mapping[str, Any]],
    answers: Mapping[str, Expected],
    categories: Mapping[str, list[str]],
    notes: Mapping[str, str] | None = None,
) -> tuple[dict[str, Tally], list[str]]:
    by_type: dict[str, Tally] = defaultdict(Tally)
    wrong = []
    for name, theirs in sorted(answers.items()):
        ours = found.get(name)
        verdict = judge(ours, theirs, categories)
        for key, ok in verdict.items():
            if ok is None:
                continue
            by_type["all"].add(key, ok)
            by_type[theirs.type or "?"].add(key, ok)
            if not ok:
                said: dict[str, str | None] = {"category": theirs.type, "model": theirs.model, "serial": theirs.serial}
                why = why_they_differ(theirs, key, notes or {})
                ours_said = str((ours or {}).get(key) or "")
                wrong.append("\t".join((name, theirs.os, key, ours_said, str(said[key] or ""), why)))
    return by_type, wrong


def table(by_type: Mapping[str, Tally]) -> Iterable[str]:
    """One line per LibreNMS type: agreed/asked and the share of each field."""
    yield f"{'LibreNMS type':<14}" + "".join(f"{f:>18}" for f in FIELDS)
    for kind in ["all", *sorted(k for k in by_type if k != "all")]:
        tally = by_type[kind]
        cells = []
        for f in FIELDS:
            share = tally.share(f)
            cells.append(f"{'':>18}" if share is None else f"{tally.agreed[f]:>6}/{tally.asked[f]:<5} {share:6.1%}")
        yield f"{kind:<14}" + "".join(cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/snmp-corpus-wide"))
    parser.add_argument("--out", type=Path, default=Path("sweep-output"))
    parser.add_argument("--cache-dir", type=Path, default=None, help="snmpsim's index, kept between runs")
    parser.add_argument(
        "--tables",
        action="store_true",
        help="read the network devices' ARP/forwarding/LLDP tables too (real-world addresses: run it "
        "inside a namespace with loopback alone; it takes twice as long)",
    )
    args = parser.parse_args(argv)
    rules = sweep_rules()
    answers = expected(args.corpus)
    recordings = sorted((args.corpus / "data").glob("*.snmprec"))
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="auditor-sweep-") as work,
        Fleet(recordings, port=free_udp_port(), cache_dir=args.cache_dir) as fleet,
    ):
        found = scan(fleet, Path(work), args.tables)
    by_type, wrong = report(found, answers, rules["categories"], rules.get("notes", {}))
    (args.out / "found.json").write_text(json.dumps(found, indent=1, ensure_ascii=False), encoding="utf-8")
    (args.out / "disagreements.tsv").write_text(
        "recording\tos\tfield\tauditor\tlibrenms\twhy we believe LibreNMS is wrong\n" + "\n".join(wrong) + "\n",
        encoding="utf-8",
    )
    for line in table(by_type):
        print(line)
    explained: dict[str, int] = defaultdict(int)
    for line in wrong:
        cells = line.split("\t")
        explained[cells[2]] += bool(cells[5])
    said = ", ".join(f"{f} {explained[f]}" for f in FIELDS)
    print(f"disagreements where we believe LibreNMS is wrong (disagreements.tsv says why): {said}")
    agents = agent_names()
    named = sum(1 for device in found.values() if device.get("vendor") not in (None, "", *agents))
    print(f"vendor named (not the agent's software): {named}/{len(recordings)} {named / len(recordings):.1%}")
    shares = {f: by_type["all"].share(f) for f in FIELDS} | {"vendor_named": named / len(recordings)}
    (args.out / "summary.json").write_text(json.dumps(shares) + "\n", encoding="utf-8")
    print(json.dumps(shares))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
