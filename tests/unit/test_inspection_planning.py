"""Which inspections fall due: periods, campaigns and the plan file, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emergency.domain.enums import RiskLevel
from emergency.domain.inspections import (
    ROUTINE,
    Cadence,
    PlannedSource,
    campaign_windows,
    due_inspections,
    period_window,
)
from emergency.errors import RulesError
from emergency.plans.inspections import InspectionPlan, load_inspection_plan, risk_level_of
from emergency.plans.loader import DEFAULT_PLANS_DIR

PLAN = load_inspection_plan()
FREQUENCIES = PLAN.frequencies()
CAMPAIGNS = PLAN.campaign_rules()
TYPES = sorted({t for t, _ in FREQUENCIES})
LEVELS = [level.value for level in RiskLevel]

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))
sources = st.lists(st.tuples(st.sampled_from([*TYPES, "unknown_type"]), st.sampled_from(LEVELS)), max_size=40).map(
    lambda pairs: [PlannedSource(n, t, level) for n, (t, level) in enumerate(pairs, start=1)])


def keys(day: date, source_type: str, level: str) -> set[tuple[str, str]]:
    """Return the (period key, reason) pairs one source of the type and level gets on *day*."""
    planning = due_inspections([PlannedSource(1, source_type, level)], FREQUENCIES, CAMPAIGNS, day)
    return {(d.period_key, d.reason) for d in planning.due}


@given(st.sampled_from(list(Cadence)), days)
def test_a_period_contains_its_day_and_has_one_key_throughout(every: Cadence, day: date) -> None:
    """Every day of a period names the same period; the day after it ends starts the next one."""
    window = period_window(every, day)
    assert window.starts_on <= day <= window.due_on
    assert period_window(every, window.starts_on) == window == period_window(every, window.due_on)
    following = period_window(every, window.due_on + timedelta(days=1))
    assert following.key != window.key and following.starts_on == window.due_on + timedelta(days=1)
    assert period_window(every, window.starts_on - timedelta(days=1)).due_on == window.starts_on - timedelta(days=1)


@given(sources, days)
def test_never_two_inspections_for_one_source_and_period(planned: list[PlannedSource], day: date) -> None:
    """A run names each (source, period) once, every period contains the day, and unknown types are set apart."""
    planning = due_inspections(planned, FREQUENCIES, CAMPAIGNS, day)
    pairs = [(d.source_id, d.period_key) for d in planning.due]
    assert len(pairs) == len(set(pairs))
    assert all(d.starts_on <= day <= d.due_on for d in planning.due)
    assert set(planning.unplanned) == {s.id for s in planned if s.source_type == "unknown_type"}
    assert {d.source_id for d in planning.due} == {s.id for s in planned if s.source_type != "unknown_type"}
    assert all(sum(1 for d in planning.due if d.source_id == s.id and d.reason == ROUTINE) == 1
               for s in planned if s.source_type != "unknown_type")


@given(sources, days, st.integers(min_value=0, max_value=6))
def test_runs_within_a_period_name_the_same_inspections(planned: list[PlannedSource], day: date, later: int) -> None:
    """Running again on a later day of the same week names no routine period twice under a different key."""
    first = due_inspections(planned, FREQUENCIES, CAMPAIGNS, day)
    second = due_inspections(planned, FREQUENCIES, CAMPAIGNS, day + timedelta(days=later))
    for d in second.due:
        if d.reason == ROUTINE and d.starts_on <= day:
            assert (d.source_id, d.period_key, d.reason) in {(x.source_id, x.period_key, x.reason) for x in first.due}


@given(st.sampled_from(TYPES), st.sampled_from(LEVELS), days, days)
def test_backfill_with_an_earlier_day_gives_that_days_period(source_type: str, level: str, today: date,
                                                              earlier: date) -> None:
    """Planning as of an earlier day names the routine period of that day, whatever day it is now."""
    if earlier > today:
        earlier, today = today, earlier
    every = FREQUENCIES[(source_type, level)]
    assert (period_window(every, earlier).key, ROUTINE) in keys(earlier, source_type, level)


def test_period_keys_read_as_offices_write_them() -> None:
    """Weeks are ISO weeks, quarters and halves are calendar ones."""
    day = date(2026, 11, 26)
    assert [period_window(e, day).key for e in Cadence] == ["2026-W48", "2026-11", "2026-Q4", "2026-H2", "2026"]
    assert period_window(Cadence.WEEK, date(2027, 1, 1)).key == "2026-W53"
    assert period_window(Cadence.QUARTER, day).starts_on == date(2026, 10, 1)


def test_flood_season_adds_a_monthly_inspection_of_low_lying_points() -> None:
    """汛期 (June–September) adds one inspection a month for 低洼易涝点, none outside the season or for shops."""
    assert ("campaign:flood:2026-07", "flood") in keys(date(2026, 7, 15), "low_lying", "general")
    assert not any(r == "flood" for _, r in keys(date(2026, 10, 15), "low_lying", "general"))
    assert not any(r == "flood" for _, r in keys(date(2026, 7, 15), "street_shops", "general"))
    [flood] = [c for c in CAMPAIGNS if c.key == "flood"]
    [june] = campaign_windows(flood, date(2026, 6, 1))
    assert (june.starts_on, june.due_on) == (date(2026, 6, 1), date(2026, 6, 30))


def test_winter_fire_campaign_runs_over_the_new_year() -> None:
    """冬春火灾防控 (November–March) plans February's inspection of the season that began the November before."""
    [winter] = [c for c in CAMPAIGNS if c.key == "winter_fire"]
    [february] = campaign_windows(winter, date(2027, 2, 10))
    assert (february.key, february.starts_on, february.due_on) == (
        "campaign:winter_fire:2027-02", date(2027, 2, 1), date(2027, 2, 28))
    assert campaign_windows(winter, date(2027, 4, 1)) == ()


def test_pre_holiday_checks_end_before_the_spring_festival_of_each_year() -> None:
    """节前专项检查 before 春节 2026 (17 February) runs 27 January to 14 February, once for the whole window."""
    [spring] = [c for c in CAMPAIGNS if c.key == "spring_festival"]
    [window] = campaign_windows(spring, date(2026, 2, 1))
    assert (window.key, window.starts_on, window.due_on) == (
        "campaign:spring_festival:2026", date(2026, 1, 27), date(2026, 2, 14))
    assert campaign_windows(spring, date(2026, 2, 15)) == ()
    assert ("campaign:spring_festival:2026", "spring_festival") in keys(date(2026, 2, 1), "gas", "major")
    assert not any(r == "spring_festival" for _, r in keys(date(2026, 2, 1), "gas", "low"))
    assert ("campaign:national_day:2027", "national_day") in keys(date(2027, 9, 20), "hazchem", "general")


def test_risk_levels_read_in_every_form_ledgers_use() -> None:
    """重大/较大/一般/低, with or without 风险, the colours 红/橙/黄/蓝, and the codes."""
    assert [risk_level_of(t) for t in ("重大", "较大风险", "黄", "蓝色", "low")] == [
        RiskLevel.MAJOR, RiskLevel.SIGNIFICANT, RiskLevel.GENERAL, RiskLevel.LOW, RiskLevel.LOW]
    assert risk_level_of("紫") is None


def test_every_type_and_campaign_cites_a_source() -> None:
    """The shipped plan covers every type at every level and each entry names its basis."""
    assert all(kind.source.strip() for kind in PLAN.source_types)
    assert all(c.source.strip() for c in PLAN.campaigns) and all(h.source.strip() for h in PLAN.holidays)
    assert len(FREQUENCIES) == len(PLAN.source_types) * len(RiskLevel)
    assert PLAN.uncovered_holidays(2030) == [] and PLAN.uncovered_holidays(2031) == ["春节", "国庆节"]


@pytest.mark.parametrize(
    ("old", "new", "field", "why"),
    [
        ("every: {major: week, significant: month, general: quarter, low: half_year}",
         "every: {major: week, significant: month, general: quarter}", None, "no cadence for risk level low"),
        ("types: [low_lying, underground]", "types: [low_lying, tunnels]", None, "names type 'tunnels'"),
        ('season: {from: "06-01", to: "09-30"}', 'season: {from: "06-31", to: "09-30"}', None, "not a day"),
        ("every: month\n", "every: fortnight\n", "campaigns[flood].every", "week"),
        ("days_from: 21, days_to: 3", "days_from: 3, days_to: 21", None, "days_from"),
    ],
)
def test_a_bad_plan_file_names_the_file_the_field_and_why(tmp_path: Path, old: str, new: str, field: str | None,
                                                          why: str) -> None:
    """A defect in plans/inspections.yaml is a RulesError naming the file, the field and why."""
    text = (DEFAULT_PLANS_DIR / "inspections.yaml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "inspections.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_inspection_plan(tmp_path)
    assert caught.value.path.endswith("inspections.yaml")
    assert why in caught.value.why
    if field is not None:
        assert caught.value.field == field
    assert isinstance(PLAN, InspectionPlan)
