"""`auditor units|links list`, `auditor links report` and `auditor config show`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from auditor import __version__
from auditor.cli.common import (
    AuditorGroup,
    common_options,
    format_option,
    lang_option,
    listing,
    local_rows,
    now,
    opened,
)
from auditor.config import describe
from auditor.output import toml_text
from auditor.settings import Settings

UNIT_COLUMNS = [
    ("code", "CODE"),
    ("name", "NAME"),
    ("kind", "KIND"),
    ("staff_count", "STAFF"),
    ("poller_group", "GROUP"),
    ("devices", "DEVICES"),
    ("links", "LINKS"),
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


@click.group(cls=AuditorGroup)
def units() -> None:
    """The audited units: provincial boards, the Fatherland Front, commune and ward committees."""


@units.command("list")
@format_option
@common_options
def units_list(settings: Settings, fmt: str) -> None:
    """List the units with their staff counts and how many devices and links each has.

    \b
    Example:
      auditor units list --format json
    """
    from auditor.jobs import listings

    with opened(settings) as database:
        click.echo(listing(listings.units(database), fmt, UNIT_COLUMNS, settings))


@click.group(cls=AuditorGroup)
def links() -> None:
    """The units' links to the dedicated data network."""


@links.command("list")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's links.")
@format_option
@common_options
def links_list(settings: Settings, unit_code: str | None, fmt: str) -> None:
    """List links with their contracted bandwidth, carrying device and far end.

    \b
    Example:
      auditor links list --format table
    """
    from auditor.jobs import listings

    with opened(settings) as database:
        click.echo(listing(listings.links(database, unit_code), fmt, LINK_COLUMNS, settings))


@links.command("report")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's links.")
@format_option
@common_options
def links_report(settings: Settings, unit_code: str | None, fmt: str) -> None:
    """Judge every link by the congestion test over the last window (default 7 days).

    Per link: contracted capacity, samples and coverage, the 95th percentile in and out (Mbps and
    % of capacity), loss, round trip, the verdict (ok, warning, congested, insufficient_data) and
    the bandwidth tier to upgrade to.  JSON and CSV add the maxima and the justification lines.

    \b
    Example:
      auditor links report --format json > danh-gia-duong-truyen.json
    """
    from auditor.jobs.judge import link_verdicts

    with opened(settings) as database:
        verdicts = link_verdicts(database, settings, now(), unit_code)
    windows = ({"window_start": v.judgement.window_start, "window_end": v.judgement.window_end} for v in verdicts)
    rows = [v.row() | window for v, window in zip(verdicts, windows, strict=True)]
    click.echo(local_rows(rows, fmt, LINK_REPORT_COLUMNS, settings))


@links.command("rebuild-hours")
@common_options
def links_rebuild_hours(settings: Settings) -> None:
    """Rebuild every link's hours (what the judgement reads) from the raw samples.

    Needed only after samples were changed outside auditor (a deletion by hand is noticed by the
    next judgement anyway, a change of a value is not).  A few links per transaction: samplers
    store meanwhile, and a stopped rebuild is finished by the next judgement.

    \b
    Example:
      auditor links rebuild-hours -v
    """
    from auditor.jobs.judge import rebuild_hours

    with opened(settings) as database:
        links = rebuild_hours(database)
    click.echo(
        "Rebuilt the link hours of 1 link from its samples."
        if links == 1
        else f"Rebuilt the link hours of {links} links from their samples."
    )


@links.command("graph")
@click.argument("link", metavar="[LINK]", required=False)
@click.option("--all", "every", is_flag=True, help="Every link of the province on one page, busiest first.")
@click.option("--days", type=click.FloatRange(min=0.01, max=366), help="The window (default links.window_days, 7).")
@click.option(
    "-o",
    "--output",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="FILE.png or FILE.svg",
)
@lang_option
@common_options
def links_graph(settings: Settings, link: str | None, every: bool, days: float | None, path: Path, lang: str) -> None:
    """Draw a link's traffic in and out over the window, as network engineers judge a link: the
    contracted capacity, the congestion line (links.congested_pct, 90 %), each direction's 95th
    percentile (the verdict's own), gaps left empty and unknown intervals shaded, local time.

    LINK is the link's id (`auditor links list --format json`) or UNIT/NAME; `--all` draws every
    link of the province on one page instead, sorted by the percentile.

    \b
    Example:
      auditor links graph XA-KIMLIEN -o xa-kimlien.png
      auditor links graph "XA-KIMLIEN/Truyền số liệu chuyên dùng" --days 30 -o xa-kimlien-30.svg
      auditor links graph --all -o toan-tinh.png
    """
    from auditor.jobs.graphs import graph_file

    if (link is None) == (not every):
        raise click.UsageError("give one LINK, or --all for every link")
    if path.suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter(f"{path}: a graph is written as .png or .svg", param_hint="-o")
    with opened(settings) as database:
        drawn = graph_file(database, settings, now(), path, ref=link, days=days, lang=lang)
    if every:
        click.echo(f"Wrote the graphs of {len(drawn)} link{'' if len(drawn) == 1 else 's'} to {path}.")
    else:
        g = drawn[0]
        click.echo(
            f"Wrote the graph of {g.unit_code} / {g.name} ({g.verdict.value}, {len(g.intervals)} intervals) to {path}."
        )


ENDPOINT_COLUMNS = [
    ("unit", "UNIT"),
    ("mac", "MAC"),
    ("ip", "IP"),
    ("vendor", "VENDOR"),
    ("netbios_name", "NETBIOS"),
    ("seen_on", "SEEN ON"),
    ("port", "PORT"),
    ("vlan", "VLAN"),
    ("sources", "SOURCES"),
    ("last_seen", "LAST SEEN"),
    ("device_id", "DEVICE"),
]


@click.group(cls=AuditorGroup)
def endpoints() -> None:
    """The endpoints (PCs, printers, phones…) the routers' and switches' tables show."""


@endpoints.command("list")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's endpoints.")
@click.option(
    "--unregistered", is_flag=True, help="Only the strangers: endpoints that match no device of the inventory."
)
@format_option
@common_options
def endpoints_list(settings: Settings, unit_code: str | None, unregistered: bool, fmt: str) -> None:
    """List every MAC seen in an ARP table, behind a switch's edge port, over LLDP/CDP or NetBIOS.

    Per endpoint: its MAC and latest address, the MAC's maker (IEEE's registry; "local" MACs,
    randomised or set by software, have none), the switch or router that saw it and on which port
    and VLAN, every source that saw it, when it was last seen (first seen too, in JSON and CSV),
    and the register's device it matched
    (by MAC, else its address when seen, else its NetBIOS name), or nothing.

    \b
    Example:
      auditor endpoints list --unit XA-HUNGPHUC --format csv > thiet-bi-dau-cuoi.csv
    """
    from auditor.jobs.endpoints import list_endpoints

    with opened(settings) as database:
        found = list_endpoints(database, unit_code, unregistered)
    rows = []
    for view in found:
        row = asdict(view)
        row["vendor"] = view.vendor or ("(local MAC)" if view.mac_kind == "local" and fmt != "json" else None)
        row["sources"] = list(view.sources) if fmt == "json" else ",".join(view.sources)
        rows.append(row)
    click.echo(local_rows(rows, fmt, ENDPOINT_COLUMNS, settings))


@click.group(cls=AuditorGroup)
def config() -> None:
    """The settings in force."""


@config.command()
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True)
@common_options
def show(settings: Settings, fmt: str) -> None:
    """Print the effective settings (defaults, auditor.toml, AUDITOR_* and flags), secrets masked.

    \b
    Example:
      auditor config show --config /etc/auditor/auditor.toml
    """
    tree = describe(settings)
    if fmt == "json":
        click.echo(json.dumps(tree, ensure_ascii=False, indent=2))
        return
    overridden = sorted(k for k, v in settings.sources.items() if v != "default")
    header = [f"# auditor {__version__}: settings in force"]
    header += [f"# {key} from {settings.sources[key]}" for key in overridden]
    click.echo("\n".join(header) + "\n\n" + toml_text(tree))
