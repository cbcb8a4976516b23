"""Which inspections fall due: routine cycles per source type and risk level, and seasonal or pre-holiday campaigns.

A period is named by a key (`2026-11`, `2026-W48`, `2026-Q4`, `2026-H2`, `2026`, `campaign:flood:2026-06` …) that is
the same whichever day inside the period the planning runs, so the key is what makes planning idempotent: a source
has at most one inspection per key, and a run on any day of the period (or a backfill with an earlier `as_of`)
names the same inspections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

ROUTINE = "routine"
"""The reason of an inspection that comes from the type × level frequency, not from a campaign."""

CAMPAIGN_PREFIX = "campaign:"


class Cadence(StrEnum):
    """How often a routine (or campaign) inspection recurs: one per calendar week, month, quarter, half or year."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class Window:
    """A named stretch of local days: the inspection may be done from starts_on and is due by the end of due_on."""

    key: str
    starts_on: date
    due_on: date

    def contains(self, day: date) -> bool:
        """Return whether *day* lies in the window (both ends included)."""
        return self.starts_on <= day <= self.due_on


@dataclass(frozen=True, slots=True)
class Season:
    """A yearly stretch of month-days, e.g. 06-01 to 09-30; it may run over the new year (11-01 to 03-31)."""

    starts: tuple[int, int]
    ends: tuple[int, int]

    @property
    def crosses_new_year(self) -> bool:
        """Return whether the season ends in the year after it starts."""
        return self.ends < self.starts


@dataclass(frozen=True, slots=True)
class BeforeHoliday:
    """The days before a holiday: from days_from days before each listed date to days_to days before it."""

    dates: tuple[date, ...]
    days_from: int
    days_to: int


@dataclass(frozen=True, slots=True)
class Campaign:
    """A special inspection campaign (专项检查) for some types and levels, in a season or before a holiday."""

    key: str
    types: frozenset[str] | None
    levels: frozenset[str] | None
    every: Cadence | None
    season: Season | None = None
    before: BeforeHoliday | None = None

    def applies_to(self, source_type: str, risk_level: str) -> bool:
        """Return whether sources of this type and level are inspected in the campaign."""
        return (self.types is None or source_type in self.types) and (self.levels is None or risk_level in self.levels)


@dataclass(frozen=True, slots=True)
class PlannedSource:
    """What planning needs of a source: its id, type and risk level."""

    id: int
    source_type: str
    risk_level: str


@dataclass(frozen=True, slots=True)
class DueInspection:
    """One inspection a planning run asks for."""

    source_id: int
    period_key: str
    reason: str
    starts_on: date
    due_on: date


@dataclass(frozen=True, slots=True)
class Planning:
    """The inspections due on a day, and the sources no frequency covers (their type or level is not in the plan)."""

    due: tuple[DueInspection, ...]
    unplanned: tuple[int, ...]


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def period_window(every: Cadence, day: date) -> Window:
    """Return the calendar period of *every* that contains *day*, with its key."""
    if every is Cadence.WEEK:
        iso = day.isocalendar()
        monday = day - timedelta(days=iso.weekday - 1)
        return Window(f"{iso.year}-W{iso.week:02d}", monday, monday + timedelta(days=6))
    if every is Cadence.MONTH:
        return Window(f"{day.year}-{day.month:02d}", day.replace(day=1), _month_end(day.year, day.month))
    if every is Cadence.QUARTER:
        quarter = (day.month - 1) // 3 + 1
        first = 3 * quarter - 2
        return Window(f"{day.year}-Q{quarter}", date(day.year, first, 1), _month_end(day.year, first + 2))
    if every is Cadence.HALF_YEAR:
        half = 1 if day.month <= 6 else 2
        first = 1 if half == 1 else 7
        return Window(f"{day.year}-H{half}", date(day.year, first, 1), _month_end(day.year, first + 5))
    return Window(str(day.year), date(day.year, 1, 1), date(day.year, 12, 31))


def _season_window(season: Season, day: date) -> Window | None:
    for year in (day.year - 1, day.year):
        starts = date(year, *season.starts)
        ends = date(year + 1 if season.crosses_new_year else year, *season.ends)
        if starts <= day <= ends:
            return Window(str(year), starts, ends)
    return None


def _holiday_windows(before: BeforeHoliday, day: date) -> list[Window]:
    found = []
    for holiday in before.dates:
        window = Window(str(holiday.year), holiday - timedelta(days=before.days_from),
                        holiday - timedelta(days=before.days_to))
        if window.contains(day):
            found.append(window)
    return found


def campaign_windows(campaign: Campaign, day: date) -> tuple[Window, ...]:
    """Return the campaign's inspection periods that contain *day*: the whole window, or its part in one cadence."""
    windows: list[Window] = []
    if campaign.season is not None:
        season = _season_window(campaign.season, day)
        windows += [season] if season is not None else []
    if campaign.before is not None:
        windows += _holiday_windows(campaign.before, day)
    prefix = f"{CAMPAIGN_PREFIX}{campaign.key}:"
    periods: dict[str, Window] = {}
    for window in windows:
        if campaign.every is None:
            period = Window(prefix + window.key, window.starts_on, window.due_on)
        else:
            part = period_window(campaign.every, day)
            period = Window(prefix + part.key, max(part.starts_on, window.starts_on), min(part.due_on, window.due_on))
        periods.setdefault(period.key, period)
    return tuple(periods.values())


@dataclass(frozen=True, slots=True)
class DuePeriod:
    """A period every source of one type and risk level is inspected in, and why (routine or a campaign key)."""

    period_key: str
    reason: str
    starts_on: date
    due_on: date


def due_periods(pairs: Iterable[tuple[str, str]], frequencies: Mapping[tuple[str, str], Cadence],
                campaigns: Sequence[Campaign], day: date) -> dict[tuple[str, str], tuple[DuePeriod, ...] | None]:
    """Return, for each (type, risk level), the periods due on the local *day*; None where no frequency covers it."""
    # Every source of one type and level gets the same periods, so planning 100,000 sources means working out a few
    # dozen pairs; the database (or due_inspections) then pairs them with the sources.
    active = [(c, campaign_windows(c, day)) for c in campaigns]
    found: dict[tuple[str, str], tuple[DuePeriod, ...] | None] = {}
    for pair in pairs:
        if pair in found:
            continue
        every = frequencies.get(pair)
        if every is None:
            found[pair] = None
            continue
        routine = period_window(every, day)
        periods = [DuePeriod(routine.key, ROUTINE, routine.starts_on, routine.due_on)]
        periods += [DuePeriod(w.key, c.key, w.starts_on, w.due_on)
                    for c, windows in active if c.applies_to(*pair) for w in windows]
        found[pair] = tuple({p.period_key: p for p in periods}.values())
    return found


def due_inspections(sources: Iterable[PlannedSource], frequencies: Mapping[tuple[str, str], Cadence],
                    campaigns: Sequence[Campaign], day: date) -> Planning:
    """Return the inspections due on the local *day*: each source's routine period, and every campaign it is in."""
    listed = list(sources)
    periods = due_periods(((s.source_type, s.risk_level) for s in listed), frequencies, campaigns, day)
    due: list[DueInspection] = []
    unplanned: list[int] = []
    for source in listed:
        periods_of = periods[(source.source_type, source.risk_level)]
        if periods_of is None:
            unplanned.append(source.id)
            continue
        due += [DueInspection(source.id, p.period_key, p.reason, p.starts_on, p.due_on) for p in periods_of]
    return Planning(tuple(due), tuple(unplanned))
