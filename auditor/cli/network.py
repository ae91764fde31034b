"""`auditor scan`, `auditor poll`, `auditor agent` and `auditor agents`: looking at the network."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import (
    common_options,
    echo,
    format_option,
    listing,
    notes,
    now,
    opened,
    poll_options,
    quiet,
    snmp_options,
)
from auditor.config import check_agent_name
from auditor.errors import AuditorError, ConfigError
from auditor.settings import Secret, Settings

log = logging.getLogger("auditor")


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
        f"  answered SNMP  {report.snmp_ok:6}   identified {report.identified}"
        + (f", {report.known} known already" if report.known else ""),
        f"  unreachable    {report.unreachable:6}",
        f"  new devices    {report.new:6}"
        + (f"   ({report.unassigned} not assigned to a unit: scan with --unit)" if report.unassigned else ""),
        f"  updated        {report.updated:6}",
        f"  reboots        {report.reboots:6}",
    ]
    if report.tables_read:
        lines.append(
            f"  endpoints      {report.endpoints:6}   in the tables of {report.tables_read} router(s) and switch(es);"
            f" {report.endpoints_registered} registered (auditor endpoints list)"
        )
    if report.icmp != "ok":
        lines.append(f"  ICMP not used: {report.icmp}")
    lines.append(f"Results: {report.results_file}")
    echo("\n".join(lines))
    notes(report.notes)


def _observed(settings: Settings, title: str, label: str, run: Any, *args: Any, **kwargs: Any) -> None:
    """A scan or poll with a progress bar, the database closed however it ends, then the summary."""
    bar = _ProgressBar(label)
    try:
        with opened(settings) as database:
            report = run(database, settings, *args, progress=bar.step, on_total=bar.total, **kwargs)
    finally:
        bar.close()
    _summary(report, title)


@click.command("scan")
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
    scans_dir: Path,
    **snmp: Any,
) -> None:
    """Find what answers on the targets (ICMP), identify it (SNMP), and store it.

    TARGETS are addresses or networks.  Devices already in the inventory are updated; new ones
    are stored as discovered (not registered) in --unit, or unassigned.

    \b
    Example:
      auditor scan 10.38.5.0/24 --unit XA-HUNGPHUC
    """
    from auditor.jobs.scan import scan

    options = poll_options(settings, snmp, port=port, communities=tuple(Secret(c) for c in communities) or None)
    _observed(
        settings,
        "Scan",
        "Scanning",
        scan,
        targets,
        now(),
        unit_code=unit_code,
        options=options,
        allow_large=yes,
        scans_dir=scans_dir,
    )


@click.command("poll")
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
    settings: Settings, unit_code: str | None, group: str | None, links_only: bool, scans_dir: Path, **snmp: Any
) -> None:
    """Poll every device: ICMP reachability and round trip; SNMP uptime, reboots, identity.

    A device without SNMP still gets its ICMP result.  With --links, sample every link instead;
    when no link at all could be read the command fails (exit 1), so that cron reports it.
    Meant for cron (see README).

    \b
    Example:
      auditor poll --group nghe-an
    """
    from auditor.jobs.poll import poll

    options = poll_options(settings, snmp)
    if links_only:
        _link_sample(settings, unit_code, group, options)
        return
    _observed(
        settings, "Poll", "Polling", poll, now(), unit_code=unit_code, group=group, options=options, scans_dir=scans_dir
    )


def _link_sample(settings: Settings, unit_code: str | None, group: str | None, options: Any) -> None:
    from auditor.jobs.sample import sample_links
    from auditor.links.rates import REASONS

    with opened(settings) as database:
        report = sample_links(database, settings, now(), unit_code=unit_code, group=group, options=options)
    unknown = sum(report.unknown.values())
    why = ", ".join(f"{reason} {count}" for reason, count in sorted(report.unknown.items()))
    echo(
        "\n".join(
            [
                f"Link sample (run {report.run_id}): {report.links} links in {report.seconds:g} s",
                f"  counters read  {report.read:6}",
                f"  rates          {report.rates:6}",
                f"  unknown        {unknown:6}" + (f"   ({why})" if why else ""),
                f"  far ends       {report.far_ends_answering:6} of {report.far_ends} answering ping",
            ]
            + (
                [f"  not stored     {report.overtaken:6}   (another sampler stored these links meanwhile)"]
                if report.overtaken
                else []
            )
        )
    )
    for reason in sorted(report.unknown):
        log.info("%s: %s", reason, REASONS.get(reason, reason))
    notes(report.errors)
    if report.asked and not report.read:
        raise AuditorError(
            f"no router answered: none of the {report.asked} links with a router could be read (the first: "
            f"{report.errors[0]}); check the routers, the network and snmp.communities"
        )


@click.command("agent")
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
@click.option("--notify", is_flag=True, help="Mail each new event worth attention after each cycle ([notify]).")
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
    notify: bool,
    scans_dir: Path,
    **snmp: Any,
) -> None:
    """Run until stopped: sample the links every 5 minutes, poll the devices every 15.

    Several agents may serve one poller group when the database is PostgreSQL: each claims due
    devices and links in batches, with leases it renews by heartbeat; a dead agent's work is taken
    over when its leases expire.  On SQLite one agent runs at a time.  Stops cleanly on SIGTERM or
    Ctrl-C, after the batch under way (what is left stays due).  For systemd (see README).

    \b
    Example:
      auditor agent --group nghe-an --name nghe-an-1
    """
    from auditor.jobs.agent import agent_identity, run_agent

    if name is not None:
        try:
            check_agent_name(name, "--name")
        except ConfigError as exc:
            raise click.BadParameter(str(exc).removeprefix("--name: "), param_hint="--name") from exc
    if notify and not settings.notify.enabled:
        raise click.UsageError("--notify needs [notify] smtp_host, sender and recipients in auditor.toml")
    options = poll_options(settings, snmp)
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
        say=_say,
        notify=notify,
    )


def _say(text: str) -> None:
    """What the agent says of itself (started, a signal, stopped): on stderr unless --quiet, in the log."""
    log.info("%s", text, extra={"shown": False})
    if not quiet():
        click.echo(text, err=True)


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


@click.command("agents")
@format_option
@common_options
def agents_command(settings: Settings, fmt: str) -> None:
    """List the polling agents: group, state, last heartbeat, last cycle and its lag.

    STATE is running, stale (no heartbeat for a whole lease: the agent died or hangs, and its work
    is being taken over) or stopped.  LAG is how long after the cycle's moment on the grid the
    agent finished its share of it.

    \b
    Example:
      auditor agents --format json
    """
    from auditor.jobs.listings import agents

    with opened(settings) as database:
        found = agents(database, now())
    click.echo(listing(found, fmt, AGENT_COLUMNS, settings))
