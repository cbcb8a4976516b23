"""The deadline clocks for real: APScheduler date jobs over the obligation rows, on both backends."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clocks import Clocks
from emergency.db.models import ClockEventRow, LiveFindingRow, ObligationRow, OutboxRow
from emergency.domain.enums import Category, ObligationKind
from emergency.plans.escalation import Escalation, Reminders, Step
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.rules import ReportingRules
from emergency.plans.schema import load_street
from emergency.services.clocks import sync_obligations
from emergency.services.incidents import NewIncident, get_office, incident_audit, open_incident
from emergency.services.organisation import add_shift, load_street_into
from emergency.services.reports import NewReport, submit_report
from emergency.timelines import StatedIn

OFFICE = "长春市绿园区正阳街道办事处"
FAST = Escalation(
    reminders=Reminders(rule="clocks.reminders", lead_minutes=(0.01,), who="duty_officer", channels=("duty_wecom",),
                        source="test"),
    ladder=(Step(step="breach", after_minutes=0, who="duty_officer", channels=("duty_wecom",), source="test"),
            Step(step="leader_on_duty", after_minutes=0.01, who="leader_on_duty", channels=("duty_wecom",),
                 source="test")),
)


def wait_until(check: Callable[[], bool], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def now() -> datetime:
    return datetime.now(UTC)


def seed_office(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
        add_shift(session, office=office, starts_at=now() - timedelta(hours=1), ends_at=now() + timedelta(hours=1),
                  duty_officer="吴刚", leader_on_duty="李强", phone="0431-8000000")


def add_obligation(sessions: sessionmaker[Session], key: str, due_in: float, status: str = "open") -> int:
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        row = ObligationRow(key=key, subject="report", office_id=office.id, incident_id=None, kind="initial/phone",
                            label="电话首报",
                            due_at=now() + timedelta(seconds=due_in), rule="initial.phone.general", source="test",
                            status=status, created_at=now(), updated_at=now(), drill=False)
        session.add(row)
        session.flush()
        return row.id


def steps_of(sessions: sessionmaker[Session], obligation_id: int) -> list[str]:
    with sessions.begin() as session:
        return list(session.scalars(select(ClockEventRow.step).where(ClockEventRow.obligation_id == obligation_id)
                                    .order_by(ClockEventRow.fired_at)))


def test_reminder_breach_and_escalation_fire_once_each(sessions: sessionmaker[Session]) -> None:
    """A deadline 2 s away: reminded before, breach recorded at it, escalated after; each step once, via the outbox."""
    seed_office(sessions)
    ob = add_obligation(sessions, "a", 2.0)
    met = add_obligation(sessions, "b", 1.5)
    clocks = Clocks(sessions, FAST)
    clocks.start()
    try:
        with sessions.begin() as session:
            row = session.get(ObligationRow, met)
            assert row is not None
            row.status, row.updated_at = "met", now()  # reported in time: its jobs must do nothing
        wait_until(lambda: len(steps_of(sessions, ob)) == 3)
        later = add_obligation(sessions, "c", 1.0)  # created by "another process" after start
        wait_until(lambda: "breach" in steps_of(sessions, later))
    finally:
        clocks.stop()
    assert steps_of(sessions, ob) == ["remind_0.01", "breach", "leader_on_duty"]
    assert steps_of(sessions, met) == []
    with sessions.begin() as session:
        breached = session.get(ObligationRow, ob)
        assert breached is not None and breached.status == "breached"
        assert breached.breached_at is not None and breached.breached_at - breached.due_at < timedelta(seconds=1)
        finding = session.scalar(select(LiveFindingRow).where(LiveFindingRow.obligation_id == ob))
        assert finding is not None and finding.type == "late" and "记录为迟报" in finding.evidence
        notices = session.scalars(select(OutboxRow).where(OutboxRow.topic == "notice")).all()
        assert {n.idempotency_key for n in notices} >= {f"clock-{ob}-breach-duty_wecom",
                                                        f"clock-{ob}-leader_on_duty-duty_wecom"}
        leader = next(n for n in notices if n.idempotency_key == f"clock-{ob}-leader_on_duty-duty_wecom")
        assert "李强（0431-8000000）" in leader.body["to"]


def test_restart_flags_missed_deadlines_once(sessions: sessionmaker[Session]) -> None:
    """Deadlines that passed while the clocks were down are flagged at once on start, and not again on a second start."""
    seed_office(sessions)
    missed = add_obligation(sessions, "m", -5.0)
    first = Clocks(sessions, FAST)
    first.start()
    try:
        wait_until(lambda: steps_of(sessions, missed) == ["breach", "leader_on_duty"])
    finally:
        first.stop()
    second = Clocks(sessions, FAST)
    counts = second.start()
    try:
        time.sleep(0.5)
    finally:
        second.stop()
    assert counts["fired_now"] == 0  # the reminder stays skipped (logged), nothing fires twice
    assert steps_of(sessions, missed) == ["breach", "leader_on_duty"]


def test_live_breaches_agree_with_the_audit(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """The obligations the clocks flag are exactly the ones the audit finds failed, before and after a late report."""
    seed_office(sessions)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        known = now() - timedelta(minutes=60) + timedelta(seconds=2)  # a general drought: phone due in 2 s
        row = open_incident(session, rules=rules, office=office, now=now(), data=NewIncident(
            id="E1", category=Category.NATURAL_DISASTER, type="drought", title="旱情", location="正阳街道",
            occurred_at=known - timedelta(minutes=5), known_at=known))
        sync_obligations(session, rules=rules, incident=row, now=now())
        incident_id = row.id
    clocks = Clocks(sessions, FAST)
    clocks.start()
    try:
        def breached() -> bool:
            with sessions.begin() as session:
                return session.scalar(select(LiveFindingRow.id)) is not None
        wait_until(breached)
    finally:
        clocks.stop()

    def compare(at: datetime) -> tuple[set[tuple[str, datetime]], set[tuple[str, datetime]]]:
        with sessions.begin() as session:
            live = {(f.obligation, f.due_at) for f in session.scalars(select(LiveFindingRow))}
            incident = session.get(type(row), incident_id)
            assert incident is not None
            audit = incident_audit(session, rules=rules, incident=incident, at=at)
            found = {(f.obligation.value, f.due_at) for f in audit.findings if f.obligation and f.due_at}
            return live, found

    live, audited = compare(now())
    assert live == audited == {(ObligationKind.INITIAL_PHONE.value, known + timedelta(minutes=60))}
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        incident = session.get(type(row), incident_id)
        assert incident is not None
        submit_report(session, office=office, incident=incident, now=now(), data=NewReport(
            kind="initial", channel="phone", to="区应急管理局",  # type: ignore[arg-type]
            stated=StatedIn(summary="旱情", measures="巡查", location="正阳街道", occurred_at=incident.occurred_at)))
        sync_obligations(session, rules=rules, incident=incident, now=now())
    live, audited = compare(now())
    assert live == audited  # the late phone report: 迟报 in both


def test_a_draft_waiting_for_its_signer_has_a_clock(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """A drafted report waiting for sign-off is an obligation due with the report; signing it meets it."""
    from emergency.services.drafts import draft_due_reports, sign_draft

    seed_office(sessions)
    t0 = datetime(2026, 3, 1, 0, 22, tzinfo=UTC)
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        row = open_incident(session, rules=rules, office=office, now=t0, data=NewIncident(
            id="E1", category=Category.ACCIDENT, type="gas_explosion", title="燃气爆炸", location="万福街",
            occurred_at=t0 - timedelta(minutes=12), known_at=t0 - timedelta(minutes=2)))
        [draft] = draft_due_reports(session, rules=rules, incident=row, now=t0)
        sync_obligations(session, rules=rules, incident=row, now=t0)
        signoff = session.scalar(select(ObligationRow).where(ObligationRow.subject == "signoff"))
        assert signoff is not None and (signoff.label, signoff.due_at, signoff.status) == ("首报签发", draft.due_at, "open")
        sign_draft(session, office=office, draft_id=draft.id, signer="张伟", recipient="区应急管理局",
                   now=t0 + timedelta(minutes=5))
        sync_obligations(session, rules=rules, incident=row, now=t0 + timedelta(minutes=5))
        assert (signoff.status, signoff.met_at) == ("met", t0 + timedelta(minutes=5))
        statuses = {(r.kind, r.status) for r in session.scalars(select(ObligationRow).where(ObligationRow.subject == "report"))}
        assert ("initial/written", "met") in statuses and ("initial/phone", "met") in statuses


def test_shift_change_sends_one_handover_listing_what_is_open(sessions: sessionmaker[Session]) -> None:
    """When a shift takes over, the clocks send the handover once, listing every open obligation."""
    start = now()
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
        change = start - timedelta(minutes=1)
        add_shift(session, office=office, starts_at=change - timedelta(hours=9), ends_at=change, duty_officer="周平",
                  leader_on_duty="张伟", phone="13800000003")
        add_shift(session, office=office, starts_at=change, ends_at=change + timedelta(hours=15),
                  duty_officer="郑红", leader_on_duty="李强", phone="13800000005")
    add_obligation(sessions, "open-one", 600.0)
    clocks = Clocks(sessions, FAST)
    clocks.start()

    def handovers() -> list[OutboxRow]:
        with sessions.begin() as session:
            return list(session.scalars(select(OutboxRow).where(OutboxRow.idempotency_key.like("handover-%"))))

    try:
        wait_until(lambda: len(handovers()) == 1)
        time.sleep(1.2)  # another watch tick: still one
    finally:
        clocks.stop()
    [sent] = handovers()
    text = sent.body["text"]
    assert "交班：白班 值班员周平" in text or "值班员周平" in text
    assert "值班员郑红" in text and "电话首报" in text and "未结事项（1项）" in text
