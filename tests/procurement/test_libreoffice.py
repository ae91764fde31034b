"""LibreOffice opens the workbook, computes every formula, and the totals are the planner's."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.procurement.test_workbook import _province

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (Debian libreoffice-calc); .ci/run installs it"
)


def _amount(text: str) -> int:
    digits = re.sub(r"[^\d]", "", text)
    return int(digits) if digits else 0


def test_libreoffice_computes_the_planners_totals(auditor: Cli, workdir: Path) -> None:
    _province(auditor, workdir)
    auditor.ok("export", "procurement", "danh-muc.xlsx")
    auditor.ok("export", "procurement", "danh-muc.json")
    planned = json.loads((workdir / "danh-muc.json").read_text(encoding="utf-8"))
    assert SOFFICE is not None
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{workdir / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(workdir / "out"),
            str(workdir / "danh-muc.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    with (workdir / "out" / "danh-muc.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    (total,) = [row for row in rows if len(row) > 7 and row[1] == "TỔNG CỘNG"]
    assert _amount(total[7]) == planned["total_vnd"] > 0
    sections = {
        row[1].rsplit("(", 1)[1].rstrip(")"): _amount(row[7]) for row in rows if len(row) > 7 and row[0] in ("I", "II")
    }
    by_unit: dict[str, int] = {}
    for line in planned["lines"]:
        by_unit[line["unit_code"]] = by_unit.get(line["unit_code"], 0) + (line["amount_vnd"] or 0)
    assert sections == by_unit
