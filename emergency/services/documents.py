"""Document use cases: sign a draft, render its official .docx, and queue its delivery, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.clock import to_local
from emergency.db.models import DraftRow, IncidentRow, Office, ReportRow
from emergency.domain.enums import ReportKind
from emergency.errors import NotFoundError
from emergency.labels import DOCUMENT_NUMBER, URGENCY
from emergency.reporting.contexts import report_context
from emergency.reporting.documents import render_document
from emergency.services.drafts import sign_draft
from emergency.services.incidents import to_domain
from emergency.services.outbox import enqueue

TEMPLATES: dict[ReportKind, str] = {
    ReportKind.INITIAL: "report_initial.docx",
    ReportKind.FOLLOW_UP: "report_follow_up.docx",
    ReportKind.FINAL: "report_final.docx",
}


@dataclass(frozen=True, slots=True)
class IssuedReport:
    """A signed report, its document and its queued deliveries."""

    report_id: int
    report: str
    incident: str
    kind: str
    document: Path
    outbox_ids: tuple[int, ...]


def render_report(session: Session, *, office: Office, report: ReportRow, signer: str | None,
                  signed_at: datetime | None, sequence: int, changes: Sequence[str], out_dir: Path,
                  templates_dir: Path) -> Path:
    """Render a stored report as its official document; the same report always renders the same text."""
    incident = session.get(IncidentRow, report.incident_id)
    assert incident is not None
    kind = ReportKind(report.kind)
    context = report_context(
        office=office.name, incident=to_domain(incident), kind=kind, sequence=sequence, stated=report.stated or {},
        changes=changes, signer=signer, signed_at=signed_at, urgency=URGENCY[kind],
        document_number=DOCUMENT_NUMBER.format(year=to_local(report.submitted_at).year, number=report.chain_seq),
        recipient=report.recipient, drill=incident.drill)
    target = out_dir / f"{incident.ref}-{report.ref}-{kind.value}.docx"
    return render_document(TEMPLATES[kind], context, target, templates_dir)


def sign_and_issue(session: Session, *, office: Office, draft_id: int, signer: str, recipient: str,
                   channels: Sequence[str], now: datetime, out_dir: Path, templates_dir: Path) -> IssuedReport:
    """Sign off a draft: the report is submitted now, its document written and its deliveries queued."""
    report = sign_draft(session, office=office, draft_id=draft_id, signer=signer, recipient=recipient, now=now)
    draft = session.get(DraftRow, draft_id)
    assert draft is not None
    path = render_report(session, office=office, report=report, signer=signer, signed_at=now, sequence=draft.sequence,
                         changes=draft.changes, out_dir=out_dir, templates_dir=templates_dir)
    draft.document_path = str(path)
    incident = session.get(IncidentRow, report.incident_id)
    assert incident is not None
    ids = tuple(
        enqueue(session, key=f"report-{report.content_hash[:32]}-{channel}", topic="report", channel=channel,
                subject=f"{incident.title}（{report.kind}）", attachment=path, now=now, report_id=report.id,
                drill=incident.drill,
                body={"office": office.name, "incident": incident.ref, "report": report.ref, "kind": report.kind,
                      "submitted_at": report.submitted_at.isoformat(), "signed_by": signer,
                      "content_hash": report.content_hash, "stated": report.stated})
        for channel in channels
    )
    session.flush()
    return IssuedReport(report.id, report.ref, incident.ref, report.kind, path, ids)


def rerender_report(session: Session, *, office: Office, incident: IncidentRow, report_ref: str, out_dir: Path,
                    templates_dir: Path) -> Path:
    """Render any stored report again for printing."""
    report = session.scalar(select(ReportRow).where(ReportRow.incident_id == incident.id, ReportRow.ref == report_ref))
    if report is None:
        raise NotFoundError(f"incident {incident.ref}, report {report_ref}: no such report")
    draft = session.scalar(select(DraftRow).where(DraftRow.report_id == report.id))
    return render_report(session, office=office, report=report, signer=draft.signed_by if draft else None,
                         signed_at=draft.signed_at if draft else None, sequence=draft.sequence if draft else 0,
                         changes=draft.changes if draft else [], out_dir=out_dir, templates_dir=templates_dir)
