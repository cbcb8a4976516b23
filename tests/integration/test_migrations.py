"""Schema creation and upgrade through Alembic, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from emergency.db import migrate
from emergency.db.base import Base
from emergency.db.session import make_session_factory
from emergency.plans.rules import ReportingRules
from emergency.services.audits import audit_database
from emergency.services.incidents import get_office
from emergency.services.reports import verify_chain
from emergency.timelines import findings_document, parse_aware
from tests.conftest import CliRunner
from tests.integration.support import OFFICE, TABLES, big_timeline, count_rows, import_document, write_json

AUDIT_AT = parse_aware("2026-04-01T00:00:00+08:00")


def schema_snapshot(engine: Engine) -> dict[str, Any]:
    """Return every table's columns, indexes and unique constraints, as the database reports them."""
    inspector = inspect(engine)
    snapshot: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        snapshot[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            "indexes": sorted((i["name"] or "", tuple(i["column_names"])) for i in inspector.get_indexes(table)),
            "unique": sorted((u["name"] or "", tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
        }
    return snapshot


def test_upgrade_creates_every_table_on_an_empty_database(bare_engine: Engine) -> None:
    """Upgrading an empty database creates every table and stamps it at the head revision."""
    assert migrate.current_revision(bare_engine) is None
    before, after = migrate.upgrade(bare_engine)
    assert before is None
    assert after is not None and after == migrate.head_revision(bare_engine)
    assert set(TABLES) | {"alembic_version"} <= set(inspect(bare_engine).get_table_names())
    assert count_rows(bare_engine) == dict.fromkeys(TABLES, 0)


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    """The migrations build exactly the schema the ORM models declare: autogenerate finds no difference."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_rerunning_the_upgrade_is_a_no_op(engine: Engine) -> None:
    """A second upgrade reports head before and after and leaves the schema exactly as it was."""
    head = migrate.head_revision(engine)
    snapshot = schema_snapshot(engine)
    assert migrate.upgrade(engine) == (head, head)
    assert migrate.upgrade(engine) == (head, head)
    assert schema_snapshot(engine) == snapshot


def test_data_survives_a_rerun_of_the_upgrade(engine: Engine, sessions: sessionmaker[Session],
                                              rules: ReportingRules) -> None:
    """Rows, the hash chain and the audit's findings are the same after the upgrade runs again."""
    import_document(sessions, rules, big_timeline())
    counts = count_rows(engine)

    def audit() -> dict[str, Any]:
        with make_session_factory(engine).begin() as session:
            office = get_office(session, name=OFFICE)
            return findings_document(audit_database(session, rules=rules, office=office, start=None, end=None,
                                                    at=AUDIT_AT))

    findings = audit()
    migrate.upgrade(engine)
    assert count_rows(engine) == counts
    assert audit() == findings
    with make_session_factory(engine).begin() as session:
        checked, problems = verify_chain(session, office=get_office(session, name=OFFICE))
    assert (checked, problems) == (counts["reports"], [])


def test_cli_init_creates_then_upgrades_in_place_keeping_data(cli: CliRunner, tmp_path: Path,
                                                               bare_engine: Engine) -> None:
    """`emergency init` creates the schema; run again on a database holding data it is a no-op keeping every row."""
    first = cli("init")
    assert first.code == 0, first
    assert "Created database" in first.stdout
    path = write_json(tmp_path / "month.json", big_timeline())
    assert cli("audit", "import", path, now="2026-04-01T00:00:00+08:00").code == 0
    counts = count_rows(bare_engine)
    assert counts["incidents"] == len(big_timeline()["incidents"])
    again = cli("init")
    assert again.code == 0, again
    assert "up to date" in again.stdout
    assert count_rows(bare_engine) == counts


def test_commands_refuse_an_uninitialised_database(cli: CliRunner) -> None:
    """A command other than init on an empty database exits 1 telling the user to run `emergency init`."""
    result = cli("audit", "verify")
    assert result.code == 1
    assert "emergency init" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
