"""Response (处置): grade the incident, start the plan's response level, draft the initial report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.services.clocks import sync_obligations
from emergency.services.drafts import draft_due_reports
from emergency.services.incidents import find_incident, get_office
from emergency.services.responses import start_response
from flows._runtime import resolve_as_of, runtime


@task(name="start-response")
def start_response_task(incident: str, as_of: datetime) -> dict[str, Any]:
    """Grade the incident and start (or raise) the matching plan's response level."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        row = find_incident(session, office=office, ident=incident)
        summary = start_response(session, rules=rt.rules, plans=rt.plans, incident=row, now=as_of)
    return {"plan": summary.plan_name, "version": summary.plan_version, "level": summary.level_name,
            "severity": summary.severity, "escalated": summary.escalated, "actions": list(summary.actions)}


@task(name="draft-due-reports")
def draft_reports_task(incident: str, as_of: datetime) -> list[int]:
    """Draft each report the rules make due, from the facts recorded so far."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        row = find_incident(session, office=office, ident=incident)
        drafted = [d.id for d in draft_due_reports(session, rules=rt.rules, incident=row, now=as_of)]
        sync_obligations(session, rules=rt.rules, incident=row, now=as_of)
        return drafted


@flow(name="incident-response", flow_run_name="incident-response-{incident}")
def incident_response(incident: str, as_of: datetime | None = None) -> dict[str, Any]:
    """Grade, start the response level with its actions and owners, and draft the initial report."""
    at = resolve_as_of(as_of)
    response = start_response_task(incident, at)
    drafts = draft_reports_task(incident, at)
    return {"incident": incident, "response": response, "drafts": drafts}
