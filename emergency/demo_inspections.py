"""The demo's hazard-inspection chapter: November 2026 at 正阳街道, from the source register to the month's ledger.

The register and a day's results are the example files in examples/ (as an office keeps them in Excel and the grid
app exports them); planning, delivery and the ledger run as real flow runs, results and 销号 through the services
the `emergency inspection` and `emergency hazard` commands use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from rich import box
from rich.console import Console
from rich.table import Table

from emergency.clock import CN_TZ, to_local

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REGISTER = EXAMPLES / "hazard-sources-zhengyang.xlsx"
RESULTS = EXAMPLES / "inspection-results-zhengyang.csv"
FIXED_SOURCE = "WF-SG-001"
"""The source whose 一般隐患 (基坑临边防护) the demo follows to 销号."""


class StoryLike(Protocol):
    """What the demo keeps for its summary (emergency.demo.Story)."""

    documents: list[str]
    results: dict[str, Any]


def nov(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """Return a time in the inspection chapter: *day* November 2026 (or *month*), Asia/Shanghai."""
    return datetime(2026, month, day, hour, minute, tzinfo=CN_TZ)


def inspection_steps(story: StoryLike) -> list[tuple[str, Callable[[], None]]]:
    """Return the chapter's steps: register, planning, results, delivery, fix, 复查验收, the month's ledger."""
    from emergency.config import load_settings
    from emergency.delivery_config import load_delivery
    from emergency.domain.enums import HazardAction
    from emergency.plans.hazards import load_hazard_plan
    from emergency.plans.inspections import load_inspection_plan
    from emergency.runtime import open_runtime
    from emergency.services.hazard_sources import import_sources
    from emergency.services.hazards import Paperwork, StepIn, take_step
    from emergency.services.incidents import get_office
    from emergency.services.inspection_results import import_results
    from flows.delivery_flow import outbox_delivery
    from flows.inspection_flow import inspection_planning
    from flows.inspection_report_flow import inspection_report

    settings = load_settings()

    def session_do(action: Callable[[Any, Any], None]) -> None:
        rt = open_runtime(settings)
        with rt.sessions.begin() as session:
            action(session, get_office(session, name=settings.office))

    def paperwork() -> Paperwork:
        return Paperwork(load_delivery(settings.plans_dir), settings.district_recipient, settings.output_dir,
                         settings.templates_dir)

    def register() -> None:
        def act(session: Any, office: Any) -> None:
            done = import_sources(session, office=office, path=REGISTER, now=nov(26, 6, 50),
                                  plan=load_inspection_plan(settings.plans_dir))
            story.results["register"] = done.created + done.updated
        session_do(act)

    def planning() -> None:
        story.results["planning"] = inspection_planning(as_of=nov(26, 7))

    def results() -> None:
        def act(session: Any, office: Any) -> None:
            imported = import_results(session, office=office, plan=load_hazard_plan(settings.plans_dir), path=RESULTS,
                                      now=nov(26, 17), paperwork=paperwork())
            story.results["inspection_results"] = imported
            story.documents.extend(h.notice_path for h in imported.hazards if h.notice_path)
        session_do(act)

    def deliver() -> None:
        story.results["hazard_delivery"] = outbox_delivery(as_of=nov(26, 17, 5))

    def step(action: HazardAction, by: str, at: datetime) -> Callable[[], None]:
        def run() -> None:
            def act(session: Any, office: Any) -> None:
                number = _hazard_of(session, office, FIXED_SOURCE)
                take_step(session, office=office, plan=load_hazard_plan(settings.plans_dir), number=number,
                          step=StepIn(action, by, at), now=at, photos_base=Path.cwd())
                story.results["fixed_hazard"] = number
            session_do(act)
        return run

    def ledger() -> None:
        result = inspection_report(month="2026-11", as_of=nov(1, 9, 30, month=12))
        story.documents.append(result["document"])
        story.results["ledger"] = result

    return [
        ("26 Nov 06:50 hazard-source register imported (examples/, 16 sources)", register),
        ("26 Nov 07:00 inspection planning flow: tasks to the grid leaders", planning),
        ("26 Nov 17:00 the day's results imported from the grid app", results),
        ("26 Nov 17:05 delivery flow: 重大事故隐患 to the district, 整改通知书 to owners", deliver),
        ("27 Nov 16:00 基坑临边防护 reported fixed (整改完成)", step(HazardAction.FIX_REPORTED, "孙建军", nov(27, 16))),
        ("28 Nov 10:00 复查验收 passed: 销号", step(HazardAction.VERIFIED, "周平", nov(28, 10))),
        ("1 Dec 09:30 隐患排查治理台账 flow (November)", ledger),
    ]


def _hazard_of(session: Any, office: Any, source_code: str) -> str:
    """Return the number of the first hazard found at the source with *source_code*."""
    from sqlalchemy import select

    from emergency.db.models import HazardRow, HazardSourceRow

    return str(session.scalars(select(HazardRow.number).join(HazardSourceRow, HazardSourceRow.id == HazardRow.source_id)
                               .where(HazardRow.office_id == office.id, HazardSourceRow.code == source_code)
                               .order_by(HazardRow.id)).first())


def inspection_summary(console: Console, story: StoryLike) -> None:
    """Print the chapter: planning, results, each hazard where it stands, and the month's ledger."""
    from emergency.cli_hazards import deadline_local
    from emergency.config import load_settings
    from emergency.domain.enums import HazardGrade, HazardStatus
    from emergency.labels import HAZARD_GRADE_SHORT_LABELS, HAZARD_STATUS_LABELS
    from emergency.runtime import open_runtime
    from emergency.services.hazards import list_hazards
    from emergency.services.incidents import get_office

    planning = story.results["planning"]
    imported = story.results["inspection_results"]
    console.print(f"Hazard inspection, November 2026: {story.results['register']} sources in the register; planning "
                  f"on 26 Nov created {planning['created']} inspections, {planning['notices']} notices to grid leaders; "
                  f"{imported.results} results recorded ({imported.passed} passed, {imported.with_findings} with "
                  f"findings, {len(imported.hazards)} hazards)", markup=False)
    settings = load_settings()
    rt = open_runtime(settings)
    end = nov(1, 9, 30, month=12)
    table = Table(title="Hazards (隐患) on 1 Dec 09:30", box=box.SIMPLE_HEAD)
    for column in ("number", "grade", "source", "status", "rectify by", "挂牌督办"):
        table.add_column(column, no_wrap=True)
    with rt.sessions.begin() as session:
        office = get_office(session, name=settings.office)
        for info in list_hazards(session, office=office, now=end):
            reported = info.reported_to_district_at
            table.add_row(info.number, HAZARD_GRADE_SHORT_LABELS[HazardGrade(info.grade)].removesuffix("隐患"),
                          info.source_code or "—", HAZARD_STATUS_LABELS[HazardStatus(info.status)],
                          deadline_local(info.deadline), f"{to_local(reported):%m-%d %H:%M}" if reported else "—")
    console.print(table)
    ledger = story.results["ledger"]
    s = ledger["summary"]
    rate = "—" if s["on_time_rate"] is None else f"{s['on_time_rate'] * 100:.1f}%"
    console.print(f"隐患排查治理台账 2026-11: inspections due {s['due']}, on time {s['on_time']} ({rate}), late "
                  f"{s['late']}, not done {s['missing']} (the demo records one day's results); hazards found "
                  f"{s['found']}, closed {s['closed']}, open {s['open']} ({s['overdue']} overdue), 重大 {s['majors']} "
                  f"— {Path(ledger['document']).name}, {Path(ledger['workbook']).name}", markup=False)
