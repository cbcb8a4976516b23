"""Drill replay (应急演练): a scenario played as a drill incident through the real response and sign-off tasks.

Each step runs at its own time in the scenario (start + offset), like the demo's `as_of`. The flow uses the
response flow's and the sign-off flow's own tasks for one incident, not those flows whole: the reporting flow
works on every open incident and the sign-off flow delivers every due message, and a drill's simulated time
must never touch a real incident or a real message. Its deliveries are the drill's messages alone, on the drill
channels (plans/delivery.yaml) unless it was run with deliver_to_real.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.delivery_config import build_channels, load_delivery
from emergency.scenarios import RespondStep, SignStep, load_scenario, scenario_label
from emergency.services.drills import finish_replay, replay_step, start_replay, waiting_draft
from emergency.services.incidents import get_office
from emergency.services.outbox import deliver_due
from flows._runtime import resolve_as_of, runtime
from flows.response_flow import draft_reports_task, start_response_task
from flows.signoff_flow import sign_and_issue_task


@task(name="open-drill-incident")
def open_drill_task(scenario: str, drill: str | None, start: datetime, deliver_to_real: bool) -> list[str]:
    """Open the drill incident (drill flag set) on the drill named, or on a new drill; return [drill, incident]."""
    rt = runtime()
    path, plan = load_scenario(scenario)
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        number, incident = start_replay(session, rules=rt.rules, office=office, plans=rt.plans, scenario=plan,
                                        scenario_file=scenario_label(path), drill_ident=drill, start=start,
                                        deliver_to_real=deliver_to_real, now=start)
    return [number, incident]


@task(name="drill-step")
def drill_step_task(scenario: str, index: int, incident: str, start: datetime) -> str:
    """Record one step of the scenario that no flow takes: facts, a report made by phone, the close."""
    rt = runtime()
    _, plan = load_scenario(scenario)
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        return replay_step(session, office=office, incident_ref=incident, step=plan.steps[index], start=start,
                           recipient_default=rt.settings.district_recipient)


@task(name="waiting-draft")
def waiting_draft_task(incident: str, kind: str | None) -> int:
    """Return the draft the step's signer signs."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        return waiting_draft(session, office=office, incident_ref=incident, kind=kind)


@task(name="deliver-drill-outbox", retries=3, retry_delay_seconds=[5, 30, 120])
def deliver_drill_outbox_task(as_of: datetime) -> dict[str, int]:
    """Deliver the drill messages due at the step's time, through the drill channels (real ones only if allowed)."""
    rt = runtime()
    config = load_delivery(rt.settings.plans_dir)
    channels = build_channels(config, os.environ, base_dir=rt.settings.output_dir)
    return deliver_due(rt.sessions, channels=channels, now=as_of, guard=config.drill_guard(), drills_only=True)


@task(name="audit-drill")
def audit_drill_task(drill: str, start: datetime, audit_at: datetime, participants: list[str]) -> dict[str, Any]:
    """Audit the drill incident; record the drill held with the audit as its evaluation's input."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        result = finish_replay(session, rules=rt.rules, office=office, drill_number=drill, start=start,
                               audit_at=audit_at, participants=participants, out_dir=rt.settings.output_dir,
                               now=audit_at)
    return result.as_dict()


@flow(name="drill-run", flow_run_name="drill-run-{scenario}")
def drill_run(scenario: str, drill: str | None = None, start: datetime | None = None, deliver_to_real: bool = False,
              participants: list[str] | None = None) -> dict[str, Any]:
    """Replay a scenario as a drill: open the drill incident, take each step at its time, audit, record the drill."""
    t0 = resolve_as_of(start)
    _, plan = load_scenario(scenario)  # a bad scenario fails here, before anything is stored
    number, incident = open_drill_task(scenario, drill, t0, deliver_to_real)
    steps: list[dict[str, Any]] = []
    for index, step in enumerate(plan.steps):
        at = t0 + step.at
        if isinstance(step, RespondStep):
            response = start_response_task(incident, at)
            drafts = draft_reports_task(incident, at)
            done = f"{response['level']}, drafts {drafts}" if drafts else str(response["level"])
        elif isinstance(step, SignStep):
            draft = waiting_draft_task(incident, step.kind.value if step.kind else None)
            issued = sign_and_issue_task(draft, step.signer, at)
            delivered = deliver_drill_outbox_task(at)
            done = f"{issued['kind']} {issued['report']} signed by {step.signer}, delivered {delivered}"
        else:
            done = drill_step_task(scenario, index, incident, t0)
        steps.append({"at": at.isoformat(), "do": step.do, "done": done})
    result = audit_drill_task(number, t0, t0 + plan.audited, participants or [])
    return {**result, "start": t0.isoformat(), "steps": steps}
