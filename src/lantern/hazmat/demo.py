"""The hazardous-materials demo: three licensed holders and a month of their reports.

The quarry's count comes out 15 kg short of its ledger, and it reports sending 100 kg of
emulsion explosive to the tunnelling contractor, who never reports receiving it (a one-sided
transfer, flagged once the 72-hour grace period has passed). The fireworks shop balances, but
its licence runs out in three weeks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lantern.hazmat import service as hazmat_service
from lantern.hazmat.schemas import EntryIn, HolderCreate, LicenceCreate, ReportIn
from lantern.security import context
from lantern.security.policy import Principal

OPERATOR = Principal.system("hazmat-demo")
QUARRY, TUNNELS, FIREWORKS = "HX-QUARRY", "HX-TUNNELS", "HX-FIREWORKS"


def _entry(licence: str, kind: str, quantity: float, unit: str, time: datetime, **extra: str) -> EntryIn:
    return EntryIn.model_validate(
        {"licence": licence, "kind": kind, "quantity": quantity, "unit": unit, "time": time, **extra}
    )


def setup(session: Session) -> list[str]:
    """Register the demo holders, licences and reports and reconcile (idempotent)."""
    if hazmat_service.holder_exists(session, QUARRY):
        return []
    now = context.now(session).replace(microsecond=0)
    year_ago, start, end = now - timedelta(days=365), now - timedelta(days=31), now - timedelta(days=1)
    holders = [
        HolderCreate(code=QUARRY, organisation="Demo Quarry Oy", category="explosives",
                     contact_role="blasting supervisor", contact_channel="blasting@quarry.example"),
        HolderCreate(code=TUNNELS, organisation="Demo Tunnelling Oy", category="explosives",
                     contact_role="site safety manager", contact_channel="safety@tunnels.example"),
        HolderCreate(code=FIREWORKS, organisation="Demo Fireworks Shop", category="fireworks",
                     contact_role="shop manager", contact_channel="+358 9 000 0000 (shop duty phone)"),
    ]  # fmt: skip
    for holder_in in holders:
        hazmat_service.create_holder(session, OPERATOR, holder_in)
    licences = [
        (QUARRY, LicenceCreate(number="EXP-2026-001", material="emulsion explosive", category="explosives", unit="kg",
                               max_quantity=2000, opening_stock=800, tolerance_pct=0.5,
                               valid_from=year_ago, valid_until=now + timedelta(days=400))),
        (QUARRY, LicenceCreate(number="DET-2026-001", material="electronic detonators", category="explosives",
                               unit="detonators", max_quantity=5000, opening_stock=1200,
                               valid_from=year_ago, valid_until=now + timedelta(days=400))),
        (TUNNELS, LicenceCreate(number="EXP-2026-014", material="emulsion explosive", category="explosives",
                                unit="kg", max_quantity=1000, opening_stock=150, tolerance_pct=0.5,
                                valid_from=year_ago, valid_until=now + timedelta(days=200))),
        (FIREWORKS, LicenceCreate(number="FW-2026-077", material="consumer fireworks", category="fireworks",
                                  unit="pieces", max_quantity=20000, opening_stock=3000,
                                  valid_from=year_ago, valid_until=now + timedelta(days=21))),
    ]  # fmt: skip
    for code, licence_in in licences:
        hazmat_service.add_licence(session, OPERATOR, code, licence_in)

    def day(n: int) -> datetime:
        return start + timedelta(days=n, hours=9)

    reports = [
        ReportIn(report_id="Q-2026-M1", holder=QUARRY, period_start=start, period_end=end, entries=[
            _entry("EXP-2026-001", "purchase", 500, "kg", day(2), counterparty="Demo Explosives Works"),
            _entry("EXP-2026-001", "use", 240, "kg", day(6)),
            _entry("EXP-2026-001", "transfer_out", 100, "kg", day(10), counterparty_licence="EXP-2026-014",
                   counterparty="Demo Tunnelling Oy", reference="WB-2026-0042"),
            _entry("EXP-2026-001", "use", 180, "kg", day(20)),
            _entry("EXP-2026-001", "count", 765, "kg", day(29)),  # the ledger says 780
            _entry("DET-2026-001", "use", 300, "detonators", day(6)),
            _entry("DET-2026-001", "use", 250, "detonators", day(20)),
            _entry("DET-2026-001", "count", 650, "detonators", day(29)),
        ]),
        ReportIn(report_id="T-2026-M1", holder=TUNNELS, period_start=start, period_end=end, entries=[
            _entry("EXP-2026-014", "use", 60, "kg", day(4)),
            _entry("EXP-2026-014", "count", 90, "kg", day(29)),  # WB-2026-0042 never arrives in its books
        ]),
        ReportIn(report_id="F-2026-M1", holder=FIREWORKS, period_start=start, period_end=end, entries=[
            _entry("FW-2026-077", "purchase", 6000, "pieces", day(3), counterparty="Demo Pyrotechnics Import"),
            _entry("FW-2026-077", "use", 4200, "pieces", day(25)),  # sales to the public
            _entry("FW-2026-077", "count", 4800, "pieces", day(29)),
        ]),
    ]  # fmt: skip
    results = hazmat_service.submit_reports(session, OPERATOR, reports)
    alerts = results[-1].new_alerts if results else 0
    return [
        f"hazardous materials: {len(holders)} holders, {len(licences)} licences, {len(reports)} monthly reports; "
        f"{alerts} alerts (a 15 kg shortfall and a one-sided transfer at {QUARRY}, an expiring fireworks licence)"
    ]
