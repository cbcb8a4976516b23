"""Deadline clocks: which reminder, breach and escalation steps an obligation has, and what to do on (re)start."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from emergency.plans.escalation import Escalation

StepKind = Literal["reminder", "breach", "escalation"]
BREACH = "breach"


@dataclass(frozen=True, slots=True)
class ClockStep:
    """One moment of an obligation's clock: remind before, flag the breach at, escalate after the deadline."""

    step: str
    kind: StepKind
    at: datetime
    who: str
    channels: tuple[str, ...]
    rule: str
    due_at: datetime  # the deadline this step was computed for: if the obligation's deadline moved, it is stale


@dataclass(frozen=True, slots=True)
class StartPlan:
    """What a (re)started clock does with one obligation's steps."""

    schedule: tuple[ClockStep, ...]
    fire_now: tuple[ClockStep, ...]
    skipped: tuple[ClockStep, ...]


def clock_steps(due_at: datetime, escalation: Escalation) -> list[ClockStep]:
    """Return every step of a deadline's clock, in time order."""
    reminders = escalation.reminders
    steps = [ClockStep(f"remind_{lead:g}", "reminder", due_at - timedelta(minutes=lead), reminders.who,
                       reminders.channels, reminders.rule, due_at)
             for lead in sorted(set(reminders.lead_minutes), reverse=True)]
    for rung in escalation.ladder:
        kind: StepKind = "breach" if rung.after_minutes == 0 else "escalation"
        steps.append(ClockStep(BREACH if kind == "breach" else rung.step, kind,
                               due_at + timedelta(minutes=rung.after_minutes), rung.who, rung.channels, rung.step,
                               due_at))
    return sorted(steps, key=lambda s: s.at)


def plan_start(steps: Iterable[ClockStep], due_at: datetime, fired: set[str], now: datetime) -> StartPlan:
    """Decide, at *now*, what to schedule, what to fire at once, and what is no longer useful.

    A breach or escalation whose time passed while the clock was down fires at once (a deadline missed while
    down is flagged on start). A reminder whose time passed helps only before the deadline, and then only the
    latest one; older ones are skipped. A step already fired is never fired again.
    """
    schedule: list[ClockStep] = []
    fire_now: list[ClockStep] = []
    skipped: list[ClockStep] = []
    missed_reminders: list[ClockStep] = []
    for step in steps:
        if step.step in fired:
            continue
        if step.at > now:
            schedule.append(step)
        elif step.kind == "reminder":
            missed_reminders.append(step)
        else:
            fire_now.append(step)
    if missed_reminders and now < due_at:
        fire_now.insert(0, missed_reminders[-1])
        skipped.extend(missed_reminders[:-1])
    else:
        skipped.extend(missed_reminders)
    return StartPlan(tuple(schedule), tuple(fire_now), tuple(skipped))
