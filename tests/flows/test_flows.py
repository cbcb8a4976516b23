"""The response and reporting cycle as real Prefect flow runs: response, sign-off, delivery, audits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from emergency.clock import CN_TZ
from emergency.db.models import DraftRow, OutboxRow, ReportRow
from emergency.domain.enums import Category
from emergency.plans.schema import load_street
from emergency.receiver import Receiver
from emergency.services.incidents import NewFacts, NewIncident, find_incident, get_office, open_incident, record_facts
from emergency.services.organisation import load_street_into
from flows._runtime import runtime
from flows.audit_flow import daily_audit, monthly_timeliness
from flows.reporting_flow import incident_reporting
from flows.response_flow import incident_response
from flows.signoff_flow import report_signoff

pytestmark = pytest.mark.usefixtures("prefect_harness")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=CN_TZ)


def seed() -> None:
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        load_street_into(session, office=office, street=load_street(rt.settings.plans_dir / "street.yaml"))
        row = open_incident(session, rules=rt.rules, office=office, now=at(1, 8, 22), data=NewIncident(
            id="E1", category=Category.ACCIDENT, type="gas_explosion", title="万福街某餐馆燃气爆炸",
            location="万福街87号", occurred_at=at(1, 8, 10), known_at=at(1, 8, 20)))
        record_facts(session, incident=row, now=at(1, 8, 30),
                     data=NewFacts(as_of=at(1, 8, 30), deaths=0, missing=1, serious_injuries=2, injuries=5))


def body_text(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_cycle_through_real_flow_runs(office_env: tuple[Path, Receiver]) -> None:
    """Response drafts the initial report; sign-off submits, renders and delivers it; a late final is audited."""
    folder, receiver = office_env
    seed()
    response = incident_response("E1", as_of=at(1, 8, 32))
    assert response["response"]["level"] == "二级响应"
    assert any("李强" in a["owner"] for a in response["response"]["actions"])
    [initial] = response["drafts"]

    issued = report_signoff(initial, "张伟", as_of=at(1, 9, 5))
    document = Path(issued["document"])
    assert document.parent == folder / "out" and document.exists()
    text = body_text(document)
    assert "关于万福街某餐馆燃气爆炸事件的信息首报" in text and "张伟" in text
    assert issued["delivered"]["acknowledged"] == 1 and issued["delivered"]["sent"] == 1
    assert len(receiver.received()) == 1

    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        row = find_incident(session, office=office, ident="E1")
        record_facts(session, incident=row, now=at(1, 15), data=NewFacts(as_of=at(1, 15), deaths=1, missing=0))
    reporting = incident_reporting(as_of=at(1, 15, 10))
    [follow_up] = reporting["drafted"]["E1"]
    signed = report_signoff(follow_up, "李强", as_of=at(1, 16))
    assert "续报" in body_text(Path(signed["document"]))

    with rt.sessions.begin() as session:
        reports = session.scalars(select(ReportRow).order_by(ReportRow.chain_seq)).all()
        assert [(r.kind, r.channel) for r in reports] == [("initial", "platform"), ("follow_up", "platform")]
        assert reports[1].correction_note and "失踪人数由1人变为0人" in reports[1].correction_note
        assert {d.status for d in session.scalars(select(DraftRow))} == {"signed"}
        statuses = sorted(r.status for r in session.scalars(select(OutboxRow)))
        assert statuses == ["acknowledged", "acknowledged", "sent", "sent"]

    audit = daily_audit(as_of=at(2, 8))
    # No phone call was recorded: the written report at 09:05 was the first, after the 08:50 phone deadline.
    assert (audit["summary"]["late"], audit["summary"]["on_time"], audit["summary"]["missing"]) == (1, 2, 0)
    monthly = monthly_timeliness(month="2026-03", as_of=datetime(2026, 4, 1, 9, tzinfo=CN_TZ))
    assert Path(monthly["document"]).name == "timeliness-2026-03.docx"
    assert "2026" in body_text(Path(monthly["document"])) or Document(monthly["document"]).tables


def test_signing_twice_fails_the_run_without_sending_twice(office_env: tuple[Path, Receiver]) -> None:
    """A second sign-off of the same draft fails its flow run and sends nothing more."""
    _folder, receiver = office_env
    seed()
    [draft] = incident_response("E1", as_of=at(1, 8, 32))["drafts"]
    report_signoff(draft, "张伟", as_of=at(1, 9, 5))
    from emergency.errors import ConflictError

    with pytest.raises(ConflictError):
        report_signoff(draft, "李强", as_of=at(1, 9, 6))
    assert len(receiver.received()) == 1


def test_flow_bodies_run_fast_with_fn(office_env: tuple[Path, Receiver]) -> None:
    """The flow bodies as plain functions (.fn): the response drafts the initial report; an empty audit is clean."""
    seed()
    result = incident_response.fn("E1", as_of=at(1, 8, 32))
    assert result["response"]["plan"] == "正阳街道燃气安全事故专项应急预案" and len(result["drafts"]) == 1
    audit = daily_audit.fn(as_of=at(1, 8, 33), days=1)
    assert audit["findings"] == 0 and Path(audit["file"]).exists()
