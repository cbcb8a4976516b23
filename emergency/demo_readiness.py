"""The demo's support and readiness chapters: a 请示 to the district during the gas explosion, its answer and what
arrived; and, at the end, the 应急准备情况报告 of 2026 written by the readiness flow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from emergency.clock import CN_TZ

INCIDENT = "2026-0301"
"""The demo's gas explosion."""


class StoryLike(Protocol):
    """What the demo keeps for its summary (emergency.demo.Story)."""

    documents: list[str]
    results: dict[str, Any]


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a time on *day* March 2026, Asia/Shanghai."""
    return datetime(2026, 3, day, hour, minute, tzinfo=CN_TZ)


def support_steps(story: StoryLike) -> list[tuple[str, Callable[[], None]]]:
    """Return the chapter's steps: the 请示 for materials, the district's answer, the materials arriving."""
    from emergency.config import load_settings
    from emergency.delivery_config import load_delivery
    from emergency.domain.enums import SupportStatus
    from emergency.plans.support import load_support_plan
    from emergency.runtime import open_runtime
    from emergency.services.hazards import Paperwork
    from emergency.services.incidents import get_office
    from emergency.services.support_requests import RequestIn, answer_request, record_arrival, request_support

    settings = load_settings()

    def session_do(action: Callable[[Any, Any], None]) -> None:
        rt = open_runtime(settings)
        with rt.sessions.begin() as session:
            action(session, get_office(session, name=settings.office))

    def request() -> None:
        plan = load_support_plan(settings.plans_dir)

        def act(session: Any, office: Any) -> None:
            done = request_support(session, office=office, plan=plan, now=mar(1, 9, 40), data=RequestIn(
                incident=INCIDENT, kind="materials", items=("移动式排水泵:4:台", "防爆照明灯:10:台", "警戒带:50:卷"),
                reason="现场抽排积水和夜间警戒所需设备不足，街道储备无法满足", by="张伟"),
                paperwork=Paperwork(load_delivery(settings.plans_dir), plan.addressed_to, settings.output_dir,
                                    settings.templates_dir))
            story.results["support"] = done.number
            if done.document_path:
                story.documents.append(done.document_path)
        session_do(act)

    def deliver() -> None:
        from flows.delivery_flow import outbox_delivery

        story.results["support_delivery"] = outbox_delivery(as_of=mar(1, 9, 41))

    def answer() -> None:
        def act(session: Any, office: Any) -> None:
            answer_request(session, office=office, number=story.results["support"], status=SupportStatus.ANSWERED,
                           answer="同意，区应急管理局从区级储备库调拨，11时前送达现场", by="吴刚", at=None,
                           now=mar(1, 10, 20))
        session_do(act)

    def arrive() -> None:
        def act(session: Any, office: Any) -> None:
            for what, quantity, unit in (("移动式排水泵", 4, "台"), ("防爆照明灯", 10, "台"), ("警戒带", 30, "卷")):
                record_arrival(session, office=office, number=story.results["support"], what=what,
                               quantity=Decimal(quantity), unit=unit, by="周平", at=None, now=mar(1, 11, 5),
                               note="区应急管理局调拨")
        session_do(act)

    return [
        ("09:40 请示 to the district for pumps, lights and warning tape", request),
        ("09:41 delivery flow: the 请示 reaches the district", deliver),
        ("10:20 the district answers: granted", answer),
        ("11:05 pumps, lights and most of the tape arrive", arrive),
    ]


def readiness_steps(story: StoryLike) -> list[tuple[str, Callable[[], None]]]:
    """Return the last step: the readiness flow writes the year's 应急准备情况报告."""
    from flows.readiness_report_flow import readiness_report

    def report() -> None:
        result = readiness_report(year="2026", as_of=datetime(2027, 1, 5, 9, tzinfo=CN_TZ))
        story.documents.append(result["document"])
        story.results["readiness"] = result

    return [("5 Jan 2027 09:00 readiness report flow: 应急准备情况报告 of 2026", report)]


def support_summary(console: Console, story: StoryLike) -> None:
    """Print the support request (received against requested) and the readiness report's headline numbers."""
    from emergency.config import load_settings
    from emergency.domain.enums import SupportStatus
    from emergency.domain.support_requests import plain
    from emergency.labels import SUPPORT_STATUS_LABELS
    from emergency.runtime import open_runtime
    from emergency.services.incidents import get_office
    from emergency.services.support_requests import request_detail

    settings = load_settings()
    rt = open_runtime(settings)
    with rt.sessions.begin() as session:
        detail = request_detail(session, office=get_office(session, name=settings.office),
                                number=story.results["support"], now=mar(1, 12))
    info = detail.info
    lines = "；".join(f"{p.what} {plain(p.received)}/{plain(p.requested or Decimal(0))}{p.unit}" for p in info.lines)
    status = SUPPORT_STATUS_LABELS[SupportStatus(info.status)]
    console.print(f"Support request {info.number} ({info.document_number}): {status}, answer clock "
                  f"{detail.clock_status}; arrived/requested: {lines}", markup=False)
    readiness = story.results["readiness"]
    s = readiness["summary"]
    console.print(f"应急准备情况报告 2026: plans in force {s['plans']['in_force']}, drills held {s['drills']['held']}, "
                  f"supplies short {s['supplies']['short']}, hazards found {s['hazards']['found']} (open "
                  f"{s['hazards']['open']}), reports on time {s['reporting']['on_time']} of "
                  f"{s['reporting']['obligations']}, support requests {s['support']['requested']} — "
                  f"{Path(readiness['document']).name}", markup=False)
