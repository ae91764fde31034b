"""`auditor init` and `auditor register …`: the database, and the asset register."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.cli.common import AuditorGroup, common_options, echo, lang_option, notes, now, opened, today
from auditor.errors import InputFileError, RowsRejected
from auditor.facts import Said
from auditor.i18n import N_, Texts
from auditor.settings import Settings, mask_url

if TYPE_CHECKING:
    from auditor.jobs.importing import ImportResult

MAX_ERRORS_SHOWN = 20
KIND_CHOICE = click.Choice(["units", "devices", "links"])
KIND_NAMES = {"units": N_("units"), "devices": N_("devices"), "links": N_("links")}


@click.command()
@common_options
def init(settings: Settings) -> None:
    """Create the database, or upgrade its schema to this version (safe to run again).

    \b
    Example:
      auditor init --db sqlite:///inventory.db
    """
    from auditor.db.engine import init_database

    before, after = init_database(settings.db_url)
    where = mask_url(settings.db_url)
    if before is None:
        echo(f"Created the inventory schema (revision {after}) in {where}.")
    elif before == after:
        echo(f"The schema of {where} is up to date (revision {after}); nothing to do.")
    else:
        echo(f"Upgraded the schema of {where} from revision {before} to {after}.")


@click.group(cls=AuditorGroup)
def register() -> None:
    """The asset register: import survey spreadsheets, export, hand out the blank template."""


@register.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", type=KIND_CHOICE, help="What a CSV (or one-sheet workbook) holds, if its headers don't say.")
@click.option(
    "--dry-run", is_flag=True, help="Check every row and report, but write nothing (not even the errors file)."
)
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write rejected rows (default: FILE.errors.xlsx or .csv beside the input).",
)
@click.option(
    "--hidden-sheets", is_flag=True, help="Also import the sheets the workbook hides (passed over by default)."
)
@lang_option
@common_options
def import_(
    settings: Settings,
    file: Path,
    kind: str | None,
    dry_run: bool,
    errors_path: Path | None,
    hidden_sheets: bool,
    lang: str,
) -> None:
    """Import units, devices and links from an XLSX workbook or a CSV file.

    Sheets are recognised by name (Đơn vị / Thiết bị / Đường truyền, or Units / Devices / Links)
    or by their headers, in Vietnamese or English, with or without diacritics.  Good rows are
    imported in one transaction; rejected rows are listed and written, with the reason, to an
    errors file you can correct and import again.  Importing the same file twice changes nothing.
    A dry run writes nothing, unless --errors names a file for the rejected rows.  The messages
    and the errors file (which goes back to the unit) are in --lang.

    \b
    Example:
      auditor register import khao-sat-xa-anh-son.xlsx
    """
    from auditor.i18n import texts
    from auditor.jobs.importing import import_register
    from auditor.register.columns import SheetKind

    tr = texts(lang)
    with opened(settings) as database:
        try:
            result = import_register(
                file,
                database,
                now(),
                today(settings),
                kind=SheetKind(kind) if kind else None,
                dry_run=dry_run,
                errors_path=errors_path,
                lang=lang,
                hidden_sheets=hidden_sheets,
            )
        except InputFileError as exc:  # said again in the reader's language
            raise InputFileError(Said(exc.said.text(tr))) from exc
    _report(result, tr)


def _report(result: ImportResult, tr: Texts) -> None:
    """What an import did, in the reader's language; rejected rows end it with RowsRejected."""
    notes([note.text(tr) for note in result.notes])
    for name, counts in result.counts.items():
        what = tr(KIND_NAMES[name])
        echo(
            tr(
                "{what:8} {new} new, {updated} updated, {unchanged} unchanged",
                what=what,
                new=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
            )
        )
    if result.dry_run:
        if result.errors_file:
            echo(tr("Dry run: nothing was written but the errors file {file}.", file=result.errors_file))
        else:
            echo(tr("Dry run: nothing was written."))
    if result.errors:
        for error in result.errors[:MAX_ERRORS_SHOWN]:
            click.echo(f"  {error.where}: {error.text(tr)}", err=True)
        rest = len(result.errors) - MAX_ERRORS_SHOWN
        if rest > 0 and result.errors_file:
            click.echo(tr("  … and {n} more in the errors file", n=rest), err=True)
        elif rest > 0:
            click.echo(tr("  … and {n} more (--errors FILE writes them all to a file)", n=rest), err=True)
        if result.errors_file:
            then = tr("Correct the rows in {file} and import that file.", file=result.errors_file)
        else:
            then = tr("Correct them and check again; add --errors FILE to get them in a file to correct.")
        if result.dry_run:
            said = tr(
                "{n} row(s) rejected; the other {ok} were checked. {then}",
                n=len(result.errors),
                ok=result.imported,
                then=then,
            )
        else:
            said = tr(
                "{n} row(s) rejected; the other {ok} were imported. {then}",
                n=len(result.errors),
                ok=result.imported,
                then=then,
            )
        raise RowsRejected(said)


@register.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@lang_option
def template(file: Path, lang: str) -> None:
    """Write the blank survey workbook that units fill in and send back.

    It has an instructions sheet, the Units, Devices and Links sheets with drop-down lists for
    category, condition and unit kind, and the lists themselves.

    \b
    Example:
      auditor register template phieu-khao-sat.xlsx --lang vi
    """
    from auditor.register.writers import write_register_workbook

    if file.suffix.lower() != ".xlsx":
        raise click.BadParameter("the template is an .xlsx workbook; name the file *.xlsx", param_hint="FILE")
    write_register_workbook(file, lang)
    click.echo(f"Wrote the survey template to {file}.")


@register.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@lang_option
@click.option("--kind", type=KIND_CHOICE, default="devices", show_default=True, help="For CSV: which table.")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's devices and links.")
@common_options
def export(settings: Settings, file: Path, lang: str, kind: str, unit_code: str | None) -> None:
    """Write the register out as XLSX (all three sheets) or CSV (one table).  No SNMP secrets.

    The workbook has the template's layout, so it can be edited and imported back.

    \b
    Example:
      auditor register export so-dang-ky.xlsx
    """
    from auditor.jobs.export import export_register
    from auditor.register.columns import SheetKind

    if file.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("name the file *.xlsx or *.csv", param_hint="FILE")
    with opened(settings) as database:
        done = export_register(database, file, today(settings), lang=lang, kind=SheetKind(kind), unit_code=unit_code)
    if file.suffix.lower() == ".csv":
        count = {"units": len(done.units), "devices": len(done.devices), "links": len(done.links)}[kind]
        echo(f"Wrote {count} {kind} to {file}.")
    else:
        echo(f"Wrote {len(done.units)} units, {len(done.devices)} devices and {len(done.links)} links to {file}.")
