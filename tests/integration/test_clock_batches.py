"""Steps fired together in one transaction: the same outcomes and rows as firing each alone, and each step once."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import emergency.clocks
import emergency.services.clocks
from emergency.clocks import Clocks
from emergency.db.models import ClockEventRow, LiveFindingRow, ObligationRow, OutboxRow
from emergency.domain.clocks import ClockStep, clock_steps
from emergency.plans.escalation import Escalation, Reminders, Step
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.schema import load_street
from emergency.services.clocks import fire_step, fire_steps
from emergency.services.incidents import get_office
from emergency.services.organisation import add_shift, load_street_into

OFFICE = "长春市绿园区正阳街道办事处"
FAST = Escalation(
    reminders=Reminders(rule="clocks.reminders", lead_minutes=(0.01,), who="duty_officer", channels=("duty_wecom",),
                        source="test"),
    ladder=(Step(step="breach", after_minutes=0, who="duty_officer", channels=("duty_wecom",), source="test"),
            Step(step="leader_on_duty", after_minutes=0.01, who="leader_on_duty", channels=("duty_wecom",),
                 source="test"),
            Step(step="office_head", after_minutes=0.02, who="commander", channels=("duty_wecom", "district"),
                 source="test")),
)
LADDER = Escalation(reminders=FAST.reminders.model_copy(update={"lead_minutes": ()}), ladder=FAST.ladder)
NOW = datetime.now(UTC).replace(microsecond=0)


def seed(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
        add_shift(session, office=office, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1),
                  duty_officer="吴刚", leader_on_duty="李强", phone="0431-8000000")
        return office.id


def add(sessions: sessionmaker[Session], key: str, due: datetime, *, office_id: int | None, status: str = "open",
        subject: str = "report", fired: Sequence[str] = ()) -> int:
    with sessions.begin() as session:
        row = ObligationRow(key=key, subject=subject, office_id=office_id, incident_id=None, kind="initial/phone",
                            label="电话首报", due_at=due, rule="initial.phone.general", source="test", status=status,
                            created_at=NOW, updated_at=NOW, drill=False)
        session.add(row)
        session.flush()
        for step in fired:
            session.add(ClockEventRow(obligation_id=row.id, step=step, scheduled_for=due, fired_at=due, recipient="x"))
        return row.id


def step(due: datetime, name: str) -> ClockStep:
    return next(s for s in clock_steps(due, FAST) if s.step == name)


def scenario(sessions: sessionmaker[Session], prefix: str, office_id: int) -> tuple[dict[str, int], list[tuple[int, ClockStep]]]:
    """The same obligations under two prefixes, and the steps to fire for them, in order."""
    past, future = NOW - timedelta(minutes=1), NOW + timedelta(minutes=10)
    ids = {
        "due": add(sessions, f"{prefix}-due", past, office_id=office_id),
        "no_office": add(sessions, f"{prefix}-no-office", past, office_id=None),
        "met": add(sessions, f"{prefix}-met", past, office_id=office_id, status="met"),
        "future": add(sessions, f"{prefix}-future", future, office_id=office_id),
        "done": add(sessions, f"{prefix}-done", past, office_id=office_id, fired=("breach",)),
        "signoff": add(sessions, f"{prefix}-signoff", past, office_id=office_id, subject="signoff"),
    }
    steps = [
        (ids["due"], step(past, "remind_0.01")),     # no longer useful: the deadline passed
        (ids["due"], step(past, "breach")),
        (ids["due"], step(past, "breach")),          # the same step twice: already fired
        (ids["due"], step(past, "leader_on_duty")),
        (ids["due"], step(past, "office_head")),     # a role holder, two channels
        (ids["no_office"], step(past, "breach")),
        (ids["met"], step(past, "breach")),
        (ids["future"], step(future, "breach")),     # not due
        (ids["future"], step(future, "remind_0.01")),
        (ids["done"], step(past, "breach")),
        (ids["done"], step(past, "leader_on_duty")),
        (ids["signoff"], step(past, "breach")),      # no live finding for a signoff
        (10_000_000 + len(prefix), step(past, "breach")),  # gone
    ]
    return ids, steps


def stored(sessions: sessionmaker[Session], ids: dict[str, int]) -> dict[str, Any]:
    """Everything the steps wrote for these obligations, with row ids replaced by the scenario's names."""
    name = {v: k for k, v in ids.items()}
    with sessions() as session:
        obligations = {name[r.id]: (r.status, r.breached_at, r.updated_at)
                       for r in session.scalars(select(ObligationRow).where(ObligationRow.id.in_(ids.values())))}
        events = sorted((name[e.obligation_id], e.step, e.scheduled_for, e.fired_at, e.recipient, e.note,
                         e.outbox_id is not None)
                        for e in session.scalars(select(ClockEventRow).where(ClockEventRow.obligation_id.in_(ids.values()))))
        outbox = []
        for o in session.scalars(select(OutboxRow)):
            _clock, ob_id, rest = o.idempotency_key.split("-", 2)
            if int(ob_id) in name:
                outbox.append((name[int(ob_id)], rest, o.topic, o.channel, o.subject, o.body, o.status, o.created_at))
        findings = sorted((name[f.obligation_id], f.type, f.obligation, f.due_at, f.recorded_at, f.rule, f.evidence)
                          for f in session.scalars(select(LiveFindingRow)
                                                   .where(LiveFindingRow.obligation_id.in_(ids.values()))))
    return {"obligations": obligations, "events": events, "outbox": sorted(outbox), "findings": findings}


def test_firing_together_stores_what_firing_one_by_one_stores(sessions: sessionmaker[Session]) -> None:
    """`fire_steps` in one transaction: each outcome, event, notice, finding and status as `fire_step` gives alone."""
    office_id = seed(sessions)
    alone_ids, alone_steps = scenario(sessions, "alone", office_id)
    together_ids, together_steps = scenario(sessions, "together", office_id)
    alone = []
    for obligation_id, s in alone_steps:
        with sessions.begin() as session:
            alone.append(fire_step(session, obligation_id=obligation_id, step=s, now=NOW))
    with sessions.begin() as session:
        together = fire_steps(session, steps=together_steps, now=NOW)
    assert together == alone == ["no longer useful", "fired", "already fired", "fired", "fired", "fired", "met",
                                 "not due", "fired", "already fired", "fired", "fired", "gone"]
    result = stored(sessions, together_ids)
    assert result == stored(sessions, alone_ids)
    assert (len(result["events"]), len(result["outbox"]), len(result["findings"])) == (8, 8, 2)


def test_many_deadlines_at_once_are_fired_in_batches_each_once(sessions: sessionmaker[Session],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """300 deadlines passing at the same instant: batched transactions, every step once, every breach flagged."""
    office_id = seed(sessions)
    due = datetime.now(UTC) + timedelta(seconds=2)
    for n in range(300):
        add(sessions, f"k{n}", due, office_id=office_id)
    batches: list[int] = []

    def counted(session: Session, *, steps: Sequence[tuple[int, ClockStep]], now: datetime) -> list[str]:
        batches.append(len(steps))
        return fire_steps(session, steps=steps, now=now)

    monkeypatch.setattr(emergency.clocks, "fire_steps", counted)
    clocks = Clocks(sessions, LADDER)
    clocks.start()

    def events() -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(ClockEventRow)) or 0

    try:
        deadline = time.monotonic() + 30
        while events() < 300 * 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        clocks.stop()
    assert max(batches) > 1
    with sessions() as session:
        per_step = session.execute(select(ClockEventRow.step, func.count()).group_by(ClockEventRow.step)).tuples().all()
        assert dict(per_step) == {"breach": 300, "leader_on_duty": 300, "office_head": 300}
        assert session.scalar(select(func.count()).select_from(LiveFindingRow)) == 300
        assert set(session.scalars(select(ObligationRow.status))) == {"breached"}


def test_a_failing_batch_is_fired_again_step_by_step(sessions: sessionmaker[Session],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """If a batch's transaction fails, nothing of it is stored and each of its steps is fired alone."""
    office_id = seed(sessions)
    past = NOW - timedelta(minutes=1)
    ids = [add(sessions, f"k{n}", past, office_id=office_id) for n in range(5)]
    calls: list[int] = []

    def broken(session: Session, *, steps: Sequence[tuple[int, ClockStep]], now: datetime) -> list[str]:
        calls.append(len(steps))
        fire_steps(session, steps=steps, now=now)
        raise RuntimeError("the batch fails after writing")

    monkeypatch.setattr(emergency.clocks, "fire_steps", broken)
    clocks = Clocks(sessions, FAST)
    clocks._fire_batch([(i, step(past, "breach")) for i in ids])
    assert calls == [5]
    assert sorted(clocks.fired) == sorted((i, "breach", "fired") for i in ids)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ClockEventRow)) == 5
        assert session.scalar(select(func.count()).select_from(LiveFindingRow)) == 5


def test_a_step_another_process_records_meanwhile_is_already_fired(sessions: sessionmaker[Session], backend: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Another clock process records one step of a batch between its reads and its writes: the batch is fired again
    step by step, that step comes out 'already fired' and nothing is stored twice."""
    if backend != "sqlite":
        pytest.skip("on PostgreSQL the batch's FOR UPDATE row locks make the other writer wait instead")
    office_id = seed(sessions)
    past = NOW - timedelta(minutes=1)
    ids = [add(sessions, f"k{n}", past, office_id=office_id) for n in range(3)]
    lookup = emergency.services.clocks._recipient
    raced: list[int] = []

    def racing(session: Session, **kwargs: Any) -> str:
        if not raced:  # after the batch read its rows and fired steps, before it writes anything
            raced.append(ids[1])
            with sessions.begin() as other:
                other.add(ClockEventRow(obligation_id=ids[1], step="breach", scheduled_for=past, fired_at=NOW,
                                        recipient="the other process"))
        return lookup(session, **kwargs)

    monkeypatch.setattr(emergency.services.clocks, "_recipient", racing)
    clocks = Clocks(sessions, FAST)
    clocks._fire_batch([(i, step(past, "breach")) for i in ids])
    assert raced == [ids[1]]
    assert sorted(clocks.fired) == sorted([(ids[0], "breach", "fired"), (ids[1], "breach", "already fired"),
                                           (ids[2], "breach", "fired")])
    with sessions() as session:
        events = dict(session.execute(select(ClockEventRow.obligation_id, ClockEventRow.recipient)).tuples().all())
        assert len(events) == 3 and events[ids[1]] == "the other process"
        assert set(session.scalars(select(LiveFindingRow.obligation_id))) == {ids[0], ids[2]}
