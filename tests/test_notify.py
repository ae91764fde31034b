"""`audit --notify`: one plain Vietnamese mail per event worth a person's attention, through a real
SMTP server on loopback (aiosmtpd) that insists on STARTTLS (its certificate made here, trusted by
`notify.ca_file`) and a login; not sent again while the event lasts, sent again once it is over
and comes back; kept and tried again when the server is down; a failed audit said by mail."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from auditor.db.engine import open_database
from auditor.db.models import Device
from auditor.lab.history import Pattern, seed_link
from tests.conftest import Cli
from tests.register.test_import import write_csv

PASSWORD = "smtp-pass-4f9e"


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA), and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "mail.pem", directory / "mail.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Inbox:
    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    """aiosmtpd on 127.0.0.1, STARTTLS required before the login, the login required before a mail."""

    def __init__(self, directory: Path) -> None:
        self.cert, key = _certificate(directory)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(self.cert, key)
        self.port = _free_port()
        self.inbox = Inbox()
        self.controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        inbox = self.inbox

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = isinstance(data, LoginPassword) and data.password.decode() == PASSWORD
            inbox.logins.append((data.login.decode(), "ok" if ok else "refused"))
            return AuthResult(success=ok)

        self.controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=self.context,
            require_starttls=True,
            authenticator=authenticator,
            auth_required=True,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def mail_server(tmp_path: Path) -> Iterator[MailServer]:
    server = MailServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _province(auditor: Cli, workdir: Path) -> None:
    write_csv(
        workdir / "units.csv",
        [["unit_code", "unit_name"], ["XA-A", "Đảng ủy xã A"], ["XA-B", "Đảng ủy xã B"], ["XA-C", "Đảng ủy xã C"]],
    )
    write_csv(
        workdir / "devices.csv",
        [
            ["unit_code", "hostname", "ip", "category"],
            ["XA-C", "xa-c-pc1", "127.0.77.1", "Máy vi tính để bàn"],
            ["XA-C", "xa-c-pc2", "127.0.77.2", "Máy vi tính để bàn"],
        ],
    )
    write_csv(
        workdir / "links.csv",
        [
            ["unit_code", "name", "capacity_down_mbps", "capacity_up_mbps"],
            ["XA-A", "TSLCD", "30", "30"],
            ["XA-B", "TSLCD", "50", "50"],
        ],
    )
    for sheet in ("units", "devices", "links"):
        auditor.ok("register", "import", f"{sheet}.csv")
    ids = {r["unit_code"]: r["id"] for r in json.loads(auditor.ok("links", "list", "--format", "json").stdout)}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with open_database(auditor.db_url) as database:
        seed_link(database, ids["XA-A"], Pattern(28.5, 3, 2, 1, jitter=0), now, seed=1)  # congested
        seed_link(database, ids["XA-B"], Pattern(5, 1, 1, 1, jitter=0, loss_pct=100), now, seed=2)  # far end silent
    _answering(auditor, False)


def _answering(auditor: Cli, answers: bool) -> None:
    """XA-C's PCs as the last poll left them (the poll itself is not what this test is about)."""
    with open_database(auditor.db_url) as database, database.session() as session:
        session.execute(update(Device).values(reachable=answers, last_seen=dt.datetime.now(dt.UTC)))


def _config(workdir: Path, server: MailServer, port: int | None = None) -> None:
    (workdir / "smtp-password").write_text(PASSWORD + "\n", encoding="utf-8")
    (workdir / "auditor.toml").write_text(
        "[notify]\n"
        'smtp_host = "127.0.0.1"\n'
        f"smtp_port = {port or server.port}\n"
        f'ca_file = "{server.cert}"\n'
        'sender = "auditor@vptu.example"\n'
        'recipients = ["it@vptu.example", "truongphong@vptu.example"]\n'
        f'password_file = "{workdir / "smtp-password"}"\n',
        encoding="utf-8",
    )


def _subjects(server: MailServer) -> list[str]:
    return sorted(str(m["Subject"]) for m in server.inbox.mails)


def test_each_event_is_mailed_once_while_it_lasts(auditor: Cli, workdir: Path, mail_server: MailServer) -> None:
    _province(auditor, workdir)
    _config(workdir, mail_server)

    first = auditor.ok("audit", "--no-poll", "--notify")
    assert "notified: 3 sent, 0 still open" in first.stdout
    assert _subjects(mail_server) == [
        "[auditor] Không thiết bị nào trả lời tại XA-C",
        "[auditor] Mất kết nối đường truyền: XA-B / TSLCD",
        "[auditor] Đường truyền quá tải: XA-A / TSLCD",
    ]
    bodies = {str(m["Subject"]): m.get_content() for m in mail_server.inbox.mails}
    congested = bodies["[auditor] Đường truyền quá tải: XA-A / TSLCD"]
    assert "phân vị 95 bằng 95% băng thông hợp đồng chiều tải xuống" in congested and "nâng lên 50 Mbps" in congested
    assert "không trả lời 3 lần đo liên tiếp" in bodies["[auditor] Mất kết nối đường truyền: XA-B / TSLCD"]
    assert "Không thiết bị nào trong 2 thiết bị" in bodies["[auditor] Không thiết bị nào trả lời tại XA-C"]
    mail = mail_server.inbox.mails[0]
    assert mail["To"] == "it@vptu.example, truongphong@vptu.example" and mail["Auto-Submitted"] == "auto-generated"
    assert mail_server.inbox.logins == [("auditor@vptu.example", "ok")], "one session, over STARTTLS, logged in"

    again = auditor.ok("audit", "--no-poll", "--notify")
    assert "notified: 0 sent, 3 still open" in again.stdout and len(mail_server.inbox.mails) == 3, "not sent twice"

    _answering(auditor, True)  # XA-C answers again: its event is over
    auditor.ok("audit", "--no-poll", "--notify")
    assert len(mail_server.inbox.mails) == 3
    _answering(auditor, False)  # and silent again: a new event, told again
    auditor.ok("audit", "--no-poll", "--notify")
    assert _subjects(mail_server).count("[auditor] Không thiết bị nào trả lời tại XA-C") == 2

    everything = "".join(m.as_string() for m in mail_server.inbox.mails) + first.stdout + first.stderr
    assert PASSWORD not in everything
    shown = auditor.ok("config", "show")
    assert PASSWORD not in shown.stdout and 'password = "********"' in shown.stdout


def test_a_mail_server_that_is_down_loses_nothing(auditor: Cli, workdir: Path, mail_server: MailServer) -> None:
    _province(auditor, workdir)
    _config(workdir, mail_server, port=_free_port())  # nobody listens there
    down = auditor.ok("audit", "--no-poll", "--notify")
    assert "(3 not sent: cannot send mail through 127.0.0.1:" in down.stdout, down.stdout
    _config(workdir, mail_server)
    up = auditor.ok("audit", "--no-poll", "--notify")
    assert "notified: 3 sent" in up.stdout and len(mail_server.inbox.mails) == 3, "the kept mails go once it is back"

    assert PASSWORD not in down.stdout + down.stderr + up.stdout + up.stderr


def test_a_failed_audit_is_said_by_mail(auditor: Cli, workdir: Path, mail_server: MailServer) -> None:
    _province(auditor, workdir)
    _config(workdir, mail_server)
    (workdir / "a-file").write_text("", encoding="utf-8")
    failed = auditor("audit", "--no-poll", "--notify", "--export", str(workdir / "a-file" / "reports"))
    assert failed.exit_code == 1
    [mail] = [m for m in mail_server.inbox.mails if "lỗi" in str(m["Subject"])]
    assert str(mail["Subject"]) == "[auditor] Lần kiểm tra (auditor audit) bị lỗi" and "a-file" in mail.get_content()
    auditor.ok("audit", "--no-poll", "--notify")  # the next audit works: the failure is over
    failed = auditor("audit", "--no-poll", "--notify", "--export", str(workdir / "a-file" / "reports"))
    assert [str(m["Subject"]) for m in mail_server.inbox.mails].count(
        "[auditor] Lần kiểm tra (auditor audit) bị lỗi"
    ) == 2


def test_notify_needs_its_settings(auditor: Cli) -> None:
    refused = auditor("audit", "--no-poll", "--notify")
    assert refused.exit_code == 2 and "[notify]" in refused.stderr


def test_the_agent_mails_what_is_new_after_each_cycle(auditor: Cli, workdir: Path, mail_server: MailServer) -> None:
    _province(auditor, workdir)
    _config(workdir, mail_server)
    ran = auditor.ok(
        "agent",
        "--notify",
        "--cycles",
        "2",
        "--interval",
        "2",
        "--poll-every",
        "604800",
        "--timeout",
        "0.5",
        "--retries",
        "0",
    )
    assert "after 2 cycles (0 failed)" in ran.stdout + ran.stderr
    assert _subjects(mail_server) == ["[auditor] Mất kết nối đường truyền: XA-B / TSLCD"], "once, over two cycles"
