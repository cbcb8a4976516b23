"""Clock steps and what a (re)started clock does with them: pure, exact times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from emergency.domain.clocks import clock_steps, plan_start
from emergency.plans.escalation import load_escalation
from emergency.plans.loader import DEFAULT_PLANS_DIR

ESCALATION = load_escalation(DEFAULT_PLANS_DIR)
DUE = datetime(2026, 3, 1, 1, 20, tzinfo=UTC)


def test_steps_of_the_shipped_ladder() -> None:
    """Reminders 10 and 5 minutes before, the breach at the deadline, then the leader at +10 and the head at +30."""
    steps = [(s.step, s.kind, s.at - DUE) for s in clock_steps(DUE, ESCALATION)]
    assert steps == [
        ("remind_10", "reminder", timedelta(minutes=-10)),
        ("remind_5", "reminder", timedelta(minutes=-5)),
        ("breach", "breach", timedelta(0)),
        ("leader_on_duty", "escalation", timedelta(minutes=10)),
        ("office_head", "escalation", timedelta(minutes=30)),
    ]


def test_restart_after_the_deadline_flags_at_once_and_skips_reminders() -> None:
    """Down from -12 to +15 min: the breach and the leader step fire at once, the reminders are skipped."""
    plan = plan_start(clock_steps(DUE, ESCALATION), DUE, set(), DUE + timedelta(minutes=15))
    assert [s.step for s in plan.fire_now] == ["breach", "leader_on_duty"]
    assert [s.step for s in plan.skipped] == ["remind_10", "remind_5"]
    assert [s.step for s in plan.schedule] == ["office_head"]


def test_restart_before_the_deadline_sends_only_the_latest_missed_reminder() -> None:
    """Down over both reminder times but back before the deadline: one reminder now, the older one skipped."""
    plan = plan_start(clock_steps(DUE, ESCALATION), DUE, set(), DUE - timedelta(minutes=2))
    assert [s.step for s in plan.fire_now] == ["remind_5"]
    assert [s.step for s in plan.skipped] == ["remind_10"]
    assert [s.step for s in plan.schedule] == ["breach", "leader_on_duty", "office_head"]


def test_fired_steps_never_fire_again() -> None:
    """A restart after the breach was recorded does not flag it again."""
    plan = plan_start(clock_steps(DUE, ESCALATION), DUE, {"breach", "remind_10", "remind_5"},
                      DUE + timedelta(minutes=40))
    assert [s.step for s in plan.fire_now] == ["leader_on_duty", "office_head"]


@given(st.integers(min_value=-60 * 60, max_value=2 * 60 * 60), st.sets(st.sampled_from(
    ["remind_10", "remind_5", "breach", "leader_on_duty", "office_head"])))
def test_every_step_is_accounted_for_once(offset: int, fired: set[str]) -> None:
    """At any restart time, each step not yet fired is scheduled, fired now, or skipped: exactly one of them."""
    now = DUE + timedelta(seconds=offset)
    steps = clock_steps(DUE, ESCALATION)
    plan = plan_start(steps, DUE, fired, now)
    placed = [s.step for s in (*plan.schedule, *plan.fire_now, *plan.skipped)]
    assert sorted(placed) == sorted(s.step for s in steps if s.step not in fired)
    assert all(s.at > now for s in plan.schedule)
    assert all(s.kind != "reminder" or now < DUE for s in plan.fire_now)
