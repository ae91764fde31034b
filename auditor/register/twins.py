"""Rows of one sheet that claim the same identity: the same asset tag, the same serial of a vendor,
the same unit code or link name, or one address in a unit under two names or serials.

Every row is looked at, a row rejected for another reason too: its twin must not slip through
and surface only on the next import.  Which of the two rows is right is for a person to say,
so both are rejected, each naming the other.  Pure: cells in, reasons out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from auditor.domain import fold, serial_key, tag_key, vendor_key
from auditor.facts import Said, Where, said
from auditor.i18n import N_
from auditor.register.columns import SheetKind
from auditor.register.values import Cell, cell_text

WHAT = {
    "unit_code": N_("unit code"),
    "asset_tag": N_("asset tag"),
    "serial": N_("serial"),
    "name": N_("link name"),
}


@dataclass(frozen=True)
class Claim:
    """One identity a row claims: which field, the key two rows share, the text as written."""

    key: str  # the canonical column it comes from
    value: str  # what makes two the same (folded, with its unit or vendor)
    shown: str


@dataclass(frozen=True)
class Identity:
    where: Where
    claims: tuple[Claim, ...]
    address: tuple[str, str] | None  # (unit, ip) of a device row
    host: str  # folded hostname, "" if none
    serial: str  # folded serial, "" if none
    shown_host: str


def _text(cells: Mapping[str, Cell], key: str) -> str:
    return cell_text(cells.get(key))


def identity_of(kind: SheetKind, where: Where, cells: Mapping[str, Cell]) -> Identity:
    """What a row says it is, read from its cells as written (whether or not the row parsed)."""
    unit = fold(_text(cells, "unit_code")) or "name:" + fold(_text(cells, "unit_name"))
    claims: list[Claim] = []
    if kind is SheetKind.UNITS and fold(_text(cells, "unit_code")):
        claims.append(Claim("unit_code", fold(_text(cells, "unit_code")), _text(cells, "unit_code")))
    elif kind is SheetKind.LINKS and fold(_text(cells, "name")):
        claims.append(Claim("name", f"{unit}/{fold(_text(cells, 'name'))}", _text(cells, "name")))
    if kind is not SheetKind.DEVICES:
        return Identity(where, tuple(claims), None, "", "", "")
    tag = tag_key(_text(cells, "asset_tag"))
    if tag:
        claims.append(Claim("asset_tag", tag, _text(cells, "asset_tag")))
    serial = serial_key(None, _text(cells, "serial"))
    if serial:
        claims.append(Claim("serial", serial, _text(cells, "serial")))
    ip = _text(cells, "ip")
    return Identity(
        where,
        tuple(claims),
        (unit, ip) if ip else None,
        fold(_text(cells, "hostname")),
        fold(_text(cells, "serial")),
        _text(cells, "hostname"),
    )


def _rows(wheres: Iterable[Where]) -> str:
    return ", ".join(str(w.row) for w in wheres)


def _vendors_agree(a: str, b: str) -> bool:
    return not a or not b or a == b


def twins(identities: Sequence[Identity], vendors: Mapping[Where, str]) -> dict[Where, list[tuple[Said, str]]]:
    """For each row that has a twin: the reasons, and the key of the column at fault.  `vendors`
    holds each row's vendor as written: a serial is unique within its vendor."""
    found: dict[Where, list[tuple[Said, str]]] = defaultdict(list)
    by_claim: dict[tuple[str, str], list[tuple[Identity, Claim]]] = defaultdict(list)
    for identity in identities:
        for claim in identity.claims:
            by_claim[(claim.key, claim.value)].append((identity, claim))
    for (key, _), holders in by_claim.items():
        for identity, claim in holders:
            others = [
                other.where
                for other, _ in holders
                if other.where != identity.where
                and (
                    key != "serial"
                    or _vendors_agree(vendor_key(vendors.get(identity.where)), vendor_key(vendors.get(other.where)))
                )
            ]
            if others:
                reason = said(
                    N_('{what} "{shown}" is also on row {rows}; it may appear once: correct or delete one of the rows'),
                    what=said(WHAT[key]),
                    shown=claim.shown,
                    rows=_rows(others),
                )
                found[identity.where].append((reason, key))
    _shared_addresses(identities, found)
    return found


def _shared_addresses(identities: Sequence[Identity], found: dict[Where, list[tuple[Said, str]]]) -> None:
    """Two rows of one unit on one address that name two devices (other hostnames or serials)."""
    by_address: dict[tuple[str, str], list[Identity]] = defaultdict(list)
    for identity in identities:
        if identity.address is not None:
            by_address[identity.address].append(identity)
    for (_, ip), rows in by_address.items():
        for identity in rows:
            others = [
                o
                for o in rows
                if o.where != identity.where
                and (
                    (o.host and identity.host and o.host != identity.host)
                    or (o.serial and identity.serial and o.serial != identity.serial)
                )
            ]
            if others:
                reason = said(
                    N_(
                        "address {ip} is also on row {rows}, under another name or serial ({other}); one address "
                        "in a unit is one device: correct the address of one of the rows"
                    ),
                    ip=ip,
                    rows=_rows(o.where for o in others),
                    other=others[0].shown_host or others[0].serial,
                )
                found[identity.where].append((reason, "ip"))
