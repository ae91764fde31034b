"""The corpus sweep: the 831 recordings of the wide corpus, each served on its own loopback
address, scanned by the real CLI, compared with LibreNMS's answers (auditor.lab.sweep).

The floors are what identification reached when they were set; a change that lowers agreement
fails here.  Raise them as identification improves (README, "Identification").
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.lab import netns, sweep
from auditor.lab.snmpsim import responder_command
from tests.conftest import SWEEP_KEY, WIDE_CORPUS

pytestmark = [
    pytest.mark.sweep,
    pytest.mark.skipif(not (WIDE_CORPUS / "data").is_dir(), reason=f"the wide SNMP corpus is not at {WIDE_CORPUS}"),
    pytest.mark.skipif(responder_command() is None, reason="snmpsim is not installed (the lab extra)"),
]

FLOORS = {
    "category": 0.75,
    "model": 0.53,
    "serial": 0.52,
    "vendor_named": 0.87,
}  # a point below the figures: a loaded machine may lose a few devices to timeouts


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sweep (identification only: the recordings' tables are tests/snmp/test_tables.py's),
    inside a namespace with loopback alone where one can be made."""
    out = tmp_path_factory.mktemp("sweep")
    arguments = ["--corpus", str(WIDE_CORPUS), "--out", str(out)]
    if netns.unavailable() is None:
        with netns.LoopbackOnly() as namespace:
            done = namespace.run([sys.executable, "-m", "auditor.lab.sweep", *arguments], timeout=1500)
        assert done.returncode == 0, done.stderr[-3000:]
        (out / "table.txt").write_text(done.stdout, encoding="utf-8")
        return out
    table = io.StringIO()
    with contextlib.redirect_stdout(table):
        assert sweep.main(arguments) == 0
    (out / "table.txt").write_text(table.getvalue(), encoding="utf-8")
    return out


def test_the_sweep_scans_every_recording_and_keeps_its_floors(
    swept: Path, record_property: Callable[[str, object], None]
) -> None:
    printed = (swept / "table.txt").read_text(encoding="utf-8")
    record_property(SWEEP_KEY, printed)  # make test prints the table at its end (tests/conftest.py)
    found = json.loads((swept / "found.json").read_text(encoding="utf-8"))
    recordings = list((WIDE_CORPUS / "data").glob("*.snmprec"))
    assert len(found) == len(recordings)  # every recording was stored as a device of its own
    answered = sum(1 for device in found.values() if device["snmp_version"])
    assert answered >= 0.97 * len(recordings), f"only {answered} of {len(recordings)} recordings answered SNMP"
    shares = json.loads((swept / "summary.json").read_text(encoding="utf-8"))
    assert json.loads(printed.strip().splitlines()[-1]) == shares
    for field, floor in FLOORS.items():
        assert shares[field] >= floor, f"{field} agreement {shares[field]:.1%} fell below {floor:.0%}"
    lines = (swept / "disagreements.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == [
        "recording",
        "os",
        "field",
        "auditor",
        "librenms",
        "why we believe LibreNMS is wrong",
    ]
    assert all(len(line.split("\t")) == 6 for line in lines[1:])
    said = {tuple(line.split("\t")[:3]): line.split("\t")[5] for line in lines[1:]}
    assert "snmpSetSerialNo" in said[("endrun", "endrun", "serial")]  # LibreNMS took a lock counter for a serial
    assert "disagreements where we believe LibreNMS is wrong" in printed
