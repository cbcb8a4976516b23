"""Reporting while incidents are open: raise the response, draft follow-ups and final reports as they fall due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.services.incidents import get_office, open_incident_refs
from flows._runtime import resolve_as_of, runtime
from flows.delivery_flow import deliver_outbox_task
from flows.response_flow import draft_reports_task, start_response_task


@task(name="list-active-incidents")
def active_incidents_task(as_of: datetime) -> list[str]:
    """Return the incidents still open, or closed but with reports still owed."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        return open_incident_refs(session, rules=rt.rules, office=office, at=as_of)


@flow(name="incident-reporting")
def incident_reporting(as_of: datetime | None = None) -> dict[str, Any]:
    """For every active incident: raise its response if the facts grew, draft what is due, deliver the outbox."""
    at = resolve_as_of(as_of)
    drafted: dict[str, list[int]] = {}
    for incident in active_incidents_task(at):
        start_response_task(incident, at)
        drafts = draft_reports_task(incident, at)
        if drafts:
            drafted[incident] = drafts
    delivered = deliver_outbox_task(at)
    return {"drafted": drafted, "delivered": delivered}
