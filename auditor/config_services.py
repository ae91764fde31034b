"""The settings of the services auditor runs or talks to, read for the loader (auditor.config):
[serve], the dashboard, and [notify], the mail server; and how `config show` prints them, every
hash and password masked."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from auditor.errors import ConfigError
from auditor.settings import NotifySettings, Secret, ServeSettings


def number_setting(values: Mapping[str, Any], key: str, low: float, high: float, where: Mapping[str, str]) -> float:
    """The number `key` holds, from `low` to `high` (and not a boolean), or a ConfigError saying where."""
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{where.get(key)}: {key} is {value!r}, expected a number from {low:g} to {high:g}")
    return float(value)


def flag_setting(values: Mapping[str, Any], key: str, where: Mapping[str, str]) -> bool:
    value = values[key]
    if not isinstance(value, bool):
        raise ConfigError(f"{where.get(key)}: {key} is {value!r}, expected true or false")
    return value


def serve_settings(values: Mapping[str, Any], sources: Mapping[str, str]) -> ServeSettings:
    users = {}
    for key, value in values.items():
        if key.startswith("serve.users."):
            name = key.removeprefix("serve.users.")
            if not isinstance(value, str) or not value.startswith("scrypt:"):
                raise ConfigError(
                    f"{sources[key]}: {key} must be the hash `auditor serve --hash-password` prints, never the password"
                )
            users[name] = value
    hostnames = values["serve.hostnames"]
    if not isinstance(hostnames, list) or not all(isinstance(h, str) and h.strip() for h in hostnames):
        raise ConfigError(
            f'{sources["serve.hostnames"]}: serve.hostnames must be a list of names, e.g. ["auditor.tinhuy.vn"]'
        )
    listen = str(values["serve.listen"]).strip()
    listen = "127.0.0.1" if listen == "localhost" else listen
    try:
        ipaddress.ip_address(listen)
    except ValueError as exc:
        raise ConfigError(
            f"{sources['serve.listen']}: serve.listen is {listen!r}, expected an address such as 127.0.0.1"
        ) from exc
    reports = str(values["serve.reports_dir"]).strip()
    return ServeSettings(
        listen=listen,
        port=int(number_setting(values, "serve.port", 0, 65535, sources)),  # 0: any free port
        users=MappingProxyType(users),
        reports_dir=Path(reports).expanduser() if reports else None,
        hostnames=tuple(h.strip() for h in hostnames),
    )


def notify_settings(values: Mapping[str, Any], sources: Mapping[str, str]) -> NotifySettings:
    recipients = values["notify.recipients"]
    if isinstance(recipients, str):
        recipients = [r for r in re.split(r"[,;\s]+", recipients) if r]
    if not isinstance(recipients, list) or not all(isinstance(r, str) and "@" in r for r in recipients):
        raise ConfigError(
            f'{sources["notify.recipients"]}: notify.recipients must be a list of addresses, e.g. ["it@tinhuy.vn"]'
        )
    password = str(values.get("notify.password") or "")
    file_name = str(values["notify.password_file"]).strip()
    if not password and file_name:
        try:
            password = Path(file_name).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read notify.password_file {file_name}: {exc.strerror}") from exc
    lang = str(values["notify.lang"])
    if lang not in ("vi", "en"):
        raise ConfigError(f"{sources['notify.lang']}: notify.lang is {lang!r}, expected vi or en")
    ca_file = str(values["notify.ca_file"]).strip()
    return NotifySettings(
        smtp_host=str(values["notify.smtp_host"]).strip(),
        smtp_port=int(number_setting(values, "notify.smtp_port", 1, 65535, sources)),
        starttls=flag_setting(values, "notify.starttls", sources),
        ca_file=Path(ca_file).expanduser() if ca_file else None,
        sender=str(values["notify.sender"]).strip(),
        recipients=tuple(recipients),
        user=str(values["notify.user"]).strip(),
        password=Secret(password) if password else None,
        link_down_samples=int(number_setting(values, "notify.link_down_samples", 1, 1000, sources)),
        lang=lang,
    )


def serve_shown(serve: ServeSettings) -> dict[str, Any]:
    """[serve] as `config show` prints it: the users by name, their hashes masked."""
    reports = str(serve.reports_dir) if serve.reports_dir else ""
    users = dict.fromkeys(sorted(serve.users), "********")
    hostnames = list(serve.hostnames)
    return {"listen": serve.listen, "port": serve.port, "hostnames": hostnames, "reports_dir": reports, "users": users}


def notify_shown(notify: NotifySettings) -> dict[str, Any]:
    """[notify] as `config show` prints it: the password masked (or left out when there is none)."""
    shown: dict[str, Any] = {}
    for key, value in vars(notify).items():
        if key == "password":
            if value:
                shown[key] = "********"
        elif isinstance(value, Path):
            shown[key] = str(value)
        else:
            shown[key] = list(value) if isinstance(value, tuple) else value
    return shown
