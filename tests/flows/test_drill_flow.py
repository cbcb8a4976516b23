"""`drill run` as a real Prefect run: a scenario played as a drill incident, its reports signed, timed, audited,
marked 演练 on every page, kept from the district (a real receiver on 127.0.0.1), counted nowhere."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import docx
import pytest
from sqlalchemy import select

from emergency.clock import CN_TZ
from emergency.db.models import DrillRow, IncidentRow, OutboxRow
from emergency.receiver import Receiver
from emergency.services.audits import audit_database
from emergency.services.clocks import status_rows
from emergency.services.incidents import get_office
from emergency.timelines import findings_document
from flows._runtime import runtime
from flows.drill_flow import drill_run

pytestmark = pytest.mark.usefixtures("prefect_harness")

START = datetime(2026, 6, 10, 9, 0, tzinfo=CN_TZ)
MARK = "【演练】本文件为应急演练文书，所述事件并非真实发生"


def test_a_scenario_replays_as_a_drill_through_the_real_flows(office_env: tuple[Path, Receiver]) -> None:
    """Three reports drafted and signed at the scenario's times, each page marked 演练, none sent to the district;
    the late 终报 is found by the audit and becomes the drill's evaluation; the real statistics stay empty."""
    folder, receiver = office_env
    result = drill_run("gas-explosion-restaurant", start=START, participants=["张伟", "李强"])

    assert (result["drill"], result["incident"]) == ("D-2026-001", "D-2026-001")
    assert [s["do"] for s in result["steps"]] == ["facts", "respond", "report", "sign", "facts", "respond", "sign",
                                                  "close", "respond", "sign"]
    assert result["steps"][1]["done"] == "二级响应, drafts [1]"
    assert [(t["label"], t["status"], t["minutes_late"]) for t in result["timings"]] == [
        ("电话首报", "met", None), ("书面首报", "met", None), ("伤亡变化续报", "met", None), ("终报", "met_late", 70)]
    assert [(f["label"], f["drill"]) for f in result["findings"]] == [("迟报", True)]
    assert result["score"] == {"obligations": 4, "on_time": 3, "late": 1, "open": 0, "findings": {"late": 1}}

    # Every document is marked on its first page and, through the header on odd and even pages, on every page.
    assert [Path(p).name for p in result["documents"]] == ["D-2026-001-R2-initial.docx", "D-2026-001-R3-follow_up.docx",
                                                           "D-2026-001-R4-final.docx"]
    for path in result["documents"]:
        document = docx.Document(path)
        assert document.paragraphs[0].text == MARK
        section = document.sections[0]
        assert not section.different_first_page_header_footer
        assert 'string="演 练"' in section.header._element.xml
        assert 'string="演 练"' in section.even_page_header._element.xml

    # Nothing reached the district's webhook: every row went to the drill folder, saying which channel it was kept from.
    assert receiver.received() == []
    assert {(o["channel"], o["diverted_from"], o["status"]) for o in result["outbox"]} == {
        ("drill_notices", "district_webhook", "sent"), ("drill_notices", "district_drop", "sent")}
    assert len(list((folder / "out" / "outbox" / "drills").glob("*.json"))) == 6
    assert not (folder / "out" / "outbox" / "district").exists()

    rt = runtime()
    with rt.sessions.begin() as session:
        drill = session.scalars(select(DrillRow)).one()
        incident = session.scalars(select(IncidentRow)).one()
        assert incident.drill and drill.drill_incident_id == incident.id and drill.status == "held"
        assert (drill.held_at, drill.participants, drill.plan_slug, drill.kind) == (START, ["张伟", "李强"], "gas",
                                                                                     "tabletop")
        assert drill.evaluation.splitlines()[:3] == [
            "【复盘审计】截至2026-06-11 22:11：", "应报4项，按时报告3项，迟报1项，未报0项。",
            "1. 迟报：终报应于2026-06-11 21:00前报送，R4于2026-06-11 22:10报送，超时70分钟。"]
        assert all(row.drill for row in session.scalars(select(OutboxRow)))
        office = get_office(session, name=rt.settings.office)
        audit = findings_document(audit_database(session, rules=rt.rules, office=office, start=None, end=None,
                                                 at=datetime(2026, 6, 12, tzinfo=CN_TZ)))
        assert audit["summary"]["incidents"] == 0 and audit["summary"]["obligations"] == 0
        assert status_rows(session) == []
    record = json.loads(Path(result["record"]).read_text(encoding="utf-8"))
    assert record["format"] == "emergency-drill/1" and record["drill"] == "D-2026-001"
