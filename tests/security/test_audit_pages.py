"""The auditor's page, search and export; reading the log is itself audited."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from lantern.models import AuditEntry
from tests.factories.security import make_user, sign_in


def test_auditor_searches_by_user_and_every_search_is_recorded(client, session, settings):
    sign_in(client, make_user(session, settings, "watcher", ["auditor"]), session)
    page = client.get("/audit", params={"actor": "watcher"})
    assert page.status_code == 200 and 'id="audit-table"' in page.text
    api = client.get("/api/audit", params={"action": "sign_in", "actor": "watcher"}).json()
    assert api["total"] >= 1 and all(e["actor"] == "watcher" for e in api["items"])
    reads = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "audit_read", AuditEntry.actor == "watcher")
    ).all()
    assert len(reads) == 2


def test_export_is_csv_and_recorded_as_an_export(client, session, settings):
    sign_in(client, make_user(session, settings, "exporter", ["auditor"]), session)
    response = client.get("/audit/export.csv", params={"actor": "exporter"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and rows[0]["actor"] == "exporter"
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "audit_export")).first() is not None


def test_auditors_cannot_read_operational_data(client, session, settings):
    sign_in(client, make_user(session, settings, "auditonly", ["auditor"]), session)
    assert client.get("/api/incidents").status_code == 403
    assert client.get("/map", headers={"accept": "text/html"}).status_code == 403


def test_a_naive_time_filter_is_refused(client, session, settings):
    sign_in(client, make_user(session, settings, "auditnaive", ["auditor"]), session)
    response = client.get("/api/audit", params={"since": "2026-01-01T00:00:00"})
    assert response.status_code == 422 and "aware time" in response.json()["message"]
