"""Webster signal timing: the textbook case, oversaturation, cycle bounds and minimum greens."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.traffic.signals import Phase, split_greens, webster

TEXTBOOK = [Phase("north-south", 500, 1600), Phase("east-west", 300, 1600)]


def test_textbook_case_gives_y_half_and_a_58_second_cycle():
    plan = webster(TEXTBOOK, lost_time_s=16)
    assert plan.status == "ok"
    assert plan.total_flow_ratio == pytest.approx(0.5)
    assert plan.webster_cycle_s == pytest.approx(58.0)
    assert plan.cycle_s == pytest.approx(58.0)
    # g_i = (y_i / Y)(C0 - L): 0.3125 / 0.5 * 42 and 0.1875 / 0.5 * 42
    assert plan.greens_s == pytest.approx((26.25, 15.75))
    assert sum(plan.greens_s) + plan.lost_time_s == pytest.approx(plan.cycle_s)
    # Webster's split equalises the degree of saturation: Y C / (C - L) = 0.5 * 58 / 42
    assert plan.degree_of_saturation == pytest.approx((29 / 42, 29 / 42))


def test_oversaturated_junction_is_flagged_instead_of_a_negative_cycle():
    plan = webster([Phase("a", 1000, 1600), Phase("b", 800, 1600)], lost_time_s=16, max_cycle_s=120)
    assert plan.status == "oversaturated"
    assert plan.total_flow_ratio == pytest.approx(1.125)
    assert plan.webster_cycle_s is None
    assert plan.cycle_s == 120  # the maximum, never a negative or infinite cycle
    assert all(g > 0 for g in plan.greens_s)
    assert sum(plan.greens_s) == pytest.approx(120 - 16)
    assert all(x > 1 for x in plan.degree_of_saturation)
    assert "exceeds capacity" in plan.message


def test_y_exactly_one_is_oversaturated():
    assert webster([Phase("a", 800, 1600), Phase("b", 800, 1600)], lost_time_s=10).status == "oversaturated"


def test_long_webster_cycle_is_capped_at_the_maximum():
    plan = webster([Phase("a", 760, 1600), Phase("b", 700, 1600)], lost_time_s=16, max_cycle_s=120)
    assert plan.webster_cycle_s == pytest.approx(29 / (1 - 1460 / 1600))  # about 333 s
    assert plan.status == "cycle_capped"
    assert plan.cycle_s == 120
    assert sum(plan.greens_s) == pytest.approx(104)


def test_short_webster_cycle_is_raised_to_the_minimum():
    plan = webster([Phase("a", 100, 1800), Phase("b", 100, 1800)], lost_time_s=8, min_cycle_s=40)
    assert plan.webster_cycle_s == pytest.approx(17 / (1 - 200 / 1800))
    assert plan.cycle_s == 40
    assert plan.greens_s == pytest.approx((16.0, 16.0))


def test_binding_minimum_green_takes_its_time_from_the_other_phases_only():
    phases = [Phase("main", 900, 1800), Phase("side", 90, 1800, min_green_s=12), Phase("turn", 180, 1800)]
    plan = webster(phases, lost_time_s=12)
    unbounded = webster([Phase(p.name, p.flow_veh_h, p.saturation_veh_h) for p in phases], lost_time_s=12)
    assert plan.cycle_s == pytest.approx(unbounded.cycle_s)
    assert plan.greens_s[1] == pytest.approx(12.0)
    assert plan.min_green_bound == (False, True, False)
    # The other two keep Webster's 900 : 180 proportion of what remains.
    rest = plan.cycle_s - 12 - 12
    assert plan.greens_s[0] == pytest.approx(rest * 0.5 / 0.6)
    assert plan.greens_s[2] == pytest.approx(rest * 0.1 / 0.6)
    assert sum(plan.greens_s) + 12 == pytest.approx(plan.cycle_s)


def test_redistribution_repeats_when_a_second_minimum_binds():
    # After fixing the first phase at 20 s the re-shared green pushes the second below its 15 s.
    greens, bound = split_greens([0.02, 0.1, 0.5], [20.0, 15.0, 0.0], 60.0)
    assert bound == [True, True, False]
    assert greens == pytest.approx([20.0, 15.0, 25.0])


def test_minimum_greens_that_do_not_fit_the_cycle_raise_the_cycle():
    plan = webster([Phase("a", 500, 1600, min_green_s=30), Phase("b", 300, 1600, min_green_s=30)], lost_time_s=16)
    assert plan.status == "cycle_raised"
    assert plan.cycle_s == pytest.approx(76)
    assert plan.greens_s == pytest.approx((30, 30))


def test_minimum_greens_beyond_the_maximum_cycle_are_refused_with_the_numbers():
    phases = [Phase(str(i), 100, 1600, min_green_s=40) for i in range(4)]
    with pytest.raises(ValueError, match=r"176 s exceed the maximum cycle 150 s"):
        webster(phases, lost_time_s=16)


@settings(max_examples=200, deadline=None)
@given(
    flows=st.lists(st.floats(0, 1500), min_size=1, max_size=5),
    mins=st.lists(st.floats(0, 15), min_size=5, max_size=5),
    lost=st.floats(4, 20),
)
def test_any_plan_fills_its_cycle_and_honours_every_minimum(flows, mins, lost):
    phases = [Phase(str(i), q, 1800, min_green_s=mins[i]) for i, q in enumerate(flows)]
    plan = webster(phases, lost_time_s=lost)
    assert 30 <= plan.cycle_s <= 150
    assert sum(plan.greens_s) + lost == pytest.approx(plan.cycle_s)
    assert all(g >= p.min_green_s - 1e-9 for g, p in zip(plan.greens_s, phases, strict=True))
    assert (plan.status == "oversaturated") == (plan.total_flow_ratio >= 1)
