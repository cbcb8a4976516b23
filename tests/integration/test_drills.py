"""Drills on SQLite and PostgreSQL: schedule, record (problems become real hazards, a plan gap flags the plan),
due by the plans' cycles, and a drill incident that counts in no statistics."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import DrillRow, HazardRow, IncidentRow, ObligationRow, OutboxRow, PlanVersionRow
from emergency.domain.enums import DrillKind, DrillStatus, HazardStatus, PlanReviewReason
from emergency.errors import ConflictError, InputError
from emergency.plans.hazards import load_hazard_plan
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.rules import ReportingRules
from emergency.plans.schema import DrillCycle, PlanFile, load_plans
from emergency.reporting.contexts import monthly_timeliness_context
from emergency.reporting.documents import DEFAULT_TEMPLATES
from emergency.scenarios import SignStep, load_scenario
from emergency.services.audits import audit_database
from emergency.services.clocks import status_rows, sync_obligations
from emergency.services.documents import sign_and_issue
from emergency.services.drafts import draft_due_reports
from emergency.services.drills import (
    DrillRecordIn,
    NewDrill,
    due_drills,
    find_drill,
    finish_replay,
    record_drill,
    replay_step,
    schedule_drill,
    start_replay,
    waiting_draft,
)
from emergency.services.incidents import NewFacts, NewIncident, find_incident, get_office, open_incident, record_facts
from emergency.services.ledgers import compute_inspection_ledger, ledger_summary
from emergency.services.plans import approve_plan
from emergency.services.reports import NewReport, submit_report
from emergency.services.responses import start_response
from emergency.timelines import StatedIn, findings_document

OFFICE = "正阳街道办事处"
PLANS = load_plans(DEFAULT_PLANS_DIR)
HAZARDS = load_hazard_plan()
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=CN_TZ)
HELD = datetime(2026, 6, 10, 9, 0, tzinfo=CN_TZ)
RECORDED = datetime(2026, 6, 10, 12, 0, tzinfo=CN_TZ)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CN_TZ)


def schedule(session: Session, *, plan: str = "gas", when: datetime = HELD, now: datetime = NOW,
             plans: dict[str, PlanFile] = PLANS, kind: DrillKind = DrillKind.TABLETOP) -> DrillRow:
    office = get_office(session, name=OFFICE)
    return schedule_drill(session, office=office, plans=plans, now=now, data=NewDrill(
        plan=plan, kind=kind, scenario="gas-explosion-restaurant", scheduled_for=when, organiser="应急管理办公室",
        location="街道三楼会议室"))


def record(session: Session, drill: DrillRow, *, now: datetime = RECORDED, **fields: Any) -> Any:
    office = get_office(session, name=OFFICE)
    return record_drill(session, office=office, hazard_plan=HAZARDS, drill=drill, now=now,
                        data=DrillRecordIn.model_validate({"held_at": at(6, 10), **fields}))


def test_drills_are_numbered_per_year_and_checked_against_the_plans(sessions: sessionmaker[Session]) -> None:
    """D-2026-001, D-2026-002; an unknown plan, a form the plan does not use, a time past: one field each."""
    with sessions.begin() as session:
        assert schedule(session).number == "D-2026-001"
        second = schedule(session, plan="fire_safety", when=at(9, 1), kind=DrillKind.FIELD)
        assert (second.number, second.title, second.status) == ("D-2026-002", "正阳街道火灾和生产安全事故专项应急预案",
                                                                "scheduled")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"plan": "tsunami"}, "plan", "'tsunami' is not a plan"),
        ({"when": at(5, 31)}, "at", "is in the past"),
    ]
    gas = PLANS["gas"]
    field_only = gas.model_copy(update={"plan": gas.plan.model_copy(update={"drills": DrillCycle(
        every_months=12, kinds=(DrillKind.FIELD,), source="test")})})
    cases.append(({"plans": {**PLANS, "gas": field_only}}, "kind", "gas is drilled as 实战演练"))
    for overrides, field, why in cases:
        with pytest.raises(InputError) as caught, sessions.begin() as session:
            schedule(session, **overrides)
        assert caught.value.field == field and why in str(caught.value), str(caught.value)
    with sessions.begin() as session:
        assert len(session.scalars(select(DrillRow)).all()) == 2


def test_problems_found_become_real_hazards_with_their_rectification_clock(sessions: sessionmaker[Session]) -> None:
    """Each problem is a 一般 hazard (drill false: the problem is real), with its deadline obligation and its source."""
    with sessions.begin() as session:
        drill = schedule(session)
        done = record(session, drill, participants=["张伟", "李强", "万福社区 王芳"], evaluation="先期处置基本到位。",
                      problems=[{"text": "万福街地下通道应急广播听不清"},
                                {"text": "燃气企业夜间联络人未列入预案通讯录", "owner_unit": "城市建设管理办公室",
                                 "deadline": "2026-06-30"}])
        assert [h.number for h in done.hazards] == ["YH-2026-0001", "YH-2026-0002"]
        assert done.drill.status == "held" and done.drill.participants == ("张伟", "李强", "万福社区 王芳")
    with sessions.begin() as session:
        hazards = session.scalars(select(HazardRow).order_by(HazardRow.id)).all()
        assert [(h.drill, h.grade, h.category, h.status, h.source_id) for h in hazards] == [
            (False, "general", "management", HazardStatus.OPEN.value, None)] * 2
        assert hazards[0].owner_unit == "应急管理办公室" and hazards[0].location == "街道三楼会议室"
        assert hazards[0].deadline == datetime(2026, 6, 18, 0, 0, tzinfo=CN_TZ)  # 7 days, to the end of the 17th
        assert hazards[1].deadline == datetime(2026, 7, 1, 0, 0, tzinfo=CN_TZ)
        found = hazards[0].events[0]
        assert (found.action, found.actor, found.detail["drill"]) == ("found", "应急管理办公室", "D-2026-001")
        assert found.detail["source"] == "D-2026-001演练（gas，桌面推演）发现的问题"
        clocks = session.scalars(select(ObligationRow).where(ObligationRow.subject == "rectification")).all()
        assert sorted((o.due_at, o.drill) for o in clocks) == sorted((h.deadline, False) for h in hazards)
        stored = session.scalars(select(DrillRow)).one()
        assert stored.problems == [
            {"text": "万福街地下通道应急广播听不清", "hazard": "YH-2026-0001", "plan_gap": False},
            {"text": "燃气企业夜间联络人未列入预案通讯录", "hazard": "YH-2026-0002", "plan_gap": False}]

    with sessions.begin() as session:  # recorded again: the same problem is not a second hazard; new words replace
        drill = find_drill(session, office=get_office(session, name=OFFICE), ident="D-2026-001")
        again = record(session, drill, evaluation="复盘后：通讯保障薄弱。",
                       problems=[{"text": "万福街地下通道应急广播听不清"}])
        assert again.hazards == () and again.drill.evaluation == "复盘后：通讯保障薄弱。"
        assert len(session.scalars(select(HazardRow)).all()) == 2


def test_a_plan_gap_flags_the_plan_in_force_for_review(sessions: sessionmaker[Session]) -> None:
    """The plan's approved version gets review_due now-ish, reason drill_gap, the drill and problem in its note."""
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        approve_plan(session, office=office, loaded=PLANS["gas"], by="正阳街道党工委会议", effective=date(2026, 1, 1),
                     now=at(1, 1))
        drill = schedule(session)
        done = record(session, drill, problems=[{"text": "预案未明确餐馆燃气爆炸时的断气责任单位", "plan_gap": True}])
        assert done.flagged == ("gas 2026.1",) and done.unflagged == ()
    with sessions.begin() as session:
        version = session.scalars(select(PlanVersionRow)).one()
        assert version.review_reason == PlanReviewReason.DRILL_GAP.value
        assert version.review_due < date(2029, 1, 1)
        assert "D-2026-001演练（2026-06-10）发现预案问题：预案未明确餐馆燃气爆炸时的断气责任单位" in version.review_note
        assert session.scalars(select(HazardRow)).one().events[0].detail["plan_gap"] is True


def test_a_plan_gap_without_an_approved_plan_says_so(sessions: sessionmaker[Session]) -> None:
    """No version approved yet: the hazard is opened and the gap is reported as not flagged."""
    with sessions.begin() as session:
        done = record(session, schedule(session), problems=[{"text": "预案缺少夜间联络表", "plan_gap": True}])
        assert done.flagged == () and done.unflagged == ("预案缺少夜间联络表",)


@pytest.mark.parametrize(("fields", "field", "why"), [
    ({"problems": [{"text": "燃气管道腐蚀", "grade": "重大"}]}, "problems[0].grade", "a 重大事故隐患 is recorded through"),
    ({"problems": [{"text": "x", "category": "天气"}]}, "problems[0].category", "'天气' is not a category"),
    ({"held_at": at(6, 11)}, "held_at", "is in the future"),
    ({"participants": ["张伟", " "]}, "participants[1]", "is empty"),
])
def test_a_bad_record_names_the_field_and_stores_nothing(sessions: sessionmaker[Session], fields: dict[str, Any],
                                                         field: str, why: str) -> None:
    """A 重大 problem, an unknown category, a future time, an empty name: InputError, and the drill is unchanged."""
    with sessions.begin() as session:
        schedule(session)
    with pytest.raises(InputError) as caught, sessions.begin() as session:
        drill = find_drill(session, office=get_office(session, name=OFFICE), ident="D-2026-001")
        record(session, drill, **fields)
    assert caught.value.field == field and why in str(caught.value), str(caught.value)
    with sessions.begin() as session:
        assert session.scalars(select(DrillRow.status)).one() == "scheduled"
        assert session.scalars(select(HazardRow)).all() == []


def test_drills_fall_due_by_the_plans_cycles(sessions: sessionmaker[Session]) -> None:
    """Every plan is listed; a held gas drill moves gas's next one a cycle on; a scheduled one shows."""
    today = at(12, 5)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        before = {d.plan: d for d in due_drills(session, office=office, plans=PLANS, now=today)}
        assert set(before) == set(PLANS)
        assert (before["gas"].due_on, before["gas"].state.value) == (date(2027, 1, 1), "due")
        drill = schedule(session, plan="gas", when=at(6, 10))
        record(session, drill)
        schedule(session, plan="gas", when=at(12, 20), now=today)
        after = {d.plan: d for d in due_drills(session, office=office, plans=PLANS, now=today)}
        assert (after["gas"].last_held, after["gas"].due_on, after["gas"].scheduled_on, after["gas"].state.value) == (
            date(2026, 6, 10), date(2027, 6, 10), date(2026, 12, 20), "not_due")
        assert after["fire_safety"] == before["fire_safety"]


def test_a_cancelled_drill_cannot_be_recorded(sessions: sessionmaker[Session]) -> None:
    """Cancelled is final for that drill: recording it is a conflict."""
    from emergency.services.drills import cancel_drill

    with sessions.begin() as session:
        drill = schedule(session)
        cancel_drill(session, drill=drill, now=NOW)
        assert drill.status == DrillStatus.CANCELLED.value
        with pytest.raises(ConflictError, match="cancelled"):
            record(session, drill)


# --------------------------------------------------------------------------------------------------------------
# A drill incident counts in no statistics
# --------------------------------------------------------------------------------------------------------------


def statistics(session: Session, rules: ReportingRules, when: datetime) -> dict[str, Any]:
    """Everything real that is counted: the audit's summary, the monthly report's rates, the ledger, the status."""
    office = get_office(session, name=OFFICE)
    result = audit_database(session, rules=rules, office=office, start=None, end=None, at=when)
    monthly = monthly_timeliness_context(office=OFFICE, month="2026-06", result=result, units={})
    ledger, _ = compute_inspection_ledger(session, office=office, month="2026-06", as_of=when)
    return {"audit": findings_document(result)["summary"],
            "monthly": {k: v for k, v in monthly.items() if k not in ("drills", "drill_findings")},
            "ledger": ledger_summary(ledger),
            "status": [(r.incident, r.label, r.due_at) for r in status_rows(session)]}


def real_incident(session: Session, rules: ReportingRules) -> None:
    """A real incident of June, reported by phone on time, its written report still owed."""
    office = get_office(session, name=OFFICE)
    row = open_incident(session, rules=rules, office=office, now=at(6, 8, 9, 30), data=NewIncident(
        id="2026-0007", category="accident", type="gas_leak", title="长春路燃气泄漏", location="长春路12号",
        occurred_at=at(6, 8, 9), known_at=at(6, 8, 9, 20)))
    record_facts(session, incident=row, now=at(6, 8, 9, 30), data=NewFacts(as_of=at(6, 8, 9, 30), deaths=0, injuries=0))
    submit_report(session, office=office, incident=row, now=at(6, 8, 9, 40), data=NewReport(
        kind="initial", channel="phone", to="绿园区应急管理局", submitted_at=at(6, 8, 9, 40),
        stated=StatedIn(occurred_at=at(6, 8, 9), location="长春路12号", deaths=0, injuries=0, summary="燃气泄漏",
                        measures="已关阀")))
    sync_obligations(session, rules=rules, incident=row, now=at(6, 8, 9, 40))


def test_a_replayed_drill_changes_no_statistic(sessions: sessionmaker[Session], rules: ReportingRules,
                                               tmp_path: Path) -> None:
    """A drill incident played with the flows' services, a report left owed: audit summary, monthly rates, ledger
    and status are exactly as before; the drill's own audit still judges it and becomes its evaluation."""
    start = at(6, 10)
    _, scenario = load_scenario("gas-explosion-restaurant")
    with sessions.begin() as session:
        real_incident(session, rules)
    when = at(6, 12, 9)
    with sessions.begin() as session:
        before = statistics(session, rules, when)
        assert before["status"] and before["audit"]["incidents"] == 1

    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        drill, ref = start_replay(session, rules=rules, office=office, plans=PLANS, scenario=scenario,
                                  scenario_file="gas-explosion-restaurant", drill_ident=None, start=start,
                                  deliver_to_real=False, now=start)
        assert (drill, ref) == ("D-2026-001", "D-2026-001")
    for step in scenario.steps[:7]:  # up to the follow-up's sign-off: the incident is never closed
        now = start + step.at
        with sessions.begin() as session:
            office = get_office(session, name=OFFICE)
            incident = find_incident(session, office=office, ident=ref)
            if step.do == "respond":
                start_response(session, rules=rules, plans=PLANS, incident=incident, now=now)
                draft_due_reports(session, rules=rules, incident=incident, now=now)
            elif isinstance(step, SignStep):
                draft = waiting_draft(session, office=office, incident_ref=ref, kind=None)
                sign_and_issue(session, office=office, draft_id=draft, signer=step.signer, recipient="绿园区应急管理局",
                               channels=["district_webhook", "district_drop"], now=now, out_dir=tmp_path,
                               templates_dir=DEFAULT_TEMPLATES)
            else:
                replay_step(session, office=office, incident_ref=ref, step=step, start=start,
                            recipient_default="绿园区应急管理局")
            sync_obligations(session, rules=rules, incident=incident, now=now)

    with sessions.begin() as session:
        incident = session.scalars(select(IncidentRow).where(IncidentRow.ref == ref)).one()
        assert incident.drill and not incident.deliver_to_real
        owed = session.scalars(select(ObligationRow).where(ObligationRow.incident_id == incident.id,
                                                           ObligationRow.status == "open")).all()
        assert owed and all(o.drill for o in owed)  # the drill's clocks run, marked drill
        assert all(r.drill for r in session.scalars(select(OutboxRow)))
        assert statistics(session, rules, when) == before

    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        result = finish_replay(session, rules=rules, office=office, drill_number=drill, start=start, audit_at=when,
                               participants=["张伟", "李强"], out_dir=tmp_path, now=when)
        assert result.score["obligations"] >= 3 and len(result.documents) == 2
        row = find_drill(session, office=office, ident=drill)
        assert (row.status, row.held_at, row.drill_incident_id, row.participants) == (
            "held", start, incident.id, ["张伟", "李强"])
        assert row.evaluation.startswith("【复盘审计】截至2026-06-12 09:00：")
        assert row.document_path == str(tmp_path / "drill-D-2026-001.json")
        assert statistics(session, rules, when) == before


def test_a_scheduled_drill_is_replayed_once_on_its_own_plan(sessions: sessionmaker[Session],
                                                            rules: ReportingRules) -> None:
    """The replay holds the scheduled drill (its number the incident's reference, --deliver-to-real kept on the
    incident); another plan's scenario, or a second replay, is refused."""
    _, scenario = load_scenario("gas-explosion-restaurant")
    _, flood = load_scenario("waterlogged-underpass")
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        drill = schedule(session)

        def replay(plan: Any) -> tuple[str, str]:
            return start_replay(session, rules=rules, office=office, plans=PLANS, scenario=plan,
                                scenario_file="scenarios/x.yaml", drill_ident=drill.number, start=HELD,
                                deliver_to_real=True, now=HELD)

        with pytest.raises(InputError, match="the drill exercises plan gas, the scenario plan flood"):
            replay(flood)
        assert replay(scenario) == ("D-2026-001", "D-2026-001")
        incident = session.scalars(select(IncidentRow)).one()
        assert (incident.drill, incident.deliver_to_real, drill.drill_incident_id) == (True, True, incident.id)
        assert (incident.occurred_at, incident.known_at) == (datetime(2026, 6, 10, 8, 50, tzinfo=CN_TZ), HELD)
        with pytest.raises(ConflictError, match="already replayed"):
            replay(scenario)
