"""The SNMP client and identification against real agents: snmpsim serving our own recordings
(tests/snmp/recordings) and, where the shared corpus is present, its awkward devices."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest

from auditor.catalogs import vendor_catalog
from auditor.config import Secret, SnmpV3Profile
from auditor.domain import Category, SnmpVersion
from auditor.facts import DeviceFacts
from auditor.lab.snmpsim import SnmpSimulator, free_udp_port, responder_command
from auditor.snmp import oids
from auditor.snmp.client import SnmpClient, SnmpError, SnmpTarget, SnmpTimeout
from auditor.snmp.identify import identify
from auditor.snmp.poller import read_identity, read_system
from tests.conftest import CORPUS, V3_AUTH, V3_PRIV, V3_USER, WIDE_CORPUS

T = TypeVar("T")

pytestmark = pytest.mark.skipif(responder_command() is None, reason="snmpsim is not installed (the lab extra)")


def run(coroutine: Awaitable[T]) -> T:
    async def inside() -> T:
        return await coroutine

    return asyncio.run(inside())


def target(lab: SnmpSimulator, community: str, **kwargs: object) -> SnmpTarget:
    return SnmpTarget(lab.host, lab.port, community=Secret(community), timeout_s=1.0, retries=1, **kwargs)  # type: ignore[arg-type]


async def _identity(t: SnmpTarget) -> DeviceFacts:
    async with SnmpClient() as client:
        return await read_identity(client, t, vendor_catalog())


@pytest.mark.parametrize(
    ("recording", "date"),
    [
        ("mfgdate-binary-8", dt.date(2011, 10, 13)),
        ("mfgdate-binary-11", dt.date(2011, 10, 13)),
        ("mfgdate-text", dt.date(2010, 4, 1)),
        ("mfgdate-zero-bytes", None),
        ("mfgdate-ascii-zeros", None),
        ("mfgdate-na", None),
        ("mfgdate-impossible", None),
    ],
)
def test_manufacture_date_as_firmware_writes_it(lab: SnmpSimulator, recording: str, date: dt.date | None) -> None:
    facts = run(_identity(target(lab, recording)))
    assert facts.manufactured_on == date
    assert (facts.model, facts.serial, facts.vendor) == ("WS-C2960-24TT-L", "LAB0001", "Cisco")
    assert facts.os_version == "12.2(55)SE12"


def test_a_lying_agent_yields_safe_facts(lab: SnmpSimulator) -> None:
    async def read() -> DeviceFacts:
        async with SnmpClient() as client:
            return identify(await read_system(client, target(lab, "liar")), {}, None, vendor_catalog())

    facts = run(read())
    assert facts.sys_descr is not None and len(facts.sys_descr) == 1024 and facts.sys_descr.endswith("…")
    assert not any(ord(ch) < 32 and ch != "\n" for ch in facts.sys_descr)
    assert facts.sys_object_id is None  # "not an oid", sent as a string
    assert facts.uptime_s == 42  # sysUpTime was text; hrSystemUptime said 4200 ticks
    assert facts.sys_name == "=CMD| calc!"  # kept as the device said it; exports neutralise it


def test_snmpv3_auth_and_privacy(lab: SnmpSimulator) -> None:
    profile = SnmpV3Profile("lab", V3_USER, "sha", Secret(V3_AUTH), "aes", Secret(V3_PRIV), context="mfgdate-text")
    v3 = SnmpTarget(lab.host, lab.port, version=SnmpVersion.V3, v3=profile, timeout_s=1.0, retries=1)
    facts = run(_identity(v3))
    assert (facts.serial, facts.manufactured_on) == ("LAB0001", dt.date(2010, 4, 1))
    wrong = SnmpV3Profile(
        "lab", V3_USER, "sha", Secret("not-the-key-000"), "aes", Secret(V3_PRIV), context="mfgdate-text"
    )
    with pytest.raises(SnmpError) as refused:
        run(_identity(SnmpTarget(lab.host, lab.port, version=SnmpVersion.V3, v3=wrong, timeout_s=1.0, retries=0)))
    assert "SNMPv3 authentication failed: wrong auth key or auth protocol" in str(refused.value)
    assert "not-the-key" not in str(refused.value)


def test_snmpv1_agent_answers_each_oid_it_has(lab: SnmpSimulator) -> None:
    async def read() -> dict[str, object]:
        async with SnmpClient() as client:
            return await client.get(
                target(lab, "reboot-before", version=SnmpVersion.V1),
                [oids.SYS_UPTIME, "1.3.6.1.2.1.1.99.0", oids.SYS_NAME],
            )

    # v1 refuses the whole request for the one OID it lacks (noSuchName): the others still come back.
    assert run(read()) == {oids.SYS_UPTIME: 8_640_000, "1.3.6.1.2.1.1.99.0": None, oids.SYS_NAME: b"lab-sw1"}


def test_a_silent_port_times_out_with_a_clear_message() -> None:
    async def read() -> None:
        async with SnmpClient() as client:
            await client.get(
                SnmpTarget("127.0.0.1", free_udp_port(), community=Secret("x"), timeout_s=0.2, retries=1),
                [oids.SYS_DESCR],
            )

    with pytest.raises(SnmpTimeout, match=r"no answer from 127\.0\.0\.1:\d+ \(SNMPv2c\) in 0\.2 s × 2"):
        run(read())


@pytest.mark.skipif(not (CORPUS / "data").is_dir(), reason=f"the shared SNMP corpus is not at {CORPUS}")
def test_walk_survives_an_agent_that_never_answers_a_big_bulk(caplog: pytest.LogCaptureFixture) -> None:
    """vrp_ac6605-26 holds 12 kB values; a GETBULK for 25 of them would not fit a datagram and gets
    no answer at all.  The walk must shrink its bulks and still return every row."""
    column = "1.3.6.1.2.1.17.7.1.4.2.1.4"  # dot1qVlanCurrentEgressPorts
    recorded = [
        line
        for line in (CORPUS / "data" / "vrp_ac6605-26.snmprec").read_text().splitlines()
        if line.startswith(column + ".")
    ]
    with SnmpSimulator(CORPUS / "data", probe_community="vrp_ac6605-26") as agents:

        async def walk() -> list[tuple[str, object]]:
            async with SnmpClient() as client:
                t = SnmpTarget(agents.host, agents.port, community=Secret("vrp_ac6605-26"), timeout_s=0.5, retries=0)
                return await client.walk(t, column)

        with caplog.at_level(logging.INFO, logger="auditor.snmp.client"):
            rows = run(walk())
    assert [oid for oid, _ in rows] == [line.split("|")[0] for line in recorded]
    assert all(isinstance(value, bytes) and len(value) > 12_000 for _, value in rows)
    assert "did not answer GETBULK; retrying with max-repetitions" in caplog.text


@pytest.mark.skipif(not (WIDE_CORPUS / "data").is_dir(), reason=f"the wide SNMP corpus is not at {WIDE_CORPUS}")
def test_a_tables_first_row_and_a_makers_mib_on_devices_recorded_elsewhere(tmp_path: Path) -> None:
    """Two Cisco UCS controllers keep their model and serial in one table under different row
    indexes (.1 on one, .0 on the other): the first row of each column, read in one GETNEXT; and
    a Teltonika router answering under Net-SNMP's number is named by the maker whose MIB answered."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("cimc", "cimc_1", "rutos-rutx_rut950"):
        shutil.copyfile(WIDE_CORPUS / "data" / f"{name}.snmprec", data / f"{name}.snmprec")
    with SnmpSimulator(data, probe_community="cimc") as agents:

        async def read(community: str) -> tuple[DeviceFacts, dict[str, object]]:
            async with SnmpClient() as client:
                t = SnmpTarget(agents.host, agents.port, community=Secret(community), timeout_s=1.0, retries=1)
                rows = await client.first_rows(
                    t, ["1.3.6.1.4.1.9.9.719.1.9.6.1.14", "1.3.6.1.2.1.43", "1.3.6.1.4.1.9.9.999"]
                )
                return await read_identity(client, t, vendor_catalog()), rows

        first, rows = run(read("cimc"))
        second, _ = run(read("cimc_1"))
        router, _ = run(read("rutos-rutx_rut950"))
    expected = {"1.3.6.1.4.1.9.9.719.1.9.6.1.14": b"FCH2126720R", "1.3.6.1.2.1.43": None, "1.3.6.1.4.1.9.9.999": None}
    assert rows == expected  # no Printer-MIB row, no such table: None, not the next table's value
    assert (first.model, first.serial) == ("UCSC-C220-M4S", "FCH2126720R")
    assert (second.model, second.serial) == ("UCSC-C220-M6S", "WMP2224X0KR")
    assert router.vendor == "Teltonika" and dict(router.sources)["vendor"] == "oid 1.3.6.1.4.1.48690.1.2.0"
    assert router.category is Category.ROUTER  # its model's product line ("RUT950")
