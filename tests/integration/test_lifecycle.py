"""An incident's life through the services and the database: open, facts, reports, close, then the audit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.models import IncidentRow
from emergency.db.session import unit_of_work
from emergency.domain.enums import Category, Channel, FindingType, ObligationKind, ObligationStatus, ReportKind
from emergency.errors import ConflictError, InputError
from emergency.plans.rules import ReportingRules
from emergency.services.incidents import (
    NewFacts,
    NewIncident,
    close_incident,
    find_incident,
    get_office,
    incident_audit,
    open_incident,
    record_facts,
)
from emergency.services.reports import NewReport, submit_report, verify_chain
from emergency.services.signals import record_signal
from emergency.timelines import StatedIn, parse_aware
from tests.conftest import CliRunner
from tests.integration.support import OFFICE

TO = "绿园区应急管理局"


def t(day: int, clock: str) -> datetime:
    """Return 2026-03-DAY CLOCK in Asia/Shanghai."""
    return parse_aware(f"2026-03-{day:02d}T{clock}:00+08:00")


def stated(**figures: Any) -> StatedIn:
    """Return a complete statement of the gas explosion with the given figures."""
    return StatedIn.model_validate({"occurred_at": "2026-03-01T08:10:00+08:00", "location": "万福街87号",
                                    "summary": "餐馆后厨燃气泄漏引发爆炸", "measures": "已疏散周边群众，消防救援到场",
                                    **figures})


def open_gas_explosion(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """Open incident E1 (a gas explosion known at 08:20 on 1 March)."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        open_incident(session, rules=rules, office=office, now=t(1, "08:21"), data=NewIncident(
            id="E1", category=Category.ACCIDENT, type="gas_explosion", title="万福街某餐馆燃气爆炸",
            location="万福街87号", occurred_at=t(1, "08:10"), known_at=t(1, "08:20")))


def facts(sessions: sessionmaker[Session], as_of: datetime, **figures: Any) -> None:
    """Record verified figures for E1 in their own transaction."""
    with unit_of_work(sessions) as session:
        row = find_incident(session, office=get_office(session, name=OFFICE), ident="E1")
        record_facts(session, incident=row, now=as_of, data=NewFacts(as_of=as_of, **figures))


def submit(sessions: sessionmaker[Session], ref: str, kind: ReportKind, channel: Channel, at: datetime,
           content: StatedIn | None) -> None:
    """Submit a report for E1 in its own transaction."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        row = find_incident(session, office=office, ident="E1")
        submit_report(session, office=office, incident=row, now=at, data=NewReport(
            id=ref, kind=kind, channel=channel, to=TO, submitted_at=at, stated=content))


def audit_at(sessions: sessionmaker[Session], rules: ReportingRules, at: datetime) -> Any:
    """Return E1's obligations and findings as they stand at *at*, read back from the database."""
    with sessions() as session:
        row = find_incident(session, office=get_office(session, name=OFFICE), ident="E1")
        return incident_audit(session, rules=rules, incident=row, at=at)


def test_full_lifecycle_meets_every_obligation(sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """Open, facts, initial/follow-up/final reports and closure, all on time: every obligation met, no finding."""
    open_gas_explosion(sessions, rules)
    facts(sessions, t(1, "08:30"), deaths=0, missing=0, serious_injuries=1, injuries=2)

    opened = audit_at(sessions, rules, t(1, "08:31"))
    due = {o.kind: (o.due_at, o.status) for o in opened.obligations}
    assert due[ObligationKind.INITIAL_PHONE] == (t(1, "08:50"), ObligationStatus.OPEN)
    assert due[ObligationKind.INITIAL_WRITTEN] == (t(1, "09:20"), ObligationStatus.OPEN)
    assert opened.findings == ()

    submit(sessions, "R1", ReportKind.INITIAL, Channel.PHONE, t(1, "08:40"), None)
    submit(sessions, "R2", ReportKind.INITIAL, Channel.WRITTEN, t(1, "09:10"),
           stated(deaths=0, missing=0, serious_injuries=1, injuries=2))
    facts(sessions, t(1, "15:00"), deaths=1, missing=0, serious_injuries=1, injuries=2)
    submit(sessions, "R3", ReportKind.FOLLOW_UP, Channel.WRITTEN, t(1, "23:30"),
           stated(deaths=1, missing=0, serious_injuries=1, injuries=2))
    with unit_of_work(sessions) as session:
        row = find_incident(session, office=get_office(session, name=OFFICE), ident="E1")
        close_incident(session, incident=row, closed_at=t(2, "20:00"), now=t(2, "20:00"))
    submit(sessions, "RZ", ReportKind.FINAL, Channel.WRITTEN, t(3, "09:00"),
           stated(deaths=1, missing=0, serious_injuries=1, injuries=2))

    done = audit_at(sessions, rules, t(10, "00:00"))
    kinds = {o.kind for o in done.obligations}
    assert {ObligationKind.INITIAL_PHONE, ObligationKind.INITIAL_WRITTEN, ObligationKind.FOLLOW_UP_CHANGE,
            ObligationKind.FINAL} <= kinds
    assert all(o.status is ObligationStatus.MET for o in done.obligations), done.obligations
    met_by = {o.kind: o.met_by for o in done.obligations}
    assert met_by[ObligationKind.INITIAL_PHONE] == "R1"
    assert met_by[ObligationKind.INITIAL_WRITTEN] == "R2"
    assert met_by[ObligationKind.FINAL] == "RZ"
    assert done.findings == ()
    assert done.incident.closed_at == t(2, "20:00")
    assert [r.id for r in done.incident.reports] == ["R1", "R2", "R3", "RZ"]
    assert [e.figures.deaths for e in done.incident.truth] == [0, 1]

    with sessions() as session:
        checked, problems = verify_chain(session, office=get_office(session, name=OFFICE))
    assert (checked, problems) == (4, [])


def test_stored_incident_exposed_before_its_first_report_is_concealed_and_late(
        sessions: sessionmaker[Session], rules: ReportingRules) -> None:
    """A 12345 signal before the office's first (late) report yields concealed and late findings from stored data."""
    open_gas_explosion(sessions, rules)
    facts(sessions, t(1, "08:15"), deaths=0, missing=0, serious_injuries=1, injuries=2)
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        row = find_incident(session, office=office, ident="E1")
        record_signal(session, office=office, incident=row, ref="S1", source="12345", at=t(1, "09:50"),
                      summary="市民反映万福街有爆炸声", now=t(1, "09:51"))
    submit(sessions, "R1", ReportKind.INITIAL, Channel.WRITTEN, t(1, "10:30"),
           stated(deaths=0, missing=0, serious_injuries=1, injuries=2))

    audit = audit_at(sessions, rules, t(1, "11:00"))
    types = {f.type for f in audit.findings}
    assert types == {FindingType.CONCEALED, FindingType.LATE}
    assert all(f.incident == "E1" for f in audit.findings)


def test_never_reported_incident_is_concealed_once_the_deadline_passes(sessions: sessionmaker[Session],
                                                                      rules: ReportingRules) -> None:
    """An incident stored with no report is only overdue at its deadline and concealed once it has passed."""
    open_gas_explosion(sessions, rules)
    at_deadline = audit_at(sessions, rules, t(1, "08:50"))
    assert at_deadline.findings == ()
    later = audit_at(sessions, rules, t(2, "08:00"))
    assert [f.type for f in later.findings] == [FindingType.CONCEALED]


def test_services_refuse_out_of_order_and_duplicate_records(sessions: sessionmaker[Session],
                                                           rules: ReportingRules) -> None:
    """A follow-up before any initial report, a duplicate report id and a duplicate incident id are refused."""
    open_gas_explosion(sessions, rules)
    with pytest.raises(InputError, match="initial report"):
        submit(sessions, "R1", ReportKind.FOLLOW_UP, Channel.WRITTEN, t(1, "08:40"), stated(deaths=0))
    submit(sessions, "R1", ReportKind.INITIAL, Channel.PHONE, t(1, "08:40"), None)
    with pytest.raises(InputError, match="already exists"):
        submit(sessions, "R1", ReportKind.INITIAL, Channel.WRITTEN, t(1, "08:45"), stated(deaths=0))
    with pytest.raises(ConflictError, match="already exists"):
        open_gas_explosion(sessions, rules)
    with sessions() as session:
        assert session.query(IncidentRow).count() == 1
        checked, problems = verify_chain(session, office=get_office(session, name=OFFICE))
    assert (checked, problems) == (1, [])


@pytest.mark.slow
def test_cli_lifecycle_with_a_clock_per_command(cli: CliRunner) -> None:
    """The console script records an incident's life, each command at its own EMERGENCY_NOW, and shows it audited."""
    assert cli("init").code == 0
    steps: list[tuple[str, list[str]]] = [
        ("2026-03-01T08:21:00+08:00", ["incident", "open", "--id", "E1", "--category", "accident", "--type",
                                       "gas_explosion", "--title", "万福街某餐馆燃气爆炸", "--location", "万福街87号",
                                       "--occurred-at", "2026-03-01T08:10:00+08:00", "--known-at",
                                       "2026-03-01T08:20:00+08:00"]),
        ("2026-03-01T08:30:00+08:00", ["incident", "facts", "E1", "--deaths", "0", "--missing", "0",
                                       "--serious-injuries", "1", "--injuries", "2"]),
        ("2026-03-01T08:40:00+08:00", ["report", "submit", "E1", "--kind", "initial", "--channel", "phone",
                                       "--to", TO, "--unrecorded"]),
        ("2026-03-01T09:30:00+08:00", ["report", "submit", "E1", "--kind", "initial", "--channel", "written",
                                       "--to", TO, "--stated-occurred-at", "2026-03-01T08:10:00+08:00",
                                       "--location", "万福街87号", "--summary", "燃气爆炸", "--measures", "已疏散",
                                       "--deaths", "0", "--missing", "0", "--serious-injuries", "1",
                                       "--injuries", "2"]),
        ("2026-03-01T12:00:00+08:00", ["incident", "close", "E1"]),
    ]
    for now, args in steps:
        result = cli(*args, now=now)
        assert result.code == 0, (args, result)
    shown = cli("incident", "show", "E1", "--json", now="2026-03-10T00:00:00+08:00")
    assert shown.code == 0, shown
    document = json.loads(shown.stdout)
    text = json.dumps(document, ensure_ascii=False)
    assert "late" in text and "R2" in text  # the written report came 10 minutes after its 09:20 deadline
    verify = cli("audit", "verify")
    assert verify.code == 0, verify
    assert "2 reports checked" in verify.stdout
