"""`auditor audit`, `auditor findings`, `auditor prune` and `auditor export …`: the rules' results."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import (
    AuditorGroup,
    common_options,
    echo,
    format_option,
    lang_option,
    listing,
    notes,
    now,
    opened,
    poll_options,
    snmp_options,
)
from auditor.domain import FindingKind
from auditor.errors import AuditorError
from auditor.settings import Settings

log = logging.getLogger(__name__)

FINDING_COLUMNS = [
    ("kind", "KIND"),
    ("severity", "SEVERITY"),
    ("unit_code", "UNIT"),
    ("subject", "SUBJECT"),
    ("first_detected", "FIRST SEEN"),
    ("last_detected", "LAST SEEN"),
    ("resolved_at", "RESOLVED"),
]
FINDING_KINDS = click.Choice([k.value for k in FindingKind])


@click.command("findings")
@click.option("--kind", type=FINDING_KINDS, help="Only this kind.")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's findings.")
@click.option("--all", "include_resolved", is_flag=True, help="Resolved findings too.")
@format_option
@common_options
def findings_command(
    settings: Settings, kind: str | None, unit_code: str | None, include_resolved: bool, fmt: str
) -> None:
    """List what the last audit found, with its evidence (JSON and CSV carry the evidence).

    Kinds: over_age, unknown_age, unreachable, frequent_reboots, unregistered, missing,
    link_congested, link_warning, link_insufficient_data.

    \b
    Example:
      auditor findings --kind over_age --format csv > thiet-bi-qua-han.csv
    """
    from auditor.jobs.listings import findings_of

    with opened(settings) as database:
        found = findings_of(database, kind, unit_code, include_resolved)
    click.echo(listing(found, fmt, FINDING_COLUMNS, settings))


@click.command("audit")
@click.option("--no-poll", is_flag=True, help="Judge what the database holds; do not poll the devices first.")
@click.option(
    "--fail-on",
    "fail_on",
    type=FINDING_KINDS,
    multiple=True,
    help="Exit 3 when findings of this kind are open (repeatable).",
)
@click.option(
    "--lock-wait",
    type=click.FloatRange(0, 3600),
    default=60,
    show_default=True,
    help="Seconds to wait for an audit already running.",
)
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the procurement workbook to DIR/<date>/danh-muc-de-xuat.xlsx.",
)
@click.option("--notify", is_flag=True, help="Mail each new event worth attention, and a failed audit ([notify]).")
@snmp_options
@common_options
def audit_command(
    settings: Settings,
    no_poll: bool,
    fail_on: tuple[str, ...],
    lock_wait: float,
    export_dir: Path | None,
    notify: bool,
    scans_dir: Path,
    **snmp: Any,
) -> None:
    """The nightly job: poll the devices, apply every rule, update the findings.

    Findings are opened, refreshed, or resolved when their condition clears.  One audit at a
    time: an overlapping run waits up to --lock-wait seconds, then exits with a message.
    With --quiet it prints nothing unless something fails (a mail from cron only on trouble).

    \b
    Example:
      auditor audit --quiet --fail-on link_congested --log-file /var/log/auditor/audit.log
    """
    from auditor.jobs.audit import alone, nightly

    if notify and not settings.notify.enabled:
        raise click.UsageError("--notify needs [notify] smtp_host, sender and recipients in auditor.toml")
    options = poll_options(settings, snmp)
    try:
        with opened(settings) as database, alone(database, lock_wait):
            report, workbook, pruned = nightly(
                database,
                settings,
                now(),
                poll_first=not no_poll,
                options=options,
                scans_dir=scans_dir,
                export_dir=export_dir,
            )
            told = _tell(database, settings, None) if notify else None
    except AuditorError as exc:
        if notify:
            _failed(settings, str(exc))
        raise
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(report.open_by_kind.items())) or "none"
    echo(
        f"Audit (run {report.run_id}): {report.devices} devices, {report.links} links\n"
        f"  open findings: {kinds}\n"
        f"  new {report.new}, still open {report.still_open}, resolved {report.resolved}"
        + (f"\n  workbook: {workbook}" if workbook else "")
        + (f"\n  retention: {pruned.line()}" if pruned.samples_rolled_up or pruned.polls_deleted else "")
        + (f"\n  notified: {told.sent} sent, {told.open} still open" if told else "")
        + (f" ({told.failed} not sent: {told.error})" if told and told.failed else "")
    )
    failing = {k: report.open_by_kind[k] for k in fail_on if report.open_by_kind.get(k)}
    if failing:
        click.echo("Failing on: " + ", ".join(f"{k} {n}" for k, n in sorted(failing.items())), err=True)
        click.get_current_context().exit(3)


def _tell(database: Any, settings: Settings, failure: str | None) -> Any:
    """The audit's mails: what is new in the links and units; the audit's own failure, or its end."""
    from auditor.jobs.notify import notify_failures, notify_state

    notify_failures(database, settings, now(), {"audit": failure} if failure else {}, ("audit",))
    return notify_state(database, settings, now())


def _failed(settings: Settings, error: str) -> None:
    """The audit failed: say so by mail, through the database if it answers, else directly."""
    from auditor.jobs.notify import failure_mails, notify_failures
    from auditor.mail import send

    try:
        with opened(settings) as database:
            notify_failures(database, settings, now(), {"audit": error}, ("audit",))
    except AuditorError:  # the database itself is the trouble: no record of what was sent, mail anyway
        try:
            send(failure_mails(settings, now(), {"audit": error}), settings.notify)
        except AuditorError as exc:
            log.error("notify: %s", exc)


@click.command("prune")
@common_options
def prune_command(settings: Settings) -> None:
    """Apply the retention settings now (`auditor audit` does it after every audit).

    Link samples older than retention.link_samples_raw_days (default 30) become one row per link
    and hour; device polls older than retention.device_polls_days (default 14) are deleted, and
    so are the endpoints not seen for retention.endpoints_days (default 90): their open
    `unregistered` findings are resolved and kept.  Link samples are always kept raw for longer
    than the judged window (links.window_days, 7), so no verdict changes.

    \b
    Example:
      auditor prune
    """
    from auditor.jobs.prune import prune

    with opened(settings) as database:
        report = prune(database, settings, now())
    echo(f"Retention: {report.line()}.")


@click.group("export", cls=AuditorGroup)
def export_group() -> None:
    """Documents for the Office and for other systems."""


@export_group.command("procurement")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@lang_option
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit.")
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "pdf", "png", "csv", "json"]), help="Default: from FILE's ending."
)
@click.option("--replace-broken", is_flag=True, help="Also replace devices whose condition is broken.")
@common_options
def export_procurement(
    settings: Settings, file: Path, lang: str, unit_code: str | None, fmt: str | None, replace_broken: bool
) -> None:
    """Write the equipment investment list (danh mục đầu tư trang thiết bị) that follows the norms.

    XLSX: the list to print and sign (amounts as formulas), with sheets that back every line.
    PDF: the signed list as it prints (LibreOffice draws it); PNG: its first page.
    CSV and JSON: the same lines, for other systems.

    \b
    Example:
      auditor export procurement danh-muc-de-xuat.xlsx
    """
    from auditor.i18n import texts
    from auditor.jobs.export import export_procurement as write
    from auditor.procurement.texts import to_check

    fmt = fmt or file.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "pdf", "png", "csv", "json"):
        raise click.BadParameter(
            "name the file *.xlsx, *.pdf, *.png, *.csv or *.json, or pass --format", param_hint="FILE"
        )
    with opened(settings) as database:
        data = write(
            database, settings, file, now(), fmt=fmt, lang=lang, unit_code=unit_code, replace_broken=replace_broken
        )
    echo(f"Wrote {len(data.plan.lines)} lines, total {data.plan.total_vnd():,} VND, to {file}.")
    notes([to_check(note, texts(lang)) for note in data.plan.notes])


@export_group.command("inventory")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@lang_option
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), default="xlsx", show_default=True)
@common_options
def export_inventory(settings: Settings, directory: Path, lang: str, unit_code: str | None, fmt: str) -> None:
    """Write each unit's inventory record (biên bản kiểm kê thiết bị) for it to check and sign.

    One print-ready file per unit in DIRECTORY, named bien-ban-kiem-ke-<CODE>.xlsx (or .pdf,
    which LibreOffice draws): its devices, their ages and condition, its links, two signatures.

    \b
    Example:
      auditor export inventory bien-ban/ --format pdf
    """
    from auditor.jobs.export import export_inventory as write

    with opened(settings) as database:
        written = write(database, settings, directory, now(), fmt=fmt, lang=lang, unit_code=unit_code)
    echo(f"Wrote {len(written)} inventory record{'' if len(written) == 1 else 's'} to {directory}/.")
