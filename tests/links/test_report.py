"""`auditor links report` over a week of samples stored the way real ones are (lab.history)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from auditor.config import load_settings
from auditor.db.engine import open_database
from auditor.jobs import graphs
from auditor.jobs.export import export_procurement
from auditor.lab.history import Pattern, seed_link
from tests.conftest import Cli
from tests.register.test_import import write_csv


def _three_links(auditor: Cli, workdir: Path) -> None:
    """XA-A congested, XA-B fine, XA-C with half its samples; a week each, ending now."""
    write_csv(workdir / "units.csv", [["unit_code", "unit_name"], ["XA-A", "A"], ["XA-B", "B"], ["XA-C", "C"]])
    write_csv(
        workdir / "links.csv",
        [
            ["unit_code", "name", "capacity_down_mbps", "capacity_up_mbps"],
            ["XA-A", "TSLCD", "30", "30"],
            ["XA-B", "TSLCD", "100", "100"],
            ["XA-C", "TSLCD", "50", "50"],
        ],
    )
    auditor.ok("register", "import", "units.csv")
    auditor.ok("register", "import", "links.csv")
    ids = {link["unit_code"]: link["id"] for link in json.loads(auditor.ok("links", "list", "--format", "json").stdout)}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    database = open_database(auditor.db_url)
    # Full in working hours (28.5 of 30 Mbps, a third of the week), quiet otherwise: congested.
    seed_link(database, ids["XA-A"], Pattern(28.5, 3, 2, 1, jitter=0, rtt_ms=30), now, seed=1)
    seed_link(database, ids["XA-B"], Pattern(10, 2, 1, 1, jitter=0), now, seed=2)  # 10% of 100: fine
    seed_link(database, ids["XA-C"], Pattern(45, 5, 5, 1, jitter=0, coverage=0.5), now, seed=3)  # half the samples
    database.close()


def test_a_week_of_samples_judged(auditor: Cli, workdir: Path) -> None:
    _three_links(auditor, workdir)
    rows = {r["unit_code"]: r for r in json.loads(auditor.ok("links", "report", "--format", "json").stdout)}
    a, b, c = rows["XA-A"], rows["XA-B"], rows["XA-C"]
    # 2,016 intervals were stored; the report runs a moment later, so its window may start just
    # after the first one.
    assert a["samples"] in (2015, 2016) and a["expected"] == 2016
    assert (a["verdict"], a["coverage_pct"], a["p95_in_mbps"], a["p95_in_pct"]) == ("congested", 100.0, 28.5, 95.0)
    assert (a["recommended_mbps"], a["needs_justification"]) == (50.0, True)  # 28.5 / 0.70 = 40.7 → 50
    assert "đề nghị nâng lên 50 Mbps" in a["justification_vi"] and a["justification_en"].endswith("50 Mbps.")
    assert (b["verdict"], b["p95_in_pct"], b["recommended_mbps"]) == ("ok", 10.0, None)
    # Half the readings missing: the intervals that remain are often 10 minutes long (one sample, not
    # two) or longer than 2.5 cadences (a gap, unknown), so well under half the expected 5-minute samples.
    assert c["verdict"] == "insufficient_data" and 20 < c["coverage_pct"] < 50 and c["unknown"] > 0

    table = auditor.ok("links", "report").stdout.splitlines()
    assert table[0].split()[:3] == ["UNIT", "LINK", "DOWN"] and "VERDICT" in table[0]
    assert any("XA-A" in line and "congested" in line and line.rstrip().endswith("50") for line in table)
    only_a = json.loads(auditor.ok("links", "report", "--unit", "XA-A", "--format", "json").stdout)
    assert [r["unit_code"] for r in only_a] == ["XA-A"]
    # A spreadsheet reads the CSV's bit rates as the numbers they are, every digit, no exponent.
    (csv_a,) = csv.DictReader(io.StringIO(auditor.ok("links", "report", "--unit", "XA-A", "--format", "csv").stdout))
    assert csv_a["p95_in_bps"] == f"{a['p95_in_bps']:.15g}" and "e" not in csv_a["p95_in_bps"]
    assert float(csv_a["p95_in_bps"]) == a["p95_in_bps"] > 1e7


def _pictures(path: Path) -> list[tuple[str, str, int, int, int]]:
    """The pictures of a workbook as Excel places them: (sheet's drawing, name, row, width and
    height in EMU)."""
    found = []
    with zipfile.ZipFile(path) as book:
        for name in sorted(n for n in book.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)):
            xml = book.read(name).decode()
            for row, descr, width, height in re.findall(
                r'<xdr:from>.*?<xdr:row>(\d+)</xdr:row>.*?<xdr:cNvPr id="\d+" name="[^"]*" descr="([^"]+)"/>.*?'
                r'<a:ext cx="(\d+)" cy="(\d+)"',
                xml,
            ):
                found.append((name, descr, int(row), int(width), int(height)))
    return found


def test_the_documents_carry_the_graphs_behind_the_verdicts(auditor: Cli, workdir: Path) -> None:
    _three_links(auditor, workdir)
    auditor.ok("export", "procurement", "danh-muc.xlsx")
    pictures = _pictures(workdir / "danh-muc.xlsx")
    # The congested link's graph only: XA-B is fine, XA-C has too few samples to ask for money.
    assert [descr for _, descr, _, _, _ in pictures] == ["XA-A.png"]
    links = openpyxl.load_workbook(workdir / "danh-muc.xlsx")["Đường truyền"]
    [(_, _, row, width, height)] = pictures
    table_rows = [r for r in range(1, links.max_row + 1) if links.cell(r, 1).value in ("XA-A", "XA-B", "XA-C")]
    assert row > max(table_rows), "under the table"
    assert width / height == pytest.approx(9.5 / 2.7, rel=0.01), "the graph as drawn, not stretched"
    columns = sum(links.column_dimensions[c].width or 0 for c in "ABCDEFGHIJKL")
    assert width / 914400 * 96 <= (columns * 7 + 5 * 12) * 1.01, "no wider than the table: nothing prints off the page"
    assert links.row_dimensions[row + 1].height >= height / 12700, "on a row as tall as it is: no page break across it"
    assert max(table_rows) + 1 in [b.id for b in links.row_breaks.brk], (
        "the chart and the graphs after the table's pages"
    )

    auditor.ok("export", "inventory", "bien-ban")
    for unit in ("XA-A", "XA-B", "XA-C"):  # every unit's record shows its link, whatever its verdict
        [(_, descr, row, _, _)] = _pictures(workdir / "bien-ban" / f"bien-ban-kiem-ke-{unit}.xlsx")
        record = openpyxl.load_workbook(workdir / "bien-ban" / f"bien-ban-kiem-ke-{unit}.xlsx").active
        assert descr == "duong-truyen-1.png"
        assert record.row_dimensions[row + 1].height == pytest.approx(2.5 * 72 + 3, abs=1), (
            "its row as tall as the graph"
        )
        link_line = next(r for r in range(1, record.max_row + 1) if str(record.cell(r, 1).value).startswith("TSLCD:"))
        header = next(r for r in range(1, record.max_row + 1) if record.cell(r, 1).value == "STT")
        assert row + 1 < header < link_line, (
            "the graph above the table (no header repeated over it), the link's line after"
        )


def test_a_country_workbook_draws_the_worst_links_and_says_how_many_more(
    auditor: Cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _three_links(auditor, workdir)
    monkeypatch.setattr(graphs, "MAX_PLAN_GRAPHS", 0)
    auditor.ok("export", "procurement", "danh-muc.xlsx")
    assert _pictures(workdir / "danh-muc.xlsx") == []
    links = openpyxl.load_workbook(workdir / "danh-muc.xlsx")["Đường truyền"]
    said = [c.value for row in links.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("Còn")]
    assert said == [
        "Còn 1 đường truyền cần nâng cấp chưa vẽ ở đây: lệnh `auditor links graph MÃ-ĐƠN-VỊ -o TỆP.png` vẽ từng đường."
    ]


def test_graphs_drawn_by_a_worker_process_are_those_drawn_here(
    auditor: Cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A country's plan graphs are drawn apart while the other sheets are written: the workbook
    carries the same pictures, byte for byte, in the same places."""
    _three_links(auditor, workdir)
    settings = load_settings(db_url=auditor.db_url, environ={})
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)  # one moment for both: the same window
    with open_database(auditor.db_url) as database:
        monkeypatch.setattr(graphs, "APART_FROM", 1)
        apart = export_procurement(database, settings, workdir / "apart.xlsx", now)
        monkeypatch.setattr(graphs, "APART_FROM", 10**6)
        export_procurement(database, settings, workdir / "here.xlsx", now)
    assert isinstance(apart.graphs, graphs.Drawing), "drawn apart"

    def media(path: Path) -> list[bytes]:
        with zipfile.ZipFile(path) as book:
            return [book.read(n) for n in sorted(book.namelist()) if n.startswith("xl/media/")]

    assert _pictures(workdir / "apart.xlsx") == _pictures(workdir / "here.xlsx") != []
    assert media(workdir / "apart.xlsx") == media(workdir / "here.xlsx") != []
