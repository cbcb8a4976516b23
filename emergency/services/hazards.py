"""Hazards (隐患): record an inspection's result, turn each finding into a hazard with its 整改通知书, and follow it
through extension, fix and 复查验收 to 销号. Every step is a hazard event (who, when); the deadline is a clock.

A hazard's rectification deadline is an obligation row (subject "rectification") kept in line with the hazard in
the same transaction as each change, so the running deadline clocks remind before it, flag the breach and climb
the escalation ladder of plans/escalation.yaml through the outbox. An approved extension supersedes the old
obligation and opens one for the new deadline; 销号 meets it. A rectification breach is never a 迟报 finding: the
clocks record live findings for reporting obligations only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.clock import isoformat_local, to_local
from emergency.db.models import (
    ClockEventRow,
    CommunityRow,
    ContactRow,
    HazardEventRow,
    HazardRow,
    HazardSourceRow,
    InspectionRow,
    ObligationRow,
    Office,
)
from emergency.delivery_config import DeliveryConfig
from emergency.domain.enums import (
    HazardAction,
    HazardCategory,
    HazardGrade,
    HazardStatus,
    InspectionResult,
    InspectionStatus,
)
from emergency.domain.hazards import (
    Finding,
    HazardState,
    Step,
    apply_step,
    default_deadline,
    end_of_local_day,
    finding_problems,
    overdue_days,
)
from emergency.errors import ConflictError, InputError, NotFoundError
from emergency.labels import (
    HAZARD_CATEGORY_LABELS,
    HAZARD_GRADE_LABELS,
    MAJOR_HAZARD_SUBJECT,
    RECTIFICATION_LABEL,
    RECTIFICATION_NOTICE_NUMBER,
    RECTIFICATION_NOTICE_SUBJECT,
    SUPERVISED_MARK,
)
from emergency.plans.hazards import HazardPlan
from emergency.reporting.documents import render_document
from emergency.reporting.notices import NoticeFacts, deadline_text, rectification_notice_context
from emergency.services.clocks import MET, OPEN, SUPERSEDED, WAITING
from emergency.services.incidents import check_not_future
from emergency.services.outbox import enqueue_routed
from emergency.timelines import AwareTime

SUBJECT = "rectification"
"""The obligations table's subject of a rectification deadline."""

NOTICE_TEMPLATE = "rectification_notice.docx"
NUMBER_PREFIX = "YH"
"""Hazard numbers read YH-2026-0001 (隐患, year found, sequence in the office and year)."""

NAME_MAX = 64
ITEM_MAX = 200
_NUMBER = re.compile(rf"^{NUMBER_PREFIX}-(\d{{4}})-(\d+)$")


# --------------------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------------------


def _deadline_value(value: object) -> object:
    """Accept a deadline as a date (the end of that local day) or an aware time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return end_of_local_day(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return end_of_local_day(date.fromisoformat(text))
        except ValueError:
            pass
        from emergency.timelines import parse_aware

        return parse_aware(text)
    return value


class FindingIn(BaseModel):
    """One hazard found, as the grid app or the command line gives it; grade and category are words to resolve."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1, max_length=2000)
    grade: str = Field(min_length=1)
    category: str = Field(min_length=1)
    measures: str = Field(default="", max_length=2000)
    responsible_person: str = Field(default="", max_length=NAME_MAX)
    deadline: date | datetime | str | None = None
    location: str | None = Field(default=None, max_length=1000)
    owner_unit: str | None = Field(default=None, max_length=200)


class ResultIn(BaseModel):
    """One inspection's result: which inspection, who, when, what was checked, passed or the findings, photos."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inspection: int | None = Field(default=None, ge=1)
    source: str | None = Field(default=None, min_length=1, max_length=64)
    period: str | None = Field(default=None, min_length=1, max_length=64)
    by: str = Field(min_length=1, max_length=NAME_MAX)
    at: AwareTime | None = None
    items: tuple[str, ...] = ()
    result: InspectionResult
    findings: tuple[FindingIn, ...] = ()
    photos: tuple[str, ...] = ()
    note: str | None = Field(default=None, max_length=2000)


@dataclass(frozen=True, slots=True)
class Paperwork:
    """Where documents are written and sent: the delivery routes, the district recipient, the folders."""

    delivery: DeliveryConfig
    district_recipient: str
    out_dir: Path
    templates_dir: Path


@dataclass(frozen=True, slots=True)
class _ResolvedFinding:
    finding: Finding
    category: HazardCategory
    location: str


@dataclass(frozen=True, slots=True)
class PreparedResult:
    """A result checked against the stored inspection and the plan, ready to store (nothing written yet)."""

    inspection_id: int
    record: str
    by: str
    at: datetime
    items: tuple[str, ...]
    result: InspectionResult
    findings: tuple[_ResolvedFinding, ...]
    photos: tuple[str, ...]
    note: str | None
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class HazardSummary:
    """A hazard as a step left it: plain data for commands and flows."""

    number: str
    grade: str
    status: str
    deadline: datetime
    notice_path: str | None
    reported_to_district_at: datetime | None
    outbox_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordedResult:
    """What recording one result stored."""

    inspection_id: int
    source_code: str
    period_key: str
    result: str
    done_at: datetime
    on_time: bool
    hazards: tuple[HazardSummary, ...]
    unchanged: bool = False


def _record_of(data: ResultIn) -> str:
    if data.inspection is not None:
        return f"inspection {data.inspection}"
    if data.source is not None:
        return f"inspection of {data.source}" + (f" {data.period}" if data.period else "")
    return "inspection (unnamed)"


def find_inspection(session: Session, *, office: Office, inspection: int | None, source: str | None,
                    period: str | None, at: datetime, record: str) -> InspectionRow:
    """Return the inspection a result names: by id, by source and period, or the source's one open inspection."""
    if inspection is not None:
        row = session.get(InspectionRow, inspection)
        if row is None or row.office_id != office.id:
            raise NotFoundError(f"{record}: no such inspection (see the leader's task list)")
        if source is not None:
            code = session.scalar(select(HazardSourceRow.code).where(HazardSourceRow.id == row.source_id))
            if code != source:
                raise InputError(record, "source", f"inspection {inspection} is of source {code}, not {source}")
        return row
    if source is None:
        raise InputError(record, "inspection", "name the inspection (its number), or the source and period")
    source_row = session.scalar(select(HazardSourceRow).where(HazardSourceRow.office_id == office.id,
                                                              HazardSourceRow.code == source))
    if source_row is None:
        raise InputError(record, "source", f"{source!r} is not a source of the register")
    query = select(InspectionRow).where(InspectionRow.source_id == source_row.id)
    if period is not None:
        found = session.scalar(query.where(InspectionRow.period_key == period))
        if found is None:
            raise InputError(record, "period", f"source {source} has no inspection planned for period {period}")
        return found
    # Without a period: the source's inspection not yet done whose window holds the day, else its only one not done;
    # else the one already done at that very time (the same file imported again), which the caller recognises.
    day = to_local(at).date()
    rows = list(session.scalars(query.order_by(InspectionRow.due_on, InspectionRow.id)))
    undone = [row for row in rows if row.status != InspectionStatus.DONE.value]
    current = [row for row in undone if row.starts_on <= day <= row.due_on] or undone
    if not current:
        again = [row for row in rows if row.done_at == at]
        if again:
            return again[0]
        raise InputError(record, "source", f"source {source} has no inspection waiting for a result")
    if len(current) > 1:
        periods = ", ".join(f"{row.period_key} is inspection {row.id}" for row in current)
        raise InputError(record, "period", f"source {source} has {len(current)} inspections waiting ({periods}): "
                                           "say which period")
    return current[0]


def _photos(record: str, field_name: str, photos: Sequence[str], base: Path) -> tuple[str, ...]:
    """Return the photos as absolute paths; one that does not exist is an InputError."""
    found: list[str] = []
    for n, text in enumerate(photos):
        path = Path(text.strip()).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise InputError(record, f"{field_name}[{n}]", f"{text} is not a file")
        found.append(str(path.resolve()))
    return tuple(found)


def _items(record: str, items: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(re.sub(r"\s+", " ", item).strip() for item in items)
    for n, item in enumerate(cleaned):
        if not item:
            raise InputError(record, f"items[{n}]", "is empty")
        if len(item) > ITEM_MAX:
            raise InputError(record, f"items[{n}]", f"longer than {ITEM_MAX} characters")
    return cleaned


def _resolve_finding(record: str, where: str, data: FindingIn, plan: HazardPlan, owner_unit: str, location: str,
                     found_at: datetime) -> _ResolvedFinding:
    grade = plan.grade_of(data.grade)
    if grade is None:
        raise InputError(record, f"{where}.grade", f"{data.grade!r} is not a grade ({plan.grade_words()})")
    category = plan.category_of(data.category)
    if category is None:
        raise InputError(record, f"{where}.category", f"{data.category!r} is not a category ({plan.category_words()})")
    try:
        raw_deadline = _deadline_value(data.deadline)
    except ValueError as exc:
        raise InputError(record, f"{where}.deadline", str(exc)) from None
    if raw_deadline is None:
        # The plan's default for the grade: to the end of the local day so many days after the day found.
        deadline = default_deadline(found_at, plan.grade(grade).deadline_days)
    elif isinstance(raw_deadline, datetime):
        deadline = raw_deadline
    else:
        raise InputError(record, f"{where}.deadline", "is neither a date nor a time with offset")
    finding = Finding(description=data.description.strip(), grade=grade, measures=data.measures.strip(),
                      responsible_person=data.responsible_person.strip(),
                      owner_unit=(data.owner_unit if data.owner_unit is not None else owner_unit).strip(),
                      deadline=deadline.astimezone(UTC))
    for field_name, why in finding_problems(finding, found_at):
        raise InputError(record, f"{where}.{field_name}", why)
    return _ResolvedFinding(finding, category, (data.location if data.location is not None else location).strip())


def prepare_result(session: Session, *, office: Office, plan: HazardPlan, data: ResultIn, now: datetime,
                   photos_base: Path) -> PreparedResult:
    """Check a result against the stored inspection and the plan; raise InputError naming record and field."""
    record = _record_of(data)
    at = data.at or now
    check_not_future(record, "at", at, now)
    row = find_inspection(session, office=office, inspection=data.inspection, source=data.source, period=data.period,
                          at=at, record=record)
    record = f"inspection {row.id}"
    by = re.sub(r"\s+", " ", data.by).strip()
    if not by:
        raise InputError(record, "by", "is empty: say who inspected")
    if row.status == InspectionStatus.DONE.value:
        if row.done_by == by and row.done_at == at:
            return PreparedResult(row.id, record, by, at, (), InspectionResult(row.result or "passed"), (), (), None,
                                  unchanged=True)
        assert row.done_at is not None
        raise ConflictError(f"{record}, field status: already recorded by {row.done_by} at "
                            f"{to_local(row.done_at):%Y-%m-%d %H:%M}")
    if data.result is InspectionResult.PASSED and data.findings:
        raise InputError(record, "findings", "a passed inspection (未发现隐患) has no findings")
    if data.result is InspectionResult.FINDING and not data.findings:
        raise InputError(record, "findings", "a finding (发现隐患) needs at least one hazard described")
    source = session.get(HazardSourceRow, row.source_id)
    assert source is not None
    findings = tuple(_resolve_finding(record, f"findings[{n}]", f, plan, source.owner_unit, source.location, at)
                     for n, f in enumerate(data.findings))
    photos = _photos(record, "photos", data.photos, photos_base)
    note = data.note.strip() if data.note and data.note.strip() else None
    return PreparedResult(row.id, record, by, at, _items(record, data.items), data.result, findings, photos, note)


# --------------------------------------------------------------------------------------------------------------
# Storing a result and opening hazards
# --------------------------------------------------------------------------------------------------------------


def store_result(session: Session, *, office: Office, plan: HazardPlan, prepared: PreparedResult, now: datetime,
                 paperwork: Paperwork) -> RecordedResult:
    """Store a prepared result: the inspection done, each finding a hazard with its notice, deliveries and clock."""
    row = session.get(InspectionRow, prepared.inspection_id)
    assert row is not None
    source = session.get(HazardSourceRow, row.source_id)
    assert source is not None
    if prepared.unchanged:
        assert row.done_at is not None
        hazards = session.scalars(select(HazardRow).where(HazardRow.inspection_id == row.id).order_by(HazardRow.id))
        return RecordedResult(row.id, source.code, row.period_key, row.result or "", row.done_at,
                              row.done_at <= row.due_at, tuple(_summary(h) for h in hazards), unchanged=True)
    row.status = InspectionStatus.DONE.value
    row.done_at, row.done_by, row.result = prepared.at, prepared.by, prepared.result.value
    row.checked_items = list(prepared.items)
    row.photos = list(prepared.photos)
    row.note = prepared.note
    session.flush()
    opened = tuple(_open_hazard(session, office=office, plan=plan, inspection=row, source=source, found=found,
                                by=prepared.by, at=prepared.at, photos=prepared.photos, now=now, paperwork=paperwork)
                   for found in prepared.findings)
    return RecordedResult(row.id, source.code, row.period_key, row.result, prepared.at, prepared.at <= row.due_at,
                          opened)


def record_result(session: Session, *, office: Office, plan: HazardPlan, data: ResultIn, now: datetime,
                  paperwork: Paperwork, photos_base: Path) -> RecordedResult:
    """Record one inspection's result (checked first: a bad one stores nothing); a finding opens hazards."""
    prepared = prepare_result(session, office=office, plan=plan, data=data, now=now, photos_base=photos_base)
    if prepared.unchanged:
        raise ConflictError(f"{prepared.record}, field status: already recorded by {prepared.by} at "
                            f"{to_local(prepared.at):%Y-%m-%d %H:%M} (the same result)")
    return store_result(session, office=office, plan=plan, prepared=prepared, now=now, paperwork=paperwork)


def next_number(session: Session, *, office: Office, year: int) -> tuple[str, int]:
    """Return the next hazard number of the office in *year* and its sequence (YH-2026-0007, 7)."""
    prefix = f"{NUMBER_PREFIX}-{year}-"
    numbers = session.scalars(select(HazardRow.number).where(HazardRow.office_id == office.id,
                                                             HazardRow.number.like(f"{prefix}%")))
    last = max((int(m.group(2)) for n in numbers if (m := _NUMBER.match(n))), default=0)
    return f"{prefix}{last + 1:04d}", last + 1


def _event(session: Session, hazard: HazardRow, action: HazardAction, actor: str, at: datetime,
           **detail: Any) -> HazardEventRow:
    event = HazardEventRow(hazard_id=hazard.id, at=at, actor=actor, action=action.value,
                           detail={k: v for k, v in detail.items() if v not in (None, [], (), "")})
    session.add(event)
    hazard.events.append(event)
    return event


def _contact(session: Session, office: Office) -> tuple[str, str]:
    """Return the office's emergency office (应急管理办公室) contact named on notices."""
    row = session.scalar(select(ContactRow).where(ContactRow.office_id == office.id,
                                                  ContactRow.role == "emergency_office"))
    return (f"{row.name}（{row.title}）", row.phone) if row is not None else (office.name, "")


def _open_hazard(session: Session, *, office: Office, plan: HazardPlan, inspection: InspectionRow,
                 source: HazardSourceRow, found: _ResolvedFinding, by: str, at: datetime, photos: Sequence[str],
                 now: datetime, paperwork: Paperwork) -> HazardSummary:
    """Store one hazard found, write its 整改通知书, queue it (and a 重大 report), start its deadline clock."""
    finding = found.finding
    number, sequence = next_number(session, office=office, year=to_local(at).year)
    drill = False
    hazard = HazardRow(office_id=office.id, source_id=source.id, inspection_id=inspection.id,
                       community_id=source.community_id, drill=drill, number=number, description=finding.description,
                       location=found.location, grade=finding.grade.value, category=found.category.value,
                       measures=finding.measures, responsible_person=finding.responsible_person,
                       owner_unit=finding.owner_unit, deadline=finding.deadline, status=HazardStatus.OPEN.value,
                       reported_by=by, found_at=at, created_at=now, updated_at=now)
    session.add(hazard)
    session.flush()
    _event(session, hazard, HazardAction.FOUND, by, at, inspection=inspection.id, period=inspection.period_key,
           grade=finding.grade.value, category=found.category.value, deadline=isoformat_local(finding.deadline),
           photos=list(photos))
    grade = plan.grade(finding.grade)
    document_number = RECTIFICATION_NOTICE_NUMBER.format(year=to_local(at).year, number=sequence)
    contact, phone = _contact(session, office)
    context = rectification_notice_context(
        office=office.name, district=paperwork.district_recipient, contact=contact, contact_phone=phone,
        issued_at=now, facts=NoticeFacts(
            number=number, document_number=document_number, owner_unit=finding.owner_unit, source_name=source.name,
            location=found.location, description=finding.description, grade=finding.grade,
            grade_definition=grade.definition, category=found.category, measures=finding.measures,
            responsible_person=finding.responsible_person, found_at=at, inspector=by, deadline=finding.deadline,
            photos=len(photos), drill=drill))
    path = render_document(NOTICE_TEMPLATE, context, paperwork.out_dir / f"{number}-rectification-notice.docx",
                           paperwork.templates_dir)
    hazard.notice_path = str(path)
    body = _hazard_body(office, hazard, source, document_number)
    subject = RECTIFICATION_NOTICE_SUBJECT.format(owner_unit=finding.owner_unit, number=number,
                                                  description=_short(finding.description),
                                                  deadline=deadline_text(finding.deadline))
    outbox = enqueue_routed(session, config=paperwork.delivery, key=f"hazard-notice-{office.id}-{number}",
                            topic="rectification", subject=subject, body={**body, "to": finding.owner_unit},
                            attachment=path, now=now, drill=drill)
    _event(session, hazard, HazardAction.NOTICE_ISSUED, by, now, document_number=document_number, path=str(path),
           to=finding.owner_unit, outbox=outbox)
    if grade.report_to_district:
        # 16号令第十四条第二款: a 重大事故隐患 is reported at once; the district's channels are the reports' route.
        subject = MAJOR_HAZARD_SUBJECT.format(owner_unit=finding.owner_unit, number=number,
                                              description=_short(finding.description))
        sent = enqueue_routed(session, config=paperwork.delivery, key=f"hazard-major-{office.id}-{number}",
                              topic="report", subject=subject, now=now, drill=drill, attachment=path,
                              body={**body, "type": "major_hazard", "to": paperwork.district_recipient,
                                    "supervision": SUPERVISED_MARK})
        hazard.reported_to_district_at = now
        _event(session, hazard, HazardAction.REPORTED_TO_DISTRICT, by, now, to=paperwork.district_recipient,
               outbox=sent)
        outbox = outbox + sent
    session.flush()
    sync_rectification(session, hazard=hazard, plan=plan, now=now)
    return _summary(hazard, tuple(outbox))


def open_found_hazard(session: Session, *, office: Office, plan: HazardPlan, data: FindingIn, record: str, where: str,
                      by: str, at: datetime, now: datetime, owner_unit: str, origin: dict[str, Any]) -> HazardSummary:
    """Open a real hazard found outside an inspection (a problem a drill exposed) with its rectification clock.

    *origin* says where it came from (stored on its `found` event). It has no source or inspection, so no
    整改通知书 is written; a 重大事故隐患 is refused here, to be recorded through an inspection of its source so that
    its 整改指令书 and its report to the district go out (16号令第十四条、第二十条).
    """
    check_not_future(record, f"{where}.at", at, now)
    grade = plan.grade_of(data.grade)
    if grade is not None and plan.grade(grade).report_to_district:
        raise InputError(record, f"{where}.grade", "a 重大事故隐患 is recorded through an inspection of its source "
                                                   "(emergency inspection record), so that its 整改指令书 and its "
                                                   "report to the district go out")
    found = _resolve_finding(record, where, data, plan, owner_unit, "", at)
    finding = found.finding
    number, _ = next_number(session, office=office, year=to_local(at).year)
    hazard = HazardRow(office_id=office.id, source_id=None, inspection_id=None, community_id=None, drill=False,
                       number=number, description=finding.description, location=found.location,
                       grade=finding.grade.value, category=found.category.value, measures=finding.measures,
                       responsible_person=finding.responsible_person, owner_unit=finding.owner_unit,
                       deadline=finding.deadline, status=HazardStatus.OPEN.value, reported_by=by, found_at=at,
                       created_at=now, updated_at=now)
    session.add(hazard)
    session.flush()
    _event(session, hazard, HazardAction.FOUND, by, at, grade=finding.grade.value, category=found.category.value,
           deadline=isoformat_local(finding.deadline), **origin)
    session.flush()
    sync_rectification(session, hazard=hazard, plan=plan, now=now)
    return _summary(hazard)


def _short(text: str, limit: int = 40) -> str:
    text = text.rstrip("。")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _hazard_body(office: Office, hazard: HazardRow, source: HazardSourceRow, document_number: str) -> dict[str, Any]:
    """Return what a hazard's messages carry (Beijing times, Chinese labels, and the codes)."""
    grade, category = HazardGrade(hazard.grade), HazardCategory(hazard.category)
    return {"office": office.name, "hazard": hazard.number, "document_number": document_number,
            "source": {"code": source.code, "name": source.name}, "description": hazard.description,
            "location": hazard.location, "grade": grade.value, "grade_label": HAZARD_GRADE_LABELS[grade],
            "category": category.value, "category_label": HAZARD_CATEGORY_LABELS[category],
            "measures": hazard.measures, "responsible_person": hazard.responsible_person,
            "owner_unit": hazard.owner_unit, "found_at": isoformat_local(hazard.found_at),
            "found_by": hazard.reported_by, "deadline": isoformat_local(hazard.deadline)}


def _summary(hazard: HazardRow, outbox: tuple[int, ...] = ()) -> HazardSummary:
    return HazardSummary(hazard.number, hazard.grade, hazard.status, hazard.deadline, hazard.notice_path,
                         hazard.reported_to_district_at, outbox)


# --------------------------------------------------------------------------------------------------------------
# The deadline clock
# --------------------------------------------------------------------------------------------------------------


def rectification_key(hazard: HazardRow) -> str:
    """Return the obligation key of the hazard's current deadline."""
    return f"hazard-{hazard.id}-rectification-{hazard.deadline.astimezone(UTC).isoformat()}"


def sync_rectification(session: Session, *, hazard: HazardRow, plan: HazardPlan, now: datetime) -> list[int]:
    """Keep the hazard's rectification obligation in line with it; return the ids of rows changed.

    Not closed: an open row for the current deadline (an older deadline's waiting row is superseded). Closed (销号):
    the waiting row is met at the closing time. The clocks re-read the rows, so a superseded or met row's steps do
    nothing.
    """
    prefix = f"hazard-{hazard.id}-rectification-"
    closed = hazard.status == HazardStatus.CLOSED.value
    wanted = None if closed else rectification_key(hazard)
    existing = {row.key: row for row in session.scalars(
        select(ObligationRow).where(ObligationRow.subject == SUBJECT, ObligationRow.key.like(f"{prefix}%")))}
    changed: list[int] = []
    for key, row in existing.items():
        if row.status in WAITING and key != wanted:
            row.status = MET if closed else SUPERSEDED
            row.met_at = hazard.closed_at if closed else None
            row.updated_at = now
            changed.append(row.id)
    if wanted is not None and wanted not in existing:
        grade = plan.grade(HazardGrade(hazard.grade))
        row = ObligationRow(key=wanted, subject=SUBJECT, office_id=hazard.office_id, incident_id=None,
                            kind=SUBJECT, label=RECTIFICATION_LABEL.format(number=hazard.number)[:64],
                            due_at=hazard.deadline, rule=f"hazards.{grade.key.value}", source=grade.source,
                            status=OPEN, created_at=now, updated_at=now, drill=hazard.drill)
        session.add(row)
        session.flush()
        changed.append(row.id)
    return changed


# --------------------------------------------------------------------------------------------------------------
# Steps: extension, fix, 复查验收
# --------------------------------------------------------------------------------------------------------------


def find_hazard(session: Session, *, office: Office, number: str) -> HazardRow:
    """Return the office's hazard by its number (YH-2026-0001), or raise NotFoundError."""
    row = session.scalar(select(HazardRow).where(HazardRow.office_id == office.id, HazardRow.number == number.strip()))
    if row is None:
        raise NotFoundError(f"hazard {number}: no such hazard (see `emergency hazard list`)")
    return row


def hazard_state(hazard: HazardRow) -> HazardState:
    """Return the hazard as the domain's steps read it (a pending extension from its last request)."""
    requested_by = until = None
    if hazard.status == HazardStatus.EXTENSION_REQUESTED.value:
        request = next(e for e in reversed(hazard.events) if e.action == HazardAction.EXTENSION_REQUESTED.value)
        requested_by = request.actor
        until = datetime.fromisoformat(request.detail["until"])
    last = max([hazard.found_at, *(e.at for e in hazard.events)])
    return HazardState(number=hazard.number, status=HazardStatus(hazard.status), deadline=hazard.deadline,
                       found_at=hazard.found_at, last_step_at=last, fixed_reported_by=hazard.fixed_reported_by,
                       fixed_reported_at=hazard.fixed_reported_at, verified_by=hazard.verified_by,
                       verified_at=hazard.verified_at, closed_at=hazard.closed_at,
                       extension_requested_by=requested_by, extension_until=until)


@dataclass(frozen=True, slots=True)
class StepIn:
    """A step on the command line: who, when (default now), and what goes with it."""

    action: HazardAction
    by: str
    at: datetime | None = None
    until: datetime | None = None
    reason: str | None = None
    note: str | None = None
    photos: tuple[str, ...] = field(default=())


def take_step(session: Session, *, office: Office, plan: HazardPlan, number: str, step: StepIn, now: datetime,
              photos_base: Path) -> HazardSummary:
    """Take one step of a hazard's life (extension, fix, 复查验收), record it with who and when, move its clock."""
    hazard = find_hazard(session, office=office, number=number)
    record = f"hazard {hazard.number}"
    if step.action is HazardAction.EXTENSION_REQUESTED and not (step.reason or "").strip():
        raise InputError(record, "reason", "is required: why the rectification cannot be finished in time")
    photos = _photos(record, "photos", step.photos, photos_base)
    by = re.sub(r"\s+", " ", step.by).strip()
    if len(by) > NAME_MAX:
        raise InputError(record, "by", f"longer than {NAME_MAX} characters")
    before = hazard_state(hazard)
    after = apply_step(before, Step(step.action, by, step.at or now, step.until), now=now)
    at = step.at or now
    hazard.status = after.status.value
    hazard.deadline = after.deadline.astimezone(UTC)
    hazard.fixed_reported_by, hazard.fixed_reported_at = after.fixed_reported_by, after.fixed_reported_at
    hazard.verified_by, hazard.verified_at, hazard.closed_at = after.verified_by, after.verified_at, after.closed_at
    hazard.updated_at = now
    detail: dict[str, Any] = {"reason": (step.reason or "").strip(), "note": (step.note or "").strip(),
                              "photos": list(photos)}
    if step.action is HazardAction.EXTENSION_REQUESTED:
        assert after.extension_until is not None
        detail["until"] = isoformat_local(after.extension_until)
        detail["deadline"] = isoformat_local(before.deadline)
    if step.action is HazardAction.EXTENSION_APPROVED:
        detail["previous_deadline"] = isoformat_local(before.deadline)
        detail["deadline"] = isoformat_local(after.deadline)
        detail["requested_by"] = before.extension_requested_by
    if step.action is HazardAction.EXTENSION_REFUSED:
        detail["requested_by"] = before.extension_requested_by
    if step.action in (HazardAction.VERIFIED, HazardAction.REVERIFY_FAILED):
        detail["fixed_reported_by"] = before.fixed_reported_by
    _event(session, hazard, step.action, by, at, **detail)
    if step.action is HazardAction.VERIFIED:
        _event(session, hazard, HazardAction.CLOSED, by, at)
    session.flush()
    sync_rectification(session, hazard=hazard, plan=plan, now=now)
    return _summary(hazard)


def record_escalation(session: Session, *, obligation: ObligationRow, step: str, recipient: str, at: datetime,
                      actor: str) -> None:
    """Record a clock's breach or escalation step on its hazard (逾期升级督办), for the hazard's own history."""
    match = re.match(r"^hazard-(\d+)-rectification-", obligation.key)
    hazard = session.get(HazardRow, int(match.group(1))) if match else None
    if hazard is None:
        return
    session.add(HazardEventRow(hazard_id=hazard.id, at=at, actor=actor, action=HazardAction.ESCALATED.value,
                               detail={"step": step, "to": recipient, "deadline": isoformat_local(obligation.due_at)}))


# --------------------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HazardInfo:
    """A hazard as people read it in a list."""

    number: str
    description: str
    grade: str
    category: str
    status: str
    deadline: datetime
    found_at: datetime
    reported_by: str
    source_code: str | None
    source_name: str | None
    community: str | None
    location: str
    owner_unit: str
    responsible_person: str
    measures: str
    supervised: bool
    reported_to_district_at: datetime | None
    fixed_reported_by: str | None
    verified_by: str | None
    closed_at: datetime | None
    notice_path: str | None
    overdue_days: int
    inspection_id: int | None


@dataclass(frozen=True, slots=True)
class EventInfo:
    """One step of a hazard's history."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClockInfo:
    """One rectification obligation of a hazard and the clock steps it fired."""

    label: str
    due_at: datetime
    status: str
    steps: tuple[tuple[str, datetime, str], ...]


@dataclass(frozen=True, slots=True)
class HazardDetail:
    """A hazard with its history and its clocks."""

    info: HazardInfo
    events: tuple[EventInfo, ...]
    clocks: tuple[ClockInfo, ...]


def _info(hazard: HazardRow, source: HazardSourceRow | None, community: str | None, now: datetime) -> HazardInfo:
    closed = hazard.status == HazardStatus.CLOSED.value
    return HazardInfo(
        number=hazard.number, description=hazard.description, grade=hazard.grade, category=hazard.category,
        status=hazard.status, deadline=hazard.deadline, found_at=hazard.found_at, reported_by=hazard.reported_by,
        source_code=source.code if source else None, source_name=source.name if source else None,
        community=community, location=hazard.location, owner_unit=hazard.owner_unit,
        responsible_person=hazard.responsible_person, measures=hazard.measures,
        supervised=hazard.reported_to_district_at is not None, reported_to_district_at=hazard.reported_to_district_at,
        fixed_reported_by=hazard.fixed_reported_by, verified_by=hazard.verified_by, closed_at=hazard.closed_at,
        notice_path=hazard.notice_path, overdue_days=0 if closed else overdue_days(hazard.deadline, now),
        inspection_id=hazard.inspection_id)


def list_hazards(session: Session, *, office: Office, now: datetime, statuses: Sequence[HazardStatus] | None = None,
                 grade: HazardGrade | None = None) -> list[HazardInfo]:
    """Return the office's hazards (重大 first, then by deadline), filtered by status and grade if given."""
    query = (select(HazardRow, HazardSourceRow, CommunityRow.name)
             .outerjoin(HazardSourceRow, HazardSourceRow.id == HazardRow.source_id)
             .outerjoin(CommunityRow, CommunityRow.id == HazardRow.community_id)
             .where(HazardRow.office_id == office.id))
    if statuses is not None:
        query = query.where(HazardRow.status.in_([s.value for s in statuses]))
    if grade is not None:
        query = query.where(HazardRow.grade == grade.value)
    rows = session.execute(query).tuples().all()
    infos = [_info(h, s, c, now) for h, s, c in rows]
    return sorted(infos, key=lambda i: (i.grade != HazardGrade.MAJOR.value, i.deadline, i.number))


def hazard_detail(session: Session, *, office: Office, number: str, now: datetime) -> HazardDetail:
    """Return one hazard with every step taken (who, when) and its deadline clocks."""
    hazard = find_hazard(session, office=office, number=number)
    source = session.get(HazardSourceRow, hazard.source_id) if hazard.source_id else None
    community = session.get(CommunityRow, hazard.community_id) if hazard.community_id else None
    events = tuple(EventInfo(e.at, e.actor, e.action, dict(e.detail or {}))
                   for e in sorted(hazard.events, key=lambda e: (e.at, e.id)))
    obligations = session.scalars(select(ObligationRow).where(
        ObligationRow.subject == SUBJECT, ObligationRow.key.like(f"hazard-{hazard.id}-rectification-%"))
        .order_by(ObligationRow.id)).all()
    fired: dict[int, list[tuple[str, datetime, str]]] = {}
    for event in session.scalars(select(ClockEventRow).where(
            ClockEventRow.obligation_id.in_([o.id for o in obligations])).order_by(ClockEventRow.fired_at)):
        fired.setdefault(event.obligation_id, []).append((event.step, event.fired_at, event.recipient))
    clocks = tuple(ClockInfo(o.label, o.due_at, o.status, tuple(fired.get(o.id, ()))) for o in obligations)
    return HazardDetail(_info(hazard, source, community.name if community else None, now), events, clocks)
