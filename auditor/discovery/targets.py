"""Which addresses a scan may touch.  Pure: strings in, addresses out, or a clear refusal."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

from auditor.errors import TargetError

# A commune's LAN is a /24; a province's address plan a /16.  Past this a scan needs --yes.
DEFAULT_LIMIT = 65_536


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _networks(spec: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(spec.strip(), strict=False)
    except ValueError as exc:
        raise TargetError(f"{spec!r} is not an address or a network; expected e.g. 10.38.5.0/24 or 10.38.5.7") from exc


def _hosts(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Iterator[Address]:
    # The network and broadcast addresses of a /24 are not hosts; a /31, /32 or /128 is all hosts.
    if network.num_addresses <= 2:
        yield from network
    else:
        yield from network.hosts()


def expand(specs: Iterable[str], limit: int | None = DEFAULT_LIMIT) -> list[Address]:
    """The distinct host addresses named by `specs`, in order; refuses more than `limit` (None: no limit)."""
    networks = [_networks(spec) for spec in specs]
    if not networks:
        raise TargetError("no targets: name at least one address or network")
    total = sum(n.num_addresses for n in networks)
    if limit is not None and total > limit:
        raise TargetError(
            f"the targets hold {total:,} addresses, more than the {limit:,} a scan takes without "
            "--yes; check the prefix lengths, or pass --yes"
        )
    seen: set[Address] = set()
    found: list[Address] = []
    for network in networks:
        for address in _hosts(network):
            if address not in seen:
                seen.add(address)
                found.append(address)
    return found
