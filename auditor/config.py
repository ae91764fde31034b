"""One frozen Settings, resolved once: flag > AUDITOR_* environment > auditor.toml > built-in default.

The built-in defaults live in `auditor/data/defaults.toml` and `auditor/data/catalog.toml`; a
user's `auditor.toml` overrides any key of either (the catalog under `[catalog]`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from auditor.config_services import flag_setting as _flag
from auditor.config_services import notify_settings, notify_shown, serve_settings, serve_shown
from auditor.config_services import number_setting as _num
from auditor.domain import Category, SnmpVersion
from auditor.errors import BadValue, ConfigError
from auditor.register.values import subnet_of
from auditor.settings import (
    AgentSettings,
    AgeSettings,
    Catalog,
    DocumentSettings,
    KitItem,
    LinkPrice,
    LinkSettings,
    NetbiosSettings,
    Norm,
    Price,
    RetentionSettings,
    RuleSettings,
    Secret,
    Settings,
    SnmpSettings,
    SnmpV3Profile,
    mask_url,
)

__all__ = [  # the loader, and the settings' types it fills (see auditor.settings)
    "AgeSettings",
    "AgentSettings",
    "Catalog",
    "DocumentSettings",
    "KitItem",
    "LinkPrice",
    "LinkSettings",
    "Norm",
    "Price",
    "RetentionSettings",
    "RuleSettings",
    "Secret",
    "Settings",
    "SnmpSettings",
    "SnmpV3Profile",
    "check_agent_name",
    "describe",
    "load_settings",
    "mask_url",
]

DEFAULT_CONFIG_NAME = "auditor.toml"

# Environment variables and the setting each one sets.
ENV_VARS: dict[str, str] = {
    "AUDITOR_DB": "database.url",
    "AUDITOR_PROVINCE": "province",
    "AUDITOR_AGE_YEARS": "age.threshold_years",
    "AUDITOR_SNMP_COMMUNITIES": "snmp.communities",
    "AUDITOR_SNMP_COMMUNITIES_FILE": "snmp.communities_file",
    "AUDITOR_SNMP_TIMEOUT": "snmp.timeout_s",
    "AUDITOR_SNMP_RETRIES": "snmp.retries",
    "AUDITOR_TIMEZONE": "timezone",
    "AUDITOR_SMTP_PASSWORD": "notify.password",
}


def _builtin(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("auditor.data").joinpath(name).read_text(encoding="utf-8"))


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        # Tables of free-form keys are settings as a whole, not trees of settings.
        if isinstance(value, dict) and path not in ("age.per_category",) and not path.startswith("catalog."):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _catalog_flat(tree: Mapping[str, Any]) -> dict[str, Any]:
    return {
        f"catalog.{section}.{key}": value
        for section in ("prices", "norms", "minimum_kit", "link_prices")
        for key, value in tree.get(section, {}).items()
    }


def _read_user_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}; see the Configuration section of the README") from exc


def _env_value(path: str, text: str) -> Any:
    if path == "snmp.communities":
        return [part.strip() for part in text.split(",") if part.strip()]
    if path in ("age.threshold_years", "snmp.timeout_s"):
        try:
            return float(text)
        except ValueError as exc:
            raise ConfigError(f"{_env_name(path)} is {text!r}, expected a number") from exc
    if path == "snmp.retries":
        if not text.strip().isdigit():
            raise ConfigError(f"{_env_name(path)} is {text!r}, expected a whole number")
        return int(text)
    return text


def _env_name(path: str) -> str:
    return next(name for name, target in ENV_VARS.items() if target == path)


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    *,
    db_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve the settings once.  `config_file` None means AUDITOR_CONFIG, else ./auditor.toml if present."""
    env = os.environ if environ is None else environ
    defaults = _flatten(_builtin("defaults.toml")) | _catalog_flat(_builtin("catalog.toml"))
    values = dict(defaults)
    sources = dict.fromkeys(values, "default")

    chosen = config_file or env.get("AUDITOR_CONFIG")
    candidate = Path(chosen) if chosen else (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME
    path = candidate if chosen or candidate.exists() else None
    if path is not None:
        user = _read_user_file(path)
        catalog = user.pop("catalog", {})
        if not isinstance(catalog, dict):
            raise ConfigError(f"{path}: [catalog] must be a table")
        for key, value in (_flatten(user) | _catalog_flat(catalog)).items():
            if key not in defaults and not key.startswith(("catalog.", "snmp.v3", "serve.users.")):
                raise ConfigError(f"{path}: unknown setting {key!r}; `auditor config show` lists the settings")
            values[key], sources[key] = value, str(path)

    for name, key in ENV_VARS.items():
        if env.get(name):
            values[key], sources[key] = _env_value(key, env[name]), name
    if db_url:
        values["database.url"], sources["database.url"] = db_url, "--db"
    return _build(values, sources, path)


def _subnets(values: Mapping[str, Any], key: str, where: Mapping[str, str]) -> tuple[str, ...]:
    listed = values[key]
    if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
        raise ConfigError(f'{where.get(key)}: {key} must be a list of address ranges such as "10.38.1.0/24"')
    found = []
    for text in listed:
        try:
            found.append(str(subnet_of(text)))
        except BadValue as exc:
            raise ConfigError(f"{where.get(key)}: {key}: {text!r}, expected {exc.expected}") from exc
    return tuple(found)


def _category(name: str, where: str) -> Category:
    try:
        return Category(name)
    except ValueError as exc:
        raise ConfigError(f"{where}: {name!r} is not a category; use one of {', '.join(Category)}") from exc


def _communities(values: Mapping[str, Any], sources: Mapping[str, str]) -> tuple[Secret, ...]:
    listed = values["snmp.communities"]
    if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
        raise ConfigError(f"{sources['snmp.communities']}: snmp.communities must be a list of strings")
    found = [Secret(c) for c in listed]
    file_name = values["snmp.communities_file"]
    if file_name:
        try:
            lines = Path(file_name).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read snmp.communities_file {file_name}: {exc.strerror}") from exc
        found += [Secret(line.strip()) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return tuple(found)


def _v3_profiles(raw: Any, where: str) -> tuple[SnmpV3Profile, ...]:
    if not raw:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: [[snmp.v3]] must be a list of tables")
    profiles = []
    for entry in raw:
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("user"):
            raise ConfigError(f"{where}: each [[snmp.v3]] profile needs a name and a user")
        unknown = set(entry) - {"name", "user", "auth_protocol", "auth_key", "priv_protocol", "priv_key", "context"}
        if unknown:
            raise ConfigError(f"{where}: [[snmp.v3]] {entry['name']!r} has unknown keys {sorted(unknown)}")
        profiles.append(
            SnmpV3Profile(
                name=entry["name"],
                user=entry["user"],
                auth_protocol=entry.get("auth_protocol"),
                auth_key=Secret(entry["auth_key"]) if entry.get("auth_key") else None,
                priv_protocol=entry.get("priv_protocol"),
                priv_key=Secret(entry["priv_key"]) if entry.get("priv_key") else None,
                context=str(entry.get("context", "")),
            )
        )
    return tuple(profiles)


def _checked(entry: Mapping[str, Any], where: str, name: str) -> bool:
    """Whether the figure is checked: as it says, or, if it does not say, whether it names its source."""
    value = entry.get("checked", "source" in entry)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {name}.checked must be true or false")
    return value


def _price(name: str, value: Any, where: str) -> Price:
    entry = value if isinstance(value, dict) else {"vnd": value, "source": "auditor.toml"}
    if not isinstance(entry.get("vnd"), int) or entry["vnd"] < 0:
        raise ConfigError(f"{where}: catalog.prices.{name} needs vnd = a whole number of đồng")
    checked = _checked(entry, where, f"catalog.prices.{name}")
    return Price(entry["vnd"], str(entry.get("source", where)), str(entry.get("spec", "")), checked)


def _norm(name: str, value: Any, where: str) -> Norm:
    if not isinstance(value, dict) or not isinstance(value.get("staff_per_item"), int) or value["staff_per_item"] < 1:
        raise ConfigError(f"{where}: catalog.norms.{name} needs staff_per_item = a whole number ≥ 1")
    categories = tuple(_category(c, where) for c in value.get("categories", [name]))
    checked = _checked(value, where, f"catalog.norms.{name}")
    return Norm(value["staff_per_item"], categories, str(value.get("source", where)), checked)


def _kit(name: str, value: Any, where: str) -> KitItem:
    if not isinstance(value, dict) or value.get("when", "always") not in ("always", "link_terminal"):
        raise ConfigError(
            f'{where}: catalog.minimum_kit.{name} needs category, when = "always" or '
            '"link_terminal", unit_kinds and source'
        )
    return KitItem(
        _category(str(value.get("category", name)), where),
        value.get("when", "always"),
        tuple(value.get("unit_kinds", ())),
        str(value.get("source", where)),
        _checked(value, where, f"catalog.minimum_kit.{name}"),
    )


def _link_price(name: str, value: Any, where: str) -> LinkPrice:
    if (
        not isinstance(value, dict)
        or isinstance(value.get("mbps"), bool)
        or not isinstance(value.get("mbps"), (int, float))
        or value["mbps"] <= 0
        or not isinstance(value.get("vnd_per_month"), int)
        or value["vnd_per_month"] < 0
    ):
        raise ConfigError(
            f'{where}: catalog.link_prices.{name} needs provider = "VNPT" (or "*"), mbps = the tier and '
            "vnd_per_month = a whole number of đồng"
        )
    return LinkPrice(
        str(value.get("provider", "*")).strip() or "*",
        float(value["mbps"]),
        value["vnd_per_month"],
        str(value.get("source", where)),
        _checked(value, where, f"catalog.link_prices.{name}"),
    )


def _catalog(values: Mapping[str, Any], sources: Mapping[str, str], months: int) -> Catalog:
    prices: dict[Category, Price] = {}
    norms: dict[str, Norm] = {}
    kit: dict[str, KitItem] = {}
    link_prices: list[LinkPrice] = []
    for key, value in values.items():
        where = sources[key]
        section, _, name = key.removeprefix("catalog.").partition(".")
        if not key.startswith("catalog.") or not name:
            continue
        if section == "prices":
            prices[_category(name, where)] = _price(name, value, where)
        elif section == "norms":
            norms[name] = _norm(name, value, where)
        elif section == "minimum_kit":
            kit[name] = _kit(name, value, where)
        elif section == "link_prices":
            link_prices.append(_link_price(name, value, where))
    return Catalog(MappingProxyType(prices), MappingProxyType(norms), MappingProxyType(kit), tuple(link_prices), months)


def _document(values: Mapping[str, Any], sources: Mapping[str, str]) -> DocumentSettings:
    lines: dict[str, tuple[str, ...]] = {}
    for key in ("issuer", "recipients"):
        value = values[f"document.{key}"]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f'{sources[f"document.{key}"]}: document.{key} must be a list of lines, e.g. ["A", "B"]')
        lines[key] = tuple(v.strip() for v in value if v.strip())
    if not lines["issuer"]:
        raise ConfigError(f"{sources['document.issuer']}: document.issuer needs at least the issuing body's name")
    texts = {
        key: str(values[f"document.{key}"]).strip()
        for key in (
            "place",
            "number",
            "inventory_number",
            "preparer_title",
            "preparer_name",
            "signer_for",
            "signer_title",
            "signer_name",
            "font",
        )
    }
    return DocumentSettings(issuer=lines["issuer"], recipients=lines["recipients"], **texts)


def _hours(text: str, where: str) -> tuple[dt.time, dt.time] | None:
    if not text.strip():
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    try:
        if match:
            start, end = dt.time(int(match[1]), int(match[2])), dt.time(int(match[3]), int(match[4]))
            if start < end:
                return start, end
    except ValueError:
        pass
    raise ConfigError(f'{where}: links.business_hours is {text!r}, expected e.g. "07:30-17:00" or ""')


def _timezone(name: str, where: str, key: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: {key} {name!r} is not a time zone; e.g. Asia/Ho_Chi_Minh") from exc
    return name


def _build(values: dict[str, Any], sources: dict[str, str], path: Path | None) -> Settings:
    version = SnmpVersion(str(values["snmp.version"])) if str(values["snmp.version"]) in {"1", "2c", "3"} else None
    if version is None:
        raise ConfigError(f"{sources['snmp.version']}: snmp.version is {values['snmp.version']!r}, expected 1, 2c or 3")
    per_category = values["age.per_category"]
    if not isinstance(per_category, dict):
        raise ConfigError(f"{sources['age.per_category']}: [age.per_category] must be a table")
    tiers = values["links.tiers_mbps"]
    if not isinstance(tiers, list) or not tiers or not all(isinstance(t, (int, float)) and t > 0 for t in tiers):
        raise ConfigError(f"{sources['links.tiers_mbps']}: links.tiers_mbps must be a list of positive numbers")
    return Settings(
        db_url=str(values["database.url"]),
        province=str(values["province"]),
        age=AgeSettings(
            threshold_years=_num(values, "age.threshold_years", 0, 100, sources),
            per_category=MappingProxyType(
                {
                    _category(k, sources["age.per_category"]): _num(
                        {"x": v}, "x", 0, 100, {"x": sources["age.per_category"]}
                    )
                    for k, v in per_category.items()
                }
            ),
        ),
        snmp=SnmpSettings(
            version=version,
            port=int(_num(values, "snmp.port", 1, 65535, sources)),
            timeout_s=_num(values, "snmp.timeout_s", 0.05, 60, sources),
            retries=int(_num(values, "snmp.retries", 0, 10, sources)),
            communities=_communities(values, sources),
            v3=_v3_profiles(values.get("snmp.v3"), sources.get("snmp.v3", "")),
            tables=_flag(values, "snmp.tables", sources),
        ),
        links=_links(values, sources, tiers),
        catalog=_catalog(values, sources, int(_num(values, "links.upgrade_months", 1, 120, sources))),
        rules=RuleSettings(
            unreachable_polls=int(_num(values, "rules.unreachable_polls", 1, 10_000, sources)),
            reboots_per_week=int(_num(values, "rules.reboots_per_week", 1, 10_000, sources)),
            missing_days=int(_num(values, "rules.missing_days", 1, 3650, sources)),
        ),
        netbios=NetbiosSettings(
            enabled=_flag(values, "netbios.enabled", sources),
            subnets=_subnets(values, "netbios.subnets", sources),
            timeout_s=_num(values, "netbios.timeout_s", 0.05, 30, sources),
        ),
        serve=serve_settings(values, sources),
        notify=notify_settings(values, sources),
        agent=AgentSettings(
            name=check_agent_name(str(values["agent.name"]), sources["agent.name"]),
            poll_every_s=_num(values, "agent.poll_every_s", 10, 86400 * 7, sources),
            lease_s=_num(values, "agent.lease_s", 1, 3600, sources),
            batch=int(_num(values, "agent.batch", 1, 1_000_000, sources)),
        ),
        retention=_retention(values, sources),
        document=_document(values, sources),
        timezone=_timezone(str(values["timezone"]), sources["timezone"], "timezone"),
        config_file=path,
        sources=MappingProxyType(sources),
    )


def _links(values: Mapping[str, Any], sources: Mapping[str, str], tiers: list[float]) -> LinkSettings:
    # business hours are local: the province's time zone, unless the links have their own
    zone = "links.timezone" if values["links.timezone"] else "timezone"
    return LinkSettings(
        interval_s=int(_num(values, "links.interval_s", 10, 86400, sources)),
        window_days=_num(values, "links.window_days", 0.0001, 366, sources),
        percentile=_num(values, "links.percentile", 1, 100, sources),
        congested_pct=_num(values, "links.congested_pct", 1, 1000, sources),
        warning_pct=_num(values, "links.warning_pct", 1, 1000, sources),
        target_pct=_num(values, "links.target_pct", 1, 1000, sources),
        min_coverage_pct=_num(values, "links.min_coverage_pct", 0, 100, sources),
        tiers_mbps=tuple(sorted(float(t) for t in tiers)),
        loss_warning_pct=_num(values, "links.loss_warning_pct", 0, 100, sources),
        rtt_warning_ms=_num(values, "links.rtt_warning_ms", 0, 60_000, sources),
        business_hours=_hours(str(values["links.business_hours"]), sources["links.business_hours"]),
        timezone=_timezone(str(values[zone]), sources[zone], zone),
    )


def _retention(values: Mapping[str, Any], sources: Mapping[str, str]) -> RetentionSettings:
    raw = _num(values, "retention.link_samples_raw_days", 0, 36_500, sources)
    window = _num(values, "links.window_days", 0.0001, 366, sources)
    if 0 < raw <= window:
        raise ConfigError(
            f"{sources['retention.link_samples_raw_days']}: retention.link_samples_raw_days is {raw:g}, but the "
            f"congestion test judges the last {window:g} days of 5-minute samples; keep them longer than that"
        )
    polls = _num(values, "retention.device_polls_days", 0, 36_500, sources)
    if 0 < polls < 8:
        raise ConfigError(
            f"{sources['retention.device_polls_days']}: retention.device_polls_days is {polls:g}; the reboot rule "
            "counts restarts over 7 days: keep at least 8"
        )
    endpoints = _num(values, "retention.endpoints_days", 0, 36_500, sources)
    return RetentionSettings(link_samples_raw_days=raw, device_polls_days=polls, endpoints_days=endpoints)


def check_agent_name(name: str, source: str) -> str:
    if len(name) > 64 or not re.fullmatch(r"[\w.:@/-]*", name):
        raise ConfigError(f"{source}: agent.name is {name!r}; use up to 64 letters, digits and . : @ / - _")
    return name


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) and value and isinstance(value[0], dt.time):
        return "-".join(t.strftime("%H:%M") for t in value)
    if isinstance(value, tuple):
        return list(value)
    return "" if value is None else value


def describe(settings: Settings) -> dict[str, Any]:
    """The settings in force as plain data, secrets masked: what `auditor config show` prints."""
    snmp = settings.snmp
    return {
        "province": settings.province,
        "database": {"url": mask_url(settings.db_url)},
        "age": {
            "threshold_years": settings.age.threshold_years,
            "per_category": {str(k): v for k, v in settings.age.per_category.items()},
        },
        "snmp": {
            "version": str(snmp.version),
            "port": snmp.port,
            "timeout_s": snmp.timeout_s,
            "retries": snmp.retries,
            "tables": snmp.tables,
            "communities": [str(c) for c in snmp.communities],
            "v3": [
                {
                    "name": p.name,
                    "user": p.user,
                    "auth_protocol": p.auth_protocol,
                    "auth_key": str(p.auth_key) if p.auth_key else None,
                    "priv_protocol": p.priv_protocol,
                    "priv_key": str(p.priv_key) if p.priv_key else None,
                }
                for p in snmp.v3
            ],
        },
        "links": {k: _plain(v) for k, v in vars(settings.links).items()},
        "rules": dict(vars(settings.rules)),
        "netbios": {
            "enabled": settings.netbios.enabled,
            "subnets": list(settings.netbios.subnets),
            "timeout_s": settings.netbios.timeout_s,
        },
        "serve": serve_shown(settings.serve),
        "notify": notify_shown(settings.notify),
        "agent": dict(vars(settings.agent)),
        "retention": dict(vars(settings.retention)),
        "catalog": {
            "prices": {str(k): {"vnd": p.vnd, "source": p.source} for k, p in settings.catalog.prices.items()},
            "minimum_kit": {
                k: {"category": str(i.category), "when": i.when, "unit_kinds": list(i.unit_kinds), "source": i.source}
                for k, i in settings.catalog.minimum_kit.items()
            },
            "norms": {
                k: {
                    "staff_per_item": n.staff_per_item,
                    "categories": [str(c) for c in n.categories],
                    "source": n.source,
                }
                for k, n in settings.catalog.norms.items()
            },
        },
        "config_file": str(settings.config_file) if settings.config_file else None,
    }
