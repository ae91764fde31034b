"""`auditor devices list|show|register|assign|retire|restore`: the register without a spreadsheet."""

from __future__ import annotations

import json
import zoneinfo
from dataclasses import asdict
from typing import Any

import click

from auditor.cli.common import AuditorGroup, common_options, echo, format_option, listing, now, opened, today
from auditor.domain import Category, DeviceStatus, parse_category
from auditor.output import plain, render_table
from auditor.settings import Settings

DEVICE_COLUMNS = [
    ("id", "ID"),
    ("unit_code", "UNIT"),
    ("hostname", "HOSTNAME"),
    ("ip", "IP"),
    ("category", "CATEGORY"),
    ("vendor", "VENDOR"),
    ("model", "MODEL"),
    ("serial", "SERIAL"),
    ("asset_tag", "ASSET TAG"),
    ("age_years", "AGE"),
    ("age_source", "AGE FROM"),
    ("registered", "REGISTERED"),
    ("status", "STATUS"),
    ("reachable", "UP"),
    ("seen_via", "SEEN VIA"),
]
POLL_COLUMNS = [
    ("polled_at", "POLLED"),
    ("reachable", "UP"),
    ("rtt_ms", "RTT ms"),
    ("snmp_ok", "SNMP"),
    ("uptime_s", "UPTIME s"),
    ("rebooted", "REBOOTED"),
    ("seen_via", "SEEN VIA"),
    ("error", "ERROR"),
]
NEIGHBOUR_COLUMNS = [
    ("local_port", "PORT"),
    ("protocol", "BY"),
    ("remote_name", "NEIGHBOUR"),
    ("remote_port", "ITS PORT"),
    ("remote_address", "ADDRESS"),
    ("remote_device_id", "DEVICE"),
    ("reported_by", "REPORTED BY"),
    ("last_seen", "LAST"),
]
SEEN_COLUMNS = [
    ("source", "SOURCE"),
    ("mac", "MAC"),
    ("ip", "IP"),
    ("seen_on", "SEEN ON"),
    ("port", "PORT"),
    ("vlan", "VLAN"),
    ("first_seen", "FIRST"),
    ("last_seen", "LAST"),
]
FINDING_COLUMNS = [
    ("kind", "FINDING"),
    ("severity", "SEVERITY"),
    ("first_detected", "FIRST"),
    ("last_detected", "LAST"),
    ("resolved_at", "RESOLVED"),
]
HISTORY_COLUMNS = [("changed_at", "WHEN"), ("field", "FIELD"), ("old", "WAS"), ("new", "NOW"), ("source", "BY")]


def _category(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Category | None:
    if value is None:
        return None
    found = parse_category(value)
    if found is None:
        raise click.BadParameter(f"{value!r} is not a category; one of {', '.join(c.value for c in Category)}")
    return found


def _mac(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from auditor.register.search import mac_key

    if value is not None and mac_key(value) is None:
        raise click.BadParameter(f"{value!r} is not a MAC address (00:1a:2b:3c:4d:5e, 00-1A-…, 001a.2b3c.4d5e)")
    return value


def _ip(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from auditor.register.search import ip_key

    if value is not None and ip_key(value) is None:
        raise click.BadParameter(f"{value!r} is not an IP address (one address; --search finds parts of one)")
    return value


@click.group(cls=AuditorGroup)
def devices() -> None:
    """Equipment, registered or discovered: list, show, and keep the register by hand."""


@devices.command("list")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's devices.")
@click.option("--serial", help="Only the device(s) with this serial.")
@click.option("--tag", "asset_tag", help="Only the device with this asset tag.")
@click.option("--ip", callback=_ip, help="Only the device(s) at this address.")
@click.option("--mac", callback=_mac, help="Only the device(s) with this MAC address (any notation).")
@click.option("--category", callback=_category, help="Only this category (key or Vietnamese name).")
@click.option("--status", type=click.Choice([s.value for s in DeviceStatus]), help="Only devices in this state.")
@click.option("--registered/--unregistered", default=None, help="Only registered, or only discovered, devices.")
@click.option("--search", "text", metavar="TEXT", help="Any part of hostname, model, vendor, location, serial, tag.")
@format_option
@common_options
def devices_list(settings: Settings, unit_code: str | None, fmt: str, **criteria: Any) -> None:
    """List devices with identity, age and reachability (JSON keys are stable for scripts).

    \b
    Example:
      auditor devices list --unit XA-HUNGPHUC --category laptop --format csv > may-xach-tay.csv
    """
    from auditor.jobs.devices import list_devices
    from auditor.register.search import DeviceQuery

    query = DeviceQuery(**criteria | {"status": DeviceStatus(criteria["status"]) if criteria["status"] else None})
    with opened(settings) as database:
        found = list_devices(database, today(settings), query, unit_code)
    click.echo(listing(found, fmt, DEVICE_COLUMNS, settings))


@devices.command("show")
@click.argument("ref")
@click.option("--polls", default=10, show_default=True, help="How many of the latest polls to show.")
@format_option
@common_options
def devices_show(settings: Settings, ref: str, polls: int, fmt: str) -> None:
    """Everything known of one device: its record, age and evidence, latest polls, findings, and
    history (what changed, when, by which import file, scan, poll or command).

    REF is the device's id, asset tag, serial, IP address or MAC.

    \b
    Example:
      auditor devices show TS-XA-HUNGPHUC-001
    """
    from auditor.jobs.devices import dossier

    with opened(settings) as database:
        found = dossier(database, ref, today(settings), polls)
    zone = zoneinfo.ZoneInfo(settings.timezone)
    sections = {
        "device": asdict(found.device),
        "polls": [asdict(p) for p in found.polls],
        "findings": [asdict(f) for f in found.findings],
        "history": [asdict(c) for c in found.history],
        "seen": [asdict(v) for v in found.seen],
        "neighbours": [asdict(n) for n in found.neighbours],
    }
    if fmt != "table":  # one JSON document (a CSV has no room for four tables: JSON it is)
        click.echo(json.dumps(_plain(sections, zone, False), ensure_ascii=False, indent=2))
        return
    human = _plain(sections, zone, True)
    device = human["device"]
    width = max(len(k) for k in device)
    lines = [f"Device {device['id']}: {device['hostname'] or device['ip'] or device['serial']}"]
    lines += [f"  {key.ljust(width)}  {'' if value is None else value}" for key, value in device.items()]
    for title, rows, columns in (
        ("Latest polls", human["polls"], POLL_COLUMNS),
        ("Seen through the network", human["seen"], SEEN_COLUMNS),
        ("Neighbours (LLDP, CDP)", human["neighbours"], NEIGHBOUR_COLUMNS),
        ("Findings", human["findings"], FINDING_COLUMNS),
        ("History", human["history"], HISTORY_COLUMNS),
    ):
        lines += ["", f"{title}:", render_table(rows, columns)]
    click.echo("\n".join(lines))


def _plain(value: Any, zone: zoneinfo.ZoneInfo, human: bool) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v, zone, human) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, zone, human) for v in value]
    return plain(value, zone, human)


def _change(settings: Settings, ref: str, action: str, unit_code: str | None = None, note: str | None = None) -> None:
    from auditor.jobs.devices import Action, change

    with opened(settings) as database:
        device, changed = change(database, ref, Action(action), now(), today(settings), unit_code=unit_code, note=note)
    name = device.hostname or device.ip or device.serial or device.asset_tag
    state = (
        f"unit {device.unit_code or '-'}, {'registered' if device.registered else 'not registered'}, {device.status}"
    )
    if changed:
        echo(f"Device {device.id} ({name}): {action} done; now {state}.")
    else:
        echo(f"Device {device.id} ({name}) was already so ({state}); nothing changed.")


note_option = click.option("--note", help="Why (kept in the device's history), e.g. a handover record's number.")


@devices.command("register")
@click.argument("ref")
@note_option
@common_options
def devices_register(settings: Settings, ref: str, note: str | None) -> None:
    """Mark a device found on the network as in the asset register.

    \b
    Example:
      auditor devices register 10.38.1.57 --note "biên bản 12/2026"
    """
    _change(settings, ref, "register", note=note)


@devices.command("assign")
@click.argument("ref")
@click.option("--unit", "unit_code", metavar="CODE", required=True, help="The unit the device belongs to.")
@note_option
@common_options
def devices_assign(settings: Settings, ref: str, unit_code: str, note: str | None) -> None:
    """Give a device to a unit (a discovered one, or one that moved).

    \b
    Example:
      auditor devices assign 57 --unit XA-HUNGPHUC
    """
    _change(settings, ref, "assign", unit_code=unit_code, note=note)


@devices.command("retire")
@click.argument("ref")
@note_option
@common_options
def devices_retire(settings: Settings, ref: str, note: str | None) -> None:
    """Take a device out of service: no longer polled, audited or counted for replacement.

    \b
    Example:
      auditor devices retire TS-XA-HUNGPHUC-006 --note "thanh lý QĐ 45"
    """
    _change(settings, ref, "retire", note=note)


@devices.command("restore")
@click.argument("ref")
@note_option
@common_options
def devices_restore(settings: Settings, ref: str, note: str | None) -> None:
    """Put a retired device back in service.

    \b
    Example:
      auditor devices restore TS-XA-HUNGPHUC-006
    """
    _change(settings, ref, "restore", note=note)
