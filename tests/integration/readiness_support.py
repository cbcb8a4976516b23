"""A seeded fourth quarter of 2026 at 正阳街道 for the readiness report: plans, drills, supplies, hazards, warnings,
an incident with its reports, and support requests (one of each drill kind of thing, left out of the counts)."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import (
    CommunityRow,
    DrillRow,
    ObligationRow,
    PlanVersionRow,
    WarningEventRow,
    WarningNoticeRow,
    WarningRow,
)
from emergency.db.session import unit_of_work
from emergency.domain.enums import HazardAction, SupportStatus
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.rules import ReportingRules
from emergency.plans.supplies import load_supplies_catalogue
from emergency.services.incidents import NewIncident, close_incident, find_incident, get_office, open_incident
from emergency.services.reports import NewReport, submit_report
from emergency.services.supply_sheets import import_supplies
from emergency.services.warning_notices import obligation_key
from emergency.timelines import StatedIn
from tests.integration.hazard_support import finding, inspection_id, record, seed, step
from tests.integration.support import OFFICE, ROOT
from tests.integration.test_support_requests import answer, ask

AS_OF = datetime(2027, 1, 5, 9, 0, tzinfo=CN_TZ)
"""When the fourth quarter's report is made."""


def t(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    """Return a local (Asia/Shanghai) time."""
    return datetime(year, month, day, hour, minute, tzinfo=CN_TZ)


def plans_folder(tmp_path: Path) -> Path:
    """A plans folder with the shipped supplies catalogue and no plan files: needs come from approved versions."""
    folder = tmp_path / "plans"
    (folder / "emergency").mkdir(parents=True)
    shutil.copy(DEFAULT_PLANS_DIR / "supplies.yaml", folder / "supplies.yaml")
    return folder


def _version(office_id: int, slug: str, kind: str, version: str, effective: date, review_due: date, *,
             months: int, supplies: list[dict[str, Any]] | None = None, reason: str = "cycle", note: str = "",
             superseded_at: datetime | None = None) -> PlanVersionRow:
    return PlanVersionRow(
        office_id=office_id, slug=slug, version=version, name={"general": "正阳街道突发事件总体应急预案",
                                                              "flood": "正阳街道防汛应急预案",
                                                              "gas": "正阳街道燃气事故应急预案"}[slug],
        kind=kind, sha256=f"{slug}-{version}".ljust(64, "0"), source_path=f"plans/emergency/{slug}.yaml",
        content={"id": slug, "drills": {"every_months": months, "source": "test"}, "supplies": supplies or []},
        approved_by="李强", approved_at=datetime.combine(effective, datetime.min.time(), tzinfo=CN_TZ),
        effective_from=effective, superseded_at=superseded_at, review_due=review_due, review_reason=reason,
        review_note=note, created_at=t(1, 1, year=2023))


def seed_plans_and_drills(session: Session, office_id: int) -> None:
    """Three plans in force at the end of the quarter (the general plan's review overdue, the gas plan flagged by a
    drill), a superseded gas version; drills held, missed, upcoming."""
    session.add_all([
        _version(office_id, "general", "general", "2023.1", date(2023, 6, 1), date(2026, 6, 1), months=12),
        _version(office_id, "flood", "special", "2026.1", date(2026, 4, 1), date(2029, 4, 1), months=12,
                 supplies=[{"item": "sandbag", "name_zh": "沙袋", "quantity": 5000, "unit": "条"}]),
        _version(office_id, "gas", "special", "2025.1", date(2025, 1, 1), date(2028, 1, 1), months=6,
                 superseded_at=t(11, 15, 0)),
        _version(office_id, "gas", "special", "2026.2", date(2026, 11, 15), date(2026, 12, 20), months=6,
                 reason="drill_gap", note="演练D-2026-002发现：燃气泄漏疏散路线与现场不符"),
    ])
    for number, slug, kind, status, scheduled, held, problems in (
            ("D-2025-009", "general", "tabletop", "held", None, t(11, 1, year=2025), 0),
            ("D-2026-001", "flood", "field", "held", t(10, 20, 9), t(10, 20, 9), 2),
            ("D-2026-002", "gas", "tabletop", "held", None, t(11, 10, 14), 1),
            ("D-2026-003", "general", "field", "scheduled", t(12, 15, 9), None, 0),
            ("D-2027-001", "flood", "field", "scheduled", t(3, 1, 9, year=2027), None, 0)):
        session.add(DrillRow(office_id=office_id, number=number, title=f"{slug}演练", plan_slug=slug, kind=kind,
                             scheduled_for=scheduled, held_at=held, status=status,
                             problems=[{"text": f"问题{n}", "hazard_id": None} for n in range(problems)],
                             created_at=t(1, 1), updated_at=t(1, 1)))


def seed_warnings(session: Session, office_id: int) -> None:
    """A real rainstorm warning raised from yellow to orange and passed down to three communities (one acknowledged
    in time, one late, one not delivered), and a drill warning (left out)."""
    communities = list(session.scalars(select(CommunityRow.id).where(CommunityRow.office_id == office_id)
                                       .order_by(CommunityRow.id)))[:3]
    for drill in (False, True):
        warning = WarningRow(office_id=office_id, origin="upstream", warning_type="rainstorm", event="暴雨",
                             level="yellow", status="lifted", real=True, drill=drill, headline="暴雨预警",
                             issued_at=t(11, 5, 9), updated_at=t(11, 5, 20))
        session.add(warning)
        session.flush()
        events = [WarningEventRow(warning_id=warning.id, at=at, action=action, level=level, detail={})
                  for at, action, level in ((t(11, 5, 9), "issued", "yellow"), (t(11, 5, 11), "raised", "orange"),
                                            (t(11, 5, 20), "lowered", "yellow"))]
        session.add_all(events)
        session.flush()
        for n, (community, sent, acked) in enumerate(zip(communities, (t(11, 5, 11, 5), t(11, 5, 11, 5), None),
                                                        (t(11, 5, 11, 20), t(11, 5, 13), None), strict=True)):
            notice = WarningNoticeRow(key=f"w{warning.id}-{n}", warning_id=warning.id, event_id=events[1].id,
                                      recipient_kind="community", community_id=community, recipient_name=f"社区{n}",
                                      created_at=t(11, 5, 11), sent_at=sent, ack_token=f"token-{warning.id}-{n}",
                                      acknowledged_at=acked, acknowledged_by="网格长" if acked else None)
            session.add(notice)
            session.flush()
            session.add(ObligationRow(key=obligation_key(notice.id), subject="warning_ack", office_id=office_id,
                                      kind="warning_ack", label="签收", due_at=t(11, 5, 11, 35), rule="test",
                                      source="test", status="met" if acked else "breached", created_at=t(11, 5, 11),
                                      updated_at=t(11, 5, 11), drill=drill))


def seed_incidents(sessions: sessionmaker[Session], rules: ReportingRules, folder: Path) -> None:
    """A gas explosion on 10 November: phone report in time, written report late, closed and finally reported; a
    drill incident; support requests for both (the drill's left out)."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        for ref, drill in (("2026-1101", False), ("2026-1102", True)):
            open_incident(session, rules=rules, office=office, now=t(11, 10, 8, 22), data=NewIncident(
                id=ref, category="accident", type="gas_explosion", title="万福街某餐馆燃气爆炸",
                location="绿园区万福街87号附近某餐馆", occurred_at=t(11, 10, 8, 10), known_at=t(11, 10, 8, 20),
                drill=drill))
        row = find_incident(session, office=office, ident="2026-1101")
        stated = StatedIn(occurred_at=t(11, 10, 8, 10), location="万福街87号附近某餐馆", deaths=0, injuries=2,
                          summary="餐馆后厨燃气泄漏引发爆炸", measures="已疏散周边群众")
        for kind, channel, at in (("initial", "phone", t(11, 10, 8, 40)), ("initial", "written", t(11, 10, 10, 30))):
            submit_report(session, office=office, incident=row, now=at, data=NewReport(
                kind=kind, channel=channel, to="绿园区应急管理局", submitted_at=at, stated=stated))
        close_incident(session, incident=row, closed_at=t(11, 10, 18), now=t(11, 10, 18))
        submit_report(session, office=office, incident=row, now=t(11, 11, 9), data=NewReport(
            kind="final", channel="written", to="绿园区应急管理局", submitted_at=t(11, 11, 9), stated=stated))
    answered = ask(sessions, folder, t(11, 10, 9), incident="2026-1101")
    answer(sessions, answered.number, SupportStatus.ANSWERED, t(11, 10, 10))
    ask(sessions, folder, t(11, 10, 9, 30), incident="2026-1101", kind="people", items=["抢险人员:30:人"])
    ask(sessions, folder, t(11, 10, 9, 40), incident="2026-1102")


def seed_quarter(sessions: sessionmaker[Session], rules: ReportingRules, folder: Path) -> None:
    """Seed the fourth quarter of 2026 (see the module's docstring)."""
    seed(sessions)  # the street, the hazard-source register, the inspections of late November
    record(sessions, folder, t(11, 26), inspection=inspection_id(sessions, "ZY-RQ-001", "2026-W48"), by="王丽",
           at=t(11, 26, 9, 30).isoformat(), result="finding",
           findings=[finding(), finding(description="地下室燃气管道腐蚀严重", grade="重大", deadline="2027-02-28")])
    record(sessions, folder, t(11, 26, 11), inspection=inspection_id(sessions, "WF-SG-001"), by="赵磊",
           at=t(11, 26, 10, 30).isoformat(), result="finding", findings=[finding(description="基坑临边防护缺失")])
    step(sessions, "YH-2026-0003", HazardAction.FIX_REPORTED, "马建国", t(12, 1))
    step(sessions, "YH-2026-0003", HazardAction.VERIFIED, "周平", t(12, 2))
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        seed_plans_and_drills(session, office.id)
        seed_warnings(session, office.id)
        import_supplies(session, office=office, catalogue=load_supplies_catalogue(), by="郑红", now=t(10, 15),
                        path=ROOT / "examples" / "supplies-zhengyang.csv")
    seed_incidents(sessions, rules, folder)
