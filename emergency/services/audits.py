"""Audit use cases: replay a timeline file, audit the database, export and import timelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.clock import isoformat_local
from emergency.config import Settings
from emergency.db.models import IncidentRow, Office, SignalRow
from emergency.domain.audits import AuditResult, audit_timeline
from emergency.domain.enums import FIGURES
from emergency.domain.incidents import Signal, Timeline
from emergency.errors import InputError
from emergency.plans.loader import load_rules
from emergency.plans.rules import ReportingRules
from emergency.services.incidents import (
    NewFacts,
    NewIncident,
    get_office,
    load_incidents,
    open_incident,
    record_facts,
    to_domain,
)
from emergency.services.reports import NewReport, submit_report
from emergency.timelines import (
    TIMELINE_FORMAT,
    findings_document,
    load_document,
    parse_timeline,
    read_timeline,
    validate_timeline,
)


def rules_for(settings: Settings) -> ReportingRules:
    """Load the rules the settings name."""
    return load_rules(settings.plans_dir, settings.rules)


def replay_file(settings: Settings, path: Path) -> tuple[AuditResult, dict[str, Any]]:
    """Audit a timeline file; return the result and its findings document."""
    rules = rules_for(settings)
    result = audit_timeline(rules, read_timeline(rules, path))
    return result, findings_document(result)


def replay_document(rules: ReportingRules, raw: Any, origin: str = "timeline") -> dict[str, Any]:
    """Audit an already-read timeline document and return its findings document."""
    return findings_document(audit_timeline(rules, parse_timeline(rules, raw, origin)))


def _signals(session: Session, office: Office, incidents: list[IncidentRow], start: datetime | None,
             end: datetime | None) -> list[SignalRow]:
    ids = {row.id for row in incidents}
    rows = session.scalars(select(SignalRow).where(SignalRow.office_id == office.id).order_by(SignalRow.at, SignalRow.id))
    kept: list[SignalRow] = []
    for row in rows:
        if row.incident_id is not None:
            if row.incident_id in ids:
                kept.append(row)
        elif (start is None or row.at >= start) and (end is None or row.at <= end):
            kept.append(row)
    return kept


def database_timeline(session: Session, *, office: Office, start: datetime | None, end: datetime | None,
                      at: datetime) -> Timeline:
    """Return the office's incidents that occurred in [start, end] as a timeline audited at *at*."""
    incidents = load_incidents(session, office=office, start=start, end=end)
    refs = {row.id: row.ref for row in incidents}
    signals = _signals(session, office, incidents, start, end)
    return Timeline(
        office=office.name, audit_at=at,
        incidents=tuple(to_domain(row) for row in incidents),
        signals=tuple(Signal(s.ref, s.source, s.at, refs.get(s.incident_id) if s.incident_id else None, s.summary)
                      for s in signals),
    )


def audit_database(session: Session, *, rules: ReportingRules, office: Office, start: datetime | None,
                   end: datetime | None, at: datetime) -> AuditResult:
    """Audit the office's incidents that occurred in [start, end] as they stand at *at*."""
    return audit_timeline(rules, database_timeline(session, office=office, start=start, end=end, at=at))


def export_timeline(session: Session, *, office: Office, start: datetime | None, end: datetime | None,
                    at: datetime) -> dict[str, Any]:
    """Write the database in the `emergency-timeline/1` format, audited at *at*."""
    incidents = load_incidents(session, office=office, start=start, end=end)
    refs = {row.id: row.ref for row in incidents}
    out_incidents: list[dict[str, Any]] = []
    for row in incidents:
        item: dict[str, Any] = {
            "id": row.ref, "category": row.category, "type": row.type, "title": row.title,
            "location": row.location, "occurred_at": isoformat_local(row.occurred_at),
            "known_at": isoformat_local(row.known_at),
            "closed_at": isoformat_local(row.closed_at) if row.closed_at else None,
            "drill": row.drill,
        }
        if row.severity_override:
            item["severity"] = row.severity_override
            item["severity_reason"] = row.severity_reason
        item["truth"] = [
            {"as_of": isoformat_local(f.as_of),
             **{name: _number(getattr(f, name)) for name in FIGURES}}
            for f in sorted(row.facts, key=lambda f: (f.as_of, f.id))
        ]
        item["reports"] = [
            {"id": r.ref, "kind": r.kind, "channel": r.channel, "to": r.recipient,
             "submitted_at": isoformat_local(r.submitted_at), "stated": r.stated,
             "correction_note": r.correction_note, **({"corrects": r.corrects_ref} if r.corrects_ref else {})}
            for r in sorted(row.reports, key=lambda r: (r.submitted_at, r.id))
        ]
        out_incidents.append(item)
    signals = [
        {"id": s.ref, "source": s.source, "at": isoformat_local(s.at),
         "incident": refs.get(s.incident_id) if s.incident_id else None, "summary": s.summary}
        for s in _signals(session, office, incidents, start, end)
    ]
    return {"format": TIMELINE_FORMAT, "office": office.name, "audit_at": isoformat_local(at),
            "incidents": out_incidents, "signals": signals}


def _number(value: Any) -> Any:
    if value is None or isinstance(value, int):
        return value
    return int(value) if value == int(value) else float(value)


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """What an import stored."""

    office: str
    incidents: int
    facts: int
    reports: int
    signals: int


def import_timeline(session: Session, *, rules: ReportingRules, raw: Any, origin: str,
                    now: datetime) -> ImportCounts:
    """Store a whole timeline in the caller's transaction: on any error nothing of it is kept."""
    doc = validate_timeline(rules, raw, origin)
    office = get_office(session, name=doc.office)
    rows: dict[str, IncidentRow] = {}
    facts = reports = 0
    for inc in doc.incidents:
        try:
            row = open_incident(session, rules=rules, office=office, now=now, check_future=False, data=NewIncident(
                id=inc.id, category=inc.category, type=inc.type, title=inc.title or inc.id,
                location=inc.location or "—", occurred_at=inc.occurred_at, known_at=inc.known_at, drill=inc.drill,
                severity=inc.severity, severity_reason=inc.severity_reason))
        except InputError as exc:
            raise InputError(f"{origin}: {exc.record}", exc.field, exc.why) from None
        row.closed_at = inc.closed_at
        rows[inc.id] = row
        for truth in inc.truth:
            record_facts(session, incident=row, now=now, check_future=False,
                         data=NewFacts.model_validate(truth.model_dump()), allow_empty=True)
            facts += 1
        for rep in sorted(inc.reports, key=lambda r: r.submitted_at):
            submit_report(session, office=office, incident=row, now=now, check_order=False, check_future=False,
                          data=NewReport(id=rep.id, kind=rep.kind, channel=rep.channel, to=rep.to or "—",
                                         submitted_at=rep.submitted_at, stated=rep.stated,
                                         correction_note=rep.correction_note, corrects=rep.corrects))
            reports += 1
    for sig in doc.signals:
        if session.scalar(select(SignalRow.id).where(SignalRow.office_id == office.id, SignalRow.ref == sig.id)):
            raise InputError(f"{origin}: signal {sig.id}", "id", "already exists in the database")
        session.add(SignalRow(office_id=office.id, incident_id=rows[sig.incident].id if sig.incident else None,
                              ref=sig.id, source=sig.source, at=sig.at, summary=sig.summary, recorded_at=now))
    session.flush()
    return ImportCounts(office.name, len(rows), facts, reports, len(doc.signals))


def read_import(path: Path) -> Any:
    """Read a timeline file for import."""
    return load_document(path)
