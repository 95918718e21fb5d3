"""Ledger reconciliation as pure functions, on hand-made ledgers."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta

import pytest

from lantern.hazmat import reconcile as reconcile_module
from lantern.hazmat.reconcile import Entry, Holder, Licence, Params, ledger, reconcile

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
YEAR_AGO = NOW - timedelta(days=365)
NEXT_YEAR = NOW + timedelta(days=365)


def licence(number: str = "EXP-1", holder: str = "H1", **kw) -> Licence:
    base = {
        "material": "emulsion explosive",
        "unit": "kg",
        "max_quantity": 1000.0,
        "valid_from": YEAR_AGO,
        "valid_until": NEXT_YEAR,
        "opening_stock": 200.0,
    }
    return Licence(number=number, holder=holder, **(base | kw))


def at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


def run(licences, entries, holders=(), now=NOW, params=None):
    return reconcile(list(holders), list(licences), list(entries), now, params)


def kinds(findings) -> list[str]:
    return sorted(f.kind for f in findings)


def test_a_balanced_ledger_has_no_findings_and_running_balances_are_shown():
    lic = licence()
    entries = [
        Entry(1, "EXP-1", "purchase", 300, at(20)),
        Entry(2, "EXP-1", "use", 120.5, at(15)),
        Entry(3, "EXP-1", "count", 379.5, at(10)),
    ]
    assert run([lic], entries) == []
    lines = ledger(lic, entries)
    assert [line.after for line in lines] == [500.0, 379.5, 379.5]
    assert lines[-1].expected == 379.5 and lines[-1].difference == 0 and lines[-1].balanced is True


@pytest.mark.parametrize(
    ("counted", "tolerance_pct", "tolerance_abs", "flagged"),
    [
        (398.0, 0.5, 0.0, False),  # 2 kg short of 400, tolerance 0.5 % = 2 kg: inside
        (397.9, 0.5, 0.0, True),  # 2.1 kg short: beyond
        (401.9, 0.0, 2.0, False),  # absolute tolerance
        (400.0, 0.0, 0.0, False),
        (399.999, 0.0, 0.0, True),  # no tolerance: a gram counts
    ],
)
def test_a_count_is_compared_with_opening_plus_in_minus_out_within_the_tolerance(
    counted, tolerance_pct, tolerance_abs, flagged
):
    lic = licence(tolerance_pct=tolerance_pct, tolerance_abs=tolerance_abs)
    entries = [
        Entry(1, "EXP-1", "purchase", 300, at(20)),
        Entry(2, "EXP-1", "use", 100, at(15)),
        Entry(3, "EXP-1", "count", counted, at(10)),
    ]
    found = [f for f in run([lic], entries) if f.kind == "stock_imbalance"]
    assert bool(found) is flagged
    if flagged:
        assert found[0].data["expected"] == 400.0
        assert found[0].data["difference"] == pytest.approx(counted - 400.0)


def test_a_shortfall_is_critical_and_a_surplus_a_warning_and_each_count_starts_from_the_last():
    lic = licence()
    entries = [
        Entry(1, "EXP-1", "count", 190, at(30)),  # 10 kg short of the opening 200
        Entry(2, "EXP-1", "purchase", 100, at(20)),
        Entry(3, "EXP-1", "count", 295, at(10)),  # 5 kg more than 190 + 100
    ]
    found = {f.data["entry_id"]: f for f in run([lic], entries)}
    assert found[1].severity == "critical" and found[1].data["difference"] == -10
    assert found[3].severity == "warning" and found[3].data["difference"] == 5
    assert "counted 190 kg, ledger says 200 kg" in found[1].title


def test_a_movement_and_a_count_at_the_same_instant_count_the_stock_after_the_movement():
    lic = licence()
    same = at(5)
    entries = [Entry(2, "EXP-1", "count", 150, same), Entry(1, "EXP-1", "use", 50, same)]
    assert run([lic], entries) == []


def test_transfers_reported_by_both_sides_match():
    a, b = licence("EXP-1", "H1"), licence("EXP-2", "H2")
    entries = [
        Entry(1, "EXP-1", "transfer_out", 80, at(10), "EXP-2", "WB-1"),
        Entry(2, "EXP-2", "transfer_in", 80, at(9), "EXP-1", "WB-1"),
    ]
    assert run([a, b], entries) == []


def test_a_one_sided_transfer_is_flagged_only_after_the_grace_period():
    a, b = licence("EXP-1", "H1"), licence("EXP-2", "H2")
    sent_at = NOW - timedelta(hours=50)
    entries = [Entry(1, "EXP-1", "transfer_out", 80, sent_at, "EXP-2", "WB-7")]
    params = Params(transfer_grace=timedelta(hours=72))
    assert run([a, b], entries, params=params) == []
    later = sent_at + timedelta(hours=73)
    (found,) = run([a, b], entries, now=later, params=params)
    assert found.kind == "transfer_one_sided" and found.severity == "critical"
    assert found.holder == "H2" and found.licence == "EXP-2", "the receiver has to answer for it"
    assert found.data["reported_by"] == "H1"
    assert found.dedupe_key == "hazmat:transfer-one-sided:EXP-1:EXP-2:WB-7"
    assert "80 kg sent, receipt not reported by H2" in found.title


def test_a_receipt_nobody_reports_sending_is_one_sided_too():
    a, b = licence("EXP-1", "H1"), licence("EXP-2", "H2")
    entries = [Entry(1, "EXP-2", "transfer_in", 30, at(10), "EXP-1", "WB-9")]
    (found,) = run([a, b], entries)
    assert found.kind == "transfer_one_sided" and found.holder == "H1"


def test_both_sides_with_different_quantities_is_a_mismatch():
    a, b = licence("EXP-1", "H1"), licence("EXP-2", "H2")
    entries = [
        Entry(1, "EXP-1", "transfer_out", 80, at(10), "EXP-2", "WB-1"),
        Entry(2, "EXP-2", "transfer_in", 75, at(9), "EXP-1", "WB-1"),
    ]
    (found,) = run([a, b], entries)
    assert found.kind == "transfer_mismatch"
    assert found.data["sent"] == 80 and found.data["received"] == 75


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        (None, "not on the register"),
        (licence("EXP-2", "H2", valid_until=at(30)), "was not in force"),
        (licence("EXP-2", "H2", revoked_at=at(40)), "was not in force"),
        (licence("EXP-2", "H2", material="black powder"), "covers black powder"),
        (licence("EXP-2", "H2", unit="pieces"), "covers emulsion explosive (pieces)"),
    ],
)
def test_a_transfer_to_a_party_without_a_valid_licence_for_the_material_is_flagged(other, reason):
    licences = [licence("EXP-1", "H1"), *([other] if other else [])]
    entries = [Entry(1, "EXP-1", "transfer_out", 20, at(10), "EXP-2", "WB-3", counterparty="Shady Oy")]
    found = [f for f in run(licences, entries) if f.kind == "unlicensed_counterparty"]
    assert len(found) == 1
    assert reason in found[0].detail
    assert found[0].severity == "critical" and found[0].holder == "H1"
    assert "Transfer to Shady Oy without a valid licence" in found[0].title


def test_stock_above_the_licence_limit_is_flagged_once_when_it_goes_over():
    lic = licence(max_quantity=500)
    entries = [
        Entry(1, "EXP-1", "purchase", 250, at(20)),  # 450
        Entry(2, "EXP-1", "purchase", 100, at(19)),  # 550: over
        Entry(3, "EXP-1", "purchase", 10, at(18)),  # still over: no second finding
        Entry(4, "EXP-1", "use", 200, at(17)),  # 360
        Entry(5, "EXP-1", "count", 560, at(16)),  # counted over the limit (and a surplus)
    ]
    over = [f for f in run([lic], entries) if f.kind == "over_licence_limit"]
    assert [f.data["entry_id"] for f in over] == [2, 5]
    assert over[0].data == {"held": 550.0, "limit": 500, "unit": "kg", "entry_id": 2}


def test_a_licence_near_expiry_warns_and_an_expired_one_holding_stock_is_critical():
    soon = licence("EXP-1", valid_until=NOW + timedelta(days=20))
    later = licence("EXP-2", valid_until=NOW + timedelta(days=45))
    gone_empty = licence("EXP-3", valid_until=at(3), opening_stock=0)
    gone_full = licence("EXP-4", valid_until=at(3), opening_stock=12)
    found = run([soon, later, gone_empty, gone_full], [])
    assert [(f.kind, f.licence, f.severity) for f in found] == [
        ("licence_expiring", "EXP-1", "warning"),
        ("licence_expired_with_stock", "EXP-4", "critical"),
    ]
    assert found[0].dedupe_key == f"hazmat:licence-expiring:EXP-1:{soon.valid_until.date()}"


def test_a_movement_outside_the_holders_own_licence_is_flagged():
    lic = licence(valid_from=at(100), valid_until=at(5), opening_stock=0)
    entries = [Entry(1, "EXP-1", "purchase", 10, at(10)), Entry(2, "EXP-1", "use", 10, at(2))]
    found = [f for f in run([lic], entries) if f.kind == "licence_not_valid"]
    assert [f.data["entry_id"] for f in found] == [2]


def test_a_missing_periodic_report_is_flagged_after_its_grace_period():
    holder = Holder("H1", "Quarry Oy", 30, registered_at=at(200), last_period_end=at(34))
    lic = licence()
    params = Params(report_grace=timedelta(days=5))
    assert run([lic], [], [holder], params=params) == []  # due 4 days ago, inside the grace
    (found,) = run([lic], [], [holder], now=NOW + timedelta(days=2), params=params)
    assert found.kind == "report_missing" and found.holder == "H1"
    due = (at(34) + timedelta(days=30)).date().isoformat()
    assert found.dedupe_key == f"hazmat:report-missing:H1:{due}"
    never = Holder("H2", "New Oy", 30, registered_at=at(40))
    assert kinds(run([licence("EXP-9", "H2")], [], [never])) == ["report_missing"]
    no_licence_in_force = Holder("H3", "Closed Oy", 30, registered_at=at(400))
    assert run([licence("EXP-8", "H3", valid_until=at(100), opening_stock=0)], [], [no_licence_in_force]) == []


def test_reconciling_the_same_ledger_twice_gives_the_same_findings_with_unique_keys():
    a, b = licence("EXP-1", "H1", max_quantity=300), licence("EXP-2", "H2")
    entries = [
        Entry(1, "EXP-1", "purchase", 200, at(20)),
        Entry(2, "EXP-1", "transfer_out", 50, at(15), "EXP-2", "WB-1"),
        Entry(3, "EXP-1", "transfer_out", 10, at(14), "EXP-404", "WB-2"),
        Entry(4, "EXP-1", "count", 300, at(10)),
    ]
    first, second = run([a, b], entries), run([a, b], entries)
    assert first == second
    keys = [f.dedupe_key for f in first]
    assert len(keys) == len(set(keys))
    assert kinds(first) == ["over_licence_limit", "stock_imbalance", "transfer_one_sided", "unlicensed_counterparty"]


def test_the_documented_examples_run():
    assert doctest.testmod(reconcile_module).failed == 0
