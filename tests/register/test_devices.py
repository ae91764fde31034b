"""Keeping the register without a spreadsheet (issue 14): `auditor devices list` filters,
`devices show` (record, polls, findings, history), and register / assign / retire / restore, each
change in the device's history with what made it; an export imported again keeps what is
registered and what was only discovered."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from auditor.db.engine import open_database
from auditor.db.models import Device
from auditor.facts import HostObservation
from auditor.jobs.poll import record_observations
from tests.conftest import Cli
from tests.register.test_import import UNITS_VI, devices, write_csv

HEADER = ["Mã đơn vị", "Tên máy", "Địa chỉ IP", "Địa chỉ MAC", "Loại thiết bị", "Model", "Số serial", "Mã tài sản"]
ROWS = [
    ["XA-A", "pc-1", "10.0.0.1", "00:1A:2B:3C:4D:01", "Máy vi tính để bàn", "OptiPlex 3020", "SN-1", "TS-1"],
    ["XA-A", "lap-1", "10.0.0.2", "", "Máy vi tính xách tay", "ThinkPad E14", "SN-2", "TS-2"],
    ["VP-TU", "in-1", "10.0.1.3", "", "Máy in", "LaserJet M404", "SN-3", "TS-3"],
]
NOW = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def kept(auditor: Cli, workdir: Path) -> Cli:
    auditor.ok("register", "import", str(write_csv(workdir / "units.csv", UNITS_VI)))
    auditor.ok("register", "import", str(write_csv(workdir / "khao-sat.csv", [HEADER, *ROWS])))
    return auditor


def _hosts(cli: Cli, *args: str) -> list[str]:
    return [d["hostname"] for d in devices(cli, *args)]


@pytest.mark.parametrize(
    ("args", "hosts"),
    [
        (("--serial", "sn-2"), ["lap-1"]),
        (("--tag", "ts 3"), ["in-1"]),
        (("--ip", "10.0.0.1"), ["pc-1"]),
        (("--mac", "001a.2b3c.4d01"), ["pc-1"]),
        (("--category", "Máy vi tính xách tay"), ["lap-1"]),
        (("--category", "printer"), ["in-1"]),
        (("--search", "thinkpad"), ["lap-1"]),
        (("--search", "VP-TU"), ["in-1"]),
        (("--unit", "XA-A", "--registered"), ["pc-1", "lap-1"]),
        (("--unregistered",), []),
        (("--status", "retired"), []),
    ],
)
def test_devices_list_filters(kept: Cli, args: tuple[str, ...], hosts: list[str]) -> None:
    assert sorted(_hosts(kept, *args)) == sorted(hosts)


def test_a_category_nobody_knows_is_refused(kept: Cli) -> None:
    result = kept("devices", "list", "--category", "máy pha cà phê")
    assert result.exit_code == 2 and "is not a category" in result.stderr


def test_retire_restore_assign_each_leave_history(kept: Cli) -> None:
    said = kept.ok("devices", "retire", "TS-1", "--note", "thanh lý QĐ 45").stdout
    assert said.strip() == "Device 1 (pc-1): retire done; now unit XA-A, registered, retired."
    assert _hosts(kept, "--status", "retired") == ["pc-1"]
    again = kept.ok("devices", "retire", "1").stdout
    assert "was already so" in again and "nothing changed" in again
    kept.ok("devices", "restore", "SN-1")
    kept.ok("devices", "assign", "10.0.0.1", "--unit", "VP-TU")
    shown = json.loads(kept.ok("devices", "show", "1", "--format", "json").stdout)
    assert shown["device"]["unit_code"] == "VP-TU" and shown["device"]["status"] == "active"
    history = [(c["field"], c["old"], c["new"], c["source"]) for c in shown["history"]]
    assert history == [
        ("unit", "XA-A", "VP-TU", "devices assign"),
        ("status", "retired", "active", "devices restore"),
        ("status", "active", "retired", "devices retire: thanh lý QĐ 45"),
        ("created", None, "pc-1", "import khao-sat.csv"),
    ]


def test_a_reference_that_names_nothing_or_several_is_refused(kept: Cli, workdir: Path) -> None:
    missing = kept("devices", "show", "TS-404")
    assert missing.exit_code == 1 and "no device is named 'TS-404'" in missing.stderr
    # Two devices of two units behind their NATs on one address: the address names both.
    rows = [HEADER, ["XA-A", "pc-9", "10.9.9.9", "", "", "", "", ""], ["VP-TU", "pc-8", "10.9.9.9", "", "", "", "", ""]]
    kept.ok("register", "import", str(write_csv(workdir / "nat.csv", rows)))
    both = kept("devices", "show", "10.9.9.9")
    assert both.exit_code == 1 and "'10.9.9.9' names 2 devices" in both.stderr and "name one by its id" in both.stderr


def test_show_has_the_record_its_age_its_polls_findings_and_history(kept: Cli, workdir: Path) -> None:
    with open_database(kept.db_url) as database:
        address = "10.0.0.2"
        for i in range(3):  # three polls, the middle one unanswered
            at = NOW + dt.timedelta(minutes=5 * i)
            seen = HostObservation(address, at, device_id=2, alive=i != 2, rtt_ms=1.5 if i != 2 else None)
            record_observations(database, [seen], at)
    text = kept.ok("devices", "show", "TS-2").stdout
    assert text.startswith("Device 2: lap-1\n")
    assert "  model                 ThinkPad E14" in text
    polls = text.split("Latest polls:\n", 1)[1].split("\n\nSeen through the network:", 1)[0].splitlines()
    assert len(polls) == 2 + 3  # heading, rule, three polls
    assert [line.split()[2] for line in polls[2:]] == ["no", "yes", "yes"]  # newest first
    assert "History:" in text and "import khao-sat.csv" in text
    kept.ok("audit", "--no-poll")  # (its retention prunes these old polls: the findings are what it adds)
    findings = kept.ok("devices", "show", "TS-2").stdout.split("Findings:\n", 1)[1].split("\n\nHistory:")[0]
    assert "unknown_age" in findings  # no year in this register: to verify


def test_a_poll_that_fills_in_what_the_register_left_blank_is_in_the_history(kept: Cli) -> None:
    from auditor.facts import DeviceFacts

    with open_database(kept.db_url) as database:
        facts = DeviceFacts(vendor="HP", model="LaserJet M404dn")
        seen = HostObservation("10.0.1.3", NOW, device_id=3, alive=True, snmp_ok=True, facts=facts)
        record_observations(database, [seen], NOW)
    shown = json.loads(kept.ok("devices", "show", "TS-3", "--format", "json").stdout)
    assert ("vendor", None, "HP", "poll") in [(c["field"], c["old"], c["new"], c["source"]) for c in shown["history"]]


def test_an_export_imported_again_keeps_discovered_devices_unregistered(kept: Cli, workdir: Path) -> None:
    with open_database(kept.db_url) as database, database.session() as session:
        session.add(Device(ip="10.0.0.77", registered=False, created_at=NOW, updated_at=NOW, unit_id=1))
    kept.ok("audit", "--no-poll")
    assert [f["subject"] for f in json.loads(kept.ok("findings", "--kind", "unregistered", "--format", "json").stdout)]
    for name in ("so.xlsx", "so.csv"):
        kept.ok("register", "export", str(workdir / name), *(["--kind", "devices"] if name.endswith(".csv") else []))
        kept.ok("register", "import", str(workdir / name), *(["--kind", "devices"] if name.endswith(".csv") else []))
        found = {d["ip"]: d["registered"] for d in devices(kept)}
        assert found["10.0.0.77"] is False and found["10.0.0.1"] is True, name
    kept.ok("audit", "--no-poll")
    open_unregistered = json.loads(kept.ok("findings", "--kind", "unregistered", "--format", "json").stdout)
    assert [f["subject"] for f in open_unregistered] == ["10.0.0.77"]  # nobody decided otherwise
    kept.ok("devices", "register", "10.0.0.77")
    kept.ok("audit", "--no-poll")
    assert json.loads(kept.ok("findings", "--kind", "unregistered", "--format", "json").stdout) == []


def test_an_agent_reporting_another_devices_serial_fails_no_poll(kept: Cli, workdir: Path) -> None:
    """A cloned or lying agent says it is SN-1 (pc-1's serial), and another that it is Dell's SN-3
    (the printer's serial, whose vendor is unknown): the unique serial index must not fail the
    poll of everyone stored with them; the serial is not copied, and the note says why."""
    from auditor.facts import DeviceFacts

    rows = [HEADER, ["XA-A", "pc-x", "10.0.0.9", "", "", "", "", ""], ["XA-A", "pc-y", "10.0.0.10", "", "", "", "", ""]]
    kept.ok("register", "import", str(write_csv(workdir / "more.csv", rows)))
    ids = {d["hostname"]: d["id"] for d in devices(kept)}
    seen = [
        HostObservation("10.0.0.9", NOW, device_id=ids["pc-x"], alive=True, facts=DeviceFacts(serial="SN-1")),
        HostObservation("10.0.0.10", NOW, device_id=ids["pc-y"], alive=True, facts=DeviceFacts(serial="sn-3")),
        HostObservation("10.0.0.1", NOW, device_id=ids["pc-1"], alive=True, rtt_ms=2.0),
    ]
    with open_database(kept.db_url) as database:
        counts = record_observations(database, seen, NOW)
    assert counts.updated == 3
    assert any("reports  serial SN-1, which is device id 1's (pc-1); not copied" in n for n in counts.notes)
    found = {d["hostname"]: d for d in devices(kept)}
    assert found["pc-x"]["serial"] is None and found["pc-y"]["serial"] is None
    assert found["pc-1"]["rtt_ms"] == 2.0  # stored with them


def test_a_survey_row_for_a_device_a_scan_found_is_that_device(kept: Cli, workdir: Path) -> None:
    """Found on the network (no unit, not registered), then listed by the unit's clerk at its
    address: one device, now the unit's and registered; never a second one beside it."""
    with open_database(kept.db_url) as database, database.session() as session:
        session.add(Device(ip="10.0.0.88", registered=False, created_at=NOW, updated_at=NOW))
    rows = [HEADER, ["XA-A", "may-ke-toan", "10.0.0.88", "", "Máy vi tính để bàn", "", "SN-88", "TS-88"]]
    kept.ok("register", "import", str(write_csv(workdir / "them.csv", rows)))
    (found,) = devices(kept, "--ip", "10.0.0.88")
    assert (found["unit_code"], found["hostname"], found["registered"]) == ("XA-A", "may-ke-toan", True)


def test_an_import_that_changes_a_device_says_what_changed_and_from_which_file(kept: Cli, workdir: Path) -> None:
    rows = [["Mã tài sản", "Mã đơn vị", "Vị trí", "Tình trạng"], ["TS-2", "XA-A", "Phòng kế toán", "Hỏng"]]
    kept.ok("register", "import", str(write_csv(workdir / "kiem-ke-2026.csv", rows)))
    shown = json.loads(kept.ok("devices", "show", "TS-2", "--format", "json").stdout)
    changes = {(c["field"], c["old"], c["new"], c["source"]) for c in shown["history"]}
    assert ("condition", None, "broken", "import kiem-ke-2026.csv") in changes
    assert ("location", None, "Phòng kế toán", "import kiem-ke-2026.csv") in changes
    assert len(shown["history"]) == 3  # created, and these two: nothing else was touched


@pytest.mark.parametrize(("option", "value"), [("--mac", "00:1a:2b"), ("--mac", "zzz"), ("--ip", "10.0.0.0/24")])
def test_a_filter_that_is_not_a_mac_or_an_address_is_refused_not_dropped(kept: Cli, option: str, value: str) -> None:
    result = kept("devices", "list", option, value)
    assert result.exit_code == 2 and "is not a" in result.stderr and result.stdout == ""


def test_a_retired_device_stays_retired_through_an_export_and_back(kept: Cli, workdir: Path) -> None:
    kept.ok("devices", "retire", "TS-3")
    for name in ("backup.xlsx", "backup.csv"):
        fresh = Cli(f"sqlite:///{workdir / ('restored-' + name + '.db')}")
        fresh.ok("init")
        kept.ok("register", "export", str(workdir / name))
        if name.endswith(".csv"):
            kept.ok("register", "export", str(workdir / "units-backup.csv"), "--kind", "units")
            fresh.ok("register", "import", str(workdir / "units-backup.csv"), "--kind", "units")
            fresh.ok("register", "import", str(workdir / name), "--kind", "devices")
        else:
            fresh.ok("register", "import", str(workdir / name))
        assert {d["asset_tag"]: d["status"] for d in devices(fresh)}["TS-3"] == "retired", name


def test_a_row_that_moves_a_device_to_another_unit_says_so(kept: Cli, workdir: Path) -> None:
    rows = [["Mã đơn vị", "Số serial"], ["VP-TU", "SN-1"]]  # pc-1 (XA-A) listed by VP-TU
    result = kept.ok("register", "import", str(write_csv(workdir / "moved.csv", rows)))
    assert "moved.csv:2: thiết bị số 1, pc-1 chuyển từ đơn vị XA-A sang VP-TU" in result.stderr
    assert devices(kept, "--serial", "SN-1")[0]["unit_code"] == "VP-TU"


def test_two_new_devices_with_one_serial_name_each_other(kept: Cli) -> None:
    """Two devices nobody registered, found in one scan, report the same serial (a cloned image,
    or two recordings of one device): the second is not given it, and the note names the first,
    which has no id yet, by its address."""
    from auditor.facts import DeviceFacts

    seen = [
        HostObservation("10.0.0.91", NOW, alive=True, facts=DeviceFacts(vendor="Cisco", serial="FOC123")),
        HostObservation("10.0.0.92", NOW, alive=True, facts=DeviceFacts(vendor="Cisco", serial="FOC123")),
    ]
    from auditor.db.observations import apply_observations

    with open_database(kept.db_url) as database, database.session() as session:
        counts = apply_observations(session, seen, None, NOW, discovering=True)  # as a scan stores them
    note = next(n for n in counts.notes if "FOC123" in n)
    assert "None" not in note
    assert "10.0.0.92 reports Cisco serial FOC123, which is a device's found in this same run (10.0.0.91)" in note
    found = {d["ip"]: d for d in devices(kept)}
    assert found["10.0.0.91"]["serial"] == "FOC123" and found["10.0.0.92"]["serial"] is None


def test_where_a_scan_learnt_each_value_is_in_the_devices_history(kept: Cli) -> None:
    """A device found by a scan, and one registered blank that a poll fills in: `devices show`'s
    history says, for each value the device gave, where it came from."""
    from auditor.db import history
    from auditor.db.observations import apply_observations
    from auditor.domain import Category
    from auditor.facts import DeviceFacts

    said = DeviceFacts(
        vendor="ZyXEL Communications",
        category=Category.SWITCH,
        model="GS1900-24E",
        sources=(
            ("category", "sysDescr: 'Switch'"),
            ("model", "oid 1.3.6.1.4.1.890.1.15.3.1.11.0"),
            ("vendor", "sysObjectID (IANA registry)"),
        ),
    )
    ids = {d["hostname"]: d["id"] for d in devices(kept)}
    seen = [
        HostObservation("10.0.0.93", NOW, alive=True, facts=said),
        HostObservation("10.0.0.1", NOW, device_id=ids["pc-1"], alive=True, facts=said),
    ]
    with open_database(kept.db_url) as database, database.session() as session:
        history.changes_by(session, "scan", NOW)
        apply_observations(session, seen, None, NOW, discovering=True)
    new = next(d["id"] for d in devices(kept) if d["ip"] == "10.0.0.93")
    with open_database(kept.db_url) as database, database.session(commit=False) as session:
        found = {c.field: c.source for c in history.history_of(session, new)}
        filled = {c.field: c.source for c in history.history_of(session, ids["pc-1"])}
    assert found["category"] == "scan (sysDescr: 'Switch')"
    assert found["model"] == "scan (oid 1.3.6.1.4.1.890.1.15.3.1.11.0)"
    assert found["vendor"] == "scan (sysObjectID (IANA registry))"
    assert found["created"] == "scan"
    assert filled["vendor"] == "scan (sysObjectID (IANA registry))"  # a blank the device filled in
    assert "model" not in filled  # what the register says stays
