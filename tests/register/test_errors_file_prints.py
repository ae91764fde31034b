"""The errors file as the unit's clerk prints it: LibreOffice draws it, poppler reads the words'
boxes back, and no line of one row is printed over another row."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

from auditor.procurement.render import pdf_of
from tests.conftest import Cli
from tests.procurement.test_libreoffice import needs_poppler, needs_soffice
from tests.register.test_import import DEVICES_VI, UNITS_VI, workbook

Box = tuple[float, float, float, float, str]


def _boxes(pdf: Path) -> dict[int, list[Box]]:
    """Each page's words, as (left, top, right, bottom, word)."""
    text = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages: dict[int, list[Box]] = {}
    for number, page in enumerate(text.split("<page ")[1:], start=1):
        words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<', page)
        pages[number] = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in words]
    return pages


def _overlap(a: Box, b: Box) -> float:
    """The share of the smaller of two words' boxes that the other covers: a line's accents reach a
    little into the line above (a few percent), a word printed over another covers much of it."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return max(0.0, width) * max(0.0, height) / smaller


@needs_soffice
@needs_poppler
def test_a_long_reason_never_prints_over_the_next_rows(sqlite_url: str, workdir: Path) -> None:
    auditor = Cli(sqlite_url)
    auditor.ok("init")
    auditor.ok("register", "import", str(workbook(workdir / "units.xlsx", {"Đơn vị": UNITS_VI})))
    good = DEVICES_VI[1]
    rows = [DEVICES_VI[0]]
    for n in range(12):  # each reason three or four lines long in its column, the other cells short
        row = [*good]
        row[0], row[1], row[2], row[6], row[7] = f"XA-KHONG-CO-{n}", f"may-{n}", "", f"SN-{n}", f"TS-{n:03d}"
        rows.append(row)
    path = workbook(workdir / "khao-sat.xlsx", {"Thiết bị": rows})
    assert auditor("register", "import", str(path)).exit_code == 1

    pdf_of(workdir / "khao-sat.errors.xlsx", workdir / "khao-sat.errors.pdf")
    pages = _boxes(workdir / "khao-sat.errors.pdf")
    words = [box for page in pages.values() for box in page]
    printed = " ".join(w for *_, w in words)
    assert all(re.search(rf"CO-{n}\b", printed) for n in range(12)), printed  # every rejected row on the paper
    assert printed.count("đăng ký") >= 12, printed  # "… chưa có trong sổ đăng ký …": every reason printed
    for number, page in pages.items():
        clashes = [(a[4], b[4]) for a, b in itertools.combinations(page, 2) if _overlap(a, b) > 0.25]
        assert not clashes, f"page {number}: words printed over each other: {clashes[:5]}"
