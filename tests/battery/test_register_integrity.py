"""Hardening battery, the register's integrity (issue 14): inputs nobody here wrote, and runs at
the same time, must never store a device twice, merge two into one, lose a row or column, or
invent a registration.  Through the real CLI (real processes where two run at once) into a real
SQLite file and a throwaway PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from alembic import command
from sqlalchemy import text

from auditor.db.engine import _heads, alembic_config, make_engine
from tests.battery.tally import counted
from tests.battery.test_faults import _start  # the auditor as a process of its own
from tests.conftest import Cli
from tests.register.test_import import UNITS_VI, devices, write_csv

DEVICES = 2000


@pytest.fixture(autouse=True)
def _messages_in_english(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_LANG", "en")  # in this process, and the ones it starts


@pytest.fixture
def registered(auditor: Cli, workdir: Path) -> Cli:
    write_csv(workdir / "units.csv", UNITS_VI)
    auditor.ok("register", "import", "units.csv")
    return auditor


def _register(workdir: Path, n: int = DEVICES) -> Path:
    rows: list[list[Any]] = [["Mã đơn vị", "Tên máy", "Số serial", "Mã tài sản", "Loại thiết bị", "Năm sử dụng"]]
    rows += [["XA-A", f"pc-{i}", f"SN-{i}", f"TS-{i}", "desktop", 2010 + i % 15] for i in range(n)]
    return write_csv(workdir / "big.csv", rows)


def test_two_imports_of_one_file_at_once_store_each_device_once(registered: Cli, workdir: Path) -> None:
    path = _register(workdir)
    first, second = (_start(workdir, registered.db_url, "register", "import", str(path)) for _ in range(2))
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    stored = devices(registered)
    counted(refused=False, lost=max(0, DEVICES - len({d["asset_tag"] for d in stored})))
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    assert len(stored) == DEVICES == len({d["asset_tag"] for d in stored})
    said = sorted(re.search(r"devices\s+(.*)", out).group(1) for out, _ in outputs)  # type: ignore[union-attr]
    # One after the other, whichever came first: the second finds every device already there.
    assert said == [f"0 new, 0 updated, {DEVICES} unchanged", f"{DEVICES} new, 0 updated, 0 unchanged"]


def test_one_address_under_two_names_against_the_register_is_two_devices(registered: Cli, workdir: Path) -> None:
    rows = [["Mã đơn vị", "Tên máy", "Địa chỉ IP"], ["XA-A", "pc-a", "10.0.0.5"]]
    registered.ok("register", "import", str(write_csv(workdir / "a.csv", rows)))
    result = registered.ok(
        "register", "import", str(write_csv(workdir / "b.csv", [rows[0], ["XA-A", "pc-b", "10.0.0.5"]]))
    )
    hosts = sorted(d["hostname"] for d in devices(registered))
    counted(refused=False, lost=2 - len(hosts))
    assert hosts == ["pc-a", "pc-b"]  # a typo or NAT: never one device renamed over the other
    assert "address 10.0.0.5 is also that of id 1, pc-a; registered as another device" in result.stderr


def test_rows_on_one_address_under_three_names_in_one_file_are_all_refused(registered: Cli, workdir: Path) -> None:
    rows = [["Mã đơn vị", "Tên máy", "Địa chỉ IP"], *(["XA-A", f"pc-{c}", "10.0.0.5"] for c in "abc")]
    result = registered("register", "import", str(write_csv(workdir / "abc.csv", rows)))
    counted(refused=result.exit_code == 1)
    assert result.exit_code == 1
    for row, others in ((2, "3, 4"), (3, "2, 4"), (4, "2, 3")):
        assert f"abc.csv:{row}: address 10.0.0.5 is also on row {others}" in result.stderr
    assert devices(registered) == []


def _rewrite(path: Path, member: str, change: Callable[[str], str]) -> Path:
    """The workbook with one part of it rewritten, as another program might have written it."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts[member] = change(parts[member].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


HEADER = ["Mã đơn vị", "Tên máy", "Địa chỉ IP", "Loại thiết bị", "Model", "Số serial", "Năm sử dụng"]


def _workbook(path: Path, rows: int = 10, **sheets: str) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Thiết bị"
    sheet.append(HEADER)
    for n in range(1, rows + 1):
        sheet.append(["XA-A", f"pc-{n}", f"10.0.0.{n}", "Máy vi tính để bàn", "OptiPlex 3020", f"SN-{n}", 2016])
    for title, state in sheets.items():
        extra = book.create_sheet(title)
        extra.append(HEADER)
        extra.append(["XA-A", f"{title}-1", "", "Máy in", "", f"SN-{title}", 2015])
        extra.sheet_state = state
    book.save(path)
    return path


def _dimension(ref: str) -> Callable[[str], str]:
    return lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)


@pytest.mark.parametrize("ref", ["A1:J4", "A1:C11"])
def test_a_used_range_smaller_than_the_data_loses_nothing(registered: Cli, workdir: Path, ref: str) -> None:
    path = _rewrite(_workbook(workdir / "lying.xlsx"), "xl/worksheets/sheet1.xml", _dimension(ref))
    result = registered("register", "import", str(path))
    stored = devices(registered)
    complete = [d for d in stored if d["category"] == "desktop" and d["model"] and d["serial"] and d["in_service_on"]]
    counted(refused=False, lost=10 - len(complete))
    assert result.exit_code == 0, result.stderr
    assert len(complete) == 10


def test_a_used_range_claiming_the_whole_sheet_is_read_in_bounded_time(registered: Cli, workdir: Path) -> None:
    """A 5 kB file declaring A1:XFD1048576, with one cell far out: it once ran for minutes."""
    far = '<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'

    def lie(xml: str) -> str:
        xml = _dimension("A1:XFD1048576")(xml)
        return xml.replace("</sheetData>", f'<row r="1048576">{far}</row></sheetData>')

    path = _rewrite(_workbook(workdir / "huge.xlsx", rows=3), "xl/worksheets/sheet1.xml", lie)
    assert path.stat().st_size < 10_000
    process = _start(workdir, registered.db_url, "register", "import", str(path))
    out, err = process.communicate(timeout=120)  # the bound: a hostile file may not hold a cron job for long
    counted(refused=process.returncode == 1, lost=3 - len(devices(registered)))
    assert "3 new" in out, err
    # The far cell is data nobody expected: named, with the three good rows imported beside it.
    assert process.returncode == 1 and "huge.xlsx:Thiết bị:1048576:" in err
    assert "only XFD1048576 to the right of the table" in err, err
    # and the errors file hands the row back within Excel's columns (A … XFD), or Excel calls it damaged
    handed_back = openpyxl.load_workbook(workdir / "huge.errors.xlsx", read_only=True)
    sheet = handed_back.worksheets[0]
    sheet.reset_dimensions()
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [1048576]
    assert max(len(r) for r in rows) == 2 + len(HEADER)


def test_a_name_with_an_apostrophe_is_text_not_a_quote(registered: Cli, workdir: Path) -> None:
    rows = [
        ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị"],
        ["XA-Q1", "Đảng ủy xã Quỳnh 'Một'", "Đảng ủy xã"],
        ["XA-Q2", "Đảng ủy xã O'Lương", "Đảng ủy xã"],
        ["XA-Q3", "Đảng ủy xã 'Ba' và 'Bốn'", "Đảng ủy xã"],
        ["XA-Q4", "Đảng ủy xã Bốn", "Đảng ủy xã"],
    ]
    path = workdir / "apostrophes.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    result = registered.ok("register", "import", str(path))
    names = {u["code"]: u["name"] for u in json.loads(registered.ok("units", "list", "--format", "json").stdout)}
    counted(refused=False, lost=sum(r[0] not in names for r in rows[1:]))
    assert "units    4 new" in result.stdout
    assert [names[r[0]] for r in rows[1:]] == [r[1] for r in rows[1:]]


@pytest.mark.parametrize(
    ("written", "category"),
    [
        ("Máy vi tính xách tay", "laptop"),
        ("Máy tính bảng", "laptop"),
        ("Thiết bị định tuyến", "router"),
        ("Switch", "switch"),
        ("Bộ phát Wi-Fi", "access_point"),
        ("Máy in màu", "printer"),
        ("Máy đa chức năng", "copier"),
        ("Máy vi tính để bàn (PC)", "desktop"),
    ],
)
def test_category_names_as_clerks_write_them(registered: Cli, workdir: Path, written: str, category: str) -> None:
    rows = [["Mã đơn vị", "Tên máy", "Loại thiết bị"], ["XA-A", "d-1", written]]
    result = registered("register", "import", str(write_csv(workdir / "c.csv", rows)))
    counted(refused=False, lost=int(result.exit_code != 0))
    assert result.exit_code == 0, result.stderr
    assert [d["category"] for d in devices(registered)] == [category]


def test_a_sheet_name_excel_refuses_still_gives_the_errors_file(registered: Cli, workdir: Path) -> None:
    path = _workbook(workdir / "odd.xlsx", rows=2)
    book = openpyxl.load_workbook(path)
    book["Thiết bị"].append(["XA-A", "pc-bad", "10.0.0.300", "", "", "", ""])
    book.save(path)
    # Another program named the sheet as Excel never would ([ ] : * ? / \ and over 31 characters).
    odd = "Thiết bị [xã A]: 2025/2026 * bản cuối?"
    path = _rewrite(path, "xl/workbook.xml", lambda xml: xml.replace('name="Thiết bị"', f'name="{odd}"'))
    result = registered("register", "import", str(path))
    counted(refused=result.exit_code == 1 and "Traceback" not in result.stderr, lost=2 - len(devices(registered)))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert f"odd.xlsx:{odd}:4:" in result.stderr
    errors = openpyxl.load_workbook(workdir / "odd.errors.xlsx")
    (title,) = errors.sheetnames
    assert title.startswith("Thiết bị _xã A__ 2025_2026 _ b") and len(title) == 31
    assert errors[title]["D2"].value == "pc-bad"


def _body(xml: str) -> str:
    """An XML part without its declaration, for a DOCTYPE to go in front."""
    return re.sub(r"^<\?xml[^>]*\?>", "", xml)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    + "]>"
)


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("truncated", lambda xml: xml[: len(xml) // 2]),
        ("billion-laughs", lambda xml: BILLION_LAUGHS + _body(xml).replace("pc-1<", "&lol9;<")),
        (
            "external-entity",
            lambda xml: (
                '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                + _body(xml).replace("pc-1<", "&x;<")
            ),
        ),
        ("not-xml", lambda xml: "this is not XML at all"),
    ],
)
def test_malformed_sheet_xml_is_one_clear_error_and_nothing_is_stored(
    registered: Cli, workdir: Path, case: str, change: Callable[[str], str]
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Thiết bị"
    sheet.append(HEADER)
    sheet.append(["XA-A", "pc-1", "", "", "", "", 2016])  # an inline string, for the entities to sit in
    path = workdir / f"{case}.xlsx"
    book.save(path)
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: xml)
    with zipfile.ZipFile(path) as archive:
        inline = "pc-1<" in archive.read("xl/worksheets/sheet1.xml").decode()
    if not inline:  # openpyxl put the text in sharedStrings.xml: the entities go there
        _rewrite(path, "xl/sharedStrings.xml", change)
    else:
        _rewrite(path, "xl/worksheets/sheet1.xml", change)
    result = registered("register", "import", str(path))
    counted(refused=result.exit_code == 1 and "Traceback" not in result.stderr)
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"Error: {case}.xlsx:" in result.stderr and "nothing was imported" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "root:" not in result.stderr  # no external file was read into a message
    assert devices(registered) == []


def test_a_hidden_sheet_is_reported_and_imported_only_when_asked(registered: Cli, workdir: Path) -> None:
    path = _workbook(workdir / "hidden.xlsx", rows=2, cu="hidden", rat_cu="veryHidden")
    result = registered.ok("register", "import", str(path))
    assert 'sheet "cu" is hidden in the workbook; passed over (--hidden-sheets imports it)' in result.stderr
    assert 'sheet "rat_cu" is hidden' in result.stderr
    assert sorted(d["hostname"] for d in devices(registered)) == ["pc-1", "pc-2"]
    registered.ok("register", "import", str(path), "--hidden-sheets")
    hosts = sorted(d["hostname"] for d in devices(registered))
    counted(refused=False, lost=4 - len(hosts))
    assert hosts == ["cu-1", "pc-1", "pc-2", "rat_cu-1"]


@pytest.mark.parametrize(("encoding", "text"), [("shift_jis", "東京本社 パソコン"), ("gb18030", "北京 电脑 打印机")])
def test_text_in_another_code_page_is_refused_not_garbled(
    registered: Cli, workdir: Path, encoding: str, text: str
) -> None:
    path = workdir / f"{encoding}.csv"
    path.write_bytes(f"Mã đơn vị,Tên máy,Vị trí\nXA-A,pc-1,{text}\n".encode(encoding, errors="replace"))
    result = registered("register", "import", str(path))
    counted(refused=result.exit_code == 1 and "Traceback" not in result.stderr)
    assert result.exit_code == 1
    assert "is not UTF-8, UTF-16 or Windows-1258 (Vietnamese)" in result.stderr
    assert "Nothing was imported: save it as UTF-8 CSV" in result.stderr
    assert devices(registered) == []


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("Tên máy", "pc\u200b-1", "pc⟨U+200B⟩-1"),
        ("Mã tài sản", "TS\u2060-1", "TS⟨U+2060⟩-1"),
        ("Vị trí", "Phòng \u202e1-gnòhP", "Phòng ⟨U+202E⟩1-gnòhP"),
        ("Tên máy", "pc\u00a0-1", "pc⟨U+00A0⟩-1"),  # a no-break space, from a web page or Word
    ],
)
def test_invisible_and_reordering_characters_are_refused_and_shown(
    registered: Cli, workdir: Path, column: str, value: str, shown: str
) -> None:
    rows = [["Mã đơn vị", "Tên máy", "Mã tài sản", "Vị trí"], ["XA-A", "pc-0", "TS-0", "Phòng 1"]]
    row = dict(zip(rows[0], ["XA-A", "pc-2", "TS-2", "Phòng 2"], strict=True)) | {column: value}
    rows.append(list(row.values()))
    result = registered("register", "import", str(write_csv(workdir / "inv.csv", rows)))
    counted(refused=result.exit_code == 1, lost=1 - len(devices(registered)))
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("  inv.csv:3:")]
    assert f'column "{column}" is "{shown}", expected text without invisible characters' in line
    assert [d["hostname"] for d in devices(registered)] == ["pc-0"]


# ---------------------------------------------------------------- the schema


def test_init_on_another_programs_database_leaves_it_untouched(workdir: Path) -> None:
    import sqlite3

    other = workdir / "crm.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO customer (name) VALUES ('An')")
    before = other.read_bytes()
    result = Cli(f"sqlite:///{other}")("init")
    counted(refused=result.exit_code == 1)
    assert result.exit_code == 1
    assert "holds another program's tables (customer) and no auditor schema; auditor leaves it untouched" in (
        result.stderr
    )
    assert other.read_bytes() == before
    listed = Cli(f"sqlite:///{other}")("devices", "list")  # and no command advises `init` on it
    assert "holds another program's tables (customer), not auditor's" in listed.stderr
    assert other.read_bytes() == before


def test_a_file_that_is_not_a_database_is_one_line(workdir: Path) -> None:
    junk = workdir / "junk.db"
    junk.write_bytes(os.urandom(4096))
    for argv in (("init",), ("units", "list"), ("register", "import", "x.csv")):
        result = Cli(f"sqlite:///{junk}")(*argv)
        counted(refused=result.exit_code == 1)
        assert result.exit_code == 1, argv
        assert result.stderr.strip().splitlines() == [
            f"Error: cannot open the database sqlite:///{junk}: file is not a database"
        ]


def _at_revision(db_url: str, revision: str, devices_n: int) -> None:
    engine = make_engine(db_url, create=True)
    command.upgrade(alembic_config(engine), revision)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO unit (id, code, name, poller_group, created_at, updated_at) "
                "VALUES (1, 'XA-A', 'A', 'default', '2026-01-01', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO device (unit_id, hostname, serial, asset_tag, vendor, status, registered, "
                "created_at, updated_at) VALUES (1, :h, :s, :t, 'Dell', 'active', true, '2026-01-01', '2026-01-01')"
            ),
            [{"h": f"pc-{n}", "s": f"SN-{n}", "t": f"TS-{n % (devices_n - 1)}"} for n in range(devices_n)],
        )
        connection.execute(
            text(
                "INSERT INTO device_poll (device_id, polled_at, reachable, rebooted) "
                + "VALUES (1, '2026-01-02', true, false)"
            )
        )
    engine.dispose()


def test_an_upgrade_keeps_every_device_and_poll_even_twins_an_old_release_stored(db_url: str) -> None:
    """0003 → 0004 on a register where an old concurrent import stored one tag twice."""
    _at_revision(db_url, "0003", 5)  # TS-0 twice (devices 0 and 4)
    cli = Cli(db_url)
    cli.ok("init")
    stored = json.loads(cli.ok("devices", "list", "--format", "json").stdout)
    counted(refused=False, lost=5 - len(stored))
    assert sorted(d["hostname"] for d in stored) == [f"pc-{n}" for n in range(5)]
    engine = make_engine(db_url)
    with engine.connect() as connection:
        polls = connection.execute(text("SELECT count(*) FROM device_poll")).scalar()
        keys = connection.execute(text("SELECT hostname, tag_key FROM device ORDER BY id")).all()
    engine.dispose()
    assert polls == 1  # the device table was not copied (a copy's drop would cascade into its polls)
    assert [k for _, k in keys] == ["ts 0", "ts 1", "ts 2", "ts 3", None]  # the later twin keeps its row


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root (CI runs as root)")
def test_an_init_the_disk_fills_under_leaves_the_old_revision_and_completes_later(workdir: Path) -> None:
    small = workdir / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(small)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    url = f"sqlite:///{small / 'inventory.db'}"
    try:
        _at_revision(url, "0003", 3000)
        filler = small / "filler"
        handle = os.open(filler, os.O_WRONLY | os.O_CREAT)  # the disk fills up: everything but a few kB
        try:
            while os.write(handle, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(handle)
        os.truncate(filler, max(0, filler.stat().st_size - 96 * 1024))
        failed = Cli(url)("init")
        filler.unlink()
        again = Cli(url)("init")
        listed = Cli(url)("devices", "list", "--format", "json")
    finally:
        subprocess.run(["umount", str(small)], check=True)
    counted(refused=failed.exit_code == 1, lost=3000 - len(json.loads(listed.stdout or "[]")))
    assert failed.exit_code == 1 and "Traceback" not in failed.stderr
    assert "It is still at revision 0003, unchanged" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert again.exit_code == 0, again.stderr
    [head] = _heads()
    assert f"from revision 0003 to {head}" in again.stdout
    assert len(json.loads(listed.stdout)) == 3000


def test_an_errors_file_named_as_the_input_is_refused_and_the_input_kept(registered: Cli, workdir: Path) -> None:
    rows = [["Mã đơn vị", "Tên máy", "Địa chỉ IP"], ["XA-A", "pc-1", "10.0.0.1"], ["XA-A", "pc-2", "10.0.0.300"]]
    path = write_csv(workdir / "r.csv", rows)
    before = path.read_bytes()
    for dry in ([], ["--dry-run"]):
        result = registered("register", "import", str(path), "--errors", str(path), *dry)
        counted(refused=result.exit_code == 1 and path.read_bytes() == before)
        assert result.exit_code == 1 and "--errors names the file being imported" in result.stderr
        assert path.read_bytes() == before
    assert devices(registered) == []


def test_an_errors_file_that_cannot_be_written_imports_nothing(registered: Cli, workdir: Path) -> None:
    """The rejected rows must reach the clerk: if their file cannot be written, the good rows
    wait too (nothing committed), and the message says so."""
    rows = [["Mã đơn vị", "Tên máy", "Địa chỉ IP"], ["XA-A", "pc-1", "10.0.0.1"], ["XA-A", "pc-2", "10.0.0.300"]]
    (workdir / "not-a-folder").write_text("a file where a folder should be")
    result = registered(
        "register", "import", str(write_csv(workdir / "r.csv", rows)), "--errors", "not-a-folder/r.errors.csv"
    )
    counted(refused=result.exit_code == 1 and "Traceback" not in result.stderr)
    assert result.exit_code == 1
    assert "the rejected rows could not be handed back, so nothing was imported" in result.stderr
    assert devices(registered) == []
