"""Hazards (隐患) from finding to 销号: the rectification deadline, what a finding must say, and the steps of its life.

Grades follow 《安全生产事故隐患排查治理暂行规定》（国家安全生产监督管理总局令第16号）第三条: 一般事故隐患 (危害和整改难度
较小，发现后能够立即整改排除) and 重大事故隐患 (危害和整改难度较大，应当全部或者局部停产停业，并经过一定时间整改治理方能
排除的隐患，或者因外部因素影响致使生产经营单位自身难以排除的隐患). The grade is the inspector's judgement against that
definition; this module checks that a finding says what its grade requires and moves a hazard through its steps.

The steps are a table (`TRANSITIONS`): a step not in it for the hazard's status is refused, and `apply_step` is the
only way a status changes. Two people are always involved where the rules ask for a second pair of eyes: an
extension is decided by someone other than who asked for it, and a rectification is verified (复查验收) by someone
other than who reported it fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from emergency.domain.enums import HazardAction, HazardGrade, HazardStatus
from emergency.errors import InputError
from emergency.labels import HAZARD_STATUS_LABELS

LOCAL = ZoneInfo("Asia/Shanghai")

TRANSITIONS: Mapping[tuple[HazardStatus, HazardAction], HazardStatus] = {
    (HazardStatus.OPEN, HazardAction.EXTENSION_REQUESTED): HazardStatus.EXTENSION_REQUESTED,
    (HazardStatus.EXTENSION_REQUESTED, HazardAction.EXTENSION_APPROVED): HazardStatus.OPEN,
    (HazardStatus.EXTENSION_REQUESTED, HazardAction.EXTENSION_REFUSED): HazardStatus.OPEN,
    (HazardStatus.OPEN, HazardAction.FIX_REPORTED): HazardStatus.REPORTED_FIXED,
    (HazardStatus.REPORTED_FIXED, HazardAction.VERIFIED): HazardStatus.CLOSED,
    (HazardStatus.REPORTED_FIXED, HazardAction.REVERIFY_FAILED): HazardStatus.OPEN,
}
"""Which step may be taken in which status, and the status it leads to. Closed (销号) is final: no step leaves it."""

STEPS: frozenset[HazardAction] = frozenset(action for _status, action in TRANSITIONS)
"""The actions that are steps a person takes; the others (found, notice issued, escalated …) are only recorded."""

WAITING: frozenset[HazardStatus] = frozenset(status for status in HazardStatus if status is not HazardStatus.CLOSED)
"""Statuses in which the rectification deadline still runs (the hazard is not yet 销号)."""


def end_of_local_day(day: date) -> datetime:
    """Return the instant *day* ends in Asia/Shanghai (the next local midnight), as an aware time."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL)


def default_deadline(found_at: datetime, days: int) -> datetime:
    """Return the rectification deadline *days* days after the local day of *found_at*, at the end of that day."""
    if days < 0:
        raise ValueError("days must not be negative")
    return end_of_local_day(found_at.astimezone(LOCAL).date() + timedelta(days=days))


def same_person(a: str | None, b: str | None) -> bool:
    """Return whether two names name the same person (spaces and letter case ignored)."""
    if a is None or b is None:
        return False
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


@dataclass(frozen=True, slots=True)
class Finding:
    """What an inspector wrote about one hazard found."""

    description: str
    grade: HazardGrade
    measures: str
    responsible_person: str
    owner_unit: str
    deadline: datetime


def finding_problems(finding: Finding, found_at: datetime) -> list[tuple[str, str]]:
    """Return (field, why) for everything a finding lacks or gets wrong; empty when it can be recorded."""
    problems: list[tuple[str, str]] = []
    if not finding.description.strip():
        problems.append(("description", "is empty: say what the hazard is"))
    if finding.deadline <= found_at:
        problems.append(("deadline", "is not after the time the hazard was found"))
    if not finding.owner_unit.strip():
        problems.append(("owner_unit", "is empty: the 整改通知书 needs the unit responsible (责任单位)"))
    if finding.grade is HazardGrade.MAJOR:
        # 16号令第十五条: a 重大事故隐患 is rectified under a plan (治理方案) naming its measures and who is in charge.
        if not finding.measures.strip():
            problems.append(("measures", "is empty: a 重大事故隐患 needs its measures (治理方案, 16号令第十五条)"))
        if not finding.responsible_person.strip():
            problems.append(("responsible_person", "is empty: a 重大事故隐患 needs the person in charge of its "
                                                   "rectification (16号令第十五条)"))
    return problems


@dataclass(frozen=True, slots=True)
class HazardState:
    """Where one hazard stands: what the steps read and change."""

    number: str
    status: HazardStatus
    deadline: datetime
    found_at: datetime
    last_step_at: datetime
    fixed_reported_by: str | None = None
    fixed_reported_at: datetime | None = None
    verified_by: str | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None
    extension_requested_by: str | None = None
    extension_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One step a person takes: who, when, and for an extension request the new deadline asked for."""

    action: HazardAction
    actor: str
    at: datetime
    until: datetime | None = None


ACTOR_FIELDS: Mapping[HazardAction, str] = {
    HazardAction.EXTENSION_REQUESTED: "requested_by",
    HazardAction.EXTENSION_APPROVED: "decided_by",
    HazardAction.EXTENSION_REFUSED: "decided_by",
    HazardAction.FIX_REPORTED: "fixed_reported_by",
    HazardAction.VERIFIED: "verified_by",
    HazardAction.REVERIFY_FAILED: "verified_by",
}
"""The field that names who takes each step (an error about the person names it)."""


def allowed_steps(status: HazardStatus) -> list[HazardAction]:
    """Return the steps that may be taken in *status*."""
    return [action for (source, action) in TRANSITIONS if source is status]


def apply_step(state: HazardState, step: Step, *, now: datetime) -> HazardState:
    """Return the hazard after *step*, or raise InputError naming the hazard and the field; *state* never changes."""
    record = f"hazard {state.number}"
    if step.action not in STEPS:
        raise InputError(record, "action", f"{step.action.value} is recorded, not taken as a step")
    actor_field = ACTOR_FIELDS[step.action]
    target = TRANSITIONS.get((state.status, step.action))
    if target is None:
        allowed = ", ".join(a.value for a in allowed_steps(state.status)) or "none: it is final"
        raise InputError(record, "status", f"is {HAZARD_STATUS_LABELS[state.status]} ({state.status.value}): "
                                           f"cannot take the step {step.action.value} (allowed: {allowed})")
    if not step.actor.strip():
        raise InputError(record, actor_field, "is empty: say who takes this step")
    if step.at.tzinfo is None:
        raise InputError(record, "at", "has no UTC offset")
    if step.at > now:
        raise InputError(record, "at", "is in the future")
    if step.at < state.last_step_at:
        raise InputError(record, "at", "is before the hazard's previous step: steps are recorded in order")
    if step.action is HazardAction.EXTENSION_REQUESTED:
        if step.until is None:
            raise InputError(record, "until", "is required: the new deadline asked for")
        if step.until <= state.deadline:
            raise InputError(record, "until", "is not after the current deadline")
        if step.at > state.deadline:
            raise InputError(record, "at", "is after the deadline: an extension is asked for before it passes "
                                           "(plans/hazards.yaml extension)")
        return replace(state, status=target, last_step_at=step.at, extension_requested_by=step.actor,
                       extension_until=step.until)
    if step.action in (HazardAction.EXTENSION_APPROVED, HazardAction.EXTENSION_REFUSED):
        if same_person(step.actor, state.extension_requested_by):
            raise InputError(record, actor_field, f"{step.actor} asked for the extension: someone else decides it")
        deadline = state.deadline
        if step.action is HazardAction.EXTENSION_APPROVED:
            assert state.extension_until is not None
            deadline = state.extension_until
        return replace(state, status=target, last_step_at=step.at, deadline=deadline, extension_requested_by=None,
                       extension_until=None)
    if step.action is HazardAction.FIX_REPORTED:
        return replace(state, status=target, last_step_at=step.at, fixed_reported_by=step.actor,
                       fixed_reported_at=step.at)
    # 复查验收: by someone other than who reported the hazard fixed.
    if same_person(step.actor, state.fixed_reported_by):
        raise InputError(record, "verified_by", f"{step.actor} reported it fixed: someone else verifies it (复查验收)")
    if step.action is HazardAction.VERIFIED:
        return replace(state, status=target, last_step_at=step.at, verified_by=step.actor, verified_at=step.at,
                       closed_at=step.at)
    return replace(state, status=target, last_step_at=step.at, fixed_reported_by=None, fixed_reported_at=None)


def overdue_days(deadline: datetime, at: datetime) -> int:
    """Return how many whole days *at* is past *deadline* (0 when not past)."""
    return max((at - deadline).days, 0)
