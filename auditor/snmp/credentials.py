"""Which credentials to try on a device, best first, and the names they are stored and logged by."""

from __future__ import annotations

import hashlib

from auditor.domain import SnmpVersion
from auditor.facts import PollTarget
from auditor.settings import PollOptions, Secret, SnmpV3Profile
from auditor.snmp.client import SnmpTarget


def fingerprint(community: Secret) -> str:
    """A name for a community that can be stored and logged: it cannot be turned back into the secret."""
    return "community#" + hashlib.sha256(community.reveal().encode()).hexdigest()[:8]


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
    found += [(fingerprint(c), target(version, community=c)) for c in options.communities]
    found += [(f"v3:{p.name}", target(SnmpVersion.V3, v3=p)) for p in options.v3]
    if known and known.snmp_profile:
        found = [c for c in found if c[0] == f"v3:{known.snmp_profile}"] or found
    if known and known.snmp_credential:
        found.sort(key=lambda c: c[0] != known.snmp_credential)  # stable: the rest keep their order
    return found
