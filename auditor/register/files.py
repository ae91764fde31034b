"""A register file read and checked: every data sheet of it parsed into rows and rejections."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditor.domain import fold
from auditor.errors import InputFileError
from auditor.facts import Joined, said
from auditor.i18n import N_
from auditor.register.columns import NON_DATA_SHEETS, SheetKind
from auditor.register.parse import ParsedSheet, parse_sheet
from auditor.register.readers import read_sheets


def default_errors_path(source: Path) -> Path:
    """Next to the input: khao-sat.xlsx → khao-sat.errors.xlsx (a CSV's errors go to a CSV)."""
    suffix = ".csv" if source.suffix.lower() in (".csv", ".txt", ".tsv") else ".xlsx"
    return source.with_name(f"{source.stem}.errors{suffix}")


def parse_file(
    path: Path, today: dt.date, kind: SheetKind | None = None, *, hidden_sheets: bool = False
) -> list[ParsedSheet]:
    """Every data sheet of the file, parsed; the file-level problems raise InputFileError.  A sheet
    the workbook hides is passed over with a note, unless `hidden_sheets`."""
    sheets = read_sheets(path)
    data_sheets = [s for s in sheets if s.name is None or fold(s.name) not in NON_DATA_SHEETS]
    passed_over = [
        ParsedSheet(
            None,
            notes=(
                said(
                    N_('{file}: sheet "{sheet}" is hidden in the workbook; passed over (--hidden-sheets imports it)'),
                    file=path.name,
                    sheet=s.name,
                ),
            ),
        )
        for s in data_sheets
        if s.hidden and not hidden_sheets
    ]
    data_sheets = [s for s in data_sheets if hidden_sheets or not s.hidden]
    if kind is not None and len(data_sheets) > 1:
        raise InputFileError(
            said(
                N_(
                    "{file}: --kind applies to a CSV or a one-sheet workbook, and this workbook has {n} sheets; "
                    "name them Đơn vị / Thiết bị / Đường truyền"
                ),
                file=path.name,
                n=len(data_sheets),
            )
        )
    parsed = passed_over + [parse_sheet(sheet, today, kind) for sheet in data_sheets]
    if not any(p.kind for p in parsed):
        found = [n for p in parsed for n in p.notes] or [said(N_("the file is empty"))]
        raise InputFileError(
            said(
                N_(
                    "{file}: found no units, devices or links to import ({notes}). Use the headers of "
                    "`auditor register template`, or pass --kind for a CSV"
                ),
                file=path.name,
                notes=Joined("", (), tuple(found)),
            )
        )
    return parsed
