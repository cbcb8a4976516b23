"""The demo's drill chapter (December 2026): a tabletop drill of the gas plan scheduled, replayed through the real
flows as a drill incident (演练: its reports kept from the district), recorded with the problem it found, and that
problem rectified as a real hazard to 销号."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from emergency.clock import CN_TZ

SCENARIO = "gas-explosion-restaurant"
PROBLEM = "万福街地下通道应急广播音量不足，疏散指令听不清"


class StoryLike(Protocol):
    """What the demo keeps for its summary (emergency.demo.Story)."""

    documents: list[str]
    results: dict[str, Any]


def dec(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a time on *day* December 2026, Asia/Shanghai."""
    return datetime(2026, 12, day, hour, minute, tzinfo=CN_TZ)


def drill_steps(story: StoryLike) -> list[tuple[str, Callable[[], None]]]:
    """Return the chapter's steps: schedule, replay (a real flow run), record, and the problem's hazard to 销号."""
    from emergency.config import load_settings
    from emergency.domain.enums import DrillKind, HazardAction
    from emergency.plans.hazards import load_hazard_plan
    from emergency.runtime import open_runtime
    from emergency.services.drills import DrillRecordIn, NewDrill, find_drill, record_drill, schedule_drill
    from emergency.services.hazards import StepIn, take_step
    from emergency.services.incidents import get_office
    from flows.drill_flow import drill_run

    settings = load_settings()

    def session_do(action: Callable[[Any, Any, Any], None]) -> None:
        rt = open_runtime(settings)
        with rt.sessions.begin() as session:
            action(rt, session, get_office(session, name=settings.office))

    def schedule() -> None:
        def act(rt: Any, session: Any, office: Any) -> None:
            row = schedule_drill(session, office=office, plans=rt.plans, now=dec(1, 10), data=NewDrill(
                plan="gas", kind=DrillKind.TABLETOP, scenario=SCENARIO, scheduled_for=dec(10, 9),
                location="正阳街道办事处三楼会议室", organiser="应急管理办公室"))
            story.results["drill"] = row.number
        session_do(act)

    def run() -> None:
        result = drill_run(SCENARIO, drill=story.results["drill"], start=dec(10, 9),
                           participants=["张伟", "李强", "吴刚", "万福社区 王芳"])
        story.documents.extend(result["documents"])
        story.results["drill_run"] = result

    def record() -> None:
        def act(rt: Any, session: Any, office: Any) -> None:
            drill = find_drill(session, office=office, ident=story.results["drill"])
            done = record_drill(session, office=office, hazard_plan=load_hazard_plan(settings.plans_dir), drill=drill,
                                now=dec(12, 10), data=DrillRecordIn.model_validate({
                                    "evaluation": "先期处置和电话首报及时；终报签发拖延，需明确终报签发责任人。",
                                    "problems": [{"text": PROBLEM, "category": "物", "owner_unit": "城市建设管理办公室",
                                                  "measures": "更换地下通道广播扬声器并试播", "deadline": "2026-12-20"}]}))
            story.results["drill_hazard"] = done.hazards[0].number
        session_do(act)

    def rectify() -> None:
        def act(rt: Any, session: Any, office: Any) -> None:
            plan = load_hazard_plan(settings.plans_dir)
            number = story.results["drill_hazard"]
            for action, by, at in ((HazardAction.FIX_REPORTED, "孙建军", dec(17, 15)),
                                   (HazardAction.VERIFIED, "周平", dec(18, 10))):
                take_step(session, office=office, plan=plan, number=number, step=StepIn(action, by, at), now=at,
                          photos_base=Path.cwd())
        session_do(act)

    return [
        ("1 Dec 10:00 gas plan drill scheduled (桌面推演, 10 Dec)", schedule),
        ("10 Dec 09:00 drill run flow: the gas explosion replayed as a drill (演练)", run),
        ("12 Dec 10:00 drill recorded: evaluation, a problem becomes a hazard", record),
        ("17-18 Dec the drill's problem fixed and verified: 销号", rectify),
    ]


def drill_summary(console: Console, story: StoryLike) -> None:
    """Print the drill: what its audit found, where its messages went, and its problem's hazard."""
    result = story.results["drill_run"]
    s = result["score"]
    late = "；".join(f"{t['label']}迟{t['minutes_late']}分钟" for t in result["timings"] if t["minutes_late"])
    kept = sum(1 for row in result["outbox"] if row["diverted_from"])
    console.print(f"Drill {result['drill']} (gas plan, 桌面推演): {s['obligations']} reports owed, {s['on_time']} on time, "
                  f"{s['late']} late ({late or 'none'}); {len(result['documents'])} documents marked 演练; "
                  f"{kept} of {len(result['outbox'])} messages kept in the drill folder, none to the district; "
                  f"problem → hazard {story.results['drill_hazard']} 已销号; not counted in any statistics "
                  f"— {Path(result['record']).name}", markup=False)
