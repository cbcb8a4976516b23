"""Inspection results and hazards on SQLite and PostgreSQL: findings to 销号, notices, the district, the clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.clocks import Clocks
from emergency.db.models import (
    ClockEventRow,
    HazardEventRow,
    HazardRow,
    InspectionRow,
    LiveFindingRow,
    ObligationRow,
    OutboxRow,
)
from emergency.db.session import unit_of_work
from emergency.domain.enums import HazardAction, HazardGrade, HazardStatus
from emergency.errors import ConflictError, EmergencyError, InputError
from emergency.labels import CLOCKS_ACTOR
from emergency.services.hazards import hazard_detail, list_hazards
from emergency.services.incidents import get_office
from tests.integration.hazard_support import (
    DISTRICT,
    finding,
    inspection_id,
    record,
    seed,
    step,
)
from tests.integration.support import OFFICE
from tests.integration.test_clocks import FAST, wait_until

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=CN_TZ)
AT = datetime(2026, 11, 26, 9, 30, tzinfo=CN_TZ)


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows of everything a result or a step writes."""
    with unit_of_work(sessions) as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (HazardRow, HazardEventRow, ObligationRow, OutboxRow)} | {
            "done": session.scalar(select(func.count()).select_from(InspectionRow)
                                   .where(InspectionRow.status == "done")) or 0}


def obligations(sessions: sessionmaker[Session]) -> list[tuple[str, str, datetime, str]]:
    """Every rectification obligation as (key, label, due, status), oldest first."""
    with unit_of_work(sessions) as session:
        rows = session.scalars(select(ObligationRow).where(ObligationRow.subject == "rectification")
                               .order_by(ObligationRow.id))
        return [(r.key, r.label, r.due_at, r.status) for r in rows]


def events(sessions: sessionmaker[Session], number: str) -> list[tuple[str, str]]:
    """A hazard's history as (action, actor)."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return [(e.action, e.actor) for e in hazard_detail(session, office=office, number=number, now=NOW).events]


def test_a_passed_result_marks_the_inspection_done_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Named by its source alone (one inspection waiting), a passed result stores who, when, items, photos, note."""
    seed(sessions)
    (tmp_path / "p1.jpg").write_bytes(b"jpeg")
    done = record(sessions, tmp_path, NOW, source="WF-DW-001", by="赵磊", at=AT.isoformat(), result="passed",
                  items=["排水口是否畅通", "警示标志"], photos=["p1.jpg"], note="雨水篦子已清掏")
    assert (done.source_code, done.period_key, done.result, done.on_time, done.hazards) == (
        "WF-DW-001", "2026-11", "passed", True, ())
    with unit_of_work(sessions) as session:
        row = session.get(InspectionRow, done.inspection_id)
        assert row is not None
        assert (row.status, row.done_by, row.done_at, row.result) == ("done", "赵磊", AT, "passed")
        assert row.checked_items == ["排水口是否畅通", "警示标志"] and row.note == "雨水篦子已清掏"
        assert row.photos == [str((tmp_path / "p1.jpg").resolve())]
    before = counts(sessions)
    with pytest.raises(ConflictError, match=f"inspection {done.inspection_id}, field status: already recorded"):
        record(sessions, tmp_path, NOW, inspection=done.inspection_id, by="赵磊", at=AT.isoformat(), result="passed")
    assert counts(sessions) == before


def test_a_finding_becomes_a_hazard_with_its_notice_and_clock(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """A general finding: numbered, deadline by default 7 days to the end of the day, 整改通知书 written and queued
    to the owner unit's channel, a rectification obligation open for the clocks; nothing goes to the district."""
    seed(sessions)
    ident = inspection_id(sessions, "ZY-RQ-001", "2026-W48")
    done = record(sessions, tmp_path, NOW, inspection=ident, by="王丽", at=AT.isoformat(), result="finding",
                  findings=[finding()])
    [hazard] = done.hazards
    deadline = datetime(2026, 12, 4, 0, 0, tzinfo=CN_TZ)
    assert (hazard.number, hazard.grade, hazard.status, hazard.deadline) == ("YH-2026-0001", "general", "open", deadline)
    assert hazard.reported_to_district_at is None
    assert hazard.notice_path == str(tmp_path / "out" / "YH-2026-0001-rectification-notice.docx")
    assert Path(hazard.notice_path).is_file()
    with unit_of_work(sessions) as session:
        row = session.scalar(select(HazardRow))
        assert row is not None
        assert (row.owner_unit, row.location, row.category, row.reported_by, row.found_at, row.inspection_id) == (
            "长春燃气股份有限公司绿园分公司", "正阳街60号至98号", "things", "王丽", AT, ident)
        [sent] = session.scalars(select(OutboxRow).where(OutboxRow.topic == "rectification"))
        assert (sent.channel, sent.idempotency_key) == ("owner_notices", f"hazard-notice-{row.office_id}-YH-2026-0001"
                                                                         "@owner_notices")
        assert sent.attachment == str(Path(hazard.notice_path).resolve())
        assert sent.body["to"] == "长春燃气股份有限公司绿园分公司" and sent.body["deadline"] == "2026-12-04T00:00:00+08:00"
        assert session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.topic == "report")) == 0
        [ob] = session.scalars(select(ObligationRow).where(ObligationRow.subject == "rectification"))
        assert (ob.kind, ob.label, ob.due_at, ob.status, ob.incident_id, ob.office_id) == (
            "rectification", "隐患YH-2026-0001整改", deadline, "open", None, row.office_id)
        assert ob.key == f"hazard-{row.id}-rectification-{deadline.astimezone(UTC).isoformat()}"
        assert ob.rule == "hazards.general" and "16号令第三条" in ob.source
    assert events(sessions, "YH-2026-0001") == [("found", "王丽"), ("notice_issued", "王丽")]


def test_a_major_hazard_is_reported_to_the_district_at_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """重大: queued on the reports' route to the district with its notice, marked 挂牌督办, listed first."""
    seed(sessions)
    record(sessions, tmp_path, NOW, source="WF-SG-001", by="赵磊", at=AT.isoformat(), result="finding",
           findings=[finding(description="塔吊基础积水、附着装置松动", grade="重大事故隐患", category="物",
                             deadline="2026-12-20")])
    record(sessions, tmp_path, NOW, source="WF-WH-001", by="赵磊", at=AT.isoformat(), result="finding",
           findings=[finding(description="油漆间未设置防爆照明", category="管理", deadline="2026-12-01")])
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        listed = list_hazards(session, office=office, now=NOW)
        assert [(h.number, h.grade, h.supervised) for h in listed] == [("YH-2026-0001", "major", True),
                                                                     ("YH-2026-0002", "general", False)]
        major = session.scalar(select(HazardRow).where(HazardRow.number == "YH-2026-0001"))
        assert major is not None and major.reported_to_district_at == NOW
        assert major.deadline == datetime(2026, 12, 21, 0, 0, tzinfo=CN_TZ)
        reports = session.scalars(select(OutboxRow).where(OutboxRow.topic == "report").order_by(OutboxRow.id)).all()
        assert [r.channel for r in reports] == ["district_webhook", "district_drop"]
        body = reports[0].body
        assert (body["type"], body["hazard"], body["grade"], body["to"], body["supervision"]) == (
            "major_hazard", "YH-2026-0001", "major", DISTRICT, "挂牌督办")
        assert reports[0].attachment == major.notice_path and "重大事故隐患报告" in reports[0].subject
        only_major = list_hazards(session, office=office, now=NOW, grade=HazardGrade.MAJOR)
        assert [h.number for h in only_major] == ["YH-2026-0001"]
    assert ("reported_to_district", "赵磊") in events(sessions, "YH-2026-0001")


@pytest.mark.parametrize(("changes", "field"), [
    ({"findings": [finding(grade="重大", measures="")]}, "findings[0].measures"),
    ({"findings": [finding(grade="较大")]}, "findings[0].grade"),
    ({"findings": [finding(category="天气")]}, "findings[0].category"),
    ({"findings": [finding(deadline="2026-11-20")]}, "findings[0].deadline"),
    ({"findings": [finding(owner_unit="")]}, "findings[0].owner_unit"),
    ({"findings": [finding()], "photos": ["missing.jpg"]}, "photos[0]"),
    ({"findings": []}, "findings"),
    ({"findings": [finding()], "at": "2026-11-26T11:00:00+08:00"}, "at"),
])
def test_a_bad_result_names_its_field_and_stores_nothing(sessions: sessionmaker[Session], tmp_path: Path,
                                                         changes: dict[str, object], field: str) -> None:
    """Any defect: one InputError naming the inspection and the field; no hazard, notice, message or clock."""
    seed(sessions)
    before = counts(sessions)
    ident = inspection_id(sessions, "WF-SG-001")
    fields: dict[str, object] = {"inspection": ident, "by": "赵磊", "at": AT.isoformat(), "result": "finding",
                                 **changes}
    with pytest.raises(InputError) as caught:
        record(sessions, tmp_path, NOW, **fields)
    assert (caught.value.record, caught.value.field) == (f"inspection {ident}", field)
    assert counts(sessions) == before
    assert not (tmp_path / "out").exists()


def test_extension_then_fix_then_verification_to_closure(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """An approved extension supersedes the old deadline's obligation and opens one for the new; the fixer cannot
    verify (nothing stored); another person's verification closes the hazard (销号) and meets the obligation."""
    seed(sessions)
    record(sessions, tmp_path, NOW, source="WF-SG-001", by="赵磊", at=AT.isoformat(), result="finding",
           findings=[finding()])
    number, old = "YH-2026-0001", datetime(2026, 12, 4, 0, 0, tzinfo=CN_TZ)
    new = datetime(2026, 12, 11, 0, 0, tzinfo=CN_TZ)
    t = NOW + timedelta(days=2)
    asked = step(sessions, number, HazardAction.EXTENSION_REQUESTED, "马建国", t, until=new, reason="配件缺货")
    assert (asked.status, asked.deadline) == ("extension_requested", old)
    with pytest.raises(InputError, match="field decided_by"):
        step(sessions, number, HazardAction.EXTENSION_APPROVED, "马建国", t)
    approved = step(sessions, number, HazardAction.EXTENSION_APPROVED, "李强", t + timedelta(hours=1))
    assert (approved.status, approved.deadline) == ("open", new)
    assert [(label, due, status) for _k, label, due, status in obligations(sessions)] == [
        ("隐患YH-2026-0001整改", old, "superseded"), ("隐患YH-2026-0001整改", new, "open")]
    step(sessions, number, HazardAction.FIX_REPORTED, "马建国", t + timedelta(days=1), note="已更换软管")
    before = counts(sessions)
    with pytest.raises(InputError) as caught:
        step(sessions, number, HazardAction.VERIFIED, " 马建国 ", t + timedelta(days=2))
    assert (caught.value.record, caught.value.field) == (f"hazard {number}", "verified_by")
    assert counts(sessions) == before
    closed_at = t + timedelta(days=2)
    closed = step(sessions, number, HazardAction.VERIFIED, "周平", closed_at)
    assert closed.status == "closed"
    assert [status for *_rest, status in obligations(sessions)] == ["superseded", "met"]
    with unit_of_work(sessions) as session:
        ob = session.scalars(select(ObligationRow).where(ObligationRow.status == "met")).one()
        assert ob.met_at == closed_at
        row = session.scalar(select(HazardRow))
        assert row is not None
        assert (row.fixed_reported_by, row.verified_by, row.closed_at) == ("马建国", "周平", closed_at)
    assert events(sessions, number) == [
        ("found", "赵磊"), ("notice_issued", "赵磊"), ("extension_requested", "马建国"), ("extension_approved", "李强"),
        ("fix_reported", "马建国"), ("verified", "周平"), ("closed", "周平")]
    with pytest.raises(InputError, match=f"hazard {number}, field status: is 已销号"):
        step(sessions, number, HazardAction.FIX_REPORTED, "马建国", closed_at)


def test_a_failed_verification_reopens_and_a_refused_extension_keeps_the_deadline(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """复查验收 failed: back to open with the same deadline and clock; a refused extension changes nothing else."""
    seed(sessions)
    record(sessions, tmp_path, NOW, source="WF-SG-001", by="赵磊", at=AT.isoformat(), result="finding",
           findings=[finding()])
    number = "YH-2026-0001"
    t = NOW + timedelta(days=1)
    step(sessions, number, HazardAction.FIX_REPORTED, "马建国", t)
    reopened = step(sessions, number, HazardAction.REVERIFY_FAILED, "周平", t + timedelta(hours=2), note="软管未固定")
    assert reopened.status == "open"
    step(sessions, number, HazardAction.EXTENSION_REQUESTED, "马建国", t + timedelta(hours=3),
         until=datetime(2026, 12, 31, 0, 0, tzinfo=CN_TZ), reason="等待厂家")
    refused = step(sessions, number, HazardAction.EXTENSION_REFUSED, "李强", t + timedelta(hours=4))
    assert (refused.status, refused.deadline) == ("open", datetime(2026, 12, 4, 0, 0, tzinfo=CN_TZ))
    assert [status for *_rest, status in obligations(sessions)] == ["open"]
    with unit_of_work(sessions) as session:
        row = session.scalar(select(HazardRow))
        assert row is not None and (row.fixed_reported_by, row.fixed_reported_at) == (None, None)
    with pytest.raises(InputError, match="field status: is 整改中 \\(open\\): cannot take the step verified"):
        step(sessions, number, HazardAction.VERIFIED, "周平", t + timedelta(hours=5))


def test_the_source_must_say_which_inspection_when_several_wait(sessions: sessionmaker[Session],
                                                                tmp_path: Path) -> None:
    """A source with a routine and a campaign inspection waiting: the period is asked for, naming both."""
    seed(sessions)
    with pytest.raises(InputError, match=r"field period: source ZY-RQ-001 has 2 inspections waiting \(2026-W48 is "
                                         r"inspection \d+, campaign:winter_fire:2026-11 is inspection \d+\)"):
        record(sessions, tmp_path, NOW, source="ZY-RQ-001", by="王丽", at=AT.isoformat(), result="passed")
    done = record(sessions, tmp_path, NOW, source="ZY-RQ-001", period="campaign:winter_fire:2026-11", by="王丽",
                  at=AT.isoformat(), result="passed")
    assert done.period_key == "campaign:winter_fire:2026-11"
    with pytest.raises(EmergencyError, match="no such inspection"):
        record(sessions, tmp_path, NOW, inspection=99999, by="王丽", result="passed")


def test_the_real_clocks_escalate_an_overdue_rectification(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """A deadline 2 s away: the clocks remind, flag the breach and escalate, in rectification words, recorded on the
    hazard as 逾期升级督办; never a 迟报 finding. 销号 afterwards meets the obligation and stops the clock."""
    start = datetime.now(UTC)
    seed(sessions, at=start)
    from emergency.services.organisation import add_shift

    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        add_shift(session, office=office, starts_at=start - timedelta(hours=1), ends_at=start + timedelta(hours=1),
                  duty_officer="吴刚", leader_on_duty="李强", phone="0431-8000000")
    due = start + timedelta(seconds=2)
    record(sessions, tmp_path, start, inspection=inspection_id(sessions, "WF-SG-001"), by="赵磊",
           at=start.isoformat(), result="finding", findings=[finding(deadline=due.isoformat())])
    [(key, _label, _due, _status)] = obligations(sessions)
    clocks = Clocks(sessions, FAST)
    clocks.start()

    def fired() -> list[str]:
        with unit_of_work(sessions) as session:
            return list(session.scalars(select(ClockEventRow.step).join(ObligationRow)
                                        .where(ObligationRow.key == key).order_by(ClockEventRow.fired_at)))
    try:
        wait_until(lambda: len(fired()) == 3)
    finally:
        clocks.stop()
    assert fired() == ["remind_0.01", "breach", "leader_on_duty"]
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(LiveFindingRow)) == 0
        ob = session.scalars(select(ObligationRow).where(ObligationRow.key == key)).one()
        assert ob.status == "breached"
        texts = [m.subject for m in session.scalars(select(OutboxRow).where(
            OutboxRow.idempotency_key.like(f"clock-{ob.id}-%")).order_by(OutboxRow.id))]
        assert texts[0].startswith("【整改提醒】隐患YH-2026-0001整改")
        assert texts[1].startswith("【整改逾期】隐患YH-2026-0001整改") and "吴刚（0431-8000000）" in texts[1]
        assert texts[2].startswith("【逾期升级督办】") and "李强（0431-8000000）" in texts[2]
        assert not any("迟报" in text for text in texts)
    escalated = [(a, who) for a, who in events(sessions, "YH-2026-0001") if a == HazardAction.ESCALATED.value]
    assert escalated == [("escalated", CLOCKS_ACTOR)] * 2
    now = datetime.now(UTC)
    step(sessions, "YH-2026-0001", HazardAction.FIX_REPORTED, "马建国", now)
    step(sessions, "YH-2026-0001", HazardAction.VERIFIED, "周平", now + timedelta(milliseconds=1))
    assert [status for *_rest, status in obligations(sessions)] == ["met"]
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        assert list_hazards(session, office=office, now=now, statuses=[HazardStatus.OPEN]) == []
        detail = hazard_detail(session, office=office, number="YH-2026-0001", now=now)
        assert [s for s, _at, _to in detail.clocks[0].steps] == ["remind_0.01", "breach", "leader_on_duty"]
