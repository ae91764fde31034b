"""A sysDescr's nameplate: the product's name it opens with, read with the shipped catalog's rules.

The descriptions are of devices outside both corpora (as their makers' agents word them), and of
operating systems' banners, which name no product.
"""

from __future__ import annotations

import pytest

from auditor.catalogs import vendor_catalog
from auditor.snmp import oids
from auditor.snmp.descr import nameplate
from auditor.snmp.identify import identify


@pytest.mark.parametrize(
    ("descr", "makers", "name"),
    [
        ("Juniper Networks, Inc. ex2200-24t-4g Ethernet Switch, kernel JUNOS 12.3R6.6", ["Juniper"], "ex2200-24t-4g"),
        ("Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE7", ["Cisco"], "C2960"),
        ("TP-LINK TL-SG3428 4.0", ["TP-Link"], "TL-SG3428"),
        ("Netgear GS724Tv4 Smart Switch, 6.3.1.4", ["NETGEAR"], "GS724Tv4"),
        ("Vertiv Avocent ACS 8032 Console Server v2.14", ["Vertiv"], "Avocent ACS 8032 Console Server"),
        ("SNR-S2985G-8T Device, Compiled Jan 10", ["NAG"], "SNR-S2985G-8T"),
        ("PLANET, GS-4210-24T2S, 24-Port Managed Switch", ["PLANET Technology"], "GS-4210-24T2S"),
        ("MOXA EDS-408A-MM-SC V3.8 build 18041915", ["Moxa"], "EDS-408A-MM-SC"),
    ],
)
def test_a_short_description_names_its_product(descr: str, makers: list[str], name: str | None) -> None:
    assert nameplate(descr, makers, vendor_catalog().nameplate) == name


@pytest.mark.parametrize(
    "descr",
    [
        "Linux gw 5.10.0-21-amd64 #1 SMP Debian 5.10.162-1 (2023-01-21) x86_64",
        "Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - Software: Windows Version 6.3 (Build 17763)",
        "FreeBSD nas.local 13.2-RELEASE-p4 FreeBSD 13.2-RELEASE-p4 amd64",
        "24-port 10/100/1000 Gigabit Switch",  # what it is, not which
        "Switch 00:1e:58:aa",
        "Firmware V2.01.07",
        "Ethernet Switch",
    ],
)
def test_a_banner_a_version_or_a_kind_of_device_is_no_name(descr: str) -> None:
    assert nameplate(descr, [], vendor_catalog().nameplate) is None


def test_the_nameplate_comes_last_and_never_for_a_printer() -> None:
    system = {oids.SYS_DESCR: b"DrayTek Vigor2927 5.1", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.7367"}
    facts = identify(system, {}, None, vendor_catalog())
    assert (facts.model, dict(facts.sources)["model"]) == ("Vigor2927", "sysDescr (product name)")
    card = {oids.SYS_DESCR: b"Brother NC-8300w, Firmware Ver.1.10", oids.SYS_OBJECT_ID: "1.3.6.1.4.1.2435.2.3.9.1"}
    assert identify(card, {}, None, vendor_catalog(), printer_mib=True).model is None  # its network card
