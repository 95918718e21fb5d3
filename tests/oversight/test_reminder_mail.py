"""Deadline reminders reach the responsible officer and the supervisor by e-mail, once per colour."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lantern.config import Settings
from lantern.mail import service as mail_service
from lantern.oversight import service as oversight_service
from lantern.oversight.schemas import StepRecord
from tests.oversight.factories import OFFICER, SUPERVISOR, an_incident_id, case
from tests.support.smtp import smtp_server

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_yellow_and_red_deadlines_are_mailed_to_officer_and_supervisor_once(session, clock, tmp_path):
    session.info["settings"] = Settings(
        env="test", data_dir=tmp_path, staff_email_domain="police.example", city_timezone="Asia/Shanghai"
    )
    clock.current = datetime(2026, 3, 6, 22, 30, tzinfo=SHANGHAI).astimezone(UTC)
    c = case(session, incident_id=an_incident_id(session))
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="detained", at=clock.now()))
    oversight_service.record_step(
        session, OFFICER, c.id, StepRecord(kind="transferred_to_detention_house", at=clock.now())
    )
    family = next(s for s in oversight_service.list_steps(session, SUPERVISOR, c.id) if s.kind == "family_notified")
    topic = f"case-step:{family.id}"

    oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert mail_service.messages_about(session, topic) == [], "nothing is due soon yet: no mail"

    clock.advance(hours=21)  # Saturday 19:30: family notice due within 4 h -> yellow
    oversight_service.recompute_deadlines(session, SUPERVISOR)
    oversight_service.recompute_deadlines(session, SUPERVISOR)  # the job runs every few minutes
    clock.advance(hours=4)  # past 22:30: red
    oversight_service.recompute_deadlines(session, SUPERVISOR)

    queued = mail_service.messages_about(session, topic)
    assert sorted((m.to_address, "overdue" in m.subject) for m in queued) == [
        ("off-li@police.example", False),
        ("off-li@police.example", True),
        ("sup-wang@police.example", False),
        ("sup-wang@police.example", True),
    ]
    with smtp_server() as (inbox, port):
        config = mail_service.SmtpConfig(host="127.0.0.1", port=port, sender="oversight@police.example")
        assert mail_service.deliver_due(session, config, clock.now()).sent == 4
        received = inbox.wait_for(4)
    overdue = next(m for m in received if m["To"] == "off-li@police.example" and "overdue" in m["Subject"])
    assert c.number in overdue["Subject"] and "2026-03-07 22:30" in overdue["Subject"]  # city time, not UTC
    assert "extension" in overdue.get_content()


def test_without_a_staff_mail_domain_reminders_stay_in_the_app(session, clock):
    clock.current = datetime(2026, 3, 6, 22, 30, tzinfo=SHANGHAI).astimezone(UTC)
    c = case(session, incident_id=an_incident_id(session))
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="detained", at=clock.now()))
    clock.advance(hours=30)
    run = oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert run.red >= 1 and run.new_alerts >= 1
    steps = oversight_service.list_steps(session, SUPERVISOR, c.id)
    assert all(mail_service.messages_about(session, f"case-step:{s.id}") == [] for s in steps)
