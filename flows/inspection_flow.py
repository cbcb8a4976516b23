"""Inspection planning (隐患排查计划): every morning, create the inspections due and tell each grid leader theirs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.delivery_config import load_delivery
from emergency.plans.inspections import load_inspection_plan
from emergency.services.incidents import get_office
from emergency.services.inspections import plan_inspections
from flows._runtime import resolve_as_of, runtime
from flows.delivery_flow import deliver_outbox_task


@task(name="plan-inspections")
def plan_inspections_task(as_of: datetime) -> dict[str, Any]:
    """Create the inspections due on as_of's day, assigned to grid leaders, and queue each leader's notice."""
    # One unit of work: the inspections and their notices commit together, and a retry finds them stored.
    rt = runtime()
    plan = load_inspection_plan(rt.settings.plans_dir)
    channels = load_delivery(rt.settings.plans_dir).route("notice")
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        summary = plan_inspections(session, office=office, plan=plan, as_of=as_of, channels=channels)
    return summary.as_dict()


@flow(name="inspection-planning")
def inspection_planning(as_of: datetime | None = None) -> dict[str, Any]:
    """Plan the day's inspections (never twice for a source and period, even re-run or backfilled) and send notices."""
    at = resolve_as_of(as_of)
    planned = plan_inspections_task(at)
    delivered = deliver_outbox_task(at)
    return {**planned, "delivered": delivered}
