"""What a sysDescr says of the product it is: its nameplate.

Pure.  Many small devices describe themselves with their product's name and little else: "Room
Alert 12E v3.3.0", "SiteBoss 530 2.10.540 STD", "D-Link DAP-2230", "CentreCOM 9924Ts, version
3.2.1-04", "Juniper Networks, Inc. ex2200-24t-4g Ethernet Switch, kernel JUNOS …".  The name is
the first field (to a ",", ";", "(", " - " or the first version, date, "Software", "SNMP"…), with
the maker's own words and a company's suffix ("Inc.") dropped, and the words that say what it is
rather than which ("Managed Switch", "Series") dropped from its end.  It is a name only when it
holds a digit and is a few words long; a line that opens like an operating system's banner
("Linux host 5.4…", "Hardware: … Software: Windows") names none.  The word lists are data
(`[descr]` in vendors.toml).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_WORDS = 5
MAX_LENGTH = 40
LINES = 3  # a banner's product line is among its first lines ("…Software\\nAOCM3948 Series Software")
FIELDS = 2  # the first field, or the second when the first holds no number ("PLANET, WDAP-3000AX")
# "…EOS version 4.15 running on an Arista Networks DCS-7050TX-128"
_RUNNING_ON = re.compile(r"\brunning on (?:an? )?(.+)$", re.IGNORECASE | re.MULTILINE)
_FIELD = re.compile(r"\s*(?:[,;()\[\]]|\s-\s)\s*")


@dataclass(frozen=True)
class NameplateRules:
    banner: re.Pattern[str]  # a line that opens like this is an OS's banner
    stop: re.Pattern[str]  # where the name ends: a version, a date, "Software", "SNMP"…
    generic: re.Pattern[str]  # a trailing word that says what the device is, not which
    corporate: re.Pattern[str]  # a company's suffix ("Inc.", "Ltd", "Co.,")


def parse_rules(data: dict[str, str]) -> NameplateRules | None:
    """The rules from vendors.toml's [descr] (`nameplate_banner`, `nameplate_stop`,
    `nameplate_generic`, `nameplate_corporate`), or None where it has none."""
    keys = ("nameplate_banner", "nameplate_stop", "nameplate_generic", "nameplate_corporate")
    if not all(data.get(key) for key in keys):
        return None
    banner, stop, generic, corporate = (re.compile(data[key], re.IGNORECASE) for key in keys)
    return NameplateRules(banner, stop, generic, corporate)


def _maker_words(makers: Iterable[str | None]) -> set[str]:
    words = set()
    for name in makers:
        words.add(bare(name or ""))  # "Tripp Lite" is "TrippLite" too
        for word in re.split(r"[\s,]+", name or ""):
            if word := bare(word):
                words.add(word)
    return words


def bare(word: str) -> str:
    """A word without case or punctuation: "Edge-Core" and "EDGECORE" are "edgecore"."""
    return re.sub(r"[^0-9a-z]+", "", word.casefold())


def name_of(text: str, makers: set[str], rules: NameplateRules) -> str | None:
    """A product's name from the start of `text`: cut where `rules.stop` matches, the maker's words
    and company suffixes dropped from its start, generic words from its end.  None when what is
    left holds no digit, is long, or is a version."""
    if stop := rules.stop.search(text):
        text = text[: stop.start()]
    words = [word for word in text.strip(" \t=.:;-\"'\\").split() if word]
    while words and (bare(words[0]) in makers or rules.corporate.fullmatch(words[0]) or not bare(words[0])):
        words = words[1:]
    while words and (rules.generic.fullmatch(words[-1].strip(".,")) or not bare(words[-1])):
        words = words[:-1]
    name = " ".join(words).strip(" .,:;-\"'\\")
    if not name or len(words) > MAX_WORDS or len(name) > MAX_LENGTH or not re.search(r"\d", name):
        return None
    if not re.search(r"[A-Za-z]", name) or re.fullmatch(r"[vV]?[\d.]+\w?", name):
        return None  # "4.4.2", "V220100": a version, not a name
    return name


def nameplate(descr: str, makers: Iterable[str | None], rules: NameplateRules | None) -> str | None:
    """The product's name a sysDescr opens with, if it opens with one (see the module's docstring)."""
    if rules is None:
        return None
    words = _maker_words(makers)
    if (running := _RUNNING_ON.search(descr)) and (name := name_of(running[1], words, rules)):
        return name
    for line in descr.splitlines()[:LINES]:
        if not line.strip() or rules.banner.match(line.strip(" ;")):
            continue
        fields = [part for part in _FIELD.split(line.strip(" ;")) if part.strip()][:FIELDS]
        for part in fields:
            if name := name_of(part, words, rules):
                return name
            if re.search(r"\d", part):
                break  # the first field held a number and named nothing: the second is no name either
    return None
