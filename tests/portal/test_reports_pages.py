"""Report pages as a resident and as staff see them: the form, errors by their fields, tracking, triage."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from lantern.mail import service as mail_service
from lantern.models import AuditEntry, PortalReport
from tests.factories.security import csrf_from, make_user, sign_in
from tests.portal.test_reports_service import png_with_gps


def _file(client: TestClient, lang: str = "en", files=None, **changes) -> object:
    form = client.get(f"/portal/reports/new?service=noise&lang={lang}")
    data = {
        "csrf_token": csrf_from(form.text),
        "service_code": "noise",
        "attribute[noise_kind]": "music",
        "address_string": "Annankatu 25",
        "description": "Loud music every night after midnight.",
        "email": "",
        **changes,
    }
    return client.post(f"/portal/reports/new?lang={lang}", data=data, files=files or [], follow_redirects=False)


def test_the_form_starts_with_the_type_of_problem_in_each_language(client):
    chinese = client.get("/portal/reports/new", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 200 and "噪声扰民" in chinese.text and "您要反映什么问题" in chinese.text
    english = client.get("/portal/reports/new?service=street_light&lang=en")
    assert "Broken street light" in english.text and 'id="address_string"' in english.text
    assert 'id="report-map"' in english.text  # the map is offered, the address field is enough
    no_place = client.get("/portal/reports/new?service=website_problem&lang=en")
    assert 'id="address_string"' not in no_place.text and "maplibre" not in no_place.text


def test_a_resident_files_a_report_with_a_photo_and_tracks_it(client, session):
    response = _file(client, files=[("media", ("night.png", png_with_gps(), "image/png"))])
    assert response.status_code == 303
    page = client.get(response.headers["location"] + "&lang=en")
    code = re.search(r'id="tracking-code">([0-9A-Z-]{14})<', page.text).group(1)
    assert "Thank you. Your report has been received." in page.text
    report = session.scalars(select(PortalReport).where(PortalReport.tracking_code == code.replace("-", ""))).one()
    # Tracking by the code as typed (lower case, spaces) leads to the same page.
    found = client.get(f"/portal/track?code={code.lower().replace('-', ' ')}&lang=en", follow_redirects=True)
    assert f"Report {code}" in found.text and "Received, not yet assessed" in found.text
    chinese = client.get(f"/portal/track/{report.tracking_code}?lang=zh")
    assert "已收到，待审核" in chinese.text and "辖区派出所" in chinese.text


def test_problems_are_listed_at_the_top_and_shown_next_to_their_fields(client):
    response = _file(
        client,
        files=[("media", ("photo.jpg", b"just some text", "image/jpeg"))],
        address_string="",
        description="",
        email="nope",
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="error-summary"' in html and html.count('href="#') >= 4
    for field in ("address_string", "description", "media", "email"):
        assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"', html, re.S), field
        assert f'id="{field}-error"' in html
    assert "photo.jpg is not a JPEG or PNG photo" in html
    chinese = _file(client, lang="zh", description="", files=[])
    assert "请描述问题" in chinese.text and "请检查以下内容" in chinese.text


def test_a_wrong_code_is_explained(client):
    response = client.get("/portal/track?code=ABCD&lang=en")
    assert response.status_code == 422 and "not a tracking code" in response.text
    assert 'aria-describedby="code-hint code-error"' in response.text


def test_subscribe_and_unsubscribe_by_the_link_in_the_mail(client, session):
    location = _file(client).headers["location"]
    code = location.split("/")[3].split("?")[0]
    page = client.get(f"/portal/track/{code}?lang=en")
    done = client.post(
        f"/portal/track/{code}/subscribe?lang=en",
        data={"csrf_token": csrf_from(page.text), "email": "me@example.org"},
        follow_redirects=True,
    )
    assert "We will e-mail you when the status changes" in done.text
    report = session.scalars(select(PortalReport).where(PortalReport.tracking_code == code)).one()
    [welcome] = mail_service.messages_about(session, f"portal-report:{report.id}")
    link = re.search(r"/portal/unsubscribe/[\w-]+", welcome.body).group(0)
    asked = client.get(link + "?lang=en")
    assert "Stop e-mails about this report" in asked.text  # a GET only asks
    stopped = client.post(link + "?lang=en", data={"csrf_token": csrf_from(asked.text)})
    assert "deleted your e-mail address" in stopped.text
    again = client.post(link + "?lang=en", data={"csrf_token": csrf_from(asked.text)})
    assert again.status_code == 404


def test_staff_triage_the_report_and_the_resident_sees_it(client, session, settings):
    location = _file(client, files=[("media", ("night.png", png_with_gps(), "image/png"))]).headers["location"]
    code = location.split("/")[3].split("?")[0]
    report = session.scalars(select(PortalReport).where(PortalReport.tracking_code == code)).one()
    with TestClient(client.app) as staff:
        sign_in(staff, make_user(session, settings, "triage-disp", ["dispatcher"]), session)
        queue = staff.get("/portal-admin/reports")
        assert queue.status_code == 200 and f'data-report="{report.id}"' in queue.text
        page = staff.get(f"/portal-admin/reports/{report.id}")
        photo = re.search(rf'src="(/portal-admin/reports/{report.id}/photos/\d+)"', page.text).group(1)
        image = staff.get(photo)
        assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
        staff.post(
            f"/portal-admin/reports/{report.id}/status",
            data={"csrf_token": csrf_from(page.text), "status": "in_progress", "note": "Officers visit tonight."},
        )
        task = staff.post(f"/portal-admin/reports/{report.id}/task", data={"csrf_token": csrf_from(page.text)})
        assert "is on the alert queue" in task.text
    seen = client.get(f"/portal/track/{code}?lang=en")
    assert "In progress" in seen.text and "Officers visit tonight." in seen.text
    assert "Passed to the team responsible." in seen.text
    # Nobody outside the page can see the photo.
    assert client.get(photo, headers={"Accept": "application/json"}).status_code == 401


def test_analysts_cannot_open_the_triage_queue(client, session, settings):
    sign_in(client, make_user(session, settings, "triage-analyst", ["analyst"]), session)
    assert client.get("/portal-admin/reports", headers={"Accept": "application/json"}).status_code == 403


def test_subscriber_addresses_are_shown_only_with_a_purpose(client, session, settings):
    location = _file(client, email="resident@example.org").headers["location"]
    code = location.split("/")[3].split("?")[0]
    report = session.scalars(select(PortalReport).where(PortalReport.tracking_code == code)).one()
    sign_in(client, make_user(session, settings, "triage-sup", ["supervisor"]), session)
    plain = client.get(f"/portal-admin/reports/{report.id}")
    assert "resident@example.org" not in plain.text and "1 e-mail address(es)" in plain.text
    asked = client.get(
        f"/portal-admin/reports/{report.id}?purpose_ref=request:{report.id}&purpose_reason=resident+asked+for+a+call"
    )
    assert "resident@example.org" in asked.text
    audited = session.scalars(
        select(AuditEntry).where(AuditEntry.actor == "triage-sup", AuditEntry.purpose_ref == f"request:{report.id}")
    ).all()
    assert len(audited) == 1
