"""The reports' SHA-256 chain detects a stored report changed or removed behind the application's back."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from emergency.plans.rules import ReportingRules
from emergency.services.incidents import get_office
from emergency.services.reports import ChainProblem, verify_chain
from tests.conftest import CliRunner
from tests.integration.support import OFFICE, big_timeline, count_rows, import_document, write_json

REPORT_OF = "SELECT r.id FROM reports r JOIN incidents i ON i.id = r.incident_id WHERE i.ref = :incident AND r.ref = :report"


def report_id(engine: Engine, incident: str, report: str) -> int:
    """Return the primary key of a stored report."""
    with engine.connect() as conn:
        return int(conn.execute(text(REPORT_OF), {"incident": incident, "report": report}).scalar_one())


def tamper_stated(engine: Engine, incident: str, report: str) -> None:
    """Change what a stored report said (one more death) with a raw SQL UPDATE."""
    ident = report_id(engine, incident, report)
    with engine.begin() as conn:
        raw = conn.execute(text("SELECT stated FROM reports WHERE id = :id"), {"id": ident}).scalar_one()
        content = json.loads(raw) if isinstance(raw, str) else dict(raw)
        content["deaths"] = int(content.get("deaths") or 0) + 1
        value = "CAST(:stated AS JSON)" if engine.dialect.name == "postgresql" else ":stated"
        conn.execute(text(f"UPDATE reports SET stated = {value} WHERE id = :id"),
                     {"stated": json.dumps(content, ensure_ascii=False), "id": ident})


def tamper_submitted_at(engine: Engine, incident: str, report: str) -> None:
    """Move a stored report's submission one hour earlier with a raw SQL UPDATE (making a late report look timely)."""
    ident = report_id(engine, incident, report)
    earlier = ("submitted_at - INTERVAL '1 hour'" if engine.dialect.name == "postgresql"
               else "strftime('%Y-%m-%d %H:%M:%f', submitted_at, '-1 hour')")
    with engine.begin() as conn:
        changed = conn.execute(text(f"UPDATE reports SET submitted_at = {earlier} WHERE id = :id"), {"id": ident})
        assert changed.rowcount == 1


def chain(sessions: sessionmaker[Session]) -> tuple[int, list[ChainProblem]]:
    """Verify the office's chain in a fresh session."""
    with sessions() as session:
        return verify_chain(session, office=get_office(session, name=OFFICE))


@pytest.fixture
def stored(engine: Engine, sessions: sessionmaker[Session], rules: ReportingRules) -> int:
    """The big timeline imported through the service; returns how many reports it stored."""
    import_document(sessions, rules, big_timeline())
    return count_rows(engine)["reports"]


def test_chain_of_imported_reports_is_intact(sessions: sessionmaker[Session], engine: Engine, stored: int) -> None:
    """After an import every stored report verifies, numbered 1..n, each linked to the previous hash."""
    assert chain(sessions) == (stored, [])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT chain_seq, prev_hash, content_hash FROM reports ORDER BY chain_seq")).all()
    assert [r.chain_seq for r in rows] == list(range(1, stored + 1))
    assert rows[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.content_hash for earlier, later in itertools.pairwise(rows))
    assert len({r.content_hash for r in rows}) == stored


@pytest.mark.parametrize("tamper", [tamper_stated, tamper_submitted_at], ids=["stated", "submitted_at"])
def test_verify_names_the_report_changed_by_raw_sql(sessions: sessionmaker[Session], engine: Engine, stored: int,
                                                   tamper: Callable[[Engine, str, str], None]) -> None:
    """A raw UPDATE of one report's stated content or submission time is reported against that report alone."""
    tamper(engine, "E2", "R2")
    checked, problems = chain(sessions)
    assert checked == stored
    assert [(p.incident, p.report) for p in problems] == [("E2", "R2")]
    assert "changed" in problems[0].why


def test_verify_detects_a_deleted_report(sessions: sessionmaker[Session], engine: Engine, stored: int) -> None:
    """Deleting a stored report breaks the chain at the report that followed it."""
    ident = report_id(engine, "E1", "R3")
    with engine.begin() as conn:
        seq = conn.execute(text("SELECT chain_seq FROM reports WHERE id = :id"), {"id": ident}).scalar_one()
        conn.execute(text("DELETE FROM reports WHERE id = :id"), {"id": ident})
        follower = conn.execute(text("SELECT r.ref, i.ref FROM reports r JOIN incidents i ON i.id = r.incident_id "
                                     "WHERE r.chain_seq = :seq"), {"seq": seq + 1}).one()
    checked, problems = chain(sessions)
    assert checked == stored - 1
    assert {(p.incident, p.report) for p in problems} == {(follower[1], follower[0])}
    assert any("removed" in p.why for p in problems)


@pytest.mark.slow
def test_cli_verify_exits_1_naming_the_tampered_report(cli: CliRunner, tmp_path: Path, bare_engine: Engine) -> None:
    """`emergency audit verify` passes on an intact chain and exits 1 naming the report changed by raw SQL."""
    assert cli("init").code == 0
    path = write_json(tmp_path / "month.json", big_timeline())
    imported = cli("audit", "import", path, now="2026-04-01T00:00:00+08:00")
    assert imported.code == 0, imported
    intact = cli("audit", "verify")
    assert intact.code == 0, intact
    assert "intact" in intact.stdout

    tamper_submitted_at(bare_engine, "E6", "R1")
    broken = cli("audit", "verify")
    assert broken.code == 1, broken
    assert "TAMPERED: incident E6, report R1" in broken.stdout
    assert broken.stdout.count("TAMPERED") == 1
    assert "Traceback" not in broken.stderr
