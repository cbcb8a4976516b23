"""Draft use cases: draft the reports the rules make due, from the recorded facts, and sign them off (签发)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emergency.clock import isoformat_local
from emergency.db.models import DraftRow, IncidentRow, Office, ReportRow
from emergency.domain.enums import FIGURES, Channel, ObligationKind, ObligationStatus, ReportKind
from emergency.domain.grading import deadline_severity, truth_as_of
from emergency.errors import ConflictError, NotFoundError
from emergency.labels import FIELD_LABELS
from emergency.plans.rules import ReportingRules
from emergency.services.incidents import incident_audit, to_domain
from emergency.services.reports import NewReport, submit_report
from emergency.services.responses import get_response
from emergency.timelines import StatedIn

AWAITING = "awaiting_signoff"
SIGNED = "signed"

DRAFT_LEAD = timedelta(hours=2)
"""A cadence follow-up is drafted this long before it falls due, so the signer has time to read it."""

KIND_OF: dict[ObligationKind, ReportKind] = {
    ObligationKind.INITIAL_WRITTEN: ReportKind.INITIAL,
    ObligationKind.FOLLOW_UP_CHANGE: ReportKind.FOLLOW_UP,
    ObligationKind.FOLLOW_UP_CADENCE: ReportKind.FOLLOW_UP,
    ObligationKind.FINAL: ReportKind.FINAL,
}


@dataclass(frozen=True, slots=True)
class DraftInfo:
    """A draft as plain data for flows and the CLI."""

    id: int
    incident: str
    kind: str
    sequence: int
    obligation: str
    due_at: datetime | None
    status: str
    changes: tuple[str, ...]


def _info(row: DraftRow, incident_ref: str) -> DraftInfo:
    return DraftInfo(row.id, incident_ref, row.kind, row.sequence, row.obligation, row.due_at, row.status,
                     tuple(row.changes))


def _unit(name: str) -> str:
    return "元" if name == "direct_loss_yuan" else "人"


def _plain(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def describe_changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """Return what changed since the last report, in words (续报只报变化情况)."""
    changes: list[str] = []
    for name in FIGURES:
        new = current.get(name)
        old = previous.get(name) if previous else None
        if new is not None and new != old:
            label, unit = FIELD_LABELS[name], _unit(name)
            changes.append(f"{label}由{_plain(old)}{unit}变为{_plain(new)}{unit}" if old is not None
                           else f"{label}{_plain(new)}{unit}")
    return changes


def lowered_figures(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """Return the figures stated lower than the last report stated them: a correction needs its note (decision 5)."""
    if not previous:
        return []
    return [name for name in FIGURES
            if isinstance(current.get(name), int | float) and isinstance(previous.get(name), int | float)
            and current[name] < previous[name]]


def compose_statement(session: Session, *, rules: ReportingRules, incident: IncidentRow, now: datetime) -> dict[str, Any]:
    """Return what a report drafted now states: the facts as verified now and the measures taken."""
    domain = to_domain(incident)
    truth = truth_as_of(domain.truth, now)
    figures = truth.figures if truth else None
    response = get_response(session, incident=incident)
    measures = "；".join(a["text"] for a in response.actions) if response else "已组织先期处置"
    stated: dict[str, Any] = {
        "occurred_at": isoformat_local(domain.occurred_at),
        "known_at": isoformat_local(domain.known_at),
        "location": domain.location,
        "severity": deadline_severity(rules, domain, figures).value,
        "summary": domain.title,
        "measures": measures,
    }
    if figures is not None:
        for name in FIGURES:
            value = figures.get(name)
            if value is not None:
                stated[name] = int(value) if name != "direct_loss_yuan" else float(value)
    return stated


def draft_due_reports(session: Session, *, rules: ReportingRules, incident: IncidentRow, now: datetime) -> list[DraftInfo]:
    """Draft each report the rules now make due (or will within the lead time) that has no draft yet."""
    audit = incident_audit(session, rules=rules, incident=incident, at=now)
    pending = {d.kind for d in session.scalars(select(DraftRow).where(
        DraftRow.incident_id == incident.id, DraftRow.status == AWAITING))}
    reports = list(session.scalars(select(ReportRow).where(ReportRow.incident_id == incident.id)
                                   .order_by(ReportRow.submitted_at, ReportRow.id)))
    made: list[DraftInfo] = []
    for ob in audit.obligations:
        kind = KIND_OF.get(ob.kind)
        if kind is None or ob.status not in (ObligationStatus.OPEN, ObligationStatus.OVERDUE) or kind.value in pending:
            continue
        if ob.kind is ObligationKind.FOLLOW_UP_CADENCE and (ob.due_at - now > DRAFT_LEAD or incident.closed_at):
            continue  # once the response is over, the final report (终报) is the next report, not a cadence 续报
        stated = compose_statement(session, rules=rules, incident=incident, now=now)
        last = next((r.stated for r in reversed(reports) if r.stated), None)
        sequence = 0
        if kind is ReportKind.FOLLOW_UP:
            done = sum(1 for r in reports if r.kind == ReportKind.FOLLOW_UP.value)
            drafted = session.scalar(select(func.count()).select_from(DraftRow).where(
                DraftRow.incident_id == incident.id, DraftRow.kind == kind.value)) or 0
            sequence = max(done, drafted) + 1
        row = DraftRow(incident_id=incident.id, kind=kind.value, sequence=sequence, obligation=ob.kind.value,
                       due_at=ob.due_at, stated=stated, changes=describe_changes(last, stated), status=AWAITING,
                       drafted_at=now)
        session.add(row)
        session.flush()
        pending.add(kind.value)
        made.append(_info(row, incident.ref))
    return made


def list_drafts(session: Session, *, office: Office, status: str | None = None) -> list[DraftInfo]:
    """Return the office's drafts, newest first."""
    query = (select(DraftRow, IncidentRow.ref).join(IncidentRow, IncidentRow.id == DraftRow.incident_id)
             .where(IncidentRow.office_id == office.id).order_by(DraftRow.drafted_at.desc(), DraftRow.id.desc()))
    if status:
        query = query.where(DraftRow.status == status)
    return [_info(row, ref) for row, ref in session.execute(query).tuples()]


def sign_draft(session: Session, *, office: Office, draft_id: int, signer: str, recipient: str, now: datetime) -> ReportRow:
    """Record the sign-off and submit the report now: the clock kept running while it waited."""
    draft = session.get(DraftRow, draft_id)
    if draft is None:
        raise NotFoundError(f"draft {draft_id}: no such draft")
    if draft.status != AWAITING:
        raise ConflictError(f"draft {draft_id}, field status: already {draft.status} by {draft.signed_by}")
    incident = session.get(IncidentRow, draft.incident_id)
    assert incident is not None
    last = next((r.stated for r in sorted(incident.reports, key=lambda r: (r.submitted_at, r.id), reverse=True)
                 if r.stated), None)
    lowered = lowered_figures(last, draft.stated)
    # A lower figure than reported before is a correction, and must say why (audit decision 5); the draft's
    # own list of changes is that reason, taken from the verified facts.
    note = ("据最新核实情况更正：" + "，".join(c for c in describe_changes(last, draft.stated)
                                      if any(c.startswith(FIELD_LABELS[n]) for n in lowered))) if lowered else None
    report = submit_report(session, office=office, incident=incident, now=now, data=NewReport(
        kind=ReportKind(draft.kind), channel=Channel.PLATFORM, to=recipient, submitted_at=now,
        stated=StatedIn.model_validate(draft.stated), correction_note=note))
    draft.status, draft.signed_by, draft.signed_at, draft.report_id = SIGNED, signer, now, report.id
    session.flush()
    return report
