"""A resident complains about an officer on the portal and follows the complaint with the tracking code."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from lantern.kit.time import to_local
from lantern.models import Complaint
from lantern.oversight.complaints import service as complaint_service
from lantern.oversight.schemas import ComplaintFinding
from tests.factories.security import csrf_from, principal_for

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
CODE = re.compile(r'id="tracking-code">([0-9A-Z-]{14})<')


def file(client, headers, **fields):
    token = csrf_from(client.get("/portal/complaints/new", headers=headers).text)
    form = {"category": "conduct", "what": "The officer shouted at me and refused to give his number.", **fields}
    return client.post("/portal/complaints/new", data={"csrf_token": token, **form}, headers=headers)


def track(client, headers, code: str):
    token = csrf_from(client.get("/portal/complaints/track", headers=headers).text)
    return client.post("/portal/complaints/track", data={"csrf_token": token, "code": code}, headers=headers)


def test_a_resident_files_a_complaint_and_follows_it_to_the_decision(client, session, clock):
    when = to_local(clock.now() - timedelta(days=1), "Europe/Helsinki").strftime("%Y-%m-%dT%H:%M")
    filed = file(client, ZH, when=when, where="Rautatientori station", officer="PC4821")
    assert filed.status_code == 200 and "no-store" in filed.headers["cache-control"]
    assert "投诉已提交" in filed.text and "已受理，等待指派调查人员" in filed.text
    code = CODE.search(filed.text).group(1)
    complaint = session.scalars(select(Complaint).where(Complaint.source == "portal")).all()[-1]
    # What the investigator reads first: when, where and the officer number the resident gave.
    assert complaint.summary.startswith(f"When: {when}")
    assert "Where: Rautatientori station\nOfficer number given: PC4821\n\nThe officer shouted" in complaint.summary

    # Followed in English, the code typed in lower case with spaces.
    status = track(client, EN, code.lower().replace("-", " "))
    assert status.status_code == 200 and "no-store" in status.headers["cache-control"]
    assert complaint.number in status.text and "Received, waiting for an investigator" in status.text
    assert "PC4821" not in status.text and "shouted" not in status.text  # the complaint itself is not shown back

    supervisor = principal_for("supervisor", "sup-li")
    complaint_service.assign(session, supervisor, complaint.id, "inv-kim")
    complaint_service.note(session, supervisor, complaint.id, "Body-camera footage requested.", public=True)
    complaint_service.note(session, supervisor, complaint.id, "Officer has two earlier complaints.")
    complaint_service.record_finding(
        session, supervisor, complaint.id, ComplaintFinding(finding="sustained", outcome="The officer was reprimanded.")
    )
    decided = track(client, EN, code).text
    timeline = decided.split('id="complaint-timeline"')[1]
    for entry in ("Complaint received", "Investigator assigned", "Update from the investigation", "Decision"):
        assert entry in timeline
    assert "Body-camera footage requested." in timeline
    assert "Officer has two earlier complaints." not in decided and "inv-kim" not in decided
    assert "Upheld: the officer's conduct was found to be wrong" in decided
    assert "The officer was reprimanded." in decided
    assert "投诉属实" in track(client, ZH, code).text


def test_a_form_with_problems_is_shown_again_with_each_problem_at_its_field(client, clock):
    tomorrow = to_local(clock.now() + timedelta(days=1), "Europe/Helsinki").strftime("%Y-%m-%dT%H:%M")
    page = file(client, EN, category="", what="rude", when=tomorrow, where="Kamppi", officer="no such; number")
    assert page.status_code == 422
    summary = page.text.split('id="error-summary"')[1].split("</div>")[0]
    for field, message in (
        ("category", "Choose what the complaint is about."),
        ("what", "Describe what happened in at least 10 characters."),
        ("when", "The date and time are in the future; enter when it happened."),
        ("officer", "An officer number has up to 20 letters and digits"),
    ):
        assert f'<a href="#{field}">{message}' in summary
        assert f'id="{field}-error"' in page.text
    assert 'value="Kamppi"' in page.text and ">rude</textarea>" in page.text  # nothing typed is lost
    chinese = file(client, ZH, what="")
    assert chinese.status_code == 422 and "请描述事情经过，至少 10 个字。" in chinese.text


def test_an_unknown_tracking_code_says_what_to_check(client):
    page = track(client, EN, "7K3M-QX9D-2HPA")
    assert page.status_code == 404
    assert "No complaint has this tracking code. Check the 12 letters and digits you were given" in page.text
    assert 'aria-invalid="true"' in page.text and 'value="7K3M-QX9D-2HPA"' in page.text


def test_complaint_forms_refuse_a_post_without_the_security_token(client):
    client.get("/portal/complaints/new")
    refused = client.post("/portal/complaints/new", data={"category": "conduct", "what": "x" * 20})
    assert refused.status_code == 403
