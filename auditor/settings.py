"""The settings' types: frozen, typed, and pure, so that rules, links and planners may take them.

`auditor.config` is the loader that fills them (flag > AUDITOR_* environment > auditor.toml >
built-in default); nothing here reads a file or the environment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from auditor.domain import Category, SnmpVersion


class Secret:
    """A string that never shows itself: repr, str and f-strings print a mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class SnmpV3Profile:
    name: str
    user: str
    auth_protocol: str | None = None
    auth_key: Secret | None = None
    priv_protocol: str | None = None
    priv_key: Secret | None = None
    context: str = ""  # SNMPv3 context name; most devices want the empty one


@dataclass(frozen=True)
class SnmpSettings:
    version: SnmpVersion = SnmpVersion.V2C
    port: int = 161
    timeout_s: float = 2.0
    retries: int = 1
    communities: tuple[Secret, ...] = ()
    v3: tuple[SnmpV3Profile, ...] = ()
    tables: bool = True  # read routers' and switches' ARP, forwarding and neighbour tables


@dataclass(frozen=True)
class AgeSettings:
    threshold_years: float = 10
    per_category: Mapping[Category, float] = field(default_factory=lambda: MappingProxyType({}))

    def threshold(self, category: Category | None) -> float:
        if category is not None and category in self.per_category:
            return self.per_category[category]
        return self.threshold_years


@dataclass(frozen=True)
class LinkSettings:
    interval_s: int = 300
    window_days: float = 7  # fractions allowed: a test or a lab may judge an hour
    percentile: float = 95
    congested_pct: float = 90
    warning_pct: float = 80
    target_pct: float = 70
    min_coverage_pct: float = 80
    tiers_mbps: tuple[float, ...] = (20, 30, 50, 100, 200, 300, 500, 1000)
    loss_warning_pct: float = 2
    rtt_warning_ms: float = 100
    business_hours: tuple[dt.time, dt.time] | None = None
    timezone: str = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class RetentionSettings:
    link_samples_raw_days: float = 30  # then rolled up into hours; 0 keeps them all
    device_polls_days: float = 14  # then deleted; 0 keeps them all
    endpoints_days: float = 90  # endpoints and sightings not seen for this long are deleted; 0 keeps them


@dataclass(frozen=True)
class AgentSettings:
    name: str = ""  # "" means the host's name
    poll_every_s: float = 900
    lease_s: float = 60  # a dead agent's work is taken over this long after its last heartbeat
    batch: int = 2000  # devices or links claimed at a time


@dataclass(frozen=True)
class NetbiosSettings:
    """NetBIOS node status (UDP 137) to the addresses the routers' ARP tables show: only those inside
    the unit's subnets (the register's `subnets` column) or these `subnets`; none by default."""

    enabled: bool = True
    subnets: tuple[str, ...] = ()
    timeout_s: float = 1.0


@dataclass(frozen=True)
class ServeSettings:
    """`auditor serve`: where it listens, who may log in (name → scrypt hash), where the audit's
    workbooks are."""

    listen: str = "127.0.0.1"
    port: int = 8080
    users: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    reports_dir: Path | None = None
    hostnames: tuple[str, ...] = ()  # names it is reached by, beside its address (a reverse proxy's)

    def __repr__(self) -> str:  # the hashes stay out of logs and tracebacks
        return f"ServeSettings(listen={self.listen!r}, port={self.port}, users={sorted(self.users)}, ...)"


@dataclass(frozen=True)
class NotifySettings:
    """`audit --notify` and `agent --notify`: one e-mail per event worth a person's attention,
    through this SMTP server (nothing is sent while `smtp_host` or `recipients` is empty)."""

    smtp_host: str = ""
    smtp_port: int = 587
    starttls: bool = True
    ca_file: Path | None = None  # a private CA to trust for STARTTLS, beside the system's
    sender: str = ""
    recipients: tuple[str, ...] = ()
    user: str = ""  # the SMTP login; "" logs in as `sender` when a password is given
    password: Secret | None = None  # from password_file or AUDITOR_SMTP_PASSWORD, never the file itself
    link_down_samples: int = 3  # a link is down when its far end was silent this many samples running
    lang: str = "vi"

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host and self.recipients and self.sender)


@dataclass(frozen=True)
class RuleSettings:
    unreachable_polls: int = 3
    reboots_per_week: int = 3
    missing_days: int = 30


@dataclass(frozen=True)
class Price:
    vnd: int
    source: str
    spec: str = ""  # the minimum specification the signed list asks for
    checked: bool = True  # False: taken from a secondary copy, to check against the official text


@dataclass(frozen=True)
class Norm:
    staff_per_item: int
    categories: tuple[Category, ...]
    source: str
    checked: bool = True


@dataclass(frozen=True)
class KitItem:
    category: Category
    when: str  # "always" or "link_terminal"
    unit_kinds: tuple[str, ...]  # empty: every kind
    source: str
    checked: bool = True


@dataclass(frozen=True)
class LinkPrice:
    """A provider's monthly price for a bandwidth tier of the dedicated data network."""

    provider: str  # "*": any provider
    mbps: float
    vnd_per_month: int
    source: str
    checked: bool = True


@dataclass(frozen=True)
class Catalog:
    prices: Mapping[Category, Price]
    norms: Mapping[str, Norm]
    minimum_kit: Mapping[str, KitItem] = field(default_factory=lambda: MappingProxyType({}))
    link_prices: tuple[LinkPrice, ...] = ()
    link_months: int = 12  # a link upgrade is priced for this many months

    def link_price(self, provider: str | None, mbps: float) -> LinkPrice | None:
        """The tier's price from this provider, else from any provider ("*"); None: to be quoted."""
        wanted = (provider or "").strip().casefold()
        matches = [p for p in self.link_prices if p.mbps == mbps and p.provider.casefold() in (wanted, "*")]
        return min(matches, key=lambda p: p.provider == "*", default=None)


@dataclass(frozen=True)
class DocumentSettings:
    """The heading and signatures of the documents the Office signs (Party document layout)."""

    issuer: tuple[str, ...] = ("ĐẢNG BỘ TỈNH NGHỆ AN", "VĂN PHÒNG TỈNH ỦY")  # top left; the last line bold
    place: str = "Nghệ An"  # of the place-and-date line
    number: str = "Số:      -DM/VPTU"  # the list's
    inventory_number: str = "Số:      -BB/VPTU"  # an inventory record's (biên bản)
    preparer_title: str = ""  # "": the language's own ("NGƯỜI LẬP BIỂU")
    preparer_name: str = ""
    signer_for: str = ""  # above the signer's title, e.g. "T/L BAN THƯỜNG VỤ"
    signer_title: str = ""  # "": the language's own ("CHÁNH VĂN PHÒNG")
    signer_name: str = ""
    font: str = "Times New Roman"
    recipients: tuple[str, ...] = ()  # "Nơi nhận:" lines, bottom left


@dataclass(frozen=True)
class Settings:
    db_url: str
    province: str
    age: AgeSettings
    snmp: SnmpSettings
    links: LinkSettings
    catalog: Catalog
    rules: RuleSettings = field(default_factory=RuleSettings)
    netbios: NetbiosSettings = field(default_factory=NetbiosSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    document: DocumentSettings = field(default_factory=DocumentSettings)
    timezone: str = "Asia/Ho_Chi_Minh"  # every date and time a person reads; storage stays UTC
    config_file: Path | None = None
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # key → where set


_QUERY_SECRET = re.compile(r"(?i)(\b(?:ssl)?pass(?:word|wd)?=)[^&\s'\"]*")


def mask_url(url: str) -> str:
    """A database URL (or a message quoting one) fit to print: the password, in the user part or
    in the query (`?password=…`), replaced by asterisks."""
    return _QUERY_SECRET.sub(r"\1********", re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1********@", url))


def url_has_password(url: str) -> bool:
    """Whether a database URL carries a password (which `ps` shows when it is given as --db)."""
    return mask_url(url) != url


@dataclass(frozen=True)
class PollOptions:
    """Per-run SNMP and ICMP settings: the config's, overridden by command-line flags."""

    communities: tuple[Secret, ...] = ()
    v3: tuple[SnmpV3Profile, ...] = ()
    port: int = 161
    timeout_s: float = 2.0
    retries: int = 1
    concurrency: int = 200
    icmp_timeout_s: float = 1.0
    icmp_attempts: int = 2
    workers: int | None = None  # processes for a large run; None: one per core (at most 4)
    tables: bool = True  # read the ARP, forwarding and LLDP/CDP tables of network devices

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> PollOptions:
        """The config's SNMP settings, with the overrides that are not None."""
        snmp = settings.snmp
        options = cls(
            communities=snmp.communities,
            v3=snmp.v3,
            port=snmp.port,
            timeout_s=snmp.timeout_s,
            retries=snmp.retries,
            tables=snmp.tables,
        )
        return replace(options, **{k: v for k, v in overrides.items() if v is not None})
