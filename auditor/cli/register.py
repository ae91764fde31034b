"""`auditor init` and `auditor register …`: the database, and the asset register."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.common import AuditorGroup, common_options, echo, lang_option, notes, now, opened, today
from auditor.errors import RowsRejected
from auditor.settings import Settings, mask_url

MAX_ERRORS_SHOWN = 20
KIND_CHOICE = click.Choice(["units", "devices", "links"])


@click.command()
@common_options
def init(settings: Settings) -> None:
    """Create the database, or upgrade its schema to this version (safe to run again).

    Example: auditor init --db sqlite:///inventory.db
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
@common_options
def import_(settings: Settings, file: Path, kind: str | None, dry_run: bool, errors_path: Path | None) -> None:
    """Import units, devices and links from an XLSX workbook or a CSV file.

    Sheets are recognised by name (Đơn vị / Thiết bị / Đường truyền, or Units / Devices / Links)
    or by their headers, in Vietnamese or English, with or without diacritics.  Good rows are
    imported in one transaction; rejected rows are listed and written, with the reason, to an
    errors file you can correct and import again.  Importing the same file twice changes nothing.
    A dry run writes nothing, unless --errors names a file for the rejected rows.

    Example: auditor register import khao-sat-xa-anh-son.xlsx
    """
    from auditor.jobs.importing import import_register
    from auditor.register.columns import SheetKind

    with opened(settings) as database:
        result = import_register(
            file,
            database,
            now(),
            today(),
            kind=SheetKind(kind) if kind else None,
            dry_run=dry_run,
            errors_path=errors_path,
        )
    notes(result.notes)
    for name, counts in result.counts.items():
        echo(f"{name:8} {counts.created} new, {counts.updated} updated, {counts.unchanged} unchanged")
    if result.dry_run:
        echo(
            "Dry run: nothing was written"
            + (f" but the errors file {result.errors_file}." if result.errors_file else ".")
        )
    if result.errors:
        for error in result.errors[:MAX_ERRORS_SHOWN]:
            click.echo(f"  {error}", err=True)
        if len(result.errors) > MAX_ERRORS_SHOWN:
            rest = "in the errors file" if result.errors_file else "(--errors FILE writes them all to a file)"
            click.echo(f"  … and {len(result.errors) - MAX_ERRORS_SHOWN} more {rest}", err=True)
        kept = "were checked" if result.dry_run else "were imported"
        then = (
            f"Correct the rows in {result.errors_file} and import that file."
            if result.errors_file
            else "Correct them and check again; add --errors FILE to get them in a file to correct."
        )
        raise RowsRejected(f"{len(result.errors)} row(s) rejected; the other {result.imported} {kept}. {then}")


@register.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@lang_option
def template(file: Path, lang: str) -> None:
    """Write the blank survey workbook that units fill in and send back.

    It has an instructions sheet, the Units, Devices and Links sheets with drop-down lists for
    category, condition and unit kind, and the lists themselves.

    Example: auditor register template phieu-khao-sat.xlsx --lang vi
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

    Example: auditor register export so-dang-ky.xlsx
    """
    from auditor.jobs.export import export_register
    from auditor.register.columns import SheetKind

    if file.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("name the file *.xlsx or *.csv", param_hint="FILE")
    with opened(settings) as database:
        done = export_register(database, file, today(), lang=lang, kind=SheetKind(kind), unit_code=unit_code)
    if file.suffix.lower() == ".csv":
        count = {"units": len(done.units), "devices": len(done.devices), "links": len(done.links)}[kind]
        echo(f"Wrote {count} {kind} to {file}.")
    else:
        echo(f"Wrote {len(done.units)} units, {len(done.devices)} devices and {len(done.links)} links to {file}.")
