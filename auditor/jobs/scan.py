"""`auditor scan`: sweep addresses, identify whoever answers SNMP, store new devices as discovered."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from auditor.catalogs import vendor_catalog
from auditor.db import observations as stored
from auditor.db import register
from auditor.db.engine import Database
from auditor.discovery.icmp import Pinger
from auditor.discovery.targets import DEFAULT_LIMIT, expand
from auditor.domain import RunKind
from auditor.jobs import endpoints
from auditor.jobs.clock import clock_from
from auditor.jobs.fanout import observe_all
from auditor.jobs.observe import Progress
from auditor.jobs.poll import RunReport, store
from auditor.jobs.runs import start_run
from auditor.settings import PollOptions, Settings
from auditor.snmp.catalog import Catalog


def scan(
    database: Database,
    settings: Settings,
    specs: Sequence[str],
    now: dt.datetime,
    *,
    unit_code: str | None = None,
    options: PollOptions | None = None,
    catalog: Catalog | None = None,
    allow_large: bool = False,
    scans_dir: Path = Path("scans"),
    pinger: Pinger | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RunReport:
    """Sweep the targets, identify whoever answers SNMP, store new devices as discovered."""
    addresses = [str(a) for a in expand(specs, None if allow_large else DEFAULT_LIMIT)]
    with database.session(commit=False) as session:
        register.require_unit(session, unit_code)
    options = options or PollOptions.from_settings(settings)
    clock = clock_from(now)
    if on_total:
        on_total(len(addresses))
    started = time.perf_counter()
    run_id = start_run(database, RunKind.SCAN, now)
    with database.session(commit=False) as session:
        known = {t.address: t for t in stored.poll_targets(session)}
    observations, icmp = observe_all(
        addresses,
        options,
        clock=clock,
        catalog=catalog or vendor_catalog(),
        known=known,
        identity=True,
        pinger=pinger,
        progress=progress,
    )
    report = RunReport(run_id, "scan", icmp=icmp)
    names = endpoints.ask_names(database, observations, settings.netbios, report.notes)
    return store(
        database,
        report,
        observations,
        known,
        clock(),
        started=started,
        scans_dir=scans_dir,
        kind=RunKind.SCAN,
        unit_code=unit_code,
        discovering=True,
        names=names,
    )
