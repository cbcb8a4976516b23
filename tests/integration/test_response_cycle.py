"""The response cycle's services: grade and start the plan's level, draft what is due, sign it off."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import IncidentRow, Office
from emergency.domain.enums import Category, Channel, ReportKind
from emergency.errors import ConflictError
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.rules import ReportingRules
from emergency.plans.schema import load_plans, load_street
from emergency.services.drafts import draft_due_reports, list_drafts, sign_draft
from emergency.services.incidents import (
    NewFacts,
    NewIncident,
    close_incident,
    get_office,
    incident_audit,
    open_incident,
    record_facts,
)
from emergency.services.organisation import load_street_into
from emergency.services.reports import NewReport, submit_report
from emergency.services.responses import start_response
from emergency.timelines import StatedIn

PLANS = load_plans(DEFAULT_PLANS_DIR)
STREET = load_street(DEFAULT_PLANS_DIR / "street.yaml")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=CN_TZ)


def _open(session: Session, rules: ReportingRules, type_: str = "gas_explosion") -> tuple[Office, IncidentRow]:
    office = get_office(session, name="长春市绿园区正阳街道办事处")
    load_street_into(session, office=office, street=STREET)
    row = open_incident(session, rules=rules, office=office, now=at(1, 8, 22), data=NewIncident(
        id="E1", category=Category.ACCIDENT, type=type_, title="万福街某餐馆燃气爆炸", location="万福街87号",
        occurred_at=at(1, 8, 10), known_at=at(1, 8, 20)))
    record_facts(session, incident=row, now=at(1, 8, 30),
                 data=NewFacts(as_of=at(1, 8, 30), deaths=0, missing=1, serious_injuries=2, injuries=5))
    return office, row


def test_response_picks_the_special_plan_and_names_owners(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """A gas explosion with a missing person starts the gas plan's level II with named owners; the version is locked."""
    with sessions.begin() as session:
        _office, row = _open(session, rules)
        summary = start_response(session, rules=rules, plans=PLANS, incident=row, now=at(1, 8, 32))
    assert summary.plan == "gas" and summary.level == "II" and summary.plan_version == "2026.1"
    owners = {a["id"]: a["owner"] for a in summary.actions}
    assert owners["on_site"].startswith("李强（分管安全生产副主任")
    assert summary.actions[0]["due_at"] == at(1, 9, 2).isoformat()


def test_response_is_raised_never_lowered(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """Three deaths raise the gas response to level I; fewer casualties later do not lower it."""
    with sessions.begin() as session:
        _office, row = _open(session, rules)
        start_response(session, rules=rules, plans=PLANS, incident=row, now=at(1, 8, 32))
        record_facts(session, incident=row, now=at(1, 12), data=NewFacts(as_of=at(1, 12), deaths=3))
        raised = start_response(session, rules=rules, plans=PLANS, incident=row, now=at(1, 12, 5))
        assert (raised.level, raised.escalated) == ("I", True)
        record_facts(session, incident=row, now=at(1, 13), data=NewFacts(as_of=at(1, 13), deaths=0))
        again = start_response(session, rules=rules, plans=PLANS, incident=row, now=at(1, 13, 5))
        assert (again.level, again.escalated) == ("I", False)


def test_drafts_follow_the_rules_and_signing_submits(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """The initial draft comes at once; a signed draft is a report submitted at signing; a change drafts 续报一."""
    with sessions.begin() as session:
        office, row = _open(session, rules)
        start_response(session, rules=rules, plans=PLANS, incident=row, now=at(1, 8, 32))
        [initial] = draft_due_reports(session, rules=rules, incident=row, now=at(1, 8, 32))
        assert (initial.kind, initial.obligation) == ("initial", "initial/written")
        assert initial.due_at == at(1, 9, 20)
        assert draft_due_reports(session, rules=rules, incident=row, now=at(1, 8, 33)) == []
        submit_report(session, office=office, incident=row, now=at(1, 8, 40), data=NewReport(
            kind=ReportKind.INITIAL, channel=Channel.PHONE, to="区应急管理局", submitted_at=at(1, 8, 40),
            stated=StatedIn(occurred_at=at(1, 8, 10), location="万福街87号", deaths=0, missing=1, serious_injuries=2,
                            injuries=5, summary="燃气爆炸", measures="疏散")))
        report = sign_draft(session, office=office, draft_id=initial.id, signer="张伟", recipient="区应急管理局",
                            now=at(1, 9, 25))
        assert report.submitted_at == at(1, 9, 25) and report.kind == "initial" and report.channel == "platform"
        with pytest.raises(ConflictError, match="already signed"):
            sign_draft(session, office=office, draft_id=initial.id, signer="李强", recipient="x", now=at(1, 9, 30))
        audit = incident_audit(session, rules=rules, incident=row, at=at(1, 10))
        assert [(f.type.value, f.obligation.value if f.obligation else None) for f in audit.findings] == \
            [("late", "initial/written")]  # signed at 09:25, due 09:20: the clock ran while it waited

        record_facts(session, incident=row, now=at(1, 15), data=NewFacts(as_of=at(1, 15), deaths=1, missing=0))
        [follow_up] = draft_due_reports(session, rules=rules, incident=row, now=at(1, 15, 10))
        assert (follow_up.kind, follow_up.sequence, follow_up.obligation) == ("follow_up", 1, "follow_up/casualty_change")
        assert follow_up.due_at == at(2, 0)
        assert "死亡人数由0人变为1人" in follow_up.changes and "失踪人数由1人变为0人" in follow_up.changes

        close_incident(session, incident=row, closed_at=at(2, 20), now=at(2, 20))
        sign_draft(session, office=office, draft_id=follow_up.id, signer="李强", recipient="区应急管理局",
                   now=at(1, 16))
        drafted = draft_due_reports(session, rules=rules, incident=row, now=at(2, 20, 5))
        assert [(d.kind, d.due_at) for d in drafted] == [("final", at(3, 20))]
        assert [d.status for d in list_drafts(session, office=office)] == ["awaiting_signoff", "signed", "signed"]
