"""Monitoring thresholds with hysteresis (emergency.domain.monitoring): pure, with hypothesis for the invariants."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from emergency.clock import CN_TZ
from emergency.domain.enums import WarningAction, WarningLevel
from emergency.domain.monitoring import Band, Reading, action_for, check_bands, decide, level_for

T0 = datetime(2026, 7, 20, 8, 0, tzinfo=CN_TZ)

WATER = (  # the underpass bands of plans/monitoring.yaml, in metres
    Band(WarningLevel.BLUE, 0.15, 0.10),
    Band(WarningLevel.YELLOW, 0.25, 0.20),
    Band(WarningLevel.ORANGE, 0.40, 0.35),
    Band(WarningLevel.RED, 0.50, 0.45),
)

levels = st.sampled_from(list(WarningLevel))
maybe_level = st.none() | levels
values = st.floats(min_value=-1.0, max_value=2.0, allow_nan=False)


@st.composite
def band_sets(draw: st.DrawFn) -> tuple[Band, ...]:
    """Valid bands: some levels (lowest first), thresholds rising with the level, a positive hysteresis in each."""
    chosen = sorted(draw(st.sets(levels, min_size=1)), key=lambda lv: lv.rank)
    raises = sorted(draw(st.lists(st.floats(0.01, 100.0), min_size=len(chosen), max_size=len(chosen), unique=True)))
    bands, floor = [], -1.0
    for level, raise_at in zip(chosen, raises, strict=True):
        assume(raise_at > floor)
        clear = draw(st.floats(min_value=floor, max_value=raise_at, exclude_min=True, exclude_max=True))
        bands.append(Band(level, raise_at, clear))
        floor = clear
    result = tuple(bands)
    assume(check_bands(result) is None)
    return result


def changes(seq: list[float], bands: tuple[Band, ...], start: WarningLevel | None) -> list[WarningLevel | None]:
    """Return the level after each value."""
    out, level = [], start
    for value in seq:
        level = level_for(value, bands, level)
        out.append(level)
    return out


def count_changes(start: WarningLevel | None, path: list[WarningLevel | None]) -> int:
    """Return how many times the level changed along *path*."""
    return sum(1 for before, after in zip([start, *path], path, strict=False) if before != after)


def test_the_underpass_example() -> None:
    """0.26 m raises yellow; 0.22 keeps yellow (inside the band); 0.19 lowers to blue; 0.05 lifts."""
    assert level_for(0.26, WATER, None) is WarningLevel.YELLOW
    assert level_for(0.22, WATER, WarningLevel.YELLOW) is WarningLevel.YELLOW
    assert level_for(0.22, WATER, None) is WarningLevel.BLUE  # no warning yet: only raise_at counts
    assert level_for(0.19, WATER, WarningLevel.YELLOW) is WarningLevel.BLUE
    assert level_for(0.12, WATER, WarningLevel.BLUE) is WarningLevel.BLUE
    assert level_for(0.05, WATER, WarningLevel.BLUE) is None
    assert level_for(0.36, WATER, WarningLevel.RED) is WarningLevel.ORANGE
    assert level_for(0.30, WATER, WarningLevel.RED) is WarningLevel.YELLOW  # falls through orange's band at once


def test_decide_reports_the_action_the_setter_and_the_peak() -> None:
    """A batch is followed in time order, whatever order it came in; only the final level counts."""
    batch = [Reading(T0 + timedelta(minutes=m), v) for m, v in ((2, 0.41), (0, 0.12), (1, 0.30))]
    decision = decide(batch, WATER, None)
    assert (decision.action, decision.level) == (WarningAction.ISSUED, WarningLevel.ORANGE)
    assert decision.reading == Reading(T0 + timedelta(minutes=2), 0.41) == decision.peak
    back = decide([Reading(T0, 0.30), Reading(T0 + timedelta(minutes=1), 0.05)], WATER, None)
    assert back.action is None and back.level is None and back.peak == Reading(T0, 0.30)
    assert decide([], WATER, WarningLevel.RED).action is None
    assert decide([Reading(T0, 0.0)], WATER, WarningLevel.RED).action is WarningAction.LIFTED
    assert decide([Reading(T0, 0.60)], WATER, WarningLevel.BLUE).action is WarningAction.RAISED
    assert decide([Reading(T0, 0.37)], WATER, WarningLevel.RED).action is WarningAction.LOWERED


def test_check_bands_names_the_defect() -> None:
    """Bands without hysteresis, or whose thresholds do not rise with the level, are refused with the reason."""
    assert check_bands(WATER) is None
    assert "flap" in (check_bands([Band(WarningLevel.BLUE, 0.15, 0.15)]) or "")
    assert "raise_at must be above" in (check_bands([Band(WarningLevel.BLUE, 0.3, 0.1),
                                                     Band(WarningLevel.RED, 0.2, 0.15)]) or "")
    assert "clear_below must be above" in (check_bands([Band(WarningLevel.BLUE, 0.3, 0.2),
                                                       Band(WarningLevel.RED, 0.5, 0.1)]) or "")
    assert "one threshold per level" in (check_bands([Band(WarningLevel.BLUE, 0.3, 0.2)] * 2) or "")
    assert check_bands([]) is not None


@given(bands=band_sets(), start=maybe_level, data=st.data())
def test_oscillating_inside_a_band_changes_at_most_once(bands: tuple[Band, ...], start: WarningLevel | None,
                                                        data: st.DataObject) -> None:
    """Values that move between two thresholds (none in between) change the level at most once, from any start."""
    edges = sorted({-10.0, 1000.0, *(b.raise_at for b in bands), *(b.clear_below for b in bands)})
    i = data.draw(st.integers(0, len(edges) - 2))
    low, high = edges[i], edges[i + 1]
    seq = data.draw(st.lists(st.floats(low, high, exclude_max=True), min_size=1, max_size=30))
    assert count_changes(start, changes(seq, bands, start)) <= 1


@given(bands=band_sets(), data=st.data())
def test_alternating_values_that_straddle_no_whole_band_never_flap(bands: tuple[Band, ...],
                                                                   data: st.DataObject) -> None:
    """Alternating a, b, a, b … settles after the first two readings unless [a, b] spans a whole band
    (a below its clear_below and b at its raise_at or above): that is a real rise and fall, not noise."""
    a, b = sorted((data.draw(values), data.draw(values)))
    assume(not any(a < band.clear_below and b >= band.raise_at for band in bands))
    start = data.draw(maybe_level)
    path = changes([a, b] * 6, bands, start)
    assert len(set(path[1:])) == 1


@given(bands=band_sets(), start=maybe_level, seq=st.lists(values, min_size=1, max_size=30))
def test_a_rising_sequence_never_lowers_the_level(bands: tuple[Band, ...], start: WarningLevel | None,
                                                  seq: list[float]) -> None:
    """For non-decreasing readings, each level is at least the one before (after the first reading)."""
    path = changes(sorted(seq), bands, start)
    ranks = [lv.rank if lv else 0 for lv in path]
    assert ranks == sorted(ranks)


@given(bands=band_sets(), current=maybe_level, v=values, w=values)
def test_the_level_is_monotone_in_the_value(bands: tuple[Band, ...], current: WarningLevel | None,
                                            v: float, w: float) -> None:
    """From the same level, a higher reading never gives a lower level."""
    low, high = sorted((v, w))
    rank = lambda lv: lv.rank if lv else 0  # noqa: E731
    assert rank(level_for(low, bands, current)) <= rank(level_for(high, bands, current))


@given(bands=band_sets(), current=levels, v=values)
def test_never_lifts_while_at_or_above_the_lowest_clear_threshold(bands: tuple[Band, ...], current: WarningLevel,
                                                                  v: float) -> None:
    """A warning stands while the reading is at or above the lowest band's clear_below."""
    lowest = min(bands, key=lambda b: b.level.rank)
    assume(v >= lowest.clear_below and current.rank >= lowest.level.rank)
    assert level_for(v, bands, current) is not None


@given(bands=band_sets(), v=values)
def test_no_warning_below_every_raise_threshold(bands: tuple[Band, ...], v: float) -> None:
    """Without a warning, a reading below every raise_at issues nothing; at or above one it issues that level."""
    result = level_for(v, bands, None)
    reached = [b for b in bands if v >= b.raise_at]
    assert result == (max(reached, key=lambda b: b.level.rank).level if reached else None)


@given(previous=maybe_level, level=maybe_level)
def test_action_for_names_the_change(previous: WarningLevel | None, level: WarningLevel | None) -> None:
    """Same level → nothing; none → issued; to none → lifted; up → raised; down → lowered."""
    action = action_for(previous, level)
    if previous == level:
        assert action is None
    elif previous is None:
        assert action is WarningAction.ISSUED
    elif level is None:
        assert action is WarningAction.LIFTED
    else:
        assert action is (WarningAction.RAISED if level.rank > previous.rank else WarningAction.LOWERED)
