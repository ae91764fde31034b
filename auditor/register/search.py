"""Finding devices as people name them: by id, serial, asset tag, address or MAC, and the filters of
`auditor devices list`.  Pure: views in, views out; text compared as `fold` compares it (case,
diacritics and punctuation aside), addresses and MACs in their canonical form."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.domain import Category, DeviceStatus, fold, tag_key
from auditor.facts import DeviceView

_MAC = re.compile(r"^[0-9a-f]{12}$")


def mac_key(text: str) -> str | None:
    """00:1A:2B:3C:4D:5E, 00-1a-2b-3c-4d-5e and 001a.2b3c.4d5e all as "001a2b3c4d5e"."""
    digits = re.sub(r"[^0-9a-f]", "", text.lower())
    return digits if _MAC.match(digits) and len(re.sub(r"[0-9a-fA-F]", "", text)) <= 5 else None


def ip_key(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class DeviceQuery:
    """What `devices list` keeps: every given criterion must hold."""

    serial: str | None = None
    asset_tag: str | None = None
    ip: str | None = None
    mac: str | None = None
    category: Category | None = None
    status: DeviceStatus | None = None
    registered: bool | None = None
    text: str | None = None  # in hostname, model, vendor, location, serial, asset tag, unit code

    def matches(self, device: DeviceView) -> bool:
        checks = (
            self.serial is None or fold(device.serial or "") == fold(self.serial),
            self.asset_tag is None or tag_key(device.asset_tag) == tag_key(self.asset_tag),
            self.ip is None or device.ip == (ip_key(self.ip) or self.ip.strip()),
            self.mac is None or mac_key(device.mac or "") == mac_key(self.mac),
            self.category is None or device.category == self.category,
            self.status is None or device.status == self.status,
            self.registered is None or device.registered == self.registered,
            self.text is None or fold(self.text) in _haystack(device),
        )
        return all(checks)


def _haystack(device: DeviceView) -> str:
    fields = (device.hostname, device.model, device.vendor, device.location, device.serial, device.asset_tag)
    return " | ".join(fold(f) for f in (*fields, device.unit_code) if f)


def select_devices(devices: Iterable[DeviceView], query: DeviceQuery) -> list[DeviceView]:
    return [d for d in devices if query.matches(d)]


def named_by(devices: Iterable[DeviceView], ref: str) -> list[DeviceView]:
    """The devices `ref` names: its id (a number, or #12), else its asset tag, serial, address or
    MAC, in that order (the first of these that names any device)."""
    known = list(devices)
    wanted = ref.strip().removeprefix("#")
    if wanted.isdigit():
        by_id = [d for d in known if d.id == int(wanted)]
        if by_id:
            return by_id
    for query in (
        DeviceQuery(asset_tag=wanted),
        DeviceQuery(serial=wanted),
        DeviceQuery(ip=wanted) if ip_key(wanted) else None,
        DeviceQuery(mac=wanted) if mac_key(wanted) else None,
    ):
        if query is not None and (found := select_devices(known, query)):
            return found
    return []
