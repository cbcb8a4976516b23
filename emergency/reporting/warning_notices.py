"""The context of the 预警信息通知 (templates/warning_notice.docx) and of its short robot message: plain values, in
Chinese, Beijing time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from emergency.domain.enums import WarningAction, WarningLevel
from emergency.domain.warning_notices import CLOSING_ACTIONS
from emergency.labels import (
    WARNING_DRILL_MARK,
    WARNING_LEVEL_LABELS,
    WARNING_NO_COLOUR,
    WARNING_NOTICE_CHANGES,
    WARNING_NOTICE_LINK,
    WARNING_NOTICE_MESSAGE,
    WARNING_NOTICE_NO_LINK,
    WARNING_NOTICE_TITLES,
)
from emergency.plans.warnings import ChecklistItem
from emergency.reporting.contexts import arabic_date, chinese_date, chinese_time


@dataclass(frozen=True, slots=True)
class WarningFacts:
    """What a notice says about the warning at the step passed down."""

    action: WarningAction
    at: datetime
    type_name: str
    level: WarningLevel | None
    grade: str
    """The level's grade as the plan writes it (Ⅱ级，严重), or ""."""
    previous_level: WarningLevel | None
    sender: str
    headline: str
    area: str
    onset: datetime | None
    expires: datetime | None
    description: str
    instruction: str
    drill: bool


def colour_of(level: WarningLevel | None) -> str:
    """Return 红色 … 蓝色, or "" for a warning without colour."""
    return WARNING_LEVEL_LABELS[level] if level is not None else ""


def notice_title(facts: WarningFacts) -> str:
    """Return the notice's title, e.g. 关于暴雨橙色预警的通知."""
    return WARNING_NOTICE_TITLES[facts.action].format(type=facts.type_name, colour=colour_of(facts.level))


def change_text(facts: WarningFacts) -> str:
    """Return what happened to the warning, e.g. 2026年7月20日9时30分，长春市气象台发布暴雨橙色预警."""
    return WARNING_NOTICE_CHANGES[facts.action].format(
        at=chinese_time(facts.at), sender=facts.sender, type=facts.type_name, colour=colour_of(facts.level),
        previous=colour_of(facts.previous_level) or WARNING_NO_COLOUR)


def _within(minutes: int | None) -> str:
    if minutes is None:
        return ""
    if minutes % 60 == 0:
        return f"{minutes // 60}小时内"
    return f"{minutes}分钟内"


def _lines(text: str) -> list[str]:
    """Return a text's non-empty lines, each a paragraph of the notice."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _is_checklist(instruction: str, checklist: Sequence[ChecklistItem]) -> bool:
    """Return whether a warning's instruction is the plan's checklist (the office's own warnings default to it),
    which the notice already lists under 应对措施."""
    return bool(checklist) and all(item.text in instruction for item in checklist)


def warning_notice_context(*, office: str, facts: WarningFacts, recipient: str, document_number: str,
                           checklist: Sequence[ChecklistItem], plan_name: str, ack_due: datetime,
                           ack_url: str | None, duty_phone: str, contact: str, contact_phone: str,
                           issued_at: datetime) -> dict[str, object]:
    """Return the context of one 预警信息通知 to *recipient* (主送), issued by the office on *issued_at*."""
    return {
        "office": office,
        "document_number": document_number,
        "recipient": recipient,
        "title": notice_title(facts),
        "drill": facts.drill,
        "change": change_text(facts),
        "type_name": facts.type_name,
        "colour": colour_of(facts.level) or WARNING_NO_COLOUR,
        "grade": facts.grade,
        "sender": facts.sender,
        "headline": facts.headline.rstrip("。"),
        "area": facts.area or "本街道辖区",
        "onset": chinese_time(facts.onset or facts.at),
        "expires": chinese_time(facts.expires) if facts.expires else "",
        "description": _lines(facts.description),
        "instruction": [] if _is_checklist(facts.instruction, checklist) else _lines(facts.instruction),
        "closing": facts.action in CLOSING_ACTIONS,
        "plan_name": plan_name,
        "actions": [{"no": n, "text": item.text, "owner": item.owner_zh, "within": _within(item.within_minutes)}
                    for n, item in enumerate(checklist, start=1)],
        "ack_deadline": chinese_time(ack_due),
        "ack_url": ack_url or "",
        "duty_phone": duty_phone,
        "contact": contact,
        "contact_phone": contact_phone,
        "date_cn": chinese_date(issued_at),
        "printed_date": arabic_date(issued_at),
    }


def robot_text(facts: WarningFacts, *, recipient: str, ack_due: datetime, ack_url: str | None) -> str:
    """Return the short robot message: to whom, what happened, the headline, by when to acknowledge and how."""
    how = WARNING_NOTICE_LINK.format(link=ack_url) if ack_url else WARNING_NOTICE_NO_LINK
    return WARNING_NOTICE_MESSAGE.format(drill=WARNING_DRILL_MARK if facts.drill else "", recipient=recipient,
                                         change=change_text(facts), headline=facts.headline.rstrip("。"),
                                         deadline=chinese_time(ack_due), how=how)
