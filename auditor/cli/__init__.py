"""The `auditor` command: thin click commands, each one job call (auditor.jobs).

Exit codes: 0 success; 1 an error (including rows an import rejected); 2 wrong usage; 3 findings
that --fail-on names; 130 interrupted.  Every error is one "Error: …" line on stderr that says
what to do.  The shared options (--db, --config, -v, --quiet, --log-file) may stand before the
command's name or after it.
"""

from __future__ import annotations

import click

from auditor import __version__
from auditor.cli.audit import audit_command, export_group, findings_command, prune_command
from auditor.cli.common import AuditorGroup, shared_options
from auditor.cli.devices import devices
from auditor.cli.listings import config, endpoints, links, units
from auditor.cli.network import agent_command, agents_command, poll_command, scan_command
from auditor.cli.register import init, register
from auditor.cli.serve import serve_command


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="auditor")
@shared_options
def cli(**_shared: object) -> None:
    """Audit the IT equipment and data-network links of Party agencies and communes.

    Start with `auditor init`, import the register with `auditor register import`, and see
    README.md for scans, link polling, audits and the procurement workbook.
    """


for command in (
    init,
    register,
    scan_command,
    poll_command,
    units,
    devices,
    links,
    endpoints,
    agent_command,
    agents_command,
    findings_command,
    audit_command,
    prune_command,
    export_group,
    serve_command,
    config,
):
    cli.add_command(command)
