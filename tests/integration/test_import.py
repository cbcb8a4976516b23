"""Importing a timeline is all or nothing, and importing the same history twice fails cleanly."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from emergency.errors import ConflictError, EmergencyError, InputError
from emergency.plans.rules import ReportingRules
from emergency.services.incidents import get_office
from emergency.services.reports import verify_chain
from tests.conftest import CliResult, CliRunner
from tests.integration.support import OFFICE, big_timeline, count_rows, import_document, write_json

NOW = "2026-04-01T00:00:00+08:00"


def expected_counts(doc: dict[str, Any]) -> dict[str, int]:
    """Return the rows a timeline document should add to an empty database."""
    return {
        "offices": 1,
        "incidents": len(doc["incidents"]),
        "facts": sum(len(i["truth"]) for i in doc["incidents"]),
        "reports": sum(len(i["reports"]) for i in doc["incidents"]),
        "signals": len(doc["signals"]),
    }


def second_incident_bad_in_file(doc: dict[str, Any]) -> dict[str, Any]:
    """The second incident names a type outside the event catalogue (caught before anything is written)."""
    doc["incidents"][1]["type"] = "alien_landing"
    return doc


def second_incident_bad_in_storage(doc: dict[str, Any]) -> dict[str, Any]:
    """The second incident's report corrects a report that does not exist (caught while storing it)."""
    doc["incidents"][1]["reports"][-1]["corrects"] = "R9"
    return doc


def second_incident_naive_time(doc: dict[str, Any]) -> dict[str, Any]:
    """The second incident's report has a time without a UTC offset."""
    doc["incidents"][1]["reports"][0]["submitted_at"] = "2026-03-05T21:35:00"
    return doc


BAD_SECOND = {
    "unknown_type": (second_incident_bad_in_file, "type"),
    "bad_correction": (second_incident_bad_in_storage, "corrects"),
    "naive_time": (second_incident_naive_time, "submitted_at"),
}


def assert_clean_error(result: CliResult, *needles: str) -> None:
    """Exit 1 with one error line on stderr naming every needle, and no traceback."""
    assert result.code == 1, result
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_import_stores_every_record(engine: Engine, sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """An import stores every incident, truth entry, report and signal of the file and returns their counts."""
    doc = big_timeline()
    counts = import_document(sessions, rules, doc)
    expected = expected_counts(doc)
    assert (counts.incidents, counts.facts, counts.reports, counts.signals) == (
        expected["incidents"], expected["facts"], expected["reports"], expected["signals"])
    assert count_rows(engine) == expected


@pytest.mark.parametrize("case", sorted(BAD_SECOND))
def test_import_with_a_bad_second_incident_stores_nothing(engine: Engine, sessions: sessionmaker[Session],
                                                          rules: ReportingRules, case: str) -> None:
    """When the second incident is bad, the first one is not kept either: every table count is unchanged."""
    import_document(sessions, rules, {**big_timeline(), "incidents": [], "signals": []})  # the office exists
    before = count_rows(engine)
    spoil, field = BAD_SECOND[case]
    with pytest.raises(InputError) as raised:
        import_document(sessions, rules, spoil(big_timeline()))
    assert raised.value.field == field
    assert "incident E2" in raised.value.record
    assert count_rows(engine) == before


def test_import_clashing_with_stored_data_rolls_back_what_it_had_written(
        engine: Engine, sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """A file whose first incident is new and whose second already exists is refused whole; the chain is untouched."""
    base = big_timeline()
    import_document(sessions, rules, base)
    before = count_rows(engine)
    clash = copy.deepcopy(base)
    fresh = copy.deepcopy(base["incidents"][0])
    fresh["id"] = "N1"
    clash["incidents"] = [fresh, base["incidents"][1]]
    clash["signals"] = [{"id": "S99", "source": "grid", "at": "2026-03-01T08:16:00+08:00", "incident": "N1"}]
    with pytest.raises(ConflictError, match="incident E2"):
        import_document(sessions, rules, clash)
    assert count_rows(engine) == before
    with sessions() as session:
        assert verify_chain(session, office=get_office(session, name=OFFICE)) == (before["reports"], [])


def test_importing_the_same_file_twice_fails_cleanly(engine: Engine, sessions: sessionmaker[Session],
                                                    rules: ReportingRules) -> None:
    """A second import of the same history is refused as a duplicate and changes nothing."""
    import_document(sessions, rules, big_timeline())
    before = count_rows(engine)
    with pytest.raises(EmergencyError, match="already exists"):
        import_document(sessions, rules, big_timeline())
    assert count_rows(engine) == before


@pytest.mark.slow
def test_cli_import_is_all_or_nothing_and_refuses_a_duplicate(cli: CliRunner, tmp_path: Path,
                                                              bare_engine: Engine) -> None:
    """`emergency audit import` stores nothing of a file with a bad second incident and refuses a repeated file."""
    assert cli("init").code == 0
    empty = count_rows(bare_engine)
    bad = write_json(tmp_path / "bad.json", second_incident_bad_in_storage(big_timeline()))
    assert_clean_error(cli("audit", "import", bad, now=NOW), "incident E2", "corrects")
    assert count_rows(bare_engine) == empty

    good = write_json(tmp_path / "month.json", big_timeline())
    first = cli("audit", "import", good, now=NOW)
    assert first.code == 0, first
    assert "7 incidents" in first.stdout
    stored = count_rows(bare_engine)
    assert stored == expected_counts(big_timeline())

    assert_clean_error(cli("audit", "import", good, now=NOW), "incident E1", "already exists")
    assert count_rows(bare_engine) == stored
