"""The context of the 隐患整改通知书 (templates/rectification_notice.docx): a plain dict, in Chinese, Beijing time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from emergency.clock import to_local
from emergency.domain.enums import HazardCategory, HazardGrade
from emergency.labels import (
    DEFAULT_MEASURES,
    DEFAULT_RESPONSIBLE,
    HAZARD_CATEGORY_LABELS,
    HAZARD_GRADE_LABELS,
    RECTIFICATION_NOTICE_TITLE,
)
from emergency.reporting.contexts import arabic_date, chinese_date, chinese_time


def deadline_text(deadline: datetime) -> str:
    """Return a deadline as officials write it: the end of a day is 2026年12月3日24时, any other time as it is."""
    local = to_local(deadline)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        day = (local - timedelta(days=1)).date()
        return f"{day.year}年{day.month}月{day.day}日24时"
    return chinese_time(deadline)


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What a 整改通知书 says about one hazard."""

    number: str
    document_number: str
    owner_unit: str
    source_name: str
    location: str
    description: str
    grade: HazardGrade
    grade_definition: str
    category: HazardCategory
    measures: str
    responsible_person: str
    found_at: datetime
    inspector: str
    deadline: datetime
    photos: int
    drill: bool


def rectification_notice_context(*, office: str, facts: NoticeFacts, district: str, contact: str, contact_phone: str,
                                 issued_at: datetime) -> dict[str, object]:
    """Return the context of a 隐患整改通知书 for the owner unit (主送), issued by the office on *issued_at*."""
    return {
        "office": office,
        "document_number": facts.document_number,
        "recipient": facts.owner_unit,
        "title": RECTIFICATION_NOTICE_TITLE,
        "drill": facts.drill,
        "number": facts.number,
        "source_name": facts.source_name,
        "location": facts.location or facts.source_name,
        "description": facts.description.rstrip("。"),
        "grade": HAZARD_GRADE_LABELS[facts.grade],
        "grade_definition": facts.grade_definition,
        "major": facts.grade is HazardGrade.MAJOR,
        "category": HAZARD_CATEGORY_LABELS[facts.category],
        "measures": (facts.measures or DEFAULT_MEASURES).rstrip("。"),
        "responsible_person": facts.responsible_person or DEFAULT_RESPONSIBLE,
        "found_at": chinese_time(facts.found_at),
        "inspector": facts.inspector,
        "deadline": deadline_text(facts.deadline),
        "photos": facts.photos,
        "district": district,
        "contact": contact,
        "contact_phone": contact_phone,
        "date_cn": chinese_date(issued_at),
        "printed_date": arabic_date(issued_at),
    }
