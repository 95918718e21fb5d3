"""The ledger over a real database: reports, validation, idempotence, alerts, the demo and the job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from lantern.errors import Conflict, Forbidden, ValidationFailed
from lantern.hazmat import demo as hazmat_demo
from lantern.hazmat import service as hazmat_service
from lantern.hazmat.jobs import reconcile_job
from lantern.models import Alert, HazmatEntry, HazmatReport
from lantern.runtime import Runtime
from tests.factories import hazmat as f
from tests.factories.security import principal_for


def hazmat_alerts(session) -> dict[str, Alert]:
    return {a.dedupe_key: a for a in session.scalars(select(Alert).where(Alert.source == "hazmat"))}


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def two_holders(session):
    f.holder(session, "H1")
    f.holder(session, "H2")
    f.licence(session, "H1", "EXP-1")
    f.licence(session, "H2", "EXP-2")


def test_a_report_is_stored_and_reconciliation_raises_each_finding_once(session, clock, two_holders):
    now = clock.now()
    start, sent = now - timedelta(days=30), now - timedelta(days=10)
    body = f.report_body(
        "R-1",
        "H1",
        start,
        now,
        [
            f.entry("EXP-1", "purchase", 300, start + timedelta(days=1)),
            f.entry("EXP-1", "transfer_out", 100, sent, counterparty_licence="EXP-2", reference="WB-42"),
            f.entry("EXP-1", "count", 385, now - timedelta(days=2)),  # ledger: 200 + 300 - 100 = 400
        ],
    )
    result = f.submit(session, body)
    assert result.status == "accepted" and result.entries == 3 and result.new_alerts == 2
    alerts = hazmat_alerts(session)
    assert {a.kind for a in alerts.values()} == {"stock_imbalance", "transfer_one_sided"}
    one_sided = alerts["hazmat:transfer-one-sided:EXP-1:EXP-2:WB-42"]
    assert one_sided.subject_type == "hazmat_holder" and one_sided.subject_id == "H2"
    assert one_sided.severity == "critical" and one_sided.status == "new"

    again = hazmat_service.reconcile(session, f.SUPERVISOR)
    assert again.new_alerts == 0 and len(again.findings) == 2
    assert hazmat_alerts(session).keys() == alerts.keys(), "re-running adds no alert"

    # The receiver reports its side: the transfer now matches and is no longer a finding.
    f.submit(
        session,
        f.report_body(
            "R-9",
            "H2",
            start,
            now,
            [f.entry("EXP-2", "transfer_in", 100, sent, counterparty_licence="EXP-1", reference="WB-42")],
        ),
    )
    assert [x.kind for x in hazmat_service.findings(session, f.SUPERVISOR)] == ["stock_imbalance"]


def test_a_one_sided_transfer_is_raised_only_after_the_grace_period(session, clock, two_holders):
    now = clock.now()
    f.submit(
        session,
        f.report_body(
            "R-1",
            "H1",
            now - timedelta(days=1),
            now,
            [
                f.entry(
                    "EXP-1", "transfer_out", 50, now - timedelta(hours=2), counterparty_licence="EXP-2", reference="W1"
                )
            ],
        ),
    )
    assert hazmat_alerts(session) == {}
    clock.advance(hours=69)  # 71 h after the transfer
    assert hazmat_service.reconcile(session, f.SUPERVISOR).new_alerts == 0
    clock.advance(hours=2)
    assert hazmat_service.reconcile(session, f.SUPERVISOR).new_alerts == 1
    assert [a.kind for a in hazmat_alerts(session).values()] == ["transfer_one_sided"]


def test_an_entry_in_another_unit_rejects_the_whole_report(session, clock, two_holders):
    now = clock.now()
    body = f.report_body(
        "R-1",
        "H1",
        now - timedelta(days=5),
        now,
        [f.entry("EXP-1", "purchase", 10, now - timedelta(days=3)), f.entry("EXP-1", "use", 3, now, unit="t")],
    )
    with pytest.raises(ValidationFailed) as refused:
        f.submit(session, body)
    assert refused.value.message.startswith("report 1, entry 2, field `unit`: licence EXP-1 is kept in kg, not t")
    assert count(session, HazmatReport) == 0 and count(session, HazmatEntry) == 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"licence": "EXP-2"}, "report 1, entry 1, field `licence`: 'EXP-2' is not a licence of H1"),
        ({"time_days": -10}, "report 1, entry 1, field `time`"),
        (
            {"kind": "transfer_out", "counterparty_licence": "EXP-1", "reference": "X"},
            "field `counterparty_licence`: a licence cannot transfer to itself",
        ),
    ],
)
def test_entries_outside_the_holder_or_its_period_are_refused(session, clock, two_holders, entry, message):
    now = clock.now()
    when = now + timedelta(days=entry.pop("time_days", 0)) - timedelta(hours=1)
    line = {**f.entry("EXP-1", "use", 1, when), **entry}
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        f.submit(session, f.report_body("R-1", "H1", now - timedelta(days=5), now, [line]))


def test_a_report_id_is_idempotent_and_a_changed_resend_is_refused(session, clock, two_holders):
    now = clock.now()
    lines = [f.entry("EXP-1", "purchase", 10, now - timedelta(days=1))]
    body = f.report_body("R-7", "H1", now - timedelta(days=2), now, lines)
    assert f.submit(session, body).status == "accepted"
    assert f.submit(session, body).status == "duplicate"
    assert count(session, HazmatEntry) == 1
    changed = f.report_body("R-7", "H1", now - timedelta(days=2), now, [{**lines[0], "quantity": 11}])
    with pytest.raises(Conflict, match="already received with other content"):
        f.submit(session, changed)
    with pytest.raises(ValidationFailed, match="field `reference`"):
        twice = [
            f.entry("EXP-1", "transfer_out", 1, now - timedelta(hours=5), counterparty_licence="EXP-2", reference="W"),
            f.entry("EXP-1", "transfer_out", 2, now - timedelta(hours=4), counterparty_licence="EXP-2", reference="W"),
        ]
        f.submit(session, f.report_body("R-8", "H1", now - timedelta(days=2), now, twice))
    assert count(session, HazmatEntry) == 1


def test_over_limit_expiring_licence_and_missing_report_are_raised(session, clock):
    f.holder(session, "H3", report_every_days=7)
    now = clock.now()
    f.licence(session, "H3", "FW-1", unit="pieces", max_quantity=100, opening_stock=0, tolerance_pct=0,
              valid_until=now + timedelta(days=20))  # fmt: skip
    f.submit(
        session,
        f.report_body("R-1", "H3", now - timedelta(days=1), now, [
            f.entry("FW-1", "purchase", 150, now - timedelta(hours=3), unit="pieces"),
        ]),
    )  # fmt: skip
    assert {a.kind for a in hazmat_alerts(session).values()} == {"over_licence_limit", "licence_expiring"}
    clock.advance(days=13)  # the report covered up to day 0; the next was due on day 7, grace 5 days
    run = hazmat_service.reconcile(session, f.SUPERVISOR)
    assert run.new_alerts == 1
    assert "report_missing" in {a.kind for a in hazmat_alerts(session).values()}


def test_reading_the_ledger_needs_the_permission(session, two_holders):
    with pytest.raises(Forbidden):
        hazmat_service.register(session, principal_for("dispatcher"))
    with pytest.raises(Forbidden):
        hazmat_service.reconcile(session, principal_for("analyst"))


def test_the_demo_has_a_stock_discrepancy_and_a_one_sided_transfer_and_is_idempotent(session):
    lines = hazmat_demo.setup(session)
    assert len(lines) == 1 and "hazardous materials: 3 holders" in lines[0]
    assert hazmat_demo.setup(session) == []
    found = {(x.kind, x.holder): x for x in hazmat_service.findings(session, f.SUPERVISOR)}
    assert found[("stock_imbalance", "HX-QUARRY")].data["difference"] == -15
    assert found[("transfer_one_sided", "HX-TUNNELS")].data["reported_by"] == "HX-QUARRY"
    assert ("licence_expiring", "HX-FIREWORKS") in found
    assert len(found) == 3
    assert {a.kind for a in hazmat_alerts(session).values()} == {
        "stock_imbalance",
        "transfer_one_sided",
        "licence_expiring",
    }


def test_the_scheduled_job_reconciles_and_is_idempotent(session, settings, engine, clock):
    hazmat_demo.setup(session)
    for alert in hazmat_alerts(session).values():
        session.delete(alert)
    session.flush()
    factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False,
        info=dict(session.info),
    )  # fmt: skip
    runtime = Runtime(settings=settings, engine=engine, sessions=factory, clock=clock, keyring=session.info["keyring"])
    assert reconcile_job(runtime) == "3 findings, 3 new alerts"
    assert reconcile_job(runtime) == "3 findings, 0 new alerts"
    assert len(hazmat_alerts(session)) == 3


def test_after_revocation_a_transfer_to_the_licence_is_unlicensed(session, clock, two_holders):
    hazmat_service.revoke_licence(session, f.SUPERVISOR, "EXP-2", "store failed inspection")
    clock.advance(hours=1)
    now = clock.now()
    line = f.entry(
        "EXP-1", "transfer_out", 5, now - timedelta(minutes=10), counterparty_licence="EXP-2", reference="W5"
    )
    f.submit(session, f.report_body("R-1", "H1", now - timedelta(days=1), now, [line]))
    (finding,) = [x for x in hazmat_service.findings(session, f.SUPERVISOR) if x.kind == "unlicensed_counterparty"]
    assert "licence EXP-2 was not in force" in finding.detail
