"""The 应急准备情况报告: read a period's plans, drills, supplies, hazards, warnings, support requests and reporting
record, compute the report (emergency.domain.readiness) and write it as .docx. Reads; never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from emergency.clock import isoformat_local
from emergency.db.models import (
    DrillRow,
    HazardRow,
    Office,
    PlanVersionRow,
    SupportRequestRow,
    WarningEventRow,
    WarningRow,
)
from emergency.domain.enums import WarningLevel
from emergency.domain.readiness import (
    LEVELS,
    DrillFact,
    ExpiringBatch,
    HazardFact,
    NoticeFact,
    Period,
    PlanFact,
    Readiness,
    ShortItem,
    SuppliesFacts,
    SupportFact,
    WarningFact,
    build_readiness,
    cut_off,
)
from emergency.domain.supplies import ExpiryState
from emergency.plans.rules import ReportingRules
from emergency.reporting.documents import render_document
from emergency.reporting.readiness import readiness_context
from emergency.services.audits import audit_database
from emergency.services.supplies import supplies_status
from emergency.services.warning_notices import warning_receipts

TEMPLATE = "readiness_report.docx"


def _drill_cycle(content: dict[str, Any]) -> int | None:
    """Return a plan version's drill cycle in months (the plan's `drills.every_months`), if it has one."""
    drills = content.get("drills")
    months = drills.get("every_months") if isinstance(drills, dict) else content.get("drill_every_months")
    return months if isinstance(months, int) and months > 0 else None


def list_plan_facts(session: Session, *, office: Office) -> list[PlanFact]:
    """Return every approved version of the office's plans (the report picks the one in force at its cut-off)."""
    return [PlanFact(slug=v.slug, name=v.name, kind=v.kind, version=v.version, effective_from=v.effective_from,
                     superseded_at=v.superseded_at, review_due=v.review_due, review_reason=v.review_reason,
                     review_note=v.review_note, drill_every_months=_drill_cycle(dict(v.content or {})))
            for v in session.scalars(select(PlanVersionRow).where(PlanVersionRow.office_id == office.id)
                                     .order_by(PlanVersionRow.slug, PlanVersionRow.effective_from, PlanVersionRow.id))]


def list_drill_facts(session: Session, *, office: Office) -> list[DrillFact]:
    """Return the office's drills: scheduled, held or cancelled, with the number of problems each found."""
    return [DrillFact(number=d.number, title=d.title, plan_slug=d.plan_slug, kind=d.kind, status=d.status,
                      scheduled_for=d.scheduled_for, held_at=d.held_at, problems=len(d.problems or []))
            for d in session.scalars(select(DrillRow).where(DrillRow.office_id == office.id).order_by(DrillRow.id))]


def list_hazard_facts(session: Session, *, office: Office, period: Period, cut: datetime) -> list[HazardFact]:
    """Return the hazards found before the cut-off and not closed before the period began (drills marked)."""
    query = select(HazardRow.grade, HazardRow.found_at, HazardRow.deadline, HazardRow.closed_at, HazardRow.drill,
                   HazardRow.fixed_reported_at).where(
        HazardRow.office_id == office.id, HazardRow.found_at < cut,
        or_(HazardRow.closed_at.is_(None), HazardRow.closed_at >= period.start))
    return [HazardFact(*row) for row in session.execute(query).tuples()]


_SEVERITY = {level: n for n, level in enumerate(LEVELS)}


def _highest(levels: list[str | None]) -> str | None:
    known = [level for level in levels if level in _SEVERITY]
    return min(known, key=lambda level: _SEVERITY[level]) if known else None


def list_warning_facts(session: Session, *, office: Office, period: Period, cut: datetime) -> list[WarningFact]:
    """Return the warnings issued in the period: the highest colour each reached by the cut-off, and for each
    recipient of its pass-down the latest notice's delivery, acknowledgement and deadline."""
    rows = session.scalars(select(WarningRow).where(WarningRow.office_id == office.id,
                                                    WarningRow.issued_at >= period.start, WarningRow.issued_at < cut)
                           .order_by(WarningRow.id)).all()
    levels: dict[int, list[str | None]] = {}
    for warning_id, level in session.execute(select(WarningEventRow.warning_id, WarningEventRow.level).where(
            WarningEventRow.warning_id.in_([w.id for w in rows]), WarningEventRow.at < cut)).tuples():
        levels.setdefault(warning_id, []).append(level)
    facts: list[WarningFact] = []
    for warning in rows:
        notices: tuple[NoticeFact, ...] = ()
        if warning.real or warning.drill:
            receipts = warning_receipts(session, office=office, warning_id=warning.id)
            notices = tuple(NoticeFact(r.latest.sent_at, r.latest.acknowledged_at, r.latest.ack_due)
                            for r in receipts.recipients)
        level = _highest([*levels.get(warning.id, []), warning.level])
        facts.append(WarningFact(level=WarningLevel(level).value if level else None, issued_at=warning.issued_at,
                                 real=warning.real, drill=warning.drill, notices=notices))
    return facts


def list_support_facts(session: Session, *, office: Office, period: Period, cut: datetime) -> list[SupportFact]:
    """Return the support requests made in the period (drills marked)."""
    query = select(SupportRequestRow.kind, SupportRequestRow.status, SupportRequestRow.requested_at,
                   SupportRequestRow.due_at, SupportRequestRow.answered_at, SupportRequestRow.drill).where(
        SupportRequestRow.office_id == office.id, SupportRequestRow.requested_at >= period.start,
        SupportRequestRow.requested_at < cut)
    return [SupportFact(*row) for row in session.execute(query).tuples()]


def supplies_facts(session: Session, *, office: Office, cut: datetime, plans_dir: Path | None) -> SuppliesFacts:
    """Return the supplies at the cut-off as the supplies service reports them: shortfalls, near and past expiry."""
    status = supplies_status(session, office_id=office.id, as_of=cut, plans_dir=plans_dir)
    batches = [*status.expired, *status.near_expiry]
    return SuppliesFacts(
        items=len(status.items),
        shortfalls=tuple(ShortItem(i.name, i.unit, i.on_hand, i.minimum, i.shortfall) for i in status.shortfalls
                         if i.minimum is not None),
        store_shortfalls=len(status.store_shortfalls),
        batches=tuple(ExpiringBatch(b.store_name, b.item_name, b.batch, b.quantity, b.unit, b.expires_on,
                                    b.state is ExpiryState.EXPIRED) for b in batches),
        near_expiry_days=status.near_expiry_days)


def compute_readiness(session: Session, *, office: Office, rules: ReportingRules, period: Period, as_of: datetime,
                      plans_dir: Path | None = None) -> Readiness:
    """Return the office's readiness in *period*, judged at min(period end, as_of)."""
    cut = cut_off(period, as_of)
    # The audit counts the incidents that occurred in the period, as they stood at the cut-off (drills never count).
    audit = audit_database(session, rules=rules, office=office, start=period.start,
                           end=cut - timedelta(microseconds=1), at=cut)
    return build_readiness(
        period=period, cut=cut, plans=list_plan_facts(session, office=office),
        drills=list_drill_facts(session, office=office),
        supplies=supplies_facts(session, office=office, cut=cut, plans_dir=plans_dir),
        hazards=list_hazard_facts(session, office=office, period=period, cut=cut),
        warnings=list_warning_facts(session, office=office, period=period, cut=cut),
        support=list_support_facts(session, office=office, period=period, cut=cut), reporting=audit.summary)


def readiness_summary(r: Readiness) -> dict[str, Any]:
    """Return the report's headline numbers as plain data (a flow's result)."""
    s = r.reporting
    return {
        "plans": {"in_force": len(r.plans), "due": len(r.plans_due)},
        "drills": {"held": len(r.drills.held), "problems": r.drills.problems, "missed": len(r.drills.missed),
                   "overdue": sum(1 for d in r.drills_due if d.state.value == "overdue")},
        "supplies": {"items": r.supplies.items, "short": len(r.supplies.shortfalls),
                     "near_expiry": sum(1 for b in r.supplies.batches if not b.expired),
                     "expired": sum(1 for b in r.supplies.batches if b.expired)},
        "hazards": {"found": r.hazards.found.total, "closed": r.hazards.closed.total, "open": r.hazards.open.total,
                    "overdue": r.hazards.overdue.total},
        "warnings": {"issued": r.warnings.issued, "recipients": r.warnings.recipients,
                     "received": r.warnings.received, "acknowledged": r.warnings.acknowledged},
        "reporting": {"incidents": s.incidents, "obligations": s.obligations, "on_time": s.on_time, "late": s.late,
                      "missing": s.missing, "false": s.false, "concealed": s.concealed},
        "support": {"requested": r.support.requested, "answered": r.support.answered,
                    "answered_in_time": r.support.answered_in_time, "refused": r.support.refused,
                    "unanswered_overdue": r.support.unanswered_overdue},
    }


@dataclass(frozen=True, slots=True)
class ReadinessFile:
    """The period's report as written: the document and the headline numbers."""

    period: str
    first: str
    last: str
    cut: datetime
    document: Path
    summary: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return plain data (a flow's result)."""
        return {"period": self.period, "from": self.first, "to": self.last, "cut": isoformat_local(self.cut),
                "document": str(self.document), "summary": self.summary}


def write_readiness_report(session: Session, *, office: Office, rules: ReportingRules, period: Period,
                           as_of: datetime, recipient: str, out_dir: Path, templates_dir: Path,
                           plans_dir: Path | None = None, document_number: str = "") -> ReadinessFile:
    """Write the period's 应急准备情况报告 as readiness-report-<period>.docx in *out_dir*; store nothing."""
    # The same period and as_of always write the same document: the report can be made again at any time.
    readiness = compute_readiness(session, office=office, rules=rules, period=period, as_of=as_of, plans_dir=plans_dir)
    context = readiness_context(readiness, office=office.name, recipient=recipient, made_at=as_of,
                                document_number=document_number)
    document = render_document(TEMPLATE, context, out_dir / f"readiness-report-{period.label}.docx", templates_dir)
    return ReadinessFile(period.label, period.first.isoformat(), period.last.isoformat(), readiness.cut, document,
                         readiness_summary(readiness))
