"""Lost-and-found pages as residents and staff see them: the found list, a report and its tracking,
errors by their fields, staff suggestions, a likely match, the hand-over, and who may see what."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lantern.mail import service as mail_service
from lantern.models import District, LostReport
from lantern.portal.lostfound import service as lostfound_service
from lantern.portal.lostfound.service import FoundCreate
from lantern.security.policy import Principal
from tests.factories.security import csrf_from, make_user, sign_in

ZONE = ZoneInfo("Europe/Helsinki")


def desk_officer() -> Principal:
    return Principal(
        kind="user", name="lf-desk", roles=frozenset({"officer"}), permissions=frozenset({"portal:lostfound"})
    )


@pytest.fixture
def district(session) -> District:
    return session.scalars(select(District).order_by(District.code)).first()


def _report(client: TestClient, clock, lang: str = "en", **changes) -> object:
    page = client.get(f"/portal/lost-found/report?lang={lang}")
    today = clock.now().astimezone(ZONE).date()
    data = {
        "csrf_token": csrf_from(page.text),
        "category": "bag",
        "description": "Black leather wallet with a red stripe, bank cards inside",
        "lost_on": (today - timedelta(days=1)).isoformat(),
        "lost_until": "",
        "lost_place": "Tram 3 near the market",
        "district": "",
        "email": "owner@example.org",
        **changes,
    }
    return client.post(f"/portal/lost-found/report?lang={lang}", data=data, follow_redirects=False)


def _code(response) -> str:
    assert response.status_code == 303, response.text
    return re.search(r"/portal/lost-found/track/(L[A-Z0-9]+)\?filed=1$", response.headers["location"]).group(1)


def test_a_resident_reports_a_loss_gets_a_code_and_follows_it_in_each_language(client, session, clock):
    code = _code(_report(client, clock))
    page = client.get(f"/portal/lost-found/track/{code}?filed=1&lang=en")
    assert f'id="tracking-code">{code}<' in page.text
    assert "We have your report and have e-mailed you the tracking code" in page.text
    assert re.search(r'id="lf-status">We are looking<', page.text)
    # The code as typed (lower case, spaces) finds the same report.
    typed = " ".join([code[:4].lower(), code[4:]])
    again = client.get("/portal/lost-found/track", params={"code": typed, "lang": "en"}, follow_redirects=True)
    assert f'id="tracking-code">{code}<' in again.text
    chinese = client.get(f"/portal/lost-found/track/{code}?lang=zh")
    assert re.search(r'id="lf-status">正在查找<', chinese.text) and "包或钱包" in chinese.text
    report = session.scalars(select(LostReport).where(LostReport.tracking_code == code)).one()
    [mail] = mail_service.messages_about(session, f"lost-report:{report.id}")
    assert code in mail.subject and mail.to_address == "owner@example.org"

    unknown = client.get("/portal/lost-found/track/LNOSUCHCODE?lang=en")
    assert unknown.status_code == 404 and "no lost-item report with this code" in unknown.text


def test_problems_are_summarised_and_shown_next_to_their_fields(client, clock):
    future = (clock.now().astimezone(ZONE).date() + timedelta(days=3)).isoformat()
    response = _report(client, clock, category="", description=" ", lost_on=future, lost_place="", email="nope")
    assert response.status_code == 422
    html = response.text
    assert 'id="error-summary"' in html
    for field in ("category", "description", "lost_on", "lost_place", "email"):
        assert f'<a href="#{field}">' in html, field
        assert f'id="{field}-error"' in html, field
        assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"', html), (
            field
        )
    assert "This day is in the future" in html and "name@example.org" in html
    assert 'value="Tram' not in html and "nope" in html  # what was typed is kept
    chinese = _report(client, clock, lang="zh", lost_until="2000-01-01")
    assert chinese.status_code == 422 and "请检查以下内容" in chinese.text and 'id="lost_until-error"' in chinese.text


def test_the_public_list_shows_only_coarse_safe_fields(client, session, clock, district):
    now = clock.now()
    officer = desk_officer()
    lostfound_service.register_found(
        session,
        officer,
        FoundCreate(
            "bag",
            "black wallet, name Zhang Wei, card 6222020200112233",
            now - timedelta(hours=3),
            "bench at Kauppatori, found by Mrs Virtanen",
            "Central station desk, shelf B-17",
            district.code,
        ),
        now,
    )
    lostfound_service.register_found(
        session,
        officer,
        FoundCreate("documents", "ID card of Li Lei 110101199003071234", now - timedelta(hours=2), "metro", "Safe 2"),
        now,
    )
    page = client.get("/portal/lost-found?lang=en")
    assert page.status_code == 200
    table = page.text[page.text.index('id="lf-items"') :]
    assert "Bag or wallet" in table and "black wallet" in table and district.name in table
    assert "ID card or documents" in table
    for secret in ("Zhang Wei", "6222", "shelf B-17", "Safe 2", "Virtanen", "Kauppatori", "Li Lei", "1101", "lf-desk"):
        assert secret not in page.text, secret
    assert not re.search(r"\bF[A-Z0-9]{10}\b", page.text)  # item codes are for staff labels

    keys = client.get("/portal/lost-found?lang=en&category=keys")
    assert "black wallet" not in keys.text and "Items found: 0." in keys.text
    tomorrow = (now.astimezone(ZONE).date() + timedelta(days=1)).isoformat()
    later = client.get(f"/portal/lost-found?lang=en&since={tomorrow}")
    assert "black wallet" not in later.text
    chinese = client.get("/portal/lost-found?lang=zh&category=bag")
    assert "包或钱包" in chinese.text and "black wallet" in chinese.text


STAFF_PAGES = ["/lost-and-found", "/lost-and-found/items/new", "/lost-and-found/items/1", "/lost-and-found/reports/1"]


def test_staff_pages_refuse_without_the_permission(client, session, settings):
    for path in STAFF_PAGES:
        assert client.get(path, follow_redirects=False).status_code in (302, 303, 401), path
    with TestClient(client.app) as analyst:
        sign_in(analyst, make_user(session, settings, "lf-analyst", ["analyst"]), session)
        for path in STAFF_PAGES:
            assert analyst.get(path).status_code == 403, path
        assert "/lost-and-found" not in analyst.get("/").text  # no nav entry either
        refused = analyst.post("/lost-and-found/items/1/hand-over", data={"handed_to_name": "X", "id_checked": "yes"})
        assert refused.status_code == 403


def test_staff_mark_a_match_and_the_residents_tracking_page_changes(client, session, settings, clock, district):
    code = _code(_report(client, clock, lang="zh", district=district.code))
    found_at = (clock.now() - timedelta(hours=20)).astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")
    with TestClient(client.app) as staff:
        sign_in(staff, make_user(session, settings, "lf-super", ["supervisor"]), session)
        home = staff.get("/")
        assert 'href="/lost-and-found"' in home.text
        form = staff.get("/lost-and-found/items/new")
        registered = staff.post(
            "/lost-and-found/items/new",
            data={
                "csrf_token": csrf_from(form.text),
                "category": "bag",
                "description": "wallet, black leather, red stripe, cards inside",
                "found_at": found_at,
                "found_place": "Tram 3",
                "district": district.code,
                "storage_place": "Central desk, shelf B",
            },
        )
        assert registered.status_code == 200 and "Registered." in registered.text
        item_url = str(registered.url).split("?")[0]
        row = re.search(rf'<tr data-report="{code}">.*?</tr>', registered.text, re.S).group(0)
        assert "= 40 × text" in row and "30 × place 1.00" in row  # the score's parts are explained
        report = session.scalars(select(LostReport).where(LostReport.tracking_code == code)).one()
        action = re.search(r'action="(/lost-and-found/reports/\d+/items/\d+/likely)"', row).group(1)
        marked = staff.post(action, data={"back": "item"})
        assert "Marked as a likely match" in marked.text
        desk = staff.get("/lost-and-found")
        assert f'data-report="{code}"' in desk.text
        report_page = staff.get(f"/lost-and-found/reports/{report.id}")
        assert "likely match" in report_page.text and "Central desk, shelf B" not in report_page.text.split("<table")[0]

    seen = client.get(f"/portal/lost-found/track/{code}?lang=zh")
    assert re.search(r'id="lf-status">可能已找到：请前来认领<', seen.text)
    assert "shelf B" not in seen.text  # the place is in the e-mail, not on a page anyone with the code opens
    mails = mail_service.messages_about(session, f"lost-report:{report.id}")
    assert len(mails) == 2 and "Central desk, shelf B" in mails[1].body

    with TestClient(client.app) as staff:
        sign_in(staff, make_user(session, settings, "lf-officer", ["officer"]), session)
        handed = staff.post(
            f"{item_url}/hand-over", data={"handed_to_name": "Chen Jing", "id_checked": "yes"}, follow_redirects=True
        )
        assert "handed over to Chen Jing" in handed.text and "(ID checked)" in handed.text
    returned = client.get(f"/portal/lost-found/track/{code}?lang=en")
    assert re.search(r'id="lf-status">Returned to you<', returned.text)
    assert "black leather" not in client.get("/portal/lost-found?lang=en").text  # handed over: off the list


def test_the_desk_flags_items_unclaimed_after_the_legal_period(client, session, settings, clock):
    now = clock.now()
    officer = desk_officer()
    old = lostfound_service.register_found(
        session, officer, FoundCreate("other", "umbrella", now - timedelta(days=400), "park", "basement"), now
    )
    recent = lostfound_service.register_found(
        session, officer, FoundCreate("other", "scarf", now - timedelta(days=30), "park", "basement"), now
    )
    with TestClient(client.app) as staff:
        sign_in(staff, make_user(session, settings, "lf-desk2", ["officer"]), session)
        desk = staff.get("/lost-and-found")
    old_row = re.search(rf'<tr data-item="{old.code}">.*?</tr>', desk.text, re.S).group(0)
    recent_row = re.search(rf'<tr data-item="{recent.code}">.*?</tr>', desk.text, re.S).group(0)
    assert 'data-flag="unclaimed"' in old_row and 'data-flag="unclaimed"' not in recent_row
