"""Plan versions: approve a plan's content, find the version in force, flag and list plans due for review.

A version's review deadline is an obligation row (subject "plan_review", office set, no incident) that the clocks
remind and escalate like any other; approving the next version meets it, a drill or incident gap moves it earlier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emergency.clock import CN_TZ, format_local, to_local
from emergency.db.models import IncidentRow, ObligationRow, Office, PlanVersionRow, ResponseRow
from emergency.domain.enums import PlanReviewReason
from emergency.domain.plans import review_due
from emergency.errors import ConflictError, InputError, NotFoundError
from emergency.labels import PLAN_LOCK_APPROVED, PLAN_LOCK_UNAPPROVED, PLAN_RESPONSE_LOCK, PLAN_REVIEW_LABEL
from emergency.plans.schema import Plan, PlanFile, canonical_content
from emergency.services.clocks import MET, OPEN, SUPERSEDED, WAITING

SUBJECT = "plan_review"
"""The obligations table's subject of a plan's review deadline."""

NAME_MAX = 100


def day_start(day: date) -> datetime:
    """Return the first instant of *day* in Asia/Shanghai: when a version effective that day takes effect."""
    return datetime.combine(day, time(0), tzinfo=CN_TZ)


def day_end(day: date) -> datetime:
    """Return the end of *day* in Asia/Shanghai (the next local midnight): a review due that day is due then."""
    return day_start(day + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Approval:
    """What `approve_plan` did: the version, and whether it stored a new one (False: same content already)."""

    version: PlanVersionRow
    created: bool
    superseded: tuple[PlanVersionRow, ...]


def _versions(session: Session, *, office_id: int, slug: str) -> list[PlanVersionRow]:
    return list(session.scalars(select(PlanVersionRow).where(PlanVersionRow.office_id == office_id,
                                                             PlanVersionRow.slug == slug)
                                .order_by(PlanVersionRow.effective_from, PlanVersionRow.id)))


def approve_plan(session: Session, *, office: Office, loaded: PlanFile, by: str, effective: date,
                 now: datetime) -> Approval:
    """Store the plan's content as an approved version effective from *effective*; the same content is a no-op.

    The versions it replaces are superseded from the new one's first day, and their review obligations are met
    (approving the next version is the outcome of the review).
    """
    record = f"plan {loaded.plan.id}"
    by = by.strip()
    if not by:
        raise InputError(record, "by", "who approved the plan is required (审批人或审批会议)")
    if len(by) > NAME_MAX:
        raise InputError(record, "by", f"at most {NAME_MAX} characters")
    versions = _versions(session, office_id=office.id, slug=loaded.plan.id)
    same = next((v for v in versions if v.sha256 == loaded.sha256), None)
    if same is not None:
        if same.superseded_at is not None and same.superseded_at <= now:
            raise ConflictError(f"{record}: this content was approved as version {same.version} and superseded "
                                f"on {to_local(same.superseded_at):%Y-%m-%d}; give it a new version label "
                                "(version:) to approve it again")
        return Approval(same, False, ())
    latest = max((v.effective_from for v in versions), default=None)
    if latest is not None and effective < latest:
        raise InputError(record, "effective", f"{effective} is before {latest}, when the latest approved version "
                                              "takes effect: versions take effect in order")
    if any(v.version == loaded.plan.version for v in versions):
        raise ConflictError(f"{record}: version {loaded.plan.version!r} was approved before with other content; "
                            "change the version label (version:) in the plan file")
    plan = loaded.plan
    due = review_due(effective, plan.review.every_years)
    row = PlanVersionRow(office_id=office.id, slug=plan.id, version=plan.version, name=plan.name_zh,
                         kind=plan.kind.value, sha256=loaded.sha256, content=canonical_content(plan),
                         source_path=loaded.path, approved_by=by, approved_at=now, effective_from=effective,
                         review_due=due, review_reason=PlanReviewReason.CYCLE.value, review_note="",
                         created_at=now)
    session.add(row)
    session.flush()
    superseded = [v for v in versions if v.superseded_at is None]
    for old in superseded:
        old.superseded_at, old.superseded_by_id = day_start(effective), row.id
        _meet_reviews(session, version=old, now=now)
    sync_review_obligation(session, version=row, now=now)
    return Approval(row, True, tuple(superseded))


def plan_in_force(session: Session, *, office_id: int, slug: str, at: datetime) -> PlanVersionRow | None:
    """Return the approved version of the plan in force at *at*, or None when none was approved by then."""
    candidates = [v for v in _versions(session, office_id=office_id, slug=slug)
                  if day_start(v.effective_from) <= at and (v.superseded_at is None or v.superseded_at > at)]
    return candidates[-1] if candidates else None


def find_version(session: Session, *, office: Office, slug: str, version: str | None,
                 at: datetime) -> PlanVersionRow:
    """Return a stored version by its label, or the one in force at *at*; NotFoundError names what is missing."""
    if version is None:
        found = plan_in_force(session, office_id=office.id, slug=slug, at=at)
        if found is None:
            raise NotFoundError(f"plan {slug}: no approved version in force (emergency plan approve {slug} …)")
        return found
    match = session.scalar(select(PlanVersionRow).where(PlanVersionRow.office_id == office.id,
                                                        PlanVersionRow.slug == slug,
                                                        PlanVersionRow.version == version))
    if match is None:
        raise NotFoundError(f"plan {slug}: no approved version {version!r} (emergency plan versions {slug})")
    return match


def list_versions(session: Session, *, office: Office, slug: str | None = None) -> list[PlanVersionRow]:
    """Return the office's approved versions, by plan and then in the order they took effect."""
    query = select(PlanVersionRow).where(PlanVersionRow.office_id == office.id)
    if slug is not None:
        query = query.where(PlanVersionRow.slug == slug)
    return list(session.scalars(query.order_by(PlanVersionRow.slug, PlanVersionRow.effective_from,
                                               PlanVersionRow.id)))


def version_state(version: PlanVersionRow, at: datetime) -> str:
    """Return "in_force", "pending" (takes effect later) or "superseded" at *at*."""
    if version.superseded_at is not None and version.superseded_at <= at:
        return "superseded"
    return "pending" if day_start(version.effective_from) > at else "in_force"


def flag_plan_for_review(session: Session, *, slug: str, reason: PlanReviewReason | str, now: datetime,
                         note: str = "", office_id: int | None = None) -> list[PlanVersionRow]:
    """Flag the plan's version in force for review because a drill or an incident exposed a gap.

    Its review falls due within the plan's `review.after_gap_days` of *now* (never later than it already was),
    and its clock moves with it. *office_id* None flags the plan in every office that has it in force. Returns
    the versions flagged (none when no version of the plan was approved yet).
    """
    wanted = PlanReviewReason(reason)
    if wanted == PlanReviewReason.CYCLE:
        raise InputError(f"plan {slug}", "reason", "a plan is flagged for a drill gap or an incident gap, "
                                                   "the review cycle runs by itself")
    query = select(PlanVersionRow.office_id).where(PlanVersionRow.slug == slug).distinct()
    if office_id is not None:
        query = query.where(PlanVersionRow.office_id == office_id)
    flagged: list[PlanVersionRow] = []
    for office in sorted(session.scalars(query)):
        version = plan_in_force(session, office_id=office, slug=slug, at=now)
        if version is None:
            continue
        plan = Plan.model_validate(version.content)
        due = to_local(now).date() + timedelta(days=plan.review.after_gap_days)
        if due < version.review_due or version.review_reason == PlanReviewReason.CYCLE.value:
            version.review_due = min(due, version.review_due)
            version.review_reason = wanted.value
        version.review_flagged_at = now
        version.review_note = "；".join(n for n in (version.review_note, note.strip()) if n)
        session.flush()
        sync_review_obligation(session, version=version, now=now)
        flagged.append(version)
    return flagged


def review_key(version: PlanVersionRow) -> str:
    """Return the obligation key of the version's current review deadline."""
    return f"plan-review-{version.id}-{version.review_due.isoformat()}"


def _review_rows(session: Session, version: PlanVersionRow) -> list[ObligationRow]:
    return list(session.scalars(select(ObligationRow).where(
        ObligationRow.subject == SUBJECT, ObligationRow.key.like(f"plan-review-{version.id}-%"))))


def _meet_reviews(session: Session, *, version: PlanVersionRow, now: datetime) -> None:
    for row in _review_rows(session, version):
        if row.status in WAITING:
            row.status, row.met_at, row.updated_at = MET, now, now


def sync_review_obligation(session: Session, *, version: PlanVersionRow, now: datetime) -> list[int]:
    """Keep the version's review obligation in line with its review date; return the ids of rows changed."""
    wanted = None if version.superseded_at is not None else review_key(version)
    changed: list[int] = []
    existing = {row.key: row for row in _review_rows(session, version)}
    for key, row in existing.items():
        if row.status in WAITING and key != wanted:
            row.status, row.updated_at = SUPERSEDED, now
            changed.append(row.id)
    if wanted is not None and wanted not in existing:
        plan = Plan.model_validate(version.content)
        row = ObligationRow(key=wanted, subject=SUBJECT, office_id=version.office_id, incident_id=None,
                            kind=SUBJECT, label=PLAN_REVIEW_LABEL.format(plan=version.name)[:64],
                            due_at=day_end(version.review_due), rule=f"plans.{version.slug}.review",
                            source=plan.review.source, status=OPEN, created_at=now, updated_at=now, drill=False)
        session.add(row)
        session.flush()
        changed.append(row.id)
    return changed


@dataclass(frozen=True, slots=True)
class DuePlan:
    """A plan due (or soon due) for review, or never approved, as plain data."""

    slug: str
    name: str
    version: str | None
    effective_from: date | None
    review_due: date | None
    reason: str
    note: str
    days_left: int | None
    changed_since_approval: bool


def plans_due(session: Session, *, office: Office, plans: Mapping[str, PlanFile], now: datetime,
              within_days: int = 90) -> list[DuePlan]:
    """Return the plans due for review within *within_days* or flagged by a drill or an incident (soonest first),
    then the plans never approved.

    A plan whose file differs from the version in force is marked (it was edited but not approved).
    """
    today = to_local(now).date()
    found: list[DuePlan] = []
    slugs = sorted(set(plans) | {v.slug for v in list_versions(session, office=office)})
    for slug in slugs:
        version = plan_in_force(session, office_id=office.id, slug=slug, at=now)
        loaded = plans.get(slug)
        if version is None:
            if loaded is not None:
                found.append(DuePlan(slug, loaded.plan.name_zh, None, None, None, "never_approved", "", None, True))
            continue
        left = (version.review_due - today).days
        if left <= within_days or version.review_reason != PlanReviewReason.CYCLE.value:
            found.append(DuePlan(slug, version.name, version.version, version.effective_from, version.review_due,
                                 version.review_reason, version.review_note, left,
                                 loaded is not None and loaded.sha256 != version.sha256))
    return sorted(found, key=lambda d: (d.days_left is None, d.days_left or 0, d.slug))


def locked_plan(session: Session, *, office_id: int, slug: str, at: datetime, locked_id: int | None,
                fallback: Plan) -> tuple[Plan, PlanVersionRow | None]:
    """Return the plan a response follows: the version locked into it, else the version in force at *at*, else the
    plan file as loaded (no version approved yet)."""
    version = (session.get(PlanVersionRow, locked_id) if locked_id is not None
               else plan_in_force(session, office_id=office_id, slug=slug, at=at))
    return (Plan.model_validate(version.content), version) if version is not None else (fallback, None)


def response_lock(session: Session, *, incident: IncidentRow) -> dict[str, Any] | None:
    """Return the plan version locked into the incident's response, as plain data with a line to show; None if no
    response was started."""
    response = session.scalar(select(ResponseRow).where(ResponseRow.incident_id == incident.id))
    if response is None:
        return None
    version = session.get(PlanVersionRow, response.plan_version_id) if response.plan_version_id else None
    name = version.name if version else response.plan_id
    state = (PLAN_LOCK_APPROVED.format(by=version.approved_by, effective=version.effective_from) if version
             else PLAN_LOCK_UNAPPROVED)
    text = PLAN_RESPONSE_LOCK.format(plan=name, version=response.plan_version, state=state,
                                     sha=response.plan_hash[:12], level=response.level,
                                     at=format_local(response.started_at))
    return {"plan": response.plan_id, "version": response.plan_version, "sha256": response.plan_hash,
            "plan_version_id": response.plan_version_id, "approved": version is not None,
            "approved_by": version.approved_by if version else None,
            "effective_from": version.effective_from.isoformat() if version else None,
            "level": response.level, "started_at": response.started_at.isoformat(), "text": text}
