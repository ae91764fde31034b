"""Endpoints stored on SQLite and PostgreSQL alike: one per MAC whatever address DHCP gives it, its
sightings kept as rows of first and last seen, two runs storing the same new MAC at once, and the
match to the register.  (The tables are handed over as a poll would; reading them from real agents
is tests/snmp/test_tables.py and tests/test_endpoints.py.)"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

from auditor.config import load_settings
from auditor.db.engine import open_database
from auditor.endpoints import PLACE_HOLDS, ArpEntry, FdbEntry, NetworkTables, Sighting, placed
from auditor.facts import HostObservation
from auditor.jobs.audit import assess_devices, record_findings
from auditor.jobs.poll import record_observations
from auditor.jobs.prune import prune
from tests.conftest import Cli
from tests.register.test_import import write_csv

NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
PC = "3c:52:82:00:00:10"


def _minute(stamp: str) -> float:
    """Minutes after NOW of a time as the JSON gives it (local, with its offset)."""
    return (dt.datetime.fromisoformat(stamp) - NOW).total_seconds() / 60


def _router(at: dt.datetime, *arp: ArpEntry, fdb: tuple[FdbEntry, ...] = ()) -> HostObservation:
    tables = NetworkTables(arp=arp, fdb=fdb, port_names={3: "vlan10", 5: "Gi0/5"})
    return HostObservation("10.0.0.1", at, device_id=1, alive=True, tables=tables)


def _setup(auditor: Cli, workdir: Path) -> None:
    write_csv(workdir / "u.csv", [["unit_code", "unit_name"], ["XA-A", "Xã A"]])
    write_csv(
        workdir / "d.csv",
        [
            ["unit_code", "hostname", "category", "ip", "mac"],
            ["XA-A", "gw", "router", "10.0.0.1", ""],
            ["XA-A", "pc-ketoan", "desktop", "", PC],
        ],
    )
    auditor.ok("register", "import", "u.csv")
    auditor.ok("register", "import", "d.csv")


def test_one_endpoint_per_mac_across_address_changes(auditor: Cli, workdir: Path) -> None:
    _setup(auditor, workdir)
    with open_database(auditor.db_url) as database:
        for minutes, address in ((0, "10.0.0.20"), (5, "10.0.0.20"), (10, "10.0.0.31")):  # DHCP moves it
            at = NOW + dt.timedelta(minutes=minutes)
            record_observations(database, [_router(at, ArpEntry(address, PC, 3))], at)
    [endpoint] = json.loads(auditor.ok("endpoints", "list", "--format", "json").stdout)
    assert endpoint["ip"] == "10.0.0.31" and endpoint["device_id"] == 2 and endpoint["sources"] == ["arp"]
    assert (_minute(endpoint["first_seen"]), _minute(endpoint["last_seen"])) == (0, 10)
    shown = json.loads(auditor.ok("devices", "show", "2", "--format", "json").stdout)
    seen = sorted((s["ip"], _minute(s["first_seen"]), _minute(s["last_seen"])) for s in shown["seen"])
    assert seen == [("10.0.0.20", 0, 5), ("10.0.0.31", 10, 10)]  # a row per place, not per poll
    assert shown["device"]["seen_via"] == "arp" and shown["polls"][0]["seen_via"] == "arp"


def test_a_poll_that_missed_the_switch_table_leaves_the_pc_on_its_port(auditor: Cli, workdir: Path) -> None:
    """The forwarding table placed the PC on Gi0/5; a poll whose walk of it failed (only ARP saw the
    PC) does not move it back to the router's interface, until the switch port is a day old."""
    _setup(auditor, workdir)

    def place() -> tuple[str, int]:
        [endpoint] = json.loads(auditor.ok("endpoints", "list", "--format", "json").stdout)
        return endpoint["port"], endpoint["vlan"]

    with open_database(auditor.db_url) as database:
        fdb = (FdbEntry(PC, 5, 5, 10),)
        record_observations(database, [_router(NOW, ArpEntry("10.0.0.20", PC, 3), fdb=fdb)], NOW)
        assert place() == ("Gi0/5", 10)
        later = NOW + dt.timedelta(minutes=5)
        record_observations(database, [_router(later, ArpEntry("10.0.0.20", PC, 3))], later)
        assert place() == ("Gi0/5", 10)
        next_day = NOW + dt.timedelta(days=1, minutes=1)
        record_observations(database, [_router(next_day, ArpEntry("10.0.0.20", PC, 3))], next_day)
        assert place()[0] == "vlan10"


def test_a_place_holds_while_its_table_goes_unread_for_a_day_at_most() -> None:
    router, switch, other_switch = 1, 7, 9
    arp = Sighting(PC, "arp", NOW, seen_on=router, port="vlan10")
    on_port = Sighting(PC, "fdb", NOW - dt.timedelta(minutes=5), seen_on=switch, port="Gi0/5")
    assert placed([arp], [on_port]) == on_port  # the switch's walk failed this run
    assert placed([arp], [on_port], read={(switch, "fdb")}) == arp  # read without the PC: it left
    stale = Sighting(PC, "fdb", NOW - PLACE_HOLDS - dt.timedelta(minutes=1), seen_on=switch, port="Gi0/5")
    assert placed([arp], [stale]) == arp
    lldp = Sighting(PC, "lldp", NOW, seen_on=other_switch, port="ge-0/0/3")
    assert placed([arp, lldp], [on_port], read={(switch, "fdb"), (other_switch, "lldp")}) == lldp  # it moved
    assert placed([Sighting(PC, "netbios", NOW)]) is None  # NetBIOS answers for itself: no place


def test_two_runs_storing_the_same_new_mac_at_once(auditor: Cli, workdir: Path) -> None:
    _setup(auditor, workdir)
    stranger = "f8:b1:56:00:00:12"
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(port: int) -> None:
        try:
            with open_database(auditor.db_url) as database:
                start.wait()
                fdb = (FdbEntry(stranger, port, port, 10),)
                record_observations(database, [_router(NOW, fdb=fdb)], NOW)
        except BaseException as error:  # handed to the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(port,)) for port in (5, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    found = json.loads(auditor.ok("endpoints", "list", "--unregistered", "--format", "json").stdout)
    assert [(e["mac"], e["port"], e["vlan"], e["unit"]) for e in found] == [(stranger, "Gi0/5", 10, "XA-A")]


def test_endpoints_not_seen_for_long_are_pruned(auditor: Cli, workdir: Path) -> None:
    _setup(auditor, workdir)
    settings = load_settings(db_url=auditor.db_url, environ={})  # retention.endpoints_days = 90
    with open_database(auditor.db_url) as database:
        record_observations(database, [_router(NOW, ArpEntry("10.0.0.20", PC, 3))], NOW)
        later = NOW + dt.timedelta(days=60)
        record_observations(database, [_router(later, ArpEntry("10.0.0.31", PC, 3))], later)
        kept = prune(database, settings, NOW + dt.timedelta(days=89))
        moved = prune(database, settings, NOW + dt.timedelta(days=91))  # its first place is 91 days old
        gone = prune(database, settings, NOW + dt.timedelta(days=151))
    assert (kept.sightings_deleted, kept.endpoints_deleted) == (0, 0)
    assert (moved.sightings_deleted, moved.endpoints_deleted) == (1, 0)
    assert (gone.sightings_deleted, gone.endpoints_deleted) == (1, 1)
    assert json.loads(auditor.ok("endpoints", "list", "--format", "json").stdout) == []


def test_a_pruned_strangers_finding_is_resolved_and_kept(auditor: Cli, workdir: Path) -> None:
    _setup(auditor, workdir)
    settings = load_settings(db_url=auditor.db_url, environ={})
    stranger = "f8:b1:56:00:00:12"
    with open_database(auditor.db_url) as database:
        record_observations(database, [_router(NOW, ArpEntry("10.0.0.40", stranger, 3))], NOW)
        record_findings(database, assess_devices(database, settings, NOW), [], NOW)
        later = NOW + dt.timedelta(days=91)
        prune(database, settings, later)
    [finding] = [
        f
        for f in json.loads(auditor.ok("findings", "--all", "--format", "json").stdout)
        if f["evidence"].get("mac") == stranger
    ]
    assert finding["kind"] == "unregistered" and finding["resolved_at"] is not None
    assert finding["evidence"]["ip"] == "10.0.0.40"  # what was found stays with it
    assert json.loads(auditor.ok("endpoints", "list", "--format", "json").stdout) == []
