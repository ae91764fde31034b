"""Identification of 29 real devices, recorded by LibreNMS, served by snmpsim on loopback.

Each device is read the way `auditor scan` reads it (SNMPv2c through the real client) and
compared with what LibreNMS discovered on it (`expected/NAME.json`).  LibreNMS writes its own
labels into some fields ("HL-5370DW [001ba90ba752]", "5.170 (V200R010C00SPC600) [unlocked]"), so
model, serial and version match when one contains the other, ignoring case and punctuation.
Vendor and category are not LibreNMS fields: the table below is ours, one line per device.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.catalogs import vendor_catalog
from auditor.config import Secret
from auditor.domain import Category
from auditor.facts import DeviceFacts
from auditor.lab.snmpsim import SnmpSimulator, responder_command
from auditor.snmp import oids, values
from auditor.snmp.client import SnmpClient, SnmpTarget
from auditor.snmp.identify import identify
from auditor.snmp.poller import IF_ROWS_MAX, read_entity, read_identity, read_system
from tests.conftest import CORPUS

pytestmark = [
    pytest.mark.skipif(not (CORPUS / "data").is_dir(), reason=f"the shared SNMP corpus is not at {CORPUS}"),
    pytest.mark.skipif(responder_command() is None, reason="snmpsim is not installed (the lab extra)"),
]

# device: (vendor, category)
IDENTITY: dict[str, tuple[str, Category]] = {
    "apc_smt750x-nmc2": ("APC", Category.UPS),
    "asa": ("Cisco", Category.FIREWALL),
    "brother_hl5370dw": ("Brother", Category.PRINTER),
    "ciscosb_cbs350": ("Cisco", Category.SWITCH),
    "comware_a5500": ("HPE", Category.SWITCH),
    "draytek": ("DrayTek", Category.ROUTER),
    "dsm": ("Synology", Category.NAS),
    "eaton-mgeups_9px": ("Eaton", Category.UPS),
    "fortigate_60f": ("Fortinet", Category.FIREWALL),
    "hikvision-nvr": ("Hikvision", Category.CAMERA),
    "huaweiups_ups2000": ("Huawei", Category.UPS),
    "ios_2960x": ("Cisco", Category.SWITCH),
    "iosxe_c9300": ("Cisco", Category.SWITCH),
    "jetdirect_m252dw": ("HP", Category.PRINTER),
    "jetstream_t1600g-28ts": ("TP-Link", Category.SWITCH),
    "junos": ("Juniper", Category.FIREWALL),  # an SRX100
    "linux_icecast": ("net-snmp", Category.SERVER),
    "polycomLens_studioxc50": ("Poly", Category.VC_ENDPOINT),
    "procurve_e2910": ("HPE", Category.SWITCH),
    "ricoh_mpc3002": ("Ricoh", Category.COPIER),  # a multi-function device counts as a copier
    "routeros_rb750gr3": ("MikroTik", Category.ROUTER),
    "ruijie": ("Ruijie", Category.SWITCH),
    "smartax": ("Huawei", Category.OTHER),  # an access node (OLT/DSLAM): none of our categories
    "vmware-esxi": ("HP", Category.SERVER),  # the hardware's maker, from ENTITY-MIB
    "vrp_5720": ("Huawei", Category.SWITCH),
    "vrp_ac6605-26": ("Huawei", Category.OTHER),  # a wireless LAN controller
    "vrp_ar169sfp": ("Huawei", Category.ROUTER),
    "windows_svr_2019_1809": ("Microsoft", Category.SERVER),
    "zxr10_5928": ("ZTE", Category.SWITCH),
}

# LibreNMS labels that no device said: comparing with them would test LibreNMS, not us.
NOT_FROM_THE_DEVICE = {
    ("hikvision-nvr", "model"): "LibreNMS's OS definition names every such box 'NVR'",
    ("linux_icecast", "model"): "'Generic x86 64-bit' is LibreNMS's name for the CPU architecture",
    ("windows_svr_2019_1809", "model"): "'Intel x64' is LibreNMS's name for the CPU architecture",
}

MANUFACTURED = {
    "comware_a5500": dt.date(2015, 10, 13),
    "smartax": dt.date(2016, 6, 20),
    "vmware-esxi": dt.date(2018, 5, 21),
    "iosxe_c9300": None,
}  # iosxe: eight zero bytes


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@pytest.fixture(scope="module")
def corpus_facts() -> Iterator[dict[str, DeviceFacts]]:
    """Read every recorded device once, concurrently, through one client, as a scan would."""
    with SnmpSimulator(CORPUS / "data", probe_community="ios_2960x") as agents:

        async def read_all() -> dict[str, DeviceFacts]:
            async with SnmpClient() as client:
                names = sorted(IDENTITY)
                targets = [
                    SnmpTarget(agents.host, agents.port, community=Secret(n), timeout_s=5.0, retries=2) for n in names
                ]
                found = await asyncio.gather(*(read_identity(client, t, vendor_catalog()) for t in targets))
                return dict(zip(names, found, strict=True))

        yield asyncio.run(read_all())


def test_every_recording_is_in_the_table() -> None:
    recorded = {p.name.removesuffix(".snmprec") for p in (CORPUS / "data").glob("*.snmprec")}
    assert recorded == set(IDENTITY)


@pytest.mark.parametrize("device", sorted(IDENTITY))
def test_vendor_and_category(corpus_facts: dict[str, DeviceFacts], device: str) -> None:
    facts = corpus_facts[device]
    assert (facts.vendor, facts.category) == IDENTITY[device]


@pytest.mark.parametrize("device", sorted(IDENTITY))
@pytest.mark.parametrize(("field", "key"), [("model", "hardware"), ("serial", "serial"), ("os_version", "version")])
def test_model_serial_version_match_librenms(
    corpus_facts: dict[str, DeviceFacts], device: str, field: str, key: str
) -> None:
    expected: Any = json.loads((CORPUS / "expected" / f"{device}.json").read_text(encoding="utf-8"))["os"].get(key)
    if expected is None or expected == "<private>":
        pytest.skip(f"LibreNMS found no {key} on {device}")
    if (device, field.replace("os_", "")) in NOT_FROM_THE_DEVICE or (device, field) in NOT_FROM_THE_DEVICE:
        pytest.skip(NOT_FROM_THE_DEVICE.get((device, field), ""))
    ours = getattr(corpus_facts[device], field)
    assert ours, f"{device}: no {field}; LibreNMS has {expected!r}"
    assert _norm(ours) in _norm(expected) or _norm(expected) in _norm(ours), f"{ours!r} vs LibreNMS {expected!r}"


@pytest.mark.parametrize(("device", "date"), sorted(MANUFACTURED.items()))
def test_manufacture_dates(corpus_facts: dict[str, DeviceFacts], device: str, date: dt.date | None) -> None:
    facts = corpus_facts[device]
    assert facts.manufactured_on == date
    if date:
        assert facts.source("manufactured_on") == "entity"


@pytest.mark.parametrize(
    ("device", "uptime_s", "why"),
    [
        ("linux_icecast", 11_179_784, "hrSystemUptime (the host) is longer than sysUpTime (the agent)"),
        ("asa", 184_955_241, "snmpEngineTime is longer than sysUpTime, which wrapped"),
        ("iosxe_c9300", 8_621, "only sysUpTime answers"),
    ],
)
def test_uptime_is_the_largest_that_answered(
    corpus_facts: dict[str, DeviceFacts], device: str, uptime_s: int, why: str
) -> None:
    assert corpus_facts[device].uptime_s == uptime_s, why


async def _read_everything(client: SnmpClient, target: SnmpTarget) -> DeviceFacts:
    """The identity read the long way, as before 2026-12-08: ENTITY-MIB's three columns and the
    interface types walked whatever the device has, the Printer-MIB GETNEXT on its own."""
    catalog = vendor_catalog()
    system = await read_system(client, target)
    object_id = values.oid(system.get(oids.SYS_OBJECT_ID))
    extra = await client.get(target, catalog.extra_oids(object_id))
    entity = await read_entity(client, target)
    if_types = [values.integer(v) for _, v in await client.walk(target, oids.IF_TYPE, max_rows=IF_ROWS_MAX)]
    rows = await client.first_rows(target, [oids.PRINTER_MIB, *catalog.extra_columns(object_id)])
    printer = rows.pop(oids.PRINTER_MIB) is not None
    extra |= {column: value for column, value in rows.items() if value is not None}
    types = tuple(t for t in if_types if t is not None)
    return identify(system, extra, entity, catalog, if_types=types, printer_mib=printer)


def test_the_short_identity_read_learns_what_reading_everything_learns(corpus_facts: dict[str, DeviceFacts]) -> None:
    """ENTITY-MIB and the interface types are asked only where the device has them: the same facts,
    field by field, as walking them all, and fewer requests, on every recorded device."""
    with SnmpSimulator(CORPUS / "data", probe_community="ios_2960x") as agents:

        async def both() -> tuple[dict[str, DeviceFacts], int, int]:
            async with SnmpClient() as short, SnmpClient() as everything:
                names = sorted(IDENTITY)
                targets = [
                    SnmpTarget(agents.host, agents.port, community=Secret(n), timeout_s=5.0, retries=2) for n in names
                ]
                found = await asyncio.gather(*(_read_everything(everything, t) for t in targets))
                await asyncio.gather(*(read_identity(short, t, vendor_catalog()) for t in targets))
                return (
                    dict(zip(names, found, strict=True)),
                    short.requests[agents.host],
                    everything.requests[agents.host],
                )

        reference, short_requests, all_requests = asyncio.run(both())
    assert corpus_facts == reference
    assert short_requests < all_requests, (short_requests, all_requests)
