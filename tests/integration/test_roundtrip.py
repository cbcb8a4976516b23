"""Export then replay: the database's own audit, the replay of its export and the replay of the original file agree."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from emergency.domain.incidents import Timeline
from emergency.plans.rules import ReportingRules
from emergency.services.audits import audit_database, export_timeline, replay_document
from emergency.services.incidents import get_office
from emergency.timelines import findings_document, parse_aware, parse_timeline
from tests.conftest import CliRunner
from tests.integration.support import (
    OFFICE,
    big_timeline,
    comparable,
    example_files,
    import_document,
    load_example,
    write_json,
)

EXAMPLES = example_files()


def through_database(sessions: sessionmaker[Session], rules: ReportingRules,
                     original: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Import *original*, then return (the database's findings, its export), both as of the file's audit_at."""
    import_document(sessions, rules, original)
    at = parse_aware(original["audit_at"])
    with sessions.begin() as session:
        office = get_office(session, name=original["office"])
        audited = findings_document(audit_database(session, rules=rules, office=office, start=None, end=None, at=at))
        exported = export_timeline(session, office=office, start=None, end=None, at=at)
    return audited, exported


def normalised(timeline: Timeline) -> Timeline:
    """Return a timeline with incidents, truth, reports and signals in a canonical order."""
    incidents = tuple(
        dataclasses.replace(i, truth=tuple(sorted(i.truth, key=lambda e: e.as_of)),
                            reports=tuple(sorted(i.reports, key=lambda r: (r.submitted_at, r.id))))
        for i in sorted(timeline.incidents, key=lambda i: i.id)
    )
    return dataclasses.replace(timeline, incidents=incidents, signals=tuple(sorted(timeline.signals, key=lambda s: s.id)))


def assert_same_findings(original: dict[str, Any], audited: dict[str, Any], exported: dict[str, Any],
                         rules: ReportingRules) -> None:
    """The database's audit, the export's replay and the original's replay are the same findings document."""
    from_original = comparable(replay_document(rules, original))
    assert comparable(audited) == from_original
    assert comparable(replay_document(rules, exported)) == from_original


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_survives_import_export_and_replay(sessions: sessionmaker[Session], rules: ReportingRules,
                                                  path: Path) -> None:
    """For a worked example, the stored audit, the replayed export and the replayed file give the same findings."""
    original = load_example(path)
    audited, exported = through_database(sessions, rules, original)
    assert_same_findings(original, audited, exported, rules)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_export_carries_the_same_timeline(sessions: sessionmaker[Session], rules: ReportingRules,
                                                 path: Path) -> None:
    """For a worked example, the exported file parses to the same incidents, facts, reports and signals."""
    original = load_example(path)
    _, exported = through_database(sessions, rules, original)
    assert normalised(parse_timeline(rules, exported)) == normalised(parse_timeline(rules, original))


def test_big_timeline_survives_import_export_and_replay(sessions: sessionmaker[Session],
                                                       rules: ReportingRules) -> None:
    """A month of several incidents, drills and signals audits the same from the database, its export and the file."""
    original = big_timeline()
    audited, exported = through_database(sessions, rules, original)
    assert_same_findings(original, audited, exported, rules)
    assert normalised(parse_timeline(rules, exported)) == normalised(parse_timeline(rules, original))
    types = {f["type"] for f in audited["findings"]}
    assert types == {"late", "missing", "false", "concealed"}
    assert {f["incident"] for f in audited["findings"] if f["drill"]} == {"E4", "E7"}
    assert exported["office"] == OFFICE
    assert {s["id"] for s in exported["signals"]} == {s["id"] for s in original["signals"]}


@pytest.mark.slow
def test_cli_export_replays_to_the_findings_of_audit_run(cli: CliRunner, tmp_path: Path) -> None:
    """Through the console script: import, export, `audit run --json` and replays of both files all agree."""
    original = big_timeline()
    now = original["audit_at"]
    source = write_json(tmp_path / "month.json", original)
    assert cli("init").code == 0
    imported = cli("audit", "import", source, now=now)
    assert imported.code == 0, imported

    exported = cli("audit", "export", now=now)
    assert exported.code == 0, exported
    export_path = tmp_path / "export.json"
    export_path.write_text(exported.stdout, encoding="utf-8")
    assert json.loads(exported.stdout)["format"] == "emergency-timeline/1"

    run = cli("audit", "run", "--json", now=now)
    assert run.code == 0, run
    replay_export = cli("audit", "replay", export_path, "--json")
    assert replay_export.code == 0, replay_export
    replay_original = cli("audit", "replay", source, "--json")
    assert replay_original.code == 0, replay_original

    from_original = comparable(json.loads(replay_original.stdout))
    assert comparable(json.loads(run.stdout)) == from_original
    assert comparable(json.loads(replay_export.stdout)) == from_original
    assert from_original["summary"]["incidents"] == 5  # the two drills stay out of the statistics

    verified = cli("audit", "verify")
    assert verified.code == 0, verified
