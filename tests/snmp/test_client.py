"""The SNMP client and identification against real agents: snmpsim serving our own recordings
(tests/snmp/recordings) and, where the shared corpus is present, its awkward devices."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from auditor.catalogs import vendor_catalog
from auditor.config import Secret, SnmpV3Profile
from auditor.domain import SnmpVersion
from auditor.facts import DeviceFacts
from auditor.lab.snmpsim import SnmpSimulator, free_udp_port, responder_command
from auditor.snmp import oids
from auditor.snmp.client import SnmpClient, SnmpError, SnmpTarget, SnmpTimeout
from auditor.snmp.identify import identify
from auditor.snmp.poller import read_identity, read_system
from tests.conftest import CORPUS, V3_AUTH, V3_PRIV, V3_USER

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
