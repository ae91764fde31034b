"""Categories from evidence (what a device is, not who made it), read from the shipped catalog."""

from __future__ import annotations

from typing import Any

from auditor.catalogs import vendor_catalog
from auditor.domain import Category
from auditor.facts import EntityRow
from auditor.snmp import oids
from auditor.snmp.identify import identify

HIKVISION = "1.3.6.1.4.1.39165.1.1"


def _facts(descr: str, object_id: str | None = None, answered: dict[str, Any] | None = None, **extra: Any) -> Any:
    system = {oids.SYS_DESCR: descr.encode(), oids.SYS_OBJECT_ID: object_id, **extra.pop("system", {})}
    return identify(system, answered or {}, extra.pop("entity", None), vendor_catalog(), **extra)


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
    assert _facts("Model 7090", if_types=(6, 6, 24)).category is None  # two ports say nothing
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


def test_ups_mib_says_ups_whichever_of_its_groups_is_filled() -> None:
    """Many UPS cards leave upsIdent empty and fill the battery and output groups."""
    facts = _facts("Mini-SNMP", answered={oids.UPS_BATTERY_STATUS: 2})
    assert (facts.category, dict(facts.sources)["category"]) == (Category.UPS, "ups-mib")
    assert _facts("Mini-SNMP", answered={oids.UPS_OUTPUT_SOURCE: 3}).category is Category.UPS
    assert _facts("Mini-SNMP", answered={oids.UPS_BATTERY_STATUS: b""}).category is None  # an empty answer


def test_a_radio_interface_makes_an_access_point_off_a_computer() -> None:
    wifi = (6, 71, 71, 24)
    facts = _facts("Linux 4.14.172 #0 SMP mips", if_types=wifi)
    radio = (Category.ACCESS_POINT, "if-mib: 2 IEEE 802.11 radio(s)")
    assert (facts.category, dict(facts.sources)["category"]) == radio
    uptime = {oids.HR_SYSTEM_UPTIME: 12345}
    laptop = _facts("Linux lap 6.1.0-13-amd64 #1 SMP Debian x86_64", if_types=wifi, system=uptime)
    assert laptop.category is Category.SERVER  # a computer's Wi-Fi card says nothing of the kind


def test_line_interfaces_or_a_few_ports_off_a_computer_make_a_router() -> None:
    dsl = _facts("Box 1.0", if_types=(6, 94, 24))
    assert (dsl.category, dict(dsl.sources)["category"]) == (Category.ROUTER, "if-mib: line interfaces (IANAifType 94)")
    few = _facts("Box 1.0", if_types=(6, 6, 6, 6, 24))
    ports = (Category.ROUTER, "if-mib: 4 Ethernet ports, no bridge table")
    assert (few.category, dict(few.sources)["category"]) == ports
    uptime = {oids.HR_SYSTEM_UPTIME: 12345}
    server = _facts("Linux db 6.1.0-13-amd64 #1 SMP Debian x86_64", if_types=(6, 6, 6, 6, 24), system=uptime)
    assert server.category is Category.SERVER  # a server with four NICs is a server


def test_a_vendor_mib_is_read_for_its_makers_devices_only() -> None:
    zyxel, serial, model = "1.3.6.1.4.1.890.1.5.8.20", "1.3.6.1.4.1.890.1.15.3.1.12.0", "1.3.6.1.4.1.890.1.15.3.1.11.0"
    catalog = vendor_catalog()
    assert {serial, model} <= set(catalog.extra_oids(zyxel))
    assert serial not in catalog.extra_oids("1.3.6.1.4.1.9.1.1208")  # a Cisco is not asked for it
    facts = _facts("GS1900-24E", zyxel, answered={serial: b"S182L35001343", model: b"GS1900-24E"})
    assert (facts.serial, dict(facts.sources)["serial"]) == ("S182L35001343", f"oid {serial}")
    assert (facts.model, dict(facts.sources)["model"]) == ("GS1900-24E", f"oid {model}")


def test_a_sysdescr_labels_its_serial_or_opens_with_its_model() -> None:
    facts = _facts("RNX UPDU RN3214 (UPDU-Right), S/N: 100124, Version 2.7.0-5741e7a3")
    assert (facts.serial, dict(facts.sources)["serial"]) == ("100124", "sysDescr label")
    assert _facts("Midspan.  Unit S/N=000076.  App Ver=4.17").serial == "000076"
    assert _facts("SN:PDU Metered PN:Device Model:P42D04M").serial is None  # no digit: a word, not a serial
    assert _facts("SAF radio;SN: 000000000000").serial is None  # a placeholder
    opening = _facts("AT-TQ4600 version 4.0.1.07")
    assert (opening.model, dict(opening.sources)["model"]) == ("AT-TQ4600", "sysDescr label")
    assert _facts("MSM765 - Hardware revision 2").model == "MSM765"
    assert _facts("V1.29_May 24 2016_11:26:12").model is None  # a version, not a model
    assert _facts("TrueNAS-SCALE-24.04.2.2. Linux 6.6.32").model is None  # nor an OS and its version
    assert _facts("Linux gw 4.14.172 #0 mips").model is None


def test_a_maker_no_entry_names_is_named_by_ianas_registry() -> None:
    teltonika = _facts("Linux Teltonika-RUT950.com 5.4.259 #0 mips", "1.3.6.1.4.1.48690.1.1")
    assert (teltonika.vendor, dict(teltonika.sources)["vendor"]) == ("Teltonika", "sysObjectID (IANA registry)")
    zyxel = _facts("GS1900-24E", "1.3.6.1.4.1.890.1.5.8.20")
    assert zyxel.vendor == "ZyXEL Communications"  # "Corp." dropped
    assert _facts("Linux gw 4.14 mips", "1.3.6.1.4.1.8072.3.2.10").vendor == "net-snmp"  # whose agent, not who made it
    cisco = _facts("Cisco IOS Software", "1.3.6.1.4.1.9.1.1208")
    assert (cisco.vendor, dict(cisco.sources)["vendor"]) == ("Cisco", "sysObjectID")  # the catalog's own name first


def test_a_maker_of_one_kind_of_device_names_it_before_its_ports_do() -> None:
    radio = _facts("Unit 1.3.8", "1.3.6.1.4.1.7262.1", if_types=(6,) * 8)  # a microwave radio's switch ports
    assert (radio.category, dict(radio.sources)["category"]) == (
        Category.ACCESS_POINT,
        "maker: enterprise 7262 makes only these",
    )
    said = _facts("Managed Switch 24", "1.3.6.1.4.1.7262.1")  # what a device says still comes first
    assert said.category is Category.SWITCH


def test_a_rating_is_no_model_and_procurve_names_come_in_three_shapes() -> None:
    assert _facts("Outlet Metered SN:P9S18A PN:Device Model:230V, 32A, 7.4kVA").model is None
    procurve = "1.3.6.1.4.1.11.2.3.7.11.66"
    assert _facts("PROCURVE J9029A - PA.03.10", procurve).model == "J9029A"
    assert _facts("HP V1810-48G, PK.1.38, eCos-2.0", procurve).model == "V1810-48G"
    assert _facts("HP J9146A E2910al-24G-PoE Switch, revision W.15.08.0012", procurve).model == "J9146A E2910al-24G-PoE"


def test_any_row_of_the_printer_mib_says_printer_off_a_computer() -> None:
    """A printer whose Printer-MIB rows are not at hrDeviceIndex 1, and that answers
    HOST-RESOURCES from an x86 board, is a printer, not a server."""
    uptime = {oids.HR_SYSTEM_UPTIME: 12345}
    xerox = _facts(
        "Xerox AltaLink C8045; SS 100.002.057.09608", "1.3.6.1.4.1.253.8.62.1", system=uptime, printer_mib=True
    )
    assert (xerox.category, dict(xerox.sources)["category"]) == (Category.PRINTER, "printer-mib")
    windows = "Hardware: Intel64 Family 6 Model 158 - Software: Windows Version 6.3 (Build 19045 Multiprocessor Free)"
    pc = _facts(windows, "1.3.6.1.4.1.311.1.1.3.1.1", system=uptime, printer_mib=True)
    assert pc.category is not Category.PRINTER  # a PC that shares a printer is still a PC


def test_a_printers_sysdescr_names_its_model_after_its_maker() -> None:
    def model(descr: str, object_id: str) -> Any:
        facts = _facts(descr, object_id, printer_mib=True)
        return facts.model, dict(facts.sources).get("model")

    assert model("Xerox AltaLink C8045; SS 100.002.057.09608, NC 100.002", "1.3.6.1.4.1.253.8.62.1") == (
        "AltaLink C8045",
        "sysDescr (printer)",
    )
    assert model("FUJIFILM Apeos C7580", "1.3.6.1.4.1.297.1.11.93.1.2")[0] == "Apeos C7580"
    assert model("Printer Server 1.0", "1.3.6.1.4.1.253.8.62.1")[0] is None  # no maker's name first


def test_what_a_device_says_of_forwarding_and_its_lines_beats_its_port_count() -> None:
    """A box that says it does not route is no router, whatever its ports; an appliance's Linux
    shows its bridges and containers as Ethernet ports; a modem or router with Wi-Fi is a router."""
    ports = (6, 6, 6, 6, 24)
    assert _facts("Box 1.0", answered={oids.IP_FORWARDING: 2}, if_types=ports).category is None
    assert _facts("Box 1.0", answered={oids.SYS_SERVICES: 72}, if_types=ports).category is None
    assert _facts("Linux camera 3.10.14 #1 PREEMPT armv7l", if_types=ports).category is None
    ont = _facts("EchoLife HG8145V5", if_types=(6, 6, 250, 71, 71, 24))
    assert (ont.category, dict(ont.sources)["category"]) == (
        Category.ROUTER,
        "if-mib: line interfaces (IANAifType 250) and Wi-Fi",
    )
    home = _facts("TOTOLINK N300RT", answered={oids.IP_FORWARDING: 1}, if_types=(6, 6, 71, 24))
    assert (home.category, dict(home.sources)["category"]) == (Category.ROUTER, "ip-forwarding, with Wi-Fi")


def test_words_that_only_look_like_labels_or_kinds_say_nothing() -> None:
    assert _facts("Agent supports SNMPv3 and SNMPv2c").serial is None  # no "SN" label glued to a word
    assert _facts("SNR-S2985G-24T").serial is None
    assert _facts("Linux upstream-proxy 5.4.0 #1 SMP armv7l").category is None  # "ups" inside a word
    assert _facts("Hikvision GPS mobile DVR", HIKVISION).category is Category.CAMERA
    assert _facts("Teltonika RUT955 router").category is Category.ROUTER


def test_a_maker_name_or_a_print_server_is_no_model() -> None:
    comware = "H3C Comware Platform Software, Software Version 5.20 Release 1513P81\r\nH3C S5120-28P-SI\r\nCopyright"
    assert _facts(comware, "1.3.6.1.4.1.25506.1.1").model == "S5120-28P-SI"
    assert _facts("H3C Comware Software", "1.3.6.1.4.1.25506.1.1").model is None  # not "H3C"
    brother = _facts("Brother NC-8300w, Firmware Ver.1.10", "1.3.6.1.4.1.2435.2.3.9.1", printer_mib=True)
    assert brother.model != "NC-8300w"  # the network card, not the printer
    epson = _facts("EPSON Built-in 11b/g/n Print Server", "1.3.6.1.4.1.1248.1.1.2", printer_mib=True)
    assert epson.model is None


def test_a_bsd_agent_names_no_maker() -> None:
    pfsense = _facts("pfSense fw.example 2.7.2-RELEASE FreeBSD 14.0-CURRENT amd64", "1.3.6.1.4.1.12325.1.1.2.1.1")
    assert pfsense.vendor == "bsnmpd"  # the agent's, like net-snmp: not the registry's Fraunhofer FOKUS


def test_the_catalogs_enterprise_names_agree_with_ianas_registry() -> None:
    """Every number the catalog names is the registry's maker (a short name of it), except where a
    maker answers under a number that is not its own."""
    from auditor.catalogs import enterprise_registry

    not_theirs = {50001, 10002}  # Hikvision's NVRs answer under Scildon's number, airOS under Frogfoot's
    agents = {2021, 8072, 12325}  # the agent's software, named as such
    bought = {232: "compaq", 705: "merlin gerin", 2684: "viavideo", 3224: "netscreen", 21067: "elitecore"}
    short = {"HP": "hewlett-packard", "HPE": "hewlett packard", "APC": "american power", "Poly": "polycom"}
    registry = enterprise_registry()
    for number, name in vendor_catalog().enterprises.items():
        if number in not_theirs | agents:
            continue
        owner = registry[number].lower().replace(" ", "")
        wanted = (bought.get(number) or short.get(name, name.split()[0].lower())).replace(" ", "")
        assert wanted in owner, f"{number} = {name!r}, but IANA's registry says {registry[number]!r}"


def test_a_makers_product_subtree_says_what_kind_it_is() -> None:
    fortiswitch = _facts("", "1.3.6.1.4.1.12356.106.1.1024")  # FortiSwitch-1024D: nothing in sysDescr
    assert (fortiswitch.category, dict(fortiswitch.sources)["category"]) == (
        Category.SWITCH,
        "sysObjectID: under 1.3.6.1.4.1.12356.106",
    )
    assert _facts("", "1.3.6.1.4.1.12356.120.10.433").category is Category.ACCESS_POINT  # a FortiAP
    assert _facts("", "1.3.6.1.4.1.12356.101.1.60").category is Category.FIREWALL  # a FortiGate
    assert _facts("", "1.3.6.1.4.1.12356.1060").category is Category.FIREWALL  # not under .106: the profile's
    assert _facts("", "1.3.6.1.4.1.2011.2.91").category is Category.NAS  # Huawei's OceanStor, not its switches
    assert _facts("", "1.3.6.1.4.1.674.10903.200.3.1").category is Category.OTHER  # a Dell rack PDU


def test_a_kind_written_into_a_product_code_or_a_product_line_is_evidence() -> None:
    assert _facts("B-U16.013_PDU-A").category is Category.OTHER  # a PDU, whoever made it
    assert _facts("PowerConnect 6248").category is Category.SWITCH
    assert _facts("EdgeRouter X SFP").category is Category.ROUTER
    assert _facts("ICT Sine Wave Inverter").category is Category.OTHER
    assert _facts("LB4M 48x1G 2x10G, *, VxWorks 6.6").category is Category.SWITCH  # its ports, counted
    assert _facts("Juniper Networks, Inc WLC880R 7.7.4.4 REL").category is Category.ACCESS_POINT  # a WLAN controller
    assert _facts("USG40W").category is Category.FIREWALL
    assert _facts("HP MSL G3 Series").category is Category.NAS  # a tape library
    assert _facts("LANCOM OAP-321 10.12.0147").category is Category.ACCESS_POINT
    assert _facts("USB 2x1 KVM").category is not Category.SWITCH  # "2x1" counts no Ethernet ports


def test_a_maker_the_description_opens_with_is_named_where_no_number_names_one() -> None:
    facts = _facts("Viprinet VPN Router", "1.3.6.1.4.1.8072.3.2.10")  # IANA's registry knows one Viprinet
    assert (facts.vendor, dict(facts.sources)["vendor"]) == ("Viprinet", "sysDescr: 'Viprinet'")
    assert _facts("Linux Viprinet 5.4.0 #1 SMP armv7l", "1.3.6.1.4.1.8072.3.2.10").vendor == "net-snmp"  # a host name
    assert _facts("Power Controller 8", "1.3.6.1.4.1.8072.3.2.10").vendor == "net-snmp"  # many makers' first word


def test_a_makers_product_string_is_cut_before_the_firmware_it_goes_on_to_name() -> None:
    version = "1.3.6.1.4.1.12356.106.4.1.1.0"  # FORTINET-FORTISWITCH-MIB fsSysVersion
    said = {version: b"FortiSwitch-248E-POE v7.4.1,build0787,230921 (GA)"}
    facts = _facts("", "1.3.6.1.4.1.12356.106.1.42404", answered=said)
    assert (facts.model, dict(facts.sources)["model"]) == ("FortiSwitch-248E-POE", f"oid {version}")
    endrun = {"1.3.6.1.4.1.13827.5.0.11.0": b"Tempus LX CDMA 6010-0042-000 v 5.70 - Wed Oct 1 04:39:21 UTC 2014"}
    assert _facts("Linux", "1.3.6.1.4.1.8072.3.2.10", answered=endrun).model == "Tempus LX CDMA 6010-0042-000"


def test_a_product_in_the_entity_makers_field_gives_way_to_the_number_owner() -> None:
    audiocodes = "1.3.6.1.4.1.5003.8.1.1.56"  # no catalog entry: IANA's registry names AudioCodes
    product = _facts("", audiocodes, entity=EntityRow(1, descr="chassis", mfg_name="MP-118 FXS"))
    assert (product.vendor, dict(product.sources)["vendor"]) == ("AudioCodes", "sysObjectID (IANA registry)")
    for maker in ("AudioCodes Ltd.", "Hikvision", "Audiocodes", "Edge-Core"):  # a company, a maker, the owner,
        assert _facts("", audiocodes, entity=EntityRow(1, mfg_name=maker)).vendor == maker  # IANA's Edgecore
    assert _facts("", audiocodes, entity=EntityRow(1, mfg_name="Power Supply 1")).vendor == "AudioCodes"
    net_snmp = "1.3.6.1.4.1.8072.3.2.10"
    assert _facts("Viprinet VPN Router", net_snmp, entity=EntityRow(1, mfg_name="DNT00")).vendor == "Viprinet"
    assert _facts("", net_snmp, entity=EntityRow(1, mfg_name="DNT00")).vendor == "DNT00"  # what else is there


def test_the_maker_whose_mib_answered_under_net_snmps_number_says_what_it_makes() -> None:
    gaia = "Linux gw-a 3.10.0-957cpx86_64 #1 SMP x86_64"
    model = "1.3.6.1.4.1.2620.1.6.16.7.0"  # CHECKPOINT-MIB svnApplianceProductName
    uptime = {oids.HR_SYSTEM_UPTIME: 12345}
    facts = _facts(gaia, "1.3.6.1.4.1.8072.3.2.10", answered={model: b"Check Point 23900"}, system=uptime)
    assert (facts.vendor, facts.category) == ("Check Point Software Technologies", Category.FIREWALL)
    assert dict(facts.sources)["category"] == "maker: enterprise 2620 makes only these"
    assert _facts(gaia, "1.3.6.1.4.1.8072.3.2.10", system=uptime).category is Category.SERVER  # nothing said


def test_a_kind_for_a_model_or_the_devices_own_name_is_no_model() -> None:
    row = EntityRow(1, descr="C9500 Chassis", model="CHASSIS")
    assert _facts("", "1.3.6.1.4.1.4413", entity=row).model == "C9500"  # "CHASSIS" says what, not which
    named = {oids.SYS_NAME: b"labbdds01"}
    assert _facts("labbdds01", "1.3.6.1.4.1.13315", system=named).model is None  # its host name, not a product
