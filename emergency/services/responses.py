"""Response use cases: grade the incident, start the matching plan's response level (应急响应), list actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.db.models import ContactRow, IncidentRow, ResponseRow
from emergency.domain.grading import deadline_severity, is_sensitive, truth_as_of
from emergency.plans.rules import ReportingRules
from emergency.plans.schema import PlanFile, plan_for
from emergency.services.incidents import to_domain
from emergency.services.plans import locked_plan


@dataclass(frozen=True, slots=True)
class ResponseSummary:
    """What was started, as plain data."""

    incident: str
    plan: str
    plan_name: str
    plan_version: str
    level: str
    level_name: str
    severity: str
    escalated: bool
    actions: tuple[dict[str, str], ...]


def _summary(row: ResponseRow, incident_ref: str, plan_name: str, level_name: str, escalated: bool) -> ResponseSummary:
    return ResponseSummary(incident_ref, row.plan_id, plan_name, row.plan_version, row.level, level_name, row.severity,
                           escalated, tuple(row.actions))


def start_response(session: Session, *, rules: ReportingRules, plans: dict[str, PlanFile], incident: IncidentRow,
                   now: datetime) -> ResponseSummary:
    """Start (or raise) the plan's response level for the incident as graded now; lock the plan version."""
    domain = to_domain(incident)
    truth = truth_as_of(domain.truth, now)
    figures = truth.figures if truth else None
    severity = deadline_severity(rules, domain, figures)
    dead_or_missing = bool(figures and ((figures.deaths or 0) > 0 or (figures.missing or 0) > 0))
    existing = session.scalar(select(ResponseRow).where(ResponseRow.incident_id == incident.id))
    chosen = plans[existing.plan_id] if existing and existing.plan_id in plans else plan_for(
        plans, domain.category, domain.type)
    # The approved version in force when the response starts is locked in; a raised response keeps following it.
    plan, version = locked_plan(session, office_id=incident.office_id, slug=chosen.plan.id, at=now,
                                locked_id=existing.plan_version_id if existing else None, fallback=chosen.plan)
    level = plan.level_for(severity, dead_or_missing, is_sensitive(rules, domain.type))
    holders = {c.role: c for c in session.scalars(select(ContactRow).where(ContactRow.office_id == incident.office_id))}
    roles = {r.id: r.name_zh for r in plan.roles}
    actions = []
    for action in level.actions:
        holder = holders.get(action.owner)
        actions.append({
            "id": action.id, "text": action.text, "owner_role": roles[action.owner],
            "owner": f"{holder.name}（{holder.title}，{holder.phone}）" if holder else roles[action.owner],
            "due_at": (now + timedelta(minutes=action.within_minutes)).isoformat() if action.within_minutes else "",
        })
    order: list[str] = [lv.level for lv in plan.levels]
    if existing is not None:
        # A response is only ever raised while the incident lasts, never lowered (the plan's levels are ordered).
        if order.index(level.level) >= order.index(existing.level):
            current = next(lv for lv in plan.levels if lv.level == existing.level)
            return _summary(existing, incident.ref, plan.name_zh, current.name_zh, False)
        existing.level, existing.severity, existing.actions = level.level, severity.value, actions
        session.flush()
        return _summary(existing, incident.ref, plan.name_zh, level.name_zh, True)
    row = ResponseRow(incident_id=incident.id, plan_id=plan.id, plan_version=plan.version,
                      plan_hash=version.sha256 if version else chosen.sha256, plan_version_id=version.id if version else None,
                      level=level.level, severity=severity.value, started_at=now, actions=actions)
    session.add(row)
    session.flush()
    return _summary(row, incident.ref, plan.name_zh, level.name_zh, False)


def get_response(session: Session, *, incident: IncidentRow) -> ResponseRow | None:
    """Return the incident's response, if one was started."""
    return session.scalar(select(ResponseRow).where(ResponseRow.incident_id == incident.id))
