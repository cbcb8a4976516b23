"""A day's results from the grid app's export (CSV, XLSX, JSON) on SQLite and PostgreSQL: all rows or none."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import HazardRow, InspectionRow, OutboxRow
from emergency.db.session import unit_of_work
from emergency.services.incidents import get_office
from emergency.services.inspection_results import ResultsError, ResultsImport, import_results
from tests.integration.hazard_support import PLAN, inspection_id, paperwork, seed
from tests.integration.support import OFFICE, ROOT

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=CN_TZ)
HEADER = ("任务编号", "风险点编号", "检查人", "检查时间", "检查项目", "检查结果", "隐患描述", "隐患等级", "隐患类别",
          "整改措施", "整改责任人", "整改期限", "现场照片", "备注")


def write_csv(folder: Path, rows: Sequence[Sequence[object]], name: str = "results.csv") -> Path:
    """Write an export (title row, heading row, then the rows) as the grid app does."""
    path = folder / name
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["正阳街道网格巡查结果导出（2026-11-26）"])
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def load(sessions: sessionmaker[Session], folder: Path, path: Path, *, skip_bad: bool = False) -> ResultsImport:
    """Import a results file in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return import_results(session, office=office, plan=PLAN, path=path, now=NOW, paperwork=paperwork(folder),
                              skip_bad=skip_bad)


def stored(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    """(inspections done, hazards, outbox rows)."""
    with unit_of_work(sessions) as session:
        done = session.scalar(select(func.count()).select_from(InspectionRow).where(InspectionRow.status == "done"))
        hazards = session.scalar(select(func.count()).select_from(HazardRow))
        outbox = session.scalar(select(func.count()).select_from(OutboxRow))
        return done or 0, hazards or 0, outbox or 0


def good_rows(sessions: sessionmaker[Session]) -> list[list[object]]:
    """A passed inspection by source, two hazards of one inspection by task number, and a 重大 one."""
    rq = inspection_id(sessions, "ZY-RQ-001", "2026-W48")
    return [
        ["", "WF-DW-001", "赵磊", "2026-11-26 09:10", "排水口、警示标志", "未发现隐患", "", "", "", "", "", "", "p1.jpg", ""],
        [rq, "", "王丽", "2026/11/26 10:00", "燃气软管；报警器", "发现隐患", "软管老化开裂", "一般", "物", "更换软管",
         "马建国", "2026-11-30", "p1.jpg", "现场已关阀"],
        [rq, "", "王丽", "2026/11/26 10:00", "", "发现隐患", "报警器失效", "一般隐患", "物", "", "", "", "", ""],
        ["", "WF-SG-001", "赵磊", "2026年11月26日 11时05分", "", "发现隐患", "深基坑支护变形", "重大", "环境",
         "停止坑边作业，加固支护", "孙强", "", "", ""],
    ]


def test_a_days_export_is_stored_whole_and_only_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Every row checked then stored: 3 inspections (one passed), 3 hazards (one 重大, reported up), photos
    resolved against the file's folder; importing the same file again stores nothing more."""
    seed(sessions)
    (tmp_path / "p1.jpg").write_bytes(b"jpeg")
    path = write_csv(tmp_path, good_rows(sessions))
    first = load(sessions, tmp_path, path)
    assert (first.results, first.passed, first.with_findings, first.unchanged) == (3, 1, 2, 0)
    assert [(h.number, h.grade) for h in first.hazards] == [("YH-2026-0001", "general"), ("YH-2026-0002", "general"),
                                                            ("YH-2026-0003", "major")]
    assert first.hazards[2].reported_to_district_at == NOW
    with unit_of_work(sessions) as session:
        rq = session.get(InspectionRow, inspection_id(sessions, "ZY-RQ-001", "2026-W48"))
        assert rq is not None
        assert rq.done_at == datetime(2026, 11, 26, 10, 0, tzinfo=CN_TZ) and rq.checked_items == ["燃气软管", "报警器"]
        assert rq.photos == [str((tmp_path / "p1.jpg").resolve())] and rq.note == "现场已关阀"
        hazards = {h.number: h for h in session.scalars(select(HazardRow))}
        assert hazards["YH-2026-0001"].deadline == datetime(2026, 12, 1, 0, 0, tzinfo=CN_TZ)
        assert hazards["YH-2026-0002"].deadline == datetime(2026, 12, 4, 0, 0, tzinfo=CN_TZ)  # the plan's 7 days
        assert hazards["YH-2026-0003"].category == "environment"
    counted = stored(sessions)
    again = load(sessions, tmp_path, path)
    assert (again.results, again.unchanged, again.hazards) == (3, 3, ())
    assert stored(sessions) == counted


def test_every_bad_row_is_named_and_nothing_is_stored(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Bad cells and bad findings are each named by row number and heading; without --skip-bad nothing is stored,
    with it the good inspections are stored and the bad rows listed."""
    seed(sessions)
    (tmp_path / "p1.jpg").write_bytes(b"jpeg")
    rows = good_rows(sessions)
    rows[2][7] = "较大"  # row 5: not a hazard grade
    rows += [
        ["", "WF-WH-001", "赵磊", "昨天", "", "未发现隐患", "", "", "", "", "", "", "", ""],  # row 7
        ["", "NO-SUCH", "赵磊", "2026-11-26 12:00", "", "未发现隐患", "", "", "", "", "", "", "", ""],  # row 8
        ["", "QN-WH-001", "孙敏", "2026-11-26 12:00", "", "发现隐患", "", "一般", "物", "", "", "", "", ""],  # row 9
        ["", "QN-LJ-001", "孙敏", "2026-11-26 12:30", "", "也许", "", "", "", "", "", "", "", ""],  # row 10
        ["", "WF-DW-002", "陈静", "2026-11-26 13:00", "", "发现隐患", "井盖破损", "重大", "物", "", "", "", "", ""],
    ]
    path = write_csv(tmp_path, rows)
    with pytest.raises(ResultsError) as caught:
        load(sessions, tmp_path, path)
    assert [str(p) for p in caught.value.problems] == [
        "row 5, column 隐患等级: '较大' is not a grade (一般/重大 (or general/major))",
        "row 7, column 检查时间: '昨天' is not a time (write e.g. 2026-11-26 09:30)",
        "row 8, column 风险点编号: 'NO-SUCH' is not a source of the register",
        "row 9, column 隐患描述: is empty",
        "row 10, column 检查结果: '也许' is not a result (未发现隐患/无隐患 or 发现隐患/有隐患)",
        "row 11, column 整改措施: is empty: a 重大事故隐患 needs its measures (治理方案, 16号令第十五条)",
    ]
    assert "nothing imported" in str(caught.value) and str(caught.value).count("\n") == 0
    assert stored(sessions)[:2] == (0, 0)
    partial = load(sessions, tmp_path, path, skip_bad=True)
    assert [p.row for p in partial.skipped] == [5, 7, 8, 9, 10, 11]
    # The inspection of row 5 is bad as a whole (its row 4 finding is not stored without its sibling).
    assert (partial.results, partial.passed, partial.with_findings) == (2, 1, 1)
    assert [h.number for h in partial.hazards] == ["YH-2026-0001"]


def test_rows_of_one_inspection_must_agree(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Two rows naming the same inspection with different inspectors: the second is named."""
    seed(sessions)
    rows = good_rows(sessions)[1:3]
    rows[1][2] = "刘洋"
    with pytest.raises(ResultsError, match="row 4, column 检查人: differs from row 3, which names the same inspection"):
        load(sessions, tmp_path, write_csv(tmp_path, rows))


def test_xlsx_and_json_exports(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """An XLSX export with real date cells reads like the CSV; a JSON export names a bad entry and field."""
    seed(sessions)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADER))
    sheet.append(["", "WF-DW-001", "赵磊", datetime(2026, 11, 26, 9, 10), "排水口", "合格"])  # noqa: DTZ001 - Excel cell
    sheet.append(["", "WF-SG-001", "赵磊", datetime(2026, 11, 26, 11, 5), "", "发现隐患", "临边防护缺失",  # noqa: DTZ001
                  "一般", "物", "设置防护栏杆", "孙强", datetime(2026, 11, 28)])  # noqa: DTZ001
    book.save(tmp_path / "results.xlsx")
    imported = load(sessions, tmp_path, tmp_path / "results.xlsx")
    assert (imported.results, imported.passed, [h.deadline for h in imported.hazards]) == (
        2, 1, [datetime(2026, 11, 29, 0, 0, tzinfo=CN_TZ)])
    entries = [
        {"source": "WF-WH-001", "by": "赵磊", "at": "2026-11-26T14:00:00+08:00", "result": "passed",
         "items": ["油漆间通风"]},
        {"source": "QN-WH-001", "by": "孙敏", "at": "2026-11-26T14:30:00+08:00", "result": "finding",
         "findings": [{"description": "化学品柜未上锁", "grade": "一般", "category": "管理", "deadline": "2026-12-31T"}]},
    ]
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"results": entries}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ResultsError, match=r"1 problem, .*: entry 2, field findings\[0\]\.deadline: "):
        load(sessions, tmp_path, path)
    entries[1]["findings"][0]["deadline"] = "2026-12-31"  # type: ignore[index]
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    done = load(sessions, tmp_path, path)
    assert (done.results, done.passed, done.with_findings) == (2, 1, 1)


def test_the_example_export_imports(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """examples/inspection-results-zhengyang.csv (sources and periods of the example register) imports whole."""
    seed(sessions)
    imported = load(sessions, tmp_path, ROOT / "examples" / "inspection-results-zhengyang.csv")
    assert (imported.results, imported.passed, imported.with_findings) == (5, 2, 3)
    assert [(h.grade, h.reported_to_district_at is not None) for h in imported.hazards] == [
        ("general", False), ("general", False), ("major", True), ("general", False)]
