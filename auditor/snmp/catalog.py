"""The identification catalog: vendor profiles, makers' MIB objects, evidence words, product
subtrees, sysDescr's nameplate rules, parsed from the TOML of `auditor/data/vendors.toml` (or a
user's file of the same shape).  Pure: the text comes in, the Catalog goes out (auditor.catalogs
reads the file).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.domain import Category
from auditor.snmp import oids, values
from auditor.snmp.descr import NameplateRules, bare, parse_rules


@dataclass(frozen=True)
class Profile:
    name: str
    enterprise: int | None = None
    object_id: str | None = None
    descr: re.Pattern[str] | None = None
    probe: str | None = None
    vendor: str | None = None
    vendor_from_entity: bool = False
    category: Category | None = None
    categories: tuple[tuple[re.Pattern[str], Category], ...] = ()
    model: tuple[str, ...] = ()
    serial: tuple[str, ...] = ()
    version: tuple[str, ...] = ()
    mfg_date: tuple[str, ...] = ()
    model_descr: re.Pattern[str] | None = None
    serial_descr: re.Pattern[str] | None = None
    version_descr: re.Pattern[str] | None = None
    model_pattern: re.Pattern[str] | None = None
    model_format: str = "{v}"
    version_pattern: re.Pattern[str] | None = None
    version_format: str = "{v}"
    version_order: tuple[str, ...] = ("oids", "descr", "entity")

    def oids(self) -> set[str]:
        return {*self.model, *self.serial, *self.version, *self.mfg_date, *([self.probe] if self.probe else [])}

    def could_match(self, object_id: str | None) -> bool:
        """Whether this profile may apply, before its extra OIDs are read."""
        if self.probe:
            return True
        if self.enterprise is not None and values.enterprise(object_id) != self.enterprise:
            return False
        return not (self.object_id and not (object_id or "").startswith(self.object_id))

    def matches(self, object_id: str | None, descr: str, answered: Mapping[str, Any]) -> bool:
        if not self.could_match(object_id):
            return False
        if self.probe and values.text(answered.get(self.probe)) is None:
            return False
        return not (self.descr and not self.descr.search(descr))


@dataclass(frozen=True)
class VendorMib:
    """A maker's own objects for the model and serial, read from devices of `enterprises`."""

    name: str
    enterprises: frozenset[int]
    model: tuple[str, ...] = ()
    serial: tuple[str, ...] = ()
    model_columns: tuple[str, ...] = ()  # a table's column: its first row holds it (one GETNEXT)
    serial_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    enterprises: Mapping[int, str]
    profiles: tuple[Profile, ...] = field(default=())
    evidence: tuple[tuple[re.Pattern[str], Category], ...] = field(default=())
    embedded_cpu: re.Pattern[str] | None = None
    descr_models: tuple[re.Pattern[str], ...] = field(default=())
    descr_serials: tuple[re.Pattern[str], ...] = field(default=())
    vendor_mibs: tuple[VendorMib, ...] = field(default=())
    registry: Mapping[int, str] = field(default_factory=dict)  # IANA's owner of each enterprise number
    makers: Mapping[int, Category] = field(default_factory=dict)  # makers of one kind of device
    nameplate: NameplateRules | None = None  # how a sysDescr names its product ([descr] nameplate_*)
    product_trees: tuple[tuple[str, Category], ...] = ()  # sysObjectID subtrees of one kind ([object_ids])
    brands: Mapping[str, str] = field(default_factory=dict)  # a word that names one maker → its name
    registrants: frozenset[str] = frozenset()  # every IANA registrant's first word, squashed
    # What each sysObjectID asks for, worked out once (a country's devices share a few hundred).
    _asked: dict[tuple[str, str | None], Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def brand(self, word: str) -> str | None:
        return self.brands.get(word.casefold())

    def registrant(self, word: str) -> bool:
        """Whether some IANA registrant's name opens with this word ("Edge-Core": Edgecore Networks)."""
        return bare(word) in self.registrants

    def product_tree(self, object_id: str | None) -> tuple[str, Category] | None:
        """The longest [object_ids] subtree the sysObjectID lies in, and its kind."""
        found = object_id or ""
        return next(((p, c) for p, c in self.product_trees if found == p or found.startswith(p + ".")), None)

    def _memo(self, what: str, object_id: str | None, work: Callable[[str | None], Any]) -> Any:
        key = (what, object_id)
        if key not in self._asked:
            if len(self._asked) >= MEMO_MAX:  # sysObjectIDs are the devices' words: keep the memo bounded
                self._asked.clear()
            self._asked[key] = work(object_id)
        return self._asked[key]

    def mibs_for(self, object_id: str | None) -> list[VendorMib]:
        return list(self._memo("mibs", object_id, self._mibs_for))

    def _mibs_for(self, object_id: str | None) -> tuple[VendorMib, ...]:
        number = values.enterprise(object_id)
        return tuple(mib for mib in self.vendor_mibs if number in mib.enterprises)

    def candidates(self, object_id: str | None) -> list[Profile]:
        return [p for p in self.profiles if p.could_match(object_id)]

    def extra_oids(self, object_id: str | None) -> list[str]:
        """What to read after the system group: the candidate profiles' OIDs and the standard probes."""
        return list(self._memo("oids", object_id, self._extra_oids))

    def _extra_oids(self, object_id: str | None) -> tuple[str, ...]:
        found = set(oids.PROBES)
        for profile in self.candidates(object_id):
            found |= profile.oids()
        for mib in self._mibs_for(object_id):
            found |= {*mib.model, *mib.serial}
        return tuple(sorted(found, key=_oid_order))

    def extra_columns(self, object_id: str | None) -> list[str]:
        """The table columns whose first row names the model or serial: IEEE 802.11's product name
        and the maker's own ([[vendor_mib]] model_columns, serial_columns)."""
        return list(self._memo("columns", object_id, self._extra_columns))

    def _extra_columns(self, object_id: str | None) -> tuple[str, ...]:
        found = {oids.DOT11_PRODUCT_NAME}
        for mib in self._mibs_for(object_id):
            found |= {*mib.model_columns, *mib.serial_columns}
        return tuple(sorted(found, key=_oid_order))


MEMO_MAX = 4096


def _oid_order(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


# UCD-SNMP, Net-SNMP and FreeBSD's bsnmpd (pfSense, OPNsense), Broadcom's switch SDK agent (Dell's
# SONiC, Quanta's, Ubiquiti's OLT, Inteno's gateways): whose agent it runs, not who made it
AGENT_SOFTWARE = frozenset({2021, 4413, 8072, 12325})


def _regex(text: str | None) -> re.Pattern[str] | None:
    return re.compile(text, re.IGNORECASE | re.MULTILINE) if text else None


def parse_catalog(text: str, registry: Mapping[int, str] | None = None) -> Catalog:
    """A catalog from the TOML text of vendors.toml (or a user's file of the same shape), and
    IANA's enterprise registry (`registry`: number → owner) for the numbers it does not name."""
    data = tomllib.loads(text)
    enterprises = {int(number): str(name) for number, name in data.get("enterprises", {}).items()}
    profiles = []
    for entry in data.get("profile", []):
        profiles.append(
            Profile(
                name=entry["name"],
                enterprise=entry.get("enterprise"),
                object_id=entry.get("object_id"),
                descr=_regex(entry.get("descr")),
                probe=entry.get("probe"),
                vendor=entry.get("vendor"),
                vendor_from_entity=bool(entry.get("vendor_from_entity", False)),
                category=Category(entry["category"]) if entry.get("category") else None,
                categories=tuple(
                    (re.compile(pattern, re.IGNORECASE), Category(category))
                    for pattern, category in entry.get("categories", [])
                ),
                model=tuple(entry.get("model", ())),
                serial=tuple(entry.get("serial", ())),
                version=tuple(entry.get("version", ())),
                mfg_date=tuple(entry.get("mfg_date", ())),
                model_descr=_regex(entry.get("model_descr")),
                serial_descr=_regex(entry.get("serial_descr")),
                version_descr=_regex(entry.get("version_descr")),
                model_pattern=_regex(entry.get("model_pattern")),
                model_format=entry.get("model_format", "{v}"),
                version_pattern=_regex(entry.get("version_pattern")),
                version_format=entry.get("version_format", "{v}"),
                version_order=tuple(entry.get("version_order", ("oids", "descr", "entity"))),
            )
        )
    evidence = tuple((_word_rule(rule["words"]), Category(rule["category"])) for rule in data.get("evidence", []))
    return Catalog(
        enterprises,
        tuple(profiles),
        evidence,
        _regex(data.get("host", {}).get("embedded_cpu")),
        tuple(re.compile(pattern) for pattern in data.get("descr", {}).get("model", [])),
        tuple(re.compile(pattern) for pattern in data.get("descr", {}).get("serial", [])),
        tuple(_vendor_mib(entry) for entry in data.get("vendor_mib", [])),
        registry or {},
        {int(number): Category(category) for number, category in data.get("makers", {}).items()},
        parse_rules(data.get("descr", {})),
        tuple(
            sorted(
                ((prefix.strip("."), Category(category)) for prefix, category in data.get("object_ids", {}).items()),
                key=lambda pair: -len(pair[0]),
            )
        ),
        brands(enterprises, registry or {}, AGENT_SOFTWARE),
        frozenset(
            bare(word) for name in (*(registry or {}).values(), *enterprises.values()) if (word := first_word(name))
        ),
    )


def brands(enterprises: Mapping[int, str], registry: Mapping[int, str], agents: frozenset[int]) -> dict[str, str]:
    """Words that name one maker (casefolded → its name): every catalog name and its first word,
    and each IANA registrant's first word, four letters at least, that begins no other registrant's
    name ("Viprinet"; not "Power", nor "HP" alone).  The agents' software (net-snmp) names no maker."""
    owners: dict[str, set[str]] = {}
    for name in registry.values():
        if (word := first_word(name)) and len(word) >= 4:
            owners.setdefault(word.casefold(), set()).add(name)
    found = {word: next(iter(names)) for word, names in owners.items() if len(names) == 1}
    for number, name in enterprises.items():
        if number not in agents:
            found[name.casefold()] = name
            if word := first_word(name):
                found.setdefault(word.casefold(), name)
    return found


def first_word(name: str) -> str | None:
    """The word a name opens with ("Edge-Core Networks": "Edge-Core"), letters first."""
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9-]*)", name)
    return match[1] if match else None


def _vendor_mib(entry: Mapping[str, Any]) -> VendorMib:
    model, serial = tuple(entry.get("model", ())), tuple(entry.get("serial", ()))
    model_columns, serial_columns = tuple(entry.get("model_columns", ())), tuple(entry.get("serial_columns", ()))
    own = {values.enterprise(oid) for oid in (*model, *serial, *model_columns, *serial_columns)} - {None}
    enterprises = frozenset(entry.get("enterprises", own))
    return VendorMib(entry["name"], enterprises, model, serial, model_columns, serial_columns)


def _word_rule(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)
