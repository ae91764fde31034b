"""The dashboard as a Flask application over one open database: every page a GET that reads
(the login form aside), rendered by Jinja2 with autoescaping, so a device's "<script>" or
"=HYPERLINK(…)" is shown as the text it is.  Vietnamese by default, English with ?lang=en (kept
in a cookie).  With users configured every page needs a login; without, it only ever listens on
loopback (auditor.jobs.serve checks that before it starts)."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import logging
import secrets
import tempfile
import threading
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from auditor import graphs
from auditor.db.engine import Database
from auditor.domain import CONDITION_LABELS, STATUS_LABELS
from auditor.errors import AuditorError
from auditor.facts import DeviceView
from auditor.i18n import N_, Texts, number, texts
from auditor.jobs import dashboard
from auditor.jobs.export import export_inventory, export_procurement
from auditor.procurement.texts import SOURCE as AGE_SOURCE
from auditor.procurement.texts import SOURCE_NAMES, VERDICT, category_name
from auditor.settings import Settings
from auditor.web.passwords import verify_password

log = logging.getLogger(__name__)

WINDOWS = (1, 7, 14, 30)  # the link page's window picker, in days
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}
KIND_WORDS = {
    "over_age": N_("over age"),
    "unknown_age": N_("age unknown"),
    "age_to_verify": N_("date in service to verify"),
    "unreachable": N_("unreachable"),
    "frequent_reboots": N_("restarts often"),
    "unregistered": N_("not in the register"),
    "missing": N_("missing from the network"),
    "link_congested": N_("link congested"),
    "link_warning": N_("link near the limit"),
    "link_insufficient_data": N_("link without enough samples"),
}
OUTCOME_WORDS = {
    "ok": N_("done"),
    "partial": N_("done in part"),
    "failed": N_("failed"),
    "running": N_("running"),
    "interrupted": N_("interrupted"),
}
PUBLIC = ("login", "static")  # what needs no login when users are configured


def spark_points(spark: Sequence[float | None], width: float = 112, height: float = 24) -> list[str]:
    """A sparkline's polylines ("x,y x,y …"), broken where a bucket has no sample; 100 % of the
    capacity is the top."""
    if not spark:
        return []
    step = width / max(1, len(spark) - 1)
    lines: list[list[str]] = [[]]
    for i, share in enumerate(spark):
        if share is None:
            lines.append([])
            continue
        y = height - min(1.0, max(0.0, share)) * height
        lines[-1].append(f"{i * step:.1f},{y:.1f}")
    return [" ".join(points) for points in lines if len(points) > 1]


class Logins:
    """Who is logged in, kept by the server (a cookie only names its login: logging out ends it
    everywhere), and the failed tries by address: after `TRIES` in `WINDOW_S` seconds, an address
    waits that long."""

    TRIES, WINDOW_S = 5, 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, str] = {}
        self._failures: dict[str, list[float]] = {}

    def user(self, token: str | None) -> str | None:
        with self._lock:
            return self._users.get(token or "")

    def start(self, user: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._users[token] = user
        return token

    def end(self, token: str | None) -> None:
        with self._lock:
            self._users.pop(token or "", None)

    def blocked(self, address: str, now: float) -> bool:
        with self._lock:
            recent = [t for t in self._failures.get(address, []) if now - t < self.WINDOW_S]
            self._failures[address] = recent
            return len(recent) >= self.TRIES

    def failed(self, address: str, now: float) -> None:
        with self._lock:
            self._failures.setdefault(address, []).append(now)


@dataclass(frozen=True)
class Served:
    """What every view reads: the database, the settings, the clock, the reader's time zone."""

    database: Database
    settings: Settings
    clock: Callable[[], dt.datetime]
    zone: zoneinfo.ZoneInfo
    logins: Logins = field(default_factory=lambda: Logins())

    def today(self) -> dt.date:
        return self.clock().astimezone(self.zone).date()

    def local(self, moment: dt.datetime | str | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
        if moment is None or moment == "":
            return ""
        if isinstance(moment, str):
            moment = dt.datetime.fromisoformat(moment)
        return moment.astimezone(self.zone).strftime(fmt)


def _state() -> Served:
    found: Served = current_app.extensions["auditor"]
    return found


def create_app(
    database: Database, settings: Settings, clock: Callable[[], dt.datetime], listen: str | None = None
) -> Flask:
    """The dashboard over `database`; it answers only requests addressed to `listen` (default
    serve.listen), loopback's names when that is loopback, and serve.hostnames: another Host is
    refused (400), so that a web page elsewhere cannot reach it through a DNS name of its own."""
    app = Flask(__name__)
    address = listen or settings.serve.listen
    hosts = [address, *settings.serve.hostnames]
    if ipaddress.ip_address(address).is_loopback:
        hosts += ["localhost", "127.0.0.1", "::1"]
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # a login lasts as long as the server: restarted, log in again
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=16 * 1024,  # the login form is all that is ever posted
        TEMPLATES_AUTO_RELOAD=False,
        TRUSTED_HOSTS=sorted(set(hosts)),
    )
    app.extensions["auditor"] = Served(database, settings, clock, zoneinfo.ZoneInfo(settings.timezone))
    app.before_request(_language_and_login)
    app.after_request(_headers)
    app.context_processor(_helpers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(AuditorError, _database_error)
    app.register_error_handler(LookupError, _not_found)
    app.register_error_handler(Exception, _failure)
    for rule, view, methods in ROUTES:
        app.add_url_rule(rule, view.__name__, view, methods=methods, provide_automatic_options=False)
    return app


def _language_and_login() -> Any:
    asked = request.args.get("lang")
    lang = asked if asked in ("vi", "en") else request.cookies.get("lang")
    g.lang = lang if lang in ("vi", "en") else "vi"
    g.set_lang = asked in ("vi", "en")
    g.tr = texts(g.lang)
    users = _state().settings.serve.users
    g.user = _state().logins.user(session.get("login"))
    if users and request.endpoint not in PUBLIC and g.user not in users:
        return redirect(url_for("login", next=request.full_path if request.endpoint else "/"))
    return None


def _headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if g.get("set_lang"):
        response.set_cookie("lang", g.lang, max_age=365 * 86400, httponly=True, samesite="Strict")
    return response


def _helpers() -> dict[str, Any]:
    tr = _tr()
    state = _state()
    return {
        "tr": tr,
        "plural": tr.plural,
        "lang": g.get("lang", "vi"),
        "local": state.local,
        "verdict_text": lambda v: tr(VERDICT[v]) if v is not None else tr("no audit yet"),
        "source_text": lambda s: tr(SOURCE_NAMES[s]) if s in SOURCE_NAMES else s,
        "num": lambda value, digits=1: number(value, tr, digits),
        "outcome_text": lambda o: tr(OUTCOME_WORDS[o]) if o in OUTCOME_WORDS else o,
        "kind_text": lambda k: tr(KIND_WORDS[k]) if k in KIND_WORDS else k,
        "category_text": lambda c: category_name(c.value if c else None, tr),
        "spark_points": spark_points,
        "province": state.settings.province,
        "user": g.get("user"),
        "windows": WINDOWS,
        "fields": lambda view: device_fields(view, tr, state.local),
    }


def _tr() -> Texts:
    """The reader's words, also for a request refused before its language was read."""
    if "tr" not in g:
        g.lang, g.tr = "vi", texts("vi")
    found: Texts = g.tr
    return found


def device_fields(d: DeviceView, tr: Texts, local: Callable[[Any], str]) -> list[tuple[str, str]]:
    """A device's record as a person reads it: labels and values in their language, empty ones left out."""
    yes_no = {True: tr("yes"), False: tr("no"), None: ""}
    age = ""
    if d.age_years is not None:
        source = tr(AGE_SOURCE[d.age_source]) if d.age_source in AGE_SOURCE else ""
        age = f"{number(d.age_years, tr)} ({source}; {d.age_basis})" if d.age_basis else number(d.age_years, tr)
    rows = [
        (N_("Asset tag"), d.asset_tag),
        (N_("Unit"), d.unit_code),
        (N_("Host name"), d.hostname),
        (N_("IP address"), d.ip),
        ("MAC", d.mac),
        (N_("Category"), category_name(d.category.value if d.category else None, tr)),
        (N_("Maker, model"), " ".join(p for p in (d.vendor, d.model) if p)),
        (N_("Serial"), d.serial),
        (N_("Firmware, system"), " · ".join(p for p in (d.firmware, d.os_version) if p)),
        (N_("Made"), d.manufactured_on.strftime("%d/%m/%Y") if d.manufactured_on else None),
        (N_("Year in service"), str(d.in_service_on.year) if d.in_service_on else None),
        (N_("Age (years)"), age),
        (N_("Condition"), CONDITION_LABELS[d.condition].text(tr.lang) if d.condition else None),
        (N_("Place"), d.location),
        (N_("In the register"), yes_no[d.registered]),
        (N_("Status"), STATUS_LABELS[d.status].text(tr.lang)),
        (N_("Answered the last poll"), yes_no[d.reachable]),
        (N_("Seen via"), ", ".join(tr(SOURCE_NAMES[x]) for x in (d.seen_via or "").split(",") if x in SOURCE_NAMES)),
        (N_("First seen"), local(d.first_seen)),
        (N_("Last seen"), local(d.last_seen)),
    ]
    return [(tr(label) if label != "MAC" else label, str(value)) for label, value in rows if value not in (None, "")]


def _http_error(exc: HTTPException) -> tuple[str, int]:
    code = exc.code or 500
    message = _tr()(_HTTP_WORDS.get(code, _HTTP_WORDS[500]))
    if request.url_rule is None and code == 400:  # refused before routing (a Host it does not serve): no links
        return f"<!doctype html><title>{code}</title><p>{escape(message)}</p>", code
    return render_template("error.html", code=code, message=message), code


def _database_error(exc: AuditorError) -> tuple[str, int]:
    log.warning("dashboard: %s", exc)  # the log says which database and why; the page, only that it failed
    return render_template("error.html", code=503, message=_tr()(_BUSY)), 503


def _not_found(exc: LookupError) -> tuple[str, int]:
    return render_template("error.html", code=404, message=_tr()(_HTTP_WORDS[404])), 404


def _failure(exc: Exception) -> tuple[str, int]:
    log.exception("dashboard: %s %s failed", request.method, request.path)
    return render_template("error.html", code=500, message=_tr()(_HTTP_WORDS[500])), 500


def province_page() -> str:
    state, page = _state(), request.args.get("page", "1")
    shown = dashboard.province(state.database, state.settings, state.clock(), int(page) if page.isdigit() else 1)
    return render_template("province.html", p=shown)


def unit_page(code: str) -> str:
    state = _state()
    return render_template("unit.html", u=dashboard.unit_page(state.database, state.settings, state.today(), code))


def link_page(link_id: int) -> str:
    state = _state()
    days = _days(request.args.get("days"), state.settings)
    shown = dashboard.link_page(state.database, state.settings, state.clock(), link_id, days, g.lang)
    return render_template("link.html", l=shown, days=days)


def link_graph(link_id: int) -> Response:
    state = _state()
    days = _days(request.args.get("days"), state.settings)
    shown = dashboard.link_page(state.database, state.settings, state.clock(), link_id, days, g.lang)
    links = state.settings.links
    picture = graphs.link_graph(shown.graph, links.interval_s, state.settings.timezone, g.tr, "svg")
    return Response(picture, mimetype="image/svg+xml")


def device_page(device_id: int) -> str:
    state = _state()
    return render_template("device.html", d=dashboard.device_page(state.database, state.today(), device_id))


def search_page() -> str:
    state, text = _state(), request.args.get("q", "")[: dashboard.SEARCH_LIMIT]
    return render_template("search.html", q=text, found=dashboard.search(state.database, state.today(), text))


def download_procurement() -> Response:
    state = _state()
    latest = _latest_workbook(state.settings.serve.reports_dir)
    if latest is not None:
        return send_file(latest, as_attachment=True, download_name=f"danh-muc-de-xuat-{latest.parent.name}.xlsx")
    with tempfile.TemporaryDirectory(prefix="auditor-serve-") as scratch:
        path = Path(scratch) / "danh-muc-de-xuat.xlsx"
        export_procurement(state.database, state.settings, path, state.clock(), lang=g.lang)
        return send_file(_in_memory(path), as_attachment=True, download_name=path.name, mimetype=_XLSX)


def download_inventory(code: str) -> Response:
    state = _state()
    dashboard.unit_page(state.database, state.settings, state.today(), code)  # 404 for a unit that is not there
    with tempfile.TemporaryDirectory(prefix="auditor-serve-") as scratch:
        [path] = export_inventory(
            state.database, state.settings, Path(scratch), state.clock(), lang=g.lang, unit_code=code
        )
        return send_file(_in_memory(path), as_attachment=True, download_name=path.name, mimetype=_XLSX)


def login() -> Any:
    state = _state()
    users = state.settings.serve.users
    if not users:
        return redirect(url_for("province_page"))
    failed, name, address = False, "", request.remote_addr or "?"
    if request.method == "POST":
        moment = state.clock().timestamp()
        if state.logins.blocked(address, moment):
            log.warning("dashboard: %s tried again too soon after %d failed logins", address, Logins.TRIES)
            return render_template("login.html", failed=True, wait=True, name=""), 429
        name, password = request.form.get("name", "")[:64], request.form.get("password", "")
        if name in users and verify_password(password, users[name]):
            state.logins.end(session.get("login"))
            session.clear()
            session["login"] = state.logins.start(name)
            wanted = request.args.get("next", "/")
            return redirect(wanted if wanted.startswith("/") and not wanted.startswith("//") else "/")
        state.logins.failed(address, moment)
        log.warning("dashboard: a failed login as %r from %s", name, address)
        failed = True
    return render_template("login.html", failed=failed, wait=False, name=name), 401 if failed else 200


def logout() -> Any:
    _state().logins.end(session.get("login"))  # the cookie, wherever it was copied, names nobody now
    session.clear()
    return redirect(url_for("login" if _state().settings.serve.users else "province_page"))


ROUTES: list[tuple[str, Callable[..., Any], list[str]]] = [
    ("/", province_page, ["GET"]),
    ("/unit/<code>", unit_page, ["GET"]),
    ("/link/<int:link_id>", link_page, ["GET"]),
    ("/link/<int:link_id>/graph.svg", link_graph, ["GET"]),
    ("/device/<int:device_id>", device_page, ["GET"]),
    ("/search", search_page, ["GET"]),
    ("/download/danh-muc-de-xuat.xlsx", download_procurement, ["GET"]),
    ("/download/bien-ban-kiem-ke-<code>.xlsx", download_inventory, ["GET"]),
    ("/login", login, ["GET", "POST"]),
    ("/logout", logout, ["GET"]),
]

_BUSY = N_("The database cannot be read just now (busy, or gone); try again in a moment.")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HTTP_WORDS = {
    400: N_("The request is not one this dashboard understands."),
    404: N_("There is nothing by that name."),
    405: N_("This dashboard only shows: it changes nothing."),
    413: N_("The request is too large."),
    431: N_("The request is too large."),
    500: N_("Something went wrong on the dashboard's side; the log says what."),
}


def _days(text: str | None, settings: Settings) -> float:
    try:
        days = float(text) if text else settings.links.window_days
    except ValueError:
        abort(400)
    if not 0.01 <= days <= 366:
        abort(400)
    return days


def _latest_workbook(reports: Path | None) -> Path | None:
    if reports is None or not reports.is_dir():
        return None
    found = sorted(reports.glob("*/danh-muc-de-xuat.xlsx"))
    return found[-1] if found else None


def _in_memory(path: Path) -> io.BytesIO:
    return io.BytesIO(path.read_bytes())  # the scratch directory goes when the request ends
