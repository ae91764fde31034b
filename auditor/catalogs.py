"""The catalogs shipped in auditor/data, read once.  The one place that loads them from disk, so the
modules that use them (rules, identification) stay pure and take them as arguments."""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from auditor.rules.age import AgeCatalog, parse_age_catalog
from auditor.rules.endpoints import MacRegistry, parse_mac_registry
from auditor.snmp.catalog import Catalog, parse_catalog


def _text(name: str) -> str:
    return resources.files("auditor.data").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def vendor_catalog() -> Catalog:
    """Vendors, their OIDs and sysDescr patterns (vendors.toml), and IANA's enterprise registry."""
    return parse_catalog(_text("vendors.toml"), enterprise_registry())


@functools.cache
def enterprise_registry() -> dict[int, str]:
    """IANA's Private Enterprise Numbers: number → owner (enterprises.tsv.gz, made by
    auditor.lab.enterprises)."""
    raw = resources.files("auditor.data").joinpath("enterprises.tsv.gz").read_bytes()
    found = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        number, _, name = line.partition("\t")
        if number.isdigit() and name:
            found[int(number)] = name
    return found


@functools.cache
def age_catalog() -> AgeCatalog:
    """Model release years and the years Windows versions were last sold (models.toml)."""
    return parse_age_catalog(_text("models.toml"))


@functools.cache
def mac_registry() -> MacRegistry:
    """IEEE's MAC address blocks (MA-L, MA-M, MA-S), as the pymanuf package ships them each month
    (Wireshark's `manuf` format); read as a file, pymanuf's own code is not used."""
    from importlib.metadata import version

    text = resources.files("pymanuf").joinpath("manuf.txt").read_text(encoding="utf-8")
    return parse_mac_registry(text, source=f"pymanuf {version('pymanuf')}")
