"""The monthly 隐患排查治理台账: read the month's inspections and hazards, compute the ledger, write .docx and .xlsx."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from emergency.clock import isoformat_local, to_local
from emergency.db.models import CommunityRow, GridRow, HazardRow, HazardSourceRow, InspectionRow, Office
from emergency.domain.enums import HazardGrade, HazardStatus
from emergency.domain.ledgers import HazardFact, InspectionFact, Ledger, build_ledger, cut_off, month_days, month_window
from emergency.labels import NO_COMMUNITY
from emergency.reporting.documents import render_document
from emergency.reporting.ledgers import inspection_ledger_context, inspection_ledger_sheets, month_text
from emergency.reporting.workbooks import write_workbook

TEMPLATE = "inspection_ledger.docx"


@dataclass(frozen=True, slots=True)
class LedgerFiles:
    """The month's ledger as written: the document, the workbook and the headline numbers."""

    month: str
    cut: datetime
    document: Path
    workbook: Path
    summary: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return plain data (a flow's result)."""
        return {"month": self.month, "cut": isoformat_local(self.cut), "document": str(self.document),
                "workbook": str(self.workbook), "summary": dict(self.summary)}


def list_month_inspections(session: Session, *, office: Office, month: str) -> list[InspectionFact]:
    """Return every inspection of the office whose due day (local) lies in the month, with its source and grid."""
    first, last = month_days(month)
    grid = aliased(GridRow)
    query = (select(CommunityRow.name, grid.name, HazardSourceRow.code, HazardSourceRow.name, InspectionRow.reason,
                    InspectionRow.assigned_to, InspectionRow.due_on, InspectionRow.due_at, InspectionRow.done_at,
                    InspectionRow.done_by, InspectionRow.result)
             .join(HazardSourceRow, HazardSourceRow.id == InspectionRow.source_id)
             .outerjoin(CommunityRow, CommunityRow.id == HazardSourceRow.community_id)
             .outerjoin(grid, grid.id == func.coalesce(InspectionRow.grid_id, HazardSourceRow.grid_id))
             .where(InspectionRow.office_id == office.id, InspectionRow.due_on >= first, InspectionRow.due_on <= last))
    return [InspectionFact(community=community or NO_COMMUNITY, due_at=due_at, done_at=done_at, due_on=due_on,
                           grid=grid_name or "", source_code=code, source_name=name, reason=reason,
                           assigned_to=assigned or "", done_by=done_by or "", result=result)
            for (community, grid_name, code, name, reason, assigned, due_on, due_at, done_at, done_by, result)
            in session.execute(query).tuples()]


def list_month_hazards(session: Session, *, office: Office, month: str, as_of: datetime) -> list[HazardFact]:
    """Return the hazards that were open at some time of the month up to the cut-off, drills included (marked)."""
    start, _ = month_window(month)
    cut = cut_off(month, as_of)
    community = aliased(CommunityRow)
    query = (select(HazardRow, community.name)
             .outerjoin(HazardSourceRow, HazardSourceRow.id == HazardRow.source_id)
             .outerjoin(community, community.id == func.coalesce(HazardRow.community_id, HazardSourceRow.community_id))
             .where(HazardRow.office_id == office.id, HazardRow.found_at <= cut,
                    or_(HazardRow.closed_at.is_(None), HazardRow.closed_at >= start))
             .order_by(HazardRow.found_at, HazardRow.number))
    return [HazardFact(number=h.number, community=name or NO_COMMUNITY, grade=HazardGrade(h.grade),
                       status=HazardStatus(h.status), found_at=h.found_at, deadline=h.deadline, closed_at=h.closed_at,
                       fixed_reported_at=h.fixed_reported_at, reported_to_district_at=h.reported_to_district_at,
                       drill=h.drill, description=h.description, location=h.location, owner_unit=h.owner_unit,
                       responsible_person=h.responsible_person, verified_by=h.verified_by or "")
            for h, name in session.execute(query).tuples()]


def compute_inspection_ledger(session: Session, *, office: Office, month: str,
                              as_of: datetime) -> tuple[Ledger, list[InspectionFact]]:
    """Return the month's ledger judged at min(month end, as_of), and the inspections it counted."""
    communities = list(session.scalars(select(CommunityRow.name).where(CommunityRow.office_id == office.id)
                                       .order_by(CommunityRow.code)))
    inspections = list_month_inspections(session, office=office, month=month)
    hazards = list_month_hazards(session, office=office, month=month, as_of=as_of)
    return build_ledger(month, as_of, inspections, hazards, communities), inspections


def ledger_summary(ledger: Ledger) -> dict[str, Any]:
    """Return the ledger's headline numbers as plain data."""
    t = ledger.total.inspections
    return {"due": t.due, "on_time": t.on_time, "late": t.late, "missing": t.missing, "pending": t.pending,
            "on_time_rate": None if t.on_time_rate is None else round(t.on_time_rate, 4),
            "found": ledger.total.found, "closed": ledger.total.closed, "open": ledger.total.open,
            "overdue": sum(1 for o in ledger.open_hazards if o.overdue), "majors": len(ledger.majors),
            "drill_hazards": ledger.drill_hazards}


def write_inspection_ledger(session: Session, *, office: Office, month: str, as_of: datetime, out_dir: Path,
                            templates_dir: Path, names: Mapping[str, str] | None = None,
                            document_number: str = "") -> LedgerFiles:
    """Write the month's 隐患排查治理台账 as inspection-ledger-YYYY-MM.docx and .xlsx in *out_dir*; store nothing."""
    # Read-only: the files can be written again at any time with the same as_of and read the same.
    ledger, inspections = compute_inspection_ledger(session, office=office, month=month, as_of=as_of)
    context = inspection_ledger_context(ledger, office=office.name, made_at=as_of, document_number=document_number)
    document = render_document(TEMPLATE, context, out_dir / f"inspection-ledger-{month}.docx", templates_dir)
    title = f"{office.name}{month_text(month)}隐患排查治理台账"
    workbook = write_workbook(inspection_ledger_sheets(ledger, inspections, names), out_dir / f"inspection-ledger-{month}.xlsx",
                              title=title, description=f"统计截至{to_local(ledger.cut):%Y-%m-%d %H:%M}（北京时间）")
    return LedgerFiles(month, ledger.cut, document, workbook, ledger_summary(ledger))
