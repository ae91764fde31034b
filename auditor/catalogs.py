"""The catalogs shipped in auditor/data, read once.  The one place that loads them from disk, so the
modules that use them (rules, identification) stay pure and take them as arguments."""

from __future__ import annotations

import functools
from importlib import resources

from auditor.rules.age import AgeCatalog, parse_age_catalog
from auditor.snmp.identify import Catalog, parse_catalog


def _text(name: str) -> str:
    return resources.files("auditor.data").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def vendor_catalog() -> Catalog:
    """Vendors, their OIDs and sysDescr patterns (vendors.toml)."""
    return parse_catalog(_text("vendors.toml"))


@functools.cache
def age_catalog() -> AgeCatalog:
    """Model release years and the years Windows versions were last sold (models.toml)."""
    return parse_age_catalog(_text("models.toml"))
