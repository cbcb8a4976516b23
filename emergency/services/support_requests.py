"""Support requests (人、财、物支援请示): a 请示 to the district during an incident, its answer deadline on the clocks,
the answer, and what arrives against it.

A request writes its 请示 (.docx), queues it on the reports' route (a drill incident's on the drill route only:
marked 演练, never to the district) and opens an obligation row (subject "support_request") in the same
transaction, so the running clocks remind before the answer deadline, flag the breach and climb the escalation
ladder of plans/escalation.yaml like any other deadline. The first answer meets it. An unanswered 请示 is never
a 迟报 finding: the clocks record live findings for reporting obligations only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.clock import format_local, isoformat_local, to_local
from emergency.db.models import (
    ClockEventRow,
    ContactRow,
    IncidentRow,
    ObligationRow,
    Office,
    SupportArrivalRow,
    SupportRequestRow,
)
from emergency.domain.enums import SupportKind, SupportStatus
from emergency.domain.support_requests import (
    NAME_MAX,
    UNIT_MAX,
    WHAT_MAX,
    Arrival,
    Item,
    ItemProgress,
    answer_problem,
    clean,
    item_of,
    parse_due_in,
    parse_item,
    progress,
    status_after_arrival,
)
from emergency.errors import ConflictError, InputError, NotFoundError
from emergency.labels import (
    SUPPORT_DUE_IN_SOURCE,
    SUPPORT_KIND_LABELS,
    SUPPORT_OBLIGATION_LABEL,
    SUPPORT_REQUEST_NUMBER,
    SUPPORT_REQUEST_SUBJECT,
)
from emergency.plans.support import SupportPlan
from emergency.reporting.documents import render_document
from emergency.reporting.notices import deadline_text
from emergency.reporting.support_requests import RequestFacts, request_title, support_request_context
from emergency.services.clocks import MET, OPEN, SUPERSEDED, WAITING
from emergency.services.hazards import Paperwork
from emergency.services.incidents import check_not_future, find_incident
from emergency.services.outbox import enqueue_routed

SUBJECT = "support_request"
"""The obligations table's subject of a 请示's answer deadline."""

TEMPLATE = "support_request.docx"
TOPIC = "report"
TOPIC_DRILL = "report_drill"
"""Routes of plans/delivery.yaml: a 请示 goes where reports go; a drill incident's to the drill folder only."""

NUMBER_PREFIX = "ZY"
"""Request numbers read ZY-2026-0001 (支援, year requested, sequence in the office and year)."""
_NUMBER = re.compile(rf"^{NUMBER_PREFIX}-(\d{{4}})-(\d+)$")
REASON_MAX = 2000

KIND_WORDS: dict[str, SupportKind] = {
    **{kind.value: kind for kind in SupportKind},
    **{label: kind for kind, label in SUPPORT_KIND_LABELS.items()},
    "人": SupportKind.PEOPLE, "财": SupportKind.FUNDS, "物": SupportKind.MATERIALS,
}
"""What `--kind` accepts: people|funds|materials, 人员/资金/物资, or 人/财/物."""

ANSWER_WORDS: dict[str, SupportStatus] = {
    "answered": SupportStatus.ANSWERED, "partly": SupportStatus.PARTLY_ANSWERED,
    "partly_answered": SupportStatus.PARTLY_ANSWERED, "refused": SupportStatus.REFUSED,
}
"""What `support answer --status` accepts."""


# --------------------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------------------


def kind_of(word: str) -> SupportKind | None:
    """Return the kind of support a word names, or None."""
    return KIND_WORDS.get(word.strip().lower())


class RequestIn(BaseModel):
    """A request as the command line or a file gives it: incident, kind, items "what:qty:unit", reason, who."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident: str = Field(min_length=1)
    kind: SupportKind
    items: tuple[str, ...] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=REASON_MAX)
    by: str = Field(min_length=1)
    due_in: str | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_word(cls, value: object) -> object:
        if isinstance(value, str):
            found = kind_of(value)
            if found is None:
                raise ValueError(f"{value!r} is not a kind of support (people, funds, materials; 人员, 资金, 物资)")
            return found
        return value


@dataclass(frozen=True, slots=True)
class RequestSummary:
    """A request as a step left it: plain data for commands and flows."""

    number: str
    document_number: str
    incident: str
    kind: str
    status: str
    due_at: datetime
    document_path: str | None
    drill: bool
    outbox_ids: tuple[int, ...] = ()


def _name(record: str, field: str, value: str) -> str:
    name = clean(value)
    if not name:
        raise InputError(record, field, "is empty: say who")
    if len(name) > NAME_MAX:
        raise InputError(record, field, f"longer than {NAME_MAX} characters")
    return name


def _items(record: str, texts: Sequence[str]) -> tuple[Item, ...]:
    items: list[Item] = []
    for n, text in enumerate(texts):
        try:
            items.append(parse_item(text))
        except ValueError as exc:
            raise InputError(record, f"items[{n}]", str(exc)) from None
    return tuple(items)


def _when(record: str, at: datetime | None, now: datetime, after: datetime, after_what: str) -> datetime:
    """Return *at* (default now) checked: not in the future, not before *after*."""
    when = at or now
    check_not_future(record, "at", when, now)
    if when < after:
        raise InputError(record, "at", f"{isoformat_local(when)} is before the request's {after_what} "
                                       f"({isoformat_local(after)})")
    return when


# --------------------------------------------------------------------------------------------------------------
# Requesting
# --------------------------------------------------------------------------------------------------------------


def next_number(session: Session, *, office: Office, year: int) -> tuple[str, int]:
    """Return the next request number of the office in *year* and its sequence (ZY-2026-0003, 3)."""
    prefix = f"{NUMBER_PREFIX}-{year}-"
    numbers = session.scalars(select(SupportRequestRow.number).where(SupportRequestRow.office_id == office.id,
                                                                     SupportRequestRow.number.like(f"{prefix}%")))
    last = max((int(m.group(2)) for n in numbers if (m := _NUMBER.match(n))), default=0)
    return f"{prefix}{last + 1:04d}", last + 1


def document_number(request: SupportRequestRow) -> str:
    """Return the 请示's 发文字号 (正阳应急请〔2026〕3号) from the request number."""
    match = _NUMBER.match(request.number)
    year, sequence = (int(match.group(1)), int(match.group(2))) if match else (to_local(request.requested_at).year, 0)
    return SUPPORT_REQUEST_NUMBER.format(year=year, number=sequence)


def _contact(session: Session, office: Office, requested_by: str) -> tuple[str, str]:
    """Return the emergency office (应急管理办公室) contact a 请示 names in its 附注 (else who asked, no phone)."""
    row = session.scalar(select(ContactRow).where(ContactRow.office_id == office.id,
                                                  ContactRow.role == "emergency_office"))
    return (row.name, row.phone) if row is not None else (requested_by, "")


def request_support(session: Session, *, office: Office, plan: SupportPlan, data: RequestIn, now: datetime,
                    paperwork: Paperwork) -> RequestSummary:
    """Store a request, write its 请示, queue it for the district and start its answer clock (all or nothing)."""
    incident = find_incident(session, office=office, ident=data.incident.strip())
    record = f"support request for incident {incident.ref}"
    items = _items(record, data.items)
    reason = clean(data.reason)
    if not reason:
        raise InputError(record, "reason", "is empty: say why the office needs the support")
    by = _name(record, "by", data.by)
    if data.due_in is not None:
        try:
            due_in = parse_due_in(data.due_in)
        except ValueError as exc:
            raise InputError(record, "due_in", str(exc)) from None
        rule = "support.due_in"
        source = SUPPORT_DUE_IN_SOURCE.format(by=by, hours=f"{due_in.total_seconds() / 3600:g}")
    else:
        deadline = plan.answer_deadlines.of(data.kind)
        due_in, rule, source = deadline.delta, f"support.answer_deadlines.{data.kind.value}", deadline.source
    due_at = (now + due_in).astimezone(UTC)
    number, _sequence = next_number(session, office=office, year=to_local(now).year)
    request = SupportRequestRow(
        office_id=office.id, incident_id=incident.id, number=number, kind=data.kind.value,
        items=[item.as_json() for item in items], reason=reason, addressed_to=plan.addressed_to, requested_at=now,
        requested_by=by, due_at=due_at, status=SupportStatus.REQUESTED.value, drill=incident.drill, created_at=now,
        updated_at=now)
    session.add(request)
    session.flush()
    contact, phone = _contact(session, office, by)
    facts = RequestFacts(
        document_number=document_number(request), kind=data.kind, items=items, reason=reason, incident=incident.ref,
        incident_title=incident.title, location=incident.location, occurred_at=incident.occurred_at, due_at=due_at,
        requested_by=by, contact=contact, contact_phone=phone, drill=incident.drill)
    context = support_request_context(office=office.name, facts=facts, addressed_to=plan.addressed_to,
                                      copy_to=plan.copy_to, urgency=plan.urgency, issued_at=now)
    path = render_document(TEMPLATE, context, paperwork.out_dir / f"{number}-support-request.docx",
                           paperwork.templates_dir)
    request.document_path = str(path)
    title = request_title(incident.title, data.kind)
    subject = SUPPORT_REQUEST_SUBJECT.format(title=title, number=facts.document_number, due=deadline_text(due_at))
    body = {"type": "support_request", "office": office.name, "request": number,
            "document_number": facts.document_number, "incident": incident.ref, "kind": data.kind.value,
            "kind_label": SUPPORT_KIND_LABELS[data.kind], "items": [item.as_json() for item in items],
            "reason": reason, "to": plan.addressed_to, "copy_to": list(plan.copy_to),
            "requested_by": by, "requested_at": isoformat_local(now), "due_at": isoformat_local(due_at)}
    outbox = enqueue_routed(session, config=paperwork.delivery, key=f"support-{office.id}-{number}",
                            topic=TOPIC_DRILL if incident.drill else TOPIC, subject=subject, body=body,
                            attachment=path, now=now, drill=incident.drill)
    session.add(ObligationRow(
        key=obligation_key(request), subject=SUBJECT, office_id=office.id, incident_id=incident.id, kind=SUBJECT,
        label=SUPPORT_OBLIGATION_LABEL.format(number=number)[:64], due_at=due_at, rule=rule, source=source,
        status=OPEN, created_at=now, updated_at=now, drill=incident.drill))
    session.flush()
    return _summary(request, incident, tuple(outbox))


def obligation_key(request: SupportRequestRow) -> str:
    """Return the obligation key of the request's answer deadline."""
    return f"support-{request.id}-answer-{request.due_at.astimezone(UTC).isoformat()}"


def _settle_clock(session: Session, *, request: SupportRequestRow, now: datetime) -> list[int]:
    """Meet the answer clock at the first answer; supersede it when the request closes without one."""
    changed: list[int] = []
    for row in session.scalars(select(ObligationRow).where(ObligationRow.subject == SUBJECT,
                                                           ObligationRow.key.like(f"support-{request.id}-answer-%"))):
        if row.status not in WAITING:
            continue
        if request.answered_at is not None:
            row.status, row.met_at = MET, request.answered_at
        elif request.status == SupportStatus.CLOSED.value:
            row.status = SUPERSEDED
        else:
            continue
        row.updated_at = now
        changed.append(row.id)
    return changed


def _summary(request: SupportRequestRow, incident: IncidentRow | None,
             outbox: tuple[int, ...] = ()) -> RequestSummary:
    return RequestSummary(request.number, document_number(request), incident.ref if incident else "", request.kind,
                          request.status, request.due_at, request.document_path, request.drill, outbox)


# --------------------------------------------------------------------------------------------------------------
# Answer and arrivals
# --------------------------------------------------------------------------------------------------------------


def find_request(session: Session, *, office: Office, number: str) -> SupportRequestRow:
    """Return the office's request by its number (ZY-2026-0001), or raise NotFoundError."""
    row = session.scalar(select(SupportRequestRow).where(SupportRequestRow.office_id == office.id,
                                                         SupportRequestRow.number == number.strip().upper()))
    if row is None:
        raise NotFoundError(f"support request {number}: no such request (see `emergency support list`)")
    return row


def answer_request(session: Session, *, office: Office, number: str, status: SupportStatus, answer: str, by: str,
                   at: datetime | None, now: datetime) -> RequestSummary:
    """Record the district's answer (批复): answered, partly answered or refused; the first answer stops the clock.

    A partial answer may be followed by another answer (the rest granted, or refused); each is kept, with its time
    and who recorded it, in the answer text.
    """
    request = find_request(session, office=office, number=number)
    record = f"support request {request.number}"
    problem = answer_problem(SupportStatus(request.status), status)
    if problem is not None:
        raise ConflictError(f"{record}, field status: {problem}")
    text = clean(answer)
    if not text:
        raise InputError(record, "answer", "is empty: say what the district answered (批复内容)")
    who = _name(record, "by", by)
    when = _when(record, at, now, request.answered_at or request.requested_at,
                 "first answer" if request.answered_at else "time")
    line = f"{format_local(when)} {who}：{text}"
    request.answer = f"{request.answer}\n{line}" if request.answer else line
    first = request.answered_at is None
    request.status, request.answered_by = status.value, who
    request.answered_at = when if first else request.answered_at
    if status is not SupportStatus.REFUSED:
        after = status_after_arrival(status, _progress(request))
        if after is SupportStatus.CLOSED:
            request.status, request.closed_at = after.value, when
    request.updated_at = now
    session.flush()
    _settle_clock(session, request=request, now=now)
    return _summary(request, session.get(IncidentRow, request.incident_id) if request.incident_id else None)


def _progress(request: SupportRequestRow) -> tuple[ItemProgress, ...]:
    return progress([item_of(i) for i in request.items],
                    [Arrival(a.what, a.quantity, a.unit) for a in request.arrivals])


@dataclass(frozen=True, slots=True)
class ArrivalSummary:
    """What arrived, and where the request stands after it."""

    number: str
    status: str
    line: ItemProgress
    lines: tuple[ItemProgress, ...]


def record_arrival(session: Session, *, office: Office, number: str, what: str, quantity: Decimal | None, unit: str,
                   by: str, at: datetime | None, now: datetime, note: str = "") -> ArrivalSummary:
    """Record what arrived against a request (people, money or materials) and who received it."""
    request = find_request(session, office=office, number=number)
    record = f"support request {request.number}"
    if request.status in (SupportStatus.REFUSED.value, SupportStatus.CLOSED.value):
        raise ConflictError(f"{record}, field status: the request is {request.status}; nothing more is expected")
    thing = clean(what)
    if not thing or len(thing) > WHAT_MAX:
        raise InputError(record, "what", f"must have 1 to {WHAT_MAX} characters")
    unit_text = clean(unit)
    if len(unit_text) > UNIT_MAX:
        raise InputError(record, "unit", f"longer than {UNIT_MAX} characters")
    if quantity is not None and quantity <= 0:
        raise InputError(record, "quantity", "must be a positive number")
    if quantity is not None and not unit_text:
        raise InputError(record, "unit", "is required with a quantity (条, 人, 万元 …)")
    who = _name(record, "by", by)
    when = _when(record, at, now, request.requested_at, "time")
    # Appended to the loaded collection (which adds it to the session), so what it holds is what is counted.
    request.arrivals.append(SupportArrivalRow(at=when, what=thing, quantity=quantity, unit=unit_text, received_by=who,
                                              note=clean(note), created_at=now))
    lines = _progress(request)
    after = status_after_arrival(SupportStatus(request.status), lines)
    if after is SupportStatus.CLOSED:
        request.status, request.closed_at = after.value, when
    request.updated_at = now
    session.flush()
    _settle_clock(session, request=request, now=now)
    key = (thing.casefold(), unit_text.casefold())
    line = next(p for p in lines if (clean(p.what).casefold(), clean(p.unit).casefold()) == key)
    return ArrivalSummary(request.number, request.status, line, lines)


# --------------------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """A request as people read it: what was asked, of whom, by when, the answer and what arrived."""

    number: str
    document_number: str
    incident: str
    incident_title: str
    kind: str
    status: str
    items: tuple[Item, ...]
    reason: str
    addressed_to: str
    requested_at: datetime
    requested_by: str
    due_at: datetime
    answered_at: datetime | None
    answered_by: str | None
    answer: str | None
    closed_at: datetime | None
    drill: bool
    document_path: str | None
    lines: tuple[ItemProgress, ...]
    overdue: bool


@dataclass(frozen=True, slots=True)
class ArrivalInfo:
    """One arrival recorded against a request."""

    at: datetime
    what: str
    quantity: Decimal | None
    unit: str
    received_by: str
    note: str


@dataclass(frozen=True, slots=True)
class RequestDetail:
    """A request with its arrivals and its answer clock (status and the steps it fired)."""

    info: RequestInfo
    arrivals: tuple[ArrivalInfo, ...]
    clock_status: str | None
    clock_steps: tuple[tuple[str, datetime, str], ...]


def _info(request: SupportRequestRow, incident: IncidentRow | None, now: datetime) -> RequestInfo:
    return RequestInfo(
        number=request.number, document_number=document_number(request), incident=incident.ref if incident else "",
        incident_title=incident.title if incident else "", kind=request.kind, status=request.status,
        items=tuple(item_of(i) for i in request.items), reason=request.reason, addressed_to=request.addressed_to,
        requested_at=request.requested_at, requested_by=request.requested_by, due_at=request.due_at,
        answered_at=request.answered_at, answered_by=request.answered_by, answer=request.answer,
        closed_at=request.closed_at, drill=request.drill, document_path=request.document_path,
        lines=_progress(request),
        overdue=request.status == SupportStatus.REQUESTED.value and now > request.due_at)


OPEN_STATUSES = (SupportStatus.REQUESTED, SupportStatus.ANSWERED, SupportStatus.PARTLY_ANSWERED)
"""A request still open: waiting for the answer, or for what was granted to arrive."""


def list_requests(session: Session, *, office: Office, now: datetime, incident: str | None = None,
                  open_only: bool = False) -> list[RequestInfo]:
    """Return the office's requests, newest first; of one incident, and only the open ones, if asked."""
    query = (select(SupportRequestRow, IncidentRow)
             .outerjoin(IncidentRow, IncidentRow.id == SupportRequestRow.incident_id)
             .where(SupportRequestRow.office_id == office.id))
    if incident is not None:
        query = query.where(SupportRequestRow.incident_id == find_incident(session, office=office, ident=incident).id)
    if open_only:
        query = query.where(SupportRequestRow.status.in_([s.value for s in OPEN_STATUSES]))
    rows = session.execute(query.order_by(SupportRequestRow.requested_at.desc(), SupportRequestRow.id.desc()))
    return [_info(request, found, now) for request, found in rows.tuples()]


def request_detail(session: Session, *, office: Office, number: str, now: datetime) -> RequestDetail:
    """Return one request with every arrival (who received what, when) and its answer clock."""
    request = find_request(session, office=office, number=number)
    incident = session.get(IncidentRow, request.incident_id) if request.incident_id else None
    arrivals = tuple(ArrivalInfo(a.at, a.what, a.quantity, a.unit, a.received_by, a.note)
                     for a in sorted(request.arrivals, key=lambda a: (a.at, a.id)))
    clock = session.scalar(select(ObligationRow).where(ObligationRow.subject == SUBJECT,
                                                       ObligationRow.key == obligation_key(request)))
    steps: tuple[tuple[str, datetime, str], ...] = ()
    if clock is not None:
        steps = tuple((e.step, e.fired_at, e.recipient) for e in session.scalars(
            select(ClockEventRow).where(ClockEventRow.obligation_id == clock.id).order_by(ClockEventRow.fired_at)))
    return RequestDetail(_info(request, incident, now), arrivals, clock.status if clock else None, steps)
