"""Support requests on SQLite and PostgreSQL: the 请示 written and queued, its answer clock, answers and arrivals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import (
    ClockEventRow,
    LiveFindingRow,
    ObligationRow,
    OutboxRow,
    SupportArrivalRow,
    SupportRequestRow,
)
from emergency.db.session import unit_of_work
from emergency.delivery_config import load_delivery
from emergency.domain.clocks import clock_steps
from emergency.domain.enums import SupportStatus
from emergency.errors import ConflictError, InputError, NotFoundError
from emergency.plans.escalation import load_escalation
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.rules import ReportingRules
from emergency.plans.schema import load_street
from emergency.plans.support import load_support_plan
from emergency.reporting.documents import DEFAULT_TEMPLATES
from emergency.services.clocks import fire_step
from emergency.services.hazards import Paperwork
from emergency.services.incidents import NewIncident, get_office, open_incident
from emergency.services.organisation import add_shift, load_street_into
from emergency.services.support_requests import (
    ArrivalSummary,
    RequestIn,
    RequestSummary,
    answer_request,
    list_requests,
    record_arrival,
    request_detail,
    request_support,
)
from tests.integration.support import OFFICE

PLAN = load_support_plan()
KNOWN = datetime(2026, 3, 1, 8, 20, tzinfo=CN_TZ)
ASKED = datetime(2026, 3, 1, 9, 30, tzinfo=CN_TZ)


def seed(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """The street (its contacts), a duty shift, a real incident 2026-0301 and a drill incident 2026-0302."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
        add_shift(session, office=office, starts_at=datetime(2026, 3, 1, 8, tzinfo=CN_TZ),
                  ends_at=datetime(2026, 3, 2, 8, tzinfo=CN_TZ), duty_officer="吴刚", leader_on_duty="李强",
                  phone="0431-8000000")
        for ref, drill in (("2026-0301", False), ("2026-0302", True)):
            open_incident(session, rules=rules, office=office, now=KNOWN, data=NewIncident(
                id=ref, category="accident", type="gas_explosion", title="万福街某餐馆燃气爆炸",
                location="绿园区万福街87号附近某餐馆", occurred_at=KNOWN - timedelta(minutes=10), known_at=KNOWN,
                drill=drill))


def ask(sessions: sessionmaker[Session], folder: Path, now: datetime = ASKED, **fields: Any) -> RequestSummary:
    """Make one request in one unit of work (materials for 2026-0301 by default)."""
    data = {"incident": "2026-0301", "kind": "物资", "items": ["编织袋:5000:条", "应急照明灯:20:台"],
            "reason": "现场抢险物资不足，急需补充", "by": "张伟", **fields}
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return request_support(session, office=office, plan=PLAN, data=RequestIn.model_validate(data), now=now,
                               paperwork=Paperwork(load_delivery(), PLAN.addressed_to, folder / "out",
                                                   DEFAULT_TEMPLATES))


def answer(sessions: sessionmaker[Session], number: str, status: SupportStatus, now: datetime,
           text: str = "同意调拨", by: str = "吴刚") -> RequestSummary:
    """Record an answer in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return answer_request(session, office=office, number=number, status=status, answer=text, by=by, at=None,
                              now=now)


def arrive(sessions: sessionmaker[Session], number: str, what: str, quantity: str | None, unit: str,
           now: datetime) -> ArrivalSummary:
    """Record an arrival in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return record_arrival(session, office=office, number=number, what=what,
                              quantity=None if quantity is None else Decimal(quantity), unit=unit, by="周平", at=None,
                              now=now)


def clock(sessions: sessionmaker[Session]) -> tuple[str, str, datetime, str, str, bool, datetime | None]:
    """The one support obligation as (key, label, due, status, rule, drill, met_at)."""
    with unit_of_work(sessions) as session:
        [row] = session.scalars(select(ObligationRow).where(ObligationRow.subject == "support_request"))
        return row.key, row.label, row.due_at, row.status, row.rule, row.drill, row.met_at


def test_a_request_writes_its_qing_shi_queues_it_for_the_district_and_starts_its_clock(
        sessions: sessionmaker[Session], rules: ReportingRules, tmp_path: Path) -> None:
    """Numbered ZY-2026-0001, the 请示 on disk with the office's contact, one outbox row per channel of the reports'
    route (not drill), and an open obligation due 2 h later (plans/support.yaml, materials) for the clocks."""
    seed(sessions, rules)
    done = ask(sessions, tmp_path)
    assert (done.number, done.document_number, done.incident, done.kind, done.status, done.drill) == (
        "ZY-2026-0001", "正阳应急请〔2026〕1号", "2026-0301", "materials", "requested", False)
    assert done.due_at == ASKED + timedelta(hours=2)
    assert done.document_path == str(tmp_path / "out" / "ZY-2026-0001-support-request.docx")
    texts = [p.text for p in docx.Document(done.document_path).paragraphs]
    assert "关于万福街某餐馆燃气爆炸处置请求支援物资的请示" in texts and "妥否，请批示。" in texts
    assert "（联系人：周平，联系电话：13800000003）" in texts  # the 应急管理办公室 of plans/street.yaml
    with unit_of_work(sessions) as session:
        sent = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        assert [(m.topic, m.channel, m.drill) for m in sent] == [
            ("report", "district_webhook", False), ("report", "district_drop", False)]
        assert sent[0].idempotency_key.startswith("support-") and sent[0].idempotency_key.endswith("@district_webhook")
        assert sent[0].subject == ("【请示】关于万福街某餐馆燃气爆炸处置请求支援物资的请示（正阳应急请〔2026〕1号），"
                                   "请于2026年3月1日11时30分前答复")
        assert sent[0].body["items"] == [{"what": "编织袋", "quantity": "5000", "unit": "条"},
                                         {"what": "应急照明灯", "quantity": "20", "unit": "台"}]
        assert sent[0].attachment == str(Path(done.document_path).resolve())
        row = session.scalars(select(SupportRequestRow)).one()
        assert (row.addressed_to, row.requested_by, row.requested_at) == ("绿园区人民政府", "张伟", ASKED)
    key, label, due, status, rule, drill, met = clock(sessions)
    assert (label, due, status, rule, drill, met) == (
        "请示ZY-2026-0001待答复", ASKED + timedelta(hours=2), "open", "support.answer_deadlines.materials", False, None)
    assert key == f"support-{row.id}-answer-{due.astimezone(UTC).isoformat()}"


def test_a_drill_request_goes_to_the_drill_folder_only_and_says_so(sessions: sessionmaker[Session],
                                                                   rules: ReportingRules, tmp_path: Path) -> None:
    """A drill incident's 请示 is marked 演练, queued on the drill route (never to the district), its clock a drill."""
    seed(sessions, rules)
    done = ask(sessions, tmp_path, incident="2026-0302", kind="people", items=["专业抢险人员:30:人"], due_in="1h")
    assert done.drill
    assert docx.Document(done.document_path).paragraphs[0].text.startswith("【演练】")
    with unit_of_work(sessions) as session:
        assert [(m.topic, m.channel, m.drill) for m in session.scalars(select(OutboxRow))] == [
            ("report_drill", "drill_notices", True)]
    _key, _label, due, _status, rule, drill, _met = clock(sessions)
    assert (due, rule, drill) == (ASKED + timedelta(hours=1), "support.due_in", True)


def test_the_clocks_chase_an_unanswered_request_in_its_own_words_and_the_answer_stops_them(
        sessions: sessionmaker[Session], rules: ReportingRules, tmp_path: Path) -> None:
    """Reminder, breach and escalation of the shipped ladder fire in 请示 words to the duty officer and the leader
    on duty; a breach is no 迟报 finding; the first answer meets the obligation and later steps do nothing."""
    seed(sessions, rules)
    done = ask(sessions, tmp_path)
    steps = {s.step: s for s in clock_steps(done.due_at, load_escalation(DEFAULT_PLANS_DIR))}
    with unit_of_work(sessions) as session:
        ob = session.scalars(select(ObligationRow).where(ObligationRow.subject == "support_request")).one()
        assert fire_step(session, obligation_id=ob.id, step=steps["remind_10"], now=steps["remind_10"].at) == "fired"
        assert fire_step(session, obligation_id=ob.id, step=steps["breach"], now=done.due_at) == "fired"
        assert fire_step(session, obligation_id=ob.id, step=steps["leader_on_duty"],
                         now=steps["leader_on_duty"].at) == "fired"
        texts = [m.subject for m in session.scalars(select(OutboxRow).where(OutboxRow.topic == "notice")
                                                    .order_by(OutboxRow.id))]
        assert session.scalar(select(func.count()).select_from(LiveFindingRow)) == 0
    assert texts[0].startswith("【请示催办提醒】请示ZY-2026-0001待答复（万福街某餐馆燃气爆炸）：区里应于2026-03-01 11:30前答复")
    assert texts[1].startswith("【请示超时未答复】") and "吴刚（0431-8000000）" in texts[1]
    assert texts[2].startswith("【请示超时未答复督办】") and "李强（0431-8000000）" in texts[2]
    assert clock(sessions)[3] == "breached"
    answered_at = done.due_at + timedelta(minutes=20)
    answer(sessions, done.number, SupportStatus.PARTLY_ANSWERED, answered_at, "同意调拨编织袋3000条，照明灯另行协调")
    assert clock(sessions)[3:] == ("met", "support.answer_deadlines.materials", False, answered_at)
    with unit_of_work(sessions) as session:
        assert fire_step(session, obligation_id=ob.id, step=steps["office_head"], now=steps["office_head"].at) == "met"
        assert session.scalar(select(func.count()).select_from(ClockEventRow)) == 3


def test_arrivals_are_counted_against_the_request_and_close_it_when_complete(
        sessions: sessionmaker[Session], rules: ReportingRules, tmp_path: Path) -> None:
    """A partial answer then the rest: both answers kept; arrivals add up per item; complete, the request closes
    (办结) and takes no more arrivals; the list's --open leaves it out."""
    seed(sessions, rules)
    done = ask(sessions, tmp_path)
    t = ASKED + timedelta(minutes=40)
    answer(sessions, done.number, SupportStatus.PARTLY_ANSWERED, t, "先调拨编织袋3000条")
    first = arrive(sessions, done.number, "编织袋", "3000", "条", t + timedelta(minutes=30))
    assert (first.status, first.line.received, first.line.outstanding) == ("partly_answered", 3000, 2000)
    answer(sessions, done.number, SupportStatus.ANSWERED, t + timedelta(hours=1), "其余物资一并调拨", by="郑红")
    arrive(sessions, done.number, "编织袋", "2000", "条", t + timedelta(hours=2))
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        assert [i.number for i in list_requests(session, office=office, now=t, open_only=True)] == [done.number]
    last = arrive(sessions, done.number, "应急照明灯", "20", "台", t + timedelta(hours=3))
    assert last.status == "closed"
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        detail = request_detail(session, office=office, number="zy-2026-0001", now=t + timedelta(hours=4))
        assert list_requests(session, office=office, now=t, open_only=True) == []
        assert [i.number for i in list_requests(session, office=office, now=t, incident="2026-0301")] == [done.number]
    info = detail.info
    assert (info.status, info.closed_at, info.answered_at, info.answered_by) == (
        "closed", t + timedelta(hours=3), t, "郑红")
    assert info.answer == "2026-03-01 10:10 吴刚：先调拨编织袋3000条\n2026-03-01 11:10 郑红：其余物资一并调拨"
    assert [(p.what, p.requested, p.received) for p in info.lines] == [("编织袋", 5000, 5000), ("应急照明灯", 20, 20)]
    assert [(a.what, a.quantity, a.received_by) for a in detail.arrivals] == [
        ("编织袋", 3000, "周平"), ("编织袋", 2000, "周平"), ("应急照明灯", 20, "周平")]
    assert detail.clock_status == "met"
    with pytest.raises(ConflictError, match="ZY-2026-0001, field status: the request is closed"):
        arrive(sessions, done.number, "编织袋", "1", "条", t + timedelta(hours=5))


def test_bad_requests_store_nothing_and_name_the_field(sessions: sessionmaker[Session], rules: ReportingRules,
                                                       tmp_path: Path) -> None:
    """A bad item, an unknown incident, a bad --due-in: one error naming record and field, no row, no file, no
    message; a refused request takes no arrival and no second answer."""
    seed(sessions, rules)
    with pytest.raises(InputError) as caught:
        ask(sessions, tmp_path, items=["编织袋:5000:条", "照明灯:二十:台"])
    assert (caught.value.record, caught.value.field) == ("support request for incident 2026-0301", "items[1]")
    with pytest.raises(InputError, match="field due_in: '2 hours' is not a duration"):
        ask(sessions, tmp_path, due_in="2 hours")
    with pytest.raises(NotFoundError, match="incident 2026-9999: no such incident"):
        ask(sessions, tmp_path, incident="2026-9999")
    with unit_of_work(sessions) as session:
        for model in (SupportRequestRow, ObligationRow, OutboxRow):
            assert session.scalar(select(func.count()).select_from(model)) == 0
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    done = ask(sessions, tmp_path)
    answer(sessions, done.number, SupportStatus.REFUSED, ASKED + timedelta(minutes=5), "区级储备不足，请向市里申请")
    with pytest.raises(ConflictError, match="field status: the request is already refused"):
        answer(sessions, done.number, SupportStatus.ANSWERED, ASKED + timedelta(minutes=6))
    with pytest.raises(ConflictError, match="the request is refused"):
        arrive(sessions, done.number, "编织袋", "10", "条", ASKED + timedelta(minutes=7))
    other = ask(sessions, tmp_path, kind="funds", items=["应急资金:50:万元"])
    with pytest.raises(InputError, match=r"field at: .* is in the future"), unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        record_arrival(session, office=office, number=other.number, what="应急资金", quantity=Decimal(50),
                       unit="万元", by="周平", at=ASKED + timedelta(days=1), now=ASKED)
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(SupportArrivalRow)) == 0
