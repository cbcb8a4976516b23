"""Monitoring thresholds with hysteresis: readings + the point's bands + the current colour level → what to do.

Each colour level of a point has a band: the level is reached when a reading is at or above `raise_at`, and once
reached it holds until a reading falls below `clear_below` (< raise_at). A value that wanders inside a band therefore
never flaps the warning (issue 7, point 3). Values rise with danger (water depth, %LEL, rainfall).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from emergency.domain.enums import WarningAction, WarningLevel


@dataclass(frozen=True, slots=True)
class Band:
    """One colour level of a point: reached at `raise_at` or above, held until a value below `clear_below`."""

    level: WarningLevel
    raise_at: float
    clear_below: float


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of a point at one time."""

    at: datetime
    value: float


@dataclass(frozen=True, slots=True)
class LevelDecision:
    """What a batch of readings does to a point's warning: the action (None: nothing), the levels before and after,
    the reading that set the final level and the highest value seen."""

    action: WarningAction | None
    previous: WarningLevel | None
    level: WarningLevel | None
    reading: Reading | None
    peak: Reading | None

    @property
    def changed(self) -> bool:
        """Return whether the warning must change."""
        return self.action is not None


def check_bands(bands: Sequence[Band]) -> str | None:
    """Return why *bands* cannot be used (None when they can): one band per level, a positive hysteresis in each,
    and both thresholds strictly rising with the level."""
    if not bands:
        return "at least one level is needed"
    levels = [b.level for b in bands]
    if len(set(levels)) != len(levels):
        return "one threshold per level"
    ordered = sorted(bands, key=lambda b: b.level.rank)
    for band in ordered:
        if not band.clear_below < band.raise_at:
            return (f"{band.level.value}: clear_below ({band.clear_below:g}) must be below raise_at "
                    f"({band.raise_at:g}), or the level would flap")
    for lower, higher in pairwise(ordered):
        if not lower.raise_at < higher.raise_at:
            return f"{higher.level.value}: raise_at must be above {lower.level.value}'s ({lower.raise_at:g})"
        if not lower.clear_below < higher.clear_below:
            return f"{higher.level.value}: clear_below must be above {lower.level.value}'s ({lower.clear_below:g})"
    return None


def level_for(value: float, bands: Iterable[Band], current: WarningLevel | None) -> WarningLevel | None:
    """Return the colour level after a reading of *value* when the point stood at *current* (None: no warning).

    A level holds when the value reaches its `raise_at`, or when the point already stood at it or higher and the value
    has not fallen below its `clear_below`; the result is the highest level that holds.
    """
    held: WarningLevel | None = None
    for band in bands:
        reached = value >= band.raise_at
        kept = current is not None and band.level.rank <= current.rank and value >= band.clear_below
        if (reached or kept) and (held is None or band.level.rank > held.rank):
            held = band.level
    return held


def action_for(previous: WarningLevel | None, level: WarningLevel | None) -> WarningAction | None:
    """Return issued, raised, lowered or lifted for a change of level; None when the level stays."""
    if previous == level:
        return None
    if previous is None:
        return WarningAction.ISSUED
    if level is None:
        return WarningAction.LIFTED
    return WarningAction.RAISED if level.rank > previous.rank else WarningAction.LOWERED


def decide(readings: Iterable[Reading], bands: Sequence[Band], current: WarningLevel | None) -> LevelDecision:
    """Follow the new *readings* in time order from *current* and return what the warning must do.

    Only the level after the last reading counts: a batch that rose and fell back within one poll changes nothing
    (every reading is stored; the peak is reported).
    """
    level = current
    setter: Reading | None = None
    peak: Reading | None = None
    for reading in sorted(readings, key=lambda r: r.at):
        if peak is None or reading.value > peak.value:
            peak = reading
        after = level_for(reading.value, bands, level)
        if after != level:
            setter = reading
        level = after
    return LevelDecision(action_for(current, level), current, level, setter, peak)


def band_of(bands: Iterable[Band], level: WarningLevel) -> Band | None:
    """Return the band of *level*, if the point has one."""
    return next((b for b in bands if b.level == level), None)
