"""Drills, pure part: due dates by the plans' drill cycles, numbers, scenario offsets and files, the evaluation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from emergency.clock import CN_TZ
from emergency.delivery_config import DeliveryConfig, DrillGuard, load_delivery
from emergency.domain.audits import Finding
from emergency.domain.drills import (
    DrillCycle,
    DrillFact,
    DueState,
    add_months,
    audit_evaluation,
    drill_due,
    drills_due,
    format_offset,
    merge_evaluation,
    next_drill_number,
    parse_offset,
    score,
    timings,
)
from emergency.domain.enums import DrillKind, DrillStatus, FindingType, ObligationKind, ObligationStatus
from emergency.domain.obligations import Obligation
from emergency.errors import RulesError
from emergency.plans.loader import load_rules
from emergency.scenarios import DEFAULT_SCENARIOS_DIR, load_scenario, parse_scenario, stated_in

GAS = DrillCycle("gas", "燃气专项预案", 12, (DrillKind.TABLETOP, DrillKind.FIELD), "地方做法", date(2026, 1, 1))
TODAY = date(2026, 12, 5)


def fact(plan: str, status: DrillStatus, held: date | None = None, scheduled: date | None = None) -> DrillFact:
    return DrillFact(plan, status, held, scheduled)


# --------------------------------------------------------------------------------------------------------------
# Calendar months and offsets
# --------------------------------------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month() -> None:
    """12 months after 2026-03-15 is 2027-03-15; one month after 31 January is the last day of February."""
    assert add_months(date(2026, 3, 15), 12) == date(2027, 3, 15)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 10), 6) == date(2027, 6, 10)
    assert add_months(date(2026, 3, 10), -3) == date(2025, 12, 10)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=0, max_value=120))
def test_add_months_moves_by_whole_months_never_past_the_day(day: date, months: int) -> None:
    """The result lies *months* calendar months on, on the same day or (a shorter month) earlier."""
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    if day.day <= 28:
        assert moved.day == day.day and add_months(moved, -months) == day


@pytest.mark.parametrize(("text", "minutes"), [("15m", 15), ("6h40m", 400), ("1d2h", 1560), ("-10m", -10),
                                               ("0m", 0), ("0", 0), ("+1d13h10m", 2230), ("2h", 120)])
def test_offsets_read_as_scenarios_write_them(text: str, minutes: int) -> None:
    """Days, hours and minutes, signed; 0 is the start."""
    assert parse_offset(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "m", "15", "15 min", "1h-5m", "abc", "-", "1.5h"])
def test_a_bad_offset_is_refused(text: str) -> None:
    """Anything but [sign]NdNhNm is a ValueError saying what an offset looks like."""
    with pytest.raises(ValueError, match="is not an offset like 15m"):
        parse_offset(text)


@given(st.integers(min_value=-10_000, max_value=100_000))
def test_offsets_round_trip(minutes: int) -> None:
    """Formatting an offset and reading it back gives the same offset."""
    delta = timedelta(minutes=minutes)
    assert parse_offset(format_offset(delta)) == delta


def test_drill_numbers_count_per_year() -> None:
    """D-YYYY-NNN: the next after the year's highest; other years and other names do not count."""
    assert next_drill_number([], 2026) == "D-2026-001"
    assert next_drill_number(["D-2026-001", "D-2026-007", "D-2025-031", "演练1号"], 2026) == "D-2026-008"
    assert next_drill_number(["D-2025-031"], 2026) == "D-2026-001"


# --------------------------------------------------------------------------------------------------------------
# When drills are due
# --------------------------------------------------------------------------------------------------------------


def test_before_the_first_drill_the_cycle_runs_from_the_plans_effective_date() -> None:
    """Effective 2026-01-01, every 12 months: due by 2027-01-01, within 30 days of 5 December: due."""
    due = drill_due(GAS, [], TODAY)
    assert (due.due_on, due.last_held, due.state, due.is_due) == (date(2027, 1, 1), None, DueState.DUE, True)
    assert drill_due(GAS, [], TODAY, within_days=10).state is DueState.NOT_DUE


def test_a_held_drill_restarts_the_cycle_and_a_scheduled_one_is_shown() -> None:
    """The last drill held (any form) starts the cycle; a cancelled one does not count; the next scheduled shows."""
    drills = [fact("gas", DrillStatus.HELD, held=date(2026, 6, 10)),
              fact("gas", DrillStatus.HELD, held=date(2026, 3, 2)),
              fact("gas", DrillStatus.CANCELLED, scheduled=date(2026, 11, 1)),
              fact("gas", DrillStatus.SCHEDULED, scheduled=date(2027, 5, 20)),
              fact("fire_safety", DrillStatus.HELD, held=date(2026, 11, 20))]
    due = drill_due(GAS, drills, TODAY)
    assert (due.last_held, due.due_on, due.scheduled_on, due.state) == (
        date(2026, 6, 10), date(2027, 6, 10), date(2027, 5, 20), DueState.NOT_DUE)


def test_overdue_and_never_dated_plans() -> None:
    """A cycle past its date is overdue; a plan with no effective date and no drill is due today."""
    overdue = drill_due(GAS, [fact("gas", DrillStatus.HELD, held=date(2025, 10, 1))], TODAY)
    assert (overdue.due_on, overdue.state) == (date(2026, 10, 1), DueState.OVERDUE)
    undated = DrillCycle("flood", "防汛预案", 12, (DrillKind.FIELD,), "地方做法", None)
    assert (drill_due(undated, [], TODAY).due_on, drill_due(undated, [], TODAY).state) == (TODAY, DueState.DUE)


def test_drills_due_lists_every_plan_soonest_first() -> None:
    """One line per plan, by due date."""
    flood = DrillCycle("flood", "防汛预案", 6, (DrillKind.FIELD,), "地方做法", date(2026, 4, 1))
    assert [d.plan for d in drills_due([GAS, flood], [], TODAY)] == ["flood", "gas"]


# --------------------------------------------------------------------------------------------------------------
# A replay's evaluation
# --------------------------------------------------------------------------------------------------------------


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=CN_TZ)


OBLIGATIONS = (
    Obligation(ObligationKind.INITIAL_PHONE, at(9, 30), "r1", "s", at(9), ObligationStatus.MET, "R1", at(9, 20)),
    Obligation(ObligationKind.INITIAL_WRITTEN, at(10), "r2", "s", at(9), ObligationStatus.MET, "R2", at(9, 45)),
    Obligation(ObligationKind.FINAL, at(21, day=11), "r3", "s", at(21), ObligationStatus.MET_LATE, "R4",
               at(22, 10, day=11)),
    Obligation(ObligationKind.FOLLOW_UP_CADENCE, at(9, day=12), "r4", "s", at(9), ObligationStatus.OPEN),
)
LATE = Finding("D-2026-001", FindingType.LATE, "final.after_closure", "s", "终报应于2026-06-11 21:00前报送，超时70分钟。",
               report="R4", drill=True)


def test_timings_say_when_each_report_was_due_and_made() -> None:
    """In due order, with minutes late for a report made after its time."""
    rows = timings(OBLIGATIONS)
    assert [(t.label, t.minutes_late) for t in rows] == [("电话首报", None), ("书面首报", None), ("终报", 70),
                                                         ("定时续报", None)]
    assert rows[2].met_by == "R4" and rows[3].met_at is None


def test_the_audits_evaluation_counts_and_quotes_each_finding() -> None:
    """Counts of owed, on time, late and not made, then each finding with its evidence; none says so."""
    s = score(OBLIGATIONS, [LATE])
    assert (s.obligations, s.on_time, s.late, s.open, s.findings) == (4, 2, 1, 1, {"late": 1})
    text = audit_evaluation(OBLIGATIONS, [LATE], at(9, day=12))
    assert text.splitlines() == ["【复盘审计】截至2026-06-12 09:00：", "应报4项，按时报告2项，迟报1项，未报1项。",
                                 "1. 迟报：终报应于2026-06-11 21:00前报送，超时70分钟。"]
    assert audit_evaluation(OBLIGATIONS[:2], [], at(9, day=12)).endswith("未发现迟报、漏报、谎报、瞒报。")


def test_people_and_the_audit_each_keep_their_part_of_the_evaluation() -> None:
    """New words replace old words and keep the audit; a new audit replaces the old audit and keeps the words."""
    audit = audit_evaluation(OBLIGATIONS, [LATE], at(9, day=12))
    first = merge_evaluation(None, "", audit)
    assert first == audit
    worded = merge_evaluation("响应启动及时，终报签发拖延。", first)
    assert worded == f"响应启动及时，终报签发拖延。\n\n{audit}"
    assert merge_evaluation("复盘后修改。", worded) == f"复盘后修改。\n\n{audit}"
    again = audit_evaluation(OBLIGATIONS[:2], [], at(9, day=13))
    assert merge_evaluation(None, worded, again) == f"响应启动及时，终报签发拖延。\n\n{again}"
    assert merge_evaluation("只有评价。", "") == "只有评价。"


# --------------------------------------------------------------------------------------------------------------
# Scenario files
# --------------------------------------------------------------------------------------------------------------


def test_every_shipped_scenario_is_valid_and_names_a_known_event_type() -> None:
    """Each scenarios/*.yaml loads, its steps in time order, its incident of a type in the catalogue, its plan one
    of plans/ drilled in the scenario's form."""
    from emergency.plans.loader import DEFAULT_PLANS_DIR
    from emergency.plans.schema import load_plans

    plans = load_plans(DEFAULT_PLANS_DIR)
    rules = load_rules()
    types = {t.code: t.category for t in rules.event_types}
    paths = sorted(DEFAULT_SCENARIOS_DIR.glob("*.yaml"))
    assert len(paths) >= 2
    for path in paths:
        _, scenario = load_scenario(path)
        assert types[scenario.incident.type] == scenario.incident.category, path
        assert scenario.kind in plans[scenario.plan].plan.drills.kinds, path
        assert [s.do for s in scenario.steps].count("sign") >= 2, path


def test_a_scenario_is_found_by_name_and_its_statement_made_times() -> None:
    """The name without .yaml finds the shipped file; a report's stated offsets become times from the start."""
    path, scenario = load_scenario("gas-explosion-restaurant")
    assert path == DEFAULT_SCENARIOS_DIR / "gas-explosion-restaurant.yaml"
    assert (scenario.plan, scenario.kind, scenario.incident.occurred) == ("gas", DrillKind.TABLETOP,
                                                                          timedelta(minutes=-10))
    report = next(s for s in scenario.steps if s.do == "report")
    stated = stated_in(report.stated, at(9))  # type: ignore[union-attr]
    assert stated is not None and stated.occurred_at == at(8, 50) and stated.missing == 1
    assert scenario.audited == timedelta(days=1, hours=13, minutes=11)


def base() -> dict[str, object]:
    return yaml.safe_load((DEFAULT_SCENARIOS_DIR / "gas-explosion-restaurant.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "field", "why"), [
    (lambda d: d["steps"].insert(0, {"at": "1h", "do": "respond"}), "steps[1].at", "comes before"),
    (lambda d: d["steps"].append({"at": "2d", "do": "dance"}), "steps[10].do", "must be one of facts, respond"),
    (lambda d: d["steps"][1].update(at="ten minutes"), "steps[1].at", "is not an offset like 15m"),
    (lambda d: d["steps"][0].update(dead=1), "steps[0].dead", "is not a known field"),
    (lambda d: d["incident"].update(known="-20m"), "incident", "known: the office cannot learn"),
    (lambda d: d.update(format="emergency-drill-scenario/2"), "format", "Input should be"),
    (lambda d: d["steps"][3].pop("signer"), "steps[3].signer", "Field required"),
])
def test_a_broken_scenario_names_the_file_and_the_field(change: object, field: str, why: str) -> None:
    """Each defect is a RulesError with the file, the field and why."""
    data = base()
    change(data)  # type: ignore[operator]
    with pytest.raises(RulesError) as caught:
        parse_scenario(data, "scenarios/broken.yaml")
    assert caught.value.path == "scenarios/broken.yaml"
    assert caught.value.field == field, str(caught.value)
    assert why in str(caught.value)


def test_an_unknown_scenario_lists_the_shipped_ones() -> None:
    """A name that is no file and no shipped scenario fails saying which exist."""
    with pytest.raises(RulesError, match=r"no such scenario file.*gas-explosion-restaurant"):
        load_scenario("earthquake-at-school")


# --------------------------------------------------------------------------------------------------------------
# Drill channels in the delivery configuration
# --------------------------------------------------------------------------------------------------------------


def test_the_shipped_delivery_configuration_keeps_drills_on_their_folder() -> None:
    """drill_notices is the only drill channel, and the drill route diverts to it."""
    assert load_delivery().drill_guard() == DrillGuard(frozenset({"drill_notices"}), "drill_notices")


CHANNELS = [{"id": "district_webhook", "kind": "webhook", "url_env": "U", "secret_env": "S"},
            {"id": "drills", "kind": "folder", "folder": "outbox/drills", "drill": True}]


@pytest.mark.parametrize(("routes", "why"), [
    ({"drill": ["district_webhook"]}, "drill: channel district_webhook is not a drill channel"),
    ({"report_drill": ["district_webhook"]}, "report_drill: channel district_webhook is not a drill channel"),
    ({"report": ["district_webhook", "drills"]}, "report: channel drills is for drills only"),
])
def test_drill_routes_take_drill_channels_only_and_real_routes_none(routes: dict[str, list[str]], why: str) -> None:
    """A drill route to a real channel, or a real route to a drill channel, is refused."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=why):
        DeliveryConfig.model_validate({"channels": CHANNELS, "routes": routes})
    assert DeliveryConfig.model_validate({"channels": CHANNELS, "routes": {}}).drill_guard() == DrillGuard(
        frozenset({"drills"}), None)
