"""`auditor register import`: read a file, check every row, write the good ones in one transaction,
and hand the rejected ones back in an errors file the clerk can correct and import again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from auditor.db import history, register, runs
from auditor.db.engine import Database
from auditor.domain import RunKind, RunOutcome
from auditor.errors import AuditorError, InputFileError
from auditor.facts import ImportCounts, ParsedRow, RowError, Said, said
from auditor.i18n import N_
from auditor.register.columns import SheetKind
from auditor.register.files import default_errors_path, parse_file
from auditor.register.writers import write_errors_file


@dataclass(frozen=True)
class ImportResult:
    file: Path
    counts: dict[str, ImportCounts]
    errors: tuple[RowError, ...]
    notes: tuple[Said, ...]
    errors_file: Path | None  # None: no rows rejected, or a dry run not asked for one
    dry_run: bool
    run_id: int | None

    @property
    def imported(self) -> int:
        return sum(c.created + c.updated + c.unchanged for c in self.counts.values())


def import_register(
    path: Path,
    database: Database,
    now: dt.datetime,
    today: dt.date,
    *,
    kind: SheetKind | None = None,
    dry_run: bool = False,
    errors_path: Path | None = None,
    lang: str = "vi",
    hidden_sheets: bool = False,
) -> ImportResult:
    """Import `path`.  `today` is the clerk's date (a year in the future is refused against it),
    `now` the moment stored with the rows.  A dry run writes nothing, not even the errors file,
    unless `errors_path` asks for one; it is written in `lang`, for the unit that sent the file."""
    if errors_path is not None and errors_path.resolve() == path.resolve():
        raise InputFileError(
            said(
                N_("{file}: --errors names the file being imported; the errors file would overwrite it"), file=path.name
            )
        )
    parsed = parse_file(path, today, kind, hidden_sheets=hidden_sheets)
    rows: dict[SheetKind, list[ParsedRow]] = {k: [] for k in SheetKind}
    errors: list[RowError] = []
    notes: list[Said] = []
    for sheet in parsed:
        if sheet.kind is not None:
            rows[sheet.kind].extend(sheet.rows)
        errors.extend(sheet.errors)
        notes.extend(sheet.notes)

    run_id, written = None, None
    # One transaction for the whole file; a dry run does all the work, then rolls it back.  The
    # errors file is written before the commit: rows it cannot hand back are never left unsaid.
    with database.session(commit=not dry_run) as session:
        register.lock_register(session)  # a second import at once waits for this one to end
        history.changes_by(session, f"import {path.name}", now)
        applied = register.apply_register(
            session, rows[SheetKind.UNITS], rows[SheetKind.DEVICES], rows[SheetKind.LINKS], now
        )
        errors.extend(applied.errors)
        notes.extend(applied.notes)
        errors.sort(key=lambda e: (e.where.sheet or "", e.where.row))
        if errors and (errors_path is not None or not dry_run):
            written = errors_path or default_errors_path(path)
            try:
                write_errors_file(written, errors, {sheet.name: sheet.headers for sheet in parsed}, lang)
            except AuditorError as exc:
                raise AuditorError(
                    f"{exc}; the rejected rows could not be handed back, so nothing was imported"
                ) from exc
        if not dry_run:
            counts = {k: vars(c) for k, c in applied.counts.items()} | {"rejected": len(errors)}
            outcome = RunOutcome.PARTIAL if errors else RunOutcome.OK
            run_id = runs.record_run(session, RunKind.IMPORT, outcome, counts, now, message=path.name).id
    return ImportResult(path, applied.counts, tuple(errors), tuple(notes), written, dry_run, run_id)
