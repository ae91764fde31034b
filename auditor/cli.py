"""The `auditor` command: thin click commands over library functions.

Exit codes: 0 success; 1 an error (including rows an import rejected); 2 wrong usage;
130 interrupted.  Every error is one "Error: …" line on stderr that says what to do.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from auditor import __version__
from auditor.config import Settings, check_agent_name, describe, load_settings
from auditor.domain import FindingKind
from auditor.errors import AuditorError, ConfigError, RowsRejected
from auditor.output import FORMATS, render, toml_text

F = TypeVar("F", bound=Callable[..., Any])
MAX_ERRORS_SHOWN = 20
log = logging.getLogger("auditor")


class AuditorGroup(click.Group):
    """A group that turns AuditorError into "Error: …" and its exit code, with no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AuditorError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def _setup_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logger = logging.getLogger("auditor")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)


def common_options(func: F) -> F:
    """--db, --config and -v, on every command that touches the inventory."""

    @click.option("--db", "db_url", metavar="URL", help="Database URL (default sqlite:///inventory.db; or AUDITOR_DB).")
    @click.option(
        "--config",
        "config_file",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="Settings file (default ./auditor.toml if present; or AUDITOR_CONFIG).",
    )
    @click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
    @functools.wraps(func)
    def wrapper(*args: Any, db_url: str | None, config_file: str | None, verbose: int, **kwargs: Any) -> Any:
        _setup_logging(verbose)
        settings = load_settings(config_file, db_url=db_url)
        return func(settings, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people; json or csv for scripts.",
    )(func)


def _today() -> dt.date:
    return dt.datetime.now().astimezone().date()


def _open(settings: Settings) -> Any:
    from auditor.db.engine import open_database

    return open_database(settings.db_url)


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit the IT equipment and data-network links of Party agencies and communes.

    Start with `auditor init`, import the register with `auditor register import`, and see
    README.md for scans, link polling, audits and the procurement workbook.
    """


@cli.command()
@common_options
def init(settings: Settings) -> None:
    """Create the database, or upgrade its schema to this version (safe to run again).

    Example: auditor init --db sqlite:///inventory.db
    """
    from auditor.config import mask_url
    from auditor.db.engine import init_database

    before, after = init_database(settings.db_url)
    where = mask_url(settings.db_url)
    if before is None:
        click.echo(f"Created the inventory schema (revision {after}) in {where}.")
    elif before == after:
        click.echo(f"The schema of {where} is up to date (revision {after}); nothing to do.")
    else:
        click.echo(f"Upgraded the schema of {where} from revision {before} to {after}.")


# ---------------------------------------------------------------- register


@cli.group(cls=AuditorGroup)
def register() -> None:
    """The asset register: import survey spreadsheets, export, hand out the blank template."""


KIND_CHOICE = click.Choice(["units", "devices", "links"])


@register.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", type=KIND_CHOICE, help="What a CSV (or one-sheet workbook) holds, if its headers don't say.")
@click.option("--dry-run", is_flag=True, help="Check every row and report, but write nothing.")
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

    Example: auditor register import khao-sat-xa-anh-son.xlsx
    """
    from auditor.register.columns import SheetKind
    from auditor.register.importer import import_register

    database = _open(settings)
    try:
        result = import_register(
            file, database, _today(), kind=SheetKind(kind) if kind else None, dry_run=dry_run, errors_path=errors_path
        )
    finally:
        database.close()
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
    for name, counts in result.counts.items():
        click.echo(f"{name:8} {counts.created} new, {counts.updated} updated, {counts.unchanged} unchanged")
    if result.dry_run:
        click.echo("Dry run: nothing was written.")
    if result.errors:
        for error in result.errors[:MAX_ERRORS_SHOWN]:
            click.echo(f"  {error}", err=True)
        if len(result.errors) > MAX_ERRORS_SHOWN:
            click.echo(f"  … and {len(result.errors) - MAX_ERRORS_SHOWN} more in the errors file", err=True)
        kept = "were checked" if result.dry_run else "were imported"
        raise RowsRejected(
            f"{len(result.errors)} row(s) rejected; the other {result.imported} {kept}. "
            f"Correct the rows in {result.errors_file} and import that file."
        )


@register.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
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
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--kind", type=KIND_CHOICE, default="devices", show_default=True, help="For CSV: which table.")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's devices and links.")
@common_options
def export(settings: Settings, file: Path, lang: str, kind: str, unit_code: str | None) -> None:
    """Write the register out as XLSX (all three sheets) or CSV (one table).  No SNMP secrets.

    The workbook has the template's layout, so it can be edited and imported back.

    Example: auditor register export so-dang-ky.xlsx
    """
    from auditor.db import repo
    from auditor.register.columns import SheetKind
    from auditor.register.writers import export_csv, write_register_workbook

    database = _open(settings)
    try:
        with database.session(commit=False) as session:
            repo.require_unit(session, unit_code)
            units = [u for u in repo.list_units(session) if not unit_code or u.code.lower() == unit_code.lower()]
            devices = repo.list_devices(session, _today(), unit_code)
            links = repo.list_links(session, unit_code)
    finally:
        database.close()
    if file.suffix.lower() == ".csv":
        export_csv(file, SheetKind(kind), units, devices, links)
        count = {"units": len(units), "devices": len(devices), "links": len(links)}[kind]
        click.echo(f"Wrote {count} {kind} to {file}.")
    elif file.suffix.lower() == ".xlsx":
        write_register_workbook(file, lang, units, devices, links, template=False)
        click.echo(f"Wrote {len(units)} units, {len(devices)} devices and {len(links)} links to {file}.")
    else:
        raise click.BadParameter("name the file *.xlsx or *.csv", param_hint="FILE")


# ---------------------------------------------------------------- discovery and polling


class _ProgressBar:
    """A progress bar on stderr, only when stderr is a terminal (cron mail stays clean)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def total(self, count: int) -> None:
        if count and sys.stderr.isatty():
            self.bar = click.progressbar(length=count, label=self.label, file=sys.stderr)
            self.bar.__enter__()

    def step(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _summary(report: Any, what: str) -> None:
    lines = [
        f"{what} (run {report.run_id}): {report.targets} address{'' if report.targets == 1 else 'es'} "
        f"in {report.seconds:g} s",
        f"  answered ping  {report.alive:6}",
        f"  answered SNMP  {report.snmp_ok:6}   identified {report.identified}",
        f"  unreachable    {report.unreachable:6}",
        f"  new devices    {report.new:6}"
        + (f"   ({report.unassigned} not assigned to a unit: scan with --unit)" if report.unassigned else ""),
        f"  updated        {report.updated:6}",
        f"  reboots        {report.reboots:6}",
    ]
    if report.icmp != "ok":
        lines.append(f"  ICMP not used: {report.icmp}")
    lines.append(f"Results: {report.results_file}")
    click.echo("\n".join(lines))
    for note in report.notes:
        click.echo(f"Note: {note}", err=True)


def _observed_run(
    settings: Settings, title: str, label: str, run: Callable[..., Any], *args: Any, **kwargs: Any
) -> None:
    """A scan or poll with a progress bar, the database closed however it ends, then the summary."""
    bar = _ProgressBar(label)
    database = _open(settings)
    try:
        report = run(database, settings, *args, progress=bar.step, on_total=bar.total, **kwargs)
    finally:
        bar.close()
        database.close()
    _summary(report, title)


def _link_sample(settings: Settings, unit_code: str | None, group: str | None, options: Any) -> None:
    from auditor.links.rates import REASONS
    from auditor.polling import sample_links

    database = _open(settings)
    try:
        report = sample_links(database, settings, unit_code=unit_code, group=group, options=options)
    finally:
        database.close()
    unknown = sum(report.unknown.values())
    why = ", ".join(f"{reason} {count}" for reason, count in sorted(report.unknown.items()))
    click.echo(
        "\n".join(
            [
                f"Link sample (run {report.run_id}): {report.links} links in {report.seconds:g} s",
                f"  counters read  {report.read:6}",
                f"  rates          {report.rates:6}",
                f"  unknown        {unknown:6}" + (f"   ({why})" if why else ""),
                f"  far ends       {report.far_ends_answering:6} of {report.far_ends} answering ping",
            ]
        )
    )
    for reason in sorted(report.unknown):
        log.info("%s: %s", reason, REASONS.get(reason, reason))
    for error in report.errors:
        click.echo(f"Note: {error}", err=True)


def snmp_options(func: F) -> F:
    for option in reversed(
        [
            click.option("--timeout", "timeout_s", type=click.FloatRange(0.05, 60), help="SNMP timeout, seconds."),
            click.option("--retries", type=click.IntRange(0, 10), help="SNMP retries after the first try."),
            click.option("--concurrency", type=click.IntRange(1, 5000), help="SNMP requests in flight (default 200)."),
            click.option(
                "--workers",
                type=click.IntRange(1, 64),
                help="Processes for runs of 2,000+ addresses (default: one per core, at most 4).",
            ),
            click.option(
                "--scans-dir",
                type=click.Path(file_okay=False, path_type=Path),
                default=Path("scans"),
                show_default=True,
                help="Where each run's JSON-lines results go.",
            ),
        ]
    ):
        func = option(func)
    return func


@cli.command("scan")
@click.argument("targets", nargs=-1, required=True)
@click.option("--unit", "unit_code", metavar="CODE", help="The unit new devices belong to.")
@click.option(
    "--community",
    "communities",
    multiple=True,
    metavar="C",
    help="A community to try (repeatable). Visible in `ps`: prefer the config or AUDITOR_SNMP_COMMUNITIES.",
)
@click.option("--port", type=click.IntRange(1, 65535), help="SNMP port (default 161).")
@click.option("--yes", is_flag=True, help="Allow a scan of more than 65,536 addresses.")
@snmp_options
@common_options
def scan_command(
    settings: Settings,
    targets: tuple[str, ...],
    unit_code: str | None,
    communities: tuple[str, ...],
    port: int | None,
    yes: bool,
    timeout_s: float | None,
    retries: int | None,
    concurrency: int | None,
    workers: int | None,
    scans_dir: Path,
) -> None:
    """Find what answers on the targets (ICMP), identify it (SNMP), and store it.

    TARGETS are addresses or networks.  Devices already in the inventory are updated; new ones
    are stored as discovered (not registered) in --unit, or unassigned.

    Example: auditor scan 10.38.5.0/24 --unit XA-HUNGPHUC
    """
    from auditor.config import Secret
    from auditor.polling import PollOptions, scan

    options = PollOptions.from_settings(
        settings,
        port=port,
        timeout_s=timeout_s,
        retries=retries,
        concurrency=concurrency,
        workers=workers,
        communities=tuple(Secret(c) for c in communities) or None,
    )
    _observed_run(
        settings,
        "Scan",
        "Scanning",
        scan,
        targets,
        unit_code=unit_code,
        options=options,
        allow_large=yes,
        scans_dir=scans_dir,
    )


@cli.command("poll")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's devices.")
@click.option("--group", metavar="G", help="Only the devices of units in this poller group.")
@click.option(
    "--links",
    "links_only",
    is_flag=True,
    help="Sample the links instead (counters, rates, far-end ICMP): the 5-minute cron job.",
)
@snmp_options
@common_options
def poll_command(
    settings: Settings,
    unit_code: str | None,
    group: str | None,
    links_only: bool,
    timeout_s: float | None,
    retries: int | None,
    concurrency: int | None,
    workers: int | None,
    scans_dir: Path,
) -> None:
    """Poll every device: ICMP reachability and round trip; SNMP uptime, reboots, identity.

    A device without SNMP still gets its ICMP result.  Meant for cron (see README).

    Example: auditor poll --group nghe-an
    """
    from auditor.polling import PollOptions, poll

    options = PollOptions.from_settings(
        settings, timeout_s=timeout_s, retries=retries, concurrency=concurrency, workers=workers
    )
    if links_only:
        _link_sample(settings, unit_code, group, options)
        return
    _observed_run(
        settings, "Poll", "Polling", poll, unit_code=unit_code, group=group, options=options, scans_dir=scans_dir
    )


# ---------------------------------------------------------------- listings

UNIT_COLUMNS = [
    ("code", "CODE"),
    ("name", "NAME"),
    ("kind", "KIND"),
    ("staff_count", "STAFF"),
    ("poller_group", "GROUP"),
    ("devices", "DEVICES"),
    ("links", "LINKS"),
]
DEVICE_COLUMNS = [
    ("id", "ID"),
    ("unit_code", "UNIT"),
    ("hostname", "HOSTNAME"),
    ("ip", "IP"),
    ("category", "CATEGORY"),
    ("vendor", "VENDOR"),
    ("model", "MODEL"),
    ("serial", "SERIAL"),
    ("asset_tag", "ASSET TAG"),
    ("age_years", "AGE"),
    ("age_source", "AGE FROM"),
    ("registered", "REGISTERED"),
    ("reachable", "UP"),
]
LINK_COLUMNS = [
    ("unit_code", "UNIT"),
    ("name", "NAME"),
    ("provider", "PROVIDER"),
    ("capacity_down_mbps", "DOWN Mbps"),
    ("capacity_up_mbps", "UP Mbps"),
    ("device", "DEVICE"),
    ("interface", "INTERFACE"),
    ("far_end_ip", "FAR END"),
]


def _listing(settings: Settings, fetch: Callable[[Any], list[Any]], unit_code: str | None) -> list[dict[str, Any]]:
    from auditor.db import repo

    database = _open(settings)
    try:
        with database.session(commit=False) as session:
            repo.require_unit(session, unit_code)
            return [asdict(view) for view in fetch(session)]
    finally:
        database.close()


@cli.group(cls=AuditorGroup)
def units() -> None:
    """The audited units: provincial boards, the Fatherland Front, commune and ward committees."""


@units.command("list")
@format_option
@common_options
def units_list(settings: Settings, fmt: str) -> None:
    """List the units with their staff counts and how many devices and links each has.

    Example: auditor units list --format json
    """
    from auditor.db import repo

    click.echo(render(_listing(settings, repo.list_units, None), fmt, UNIT_COLUMNS))


@cli.group(cls=AuditorGroup)
def devices() -> None:
    """Equipment, registered or discovered."""


@devices.command("list")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's devices.")
@format_option
@common_options
def devices_list(settings: Settings, unit_code: str | None, fmt: str) -> None:
    """List devices with identity, age and reachability (JSON keys are stable for scripts).

    Example: auditor devices list --unit XA-ANHSON --format csv > thiet-bi.csv
    """
    from auditor.db import repo

    rows = _listing(settings, lambda s: repo.list_devices(s, _today(), unit_code), unit_code)
    click.echo(render(rows, fmt, DEVICE_COLUMNS))


@cli.group(cls=AuditorGroup)
def links() -> None:
    """The units' links to the dedicated data network."""


@links.command("list")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's links.")
@format_option
@common_options
def links_list(settings: Settings, unit_code: str | None, fmt: str) -> None:
    """List links with their contracted bandwidth, carrying device and far end.

    Example: auditor links list --format table
    """
    from auditor.db import repo

    click.echo(render(_listing(settings, lambda s: repo.list_links(s, unit_code), unit_code), fmt, LINK_COLUMNS))


@cli.command("agent")
@click.option(
    "--interval",
    "interval_s",
    type=click.FloatRange(1, 86_400),
    help="Seconds between link samples (default links.interval_s, 300).",
)
@click.option(
    "--poll-every",
    "poll_every_s",
    type=click.FloatRange(1, 86_400 * 7),
    help="Seconds between device polls (default agent.poll_every_s, 900).",
)
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit.")
@click.option("--group", metavar="G", help="Only the units of this poller group (default: every group).")
@click.option(
    "--name", metavar="NAME", help="This agent's name in `auditor agents` (default agent.name, or the host's)."
)
@click.option(
    "--lease",
    "lease_s",
    type=click.FloatRange(1, 3600),
    help="Seconds a claim lasts without a heartbeat (default agent.lease_s, 60).",
)
@click.option(
    "--batch", type=click.IntRange(1, 1_000_000), help="Devices or links claimed at a time (default agent.batch)."
)
@click.option("--cycles", "max_cycles", type=click.IntRange(1), help="Stop after this many cycles (default: run on).")
@snmp_options
@common_options
def agent_command(
    settings: Settings,
    interval_s: float | None,
    poll_every_s: float | None,
    unit_code: str | None,
    group: str | None,
    name: str | None,
    lease_s: float | None,
    batch: int | None,
    max_cycles: int | None,
    timeout_s: float | None,
    retries: int | None,
    concurrency: int | None,
    workers: int | None,
    scans_dir: Path,
) -> None:
    """Run until stopped: sample the links every 5 minutes, poll the devices every 15.

    Several agents may serve one poller group when the database is PostgreSQL: each claims due
    devices and links in batches, with leases it renews by heartbeat; a dead agent's work is taken
    over when its leases expire.  On SQLite one agent runs at a time.  Stops cleanly on SIGTERM or
    Ctrl-C, after the batch under way (what is left stays due).  For systemd (see README).

    Example: auditor agent --group nghe-an --name nghe-an-1
    """
    from auditor.agent import agent_identity, run_agent
    from auditor.polling import PollOptions

    if name is not None:
        try:
            check_agent_name(name, "--name")
        except ConfigError as exc:
            raise click.BadParameter(str(exc).removeprefix("--name: "), param_hint="--name") from exc
    options = PollOptions.from_settings(
        settings, timeout_s=timeout_s, retries=retries, concurrency=concurrency, workers=workers
    )
    run_agent(
        settings,
        interval_s=interval_s or settings.links.interval_s,
        poll_every_s=poll_every_s or settings.agent.poll_every_s,
        me=agent_identity(settings, name, group, lease_s),
        batch=batch or settings.agent.batch,
        unit_code=unit_code,
        options=options,
        max_cycles=max_cycles,
        scans_dir=scans_dir,
        say=lambda text: click.echo(text, err=True),
    )


AGENT_COLUMNS = [
    ("name", "NAME"),
    ("poller_group", "GROUP"),
    ("host", "HOST"),
    ("pid", "PID"),
    ("state", "STATE"),
    ("heartbeat_age_s", "HEARTBEAT s AGO"),
    ("cycle_tick", "LAST CYCLE"),
    ("lag_s", "LAG s"),
    ("devices_done", "DEVICES"),
    ("links_done", "LINKS"),
]


@cli.command("agents")
@format_option
@common_options
def agents_command(settings: Settings, fmt: str) -> None:
    """List the polling agents: group, state, last heartbeat, last cycle and its lag.

    STATE is running, stale (no heartbeat for a whole lease: the agent died or hangs, and its work
    is being taken over) or stopped.  LAG is how long after the cycle's moment on the grid the
    agent finished its share of it.

    Example: auditor agents --format json
    """
    from auditor.db import work

    database = _open(settings)
    try:
        with database.session(commit=False) as session:
            rows = [asdict(view) for view in work.list_agents(session, dt.datetime.now(dt.UTC))]
    finally:
        database.close()
    click.echo(render(rows, fmt, AGENT_COLUMNS))


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


@cli.command("findings")
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

    Example: auditor findings --kind over_age --format csv > thiet-bi-qua-han.csv
    """
    from auditor.db import repo

    rows = _listing(settings, lambda s: repo.list_findings(s, kind, unit_code, include_resolved), unit_code)
    if fmt == "csv":
        rows = [r | {"evidence": json.dumps(r["evidence"], ensure_ascii=False)} for r in rows]
    click.echo(render(rows, fmt, FINDING_COLUMNS))


@cli.command("audit")
@click.option("--no-poll", is_flag=True, help="Judge what the database holds; do not poll the devices first.")
@click.option(
    "--fail-on",
    "fail_on",
    type=FINDING_KINDS,
    multiple=True,
    help="Exit 3 when findings of this kind are open (repeatable).",
)
@click.option("--quiet", is_flag=True, help="Print nothing on success (cron mails only on trouble).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Also log to this file.")
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
@snmp_options
@common_options
def audit_command(
    settings: Settings,
    no_poll: bool,
    fail_on: tuple[str, ...],
    quiet: bool,
    log_file: Path | None,
    lock_wait: float,
    export_dir: Path | None,
    timeout_s: float | None,
    retries: int | None,
    concurrency: int | None,
    workers: int | None,
    scans_dir: Path,
) -> None:
    """The nightly job: poll the devices, apply every rule, update the findings.

    Findings are opened, refreshed, or resolved when their condition clears.  One audit at a
    time: an overlapping run waits up to --lock-wait seconds, then exits with a message.

    Example: auditor audit --quiet --fail-on link_congested --log-file /var/log/auditor/audit.log
    """
    from auditor.audit import nightly
    from auditor.db.engine import sqlite_path
    from auditor.db.work import AUDIT_LOCK, held_alone
    from auditor.files import exclusive
    from auditor.polling import PollOptions

    if log_file is not None:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger("auditor").addHandler(handler)
        logging.getLogger("auditor").setLevel(min(logging.getLogger("auditor").level or logging.INFO, logging.INFO))
    database_file = sqlite_path(settings.db_url)
    options = PollOptions.from_settings(
        settings, timeout_s=timeout_s, retries=retries, concurrency=concurrency, workers=workers
    )
    database = _open(settings)
    try:
        # One audit at a time per database: a lock file beside a SQLite file; on PostgreSQL, which
        # audits may reach from several machines, the server's advisory lock.
        alone = (
            exclusive(database_file.with_name(database_file.name + ".audit.lock"), lock_wait, "`auditor audit`")
            if database_file
            else held_alone(database.engine, AUDIT_LOCK, lock_wait, "`auditor audit`")
        )
        with alone:
            report, workbook, pruned = nightly(
                database, settings, poll_first=not no_poll, options=options, scans_dir=scans_dir, export_dir=export_dir
            )
    finally:
        database.close()
    if not quiet:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(report.open_by_kind.items())) or "none"
        click.echo(
            f"Audit (run {report.run_id}): {report.devices} devices, {report.links} links\n"
            f"  open findings: {kinds}\n"
            f"  new {report.new}, still open {report.still_open}, resolved {report.resolved}"
            + (f"\n  workbook: {workbook}" if workbook else "")
            + (f"\n  retention: {pruned.line()}" if pruned.samples_rolled_up or pruned.polls_deleted else "")
        )
    failing = {k: report.open_by_kind[k] for k in fail_on if report.open_by_kind.get(k)}
    if failing:
        click.echo("Failing on: " + ", ".join(f"{k} {n}" for k, n in sorted(failing.items())), err=True)
        click.get_current_context().exit(3)


@cli.command("prune")
@common_options
def prune_command(settings: Settings) -> None:
    """Apply the retention settings now (`auditor audit` does it after every audit).

    Link samples older than retention.link_samples_raw_days (30) become one row per link and
    hour; device polls older than retention.device_polls_days (90) are deleted.  The judged window
    (links.window_days) is always younger than the first, so no verdict changes.

    Example: auditor prune
    """
    from auditor.audit import prune

    database = _open(settings)
    try:
        report = prune(database, settings, dt.datetime.now(dt.UTC))
    finally:
        database.close()
    click.echo(f"Retention: {report.line()}.")


@cli.group("export", cls=AuditorGroup)
def export_group() -> None:
    """Documents for the Office and for other systems."""


@export_group.command("procurement")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "json"]), help="Default: from FILE's ending.")
@click.option("--replace-broken", is_flag=True, help="Also replace devices whose condition is broken.")
@common_options
def export_procurement(
    settings: Settings, file: Path, lang: str, unit_code: str | None, fmt: str | None, replace_broken: bool
) -> None:
    """Write the equipment investment list (danh mục đầu tư trang thiết bị) that follows the norms.

    XLSX: the list to print and sign (amounts as formulas), with sheets that back every line.
    CSV and JSON: the same lines, for other systems.

    Example: auditor export procurement danh-muc-de-xuat.xlsx
    """
    from auditor.audit import export_procurement as write

    fmt = fmt or file.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv", "json"):
        raise click.BadParameter("name the file *.xlsx, *.csv or *.json, or pass --format", param_hint="FILE")
    database = _open(settings)
    try:
        data = write(
            database,
            settings,
            file,
            dt.datetime.now(dt.UTC),
            fmt=fmt,
            lang=lang,
            unit_code=unit_code,
            replace_broken=replace_broken,
        )
    finally:
        database.close()
    click.echo(f"Wrote {len(data.plan.lines)} lines, total {data.plan.total_vnd():,} VND, to {file}.")
    for note in data.plan.notes:
        click.echo(f"Note: {note}", err=True)


LINK_REPORT_COLUMNS = [
    ("unit_code", "UNIT"),
    ("name", "LINK"),
    ("capacity_down_mbps", "DOWN"),
    ("capacity_up_mbps", "UP"),
    ("samples", "SAMPLES"),
    ("coverage_pct", "COVER %"),
    ("p95_in_mbps", "P95 IN"),
    ("p95_in_pct", "IN %"),
    ("p95_out_mbps", "P95 OUT"),
    ("p95_out_pct", "OUT %"),
    ("loss_pct", "LOSS %"),
    ("rtt_p95_ms", "RTT ms"),
    ("verdict", "VERDICT"),
    ("recommended_mbps", "UPGRADE TO"),
]


@links.command("report")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's links.")
@format_option
@common_options
def links_report(settings: Settings, unit_code: str | None, fmt: str) -> None:
    """Judge every link by the congestion test over the last window (default 7 days).

    Per link: contracted capacity, samples and coverage, the 95th percentile in and out (Mbps and
    % of capacity), loss, round trip, the verdict (ok, warning, congested, insufficient_data) and
    the bandwidth tier to upgrade to.  JSON and CSV add the maxima and the justification lines.

    Example: auditor links report --format json > danh-gia-duong-truyen.json
    """
    from auditor.audit import link_verdicts

    database = _open(settings)
    try:
        verdicts = link_verdicts(database, settings, dt.datetime.now(dt.UTC), unit_code)
    finally:
        database.close()
    click.echo(render([v.row() for v in verdicts], fmt, LINK_REPORT_COLUMNS))


# ---------------------------------------------------------------- config


@cli.group(cls=AuditorGroup)
def config() -> None:
    """The settings in force."""


@config.command()
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
@common_options
def show(settings: Settings, fmt: str) -> None:
    """Print the effective settings (defaults, auditor.toml, AUDITOR_* and flags), secrets masked.

    Example: auditor config show --config /etc/auditor/auditor.toml
    """
    tree = describe(settings)
    if fmt == "json":
        click.echo(json.dumps(tree, ensure_ascii=False, indent=2))
        return
    overridden = sorted(k for k, v in settings.sources.items() if v != "default")
    header = [f"# auditor {__version__}: settings in force"]
    header += [f"# {key} from {settings.sources[key]}" for key in overridden]
    click.echo("\n".join(header) + "\n\n" + toml_text(tree))
