"""The monthly 隐患排查治理台账 from a seeded November on SQLite and PostgreSQL: the numbers, the .docx and the .xlsx."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import CommunityRow, GridRow, HazardRow, HazardSourceRow, InspectionRow, Office
from emergency.db.session import unit_of_work
from emergency.domain.enums import HazardGrade, HazardStatus
from emergency.domain.ledgers import Supervision
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.schema import load_street
from emergency.reporting.documents import DEFAULT_TEMPLATES
from emergency.services.incidents import get_office
from emergency.services.ledgers import LedgerFiles, compute_inspection_ledger, write_inspection_ledger
from emergency.services.organisation import load_street_into
from tests.integration.support import OFFICE

AS_OF = datetime(2026, 12, 1, 9, 30, tzinfo=CN_TZ)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A time in Asia/Shanghai in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=CN_TZ)


def _source(session: Session, office: Office, code: str, community: str, grid: str | None) -> HazardSourceRow:
    community_row = session.scalars(select(CommunityRow).where(CommunityRow.code == community)).one()
    grid_row = session.scalars(select(GridRow).where(GridRow.code == grid)).one() if grid else None
    row = HazardSourceRow(office_id=office.id, code=code, name=f"风险点{code}", source_type="gas", risk_level="general",
                          community_id=community_row.id, grid_id=grid_row.id if grid_row else None,
                          owner_unit=f"{code}责任单位", created_at=at(10, 1), updated_at=at(10, 1))
    session.add(row)
    session.flush()
    return row


def _inspection(session: Session, source: HazardSourceRow, period: str, due_on: date, *,
                done: datetime | None = None, result: str = "passed") -> None:
    due_at = datetime.combine(due_on + timedelta(days=1), datetime.min.time(), tzinfo=CN_TZ)
    session.add(InspectionRow(
        office_id=source.office_id, source_id=source.id, period_key=period, reason="routine",
        starts_on=due_on.replace(day=1), due_on=due_on, due_at=due_at, assigned_to="王丽", grid_id=source.grid_id,
        status="done" if done else "due", done_at=done, done_by="王丽" if done else None,
        result=result if done else None, notice_sent=True, created_at=at(10, 1)))


def _hazard(session: Session, office: Office, number: str, source: HazardSourceRow | None, *, grade: HazardGrade,
            found: datetime, deadline: datetime, closed: datetime | None = None, reported: datetime | None = None,
            drill: bool = False) -> None:
    session.add(HazardRow(
        office_id=office.id, source_id=source.id if source else None,
        community_id=None if source else session.scalars(select(CommunityRow.id).where(CommunityRow.code == "ZY03")).one(),
        drill=drill, number=number, description=f"{number}隐患描述", location="正阳街1号", grade=grade.value,
        category="things", measures="立即整改", responsible_person="张三", owner_unit="某单位", deadline=deadline,
        status=HazardStatus.CLOSED.value if closed else HazardStatus.OPEN.value, reported_by="王丽", found_at=found,
        fixed_reported_by="张三" if closed else None, fixed_reported_at=closed - timedelta(days=1) if closed else None,
        verified_by="周平" if closed else None, verified_at=closed, closed_at=closed, reported_to_district_at=reported,
        created_at=found, updated_at=closed or found))


def seed_november(sessions: sessionmaker[Session]) -> None:
    """Four sources in three communities, five inspections due in November, six hazards and a drill's."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
        s1 = _source(session, office, "ZY-001", "ZY01", "ZY01-01")
        s2 = _source(session, office, "ZY-002", "ZY01", "ZY01-02")
        s3 = _source(session, office, "WF-001", "ZY02", "ZY02-01")
        s4 = _source(session, office, "QN-001", "ZY03", None)
        _inspection(session, s1, "2026-11", date(2026, 11, 30), done=at(11, 20), result="finding")   # on time
        _inspection(session, s2, "2026-W46", date(2026, 11, 15), done=at(11, 16, 9))                  # late
        _inspection(session, s2, "2026-W47", date(2026, 11, 22))                                      # not done
        _inspection(session, s3, "2026-11", date(2026, 11, 30), done=at(11, 30, 23, 59), result="finding")  # on time
        _inspection(session, s2, "2026-W48", date(2026, 11, 29), done=at(12, 1, 8))                  # late, next day
        _inspection(session, s4, "2026-Q4", date(2026, 12, 31))                                       # December's
        _inspection(session, s4, "2026-10", date(2026, 10, 31), done=at(10, 30))                     # October's
        _hazard(session, office, "YH-2026-011", s1, grade=HazardGrade.GENERAL, found=at(11, 20), deadline=at(11, 27))
        _hazard(session, office, "YH-2026-012", s3, grade=HazardGrade.MAJOR, found=at(11, 5), deadline=at(12, 5),
                reported=at(11, 5, 11))
        _hazard(session, office, "YH-2026-013", s2, grade=HazardGrade.GENERAL, found=at(11, 2, 10),
                deadline=at(11, 9), closed=at(11, 6, 22))
        _hazard(session, office, "YH-2026-009", None, grade=HazardGrade.GENERAL, found=at(10, 1), deadline=at(10, 15))
        _hazard(session, office, "YH-2026-005", s4, grade=HazardGrade.GENERAL, found=at(10, 1), deadline=at(10, 10),
                closed=at(10, 20))
        _hazard(session, office, "YL-2026-001", s1, grade=HazardGrade.MAJOR, found=at(11, 10), deadline=at(11, 12),
                drill=True)


def write(sessions: sessionmaker[Session], out: Path, as_of: datetime = AS_OF) -> LedgerFiles:
    """Write November's ledger in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return write_inspection_ledger(session, office=office, month="2026-11", as_of=as_of, out_dir=out,
                                       templates_dir=DEFAULT_TEMPLATES, names={"routine": "日常排查"})


def table_rows(table: Any) -> list[list[str]]:
    """The cell texts of a python-docx table, row by row."""
    return [[cell.text for cell in row.cells] for row in table.rows]


def wall(*fields: int) -> datetime:
    """A Beijing wall time without offset, as Excel holds it."""
    return datetime(*fields, tzinfo=CN_TZ).replace(tzinfo=None)  # type: ignore[misc]


def test_the_months_numbers(sessions: sessionmaker[Session]) -> None:
    """Completion per community, open hazards by age and grade, rectification times and 重大隐患, drills left out."""
    seed_november(sessions)
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        ledger, inspections = compute_inspection_ledger(session, office=office, month="2026-11", as_of=AS_OF)
    assert len(inspections) == 5
    rows = {line.community: line for line in ledger.communities}
    assert list(rows) == ["正阳社区", "万福社区", "青年路社区"]
    zy = rows["正阳社区"].inspections
    assert (zy.due, zy.on_time, zy.late, zy.missing, zy.pending) == (4, 1, 1, 2, 0)  # the 8:00 result is after the cut-off
    assert (rows["万福社区"].inspections.due, rows["万福社区"].inspections.on_time) == (1, 1)
    assert rows["青年路社区"].inspections.due == 0
    assert (ledger.total.inspections.due, ledger.total.inspections.on_time) == (5, 2)
    assert ledger.total.inspections.on_time_rate == pytest.approx(0.4)
    assert [(o.hazard.number, o.hazard.community, o.age_days, o.band.key, o.overdue) for o in ledger.open_hazards] == [
        ("YH-2026-009", "青年路社区", 61, "d31_90", True),
        ("YH-2026-012", "万福社区", 26, "d8_30", False),
        ("YH-2026-011", "正阳社区", 11, "d8_30", True)]
    general, major, _ = ledger.rectification
    assert (general.count, general.median_days, major.count) == (1, 4.5, 0)
    assert [(m.hazard.number, m.supervision) for m in ledger.majors] == [("YH-2026-012", Supervision.SUPERVISED)]
    assert ledger.drill_hazards == 1
    assert (rows["正阳社区"].found, rows["正阳社区"].closed, rows["正阳社区"].open) == (2, 1, 1)


def test_the_document_and_the_workbook(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """The .docx opens with python-docx and its tables hold the numbers; the .xlsx has typed, filterable sheets."""
    seed_november(sessions)
    written = write(sessions, tmp_path / "out")
    assert written.document == tmp_path / "out" / "inspection-ledger-2026-11.docx"
    assert written.summary == {"due": 5, "on_time": 2, "late": 1, "missing": 2, "pending": 0, "on_time_rate": 0.4,
                               "found": 3, "closed": 1, "open": 3, "overdue": 2, "majors": 1, "drill_hazards": 1}

    document = docx.Document(str(written.document))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2026年11月隐患排查治理台账" in text and "统计截至2026年11月30日24时" in text
    assert "应开展隐患排查5次，已到期5次，其中按时完成2次、逾期完成1次、未完成2次，按时完成率40.0%" in text
    assert "演练中登记的隐患1项不计入本台账" in text
    communities, ages, open_list, times, closed, majors = (table_rows(t) for t in document.tables)
    assert communities[1] == ["正阳社区", "4", "4", "1", "1", "2", "25.0%", "50.0%", "2", "1", "1"]
    assert communities[3] == ["青年路社区", "0", "0", "0", "0", "0", "—", "—", "0", "0", "1"]
    assert communities[-1] == ["合计", "5", "5", "2", "1", "2", "40.0%", "60.0%", "3", "1", "3"]
    assert ages[1:] == [["7天及以内", "0", "0", "0", "0", "0", "0"], ["8～30天", "1", "1", "1", "0", "2", "1"],
                        ["31～90天", "1", "1", "0", "0", "1", "1"], ["90天以上", "0", "0", "0", "0", "0", "0"],
                        ["合计", "2", "2", "1", "0", "3", "2"]]
    assert [row[1] for row in open_list[1:]] == ["YH-2026-009", "YH-2026-012", "YH-2026-011"]
    assert open_list[1][-1] == "整改中（逾期47天）" and open_list[2][-1] == "整改中"
    assert times[1:] == [["一般隐患", "1", "4.5", "4.5"], ["重大隐患", "0", "—", "—"], ["合计", "1", "4.5", "4.5"]]
    assert closed[1][1] == "YH-2026-013" and closed[1][-1] == "4.5"
    assert majors[1][1] == "YH-2026-012" and majors[1][5] == "2026-11-05" and majors[1][-1] == "挂牌督办中；整改中"
    assert "YL-2026-001" not in "\n".join(c for t in document.tables for r in table_rows(t) for c in r)

    book = load_workbook(written.workbook)
    assert book.sheetnames == ["各社区排查完成情况", "排查任务明细", "未销号隐患", "未销号隐患时长分布", "整改用时",
                               "本月销号隐患", "重大隐患挂牌督办"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(cell.font.b for cell in sheet[1]), sheet.title
    first = book["各社区排查完成情况"]
    assert [c.value for c in first[2]] == ["正阳社区", 4, 4, 1, 1, 2, 0, 0.25, 0.5, 2, 1, 1]
    assert first["H2"].number_format == "0.0%" and first["H4"].value is None  # 青年路社区: nothing to divide by
    assert first.auto_filter.ref == "A1:L4" and first["A5"].value == "合计" and first["B5"].value == 5
    detail = book["排查任务明细"]
    header = [c.value for c in detail[1]]
    assert header[:3] == ["社区", "网格", "风险点编号"]
    by_code = {(row[2], row[6]): row for row in detail.iter_rows(min_row=2, values_only=True)}
    late = by_code[("ZY-002", wall(2026, 11, 15))]
    assert late[8] == wall(2026, 11, 16, 9) and late[10] == "逾期完成"  # Beijing wall time, a real datetime
    assert by_code[("ZY-002", wall(2026, 11, 29))][8:11] == (None, None, "未完成")
    open_sheet = book["未销号隐患"]
    values = [list(row) for row in open_sheet.iter_rows(min_row=2, values_only=True)]
    assert [(v[0], v[8], v[10], v[11]) for v in values] == [("YH-2026-009", 61, "是", 47), ("YH-2026-012", 26, "否", 0),
                                                             ("YH-2026-011", 11, "是", 4)]
    assert isinstance(values[0][6], datetime) and open_sheet["G2"].number_format == "yyyy-mm-dd hh:mm"
    times_sheet = book["整改用时"]
    assert [c.value for c in times_sheet[2]] == ["一般隐患", 1, 4.5, 4.5]
    assert [c.value for c in times_sheet[3]] == ["重大隐患", 0, None, None]


def test_the_month_so_far_and_a_rerun(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Mid-month, inspections not yet due count in no rate; writing again replaces the files with the same content."""
    seed_november(sessions)
    mid = write(sessions, tmp_path / "out", as_of=at(11, 18, 12))
    # On the 18th only the week due on the 15th has come due (done late); the rest are pending, even those done
    # after the 18th: a ledger made on the 18th knows nothing later.
    assert (mid.summary["due"], mid.summary["pending"], mid.summary["late"]) == (5, 4, 1)
    assert mid.summary["on_time"] == mid.summary["missing"] == 0 and mid.summary["on_time_rate"] == 0
    again = write(sessions, tmp_path / "out", as_of=at(11, 18, 12))
    assert again.summary == mid.summary and again.document == mid.document
    assert "统计截至2026年11月18日12时" in "\n".join(p.text for p in docx.Document(str(again.document)).paragraphs)
