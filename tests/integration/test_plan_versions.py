"""Plan versions on SQLite and PostgreSQL: approve, no-op, supersede, the version in force, review clocks, the lock."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import ObligationRow, OutboxRow, PlanVersionRow, ResponseRow
from emergency.db.session import unit_of_work
from emergency.domain.clocks import clock_steps
from emergency.domain.enums import Category, PlanReviewReason
from emergency.errors import ConflictError, InputError
from emergency.plans.escalation import load_escalation
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.rules import ReportingRules
from emergency.plans.schema import PlanFile, load_plan, load_plans, load_street
from emergency.services.clocks import fire_step
from emergency.services.incidents import NewFacts, NewIncident, get_office, open_incident, record_facts
from emergency.services.organisation import load_street_into
from emergency.services.plans import (
    approve_plan,
    flag_plan_for_review,
    list_versions,
    plan_in_force,
    plans_due,
    response_lock,
    version_state,
)
from emergency.services.responses import start_response
from tests.integration.support import OFFICE

PLANS = load_plans(DEFAULT_PLANS_DIR)
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=CN_TZ)


def at(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=CN_TZ)


def edited(tmp_path: Path, slug: str, **changes: object) -> PlanFile:
    """The plan file with some top-level fields changed, written and loaded as a new file."""
    data = yaml.safe_load((DEFAULT_PLANS_DIR / "emergency" / f"{slug}.yaml").read_text("utf-8"))
    data.update(changes)
    path = tmp_path / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return load_plan(path)


def approve(sessions: sessionmaker[Session], loaded: PlanFile, effective: date, now: datetime = NOW,
            by: str = "正阳街道党工委会议") -> tuple[int, bool]:
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        done = approve_plan(session, office=office, loaded=loaded, by=by, effective=effective, now=now)
        return done.version.id, done.created


def review_rows(sessions: sessionmaker[Session]) -> list[tuple[str, str, datetime, str, int | None, int | None]]:
    with unit_of_work(sessions) as session:
        return [(r.key, r.label, r.due_at, r.status, r.office_id, r.incident_id) for r in session.scalars(
            select(ObligationRow).where(ObligationRow.subject == "plan_review").order_by(ObligationRow.id))]


def test_approving_stores_the_version_once_with_its_review_clock(sessions: sessionmaker[Session]) -> None:
    """Approval stores hash, approver, effective date and review date; the same content again stores nothing."""
    flood = PLANS["flood"]
    first, created = approve(sessions, flood, date(2026, 5, 1))
    assert created
    again, created_again = approve(sessions, flood, date(2026, 6, 1), now=NOW + timedelta(hours=1), by="另一人")
    assert (again, created_again) == (first, False)
    with unit_of_work(sessions) as session:
        row = session.get(PlanVersionRow, first)
        assert row is not None
        assert (row.slug, row.version, row.sha256, row.approved_by, row.approved_at, row.effective_from,
                row.review_due, row.review_reason) == (
            "flood", "2026.1", flood.sha256, "正阳街道党工委会议", NOW, date(2026, 5, 1), date(2029, 5, 1), "cycle")
        assert row.content["levels"][0]["level"] == "I" and "approved_by" not in row.content
        assert session.scalar(select(func.count()).select_from(PlanVersionRow)) == 1
    office_id = get_office_id(sessions)
    assert review_rows(sessions) == [(f"plan-review-{first}-2029-05-01", "正阳街道防汛应急预案评估",
                                      at(2029, 5, 2), "open", office_id, None)]


def get_office_id(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return get_office(session, name=OFFICE).id


def test_a_new_version_supersedes_the_old_from_its_first_day(sessions: sessionmaker[Session],
                                                            tmp_path: Path) -> None:
    """Version 2027.1 approved now, effective 2027-01-01: 2026.1 stays in force until then; its review is met."""
    old, _ = approve(sessions, PLANS["flood"], date(2026, 5, 1))
    new_file = edited(tmp_path, "flood", version="2027.1", scope="适用于正阳街道辖区暴雨、内涝和洪涝灾害的防范和先期处置。")
    new, created = approve(sessions, new_file, date(2027, 1, 1))
    assert created and new != old
    office_id = get_office_id(sessions)
    with unit_of_work(sessions) as session:
        def in_force(when: datetime) -> str | None:
            found = plan_in_force(session, office_id=office_id, slug="flood", at=when)
            return found.version if found else None
        assert in_force(at(2026, 4, 30, 23, 59)) is None
        assert in_force(at(2026, 5, 1)) == "2026.1"
        assert in_force(at(2026, 12, 31, 23, 59)) == "2026.1"
        assert in_force(at(2027, 1, 1)) == "2027.1"
        rows = list_versions(session, office=get_office(session, name=OFFICE), slug="flood")
        assert [(r.version, version_state(r, NOW), version_state(r, at(2027, 1, 2))) for r in rows] == [
            ("2026.1", "in_force", "superseded"), ("2027.1", "pending", "in_force")]
        assert (rows[0].superseded_at, rows[0].superseded_by_id) == (at(2027, 1, 1), new)
    assert [(key, status) for key, _, _, status, _, _ in review_rows(sessions)] == [
        (f"plan-review-{old}-2029-05-01", "met"), (f"plan-review-{new}-2030-01-01", "open")]


def test_approval_refuses_going_back_in_time_or_reusing_a_label(sessions: sessionmaker[Session],
                                                                tmp_path: Path) -> None:
    """A version effective before the latest, a label reused with other content, superseded content: refused."""
    approve(sessions, PLANS["gas"], date(2026, 1, 1))
    changed = edited(tmp_path, "gas", scope="另一适用范围。")
    with pytest.raises(ConflictError, match=r"version '2026\.1' was approved before"):
        approve(sessions, changed, date(2026, 6, 1))
    newer = edited(tmp_path, "gas", version="2026.2", scope="另一适用范围。")
    with pytest.raises(InputError, match="before 2026-01-01"):
        approve(sessions, newer, date(2025, 12, 31))
    approve(sessions, newer, date(2026, 6, 1))
    with pytest.raises(ConflictError, match="superseded on 2026-06-01"):
        approve(sessions, PLANS["gas"], date(2026, 12, 1), now=at(2026, 12, 1))
    with pytest.raises(InputError, match="required"):
        approve(sessions, newer, date(2026, 6, 1), by="  ")


def test_a_drill_gap_brings_the_review_forward_and_moves_its_clock(sessions: sessionmaker[Session]) -> None:
    """flag_plan_for_review: due within the plan's 30 days, reason and note kept, the old clock superseded."""
    version, _ = approve(sessions, PLANS["gas"], date(2026, 1, 1))
    flagged_at = at(2026, 12, 3, 15)
    with unit_of_work(sessions) as session:
        [row] = flag_plan_for_review(session, slug="gas", reason=PlanReviewReason.DRILL_GAP, now=flagged_at,
                                     note="演练〔2026〕2号：关阀断气联络不畅")
        assert (row.id, row.review_due, row.review_reason, row.review_flagged_at) == (
            version, date(2027, 1, 2), "drill_gap", flagged_at)
        assert flag_plan_for_review(session, slug="mass_gathering", reason="incident_gap", now=flagged_at) == []
        with pytest.raises(InputError):
            flag_plan_for_review(session, slug="gas", reason="cycle", now=flagged_at)
    with unit_of_work(sessions) as session:
        again = flag_plan_for_review(session, slug="gas", reason="incident_gap", now=flagged_at + timedelta(days=10),
                                     note="2026-1205 燃气泄漏：疏散范围不明")
        assert [(r.review_due, r.review_reason, r.review_note) for r in again] == [
            (date(2027, 1, 2), "drill_gap", "演练〔2026〕2号：关阀断气联络不畅；2026-1205 燃气泄漏：疏散范围不明")]
        due = plans_due(session, office=get_office(session, name=OFFICE), plans=PLANS, now=flagged_at, within_days=0)
    assert [(d.slug, d.review_due, d.reason) for d in due if d.review_due] == [("gas", date(2027, 1, 2), "drill_gap")]
    assert [(key, due_at, status) for key, _, due_at, status, _, _ in review_rows(sessions)] == [
        (f"plan-review-{version}-2029-01-01", at(2029, 1, 2), "superseded"),
        (f"plan-review-{version}-2027-01-02", at(2027, 1, 3), "open")]


def test_plans_due_lists_overdue_soon_due_and_never_approved(sessions: sessionmaker[Session],
                                                             tmp_path: Path) -> None:
    """Three years on, the general plan is overdue, the flood plan due within 90 days, the rest never approved;
    a file edited since approval is marked."""
    approve(sessions, PLANS["general"], date(2026, 1, 1))
    approve(sessions, PLANS["flood"], date(2026, 5, 1))
    files = dict(PLANS)
    files["flood"] = edited(tmp_path, "flood", scope="改过的适用范围。")
    with unit_of_work(sessions) as session:
        due = plans_due(session, office=get_office(session, name=OFFICE), plans=files, now=at(2029, 2, 10))
    assert [(d.slug, d.days_left, d.reason, d.changed_since_approval) for d in due] == [
        ("general", -40, "cycle", False), ("flood", 80, "cycle", True),
        ("fire_safety", None, "never_approved", True), ("gas", None, "never_approved", True),
        ("geological", None, "never_approved", True), ("mass_gathering", None, "never_approved", True),
        ("public_health", None, "never_approved", True)]


def test_the_review_clock_reminds_and_escalates_in_its_own_words(sessions: sessionmaker[Session]) -> None:
    """The plan_review obligation fires reminder, breach and escalation messages that speak of the plan."""
    office_id = get_office_id(sessions)
    with unit_of_work(sessions) as session:
        load_street_into(session, office=get_office(session, name=OFFICE),
                         street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
    approve(sessions, PLANS["geological"], date(2026, 1, 1))
    due_at = at(2029, 1, 2)
    steps = {s.step: s for s in clock_steps(due_at, load_escalation(DEFAULT_PLANS_DIR))}
    with unit_of_work(sessions) as session:
        ob = session.scalars(select(ObligationRow).where(ObligationRow.subject == "plan_review")).one()
        assert (ob.office_id, ob.incident_id, ob.due_at) == (office_id, None, due_at)
        assert fire_step(session, obligation_id=ob.id, step=steps["remind_10"], now=steps["remind_10"].at) == "fired"
        assert fire_step(session, obligation_id=ob.id, step=steps["breach"], now=due_at) == "fired"
        texts = [m.subject for m in session.scalars(select(OutboxRow).where(OutboxRow.topic == "notice")
                                                    .order_by(OutboxRow.id))]
    assert texts[0].startswith("【预案评估提醒】正阳街道地质灾害应急预案评估：应于2029-01-02 00:00前完成评估")
    assert texts[1].startswith("【预案评估逾期】正阳街道地质灾害应急预案评估")


def _gas_incident(session: Session, rules: ReportingRules, ref: str, now: datetime) -> int:
    office = get_office(session, name=OFFICE)
    row = open_incident(session, rules=rules, office=office, now=now, data=NewIncident(
        id=ref, category=Category.ACCIDENT, type="gas_explosion", title="万福街某餐馆燃气爆炸", location="万福街87号",
        occurred_at=now - timedelta(minutes=20), known_at=now - timedelta(minutes=10)))
    record_facts(session, incident=row, now=now, data=NewFacts(as_of=now, deaths=0, missing=1))
    return row.id


def test_the_version_in_force_is_locked_into_a_response(sessions: sessionmaker[Session], rules: ReportingRules,
                                                        tmp_path: Path) -> None:
    """A response follows the approved version in force when it starts, even after a newer one takes effect; an
    incident before any approval records the file, unapproved."""
    from emergency.db.models import IncidentRow

    early = at(2025, 12, 20, 9)
    with unit_of_work(sessions) as session:
        incident = session.get(IncidentRow, _gas_incident(session, rules, "E0", early))
        assert incident is not None
        start_response(session, rules=rules, plans=PLANS, incident=incident, now=early)
        lock = response_lock(session, incident=incident)
        assert lock is not None and (lock["approved"], lock["plan_version_id"]) == (False, None)
        assert "未经审批的预案文件" in lock["text"]
    v1, _ = approve(sessions, PLANS["gas"], date(2026, 1, 1), now=at(2025, 12, 28))
    # The file now says the level-II on-site action is taken by the commander; approved from 2026-06-01.
    data = yaml.safe_load((DEFAULT_PLANS_DIR / "emergency" / "gas.yaml").read_text("utf-8"))
    data["version"] = "2026.2"
    data["levels"][1]["actions"][0]["owner"] = "commander"
    path = tmp_path / "gas.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    newer = load_plan(path)
    v2, _ = approve(sessions, newer, date(2026, 6, 1), now=at(2026, 5, 20))
    files = {**PLANS, "gas": newer}
    with unit_of_work(sessions) as session:
        incident = session.get(IncidentRow, _gas_incident(session, rules, "E1", at(2026, 3, 1, 8, 30)))
        assert incident is not None
        summary = start_response(session, rules=rules, plans=files, incident=incident, now=at(2026, 3, 1, 8, 32))
        assert (summary.plan_version, summary.level) == ("2026.1", "II")
        assert summary.actions[0]["owner_role"] == "副总指挥（分管安全生产副主任）"
        later = session.get(IncidentRow, _gas_incident(session, rules, "E2", at(2026, 7, 1, 8, 30)))
        assert later is not None
        summary = start_response(session, rules=rules, plans=files, incident=later, now=at(2026, 7, 1, 8, 32))
        assert (summary.plan_version, summary.actions[0]["owner_role"]) == ("2026.2", "总指挥（街道办事处主任）")
        # E1 raised in July still follows the version locked in March.
        record_facts(session, incident=incident, now=at(2026, 7, 2), data=NewFacts(as_of=at(2026, 7, 2), deaths=3))
        raised = start_response(session, rules=rules, plans=files, incident=incident, now=at(2026, 7, 2, 0, 5))
        assert (raised.level, raised.plan_version, raised.escalated) == ("I", "2026.1", True)
        locks = {r.incident_id: (r.plan_version_id, r.plan_version) for r in session.scalars(select(ResponseRow))}
        assert locks[incident.id] == (v1, "2026.1") and locks[later.id] == (v2, "2026.2")
        lock = response_lock(session, incident=incident)
        assert lock is not None and lock["approved"] and lock["approved_by"] == "正阳街道党工委会议"
        assert lock["sha256"] == PLANS["gas"].sha256
        assert "2026.1（审批版本，正阳街道党工委会议审批，2026-01-01起生效" in lock["text"]
