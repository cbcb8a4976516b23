"""The hazard-source register and planning runs on SQLite and PostgreSQL: import, re-import, bulk planning, notices."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import HazardSourceRow, InspectionRow, OutboxRow
from emergency.db.session import unit_of_work
from emergency.plans.inspections import load_inspection_plan
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.schema import load_street
from emergency.services.hazard_sources import LedgerError, LedgerImport, import_sources, list_sources
from emergency.services.incidents import get_office
from emergency.services.inspections import PlanningSummary, plan_inspections
from emergency.services.organisation import load_street_into
from tests.integration.support import OFFICE, ROOT

PLAN = load_inspection_plan()
NOW = datetime(2026, 11, 26, 7, 0, tzinfo=CN_TZ)
EXAMPLE_CSV = ROOT / "examples" / "hazard-sources-zhengyang.csv"
EXAMPLE_XLSX = ROOT / "examples" / "hazard-sources-zhengyang.xlsx"
HEADER = ("编号", "名称", "类型", "风险等级", "社区", "网格", "责任单位", "联系人", "联系电话", "位置")
CHANNELS = ("duty_wecom",)


def write_csv(folder: Path, rows: Sequence[Sequence[object]], name: str = "ledger.csv") -> Path:
    """Write a ledger CSV (the header, then the rows) and return its path."""
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def row(code: str, level: str = "一般", kind: str = "燃气管网与用户", community: str = "正阳社区",
        grid: str = "第一网格") -> tuple[str, ...]:
    """Return one ledger row."""
    return (code, f"风险点{code}", kind, level, community, grid, "某单位", "张三", "13900000001", "正阳街1号")


def load(sessions: sessionmaker[Session], path: Path, *, skip_bad: bool = False) -> LedgerImport:
    """Import a ledger file through the service in one unit of work, the street's grids loaded first."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
        return import_sources(session, office=office, path=path, now=NOW, skip_bad=skip_bad, plan=PLAN)


def plan(sessions: sessionmaker[Session], as_of: datetime = NOW) -> PlanningSummary:
    """Run one planning in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return plan_inspections(session, office=office, plan=PLAN, as_of=as_of, channels=CHANNELS)


def stored_sources(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str, bool]]:
    """Return every stored source as (code, name, type, level, active)."""
    with unit_of_work(sessions) as session:
        rows = session.scalars(select(HazardSourceRow).order_by(HazardSourceRow.code))
        return [(r.code, r.name, r.source_type, r.risk_level, r.active) for r in rows]


def inspections(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str | None, str]]:
    """Return every inspection as (source code, period, reason, assigned to, status)."""
    with unit_of_work(sessions) as session:
        rows = session.execute(select(HazardSourceRow.code, InspectionRow.period_key, InspectionRow.reason,
                                      InspectionRow.assigned_to, InspectionRow.status)
                               .join(HazardSourceRow, HazardSourceRow.id == InspectionRow.source_id)
                               .order_by(HazardSourceRow.code, InspectionRow.period_key))
        return [tuple(r) for r in rows.tuples()]  # type: ignore[misc]


def test_the_example_ledgers_import_alike_and_again_change_nothing(sessions: sessionmaker[Session]) -> None:
    """examples/ CSV (重大…低) and XLSX (title row, 红…蓝) store the same 16 sources; re-importing updates none."""
    first = load(sessions, EXAMPLE_CSV)
    assert (first.rows, first.created, first.updated, first.skipped) == (16, 16, 0, ())
    from_csv = stored_sources(sessions)
    again = load(sessions, EXAMPLE_XLSX)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 16)
    assert stored_sources(sessions) == from_csv
    assert ("WF-DW-001", "万福街铁路桥下低洼路段", "low_lying", "major", True) in from_csv
    with unit_of_work(sessions) as session:
        listed = list_sources(session, office=get_office(session, name=OFFICE), community="青年路社区")
    assert {s.leader for s in listed} == {"孙敏"} and len(listed) == 5


def test_reimport_updates_by_code_and_can_retire_a_source(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """A second ledger with the same codes updates those sources (level, status) and keeps the others."""
    load(sessions, write_csv(tmp_path, [row("A1"), row("A2"), row("A3")]))
    path = tmp_path / "v2.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow((*HEADER, "状态"))
        writer.writerow((*row("A1", level="红"), "在用"))
        writer.writerow((*row("A2"), "停用"))
    summary = load(sessions, path)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 0)
    assert [(code, level, active) for code, _, _, level, active in stored_sources(sessions)] == [
        ("A1", "major", True), ("A2", "general", False), ("A3", "general", True)]


def test_bad_rows_are_named_and_nothing_is_stored(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Every bad row is reported by row number and column; the good rows are not stored either."""
    path = write_csv(tmp_path, [row("B1"), row("B2", level="紫"), row("B3", grid="第九网格"),
                                row("B4", kind="游乐场"), row("B1")])
    with pytest.raises(LedgerError) as caught:
        load(sessions, path)
    assert [str(p) for p in caught.value.problems] == [
        "row 3, column 风险等级: '紫' is not a risk level (重大/较大/一般/低 or 红/橙/黄/蓝)",
        "row 4, column 网格: '第九网格' is not a grid of 正阳社区",
        "row 5, column 类型: '游乐场' is not a type of plans/inspections.yaml (燃气管网与用户、老旧小区、地下空间与人防工程、"
        "低洼易涝点、沿街商铺与九小场所、高层建筑、施工工地、危化品使用单位)",
        "row 6, column 编号: code B1 is already given in row 2",
    ]
    assert "nothing imported" in str(caught.value)
    assert stored_sources(sessions) == []


def test_skip_bad_stores_the_good_rows_and_lists_the_rest(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """With skip_bad the good rows are stored and each bad one is returned with its row and column."""
    path = write_csv(tmp_path, [row("C1"), row("C2", community="长江社区"), row("C3")])
    summary = load(sessions, path, skip_bad=True)
    assert summary.created == 2
    assert [str(p) for p in summary.skipped] == [
        "row 3, column 社区: '长江社区' is not a community of the street (正阳社区、万福社区、青年路社区)"]
    assert [code for code, *_ in stored_sources(sessions)] == ["C1", "C3"]


def test_a_missing_required_column_is_refused_even_with_skip_bad(sessions: sessionmaker[Session],
                                                                 tmp_path: Path) -> None:
    """A ledger without a 风险等级 column stores nothing."""
    path = tmp_path / "no-level.csv"
    path.write_text("编号,名称,类型,社区,网格\nD1,某点,燃气,正阳社区,第一网格\n", encoding="utf-8")
    with pytest.raises(LedgerError, match="no column 风险等级"):
        load(sessions, path, skip_bad=True)


def test_planning_creates_each_inspection_once_and_assigns_grid_leaders(sessions: sessionmaker[Session]) -> None:
    """A run creates the due inspections for their grid's 网格长; the same run again creates and sends nothing."""
    load(sessions, EXAMPLE_CSV)
    first = plan(sessions)
    assert (first.sources, first.created, first.already_planned, first.unplanned) == (16, first.due, 0, 0)
    assert first.notices == 5  # the five grid leaders of plans/street.yaml, each once
    stored = inspections(sessions)
    assert ("WF-DW-001", "2026-11", "routine", "陈静", "due") in stored
    assert ("ZY-RQ-001", "2026-W48", "routine", "王丽", "due") in stored
    assert ("ZY-LJ-001", "campaign:winter_fire:2026-11", "winter_fire", "王丽", "due") in stored
    second = plan(sessions)
    assert (second.created, second.already_planned, second.notices) == (0, first.due, 0)
    assert inspections(sessions) == stored
    with unit_of_work(sessions) as session:
        outbox = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        assert len(outbox) == 5
        [wang] = [o for o in outbox if o.body["to"] == "王丽"]
        assert wang.body["phone"] == "13800000101" and wang.topic == "notice"
        assert {i["code"] for i in wang.body["inspections"]} == {"ZY-RQ-001", "ZY-LJ-001"}
        assert wang.subject.startswith("【隐患排查任务】王丽")


def test_backfill_creates_an_earlier_periods_inspections_once(sessions: sessionmaker[Session]) -> None:
    """Planning as of a July day adds July's and the flood season's inspections; again, nothing; a late run marks
    the July ones missed."""
    load(sessions, EXAMPLE_CSV)
    plan(sessions)
    july = plan(sessions, as_of=datetime(2026, 7, 15, 7, 0, tzinfo=CN_TZ))
    assert july.created > 0
    stored = inspections(sessions)
    assert ("WF-DW-001", "campaign:flood:2026-07", "flood", "陈静", "due") in stored
    assert plan(sessions, as_of=datetime(2026, 7, 17, 7, 0, tzinfo=CN_TZ)).created == 0  # same ISO week
    later = plan(sessions, as_of=datetime(2026, 11, 27, 7, 0, tzinfo=CN_TZ))
    assert later.created == 0 and later.marked_missed == july.created
    assert ("WF-DW-001", "campaign:flood:2026-07", "flood", "陈静", "missed") in inspections(sessions)


def test_retired_sources_are_not_planned_and_a_new_source_is_notified_alone(sessions: sessionmaker[Session],
                                                                             tmp_path: Path) -> None:
    """An inactive source gets no inspection; a source added later in the day gets its own notice."""
    load(sessions, write_csv(tmp_path, [row("E1"), row("E2")]))
    with unit_of_work(sessions) as session:
        session.execute(update(HazardSourceRow).where(HazardSourceRow.code == "E2").values(active=False))
    first = plan(sessions)
    assert {code for code, *_ in inspections(sessions)} == {"E1"} and first.notices == 1
    load(sessions, write_csv(tmp_path, [row("E3", grid="第二网格")], name="more.csv"))
    second = plan(sessions)
    assert second.created == 2 and second.notices == 1  # its quarter and the winter fire campaign
    with unit_of_work(sessions) as session:
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 2
        due_on = session.scalar(select(InspectionRow.due_on).join(HazardSourceRow)
                                .where(HazardSourceRow.code == "E3"))
    assert due_on == date(2026, 12, 31)
