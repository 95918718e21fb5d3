"""Queue e-mail inside the caller's transaction; deliver it later over SMTP.

Queuing in the same transaction as the change it reports means a resident is never told of an
update that was rolled back, and a crash between commit and delivery loses nothing: the row
waits for the next ``mail-delivery`` run. Delivery is at-least-once (a crash after the server
accepted a message but before ``sent`` was committed sends it again), which is the right side
to err on for status updates and reminders.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy.orm import Session

from lantern.config import Settings
from lantern.errors import ValidationFailed
from lantern.mail import repository
from lantern.models.mail import MailMessage

# Deliberately simple: one @, no spaces, a dot in the domain. Real validation is the SMTP server's.
ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_BACKOFF = timedelta(hours=6)


def check_address(address: str, field: str = "email") -> str:
    """The address, trimmed; raises naming the field when it is not an e-mail address."""
    address = address.strip()
    if len(address) > 254 or not ADDRESS.match(address):
        raise ValidationFailed(f"field `{field}`: {address!r} is not an e-mail address")
    return address


def queue(session: Session, to: str, subject: str, body: str, *, topic: str, now: datetime) -> MailMessage:
    """Add a message to the outbox; it is sent after the caller's transaction commits."""
    message = MailMessage(
        to_address=check_address(to),
        subject=subject[:200],
        body=body,
        topic=topic[:80],
        status="queued",
        attempts=0,
        last_error="",
        created_at=now,
        next_attempt_at=now,
    )
    return repository.add(session, message)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """None when no server is configured (messages then wait in the outbox)."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
        )


def _as_email(message: MailMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"lantern-{message.id}")
    email.set_content(message.body)
    return email


@dataclass(frozen=True)
class DeliveryRun:
    sent: int
    deferred: int
    failed: int

    def summary(self) -> str:
        return f"{self.sent} sent, {self.deferred} deferred, {self.failed} failed"


def deliver_due(
    session: Session, config: SmtpConfig, now: datetime, *, max_attempts: int = 8, limit: int = 200
) -> DeliveryRun:
    """Send due messages over one SMTP connection; failures back off exponentially."""
    messages: Sequence[MailMessage] = repository.due(session, now, limit)
    if not messages:
        return DeliveryRun(0, 0, 0)
    sent = deferred = failed = 0
    try:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
    except OSError as exc:
        for message in messages:
            deferred, failed = _defer(
                message, f"cannot connect to {config.host}:{config.port}: {exc}", now, max_attempts, deferred, failed
            )
        session.flush()
        return DeliveryRun(0, deferred, failed)
    with smtp:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.username:
            smtp.login(config.username, config.password)
        for message in messages:
            try:
                smtp.send_message(_as_email(message, config.sender))
            except smtplib.SMTPRecipientsRefused as exc:
                # A permanent refusal of the address: retrying cannot help.
                message.attempts += 1
                message.status = "failed"
                message.last_error = f"recipient refused: {exc.recipients}"[:300]
                failed += 1
            except (smtplib.SMTPException, OSError) as exc:
                deferred, failed = _defer(message, str(exc), now, max_attempts, deferred, failed)
            else:
                message.attempts += 1
                message.status = "sent"
                message.sent_at = now
                message.last_error = ""
                sent += 1
    session.flush()
    return DeliveryRun(sent, deferred, failed)


def _defer(
    message: MailMessage, error: str, now: datetime, max_attempts: int, deferred: int, failed: int
) -> tuple[int, int]:
    message.attempts += 1
    message.last_error = error[:300]
    if message.attempts >= max_attempts:
        message.status = "failed"
        return deferred, failed + 1
    message.next_attempt_at = now + min(MAX_BACKOFF, timedelta(minutes=2**message.attempts))
    return deferred + 1, failed


def messages_about(session: Session, topic: str) -> Sequence[MailMessage]:
    """Every message queued about one subject, oldest first (for staff pages and tests)."""
    return repository.by_topic(session, topic)


def purge_sent(session: Session, cutoff: datetime) -> int:
    """Delete sent messages older than the cutoff (they hold addresses); retention calls this."""
    return repository.purge_sent_before(session, cutoff)
