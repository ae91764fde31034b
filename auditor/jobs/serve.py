"""`auditor serve`: the dashboard served by waitress over the open database, on loopback unless
the configuration has users (then anywhere it is told, every page behind a login)."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from waitress import create_server

from auditor.db.engine import Database
from auditor.errors import AuditorError
from auditor.jobs.clock import system_now
from auditor.settings import Settings
from auditor.web.app import create_app

log = logging.getLogger(__name__)

THREADS = 4
MAX_REQUEST_BYTES = 64 * 1024  # a request line, headers or form beyond this is refused, unread


def check_listen(listen: str, settings: Settings) -> str:
    """The address to listen on, refused with what to do when it is not loopback and nobody can log in."""
    try:
        address = ipaddress.ip_address("127.0.0.1" if listen == "localhost" else listen)
    except ValueError as exc:
        raise AuditorError(f"serve: {listen!r} is not an address to listen on, such as 127.0.0.1") from exc
    if not address.is_loopback and not settings.serve.users:
        raise AuditorError(
            f"serve: listening on {listen} would show the inventory to the whole network without a login; "
            "add users first ([serve.users] in auditor.toml, each with the hash `auditor serve --hash-password` "
            "prints), or listen on 127.0.0.1"
        )
    return str(address)


def serve(database: Database, settings: Settings, listen: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve until interrupted; `ready` hears the dashboard's address once it listens."""
    host = check_listen(listen, settings)
    app = create_app(database, settings, system_now, host)
    try:
        server = create_server(
            app,
            host=host,
            port=port,
            threads=THREADS,
            ident="",  # no Server header naming the software
            max_request_header_size=MAX_REQUEST_BYTES,
            max_request_body_size=MAX_REQUEST_BYTES,
            channel_timeout=30,
            clear_untrusted_proxy_headers=True,
        )
    except OSError as exc:
        raise AuditorError(
            f"serve: cannot listen on {host} port {port}: {exc.strerror}; choose another --port"
        ) from exc
    shown = f"[{host}]" if ":" in host else host
    ready(f"http://{shown}:{server.effective_port}/")
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("serve: stopped")
    finally:
        server.close()
