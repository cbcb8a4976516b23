"""Incident use cases: open, record facts, close, look up, and see obligations and findings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from emergency.clock import to_local
from emergency.db.models import FactRow, IncidentRow, Office, ReportRow, SignalRow
from emergency.domain.audits import IncidentAudit, audit_incident
from emergency.domain.enums import Category, Channel, ReportKind, Severity
from emergency.domain.incidents import Figures, Incident, Report, Signal, Statement, TruthEntry
from emergency.errors import ConflictError, InputError, NotFoundError
from emergency.plans.rules import ReportingRules
from emergency.timelines import AwareTime, FiguresIn, StatedIn, TruthIn, check_event_type

FUTURE_SLACK = timedelta(minutes=1)
"""How far ahead of the clock a recorded time may be (clock skew between machines), no more."""


class NewIncident(BaseModel):
    """What `incident open` takes, on the command line or from a JSON/YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, min_length=1, max_length=64)
    category: Category
    type: str = Field(min_length=1)
    title: str = Field(min_length=1)
    location: str = Field(min_length=1)
    occurred_at: AwareTime
    known_at: AwareTime | None = None
    drill: bool = False
    severity: Severity | None = None
    severity_reason: str | None = None


class NewFacts(FiguresIn):
    """What `incident facts` takes: verified figures, valid from as_of (default now)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: AwareTime | None = None


def get_office(session: Session, *, name: str) -> Office:
    """Return the office called *name*, creating it on first use."""
    office = session.scalar(select(Office).where(Office.name == name))
    if office is None:
        office = Office(name=name)
        session.add(office)
        session.flush()
    return office


def check_not_future(record: str, field: str, at: datetime, now: datetime) -> None:
    """Refuse a time in the future: a report, a fact or a closure cannot be recorded before it happens."""
    if at > now + FUTURE_SLACK:
        raise InputError(record, field, f"{to_local(at).isoformat()} is in the future (now {to_local(now).isoformat()})")


def _next_ref(session: Session, office: Office, known_at: datetime) -> str:
    year = to_local(known_at).year
    prefix = f"{year}-"
    count = session.scalar(
        select(func.count()).select_from(IncidentRow).where(
            IncidentRow.office_id == office.id, IncidentRow.ref.like(f"{prefix}%"))
    ) or 0
    ref = f"{prefix}{count + 1:04d}"
    while session.scalar(select(IncidentRow.id).where(IncidentRow.office_id == office.id, IncidentRow.ref == ref)):
        count += 1
        ref = f"{prefix}{count + 1:04d}"
    return ref


def open_incident(session: Session, *, rules: ReportingRules, office: Office, data: NewIncident,
                  now: datetime, check_future: bool = True) -> IncidentRow:
    """Record a new incident; the reporting clocks start at its known_at."""
    record = f"incident {data.id}" if data.id else "new incident"
    check_event_type(rules, record, data.category, data.type)
    known_at = data.known_at or now
    if check_future:
        check_not_future(record, "occurred_at", data.occurred_at, now)
        check_not_future(record, "known_at", known_at, now)
        # A history being imported may carry a rounded occurred_at after known_at ("8时许"); a new one may not.
        if known_at < data.occurred_at:
            raise InputError(record, "known_at", "is before occurred_at")
    if data.severity_reason and data.severity is None:
        raise InputError(record, "severity_reason", "given without a severity")
    if data.severity is not None and not (data.severity_reason or "").strip():
        raise InputError(record, "severity_reason", "a grade set by hand needs a recorded reason")
    if data.id and session.scalar(select(IncidentRow.id).where(
            IncidentRow.office_id == office.id, IncidentRow.ref == data.id)):
        raise ConflictError(f"incident {data.id}, field id: already exists")
    row = IncidentRow(
        office_id=office.id, ref=data.id or _next_ref(session, office, known_at), category=data.category.value,
        type=data.type, title=data.title, location=data.location, occurred_at=data.occurred_at,
        known_at=known_at, closed_at=None, drill=data.drill,
        severity_override=data.severity.value if data.severity else None, severity_reason=data.severity_reason,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def find_incident(session: Session, *, office: Office, ident: str) -> IncidentRow:
    """Return the incident by its reference (e.g. 2026-0001) or its number."""
    row = session.scalar(select(IncidentRow).where(IncidentRow.office_id == office.id, IncidentRow.ref == ident))
    if row is None and ident.isdigit():
        row = session.scalar(select(IncidentRow).where(IncidentRow.office_id == office.id,
                                                       IncidentRow.id == int(ident)))
    if row is None:
        raise NotFoundError(f"incident {ident}: no such incident in {office.name}")
    return row


def record_facts(session: Session, *, incident: IncidentRow, data: NewFacts, now: datetime,
                 check_future: bool = True, allow_empty: bool = False) -> FactRow:
    """Record verified casualties and loss as they become known."""
    as_of = data.as_of or now
    record = f"incident {incident.ref}, facts as of {to_local(as_of).isoformat()}"
    if as_of < incident.occurred_at:
        raise InputError(record, "as_of", "is before the incident's occurred_at")
    if check_future:
        check_not_future(record, "as_of", as_of, now)
    if not allow_empty and all(getattr(data, name) is None for name in FiguresIn.model_fields):
        raise InputError(record, None, "no figure given (" + ", ".join(FiguresIn.model_fields) + ")")
    row = FactRow(incident_id=incident.id, as_of=as_of, recorded_at=now,
                  **{name: getattr(data, name) for name in FiguresIn.model_fields})
    incident.facts.append(row)  # keeps a loaded collection current within the unit of work
    session.flush()
    return row


def close_incident(session: Session, *, incident: IncidentRow, closed_at: datetime, now: datetime) -> None:
    """Mark the response over; the final report's clock starts."""
    record = f"incident {incident.ref}"
    if incident.closed_at is not None:
        raise ConflictError(f"{record}, field closed_at: already closed at {to_local(incident.closed_at).isoformat()}")
    if closed_at < incident.occurred_at:
        raise InputError(record, "closed_at", "is before occurred_at")
    check_not_future(record, "closed_at", closed_at, now)
    incident.closed_at = closed_at
    session.flush()


def stated_from_row(stated: dict[str, Any] | None) -> StatedIn | None:
    """Return a stored statement as the exchange model."""
    return None if stated is None else StatedIn.model_validate(stated)


def to_domain(row: IncidentRow, report_rows: list[ReportRow] | None = None) -> Incident:
    """Return the stored incident as the audit's domain value."""
    reports = row.reports if report_rows is None else report_rows
    return Incident(
        id=row.ref, category=Category(row.category), type=row.type, title=row.title, location=row.location,
        occurred_at=row.occurred_at, known_at=row.known_at, closed_at=row.closed_at, drill=row.drill,
        truth=tuple(
            TruthEntry(f.as_of, Figures(f.deaths, f.missing, f.trapped, f.serious_injuries, f.injuries,
                                        f.direct_loss_yuan))
            for f in sorted(row.facts, key=lambda f: (f.as_of, f.id))
        ),
        reports=tuple(
            Report(id=r.ref, kind=ReportKind(r.kind), channel=Channel(r.channel), to=r.recipient,
                   submitted_at=r.submitted_at, stated=_statement(r.stated), correction_note=r.correction_note,
                   corrects=r.corrects_ref)
            for r in sorted(reports, key=lambda r: (r.submitted_at, r.id))
        ),
        severity_override=Severity(row.severity_override) if row.severity_override else None,
        severity_reason=row.severity_reason,
    )


def _statement(stated: dict[str, Any] | None) -> Statement | None:
    parsed = stated_from_row(stated)
    return None if parsed is None else parsed.to_statement()


def signals_of(session: Session, *, incident: IncidentRow) -> list[Signal]:
    """Return the other channels' signals linked to the incident."""
    rows = session.scalars(select(SignalRow).where(SignalRow.incident_id == incident.id)).all()
    return [Signal(s.ref, s.source, s.at, incident.ref, s.summary) for s in rows]


def incident_audit(session: Session, *, rules: ReportingRules, incident: IncidentRow, at: datetime) -> IncidentAudit:
    """Return the incident's obligations and findings as they stand at *at*."""
    return audit_incident(rules, to_domain(incident), signals_of(session, incident=incident), at)


def load_incidents(session: Session, *, office: Office, start: datetime | None = None,
                   end: datetime | None = None) -> list[IncidentRow]:
    """Return the office's incidents that occurred in [start, end], with facts and reports loaded."""
    query = (select(IncidentRow).where(IncidentRow.office_id == office.id)
             .options(selectinload(IncidentRow.facts), selectinload(IncidentRow.reports))
             .order_by(IncidentRow.occurred_at, IncidentRow.id))
    if start is not None:
        query = query.where(IncidentRow.occurred_at >= start)
    if end is not None:
        query = query.where(IncidentRow.occurred_at <= end)
    return list(session.scalars(query).all())


def new_truth(data: TruthIn) -> NewFacts:
    """Return a timeline truth entry as facts to record."""
    return NewFacts.model_validate(data.model_dump())


def open_incident_refs(session: Session, *, rules: ReportingRules, office: Office, at: datetime) -> list[str]:
    """Return the incidents with an obligation still open or overdue at *at* (the reporting flow's worklist)."""
    from emergency.domain.enums import ObligationStatus

    refs: list[str] = []
    for row in load_incidents(session, office=office):
        audit = incident_audit(session, rules=rules, incident=row, at=at)
        if any(o.status in (ObligationStatus.OPEN, ObligationStatus.OVERDUE) for o in audit.obligations):
            refs.append(row.ref)
    return refs
