"""Categories from evidence (what a device is, not who made it), read from the shipped catalog."""

from __future__ import annotations

from typing import Any

from auditor.catalogs import vendor_catalog
from auditor.domain import Category
from auditor.snmp import oids
from auditor.snmp.identify import identify

HIKVISION = "1.3.6.1.4.1.39165.1.1"


def _facts(descr: str, object_id: str | None = None, answered: dict[str, Any] | None = None, **extra: Any) -> Any:
    system = {oids.SYS_DESCR: descr.encode(), oids.SYS_OBJECT_ID: object_id, **extra.pop("system", {})}
    return identify(system, answered or {}, None, vendor_catalog(), **extra)


def test_a_switch_made_by_a_camera_maker_is_a_switch() -> None:
    facts = _facts("Hikvision DS-3E0526P-E Managed PoE Switch", HIKVISION)
    assert facts.category is Category.SWITCH
    assert dict(facts.sources)["category"] == "sysDescr: 'Switch'"
    assert _facts("Hikvision DS-7608NI NVR", HIKVISION).category is Category.CAMERA


def test_the_shape_of_a_device_names_it_where_it_says_nothing() -> None:
    ports = (6,) * 24 + (24, 53)
    facts = _facts("Model 7090", if_types=ports)
    assert facts.category is Category.SWITCH
    assert dict(facts.sources)["category"] == "if-mib: 24 Ethernet ports"
    assert _facts("Model 7090", if_types=(6, 6, 24)).category is None  # three ports say nothing
    bridge = _facts("Model 7090", answered={oids.BRIDGE_PORTS: 10})
    assert (bridge.category, dict(bridge.sources)["category"]) == (Category.SWITCH, "bridge-mib")
    router = _facts("Model 7090", answered={oids.IP_FORWARDING: 1})
    assert router.category is Category.ROUTER
    assert _facts("Model 7090", answered={oids.IP_FORWARDING: 2}).category is None
    assert _facts("Model 7090", answered={oids.SYS_SERVICES: 2}).category is Category.SWITCH
    assert _facts("Model 7090", answered={oids.SYS_SERVICES: 6}).category is Category.SWITCH  # an L3 switch
    assert _facts("Model 7090", answered={oids.SYS_SERVICES: 4}).category is Category.ROUTER
    assert _facts("Model 7090", answered={oids.SYS_SERVICES: 72}).category is None  # a host's default
    assert _facts("Model 7090", answered={oids.SYS_SERVICES: 78}).category is None  # what many routers say


def test_host_resources_says_server_only_off_an_embedded_cpu() -> None:
    uptime = {oids.HR_SYSTEM_UPTIME: 12345}
    server = _facts("Linux web01 5.10.0-21-amd64 #1 SMP Debian x86_64", "1.3.6.1.4.1.8072.3.2.10", system=uptime)
    assert server.category is Category.SERVER
    box = _facts("Linux gw 4.14.172 #0 SMP Wed Jun 15 2022 mips", "1.3.6.1.4.1.8072.3.2.10", system=uptime)
    assert box.category is None  # an appliance's Linux: not a server, and nothing else is known
    ap = _facts("Linux Wireless-Bridge 5.4.213 #0 SMP armv7l", "1.3.6.1.4.1.8072.3.2.10", system=uptime)
    assert ap.category is Category.ACCESS_POINT  # its words say what it is


def test_evidence_words_are_words_not_fragments() -> None:
    assert _facts("Smart Rack PDU 2G").category is Category.OTHER
    assert _facts("Cloud Managed AP").category is Category.ACCESS_POINT
    assert _facts("APC Web/SNMP Management Card").category is None  # "AP" inside "APC" is no access point
    assert _facts("Ethernet Routing Switch 5530-24TFD").category is Category.SWITCH


def test_a_sysdescr_that_labels_its_model_names_it() -> None:
    facts = _facts("ArubaOS (MODEL: 105), Version 6.4.4.8-4.2.4.12")
    assert (facts.model, dict(facts.sources)["model"]) == ("105", "sysDescr label")
    assert _facts("Model: RB750Gr3, Version 6.48").model == "RB750Gr3"
    assert _facts("Product model unknown").model is None  # a word after "model", not a label


def test_storage_and_environment_monitors_by_their_words() -> None:
    assert _facts("IBM 3584 UltraScaleable Tape Library 7420").category is Category.NAS
    assert _facts("APC Environmental Management System (MB:v3.6.9)", "1.3.6.1.4.1.318.1.3.8").category is (
        Category.OTHER
    )  # an APC that is no UPS: what it says beats what its maker mostly makes
