"""Which credentials to try on a device, best first, and the names they are stored and logged by."""

from __future__ import annotations

from auditor.domain import SnmpVersion
from auditor.facts import PollTarget
from auditor.settings import PollOptions, Secret, SnmpV3Profile
from auditor.snmp.client import SnmpTarget


def community_name(position: int) -> str:
    """The name a configured community is stored and logged by: its place in snmp.communities
    ("community:2"), nothing derived from the secret (a short unsalted hash of one was reversed
    by a small dictionary in a millisecond)."""
    return f"community:{position}"


def candidates(address: str, options: PollOptions, known: PollTarget | None = None) -> list[tuple[str, SnmpTarget]]:
    """The credentials to try on an address, best first: the device's own, then the one that answered
    last time, then the config's communities and SNMPv3 profiles in order."""
    port = (known.snmp_port if known and known.snmp_port else None) or options.port

    def target(version: SnmpVersion, community: Secret | None = None, v3: SnmpV3Profile | None = None) -> SnmpTarget:
        return SnmpTarget(address, port, version, community, v3, options.timeout_s, options.retries)

    found: list[tuple[str, SnmpTarget]] = []
    if known and known.snmp_community:
        version = known.snmp_version if known.snmp_version in (SnmpVersion.V1, SnmpVersion.V2C) else SnmpVersion.V2C
        found.append(("register", target(version, community=Secret(known.snmp_community))))
    version = SnmpVersion.V1 if known and known.snmp_version is SnmpVersion.V1 else SnmpVersion.V2C
    found += [(community_name(i), target(version, community=c)) for i, c in enumerate(options.communities, 1)]
    found += [(f"v3:{p.name}", target(SnmpVersion.V3, v3=p)) for p in options.v3]
    if known and known.snmp_profile:
        found = [c for c in found if c[0] == f"v3:{known.snmp_profile}"] or found
    if known and known.snmp_credential:
        found.sort(key=lambda c: c[0] != known.snmp_credential)  # stable: the rest keep their order
    return found
