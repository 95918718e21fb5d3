"""The outbox delivers over a real SMTP server and loses nothing when the server is away."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lantern.errors import ValidationFailed
from lantern.mail import service as mail_service
from tests.support.smtp import free_port, smtp_server


def _config(port: int) -> mail_service.SmtpConfig:
    return mail_service.SmtpConfig(host="127.0.0.1", port=port, sender="noreply@city.example", timeout_s=2)


def test_queued_message_arrives_at_the_smtp_server(session, clock):
    now = clock.now()
    mail_service.queue(session, "resident@example.org", "Your report 7 is closed", "Thank you.", topic="t:1", now=now)
    with smtp_server() as (inbox, port):
        run = mail_service.deliver_due(session, _config(port), now)
        received = inbox.wait_for(1)
    assert run.sent == 1
    assert received[0]["To"] == "resident@example.org"
    assert received[0]["Subject"] == "Your report 7 is closed"
    assert received[0].get_content().strip() == "Thank you."
    [message] = mail_service.messages_about(session, "t:1")
    assert message.status == "sent" and message.sent_at == now
    # Sent messages are not sent again.
    assert mail_service.deliver_due(session, _config(port), now + timedelta(hours=1)).sent == 0


def test_server_down_keeps_the_message_and_retries_later(session, clock):
    now = clock.now()
    mail_service.queue(session, "a@example.org", "Reminder", "Your appointment is tomorrow.", topic="t:2", now=now)
    closed_port = free_port()
    run = mail_service.deliver_due(session, _config(closed_port), now)
    assert (run.sent, run.deferred) == (0, 1)
    [message] = mail_service.messages_about(session, "t:2")
    assert message.status == "queued" and message.attempts == 1 and "cannot connect" in message.last_error
    # Not due again before its back-off has passed ...
    with smtp_server() as (inbox, port):
        assert mail_service.deliver_due(session, _config(port), now + timedelta(seconds=10)).sent == 0
        # ... and delivered once it has.
        assert mail_service.deliver_due(session, _config(port), now + timedelta(minutes=3)).sent == 1
        assert len(inbox.wait_for(1)) == 1


def test_refused_recipient_fails_without_blocking_the_others(session, clock):
    now = clock.now()
    mail_service.queue(session, "gone@example.org", "s", "b", topic="t:3", now=now)
    mail_service.queue(session, "here@example.org", "s", "b", topic="t:3", now=now)
    with smtp_server() as (inbox, port):
        inbox.refuse.add("gone@example.org")
        run = mail_service.deliver_due(session, _config(port), now)
        received = inbox.wait_for(1)
    assert (run.sent, run.failed) == (1, 1)
    assert [m["To"] for m in received] == ["here@example.org"]
    statuses = {m.to_address: m.status for m in mail_service.messages_about(session, "t:3")}
    assert statuses == {"gone@example.org": "failed", "here@example.org": "sent"}


def test_gives_up_after_the_configured_attempts(session, clock):
    now = clock.now()
    mail_service.queue(session, "a@example.org", "s", "b", topic="t:4", now=now)
    closed = _config(free_port())
    for attempt in range(3):
        mail_service.deliver_due(session, closed, now + timedelta(days=attempt), max_attempts=3)
    [message] = mail_service.messages_about(session, "t:4")
    assert message.status == "failed" and message.attempts == 3


@pytest.mark.parametrize("bad", ["", "no-at-sign", "two@@example.org", "spaces in@example.org", "a@nodot"])
def test_bad_address_is_refused_with_the_field_named(session, clock, bad):
    with pytest.raises(ValidationFailed, match="field `email`"):
        mail_service.queue(session, bad, "s", "b", topic="t:5", now=clock.now())
