"""Sending the notifications: plain-text e-mail through the Office's SMTP server (the standard
library's smtplib), STARTTLS verified against the system's CAs (or `ca_file`), one connection for
the lot, bounded in time.  The password is used to log in and goes nowhere else."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from auditor.errors import AuditorError
from auditor.notices import Event
from auditor.settings import NotifySettings

TIMEOUT_S = 20


def message(event: Event, settings: NotifySettings) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = f"[auditor] {event.subject}"
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.recipients)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    mail.set_content(event.body + "\n\n-- \nauditor\n", charset="utf-8")
    return mail


def send(events: Sequence[Event], settings: NotifySettings) -> None:
    """Send each event as its own mail, in one SMTP session; AuditorError says what failed (the
    server's name and answer, never the password)."""
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S) as server:
            if settings.starttls:
                context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
                server.starttls(context=context)
            if settings.password is not None:
                server.login(settings.user or settings.sender, settings.password.reveal())
            for event in events:
                server.send_message(message(event, settings))
    except smtplib.SMTPAuthenticationError as exc:
        raise AuditorError(f"the mail server {where} refused the login as {settings.user or settings.sender}") from exc
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise AuditorError(f"cannot send mail through {where}: {exc}") from exc
