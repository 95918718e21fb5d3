"""Legal deadlines from the rule table: periods in hours and days, extensions, zones, weekends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from lantern.oversight import deadlines as d
from lantern.oversight.analytics import deadline_frame
from lantern.oversight.rules import RuleTableError, default_rule_table, load_rule_table

TABLE = default_rule_table()
CN = TABLE.get("CN-CPL", "2018")
PSAPL = TABLE.get("CN-PSAPL", "2012")
PACE = TABLE.get("UK-PACE", "PACE 1984 / Code C 2023")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]


def ext(kind: str, at: datetime, approver: str = "sup-wang", role: str = "supervisor") -> d.Extension:
    return d.Extension(
        kind=kind, approver=approver, approver_role=role, reason="suspect moved between cities", granted_at=at
    )


def test_every_rule_names_its_legal_source_and_the_three_jurisdictions_are_there():
    assert {(j.key, j.statute_version) for j in TABLE.jurisdictions} == {
        ("CN-CPL", "2018"),
        ("CN-PSAPL", "2012"),
        ("UK-PACE", "PACE 1984 / Code C 2023"),
    }
    for j in TABLE.jurisdictions:
        for rule in j.rules:
            assert rule.source.split()[0] in {"CPL", "PSAPL", "PACE"}, rule.id
            assert all(e.source for e in rule.extensions)


def test_family_notice_runs_across_midnight_and_turns_yellow_then_red():
    rule = CN.rule("cn-cpl-family-notice-detention")
    detained = local(SHANGHAI, 2026, 3, 6, 22, 30)  # Friday 22:30 in Shanghai
    due = d.due_at(CN, rule, detained)
    assert due.astimezone(SHANGHAI) == datetime(2026, 3, 7, 22, 30, tzinfo=SHANGHAI)  # Saturday, no pause
    assert d.status(rule, detained, due, detained + timedelta(hours=19)) == d.GREEN
    assert d.status(rule, detained, due, due - timedelta(hours=4)) == d.YELLOW  # yellow_hours = 4
    assert d.status(rule, detained, due, due + timedelta(seconds=1)) == d.RED
    assert d.status(rule, detained, due, due + timedelta(days=3), done_at=due - timedelta(minutes=5)) == d.DONE
    assert d.status(rule, detained, due, due + timedelta(days=3), done_at=due + timedelta(minutes=5)) == d.DONE_LATE


def test_days_are_counted_from_the_local_date_not_the_utc_date():
    rule = CN.rule("cn-cpl-arrest-approval-request")
    # The same UTC day, but 01:00 on Thursday in Shanghai: the starting day is not counted.
    wednesday_evening = local(SHANGHAI, 2026, 3, 4, 23, 30)
    thursday_night = local(SHANGHAI, 2026, 3, 5, 1, 0)
    assert wednesday_evening.date() == thursday_night.date()
    assert d.due_at(CN, rule, wednesday_evening) == local(SHANGHAI, 2026, 3, 8, 0, 0)  # end of Saturday 7th
    assert d.due_at(CN, rule, thursday_night) == local(SHANGHAI, 2026, 3, 9, 0, 0)  # end of Sunday 8th


def test_a_custody_period_ending_on_a_weekend_is_not_extended_but_an_administrative_one_rolls_over():
    custody = CN.rule("cn-cpl-arrest-approval-request")
    due = d.due_at(CN, custody, local(SHANGHAI, 2026, 3, 4, 10, 0))
    assert due.astimezone(SHANGHAI).date().isoformat() == "2026-03-08"  # 24:00 Saturday 7 March
    assert due.astimezone(SHANGHAI).hour == 0

    decision = PSAPL.rule("cn-psapl-case-decision")
    filed = local(SHANGHAI, 2026, 5, 1, 9, 0)  # day 30 is Sunday 31 May
    assert d.due_at(PSAPL, decision, filed) == local(SHANGHAI, 2026, 6, 2, 0, 0)  # end of Monday 1 June


def test_an_administrative_period_ending_in_a_holiday_runs_to_the_first_working_day_and_make_up_days_count():
    decision = PSAPL.rule("cn-psapl-case-decision")
    # Day 30 is 1 October, the National Day holiday runs to 7 October, 8 October is a Thursday.
    assert d.due_at(PSAPL, decision, local(SHANGHAI, 2026, 9, 1, 9, 0)) == local(SHANGHAI, 2026, 10, 9, 0, 0)
    # Day 30 is Saturday 10 October, a make-up working day: no roll-over.
    assert d.due_at(PSAPL, decision, local(SHANGHAI, 2026, 9, 10, 9, 0)) == local(SHANGHAI, 2026, 10, 11, 0, 0)


def test_arrest_approval_extensions_to_seven_and_thirty_days_need_an_approver_and_a_reason():
    rule = CN.rule("cn-cpl-arrest-approval-request")
    detained = local(SHANGHAI, 2026, 3, 2, 8, 0)  # Monday
    due = d.due_at(CN, rule, detained)
    assert due == local(SHANGHAI, 2026, 3, 6, 0, 0)
    special = ext("special_circumstances", detained + timedelta(days=2))
    d.check_extension(rule, [], special, responsible_officer="off-li", due=due)
    assert d.due_at(CN, rule, detained, [special]) == local(SHANGHAI, 2026, 3, 10, 0, 0)  # 7 days
    roaming = ext("roaming_repeat_gang", detained + timedelta(days=5))
    d.check_extension(
        rule, [special], roaming, responsible_officer="off-li", due=d.due_at(CN, rule, detained, [special])
    )
    assert d.due_at(CN, rule, detained, [special, roaming]) == local(SHANGHAI, 2026, 4, 2, 0, 0)  # 30 days

    with pytest.raises(d.ExtensionRefused, match="already granted"):
        d.check_extension(rule, [special], special, responsible_officer="off-li", due=due)
    with pytest.raises(d.ExtensionRefused, match="responsible"):
        d.check_extension(
            rule, [], ext("special_circumstances", detained, approver="off-li"), responsible_officer="off-li", due=due
        )
    with pytest.raises(d.ExtensionRefused, match="supervisor"):
        d.check_extension(
            rule, [], ext("special_circumstances", detained, role="officer"), responsible_officer="off-li", due=due
        )
    with pytest.raises(d.ExtensionRefused, match="reason"):
        short = d.Extension("special_circumstances", "sup-wang", "supervisor", "busy", detained)
        d.check_extension(rule, [], short, responsible_officer="off-li", due=due)
    with pytest.raises(d.ExtensionRefused, match="overdue"):
        d.check_extension(
            rule, [], ext("special_circumstances", due + timedelta(hours=1)), responsible_officer="off-li", due=due
        )
    with pytest.raises(d.ExtensionRefused, match="allowed: special_circumstances, roaming_repeat_gang"):
        d.check_extension(rule, [], ext("holiday", detained), responsible_officer="off-li", due=due)
    with pytest.raises(d.ExtensionRefused, match="no extension"):
        family = CN.rule("cn-cpl-family-notice-detention")
        d.check_extension(family, [], ext("special_circumstances", detained), responsible_officer="off-li", due=due)


def test_pace_clock_is_elapsed_hours_through_the_spring_clock_change():
    rule = PACE.rule("uk-pace-detention-without-charge")
    london = ZoneInfo("Europe/London")
    relevant_time = datetime(2026, 3, 28, 23, 0, tzinfo=london)  # Saturday 23:00 GMT; clocks go forward at 01:00
    due = d.due_at(PACE, rule, relevant_time)
    assert due - relevant_time.astimezone(UTC) == timedelta(hours=24)
    assert due.astimezone(london) == datetime(2026, 3, 30, 0, 0, tzinfo=london)  # 24 h later, but 00:00 BST
    superintendent = ext("superintendent_authorisation", relevant_time + timedelta(hours=20))
    assert d.due_at(PACE, rule, relevant_time, [superintendent]) - relevant_time == timedelta(hours=36)
    warrant = ext("warrant_of_further_detention", relevant_time + timedelta(hours=30))
    d.check_extension(rule, [superintendent], warrant, responsible_officer="pc-smith", due=due + timedelta(hours=12))
    assert d.due_at(PACE, rule, relevant_time, [superintendent, warrant]) - relevant_time == timedelta(hours=96)
    with pytest.raises(d.ExtensionRefused, match="would not lengthen"):
        d.check_extension(
            rule, [superintendent, warrant], warrant, responsible_officer="pc-smith", due=due + timedelta(hours=96)
        )


def test_summons_extension_and_psapl_extension_once():
    summons = PSAPL.rule("cn-psapl-questioning-duration")
    start = local(SHANGHAI, 2026, 3, 6, 20, 0)
    assert d.due_at(PSAPL, summons, start) == start + timedelta(hours=8)
    assert d.due_at(PSAPL, summons, start, [ext("may_lead_to_detention", start)]) == start + timedelta(hours=24)
    decision = PSAPL.rule("cn-psapl-case-decision")
    once = ext("major_complex", start + timedelta(days=20))
    with pytest.raises(d.ExtensionRefused, match="already granted 1"):
        d.check_extension(decision, [once], once, responsible_officer="off-li", due=start + timedelta(days=60))


def test_the_columnar_recompute_agrees_with_the_scalar_rules():
    rng = random.Random(11)
    rules = [(j, r) for j in TABLE.jurisdictions for r in j.rules]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows, expected = [], []
    now = datetime(2026, 6, 1, tzinfo=UTC)
    for i in range(600):
        j, r = rng.choice(rules)
        started = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 300))
        grants = [ext(r.extensions[0].kind, started)] if r.extensions and rng.random() < 0.3 else []
        done = started + timedelta(hours=rng.randrange(1, 900)) if rng.random() < 0.4 else None
        period = d.period_total(r, grants) if grants else None
        rows.append({"step_id": i, "rule_id": r.id, "started_at": started, "done_at": done, "period": period})
        due = d.due_at(j, r, started, grants)
        expected.append((due, d.status(r, started, due, now, done)))
    frame = pl.DataFrame(
        rows,
        schema={"step_id": pl.Int64, "rule_id": pl.String, "started_at": pl.Datetime("us", "UTC"),
                "done_at": pl.Datetime("us", "UTC"), "period": pl.Float64},
    )  # fmt: skip
    got = deadline_frame(frame, TABLE, now).sort("step_id")
    assert list(zip(got["due_at"].to_list(), got["status"].to_list(), strict=True)) == expected
    assert {"green", "red", "done"} <= set(got["status"].to_list())


def test_a_malformed_rule_table_is_refused_naming_the_rule(tmp_path: Path):
    bad = tmp_path / "rules.toml"
    bad.write_text(
        '[[jurisdiction]]\nkey = "X"\nstatute_version = "1"\ntimezone = "Europe/Paris"\n'
        '[[jurisdiction.rule]]\nid = "x-1"\ntrigger = "detained"\nstep = "y"\nhours = 4\ndays = 1\nsource = "s"\n'
    )
    with pytest.raises(RuleTableError, match="rule x-1: give exactly one of `hours` or `days`"):
        load_rule_table(bad)
    bad.write_text('[[jurisdiction]]\nkey = "X"\nstatute_version = "1"\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(RuleTableError, match="unknown time zone"):
        load_rule_table(bad)
