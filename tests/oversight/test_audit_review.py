"""Audit review on a seeded log: reads without a linked case, bulk exports, after-hours reads and
an account reading far more than its peers, each finding naming its entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from lantern.audit import service as audit_service
from lantern.errors import Forbidden
from lantern.oversight import service as oversight_service
from lantern.oversight.review import service as review_service
from lantern.security.access import Purpose, audit
from tests.factories.security import make_user, principal_for, sign_in
from tests.oversight.factories import AUDITOR, SUPERVISOR, an_incident_id, case

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY = datetime(2031, 1, 6, 10, 0, tzinfo=HELSINKI)


@pytest.fixture
def seeded(session, clock):
    """A week of log in 2031 (after anything else in the test database); returns seqs by label."""
    clock.current = MONDAY.astimezone(UTC)
    incident = an_incident_id(session)
    case_id = case(session, "2031-0001", incident_id=incident).id
    seqs: dict[str, list[int]] = {}

    def read(actor: str, at: datetime, ref: str, label: str, role: str = "investigator") -> None:
        clock.current = at.astimezone(UTC)
        purpose = Purpose(ref=ref, reason="checking the witness list")
        audit(session, principal_for(role, actor), "consult", "party", 7, purpose=purpose)
        seqs.setdefault(label, []).append(_last_seq(session))

    # Five investigators reading for the case; inv-5 reads three times as much as anyone.
    for actor, n in {"inv-1": 20, "inv-2": 22, "inv-3": 21, "inv-4": 19, "inv-5": 66}.items():
        for i in range(n):
            read(actor, MONDAY + timedelta(minutes=i), "case:2031-0001", actor)
    # Reading via the linked incident is fine; via an unlinked incident or a non-existent case is not.
    read("disp-1", MONDAY + timedelta(hours=1), f"incident:{incident}", "linked", role="dispatcher")
    read("disp-1", MONDAY + timedelta(hours=2), "incident:999999999", "unlinked", role="dispatcher")
    read("disp-1", MONDAY + timedelta(hours=3), "case:1999-0001", "unlinked", role="dispatcher")
    # Tuesday 23:30 and Saturday 11:00 local: after hours.
    read("inv-2", datetime(2031, 1, 7, 23, 30, tzinfo=HELSINKI), "case:2031-0001", "after")
    read("inv-2", datetime(2031, 1, 11, 11, 0, tzinfo=HELSINKI), "case:2031-0001", "after")
    # A supervisor reading the case record and an early-intervention flag: neither is a finding.
    clock.current = (MONDAY + timedelta(hours=5)).astimezone(UTC)
    oversight_service.list_steps(session, SUPERVISOR, case_id)
    audit(session, SUPERVISOR, "consult", "eis_flag", 1)
    # Exports: one of 500 rows is bulk, one of 3 is not.
    for label, rows in (("bulk", 500), ("small", 3)):
        clock.current = (MONDAY + timedelta(hours=4)).astimezone(UTC)
        audit(session, AUDITOR, "audit_export", "audit_log", "search", details={"returned": rows})
        seqs[label] = [_last_seq(session)]
    clock.current = datetime(2031, 1, 12, tzinfo=UTC)
    return seqs


def _last_seq(session) -> int:
    # Read back through the audit service, as the review does.
    return newest_entry(session).seq


def newest_entry(session):
    return audit_service.search(session, limit=1, **review_service._filters(None, None))[1][0]


def test_each_finding_names_its_entries(session, seeded):
    findings = review_service.review(
        session, AUDITOR, datetime(2031, 1, 5, tzinfo=UTC), datetime(2031, 1, 12, tzinfo=UTC)
    )
    got = {(f.finding, f.actor): f for f in findings}
    assert set(got) == {
        ("read_without_case", "disp-1"),
        ("bulk_export", "aud-chen"),
        ("after_hours", "inv-2"),
        ("reads_far_above_peers", "inv-5"),
    }
    assert got["read_without_case", "disp-1"].seqs == seeded["unlinked"]
    assert got["bulk_export", "aud-chen"].seqs == seeded["bulk"]
    assert got["after_hours", "inv-2"].seqs == seeded["after"]
    assert got["reads_far_above_peers", "inv-5"].seqs == seeded["inv-5"]
    assert "66 personal-data reads" in got["reads_far_above_peers", "inv-5"].detail


def test_only_auditors_review_and_the_review_is_itself_logged(session, seeded):
    with pytest.raises(Forbidden):
        review_service.review(
            session, principal_for("supervisor"), datetime(2031, 1, 5, tzinfo=UTC), datetime(2031, 1, 12, tzinfo=UTC)
        )
    review_service.review(session, AUDITOR, datetime(2031, 1, 5, tzinfo=UTC), datetime(2031, 1, 12, tzinfo=UTC))
    newest = newest_entry(session)
    assert (newest.action, newest.actor, newest.object_type) == ("audit_read", "aud-chen", "audit_log")


def test_the_auditor_page_lists_findings_linking_to_their_entries(app, session, settings, seeded, clock):
    clock.current = datetime(2031, 1, 12, 12, tzinfo=UTC)
    account = make_user(session, settings, "aud-page", ["auditor"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        page = client.get("/oversight/audit-review", params={"days": 7})
        assert page.status_code == 200
        assert 'data-finding="reads_far_above_peers"' in page.text and "inv-5" in page.text
        assert "/audit?actor=disp-1&amp;action=consult" in page.text
        assert f"#{seeded['unlinked'][0]}" in page.text
        assert client.get("/oversight/audit-review", params={"days": 0}).status_code == 422
