"""`auditor register import`: read a file, check every row, write the good ones in one transaction."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from auditor.db import repo
from auditor.db.engine import Database
from auditor.domain import RunKind, RunOutcome, fold
from auditor.errors import InputFileError
from auditor.facts import ImportCounts, ParsedRow, RowError
from auditor.register.columns import NON_DATA_SHEETS, SheetKind
from auditor.register.parse import ParsedSheet, parse_sheet
from auditor.register.readers import read_sheets
from auditor.register.writers import write_errors_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    file: Path
    counts: dict[str, ImportCounts]
    errors: tuple[RowError, ...]
    notes: tuple[str, ...]
    errors_file: Path | None
    dry_run: bool
    run_id: int | None

    @property
    def imported(self) -> int:
        return sum(c.created + c.updated + c.unchanged for c in self.counts.values())


def default_errors_path(source: Path) -> Path:
    """Next to the input: khao-sat.xlsx → khao-sat.errors.xlsx (a CSV's errors go to a CSV)."""
    suffix = ".csv" if source.suffix.lower() in (".csv", ".txt", ".tsv") else ".xlsx"
    return source.with_name(f"{source.stem}.errors{suffix}")


def parse_file(path: Path, today: dt.date, kind: SheetKind | None = None) -> list[ParsedSheet]:
    """Every data sheet of the file, parsed; the file-level problems raise InputFileError."""
    sheets = read_sheets(path)
    data_sheets = [s for s in sheets if s.name is None or fold(s.name) not in NON_DATA_SHEETS]
    if kind is not None and len(data_sheets) > 1:
        raise InputFileError(
            f"{path.name}: --kind applies to a CSV or a one-sheet workbook, and this "
            f"workbook has {len(data_sheets)} sheets; name them Đơn vị / Thiết bị / Đường truyền"
        )
    parsed = [parse_sheet(sheet, today, kind) for sheet in data_sheets]
    if not any(p.kind for p in parsed):
        notes = "; ".join(n for p in parsed for n in p.notes) or "the file is empty"
        raise InputFileError(
            f"{path.name}: found no units, devices or links to import ({notes}). Use the "
            "headers of `auditor register template`, or pass --kind for a CSV"
        )
    return parsed


def import_register(
    path: Path,
    database: Database,
    today: dt.date,
    *,
    kind: SheetKind | None = None,
    dry_run: bool = False,
    errors_path: Path | None = None,
) -> ImportResult:
    parsed = parse_file(path, today, kind)
    rows: dict[SheetKind, list[ParsedRow]] = {k: [] for k in SheetKind}
    errors: list[RowError] = []
    notes: list[str] = []
    for sheet in parsed:
        if sheet.kind is not None:
            rows[sheet.kind].extend(sheet.rows)
        errors.extend(sheet.errors)
        notes.extend(sheet.notes)

    run_id = None
    # One transaction for the whole file; a dry run does all the work, then rolls it back.
    with database.session(commit=not dry_run) as session:
        applied = repo.apply_register(session, rows[SheetKind.UNITS], rows[SheetKind.DEVICES], rows[SheetKind.LINKS])
        errors.extend(applied.errors)
        notes.extend(applied.notes)
        if not dry_run:
            counts = {k: vars(c) for k, c in applied.counts.items()} | {"rejected": len(errors)}
            outcome = RunOutcome.PARTIAL if errors else RunOutcome.OK
            run_id = repo.record_run(session, RunKind.IMPORT, outcome, counts, message=path.name).id

    errors.sort(key=lambda e: (e.where.sheet or "", e.where.row))
    written = None
    if errors:
        written = errors_path or default_errors_path(path)
        write_errors_file(written, errors, {sheet.name: sheet.headers for sheet in parsed})
    return ImportResult(path, applied.counts, tuple(errors), tuple(notes), written, dry_run, run_id)
