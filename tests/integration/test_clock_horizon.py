"""Steps far from due wait in the clocks' heap and are armed as APScheduler jobs only as their time comes near."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import emergency.clocks
from emergency.clocks import Clocks
from emergency.db.models import ClockEventRow, ObligationRow
from tests.integration.test_clock_batches import FAST, add, seed


def events(sessions: sessionmaker[Session], obligation_id: int) -> list[tuple[str, datetime]]:
    with sessions() as session:
        return list(session.execute(select(ClockEventRow.step, ClockEventRow.fired_at)
                                    .where(ClockEventRow.obligation_id == obligation_id)
                                    .order_by(ClockEventRow.id)).tuples())


def wait_for(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def short_horizon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emergency.clocks, "HORIZON", timedelta(seconds=0.5))
    monkeypatch.setattr(emergency.clocks, "ARM_EVERY", timedelta(seconds=0.2))


@pytest.mark.usefixtures("short_horizon")
def test_a_step_beyond_the_horizon_waits_in_the_heap_then_fires_on_time(sessions: sessionmaker[Session]) -> None:
    """A deadline 2 s away is not an APScheduler job at start; it is armed as it nears, and its steps fire in order."""
    office_id = seed(sessions)
    due = datetime.now(UTC) + timedelta(seconds=2)
    ob = add(sessions, "far", due, office_id=office_id)
    clocks = Clocks(sessions, FAST)
    counts = clocks.start()
    try:
        armed = {job.id for job in clocks._scheduler.get_jobs()}
        assert counts["scheduled"] == 4 and clocks.pending_jobs() == 4
        assert not any(job_id.startswith(f"{ob}:") for job_id in armed)  # all four wait in the heap
        wait_for(lambda: [s for s, _ in events(sessions, ob)] == ["remind_0.01", "breach", "leader_on_duty",
                                                                    "office_head"])
    finally:
        clocks.stop()
    fired = dict(events(sessions, ob))
    assert timedelta(0) <= fired["breach"] - due < timedelta(seconds=0.5)
    assert fired["remind_0.01"] < due


@pytest.mark.usefixtures("short_horizon")
def test_a_moved_deadline_fires_at_its_new_time_only(sessions: sessionmaker[Session]) -> None:
    """When a deadline moves later, the steps armed for the old one do nothing; the new ones fire at the new time."""
    office_id = seed(sessions)
    old_due = datetime.now(UTC) + timedelta(seconds=1.5)
    ob = add(sessions, "moved", old_due, office_id=office_id)
    clocks = Clocks(sessions, FAST)
    clocks.start()
    new_due = old_due + timedelta(seconds=2)
    try:
        time.sleep(0.6)  # the old steps are armed by now
        with sessions.begin() as session:
            row = session.get(ObligationRow, ob)
            assert row is not None
            row.due_at, row.updated_at = new_due, datetime.now(UTC)
        wait_for(lambda: "office_head" in [s for s, _ in events(sessions, ob)])
    finally:
        clocks.stop()
    fired = dict(events(sessions, ob))
    assert len(fired) == 4
    assert new_due - timedelta(seconds=1) < fired["remind_0.01"] < new_due  # not at the old time
    assert timedelta(0) <= fired["breach"] - new_due < timedelta(seconds=0.5)
