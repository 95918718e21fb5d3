"""Residents' reports: filing rules, photos, tracking codes, triage, subscriptions and the e-mail they cause."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from lantern.alerts import service as alert_service
from lantern.dispatch import service as dispatch_service
from lantern.errors import Conflict, Forbidden, NotFound
from lantern.mail import service as mail_service
from lantern.models import Alert, AuditEntry, Incident, IncidentEvent, PortalSubscription
from lantern.portal.reports import codes
from lantern.portal.reports import service as report_service
from lantern.portal.reports.schemas import ReportIn
from lantern.security.access import Purpose
from lantern.security.policy import Principal
from tests.factories.security import principal_for
from tests.support.schema import migration_drift
from tests.support.smtp import smtp_server

ANON = Principal.anonymous()
ADDRESS = "Annankatu 25"


def png_with_gps(width: int = 64, height: int = 48) -> bytes:
    """A PNG carrying an EXIF block with a camera make and a GPS position, and a text chunk."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    exif[0x8825] = {1: "N", 2: (60.0, 10.0, 5.0), 3: "E", 4: (24.0, 56.0, 1.0)}
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at home of Mr Example")
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif.tobytes(), pnginfo=info)
    return out.getvalue()


def noise(**changes) -> ReportIn:
    values = {
        "service_code": "noise",
        "description": "Loud music every night after midnight.",
        "address_string": ADDRESS,
        "attributes": {"noise_kind": "music"},
        "language": "en",
    }
    values.update(changes)
    return ReportIn(**values)


def fields(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {p.field: p.english for p in exc.value.problems}


def test_the_migration_matches_the_models(session):
    assert migration_drift(session, "portal_") == []


def test_a_typed_address_is_enough_and_gives_a_tracking_code(session):
    filed = report_service.create(session, ANON, noise())
    report = filed.report
    assert report.address_id is not None and report.lat is not None and report.district_id is not None
    assert report.status == "received" and report_service.open_or_closed(report.status) == "open"
    assert len(filed.code) == 12 and codes.normalise(codes.display(filed.code).lower()) == filed.code
    assert report_service.by_code_or_raise(session, codes.display(filed.code)).id == report.id
    assert [e.kind for e in report_service.timeline(session, report)] == ["filed"]
    assert report.user_id is None and report.submitted_by == ""  # anonymous: nothing about the reporter


def test_a_point_on_the_map_is_filed_under_the_nearest_registered_address(session):
    placed = report_service.create(session, ANON, noise()).report
    again = report_service.create(
        session, ANON, noise(address_string="", lat=str(placed.lat + 0.00005), long=str(placed.lon))
    ).report
    assert again.address_id == placed.address_id and again.address_text == placed.address_text


def test_every_problem_is_named_at_once(session):
    with pytest.raises(report_service.ReportRejected) as exc:
        report_service.create(
            session,
            ANON,
            noise(
                description="x" * 4001,
                address_string="",
                attributes={"noise_kind": "opera"},
                email="not-an-address",
            ),
        )
    problems = fields(exc)
    assert set(problems) == {"description", "address_string", "attribute[noise_kind]", "email"}
    assert "4001 characters" in problems["description"] and "4000" in problems["description"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"service_code": "fireworks"}, "service_code", "not a type of report"),
        ({"address_string": "", "lat": "91", "long": "24.9"}, "lat", "between -90 and 90"),
        ({"address_string": "", "lat": "60.17", "long": "east"}, "long", "not a longitude"),
        ({"address_string": "", "lat": "31.23", "long": "121.47"}, "lat", "outside the city"),
        ({"address_string": "Annankatu 9999"}, "address_string", "Did you mean"),
        ({"description": "   "}, "description", "Describe"),
    ],
)
def test_bad_input_names_its_field(session, changes, field, words):
    with pytest.raises(report_service.ReportRejected) as exc:
        report_service.create(session, ANON, noise(**changes))
    assert words in fields(exc)[field]


def test_a_report_without_a_place_is_fine_where_no_place_is_needed(session):
    report_in = ReportIn(
        service_code="fraud_call",
        description="A caller said to be from the bank and asked for a code.",
        attributes={"channel": "phone", "money_lost": "no"},
    )
    report = report_service.create(session, ANON, report_in).report
    assert report.lat is None and report.address_id is None


def test_photos_lose_exif_and_gps_and_text_files_are_refused(session):
    raw = png_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the test photo does carry GPS
    filed = report_service.create(session, ANON, noise(photos=[("night.png", raw)]))
    [stored] = report_service.photos_of(session, principal_for("dispatcher"), filed.report.id)
    cleaned = Image.open(io.BytesIO(stored.data))
    assert stored.content_type == "image/png" and (cleaned.width, cleaned.height) == (64, 48)
    assert not cleaned.getexif() and "Comment" not in cleaned.info
    assert b"SpyCam" not in stored.data and b"Mr Example" not in stored.data

    with pytest.raises(report_service.ReportRejected) as exc:
        report_service.create(session, ANON, noise(photos=[("holiday.jpg", b"this is a text file, not a photo\n")]))
    assert fields(exc)["media"] == "holiday.jpg is not a JPEG or PNG photo"


def test_photo_limits(session):
    big = b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024)
    with pytest.raises(report_service.ReportRejected) as exc:
        report_service.create(session, ANON, noise(photos=[("big.png", big)]))
    assert "larger than 5 MB" in fields(exc)["media"]
    with pytest.raises(report_service.ReportRejected) as exc:
        report_service.create(session, ANON, noise(photos=[(f"{n}.png", png_with_gps()) for n in range(4)]))
    assert "at most 3" in fields(exc)["media"]


def test_a_mistyped_code_is_told_apart_from_an_unknown_one(session):
    code = report_service.create(session, ANON, noise()).code
    typo = code[:3] + ("0" if code[3] != "0" else "1") + code[4:]
    with pytest.raises(Exception, match="not a tracking code"):
        report_service.by_code_or_raise(session, typo)
    unknown = codes.new_code()
    with pytest.raises(NotFound):
        report_service.by_code_or_raise(session, unknown)


def test_status_changes_are_timelined_and_mailed_in_the_subscribers_language(session, clock):
    filed = report_service.create(session, ANON, noise(email="resident@example.org", language="zh"))
    report_service.subscribe(session, filed.report, "neighbour@example.org", "en")
    dispatcher = principal_for("dispatcher")
    report_service.change_status(session, dispatcher, filed.report.id, "in_progress", "An officer will visit tonight.")
    topic = f"portal-report:{filed.report.id}"
    messages = mail_service.messages_about(session, topic)
    # A welcome each, then one update each.
    assert [m.to_address for m in messages] == [
        "resident@example.org",
        "neighbour@example.org",
        "resident@example.org",
        "neighbour@example.org",
    ]
    with smtp_server() as (inbox, port):
        config = mail_service.SmtpConfig(host="127.0.0.1", port=port, sender="noreply@city.example", timeout_s=2)
        run = mail_service.deliver_due(session, config, clock.now())
        received = inbox.wait_for(4)
    assert run.sent >= 4
    updates = {m["To"]: m for m in received if "/portal/track/" in m.get_content() and "An officer" in m.get_content()}
    chinese, english = updates["resident@example.org"], updates["neighbour@example.org"]
    assert "处理中" in chinese.get_content() and "噪声扰民" in chinese.get_content()
    assert "is now: In progress" in english.get_content()
    subscriptions = session.scalars(select(PortalSubscription).where(PortalSubscription.report_id == filed.report.id))
    for subscription in subscriptions:
        body = updates[subscription.email].get_content()
        assert f"/portal/unsubscribe/{subscription.token}" in body  # every mail can stop the mails
    kinds = [(e.kind, e.status, e.public_note) for e in report_service.timeline(session, filed.report)]
    assert kinds[-1] == ("status", "in_progress", "An officer will visit tonight.")


def test_unsubscribing_deletes_the_address(session):
    filed = report_service.create(session, ANON, noise(email="resident@example.org"))
    report_service.unsubscribe(session, filed.subscription.token)
    assert (
        session.scalars(select(PortalSubscription).where(PortalSubscription.report_id == filed.report.id)).all() == []
    )
    with pytest.raises(NotFound):
        report_service.unsubscribe(session, filed.subscription.token)
    before = len(mail_service.messages_about(session, f"portal-report:{filed.report.id}"))
    report_service.change_status(session, principal_for("dispatcher"), filed.report.id, "resolved", "Fixed.")
    assert len(mail_service.messages_about(session, f"portal-report:{filed.report.id}")) == before


def test_rejecting_needs_a_public_note_and_analysts_cannot_triage(session):
    report = report_service.create(session, ANON, noise()).report
    with pytest.raises(Exception, match="public note"):
        report_service.change_status(session, principal_for("dispatcher"), report.id, "rejected", "")
    with pytest.raises(Forbidden):
        report_service.change_status(session, principal_for("analyst"), report.id, "triaged")


def test_a_report_becomes_an_incident_with_a_timeline_entry(session):
    report = report_service.create(session, ANON, noise()).report
    incident = report_service.to_incident(session, principal_for("dispatcher"), report.id, "Patrol informed.")
    stored = session.get(Incident, incident.id)
    assert stored.source == "portal" and stored.status == "open" and stored.category == "noise"
    assert (stored.lat, stored.lon) == (report.lat, report.lon)
    events = session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)).all()
    assert [e.kind for e in events] == ["portal_report"]
    assert report.status == "in_progress" and report.incident_id == incident.id
    with pytest.raises(Conflict):
        report_service.to_incident(session, principal_for("dispatcher"), report.id)


def test_a_report_becomes_a_task_on_the_one_queue(session):
    report = report_service.create(session, ANON, noise()).report
    alert_id = report_service.to_task(session, principal_for("supervisor"), report.id)
    alert = session.get(Alert, alert_id)
    assert (alert.source, alert.subject_type, alert.subject_id) == ("portal", "portal_report", str(report.id))
    assert report.alert_id == alert_id and report.status == "in_progress"


def test_duplicates_point_at_the_report_that_is_followed_up(session):
    first = report_service.create(session, ANON, noise()).report
    second = report_service.create(session, ANON, noise()).report
    third = report_service.create(session, ANON, noise()).report
    dispatcher = principal_for("dispatcher")
    report_service.mark_duplicate(session, dispatcher, second.id, first.id)
    report_service.mark_duplicate(session, dispatcher, third.id, second.id)
    assert third.duplicate_of_id == first.id and report_service.open_or_closed(third.status) == "closed"
    with pytest.raises(Exception, match="itself"):
        report_service.mark_duplicate(session, dispatcher, first.id, third.id)


def test_reading_subscriber_addresses_needs_a_purpose_and_is_audited(session):
    report = report_service.create(session, ANON, noise(email="resident@example.org")).report
    dispatcher = principal_for("dispatcher", name="disp-1")
    with pytest.raises(Forbidden, match="purpose"):
        report_service.subscriber_emails(session, dispatcher, None, report.id)
    purpose = Purpose(ref=f"request:{report.id}", reason="resident asked us to call back")
    assert report_service.subscriber_emails(session, dispatcher, purpose, report.id) == ["resident@example.org"]
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.actor == "disp-1", AuditEntry.object_type == "portal_report")
    ).one()
    assert entry.action == "consult" and entry.purpose_ref == f"request:{report.id}"


def test_closing_the_incident_or_resolving_the_task_resolves_the_report_once(session):
    subscribed = noise(email="resident@example.org", language="en")
    by_incident = report_service.create(session, ANON, subscribed).report
    by_task = report_service.create(session, ANON, noise()).report
    untouched = report_service.create(session, ANON, noise()).report
    dispatcher, supervisor = principal_for("dispatcher"), principal_for("supervisor")
    incident = report_service.to_incident(session, dispatcher, by_incident.id)
    alert_id = report_service.to_task(session, supervisor, by_task.id)
    assert report_service.sync_linked(session) == 0, "nothing finished yet"

    dispatch_service.close_incident(session, dispatcher, incident.id, "Music turned down after a visit.")
    alert_service.resolve(session, supervisor, alert_id, "Light repaired.")
    assert report_service.sync_linked(session) == 2
    assert report_service.sync_linked(session) == 0, "the job runs every minute: once is enough"

    assert (by_incident.status, by_task.status, untouched.status) == ("resolved", "resolved", "received")
    assert report_service.open_or_closed(by_incident.status) == "closed"
    last = report_service.timeline(session, by_incident)[-1]
    assert report_service.public_note(last) == "The officers have dealt with it and closed the incident."
    [mail] = [
        m for m in mail_service.messages_about(session, f"portal-report:{by_incident.id}") if "Resolved" in m.body
    ]
    assert mail.to_address == "resident@example.org"


@pytest.mark.parametrize("code", [codes.new_code() for _ in range(50)] + ["0" * 11 + "0"])
def test_every_single_mistyped_symbol_of_a_tracking_code_is_caught(code):
    assert codes.normalise(code) == code
    for position in range(len(code)):
        for symbol in codes.ALPHABET + "Z":
            if symbol != code[position]:
                typo = code[:position] + symbol + code[position + 1 :]
                assert codes.normalise(typo) is None, (code, typo)
        if position + 1 < len(code) and code[position] != code[position + 1]:
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            assert codes.normalise(swapped) is None, (code, swapped)
