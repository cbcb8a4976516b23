"""Aware datetimes: stored as UTC, returned aware, naive ones refused, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.models import IncidentRow
from emergency.db.session import unit_of_work
from emergency.domain.enums import Category
from emergency.errors import InputError
from emergency.plans.rules import ReportingRules
from emergency.services.incidents import NewIncident, get_office, open_incident
from tests.conftest import CliRunner
from tests.integration.support import OFFICE, big_timeline, count_rows, import_document

SHANGHAI = timezone(timedelta(hours=8))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))

OCCURRED = datetime(2026, 3, 1, 8, 10, 0, 123456, tzinfo=SHANGHAI)
KNOWN = datetime(2026, 2, 28, 19, 20, tzinfo=NEW_YORK_WINTER)  # 2026-03-01 08:20 in Shanghai
CLOSED = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
NOW = datetime(2026, 3, 10, tzinfo=SHANGHAI)


def store_incident(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """Store E1 with its times written in three different UTC offsets."""
    with unit_of_work(sessions) as session:
        row = open_incident(session, rules=rules, office=get_office(session, name=OFFICE), now=NOW, data=NewIncident(
            id="E1", category=Category.ACCIDENT, type="gas_explosion", title="燃气爆炸", location="万福街87号",
            occurred_at=OCCURRED, known_at=KNOWN))
        row.closed_at = CLOSED


def test_times_come_back_aware_in_utc_and_equal(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """Times written with +08:00, -05:00 and UTC offsets come back aware, in UTC, as the same instants."""
    store_incident(sessions, rules)
    with sessions() as session:
        row = session.scalars(select(IncidentRow).where(IncidentRow.ref == "E1")).one()
        for value, written in ((row.occurred_at, OCCURRED), (row.known_at, KNOWN), (row.closed_at, CLOSED),
                               (row.created_at, NOW)):
            assert value is not None
            assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
            assert value == written
        assert row.occurred_at.microsecond == 123456


def test_times_are_stored_as_utc(engine: Engine, sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """The stored column holds the UTC instant, whatever offset the time was written with."""
    store_incident(sessions, rules)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET TIME ZONE 'America/New_York'"))
            stored = conn.execute(text(
                "SELECT to_char(known_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM incidents")).scalar_one()
        else:
            stored = conn.execute(text("SELECT known_at FROM incidents")).scalar_one()
    assert str(stored).startswith("2026-03-01 00:20:00")


def test_postgresql_session_time_zone_does_not_shift_times(engine: Engine, sessions: sessionmaker[Session],
                                                           rules: ReportingRules) -> None:
    """Reading with a connection set to another time zone still returns the same UTC instants."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a session time zone exists on PostgreSQL only")
    store_incident(sessions, rules)
    with engine.connect() as conn:
        conn.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        with Session(bind=conn) as session:
            row = session.scalars(select(IncidentRow)).one()
            assert row.known_at == KNOWN
            assert row.known_at.utcoffset() == timedelta(0)


def test_naive_datetime_is_refused_by_the_column(engine: Engine, sessions: sessionmaker[Session],
                                                 rules: ReportingRules) -> None:
    """Flushing a naive datetime fails with a 'naive datetime refused' error and stores nothing."""
    store_incident(sessions, rules)
    before = count_rows(engine)
    naive = datetime(2026, 3, 1, 8, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError, match="naive datetime refused"), unit_of_work(sessions) as session:
        row = session.scalars(select(IncidentRow).where(IncidentRow.ref == "E1")).one()
        row.closed_at = naive
        session.flush()
    with pytest.raises(StatementError, match="naive datetime refused"), unit_of_work(sessions) as session:
        session.add(IncidentRow(office_id=get_office(session, name=OFFICE).id, ref="E2", category="accident",
                                type="fire", title="t", location="l", occurred_at=naive, known_at=naive,
                                drill=False, created_at=NOW))
        session.flush()
    assert count_rows(engine) == before
    with sessions() as session:
        assert session.scalars(select(IncidentRow.closed_at)).one() == CLOSED


def test_naive_times_are_refused_at_the_edges(rules: ReportingRules, sessions: sessionmaker[Session],
                                              engine: Engine) -> None:
    """A naive time is refused by the input models and by a timeline import, naming the record and field."""
    with pytest.raises(ValidationError, match="no UTC offset"):
        NewIncident.model_validate({"category": "accident", "type": "fire", "title": "t", "location": "l",
                                    "occurred_at": "2026-03-01T08:10:00"})
    doc = big_timeline()
    doc["incidents"][2]["known_at"] = "2026-03-09T07:00:00"
    with pytest.raises(InputError) as raised:
        import_document(sessions, rules, doc)
    assert "incident E3" in raised.value.record
    assert raised.value.field == "known_at"
    assert count_rows(engine)["incidents"] == 0


@pytest.mark.slow
def test_cli_refuses_naive_times(cli: CliRunner) -> None:
    """The console script refuses a naive --occurred-at and a naive EMERGENCY_NOW with one error line, no traceback."""
    assert cli("init").code == 0
    opened = cli("incident", "open", "--category", "accident", "--type", "fire", "--title", "火灾", "--location",
                 "青年路", "--occurred-at", "2026-03-01T08:10:00", now="2026-03-01T09:00:00+08:00")
    assert opened.code == 1, opened
    assert "occurred_at" in opened.stderr and "offset" in opened.stderr
    assert "Traceback" not in opened.stderr
    naive_now = cli("audit", "verify", now="2026-03-01T09:00:00")
    assert naive_now.code == 1, naive_now
    assert "EMERGENCY_NOW" in naive_now.stderr
    assert "Traceback" not in naive_now.stderr
    assert len(naive_now.stderr.strip().splitlines()) == 1
