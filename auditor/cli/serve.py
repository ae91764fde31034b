"""`auditor serve`: the read-only dashboard."""

from __future__ import annotations

import getpass
import sys

import click

from auditor.cli.common import common_options, opened
from auditor.settings import Settings


@click.command("serve")
@click.option("--listen", metavar="ADDR", help="The address to listen on (default serve.listen, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="The port (default serve.port, 8080; 0: any free one).")
@click.option("--hash-password", is_flag=True, help="Read a password and print its hash for [serve.users], then exit.")
@common_options
def serve_command(settings: Settings, listen: str | None, port: int | None, hash_password: bool) -> None:
    """Serve the read-only dashboard: the province at a glance, each unit, link and device, search
    by name, serial, asset tag, IP or MAC, and the documents to download.  Vietnamese, or English
    from its menu.  It listens on 127.0.0.1 unless --listen says otherwise, and any other address
    needs users ([serve.users]), each logging in with a password kept only as a hash.

    \b
    Example:
      auditor serve
      auditor serve --listen 0.0.0.0 --port 8443   # with [serve.users] in auditor.toml
      auditor serve --hash-password                # the line for [serve.users]
    """
    from auditor.web.passwords import hash_password as make_hash

    if hash_password:
        first = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        if sys.stdin.isatty() and getpass.getpass("Again: ") != first:
            raise click.UsageError("the two passwords differ")
        if len(first) < 10:
            raise click.UsageError("a password of at least 10 characters, please")
        click.echo(make_hash(first))
        return
    from auditor.jobs.serve import serve

    def ready(address: str) -> None:
        click.echo(f"Dashboard: {address} (read only; Ctrl-C stops it)", err=False)
        sys.stdout.flush()

    with opened(settings) as database:
        serve(database, settings, listen or settings.serve.listen, settings.serve.port if port is None else port, ready)
