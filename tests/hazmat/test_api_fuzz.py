"""Schemathesis against the hazardous-materials operations: no generated request may cause a 500."""

from __future__ import annotations

from datetime import datetime, timedelta

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lantern.hazmat import demo as hazmat_demo
from tests.factories.security import bearer
from tests.support.app import app_for


def test_no_generated_hazmat_request_causes_a_server_error(session, settings, engine, clock):
    hazmat_demo.setup(session)  # real holders, so generated codes sometimes meet existing rows
    app = app_for(session, settings, engine, clock)
    headers = bearer(session, ["hazmat:read", "hazmat:manage", "hazmat:report"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith("/api/hazmat")]
    assert len(operations) == 8
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        check()
    assert failures == []


LICENCES = ["EXP-2026-001", "DET-2026-001", "EXP-2026-014", "FW-2026-077", "NOPE-1"]
UNITS = ["kg", "detonators", "kg", "pieces", "t"]  # the unit of each licence above, "t" for the unknown one
ODD_TIMES = ["2026-01-01T00:00:00", "not a time", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]


@st.composite
def reports(draw: st.DrawFn, now: datetime) -> dict[str, object]:
    """Mostly coherent reports (right holder, licence and unit, times inside the period), some fields spoiled."""
    start = now - timedelta(days=draw(st.integers(1, 60)))
    entries = []
    for _ in range(draw(st.integers(0, 6))):  # the quarry holds licences 0 and 1
        i = draw(st.sampled_from([0, 0, 0, 1, 1, 1, 2, 3, 4]))
        kind = draw(st.sampled_from(["purchase", "use", "transfer_out", "transfer_in", "count"]))
        entry: dict[str, object] = {
            "licence": LICENCES[i],
            "kind": kind,
            "quantity": draw(st.floats(0, 5000, allow_nan=False)),
            "unit": UNITS[i],
            "time": (start + (now - start) * draw(st.floats(0, 1))).isoformat(),
        }
        if kind.startswith("transfer"):
            entry["counterparty_licence"] = draw(st.sampled_from(LICENCES))
            entry["reference"] = draw(st.from_regex(r"WB-[0-9]{1,3}", fullmatch=True))
        entries.append(entry)
    report: dict[str, object] = {
        "report_id": draw(st.from_regex(r"[A-Za-z0-9_\-]{1,12}", fullmatch=True)),
        "holder": draw(st.sampled_from(["HX-QUARRY"] * 6 + ["HX-TUNNELS", "nobody"])),
        "period_start": start.isoformat(),
        "period_end": now.isoformat(),
        "entries": entries,
    }
    if draw(st.integers(0, 3)) == 0:  # spoil one field of the report or of an entry
        target = draw(st.sampled_from(entries)) if entries and draw(st.booleans()) else report
        field = draw(st.sampled_from(sorted(target)))
        target[field] = draw(
            st.one_of(
                st.sampled_from(ODD_TIMES),
                st.floats(allow_nan=False, allow_infinity=False),
                st.integers(),
                st.text(max_size=5),
                st.none(),
                st.lists(st.integers(), max_size=2),
            )
        )
    return report


def test_no_generated_report_body_causes_a_server_error(app, session, clock):
    hazmat_demo.setup(session)
    headers = bearer(session, ["hazmat:report", "hazmat:manage"])
    failures: list[str] = []
    with TestClient(app) as client:
        one = reports(clock.now())

        @given(body=st.one_of(one, st.lists(one, min_size=1, max_size=3), st.integers(), st.text(max_size=5)))
        @hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(body):
            response = client.post("/api/hazmat/reports", json=body, headers=headers)
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {response.text[:200]} for {body}")

        check()
    assert failures == []
