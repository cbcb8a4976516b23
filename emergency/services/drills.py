"""Drills (应急演练): schedule and record them, list those due by the plans' drill cycles, turn the problems a drill
found into hazards to rectify (and a plan gap into a review of the plan), and replay a scenario as a drill
incident whose audit becomes the drill's evaluation.

A drill incident (incidents.drill) runs through the real reporting flows, but it never counts in the statistics
(the audit's summary, the monthly report, the ledger, `emergency status`), and its messages go only to drill
channels unless the drill was run with --deliver-to-real (services/outbox.py, note 5). The problems it found are
real, so their hazards are not drill hazards: they are rectified and counted like any other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.clock import isoformat_local, to_local
from emergency.db.models import DraftRow, DrillRow, IncidentRow, Office, OutboxRow
from emergency.domain.drills import (
    DUE_SOON_DAYS,
    DrillCycle,
    DrillDue,
    DrillFact,
    Timing,
    audit_evaluation,
    drills_due,
    format_offset,
    merge_evaluation,
    next_drill_number,
    score,
    timings,
)
from emergency.domain.enums import DrillKind, DrillStatus, PlanReviewReason
from emergency.errors import ConflictError, InputError, NotFoundError
from emergency.labels import DRILL_KIND_LABELS, DRILL_PLAN_GAP_NOTE, DRILL_PROBLEM_SOURCE
from emergency.plans.hazards import HazardPlan
from emergency.plans.rules import ReportingRules
from emergency.plans.schema import PlanFile
from emergency.scenarios import (
    CloseStep,
    FactsStep,
    ReportStep,
    Scenario,
    Step,
    stated_in,
)
from emergency.services.drafts import AWAITING
from emergency.services.hazards import FindingIn, HazardSummary, open_found_hazard
from emergency.services.incidents import (
    NewFacts,
    NewIncident,
    check_not_future,
    close_incident,
    find_incident,
    incident_audit,
    open_incident,
    record_facts,
)
from emergency.services.reports import NewReport, submit_report
from emergency.timelines import AwareTime, findings_document

NAME_MAX = 64
PROBLEM_MAX = 2000
DEFAULT_GRADE = "general"
DEFAULT_CATEGORY = "management"
"""A problem a drill finds is, unless said otherwise, a 一般事故隐患 in 管理上的缺陷 (GB/T 13861-2022)."""


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------------------


class NewDrill(BaseModel):
    """A drill to schedule: the plan it exercises, its form, the scenario, when and where."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plan: str = Field(min_length=1, max_length=64)
    kind: DrillKind
    scenario: str = Field(min_length=1, max_length=1000)
    scheduled_for: AwareTime
    title: str = Field(default="", max_length=200)
    location: str = Field(default="", max_length=1000)
    organiser: str = Field(default="", max_length=100)


class ProblemIn(BaseModel):
    """A problem the drill found (演练发现的问题): a hazard to rectify; a gap in the plan also flags it for review."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1, max_length=PROBLEM_MAX)
    plan_gap: bool = False
    grade: str = DEFAULT_GRADE
    category: str = DEFAULT_CATEGORY
    measures: str = Field(default="", max_length=2000)
    responsible_person: str = Field(default="", max_length=NAME_MAX)
    owner_unit: str | None = Field(default=None, max_length=200)
    deadline: date | datetime | str | None = None
    location: str | None = Field(default=None, max_length=1000)


class DrillRecordIn(BaseModel):
    """What a held drill records: when, who took part, the evaluation (评估) and the problems found."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    held_at: AwareTime | None = None
    participants: tuple[str, ...] | None = None
    evaluation: str | None = Field(default=None, max_length=20000)
    problems: tuple[ProblemIn, ...] = ()
    by: str | None = Field(default=None, max_length=NAME_MAX)
    location: str | None = Field(default=None, max_length=1000)


@dataclass(frozen=True, slots=True)
class DrillInfo:
    """A drill as people read it."""

    id: int
    number: str
    title: str
    plan: str
    kind: str
    scenario: str
    location: str
    organiser: str
    status: str
    scheduled_for: datetime | None
    held_at: datetime | None
    participants: tuple[str, ...]
    evaluation: str
    problems: tuple[dict[str, Any], ...]
    incident: str | None
    document_path: str | None


@dataclass(frozen=True, slots=True)
class RecordedDrill:
    """What recording a held drill stored: the drill, the hazards opened and the plans flagged for review."""

    drill: DrillInfo
    hazards: tuple[HazardSummary, ...]
    flagged: tuple[str, ...]
    unflagged: tuple[str, ...]


# --------------------------------------------------------------------------------------------------------------
# Scheduling, recording, listing
# --------------------------------------------------------------------------------------------------------------


def _plan(plans: Mapping[str, PlanFile], record: str, slug: str) -> PlanFile:
    found = plans.get(slug)
    if found is None:
        raise InputError(record, "plan", f"{slug!r} is not a plan ({', '.join(sorted(plans))})")
    return found


def _check_kind(record: str, loaded: PlanFile, kind: DrillKind) -> None:
    kinds = loaded.plan.drills.kinds
    if kind not in kinds:
        allowed = "、".join(DRILL_KIND_LABELS[k] for k in kinds)
        raise InputError(record, "kind", f"{loaded.plan.id} is drilled as {allowed} ({loaded.plan.drills.source}), "
                                         f"not {DRILL_KIND_LABELS[kind]}")


def _plan_version_id(session: Session, *, office: Office, slug: str, at: datetime) -> int | None:
    """Return the approved version of the plan in force at *at* (plan_versions), if one was approved."""
    from emergency.services.plans import plan_in_force

    version = plan_in_force(session, office_id=office.id, slug=slug, at=at)
    return version.id if version is not None else None


def _new_number(session: Session, office: Office, at: datetime) -> str:
    numbers = session.scalars(select(DrillRow.number).where(DrillRow.office_id == office.id))
    return next_drill_number(numbers, to_local(at).year)


def schedule_drill(session: Session, *, office: Office, plans: Mapping[str, PlanFile], data: NewDrill,
                   now: datetime) -> DrillRow:
    """Schedule a drill of a plan, in one of the forms the plan's drill cycle names; number it D-YYYY-NNN."""
    record = "new drill"
    loaded = _plan(plans, record, data.plan)
    _check_kind(record, loaded, data.kind)
    if data.scheduled_for < now:
        raise InputError(record, "at", f"{to_local(data.scheduled_for).isoformat()} is in the past: a drill already "
                                       "held is recorded with `emergency drill record`")
    row = DrillRow(office_id=office.id, number=_new_number(session, office, data.scheduled_for),
                   title=_clean(data.title) or loaded.plan.name_zh, plan_slug=loaded.plan.id,
                   plan_version_id=_plan_version_id(session, office=office, slug=loaded.plan.id, at=data.scheduled_for),
                   kind=data.kind.value, scenario=data.scenario.strip(), location=_clean(data.location),
                   organiser=_clean(data.organiser), scheduled_for=data.scheduled_for, held_at=None, participants=[],
                   evaluation="", problems=[], status=DrillStatus.SCHEDULED.value, drill_incident_id=None,
                   document_path=None, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row


def find_drill(session: Session, *, office: Office, ident: str) -> DrillRow:
    """Return the office's drill by its number (D-2026-003) or its id, or raise NotFoundError."""
    text = ident.strip()
    row = session.scalar(select(DrillRow).where(DrillRow.office_id == office.id, DrillRow.number == text))
    if row is None and text.isdigit():
        row = session.scalar(select(DrillRow).where(DrillRow.office_id == office.id, DrillRow.id == int(text)))
    if row is None:
        raise NotFoundError(f"drill {ident}: no such drill (see `emergency drill list`)")
    return row


def drill_info(session: Session, row: DrillRow) -> DrillInfo:
    """Return a drill as plain data."""
    incident = session.get(IncidentRow, row.drill_incident_id) if row.drill_incident_id else None
    return DrillInfo(row.id, row.number, row.title, row.plan_slug, row.kind, row.scenario, row.location,
                     row.organiser, row.status, row.scheduled_for, row.held_at,
                     tuple(str(p) for p in row.participants or []), row.evaluation,
                     tuple(dict(p) for p in row.problems or []), incident.ref if incident else None, row.document_path)


def list_drills(session: Session, *, office: Office) -> list[DrillInfo]:
    """Return the office's drills, the latest (held or scheduled) first."""
    rows = session.scalars(select(DrillRow).where(DrillRow.office_id == office.id))
    infos = [drill_info(session, row) for row in rows]
    return sorted(infos, key=lambda d: (d.held_at or d.scheduled_for or _EPOCH, d.id), reverse=True)


_EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def _cycle(loaded: PlanFile) -> DrillCycle:
    plan = loaded.plan
    return DrillCycle(plan.id, plan.name_zh, plan.drills.every_months, tuple(plan.drills.kinds), plan.drills.source,
                      plan.effective_from)


def due_drills(session: Session, *, office: Office, plans: Mapping[str, PlanFile], now: datetime,
               within_days: int = DUE_SOON_DAYS) -> list[DrillDue]:
    """Return each plan's next drill by its drill cycle, judged on today's local date, soonest first."""
    facts = [DrillFact(row.plan_slug, DrillStatus(row.status), to_local(row.held_at).date() if row.held_at else None,
                       to_local(row.scheduled_for).date() if row.scheduled_for else None)
             for row in session.scalars(select(DrillRow).where(DrillRow.office_id == office.id))]
    return drills_due([_cycle(p) for p in plans.values()], facts, to_local(now).date(), within_days)


def record_drill(session: Session, *, office: Office, hazard_plan: HazardPlan, drill: DrillRow, data: DrillRecordIn,
                 now: datetime) -> RecordedDrill:
    """Record a drill as held: when, who took part, the evaluation, and each problem as a hazard to rectify.

    A problem marked as a gap in the plan (预案缺陷) also flags the plan for review. Recording again adds the
    new problems only (the same text twice is one problem) and replaces the evaluation's own words.
    """
    record = f"drill {drill.number}"
    if drill.status == DrillStatus.CANCELLED.value:
        raise ConflictError(f"{record}, field status: the drill was cancelled")
    held_at = data.held_at or drill.held_at
    if held_at is None:
        raise InputError(record, "held_at", "is required: when the drill was held")
    check_not_future(record, "held_at", held_at, now)
    participants = [_clean(p) for p in data.participants] if data.participants is not None else list(drill.participants)
    for n, name in enumerate(participants):
        if not name:
            raise InputError(record, f"participants[{n}]", "is empty")
    by = _clean(data.by or drill.organiser or "")
    if not by:
        raise InputError(record, "by", "is required: who records the drill (its organiser)")
    known = {_clean(str(p.get("text", ""))) for p in drill.problems or []}
    source = DRILL_PROBLEM_SOURCE.format(number=drill.number, plan=drill.plan_slug,
                                         kind=DRILL_KIND_LABELS[DrillKind(drill.kind)])
    hazards: list[HazardSummary] = []
    problems = list(drill.problems or [])
    gaps: list[str] = []
    for n, problem in enumerate(data.problems):
        text = _clean(problem.text)
        if not text:
            raise InputError(record, f"problems[{n}].text", "is empty")
        if text in known:
            continue
        known.add(text)
        finding = FindingIn(description=text, grade=problem.grade, category=problem.category,
                            measures=problem.measures, responsible_person=problem.responsible_person,
                            deadline=problem.deadline, location=problem.location if problem.location is not None
                            else drill.location, owner_unit=problem.owner_unit)
        summary = open_found_hazard(session, office=office, plan=hazard_plan, data=finding, record=record,
                                    where=f"problems[{n}]", by=by, at=held_at, now=now,
                                    owner_unit=drill.organiser or office.name,
                                    origin={"drill": drill.number, "source": source, "plan_gap": problem.plan_gap})
        hazards.append(summary)
        problems.append({"text": text, "hazard": summary.number, "plan_gap": problem.plan_gap})
        if problem.plan_gap:
            gaps.append(text)
    flagged, unflagged = _flag_plan(session, office=office, drill=drill, gaps=gaps, held_at=held_at, now=now)
    drill.held_at = held_at
    drill.participants = participants
    drill.problems = problems
    drill.evaluation = merge_evaluation(data.evaluation, drill.evaluation)
    if data.location is not None:
        drill.location = _clean(data.location)
    drill.status = DrillStatus.HELD.value
    drill.updated_at = now
    session.flush()
    return RecordedDrill(drill_info(session, drill), tuple(hazards), flagged, unflagged)


def _flag_plan(session: Session, *, office: Office, drill: DrillRow, gaps: Sequence[str], held_at: datetime,
               now: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Flag the drill's plan for review for each gap it exposed; return the versions flagged, or the gaps unflagged."""
    if not gaps:
        return (), ()
    from emergency.services.plans import flag_plan_for_review

    note = "；".join(DRILL_PLAN_GAP_NOTE.format(number=drill.number, held=f"{to_local(held_at):%Y-%m-%d}", problem=gap)
                    for gap in gaps)
    versions = flag_plan_for_review(session, slug=drill.plan_slug, reason=PlanReviewReason.DRILL_GAP, now=now,
                                    note=note, office_id=office.id)
    if not versions:
        return (), tuple(gaps)  # no version of the plan was approved yet: nothing in force to flag
    return tuple(f"{v.slug} {v.version}" for v in versions), ()


def cancel_drill(session: Session, *, drill: DrillRow, now: datetime) -> None:
    """Cancel a scheduled drill."""
    if drill.status != DrillStatus.SCHEDULED.value:
        raise ConflictError(f"drill {drill.number}, field status: is {drill.status}, only a scheduled drill is cancelled")
    drill.status = DrillStatus.CANCELLED.value
    drill.updated_at = now


# --------------------------------------------------------------------------------------------------------------
# Replaying a scenario (the drill flow's task bodies)
# --------------------------------------------------------------------------------------------------------------


def start_replay(session: Session, *, rules: ReportingRules, office: Office, plans: Mapping[str, PlanFile],
                 scenario: Scenario, scenario_file: str, drill_ident: str | None, start: datetime,
                 deliver_to_real: bool, now: datetime) -> tuple[str, str]:
    """Open the drill incident of a replay (incidents.drill), on the drill named or a new one; return both numbers.

    The incident's reference is the drill's number, so its reports, clocks and outbox rows are found by it.
    """
    record = f"drill {drill_ident}" if drill_ident else "new drill"
    loaded = _plan(plans, f"scenario {scenario_file}", scenario.plan)
    _check_kind(f"scenario {scenario_file}", loaded, scenario.kind)
    if drill_ident is not None:
        drill = find_drill(session, office=office, ident=drill_ident)
        if drill.drill_incident_id is not None:
            raise ConflictError(f"{record}, field drill_incident_id: already replayed (incident "
                                f"{find_drill_incident(session, drill).ref}); schedule another drill to replay again")
        if drill.status == DrillStatus.CANCELLED.value:
            raise ConflictError(f"{record}, field status: the drill was cancelled")
        if drill.plan_slug != scenario.plan:
            raise InputError(record, "plan", f"the drill exercises plan {drill.plan_slug}, the scenario plan "
                                             f"{scenario.plan}")
    else:
        drill = DrillRow(office_id=office.id, number=_new_number(session, office, start), title=scenario.name,
                         plan_slug=scenario.plan,
                         plan_version_id=_plan_version_id(session, office=office, slug=scenario.plan, at=start),
                         kind=scenario.kind.value, scenario=scenario_file, location=scenario.location,
                         organiser="", scheduled_for=start, held_at=None, participants=[], evaluation="", problems=[],
                         status=DrillStatus.SCHEDULED.value, drill_incident_id=None, document_path=None,
                         created_at=now, updated_at=now)
        session.add(drill)
        session.flush()
    if session.scalar(select(IncidentRow.id).where(IncidentRow.office_id == office.id, IncidentRow.ref == drill.number)):
        raise ConflictError(f"{record}, field number: an incident {drill.number} already exists")
    spec = scenario.incident
    known_at = start + spec.known
    incident = open_incident(session, rules=rules, office=office, now=known_at, data=NewIncident(
        id=drill.number, category=spec.category, type=spec.type, title=spec.title, location=spec.location,
        occurred_at=start + spec.occurred, known_at=known_at, drill=True))
    incident.deliver_to_real = deliver_to_real
    drill.drill_incident_id = incident.id
    drill.scenario = scenario_file
    drill.updated_at = now
    session.flush()
    return drill.number, incident.ref


def find_drill_incident(session: Session, drill: DrillRow) -> IncidentRow:
    """Return the drill incident a replay opened."""
    incident = session.get(IncidentRow, drill.drill_incident_id) if drill.drill_incident_id else None
    if incident is None:
        raise NotFoundError(f"drill {drill.number}: not replayed (no drill incident)")
    return incident


def replay_step(session: Session, *, office: Office, incident_ref: str, step: Step, start: datetime,
                recipient_default: str) -> str:
    """Take one recorded step of a scenario (facts, a report made outside the system, the close); say what it did."""
    incident = find_incident(session, office=office, ident=incident_ref)
    at = start + step.at
    if isinstance(step, FactsStep):
        figures = step.model_dump(exclude={"at", "do"})
        record_facts(session, incident=incident, now=at, data=NewFacts(as_of=at, **figures))
        return "facts recorded: " + ", ".join(f"{k} {v}" for k, v in figures.items() if v is not None)
    if isinstance(step, ReportStep):
        row = submit_report(session, office=office, incident=incident, now=at, data=NewReport(
            kind=step.kind, channel=step.channel, to=step.to or recipient_default, submitted_at=at,
            stated=stated_in(step.stated, start)))
        return f"{step.kind.value} report {row.ref} by {step.channel.value} to {row.recipient}"
    if isinstance(step, CloseStep):
        close_incident(session, incident=incident, closed_at=at, now=at)
        return "response over: incident closed"
    raise InputError(f"incident {incident_ref}", "do", f"{step.do} is not a recorded step")


def waiting_draft(session: Session, *, office: Office, incident_ref: str, kind: str | None) -> int:
    """Return the oldest draft of the drill incident waiting for its signer (of *kind* if given)."""
    incident = find_incident(session, office=office, ident=incident_ref)
    query = (select(DraftRow.id).where(DraftRow.incident_id == incident.id, DraftRow.status == AWAITING)
             .order_by(DraftRow.drafted_at, DraftRow.id))
    if kind is not None:
        query = query.where(DraftRow.kind == kind)
    found = session.scalar(query)
    if found is None:
        raise ConflictError(f"incident {incident_ref}, field drafts: no draft{f' of kind {kind}' if kind else ''} "
                            "waits for a signer at this step (add a respond step before it)")
    return found


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """A finished replay: the drill and its incident, what the audit found, each report's timing, the files."""

    drill: str
    incident: str
    audit_at: datetime
    timings: tuple[Timing, ...]
    findings: tuple[dict[str, Any], ...]
    score: dict[str, Any]
    documents: tuple[str, ...]
    outbox: tuple[dict[str, Any], ...]
    record: str

    def as_dict(self) -> dict[str, Any]:
        """Return plain data (the flow's result)."""
        return {"drill": self.drill, "incident": self.incident, "audit_at": isoformat_local(self.audit_at),
                "timings": [_timing_json(t) for t in self.timings], "findings": list(self.findings),
                "score": dict(self.score), "documents": list(self.documents), "outbox": list(self.outbox),
                "record": self.record}


def _timing_json(t: Timing) -> dict[str, Any]:
    return {"obligation": t.obligation, "label": t.label, "due_at": isoformat_local(t.due_at),
            "met_at": isoformat_local(t.met_at) if t.met_at else None, "met_by": t.met_by, "status": t.status.value,
            "minutes_late": t.minutes_late}


def finish_replay(session: Session, *, rules: ReportingRules, office: Office, drill_number: str, start: datetime,
                  audit_at: datetime, participants: Sequence[str], out_dir: Path, now: datetime) -> ReplayResult:
    """Audit the drill incident at *audit_at*; record the drill held, the audit as its evaluation's input; write
    the drill's record (drill-NUMBER.json) beside its documents."""
    drill = find_drill(session, office=office, ident=drill_number)
    incident = find_drill_incident(session, drill)
    audit = incident_audit(session, rules=rules, incident=incident, at=audit_at)
    text = audit_evaluation(audit.obligations, audit.findings, audit_at)
    drill.evaluation = merge_evaluation(None, drill.evaluation, text)
    drill.held_at = drill.held_at or start
    if participants:
        drill.participants = [_clean(p) for p in participants if _clean(p)]
    drill.status = DrillStatus.HELD.value
    drill.updated_at = now
    s = score(audit.obligations, audit.findings)
    documents = tuple(sorted(p for p in session.scalars(select(DraftRow.document_path).where(
        DraftRow.incident_id == incident.id, DraftRow.document_path.is_not(None))) if p))
    outbox = tuple({"id": row.id, "channel": row.channel, "diverted_from": row.diverted_from, "status": row.status,
                    "subject": row.subject}
                   for row in session.scalars(select(OutboxRow).join(DraftRow, DraftRow.report_id == OutboxRow.report_id)
                                              .where(DraftRow.incident_id == incident.id).order_by(OutboxRow.id)))
    from emergency.domain.audits import AuditResult

    findings = findings_document(AuditResult(office.name, audit_at, (audit,)))["findings"]
    path = out_dir / f"drill-{drill.number}.json"
    result = ReplayResult(drill.number, incident.ref, audit_at, tuple(timings(audit.obligations)), tuple(findings),
                          {"obligations": s.obligations, "on_time": s.on_time, "late": s.late, "open": s.open,
                           "findings": dict(s.findings)}, documents, outbox, str(path))
    document = {"format": "emergency-drill/1", "office": office.name, "drill": drill.number, "title": drill.title,
                "plan": drill.plan_slug, "kind": drill.kind, "scenario": drill.scenario,
                "start": isoformat_local(start), "offsets": {"audit_at": format_offset(audit_at - start)},
                **result.as_dict()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    drill.document_path = str(path)
    session.flush()
    return result
