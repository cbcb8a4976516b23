"""Drills (应急演练), pure part: when each plan's next drill falls due, drill numbers, scenario offsets, and the
evaluation a replayed drill's audit gives (what was due, when it was made, what the audit found)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from emergency.clock import format_local
from emergency.domain.audits import Finding
from emergency.domain.enums import DrillKind, DrillStatus, ObligationStatus
from emergency.domain.obligations import Obligation
from emergency.labels import (
    DRILL_AUDIT_CLEAN,
    DRILL_AUDIT_COUNTS,
    DRILL_AUDIT_MARK,
    FINDING_LABELS,
    OBLIGATION_LABELS,
)

NUMBER_PREFIX = "D"
"""Drill numbers read D-2026-003 (演练, year, sequence in the office and year): ASCII, so easy to type."""

_NUMBER = re.compile(rf"^{NUMBER_PREFIX}-(\d{{4}})-(\d+)$")
_OFFSET = re.compile(r"^(?P<sign>[+-])?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")

DUE_SOON_DAYS = 30
"""`drill list --due` looks this many days ahead by default: a month to organise the drill."""


def add_months(day: date, months: int) -> date:
    """Return *day* moved by whole calendar months; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def parse_offset(text: str) -> timedelta:
    """Return a scenario offset such as "15m", "6h40m", "1d2h" or "-10m" as a timedelta; raise ValueError if not one."""
    value = str(text).strip().replace(" ", "")
    found = _OFFSET.fullmatch(value)
    if not value or value in "+-" or found is None or not any(found.group(k) for k in "dhm"):
        if value in ("0", "+0", "-0"):
            return timedelta(0)
        raise ValueError(f"{text!r} is not an offset like 15m, 6h40m, 1d2h or -10m")
    delta = timedelta(days=int(found.group("d") or 0), hours=int(found.group("h") or 0),
                      minutes=int(found.group("m") or 0))
    return -delta if found.group("sign") == "-" else delta


def format_offset(delta: timedelta) -> str:
    """Return an offset as a scenario writes it: 1d2h5m, 40m, -10m, 0m."""
    minutes = int(delta.total_seconds() // 60)
    sign, minutes = ("-", -minutes) if minutes < 0 else ("", minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{mins}m" if mins or not (days or hours)
                                                                             else "")
    return sign + text


def drill_number(year: int, sequence: int) -> str:
    """Return the number of the office's *sequence*-th drill of *year* (D-2026-003)."""
    return f"{NUMBER_PREFIX}-{year}-{sequence:03d}"


def next_drill_number(existing: Iterable[str], year: int) -> str:
    """Return the next free drill number of *year* after the office's *existing* numbers."""
    last = max((int(m.group(2)) for n in existing if (m := _NUMBER.match(n)) and int(m.group(1)) == year), default=0)
    return drill_number(year, last + 1)


# --------------------------------------------------------------------------------------------------------------
# When drills fall due
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrillCycle:
    """A plan's drill cycle as the plan states it (plans/emergency/*.yaml `drills`)."""

    plan: str
    name: str
    every_months: int
    kinds: tuple[DrillKind, ...]
    source: str
    effective_from: date | None = None


@dataclass(frozen=True, slots=True)
class DrillFact:
    """A drill of the register as the due computation reads it (local dates)."""

    plan: str
    status: DrillStatus
    held_on: date | None
    scheduled_on: date | None


class DueState(StrEnum):
    """Where a plan's drill cycle stands on a day."""

    OVERDUE = "overdue"
    DUE = "due"
    NOT_DUE = "not_due"


@dataclass(frozen=True, slots=True)
class DrillDue:
    """A plan's next drill: by when it must be held, the last one held, and one already scheduled."""

    plan: str
    name: str
    every_months: int
    kinds: tuple[DrillKind, ...]
    source: str
    last_held: date | None
    due_on: date
    scheduled_on: date | None
    state: DueState

    @property
    def is_due(self) -> bool:
        """Return whether the drill is overdue or falls due within the window looked at."""
        return self.state is not DueState.NOT_DUE


def drill_due(cycle: DrillCycle, drills: Sequence[DrillFact], today: date, within_days: int = DUE_SOON_DAYS) -> DrillDue:
    """Return when *cycle*'s plan must next be drilled, judged on *today*.

    The cycle runs from the last drill held (any form), or, before the first one, from the day the plan took
    effect; a plan with neither is due today. Due within *within_days* days is `due`, before today `overdue`.
    """
    mine = [d for d in drills if d.plan == cycle.plan]
    held = [d.held_on for d in mine if d.status is DrillStatus.HELD and d.held_on is not None]
    last = max(held, default=None)
    start = last or cycle.effective_from
    due_on = add_months(start, cycle.every_months) if start is not None else today
    planned = [d.scheduled_on for d in mine if d.status is DrillStatus.SCHEDULED and d.scheduled_on is not None
               and (last is None or d.scheduled_on >= last)]
    if due_on < today:
        state = DueState.OVERDUE
    elif due_on <= today + timedelta(days=within_days):
        state = DueState.DUE
    else:
        state = DueState.NOT_DUE
    return DrillDue(cycle.plan, cycle.name, cycle.every_months, cycle.kinds, cycle.source, last, due_on,
                    min(planned, default=None), state)


def drills_due(cycles: Sequence[DrillCycle], drills: Sequence[DrillFact], today: date,
               within_days: int = DUE_SOON_DAYS) -> list[DrillDue]:
    """Return every plan's next drill, soonest due first."""
    found = [drill_due(cycle, drills, today, within_days) for cycle in cycles]
    return sorted(found, key=lambda d: (d.due_on, d.plan))


# --------------------------------------------------------------------------------------------------------------
# A replayed drill's evaluation
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """One report the drill owed: due when, made when (or not), and how late."""

    obligation: str
    label: str
    due_at: datetime
    met_at: datetime | None
    met_by: str | None
    status: ObligationStatus
    minutes_late: int | None


def timings(obligations: Sequence[Obligation]) -> list[Timing]:
    """Return each obligation of a drill incident with when it was met and how late, in due order."""
    rows: list[Timing] = []
    for ob in sorted(obligations, key=lambda o: (o.due_at, o.kind.value)):
        late = None
        if ob.met_at is not None and ob.met_at > ob.due_at:
            late = -(-int((ob.met_at - ob.due_at).total_seconds()) // 60)
        rows.append(Timing(ob.kind.value, OBLIGATION_LABELS[ob.kind], ob.due_at, ob.met_at, ob.met_by, ob.status, late))
    return rows


@dataclass(frozen=True, slots=True)
class DrillScore:
    """The drill's own counts (a drill is never in the real statistics, so it is counted here alone)."""

    obligations: int
    on_time: int
    late: int
    open: int
    findings: dict[str, int]


def score(obligations: Sequence[Obligation], findings: Sequence[Finding]) -> DrillScore:
    """Return how many reports the drill owed, made on time, made late or still open, and its findings by type."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.type.value] = counts.get(finding.type.value, 0) + 1
    status = [ob.status for ob in obligations]
    return DrillScore(len(status), status.count(ObligationStatus.MET), status.count(ObligationStatus.MET_LATE),
                      status.count(ObligationStatus.OPEN) + status.count(ObligationStatus.OVERDUE), counts)


def audit_evaluation(obligations: Sequence[Obligation], findings: Sequence[Finding], audit_at: datetime) -> str:
    """Return the audit's part of a drill's evaluation (评估): the counts, then each finding with its evidence."""
    s = score(obligations, findings)
    lines = [DRILL_AUDIT_MARK.format(at=format_local(audit_at)),
             DRILL_AUDIT_COUNTS.format(obligations=s.obligations, on_time=s.on_time, late=s.late, open=s.open)]
    lines += [f"{n}. {FINDING_LABELS[f.type]}：{f.evidence}" for n, f in enumerate(findings, start=1)]
    if not findings:
        lines.append(DRILL_AUDIT_CLEAN)
    return "\n".join(lines)


def merge_evaluation(written: str | None, current: str, audit: str | None = None) -> str:
    """Return a drill's evaluation: the people's words (*written*, else those in *current*), then the audit's part.

    The audit's part starts with its mark line; a new *audit* replaces the old one, and new words replace the
    old words, so `drill record --evaluation` after `drill run` keeps what the replay's audit found.
    """
    head = DRILL_AUDIT_MARK.split("{", 1)[0]
    own, _, old_audit = current.partition(head)
    kept = (head + old_audit).strip() if old_audit else ""
    words = (written if written is not None else own).strip()
    tail = (audit if audit is not None else kept).strip()
    return "\n\n".join(part for part in (words, tail) if part)
