"""What every command shares: the options that may stand before or after the command's name, the
logging they set up, errors as "Error: …" lines, the output formats, the SNMP options."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import sys
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditor.config import load_settings
from auditor.errors import AuditorError
from auditor.i18n import DEFAULT_LANG, LANGS
from auditor.output import FORMATS, plain, render
from auditor.settings import PollOptions, Settings, url_has_password

if TYPE_CHECKING:  # the database layer is imported by the commands that use it: a quicker start
    from auditor.db.engine import Database

F = TypeVar("F", bound=Callable[..., Any])
NOTES_SHOWN = 5  # on stderr; the log file has them all
log = logging.getLogger("auditor")
notes_log = logging.getLogger("auditor.notes")


class AuditorGroup(click.Group):
    """A group that turns AuditorError into "Error: …" and its exit code, with no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AuditorError as exc:
            if log.handlers:  # the log file keeps it; stderr has it once, below (never twice through lastResort)
                log.error("%s", exc, extra={"shown": False})
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


class _StderrFormat(logging.Formatter):
    """Notes read "Note: …" on a terminal; other records say their level and logger."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == notes_log.name:
            return f"Note: {record.getMessage()}"
        return f"{record.levelname} {record.name}: {record.getMessage()}"


def _shown(record: logging.LogRecord) -> bool:
    return getattr(record, "shown", True)


def setup_logging(verbose: int, quiet: bool, log_file: Path | None) -> None:
    """The `auditor` logger: stderr gets warnings and notes (-v info, -vv debug; --quiet nothing but
    errors when there is no log file, nothing at all when there is one); a log file gets info and up."""
    logger = logging.getLogger("auditor")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(_StderrFormat())
    stderr.addFilter(_shown)
    stderr.setLevel((logging.CRITICAL + 1 if log_file else logging.ERROR) if quiet else level)
    logger.addHandler(stderr)
    lowest = stderr.level
    if log_file is not None:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(
                f"cannot write the log file {log_file}: {exc.strerror}; create its directory or choose another",
                param_hint="--log-file",
            ) from exc
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.setLevel(min(level, logging.INFO))
        logger.addHandler(handler)
        lowest = min(lowest, handler.level)
    logger.setLevel(lowest)


def notes(lines: Sequence[str]) -> None:
    """Notes of a run: every one to the log file, the first few to stderr (none with --quiet)."""
    for index, line in enumerate(lines):
        notes_log.warning("%s", line, extra={"shown": index < NOTES_SHOWN})
    if len(lines) > NOTES_SHOWN:
        notes_log.warning(
            "… and %d more (--log-file FILE keeps them all)", len(lines) - NOTES_SHOWN, extra={"shown": True}
        )


def quiet() -> bool:
    """Whether --quiet was given, before the command's name or after it."""
    ctx = click.get_current_context()
    return bool(_shared(ctx, "quiet", ctx.params.get("quiet", False)))


def _shared(ctx: click.Context, name: str, value: Any) -> Any:
    """A shared option's value: the command's own, else the one given before the command's name."""
    if value:
        return value
    while ctx.parent is not None:
        ctx = ctx.parent
        if ctx.params.get(name):
            return ctx.params[name]
    return value


def shared_options(func: F) -> F:
    """--db, --config, -v, --quiet and --log-file: on the root (before the command) and on commands."""
    for option in reversed(
        [
            click.option(
                "--db", "db_url", metavar="URL", help="Database URL (default sqlite:///inventory.db; or AUDITOR_DB)."
            ),
            click.option(
                "--config",
                "config_file",
                metavar="FILE",
                type=click.Path(dir_okay=False),
                help="Settings file (default ./auditor.toml if present; or AUDITOR_CONFIG).",
            ),
            click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug)."),
            click.option(
                "--quiet",
                is_flag=True,
                help="No report on success (listings still print): problems go to the log file and the exit code.",
            ),
            click.option(
                "--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Also log to this file (appended)."
            ),
        ]
    ):
        func = option(func)
    return func


def common_options(func: F) -> F:
    """The shared options, resolved into Settings (the command's first argument) and the logging."""

    @shared_options
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        db_url: str | None,
        config_file: str | None,
        verbose: int,
        quiet: bool,
        log_file: Path | None,
        **kwargs: Any,
    ) -> Any:
        ctx = click.get_current_context()
        ctx.params["quiet"] = _shared(ctx, "quiet", quiet)
        setup_logging(_shared(ctx, "verbose", verbose), ctx.params["quiet"], _shared(ctx, "log_file", log_file))
        given = _shared(ctx, "db_url", db_url)
        if given and url_has_password(given):
            log.warning(
                "--db carries a password, which anyone on this machine can read in `ps`: give the URL "
                "in AUDITOR_DB (or the config file), or the password in ~/.pgpass or the file PGPASSFILE names"
            )
        settings = load_settings(_shared(ctx, "config_file", config_file), db_url=given)
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


def snmp_options(func: F) -> F:
    """--timeout, --retries, --concurrency, --workers and --scans-dir: the command gets `scans_dir`,
    and the other four among its keyword arguments, for `poll_options`."""
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


def poll_options(settings: Settings, overrides: dict[str, Any], **more: Any) -> PollOptions:
    """The run's PollOptions, from the settings and the snmp_options a command was given."""
    flags = {k: overrides.pop(k) for k in ("timeout_s", "retries", "concurrency", "workers")}
    return PollOptions.from_settings(settings, **flags, **more)


def now() -> dt.datetime:
    """The moment a command runs: the one clock reading, handed to its job."""
    from auditor.jobs.clock import system_now

    return system_now()


def today(settings: Settings) -> dt.date:
    """The day it is where the Office is (`timezone`): the clerk's day, for dates in a register."""
    return now().astimezone(zoneinfo.ZoneInfo(settings.timezone)).date()


def opened(settings: Settings) -> Database:
    """The inventory, to use as `with opened(settings) as database:`."""
    from auditor.db.engine import open_database

    return open_database(settings.db_url)


def echo(text: str) -> None:
    """A command's report of what it did, on stdout, unless --quiet (a listing's rows are always printed)."""
    if not quiet():
        click.echo(text)


def listing(rows: Sequence[Any], fmt: str, columns: Sequence[tuple[str, str]], settings: Settings) -> str:
    """Views (dataclasses) rendered: enums as keys, dates as ISO 8601, times local (`timezone`)
    to the minute, evidence as JSON in a CSV."""
    return local_rows([asdict(row) for row in rows], fmt, columns, settings)


def local_rows(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[tuple[str, str]], settings: Settings) -> str:
    """Rows rendered with their times local to the Office, to the minute."""
    zone, human = zoneinfo.ZoneInfo(settings.timezone), fmt != "json"
    return render([{k: plain(v, zone, human) for k, v in row.items()} for row in rows], fmt, columns)


# The reader's language: Vietnamese unless --lang or AUDITOR_LANG says English.
lang_option = click.option(
    "--lang",
    type=click.Choice(list(LANGS)),
    default=DEFAULT_LANG,
    envvar="AUDITOR_LANG",
    show_default=True,
    show_envvar=True,
    help="The language of the document.",
)
