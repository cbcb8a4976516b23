"""The context of a 请示 for support (templates/support_request.docx): a plain dict, in Chinese, Beijing time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from emergency.domain.enums import SupportKind
from emergency.domain.support_requests import Item, plain
from emergency.labels import SUPPORT_KIND_LABELS, SUPPORT_REQUEST_TITLE
from emergency.reporting.contexts import arabic_date, chinese_date, chinese_time
from emergency.reporting.notices import deadline_text


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What a 请示 says: the incident, what is asked for and why, by when, and who to call."""

    document_number: str
    kind: SupportKind
    items: Sequence[Item]
    reason: str
    incident: str
    incident_title: str
    location: str
    occurred_at: datetime
    due_at: datetime
    requested_by: str
    contact: str
    contact_phone: str
    drill: bool


def request_title(incident_title: str, kind: SupportKind) -> str:
    """Return the 请示's title: one matter, the incident and the kind of support (关于…请求支援物资的请示)."""
    return SUPPORT_REQUEST_TITLE.format(incident=incident_title.rstrip("。"), kind=SUPPORT_KIND_LABELS[kind])


def support_request_context(*, office: str, facts: RequestFacts, addressed_to: str, copy_to: Sequence[str],
                            urgency: str, issued_at: datetime) -> dict[str, object]:
    """Return the context of a 请示 to *addressed_to* (the one 主送机关), issued by the office on *issued_at*."""
    return {
        "office": office,
        "urgency": urgency,
        "document_number": facts.document_number,
        "signer": facts.requested_by,
        "title": request_title(facts.incident_title, facts.kind),
        "recipient": addressed_to,
        "drill": facts.drill,
        "incident": facts.incident,
        "incident_title": facts.incident_title.rstrip("。"),
        "location": facts.location.rstrip("。"),
        "occurred_at": chinese_time(facts.occurred_at),
        "reason": facts.reason.strip().rstrip("。；;，,"),
        "kind": SUPPORT_KIND_LABELS[facts.kind],
        "items": [{"no": n, "what": item.what, "quantity": plain(item.quantity), "unit": item.unit}
                  for n, item in enumerate(facts.items, start=1)],
        "due": deadline_text(facts.due_at),
        "contact": facts.contact,
        "contact_phone": facts.contact_phone,
        "copy_to": "、".join(copy_to),
        "date_cn": chinese_date(issued_at),
        "printed_date": arabic_date(issued_at),
    }
