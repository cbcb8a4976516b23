"""The 应急准备情况报告 on SQLite and PostgreSQL over a seeded fourth quarter: every section's numbers, in the
document's tables and sentences, from the stored plans, drills, supplies, hazards, warnings, reports and requests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import docx
from sqlalchemy.orm import Session, sessionmaker

from emergency.db.session import unit_of_work
from emergency.domain.readiness import DueState, period_of
from emergency.plans.rules import ReportingRules
from emergency.reporting.documents import DEFAULT_TEMPLATES
from emergency.services.audits import audit_database
from emergency.services.incidents import get_office
from emergency.services.plans import plans_due
from emergency.services.readiness import compute_readiness, write_readiness_report
from emergency.services.supplies import supplies_status
from tests.integration.readiness_support import AS_OF, plans_folder, seed_quarter, t
from tests.integration.support import OFFICE

Q4 = period_of(quarter="2026Q4")


def test_the_quarter_report_counts_each_section_and_leaves_drills_out(
        sessions: sessionmaker[Session], rules: ReportingRules, tmp_path: Path) -> None:
    """Plans in force and due, drills held/missed/due, supplies short against the flood plan, hazards found, closed
    and open, the warning's pass-down, the reporting record (the audit's summary) and support requests: the drill
    incident, its request and the drill warning never count."""
    seed_quarter(sessions, rules, tmp_path)
    plans_dir = plans_folder(tmp_path)
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        r = compute_readiness(session, office=office, rules=rules, period=Q4, as_of=AS_OF, plans_dir=plans_dir)
        audit = audit_database(session, rules=rules, office=office, start=Q4.start, end=t(12, 31, 23, 59), at=r.cut)
        supplies = supplies_status(session, office_id=office.id, as_of=r.cut, plans_dir=plans_dir)
        due_for_review = plans_due(session, office=office, plans={}, now=r.cut - timedelta(microseconds=1))
    assert r.cut == Q4.end
    assert {(p.slug, p.version, p.state) for p in r.plans} == {
        ("general", "2023.1", DueState.OVERDUE), ("flood", "2026.1", DueState.OK), ("gas", "2026.2", DueState.FLAGGED)}
    assert {p.slug for p in r.plans_due} == {d.slug for d in due_for_review}  # as `emergency plan due` lists them
    assert [d.number for d in r.drills.held] == ["D-2026-001", "D-2026-002"] and r.drills.problems == 3
    assert [d.number for d in r.drills.missed] == ["D-2026-003"]
    assert [d.number for d in r.drills.upcoming] == ["D-2027-001"]
    assert [(d.slug, d.state) for d in r.drills_due] == [("general", DueState.OVERDUE)]
    sandbag = next(i for i in r.supplies.shortfalls if i.name == "沙袋")
    assert (sandbag.on_hand, sandbag.minimum, sandbag.shortfall) == (1500, 5000, 3500)  # the flood plan in force
    assert len(r.supplies.shortfalls) == len(supplies.shortfalls)
    h = r.hazards
    assert (h.found.general, h.found.major, h.closed.total, h.open.general, h.open.major) == (2, 1, 1, 1, 1)
    assert (h.overdue.general, h.overdue.major) == (1, 0)  # YH-2026-0001, due 2026-12-04
    w = r.warnings
    assert (w.issued, w.by_level["orange"], w.drill_left_out) == (1, 1, 1)
    assert (w.recipients, w.received, w.acknowledged, w.acknowledged_in_time) == (3, 2, 2, 1)
    assert r.reporting == audit.summary
    assert (r.reporting.incidents, r.reporting.on_time, r.reporting.late) == (1, 2, 1)  # the drill incident left out
    s = r.support
    assert (s.requested, s.answered, s.answered_in_time, s.unanswered_overdue, s.drill_left_out) == (2, 1, 1, 1, 1)


def test_the_report_document_holds_the_numbers_and_reads_the_same_when_made_again(
        sessions: sessionmaker[Session], rules: ReportingRules, tmp_path: Path) -> None:
    """readiness-report-2026Q4.docx opens with python-docx; its key figures, plan, drill, supplies and hazard tables
    hold the quarter's numbers; made again later it says the same (the cut-off is the quarter's end)."""
    seed_quarter(sessions, rules, tmp_path)
    plans_dir = plans_folder(tmp_path)

    def write(as_of_day: int) -> Path:
        with unit_of_work(sessions) as session:
            office = get_office(session, name=OFFICE)
            written = write_readiness_report(
                session, office=office, rules=rules, period=Q4, as_of=t(1, as_of_day, 9, year=2027),
                recipient="绿园区人民政府总值班室、绿园区应急管理局", out_dir=tmp_path / f"out{as_of_day}",
                templates_dir=DEFAULT_TEMPLATES, plans_dir=plans_dir)
        assert written.document == tmp_path / f"out{as_of_day}" / "readiness-report-2026Q4.docx"
        assert written.summary["hazards"] == {"found": 3, "closed": 1, "open": 2, "overdue": 1}
        return written.document

    doc = docx.Document(str(write(5)))
    texts = [p.text for p in doc.paragraphs]
    assert "2026年第四季度应急准备情况报告" in texts
    tables = [[[c.text for c in row.cells] for row in table.rows] for table in doc.tables]
    figures = {row[1]: row[2] for row in tables[0][1:]}
    assert (figures["在用应急预案（件）"], figures["需评估修订的预案（件）"]) == ("3", "2")
    assert (figures["举行应急演练（次）"], figures["演练发现问题（个）"], figures["逾期未演练的预案（件）"]) == ("2", "3", "1")
    assert (figures["本期发现隐患（项）"], figures["期末未销号隐患（项）"], figures["其中逾期未整改（项）"]) == ("3", "2", "1")
    assert (figures["接收、发布预警（条）"], figures["预警转发到位率"], figures["预警签收率"]) == ("1", "66.7%", "66.7%")
    assert (figures["向区政府请示支援（件）"], figures["超时未答复的请示（件）"]) == ("2", "1")
    plan_rows = next(table for table in tables if table[0][1] == "预案名称")
    assert [(row[1], row[3], row[6]) for row in plan_rows[1:]] == [
        ("正阳街道突发事件总体应急预案", "2023.1", "已逾期213天"), ("正阳街道防汛应急预案", "2026.1", "正常"),
        ("正阳街道燃气事故应急预案", "2026.2", "需评估（演练发现问题）")]
    short = next(table for table in tables if table[0][1] == "物资名称")
    assert ["沙袋", "条", "1500", "5000", "3500"] in [row[1:] for row in short[1:]]
    hazards = next(table for table in tables if table[0][0] == "隐患等级")
    assert hazards[1:] == [["一般隐患", "2", "1", "1", "1"], ["重大隐患", "1", "0", "1", "0"],
                           ["合计", "3", "1", "2", "1"]]
    body = "\n".join(texts)
    assert "本期发生突发事件1起" in body and "迟报1次" in body
    assert "正阳街道燃气事故应急预案（2026.2版）因演练发现问题需要评估修订：演练D-2026-002发现" in body
    again = docx.Document(str(write(20)))
    assert [[c.text for c in row.cells] for table in again.tables for row in table.rows] == [
        row for table in tables for row in table]
