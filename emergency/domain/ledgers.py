"""The monthly 隐患排查治理台账: completion rates, open hazards by age and grade, rectification times, 重大隐患.

Everything is judged at one cut-off instant, the end of the month or `as_of` if earlier, so the ledger of a past
month reads the same whenever it is made, and one made mid-month shows the month so far:

- an inspection is due in the month when its due day (local) lies in it; it was done on time when
  done_at <= due_at (the end of its due day), late when done after that, and not done when its due time has
  passed by the cut-off with no result; one not yet due at the cut-off is pending and counts in no rate;
- a hazard is open from found_at until closed_at (销号); its age is counted in local calendar days; it is
  overdue when its rectification deadline has passed and the fix was not reported by then;
- rectification time runs from found_at to closed_at, over the hazards closed in the month;
- drill hazards (演练) are never counted (as drills count in no rate of the timeliness report).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from emergency.clock import CN_TZ
from emergency.domain.enums import HazardGrade, HazardStatus
from emergency.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DAY = timedelta(days=1)


class Completion(StrEnum):
    """How an inspection due in the month stands at the cut-off."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"


class Supervision(StrEnum):
    """Where a 重大隐患 stands with the district (挂牌督办)."""

    NOT_REPORTED = "not_reported"
    SUPERVISED = "supervised"
    LIFTED = "lifted"


@dataclass(frozen=True, slots=True)
class AgeBand:
    """A band of open-hazard ages: up to max_days days old (None: no upper bound)."""

    key: str
    max_days: int | None


AGE_BANDS: tuple[AgeBand, ...] = (AgeBand("le7", 7), AgeBand("d8_30", 30), AgeBand("d31_90", 90),
                                  AgeBand("gt90", None))
"""≤7 d, 8–30 d, 31–90 d, >90 d: a week, a month and a quarter, the usual reading of a rectification ledger."""

GRADES: tuple[HazardGrade, ...] = (HazardGrade.GENERAL, HazardGrade.MAJOR)


@dataclass(frozen=True, slots=True)
class InspectionFact:
    """What the ledger needs of one inspection due in the month; the text fields are carried through for the list."""

    community: str
    due_at: datetime
    done_at: datetime | None
    due_on: date | None = None
    grid: str = ""
    source_code: str = ""
    source_name: str = ""
    reason: str = ""
    assigned_to: str = ""
    done_by: str = ""
    result: str | None = None


@dataclass(frozen=True, slots=True)
class HazardFact:
    """What the ledger needs of one hazard (隐患); the text fields are carried through for the lists."""

    number: str
    community: str
    grade: HazardGrade
    status: HazardStatus
    found_at: datetime
    deadline: datetime
    closed_at: datetime | None = None
    fixed_reported_at: datetime | None = None
    reported_to_district_at: datetime | None = None
    drill: bool = False
    description: str = ""
    location: str = ""
    owner_unit: str = ""
    responsible_person: str = ""
    verified_by: str = ""


@dataclass(frozen=True, slots=True)
class Tally:
    """Inspections due and how they stand: on_time + late + missing + pending == due."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0

    @property
    def settled(self) -> int:
        """Inspections whose due time has passed or that are done: the base of the rates."""
        return self.due - self.pending

    @property
    def done(self) -> int:
        """Inspections done, on time or late."""
        return self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        """按时完成率 = on time ÷ settled, or None with nothing settled."""
        return self.on_time / self.settled if self.settled else None

    @property
    def done_rate(self) -> float | None:
        """完成率 = done (on time or late) ÷ settled, or None with nothing settled."""
        return self.done / self.settled if self.settled else None

    def plus(self, other: Tally) -> Tally:
        """Return the sum of two tallies."""
        return Tally(self.due + other.due, self.on_time + other.on_time, self.late + other.late,
                     self.missing + other.missing, self.pending + other.pending)


@dataclass(frozen=True, slots=True)
class CommunityLine:
    """One community's row: inspections, and hazards found, closed in the month and open at the cut-off."""

    community: str
    inspections: Tally
    found: int
    closed: int
    open: int


@dataclass(frozen=True, slots=True)
class OpenHazard:
    """A hazard open at the cut-off, with its age and whether it is overdue."""

    hazard: HazardFact
    state: HazardStatus
    age_days: int
    band: AgeBand
    overdue: bool
    overdue_days: int


@dataclass(frozen=True, slots=True)
class AgeLine:
    """Open hazards of one age band: per grade, how many and how many of them overdue."""

    band: AgeBand
    counts: dict[HazardGrade, int]
    overdue: dict[HazardGrade, int]

    @property
    def total(self) -> int:
        """Open hazards of the band, all grades."""
        return sum(self.counts.values())

    @property
    def total_overdue(self) -> int:
        """Overdue hazards of the band, all grades."""
        return sum(self.overdue.values())


@dataclass(frozen=True, slots=True)
class RectificationLine:
    """Rectification times (found → closed, in days) of one grade over the hazards closed in the month."""

    grade: HazardGrade | None
    count: int
    median_days: float | None
    max_days: float | None


@dataclass(frozen=True, slots=True)
class ClosedHazard:
    """A hazard closed (销号) in the month and how long its rectification took."""

    hazard: HazardFact
    days: float


@dataclass(frozen=True, slots=True)
class MajorHazard:
    """A 重大隐患 open at some time in the month, with its 挂牌督办 status at the cut-off."""

    hazard: HazardFact
    state: HazardStatus
    supervision: Supervision
    overdue: bool


@dataclass(frozen=True, slots=True)
class Ledger:
    """The month's 隐患排查治理台账, all counts judged at the cut-off."""

    month: str
    start: datetime
    end: datetime
    cut: datetime
    communities: tuple[CommunityLine, ...]
    total: CommunityLine
    open_hazards: tuple[OpenHazard, ...]
    ages: tuple[AgeLine, ...]
    rectification: tuple[RectificationLine, ...]
    closed: tuple[ClosedHazard, ...]
    majors: tuple[MajorHazard, ...]
    found: dict[HazardGrade, int]
    drill_hazards: int

    @property
    def complete(self) -> bool:
        """Whether the month is over at the cut-off (nothing can still change)."""
        return self.cut >= self.end


# ---------------------------------------------------------------------------------------------------------
# Months and days
# ---------------------------------------------------------------------------------------------------------


def month_window(month: str, *, record: str = "inspection report") -> tuple[datetime, datetime]:
    """Return [start, end) of a month 'YYYY-MM' in Asia/Shanghai, or raise InputError naming *record* and the month."""
    matched = _MONTH.match(month.strip())
    if matched is None or not 1 <= int(matched.group(2)) <= 12 or int(matched.group(1)) < 1:
        raise InputError(record, "month", f"{month!r} is not a month like 2026-11")
    year, number = int(matched.group(1)), int(matched.group(2))
    if year >= 9999 and number == 12:
        raise InputError(record, "month", f"{month!r} is out of range")
    start = datetime.combine(date(year, number, 1), time(0), tzinfo=CN_TZ)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return start, datetime.combine(following, time(0), tzinfo=CN_TZ)


def month_days(month: str) -> tuple[date, date]:
    """Return the first and last local day of a month 'YYYY-MM'."""
    start, end = month_window(month)
    return start.date(), (end - DAY).date()


def previous_month(at: datetime) -> str:
    """Return the month before *at* (Asia/Shanghai) as 'YYYY-MM'."""
    local = at.astimezone(CN_TZ).date().replace(day=1) - DAY
    return f"{local:%Y-%m}"


def cut_off(month: str, as_of: datetime) -> datetime:
    """Return the instant the ledger is judged at: the month's end, or *as_of* if earlier."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a UTC offset")
    start, end = month_window(month)
    if as_of < start:
        raise InputError("inspection report", "month", f"{month} has not begun at {as_of.astimezone(CN_TZ):%Y-%m-%d %H:%M}")
    return min(end, as_of)


def local_days_between(earlier: datetime, later: datetime) -> int:
    """Return how many local (Asia/Shanghai) calendar days lie from *earlier* to *later* (0 on the same day)."""
    return (later.astimezone(CN_TZ).date() - earlier.astimezone(CN_TZ).date()).days


# ---------------------------------------------------------------------------------------------------------
# Inspections
# ---------------------------------------------------------------------------------------------------------


def completion_of(due_at: datetime, done_at: datetime | None, cut: datetime) -> Completion:
    """Return how an inspection stands at *cut*: on time (done_at <= due_at), late, not done, or not yet due."""
    if done_at is not None and done_at <= cut:
        return Completion.ON_TIME if done_at <= due_at else Completion.LATE
    return Completion.MISSING if due_at <= cut else Completion.PENDING


def tally(kinds: Iterable[Completion]) -> Tally:
    """Return the tally of a sequence of completions."""
    counts = dict.fromkeys(Completion, 0)
    for kind in kinds:
        counts[kind] += 1
    return Tally(sum(counts.values()), counts[Completion.ON_TIME], counts[Completion.LATE],
                 counts[Completion.MISSING], counts[Completion.PENDING])


# ---------------------------------------------------------------------------------------------------------
# Hazards
# ---------------------------------------------------------------------------------------------------------


def is_open_at(hazard: HazardFact, cut: datetime) -> bool:
    """Return whether the hazard was found and not yet closed (销号) at *cut*."""
    return hazard.found_at <= cut and (hazard.closed_at is None or hazard.closed_at > cut)


def state_at(hazard: HazardFact, cut: datetime) -> HazardStatus:
    """Return the hazard's status at *cut*, from its stored status and the times of its fix and closure."""
    # A ledger of a past month must not show a fix reported after the cut-off; the extension state has no
    # time of its own on the row, so it is taken as stored.
    if hazard.closed_at is not None and hazard.closed_at <= cut:
        return HazardStatus.CLOSED
    fixed = hazard.fixed_reported_at is not None and hazard.fixed_reported_at <= cut
    if hazard.status in (HazardStatus.REPORTED_FIXED, HazardStatus.CLOSED):
        return HazardStatus.REPORTED_FIXED if fixed else HazardStatus.OPEN
    return hazard.status


def is_overdue_at(hazard: HazardFact, cut: datetime) -> bool:
    """Return whether an open hazard's rectification deadline has passed at *cut* without a fix reported by then."""
    if not is_open_at(hazard, cut) or hazard.deadline >= cut:
        return False
    fixed_in_time = (state_at(hazard, cut) is HazardStatus.REPORTED_FIXED and hazard.fixed_reported_at is not None
                     and hazard.fixed_reported_at <= hazard.deadline)
    return not fixed_in_time


def age_band(days: int) -> AgeBand:
    """Return the band of an open hazard *days* days old."""
    for band in AGE_BANDS:
        if band.max_days is None or days <= band.max_days:
            return band
    raise AssertionError("the last band has no upper bound")


def open_hazard(hazard: HazardFact, cut: datetime) -> OpenHazard:
    """Return an open hazard with its age, band and overdue mark at *cut*."""
    days = local_days_between(hazard.found_at, cut)
    overdue = is_overdue_at(hazard, cut)
    return OpenHazard(hazard, state_at(hazard, cut), days, age_band(days), overdue,
                      local_days_between(hazard.deadline, cut) if overdue else 0)


def age_lines(hazards: Iterable[OpenHazard]) -> tuple[AgeLine, ...]:
    """Return open hazards counted by age band and grade, overdue ones apart."""
    counts = {band.key: dict.fromkeys(GRADES, 0) for band in AGE_BANDS}
    overdue = {band.key: dict.fromkeys(GRADES, 0) for band in AGE_BANDS}
    for item in hazards:
        counts[item.band.key][item.hazard.grade] += 1
        if item.overdue:
            overdue[item.band.key][item.hazard.grade] += 1
    return tuple(AgeLine(band, counts[band.key], overdue[band.key]) for band in AGE_BANDS)


def rectification_days(hazard: HazardFact) -> float:
    """Return the days from finding to 销号 (fractional)."""
    if hazard.closed_at is None:
        raise ValueError(f"hazard {hazard.number} is not closed")
    return (hazard.closed_at - hazard.found_at) / DAY


def rectification_line(grade: HazardGrade | None, days: Sequence[float]) -> RectificationLine:
    """Return count, median and maximum of rectification times (None without any)."""
    if not days:
        return RectificationLine(grade, 0, None, None)
    return RectificationLine(grade, len(days), statistics.median(days), max(days))


def supervision_of(hazard: HazardFact, cut: datetime) -> Supervision:
    """Return a 重大隐患's 挂牌督办 status at *cut*: not reported to the district, under supervision, or lifted."""
    if hazard.reported_to_district_at is None or hazard.reported_to_district_at > cut:
        return Supervision.NOT_REPORTED
    return Supervision.LIFTED if not is_open_at(hazard, cut) else Supervision.SUPERVISED


# ---------------------------------------------------------------------------------------------------------
# The ledger
# ---------------------------------------------------------------------------------------------------------


def build_ledger(month: str, as_of: datetime, inspections: Iterable[InspectionFact], hazards: Iterable[HazardFact],
                 communities: Sequence[str] = ()) -> Ledger:
    """Return the month's ledger judged at min(month end, as_of); drill hazards are counted nowhere."""
    start, end = month_window(month)
    cut = cut_off(month, as_of)
    kinds: dict[str, list[Completion]] = {name: [] for name in communities}
    for fact in inspections:
        kinds.setdefault(fact.community, []).append(completion_of(fact.due_at, fact.done_at, cut))

    real: list[HazardFact] = []
    drills = 0
    for hazard in hazards:
        if hazard.drill:
            drills += 1
        elif hazard.found_at <= cut:
            real.append(hazard)
    found = [h for h in real if start <= h.found_at]
    closed = [h for h in real if h.closed_at is not None and start <= h.closed_at <= cut]
    open_now = sorted((open_hazard(h, cut) for h in real if is_open_at(h, cut)),
                      key=lambda o: (-o.age_days, o.hazard.number))

    names = list(kinds)
    for hazard in real:
        if hazard.community not in kinds:
            kinds[hazard.community] = []
            names.append(hazard.community)

    def count(items: Iterable[HazardFact], name: str) -> int:
        return sum(1 for h in items if h.community == name)

    lines = tuple(CommunityLine(name, tally(kinds[name]), count(found, name), count(closed, name),
                                count((o.hazard for o in open_now), name)) for name in names)
    inspected = Tally()
    for line in lines:
        inspected = inspected.plus(line.inspections)
    total = CommunityLine("", inspected, len(found), len(closed), len(open_now))

    closed_items = tuple(sorted((ClosedHazard(h, rectification_days(h)) for h in closed),
                                key=lambda c: (c.hazard.closed_at, c.hazard.number)))
    rectification = (*(rectification_line(grade, [c.days for c in closed_items if c.hazard.grade is grade])
                       for grade in GRADES), rectification_line(None, [c.days for c in closed_items]))
    majors = tuple(MajorHazard(h, state_at(h, cut), supervision_of(h, cut), is_overdue_at(h, cut))
                   for h in sorted(real, key=lambda h: (h.found_at, h.number))
                   if h.grade is HazardGrade.MAJOR and (h.closed_at is None or h.closed_at >= start))
    return Ledger(
        month=month, start=start, end=end, cut=cut, communities=lines, total=total, open_hazards=tuple(open_now),
        ages=age_lines(open_now), rectification=rectification, closed=closed_items, majors=majors,
        found={grade: sum(1 for h in found if h.grade is grade) for grade in GRADES}, drill_hazards=drills,
    )
