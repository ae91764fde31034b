"""Who a device is, from what its agent answered: vendor, category, model, serial, version, age.

Pure: the observation (raw values by OID, the ENTITY-MIB row) and the catalog come in, typed
DeviceFacts go out.  The catalog is data (`auditor/data/vendors.toml`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.domain import Category
from auditor.facts import DeviceFacts, EntityRow
from auditor.snmp import oids, values
from auditor.snmp.catalog import AGENT_SOFTWARE, Catalog, Profile, first_word
from auditor.snmp.descr import NameplateRules, name_of, nameplate

# Windows builds: the name sysDescr's "Build N" stands for, and the year it was released (the
# year is a lower bound on a machine's age: a Windows 7 PC was bought in 2009 or later).
WINDOWS_BUILDS: dict[int, tuple[str, str, int]] = {  # build: (desktop name, server name, year)
    2600: ("XP", "XP", 2001),
    3790: ("XP x64", "Server 2003", 2003),
    6000: ("Vista", "Vista", 2007),
    6001: ("Vista SP1", "Server 2008", 2008),
    6002: ("Vista SP2", "Server 2008 SP2", 2009),
    7600: ("7", "Server 2008 R2", 2009),
    7601: ("7 SP1", "Server 2008 R2 SP1", 2011),
    9200: ("8", "Server 2012", 2012),
    9600: ("8.1", "Server 2012 R2", 2013),
    10240: ("10 (1507)", "10 (1507)", 2015),
    10586: ("10 (1511)", "10 (1511)", 2015),
    14393: ("10 (1607)", "Server 2016 (1607)", 2016),
    15063: ("10 (1703)", "10 (1703)", 2017),
    16299: ("10 (1709)", "Server (1709)", 2017),
    17134: ("10 (1803)", "Server (1803)", 2018),
    17763: ("10 (1809)", "Server 2019 (1809)", 2018),
    18362: ("10 (1903)", "Server (1903)", 2019),
    18363: ("10 (1909)", "Server (1909)", 2019),
    19041: ("10 (2004)", "Server (2004)", 2020),
    19042: ("10 (20H2)", "Server (20H2)", 2020),
    19043: ("10 (21H1)", "10 (21H1)", 2021),
    19044: ("10 (21H2)", "10 (21H2)", 2021),
    19045: ("10 (22H2)", "10 (22H2)", 2022),
    20348: ("Server 2022", "Server 2022", 2021),
    22000: ("11 (21H2)", "11 (21H2)", 2021),
    22621: ("11 (22H2)", "11 (22H2)", 2022),
    22631: ("11 (23H2)", "11 (23H2)", 2023),
    26100: ("11 (24H2)", "Server 2025", 2024),
}
_WINDOWS_BUILD = re.compile(r"Windows.*?\(Build (\d+)", re.IGNORECASE)
WINDOWS_SERVER_OIDS = ("1.3.6.1.4.1.311.1.1.3.1.2", "1.3.6.1.4.1.311.1.1.3.1.3")


def windows_release(descr: str, object_id: str | None) -> tuple[str, int] | None:
    """("Windows Server 2019 (1809)", 2018) from a Windows agent's sysDescr, if its build is known."""
    match = _WINDOWS_BUILD.search(descr)
    if not match or int(match[1]) not in WINDOWS_BUILDS:
        return None
    desktop, server, year = WINDOWS_BUILDS[int(match[1])]
    return f"Windows {server if (object_id or '').startswith(WINDOWS_SERVER_OIDS) else desktop}", year


def _pattern(pattern: re.Pattern[str] | None, template: str, value: str | None) -> str | None:
    if value is None or pattern is None:
        return value
    match = pattern.search(value)
    if not match:
        return value
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    try:
        return template.format(**groups).strip() or None
    except (KeyError, IndexError):
        return value


def _first(answered: Mapping[str, Any], oid_list: Sequence[str]) -> tuple[str | None, str | None]:
    for oid in oid_list:
        found = values.first_line(answered.get(oid))
        if found:
            return found, f"oid {oid}"
    return None, None


class _Facts:
    """Collects each field once, from the first source that has it, and remembers the source."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sources: dict[str, str] = {}

    def offer(self, name: str, value: Any, source: str | None) -> None:
        if value is not None and value != "" and name not in self.values:
            self.values[name] = value
            self.sources[name] = source or "unknown"


def _printer_model(answered: Mapping[str, Any], vendor: str | None) -> str | None:
    model = values.first_line(answered.get(oids.HR_DEVICE_DESCR_1))
    if model is None:
        return None
    if vendor and model.lower().startswith(vendor.lower() + " "):
        model = model[len(vendor) + 1 :]
    return re.sub(r"\s+series$", "", model, flags=re.IGNORECASE) or None


_DESCR_END = re.compile(r"[;,]|\s(?:Rev\.?|Ver\.?|version|v\d|SN\b|S/N\b)", re.IGNORECASE)
_PRINT_SERVER = re.compile(r"^NC-\d|built-in|print ?server|ethernet|wireless|\bLAN\b", re.IGNORECASE)


def _printer_descr_model(descr: str, vendor: str | None) -> str | None:
    """A printer's sysDescr names it after its maker: "Xerox AltaLink C8045; SS 100.002…" →
    "AltaLink C8045", "KONICA MINOLTA bizhub C3110" → "bizhub C3110".  The words it shares with
    the vendor's name at the start are dropped; the rest, to the first ";", "," or version, is the
    model when it holds a digit."""
    words = descr.split()
    maker = (vendor or "").lower().split()
    while words and maker and words[0].lower() == maker[0]:
        words, maker = words[1:], maker[1:]
    if len(words) == len(descr.split()):  # it does not open with its maker's name
        return None
    text = " ".join(words)
    text = text[: m.start()] if (m := _DESCR_END.search(text)) else text
    text = text.strip()
    if _PRINT_SERVER.search(text):  # the network card's name ("NC-8300w", "Built-in 11b/g/n Print Server")
        return None
    return text if text and any(c.isdigit() for c in text) and len(text) <= 40 else None


@dataclass(frozen=True)
class _Seen:
    """What a device answered, and what it was taken for, as every field's rules need it."""

    descr: str
    object_id: str | None
    profile: Profile | None
    answered: Mapping[str, Any]
    entity: EntityRow | None
    ups: bool  # it answers UPS-MIB
    printer: bool  # it answers Printer-MIB, or HOST-RESOURCES lists a printer (and it is no computer)
    name: str | None = None  # sysName


def _vendor(facts: _Facts, seen: _Seen, catalog: Catalog) -> None:
    """The maker: the entity row where the profile trusts it, the profile, the catalog's name for
    the enterprise number, UPS-MIB, the entity row where it names a maker, IANA's owner of the
    enterprise number, the maker whose own MIB answered, the maker the description opens with,
    the entity row whatever it says, and last the agent's software (net-snmp)."""
    if seen.profile and seen.profile.vendor_from_entity and seen.entity and seen.entity.mfg_name:
        facts.offer("vendor", seen.entity.mfg_name, "entity")
    if seen.profile and seen.profile.vendor:
        facts.offer("vendor", seen.profile.vendor, f"profile {seen.profile.name}")
    number = values.enterprise(seen.object_id) or -1
    maker = number not in AGENT_SOFTWARE
    if maker and number in catalog.enterprises:
        facts.offer("vendor", catalog.enterprises[number], "sysObjectID")
    if seen.ups:
        facts.offer("vendor", values.first_line(seen.answered.get(oids.UPS_IDENT_MANUFACTURER)), "ups-mib")
    registered = catalog.registry.get(number) if maker else None
    mfg_name = seen.entity.mfg_name if seen.entity else None
    if mfg_name and _names_a_maker(mfg_name, registered, catalog):
        facts.offer("vendor", mfg_name, "entity")
    facts.offer("vendor", registered, "sysObjectID (IANA registry)")
    # No number names the maker (Net-SNMP's, or none): the maker whose own MIB answered, or the one
    # the description opens with ("Viprinet VPN Router"; not a banner's host name).
    for owner, oid in _answering_makers(seen, catalog):
        facts.offer("vendor", catalog.enterprises.get(owner) or catalog.registry.get(owner), f"oid {oid}")
    first = first_word(seen.descr)
    banner = catalog.nameplate is not None and catalog.nameplate.banner.match(seen.descr.strip())
    if first and not banner and (brand := catalog.brand(first)):
        facts.offer("vendor", brand, f"sysDescr: {first!r}")
    facts.offer("vendor", mfg_name, "entity")  # what the entity's maker field says, maker or not
    if number in AGENT_SOFTWARE:  # nothing else named the maker: say whose agent it is
        facts.offer("vendor", catalog.enterprises.get(number) or catalog.registry.get(number), "sysObjectID")


def _answering_makers(seen: _Seen, catalog: Catalog) -> list[tuple[int, str]]:
    """The makers whose own MIB objects ([[vendor_mib]]) the device answered, each with the OID."""
    found = []
    for mib in catalog.mibs_for(seen.object_id):
        for oid in (*mib.model, *mib.serial, *mib.model_columns, *mib.serial_columns):
            owner = values.enterprise(oid) or -1
            if owner not in AGENT_SOFTWARE and values.text(seen.answered.get(oid)) is not None:
                found.append((owner, oid))
    return found


def _names_a_maker(name: str, registered: str | None, catalog: Catalog) -> bool:
    """Whether an entity's manufacturer field names a maker, to be believed before IANA's owner of the
    sysObjectID (`registered`) and what the description says: a maker's or a registrant's name, a
    company's ("… Co., Ltd"), or one that shares a word with the owner's.  Some agents put the
    product there ("MP-118 FXS"), or a code ("DNT00")."""
    words = {w.casefold() for w in re.findall(r"[A-Za-z]{3,}", name)}
    if registered and words & {w.casefold() for w in re.findall(r"[A-Za-z]{3,}", registered)}:
        return True
    first = first_word(name)
    if first and catalog.brand(first):
        return True
    # A registrant's first word ("Edge-Core", "CIENA"), in a field with no number ("Power Supply 1").
    if first and catalog.registrant(first) and not re.search(r"\d", name):
        return True
    return bool(catalog.nameplate and any(catalog.nameplate.corporate.fullmatch(w.strip(",")) for w in name.split()))


def _model(facts: _Facts, seen: _Seen, catalog: Catalog) -> None:
    """The model: the profile's OIDs and sysDescr pattern, the entity row, UPS-MIB, Printer-MIB
    (and a printer's sysDescr), the maker's own MIB ([[vendor_mib]]), a sysDescr that labels it
    or opens with it."""
    if seen.profile:
        found, source = _first(seen.answered, seen.profile.model)
        facts.offer("model", found, source)
        if seen.profile.model_descr and (match := seen.profile.model_descr.search(seen.descr)):
            facts.offer("model", match.group("v").strip(), "sysDescr")
    number = values.enterprise(seen.object_id) or -1
    makers = {facts.values.get("vendor"), catalog.enterprises.get(number), catalog.registry.get(number)}
    if seen.entity:
        facts.offer("model", _entity_model(seen.entity, makers, catalog.nameplate), "entity")
    if seen.ups:
        facts.offer("model", values.first_line(seen.answered.get(oids.UPS_IDENT_MODEL)), "ups-mib")
    if seen.printer:
        facts.offer("model", _printer_model(seen.answered, facts.values.get("vendor")), "host-resources")
        facts.offer("model", _printer_descr_model(seen.descr, facts.values.get("vendor")), "sysDescr (printer)")
    for mib in catalog.mibs_for(seen.object_id):
        found, source = _first(seen.answered, (*mib.model, *mib.model_columns))
        facts.offer("model", _without_firmware(found), source)
    if seen.entity and not seen.entity.model and catalog.nameplate and seen.entity.descr:
        facts.offer("model", name_of(seen.entity.name or "", set(), catalog.nameplate), "entity")
    if not seen.printer:  # IEEE 802.11's product name (a printer's is its Wi-Fi card's)
        facts.offer("model", *_first(seen.answered, (oids.DOT11_PRODUCT_NAME,)))
    makers_said = {name.lower() for name in makers if name} | {name.split()[0].lower() for name in makers if name}
    for pattern in catalog.descr_models:
        if (match := pattern.search(seen.descr)) and match.group("v").lower() not in makers_said:  # "H3C …"
            facts.offer("model", match.group("v"), "sysDescr label")
            break
    if not seen.printer:  # a printer's sysDescr often names its network card ("Brother NC-8300w")
        plate = nameplate(seen.descr, makers, catalog.nameplate)
        if not (plate and seen.name and plate.casefold() == seen.name.casefold()):  # a host name for a sysDescr
            facts.offer("model", plate, "sysDescr (product name)")
    if seen.profile and "model" in facts.values:
        facts.values["model"] = _pattern(seen.profile.model_pattern, seen.profile.model_format, facts.values["model"])


def _without_firmware(text: str | None) -> str | None:
    """A maker's product string less the firmware it goes on to name: "FortiSwitch-248E-POE
    v7.4.1,build0787" and "Tempus LX CDMA 6010-0042-000 v 5.70 - Wed Oct 1" name the product first."""
    if text is None:
        return None
    return re.sub(r"[\s,]+v\s?\d+(?:\.\d+)+\b.*", "", text).strip() or None


def _entity_model(row: EntityRow, makers: set[str | None], rules: NameplateRules | None) -> str | None:
    """The entity row's model name; its description's product name where the model is a part
    number of digits alone ("40-1000832-08": "Brocade 6520 Switch"), a version, or blank."""
    model = row.model
    if model and re.fullmatch(r"[vV]?\d+(?:\.\d+)+\w?", model):  # "4.4.2": a software version
        model = None
    if model and rules and re.fullmatch(rf"(?:{rules.generic.pattern}|\s)+", model, re.IGNORECASE):
        model = None  # "CHASSIS", "PDU": what it is, not which
    if model and re.search(r"[A-Za-z]", model):
        return model
    named = nameplate(row.descr, makers, rules) if row.descr else None
    return named or model


def _serial(facts: _Facts, seen: _Seen, catalog: Catalog) -> None:
    """The serial number: the profile's OIDs, the entity row, Printer-MIB, the profile's sysDescr
    pattern, the maker's own MIB ([[vendor_mib]]), a sysDescr label."""
    if seen.profile:
        found, source = _first(seen.answered, seen.profile.serial)
        facts.offer("serial", found, source)
    if seen.entity:
        facts.offer("serial", seen.entity.serial, "entity")
    facts.offer("serial", values.first_line(seen.answered.get(oids.PRT_GENERAL_SERIAL)), "printer-mib")
    if seen.profile and seen.profile.serial_descr and (match := seen.profile.serial_descr.search(seen.descr)):
        facts.offer("serial", match.group("v"), "sysDescr")
    for mib in catalog.mibs_for(seen.object_id):
        facts.offer("serial", *_first(seen.answered, (*mib.serial, *mib.serial_columns)))
    for pattern in catalog.descr_serials:
        if match := pattern.search(seen.descr):
            facts.offer("serial", values.text(match.group("v")), "sysDescr label")
            break


def _version(facts: _Facts, seen: _Seen) -> None:
    """The software version: from the sources in the order the profile trusts them."""
    windows = windows_release(seen.descr, seen.object_id)
    for where in seen.profile.version_order if seen.profile else ("descr", "entity"):
        if where == "oids" and seen.profile:
            found, source = _first(seen.answered, seen.profile.version)
            facts.offer(
                "os_version", _pattern(seen.profile.version_pattern, seen.profile.version_format, found), source
            )
        elif where == "descr":
            if windows:
                facts.offer("os_version", windows[0], "sysDescr")
            if seen.profile and seen.profile.version_descr and (match := seen.profile.version_descr.search(seen.descr)):
                groups = {k: v for k, v in match.groupdict().items() if v is not None}
                facts.offer("os_version", seen.profile.version_format.format_map(_Blank(groups)).strip(), "sysDescr")
        elif where == "entity" and seen.entity:
            facts.offer("os_version", seen.entity.software_rev, "entity")
    if seen.ups:
        facts.offer("os_version", values.first_line(seen.answered.get(oids.UPS_IDENT_SOFTWARE)), "ups-mib")


def _made(facts: _Facts, seen: _Seen) -> None:
    """The manufacture date: ENTITY-MIB first, then the vendor's own."""
    if seen.entity and seen.entity.mfg_date:
        facts.offer("manufactured_on", seen.entity.mfg_date, "entity")
    if seen.profile:
        for oid in seen.profile.mfg_date:
            facts.offer("manufactured_on", values.manufacture_date(seen.answered.get(oid)), f"oid {oid}")


def _shape(
    answered: Mapping[str, Any], if_types: Sequence[int], host: bool, embedded: bool
) -> tuple[Category, str] | None:
    """What a device's tables say it does: it bridges between ports (a switch), routes (a router),
    or carries a Wi-Fi radio (an access point).  `host`: HOST-RESOURCES says it is a computer,
    whose radios and ports say nothing of the kind; `embedded`: an appliance's Linux (MIPS, ARM…),
    whose bridges and containers show as Ethernet ports."""
    ports = values.integer(answered.get(oids.BRIDGE_PORTS))
    forwarding = values.integer(answered.get(oids.IP_FORWARDING))
    services = values.integer(answered.get(oids.SYS_SERVICES))
    line = sorted({kind for kind in if_types if kind in oids.WAN_TYPES})
    radios = sum(1 for kind in if_types if kind in oids.RADIO_TYPES)
    if radios and not host:
        # A modem or router with Wi-Fi is a router: it has a line interface, or it forwards.
        if line:
            return Category.ROUTER, f"if-mib: line interfaces (IANAifType {', '.join(map(str, line))}) and Wi-Fi"
        if forwarding == 1:
            return Category.ROUTER, "ip-forwarding, with Wi-Fi"
        return Category.ACCESS_POINT, f"if-mib: {radios} IEEE 802.11 radio(s)"
    if ports is not None and ports >= 4:
        return Category.SWITCH, "bridge-mib"
    # sysServices says something only of a node that offers no end-to-end layer (bit 4, value 8):
    # hosts, and the many routers that say 78, set it.  A bridge (2, 6: an L3 switch is a switch)
    # or a pure router (4).
    if services is not None and 0 < services < 128 and not services & 8:
        if services & 2:
            return Category.SWITCH, "sysServices"
        if services & 4 and forwarding != 2:
            return Category.ROUTER, "sysServices"
    ethernet = sum(1 for kind in if_types if kind in oids.ETHERNET_TYPES)
    if ethernet >= oids.SWITCH_PORTS_MIN:
        return Category.SWITCH, f"if-mib: {ethernet} Ethernet ports"
    if forwarding == 1 and ports is None:
        return Category.ROUTER, "ip-forwarding"
    if host:
        return None
    # A device that is no computer, says nothing of forwarding or says it routes, and has line
    # interfaces (DSL, cable, SONET, E1, PON…) or, off an appliance's Linux, a few Ethernet ports
    # and no bridge table, passes traffic on, as a router or modem does.
    says_host = forwarding == 2 or (services is not None and services & 8 and not services & 4)
    if says_host:
        return None
    if line:
        return Category.ROUTER, f"if-mib: line interfaces (IANAifType {', '.join(map(str, line))})"
    if ethernet >= oids.NETWORK_PORTS_MIN and ports is None and not embedded:
        return Category.ROUTER, f"if-mib: {ethernet} Ethernet ports, no bridge table"
    return None


def _category(facts: _Facts, seen: _Seen, system: Mapping[str, Any], catalog: Catalog, if_types: Sequence[int]) -> None:
    """The category: the one line of the maker whose MIB answered where the sysObjectID names an
    agent's software, the profile's rules, the standard MIBs, what the device says of itself (the
    catalog's evidence words), the profile's default, the maker's one line ([makers]), what it
    bridges, routes or radiates, and last HOST-RESOURCES.  The source says which, and what the
    device said."""
    said = (seen.object_id or "", seen.descr, facts.values.get("model") or "")
    number = values.enterprise(seen.object_id)
    if number is None or number in AGENT_SOFTWARE:
        # The maker whose own MIB answered knows more than a guess from the agent's software (an
        # x86_64 Linux is a server): Check Point's Gaia answers under Net-SNMP's number.
        for owner, _ in _answering_makers(seen, catalog):
            if owner in catalog.makers:
                facts.offer("category", catalog.makers[owner], f"maker: enterprise {owner} makes only these")
    if seen.profile:
        for pattern, category in seen.profile.categories:
            if any(pattern.search(text) for text in said):
                facts.offer("category", category, f"profile {seen.profile.name}")
                break
    if seen.printer:
        facts.offer("category", Category.PRINTER, "printer-mib")
    if seen.ups:
        facts.offer("category", Category.UPS, "ups-mib")
    if tree := catalog.product_tree(seen.object_id):
        facts.offer("category", tree[1], f"sysObjectID: under {tree[0]}")
    # What the device says it is comes before what its maker mostly makes: a Hikvision switch is a switch.
    texts = (("sysDescr", seen.descr), ("entity", seen.entity.descr if seen.entity else None), ("model", said[2]))
    for pattern, category in catalog.evidence:
        hit = next(((name, found[0]) for name, text in texts if text and (found := pattern.search(text))), None)
        if hit:
            facts.offer("category", category, f"{hit[0]}: {hit[1]!r}")
            break
    if seen.profile:
        facts.offer("category", seen.profile.category, f"profile {seen.profile.name}")
    if number is not None and number in catalog.makers:
        facts.offer("category", catalog.makers[number], f"maker: enterprise {number} makes only these")
    embedded = bool(catalog.embedded_cpu is not None and catalog.embedded_cpu.search(seen.descr))
    host = values.integer(system.get(oids.HR_SYSTEM_UPTIME)) is not None and not embedded
    if (shape := _shape(seen.answered, if_types, host, embedded)) is not None:
        facts.offer("category", *shape)
    if host:
        facts.offer("category", Category.SERVER, "host-resources")


def identify(
    system: Mapping[str, Any],
    answered: Mapping[str, Any],
    entity: EntityRow | None,
    catalog: Catalog,
    if_types: Sequence[int] = (),
    printer_mib: bool = False,
) -> DeviceFacts:
    """Facts from the system group, the extra OIDs read for the candidate profiles, the entity row,
    the interfaces' IANAifTypes, and whether the agent has any row of the Printer-MIB."""
    descr = values.text(system.get(oids.SYS_DESCR)) or ""
    object_id = values.oid(system.get(oids.SYS_OBJECT_ID))
    profile = next((p for p in catalog.profiles if p.matches(object_id, descr, answered)), None)
    facts = _Facts()
    ups = any(values.text(answered.get(oid)) is not None for oid in oids.UPS_SIGNS)
    # A host lists its printer drivers in hrDeviceTable too: that says "printer" only for a
    # device no profile calls a computer.
    host = profile is not None and profile.category in (Category.DESKTOP, Category.SERVER, Category.LAPTOP)
    printer = values.text(answered.get(oids.PRT_GENERAL_SERIAL)) is not None or (
        not host and (printer_mib or values.oid(answered.get(oids.HR_DEVICE_TYPE_1)) == oids.HR_DEVICE_PRINTER)
    )
    seen = _Seen(
        descr, object_id, profile, answered, entity, ups, printer, values.first_line(system.get(oids.SYS_NAME))
    )
    _vendor(facts, seen, catalog)
    _model(facts, seen, catalog)
    _serial(facts, seen, catalog)
    _version(facts, seen)
    _made(facts, seen)
    _category(facts, seen, system, catalog, if_types)
    return DeviceFacts(
        sys_descr=descr or None,
        sys_object_id=object_id,
        sys_name=values.first_line(system.get(oids.SYS_NAME)),
        uptime_s=values.uptime_seconds(
            system.get(oids.SYS_UPTIME), system.get(oids.HR_SYSTEM_UPTIME), system.get(oids.SNMP_ENGINE_TIME)
        ),
        vendor=facts.values.get("vendor"),
        category=facts.values.get("category"),
        model=facts.values.get("model"),
        serial=facts.values.get("serial"),
        os_version=facts.values.get("os_version") or None,
        firmware=entity.firmware_rev if entity else None,
        hardware_rev=entity.hardware_rev if entity else None,
        manufactured_on=facts.values.get("manufactured_on"),
        profile=profile.name if profile else None,
        sources=tuple(sorted(facts.sources.items())),
    )


class _Blank(dict[str, str]):
    """format_map helper: a group the regex did not fill reads as empty, not as a KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def entity_row(rows: Mapping[int, Mapping[str, Any]]) -> EntityRow | None:
    """The row that stands for the device: the first chassis, else (where no row gives its class) the
    first row with a model and a serial, or with a model; else the first row with a model or serial.

    `rows` maps entPhysicalIndex to {column name: raw value} (names as in oids.ENT_COLUMNS).
    """

    def usable(row: Mapping[str, Any]) -> bool:
        return bool(values.text(row.get("model")) or values.text(row.get("serial")))

    chassis = [i for i in sorted(rows) if values.integer(rows[i].get("class")) == oids.ENT_CLASS_CHASSIS]
    index = next((i for i in chassis if usable(rows[i])), None)
    if index is None and not any(values.integer(row.get("class")) for row in rows.values()):
        # no class is given: the first row with a model and a serial, else with a model
        both = (i for i in sorted(rows) if all(values.text(rows[i].get(k)) for k in ("model", "serial")))
        index = next(both, next((i for i in sorted(rows) if values.text(rows[i].get("model"))), None))
    if index is None:
        index = next((i for i in sorted(rows) if usable(rows[i])), None)
    if index is None:
        return None
    row = rows[index]
    serial = values.text(row.get("serial"))
    if not serial:  # a chassis without one: the first module or stack member that has one
        serial = next(
            (
                values.text(rows[i].get("serial"))
                for i in sorted(rows)
                if values.text(rows[i].get("serial")) and values.integer(rows[i].get("class")) in (3, 9, 11)
            ),
            None,
        )
    return EntityRow(
        index=index,
        descr=values.first_line(row.get("descr")),
        name=values.first_line(row.get("name")),
        hardware_rev=values.first_line(row.get("hardware_rev")),
        firmware_rev=values.first_line(row.get("firmware_rev")),
        software_rev=values.first_line(row.get("software_rev")),
        serial=serial,
        mfg_name=values.first_line(row.get("mfg_name")),
        model=values.first_line(row.get("model")),
        mfg_date=values.manufacture_date(row.get("mfg_date")),
    )
