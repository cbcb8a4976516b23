"""The 应急准备情况报告, the pure part: a period, and what the office's readiness was in it, from plain facts.

Everything is judged at one cut-off instant, the end of the period or `as_of` if earlier, so the report of a past
period reads the same whenever it is made, and one made mid-period shows the period so far:

- plans: the approved version of each plan in force at the cut-off; due for review when its review date has
  passed, falls within `SOON_DAYS` of the cut-off, or a drill or an incident flagged it;
- drills: held in the period (held_at), scheduled in the period and not held, scheduled after it; for each plan
  in force, the next drill its cycle asks for, counted from its last drill held before the cut-off (or from the
  version's effective date when it never was drilled);
- hazards: found and closed (销号) in the period, and open at the cut-off (overdue when the deadline had passed
  without the fix reported by then, as the 隐患排查治理台账 counts it);
- warnings: real warnings issued in the period, by the highest colour they reached, and their pass-down to
  communities and grids (转发到位率): received and acknowledged by the cut-off, acknowledged in time;
- support requests (人、财、物): made in the period, answered in time, refused, unanswered past the deadline;
- the reporting record: the audit summary of the incidents that occurred in the period.

Drills never count in real statistics: drill hazards, drill warnings, drill incidents and drill support requests
are left out by the caller or here (the counts say how many were left out where it helps the reader).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from emergency.clock import CN_TZ
from emergency.domain.audits import Summary
from emergency.errors import InputError

SOON_DAYS = 90
"""A review or a drill falling due within this many days of the cut-off is listed as due soon (one quarter)."""

LEVELS = ("red", "orange", "yellow", "blue")
"""Warning colours, most severe first (GB/T 35965.1 预警级别)."""

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


# ---------------------------------------------------------------------------------------------------------
# The period
# ---------------------------------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    """How the period was named: a quarter, a year, or two dates."""

    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True, slots=True)
class Period:
    """A period of local (Asia/Shanghai) days, first and last inclusive, and its name in file names."""

    kind: PeriodKind
    first: date
    last: date
    label: str

    @property
    def start(self) -> datetime:
        """Return the period's first instant (local midnight of its first day)."""
        return datetime.combine(self.first, time(0), tzinfo=CN_TZ)

    @property
    def end(self) -> datetime:
        """Return the instant after the period (local midnight after its last day)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=CN_TZ)


def quarter_period(year: int, quarter: int) -> Period:
    """Return quarter 1–4 of *year*."""
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(PeriodKind.QUARTER, first, following - timedelta(days=1), f"{year}Q{quarter}")


def previous_quarter(at: datetime) -> Period:
    """Return the quarter before the one *at* (Asia/Shanghai) falls in."""
    day = at.astimezone(CN_TZ).date()
    quarter = (day.month - 1) // 3 + 1
    return quarter_period(day.year - 1, 4) if quarter == 1 else quarter_period(day.year, quarter - 1)


def period_of(*, start: str | None = None, end: str | None = None, quarter: str | None = None,
              year: str | None = None, record: str = "readiness report") -> Period:
    """Return the period named by two dates (YYYY-MM-DD, both included), a quarter (2026Q4) or a year (2026).

    Exactly one way must be used; a bad value is an InputError naming *record* and the option.
    """
    ways = [name for name, used in (("quarter", quarter is not None), ("year", year is not None),
                                    ("from", start is not None or end is not None)) if used]
    if len(ways) > 1:
        raise InputError(record, ways[1], f"name the period one way only (--{ways[0]} is given too)")
    if quarter is not None:
        matched = _QUARTER.match(quarter.strip())
        if matched is None or int(matched.group(1)) < 1:
            raise InputError(record, "quarter", f"{quarter!r} is not a quarter like 2026Q4")
        if int(matched.group(1)) >= 9999:
            raise InputError(record, "quarter", f"{quarter!r} is out of range")
        return quarter_period(int(matched.group(1)), int(matched.group(2)))
    if year is not None:
        matched = _YEAR.match(year.strip())
        if matched is None or not 1 <= int(matched.group(1)) < 9999:
            raise InputError(record, "year", f"{year!r} is not a year like 2026")
        number = int(matched.group(1))
        return Period(PeriodKind.YEAR, date(number, 1, 1), date(number, 12, 31), str(number))
    if start is None or end is None:
        raise InputError(record, "from" if start is None else "to",
                         "name the period: --from and --to (dates), --quarter 2026Q4 or --year 2026")
    first, last = _day(record, "from", start), _day(record, "to", end)
    if last < first:
        raise InputError(record, "to", f"{last} is before --from {first}")
    if last == date.max:
        raise InputError(record, "to", f"{end!r} is out of range")
    return Period(PeriodKind.RANGE, first, last, f"{first:%Y%m%d}-{last:%Y%m%d}")


def _day(record: str, option: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(record, option, f"{text!r} is not a date like 2026-10-01") from None


def cut_off(period: Period, as_of: datetime, *, record: str = "readiness report") -> datetime:
    """Return the instant the report is judged at: the period's end, or *as_of* if earlier."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a UTC offset")
    if as_of < period.start:
        raise InputError(record, "period", f"{period.first}–{period.last} has not begun at "
                                           f"{as_of.astimezone(CN_TZ):%Y-%m-%d %H:%M}")
    return min(period.end, as_of)


def cut_day(cut: datetime) -> date:
    """Return the last local day the cut-off covers (a cut at midnight covers the day before)."""
    local = cut.astimezone(CN_TZ)
    return (local - timedelta(microseconds=1)).date() if local.time() == time(0) else local.date()


def add_months(day: date, months: int) -> date:
    """Return *day* moved by whole months, kept within the month (31 Jan + 1 month is 28 or 29 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _in(at: datetime | None, start: datetime, cut: datetime) -> bool:
    return at is not None and start <= at < cut


# ---------------------------------------------------------------------------------------------------------
# Facts (plain values the service reads from the database)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanFact:
    """An approved version of a plan (plan_versions)."""

    slug: str
    name: str
    kind: str
    version: str
    effective_from: date
    superseded_at: datetime | None
    review_due: date
    review_reason: str
    review_note: str
    drill_every_months: int | None


@dataclass(frozen=True, slots=True)
class DrillFact:
    """A drill (drills): what, for which plan, when scheduled and held, and how many problems it found."""

    number: str
    title: str
    plan_slug: str
    kind: str
    status: str
    scheduled_for: datetime | None
    held_at: datetime | None
    problems: int


@dataclass(frozen=True, slots=True)
class HazardFact:
    """A hazard: its grade, when found, its deadline, when closed (销号), and whether a drill made it."""

    grade: str
    found_at: datetime
    deadline: datetime
    closed_at: datetime | None
    drill: bool
    fixed_reported_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NoticeFact:
    """One recipient of a warning's latest notice: when it reached them, when they acknowledged, by when due."""

    sent_at: datetime | None
    acknowledged_at: datetime | None
    ack_due: datetime | None


@dataclass(frozen=True, slots=True)
class WarningFact:
    """A warning: the highest colour it reached, when issued, real or drill, and its pass-down."""

    level: str | None
    issued_at: datetime
    real: bool
    drill: bool
    notices: tuple[NoticeFact, ...]


@dataclass(frozen=True, slots=True)
class SupportFact:
    """A support request to the district: kind, when asked, by when the answer was due, the answer, the drill flag."""

    kind: str
    status: str
    requested_at: datetime
    due_at: datetime
    answered_at: datetime | None
    drill: bool


@dataclass(frozen=True, slots=True)
class ShortItem:
    """An item of supplies below its minimum (office-wide)."""

    name: str
    unit: str
    on_hand: Decimal
    minimum: Decimal
    shortfall: Decimal


@dataclass(frozen=True, slots=True)
class ExpiringBatch:
    """A batch near or past its expiry date."""

    store: str
    name: str
    batch: str
    quantity: Decimal
    unit: str
    expires_on: date | None
    expired: bool


@dataclass(frozen=True, slots=True)
class SuppliesFacts:
    """The supplies at the cut-off as the supplies service reports them."""

    items: int
    shortfalls: tuple[ShortItem, ...]
    store_shortfalls: int
    batches: tuple[ExpiringBatch, ...]
    near_expiry_days: int


# ---------------------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------------------


class DueState(StrEnum):
    """Where a review or a drill stands at the cut-off."""

    OVERDUE = "overdue"
    FLAGGED = "flagged"
    SOON = "soon"
    OK = "ok"


@dataclass(frozen=True, slots=True)
class PlanLine:
    """A plan in force at the cut-off and its review."""

    slug: str
    name: str
    kind: str
    version: str
    effective_from: date
    review_due: date
    review_reason: str
    review_note: str
    state: DueState
    days_left: int


@dataclass(frozen=True, slots=True)
class DrillDue:
    """A plan in force and the next drill its cycle asks for."""

    slug: str
    name: str
    every_months: int
    last_held: date | None
    due_on: date
    state: DueState
    days_left: int


@dataclass(frozen=True, slots=True)
class Drills:
    """Drills of the period: held, scheduled and not held, scheduled after; and each plan's next drill."""

    held: tuple[DrillFact, ...]
    missed: tuple[DrillFact, ...]
    upcoming: tuple[DrillFact, ...]
    due: tuple[DrillDue, ...]

    @property
    def problems(self) -> int:
        """Return the problems the drills held found."""
        return sum(d.problems for d in self.held)

    def held_of(self, kind: str) -> int:
        """Return how many drills of *kind* were held."""
        return sum(1 for d in self.held if d.kind == kind)


@dataclass(frozen=True, slots=True)
class GradeCounts:
    """Hazards by grade."""

    general: int = 0
    major: int = 0

    @property
    def total(self) -> int:
        """Return general + major."""
        return self.general + self.major


@dataclass(frozen=True, slots=True)
class Hazards:
    """Real hazards: found and closed in the period, open and overdue at the cut-off; drill hazards left out."""

    found: GradeCounts
    closed: GradeCounts
    open: GradeCounts
    overdue: GradeCounts
    drill_left_out: int


@dataclass(frozen=True, slots=True)
class Warnings:
    """Real warnings issued in the period, by colour, and how their pass-down went by the cut-off."""

    issued: int
    by_level: dict[str, int]
    no_level: int
    recipients: int
    received: int
    acknowledged: int
    acknowledged_in_time: int
    drill_left_out: int


@dataclass(frozen=True, slots=True)
class Support:
    """Real support requests made in the period: by kind, answered (in time), refused, unanswered past due."""

    requested: int
    by_kind: dict[str, int]
    answered: int
    answered_in_time: int
    refused: int
    unanswered_overdue: int
    waiting: int
    drill_left_out: int


@dataclass(frozen=True, slots=True)
class Readiness:
    """The office's readiness in a period, judged at the cut-off."""

    period: Period
    cut: datetime
    plans: tuple[PlanLine, ...]
    drills: Drills
    supplies: SuppliesFacts
    hazards: Hazards
    warnings: Warnings
    support: Support
    reporting: Summary

    @property
    def plans_due(self) -> tuple[PlanLine, ...]:
        """Return the plans in force that are due (or flagged, or soon due) for review."""
        return tuple(p for p in self.plans if p.state is not DueState.OK)

    @property
    def drills_due(self) -> tuple[DrillDue, ...]:
        """Return the plans whose next drill is overdue or soon due."""
        return tuple(d for d in self.drills.due if d.state is not DueState.OK)


def _state(due: date, today: date, flagged: bool = False) -> DueState:
    if flagged:
        return DueState.FLAGGED
    if due < today:
        return DueState.OVERDUE
    return DueState.SOON if (due - today).days <= SOON_DAYS else DueState.OK


def plans_in_force(versions: Iterable[PlanFact], cut: datetime) -> list[PlanFact]:
    """Return, per plan, the version in force at *cut*: effective by then and not yet superseded (latest first)."""
    day = cut_day(cut)
    best: dict[str, PlanFact] = {}
    for version in versions:
        if version.effective_from > day or (version.superseded_at is not None and version.superseded_at <= cut):
            continue
        current = best.get(version.slug)
        if current is None or version.effective_from > current.effective_from:
            best[version.slug] = version
    return sorted(best.values(), key=lambda v: (v.kind != "general", v.slug))


def plan_lines(versions: Iterable[PlanFact], cut: datetime) -> tuple[PlanLine, ...]:
    """Return the plans in force at *cut* with where their review stands."""
    today = cut_day(cut)
    return tuple(PlanLine(v.slug, v.name, v.kind, v.version, v.effective_from, v.review_due, v.review_reason,
                          v.review_note, _state(v.review_due, today, v.review_reason != "cycle"),
                          (v.review_due - today).days)
                 for v in plans_in_force(versions, cut))


def drill_summary(plans: Sequence[PlanFact], drills: Iterable[DrillFact], period: Period,
                  cut: datetime) -> Drills:
    """Return the period's drills and, for each plan in force, the next drill its cycle asks for."""
    facts = list(drills)
    start = period.start
    held = tuple(sorted((d for d in facts if d.status == "held" and _in(d.held_at, start, cut)),
                        key=lambda d: (d.held_at, d.number)))
    missed = tuple(sorted((d for d in facts if d.status in ("scheduled", "cancelled")
                           and _in(d.scheduled_for, start, cut)), key=lambda d: (d.scheduled_for, d.number)))
    upcoming = tuple(sorted((d for d in facts if d.status == "scheduled" and d.scheduled_for is not None
                             and d.scheduled_for >= cut), key=lambda d: (d.scheduled_for, d.number)))
    today = cut_day(cut)
    due: list[DrillDue] = []
    for plan in plans_in_force(plans, cut):
        if plan.drill_every_months is None:
            continue
        last = max((d.held_at.astimezone(CN_TZ).date() for d in facts
                    if d.plan_slug == plan.slug and d.status == "held" and d.held_at is not None and d.held_at < cut),
                   default=None)
        due_on = add_months(last or plan.effective_from, plan.drill_every_months)
        due.append(DrillDue(plan.slug, plan.name, plan.drill_every_months, last, due_on, _state(due_on, today),
                            (due_on - today).days))
    return Drills(held, missed, upcoming, tuple(sorted(due, key=lambda d: (d.due_on, d.slug))))


def overdue_at(hazard: HazardFact, cut: datetime) -> bool:
    """Return whether an open hazard's deadline had passed at *cut* without the fix reported by the deadline (as
    the 隐患排查治理台账 counts it)."""
    fixed = hazard.fixed_reported_at
    return hazard.deadline < cut and not (fixed is not None and fixed < cut and fixed <= hazard.deadline)


def _grades(hazards: Iterable[HazardFact]) -> GradeCounts:
    found = list(hazards)
    return GradeCounts(sum(1 for h in found if h.grade != "major"), sum(1 for h in found if h.grade == "major"))


def hazard_summary(hazards: Iterable[HazardFact], period: Period, cut: datetime) -> Hazards:
    """Count real hazards found and closed in the period, and open (overdue) at the cut-off."""
    facts = list(hazards)
    real = [h for h in facts if not h.drill]
    open_ = [h for h in real if h.found_at < cut and (h.closed_at is None or h.closed_at >= cut)]
    return Hazards(found=_grades(h for h in real if _in(h.found_at, period.start, cut)),
                   closed=_grades(h for h in real if _in(h.closed_at, period.start, cut)),
                   open=_grades(open_), overdue=_grades(h for h in open_ if overdue_at(h, cut)),
                   drill_left_out=sum(1 for h in facts if h.drill and _in(h.found_at, period.start, cut)))


def warning_summary(warnings: Iterable[WarningFact], period: Period, cut: datetime) -> Warnings:
    """Count real warnings issued in the period by colour, and their notices received and acknowledged by the cut."""
    facts = [w for w in warnings if _in(w.issued_at, period.start, cut)]
    real = [w for w in facts if w.real and not w.drill]
    notices = [n for w in real for n in w.notices]
    # An acknowledgement counts as receipt, however it arrived (as the 转发到位率 of a single warning does).
    acked = [n.acknowledged_at is not None and n.acknowledged_at < cut for n in notices]
    in_time = [ok and (n.ack_due is None or (n.acknowledged_at is not None and n.acknowledged_at <= n.ack_due))
               for n, ok in zip(notices, acked, strict=True)]
    return Warnings(
        issued=len(real), by_level={level: sum(1 for w in real if w.level == level) for level in LEVELS},
        no_level=sum(1 for w in real if w.level not in LEVELS), recipients=len(notices),
        received=sum(1 for n, ok in zip(notices, acked, strict=True) if ok or (n.sent_at is not None and n.sent_at < cut)),
        acknowledged=sum(acked), acknowledged_in_time=sum(in_time),
        drill_left_out=sum(1 for w in facts if w.drill))


def support_summary(requests: Iterable[SupportFact], period: Period, cut: datetime) -> Support:
    """Count real support requests made in the period: answered (in time), refused, unanswered past the deadline."""
    facts = [r for r in requests if _in(r.requested_at, period.start, cut)]
    real = [r for r in facts if not r.drill]
    answered = [r for r in real if r.answered_at is not None and r.answered_at < cut]
    unanswered = [r for r in real if r.answered_at is None or r.answered_at >= cut]
    granted = [r for r in answered if r.status != "refused"]
    return Support(
        requested=len(real), by_kind={kind: sum(1 for r in real if r.kind == kind)
                                      for kind in ("people", "funds", "materials")},
        answered=len(granted),
        answered_in_time=sum(1 for r in granted if r.answered_at is not None and r.answered_at <= r.due_at),
        refused=sum(1 for r in answered if r.status == "refused"),
        unanswered_overdue=sum(1 for r in unanswered if r.due_at < cut),
        waiting=sum(1 for r in unanswered if r.due_at >= cut),
        drill_left_out=sum(1 for r in facts if r.drill))


def build_readiness(*, period: Period, cut: datetime, plans: Sequence[PlanFact], drills: Sequence[DrillFact],
                    supplies: SuppliesFacts, hazards: Sequence[HazardFact], warnings: Sequence[WarningFact],
                    support: Sequence[SupportFact], reporting: Summary) -> Readiness:
    """Return the office's readiness in *period* as it stood at *cut*."""
    return Readiness(period=period, cut=cut, plans=plan_lines(plans, cut),
                     drills=drill_summary(plans, drills, period, cut), supplies=supplies,
                     hazards=hazard_summary(hazards, period, cut), warnings=warning_summary(warnings, period, cut),
                     support=support_summary(support, period, cut), reporting=reporting)
