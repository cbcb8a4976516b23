"""The 隐患排查治理台账 computed without a database: completion, ages, rectification times, 重大隐患, drills."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emergency.clock import CN_TZ
from emergency.domain.enums import HazardGrade, HazardStatus
from emergency.domain.ledgers import (
    AGE_BANDS,
    Completion,
    HazardFact,
    InspectionFact,
    Supervision,
    age_band,
    build_ledger,
    completion_of,
    cut_off,
    month_window,
    previous_month,
    state_at,
    tally,
)
from emergency.errors import InputError

MONTH = "2026-11"
START, END = month_window(MONTH)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> datetime:
    """A time in Asia/Shanghai in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=CN_TZ)


def due(day: int, month: int = 11) -> datetime:
    """The due time of an inspection due on that local day: the next local midnight."""
    return datetime(2026, month, day, tzinfo=CN_TZ) + timedelta(days=1)


def hazard(number: str, *, grade: HazardGrade = HazardGrade.GENERAL, found: datetime, deadline: datetime,
           closed: datetime | None = None, fixed: datetime | None = None, reported: datetime | None = None,
           community: str = "正阳社区", drill: bool = False, status: HazardStatus | None = None) -> HazardFact:
    """A hazard; its stored status follows from closed/fixed unless given."""
    if status is None:
        status = HazardStatus.CLOSED if closed else HazardStatus.REPORTED_FIXED if fixed else HazardStatus.OPEN
    return HazardFact(number=number, community=community, grade=grade, status=status, found_at=found,
                      deadline=deadline, closed_at=closed, fixed_reported_at=fixed, reported_to_district_at=reported,
                      drill=drill, description=f"隐患{number}")


class TestMonths:
    def test_a_month_runs_from_local_midnight_to_the_next_months(self) -> None:
        """November 2026 is [11-01 00:00, 12-01 00:00) Asia/Shanghai; December runs into the new year."""
        assert month_window("2026-11") == (datetime(2026, 11, 1, tzinfo=CN_TZ), datetime(2026, 12, 1, tzinfo=CN_TZ))
        assert month_window("2026-12")[1] == datetime(2027, 1, 1, tzinfo=CN_TZ)

    @pytest.mark.parametrize("bad", ["2026-13", "2026-00", "202611", "Nov 2026", "2026-1", ""])
    def test_a_bad_month_names_the_field(self, bad: str) -> None:
        """Anything but YYYY-MM is an InputError on the month."""
        with pytest.raises(InputError, match="field month"):
            month_window(bad)

    def test_the_cut_off_is_the_months_end_or_as_of_if_earlier(self) -> None:
        """A past month is judged at its end whenever the ledger is made; the current month at as_of."""
        assert cut_off(MONTH, at(3, 9, month=12)) == END
        assert cut_off(MONTH, at(15)) == at(15)
        with pytest.raises(InputError, match="has not begun"):
            cut_off("2026-12", at(15))

    def test_previous_month_is_taken_in_beijing_time(self) -> None:
        """At 00:30 on 1 December in Beijing (16:30 UTC the day before) the previous month is November."""
        assert previous_month(datetime(2026, 12, 1, 0, 30, tzinfo=CN_TZ)) == "2026-11"
        assert previous_month(datetime(2027, 1, 1, 9, tzinfo=CN_TZ)) == "2026-12"


class TestCompletion:
    def test_done_by_the_end_of_the_due_day_is_on_time(self) -> None:
        """done_at <= due_at is on time, even at the due instant itself; one second later is late."""
        assert completion_of(due(10), at(10, 23, 59), END) is Completion.ON_TIME
        assert completion_of(due(10), due(10), END) is Completion.ON_TIME
        assert completion_of(due(10), due(10) + timedelta(seconds=1), END) is Completion.LATE

    def test_not_done_is_missing_once_due_and_pending_before(self) -> None:
        """Without a result, an inspection is missing once its due time has passed, else still pending."""
        assert completion_of(due(10), None, at(11)) is Completion.MISSING
        assert completion_of(due(10), None, at(10, 20)) is Completion.PENDING
        assert completion_of(due(30), None, END) is Completion.MISSING

    def test_a_result_after_the_cut_off_does_not_count(self) -> None:
        """A result recorded after the cut-off leaves the inspection missing in that month's ledger."""
        assert completion_of(due(30), at(2, month=12), END) is Completion.MISSING

    @given(st.lists(st.sampled_from(list(Completion)), max_size=60))
    def test_the_kinds_add_up_to_the_inspections_due(self, kinds: list[Completion]) -> None:
        """on time + late + missing + pending = due; the rates lie in [0, 1] or are None with nothing settled."""
        t = tally(kinds)
        assert t.on_time + t.late + t.missing + t.pending == t.due == len(kinds)
        for rate in (t.on_time_rate, t.done_rate):
            assert rate is None if t.settled == 0 else 0 <= rate <= 1
        if t.settled:
            assert t.on_time_rate is not None and t.done_rate is not None and t.on_time_rate <= t.done_rate


offsets = st.integers(min_value=-40 * 24 * 60, max_value=40 * 24 * 60).map(lambda m: timedelta(minutes=m))
inspection_facts = st.builds(
    lambda community, day, done: InspectionFact(community, due(day), None if done is None else due(day) + done),
    st.sampled_from(["正阳社区", "万福社区", "青年路社区"]), st.integers(min_value=1, max_value=30),
    st.none() | offsets)


class TestCommunities:
    def test_rates_per_community_and_totals(self) -> None:
        """Each community's row counts its own inspections; the totals row sums them; unlisted ones are added."""
        facts = [InspectionFact("正阳社区", due(5), at(5)), InspectionFact("正阳社区", due(5), at(7)),
                 InspectionFact("正阳社区", due(20), None), InspectionFact("万福社区", due(30), at(30, 8)),
                 InspectionFact("新社区", due(12), at(1))]
        ledger = build_ledger(MONTH, at(3, month=12), facts, [], ["正阳社区", "万福社区", "青年路社区"])
        rows = {line.community: line.inspections for line in ledger.communities}
        assert [line.community for line in ledger.communities] == ["正阳社区", "万福社区", "青年路社区", "新社区"]
        zy = rows["正阳社区"]
        assert (zy.due, zy.on_time, zy.late, zy.missing, zy.pending) == (3, 1, 1, 1, 0)
        assert zy.on_time_rate == pytest.approx(1 / 3) and zy.done_rate == pytest.approx(2 / 3)
        assert rows["青年路社区"].due == 0 and rows["青年路社区"].on_time_rate is None
        total = ledger.total.inspections
        assert (total.due, total.on_time, total.late, total.missing) == (5, 3, 1, 1)

    def test_mid_month_the_inspections_not_yet_due_count_in_no_rate(self) -> None:
        """On 15 November an inspection due on the 30th and not done is pending, outside the rates."""
        facts = [InspectionFact("正阳社区", due(10), at(9)), InspectionFact("正阳社区", due(30), None)]
        total = build_ledger(MONTH, at(15), facts, []).total.inspections
        assert (total.due, total.on_time, total.pending, total.settled, total.on_time_rate) == (2, 1, 1, 1, 1.0)

    @given(st.lists(inspection_facts, max_size=50), st.integers(min_value=0, max_value=45))
    def test_community_rows_add_up_to_the_totals(self, facts: list[InspectionFact], day: int) -> None:
        """Whatever the cut-off, every row adds up and the rows sum to the totals row."""
        ledger = build_ledger(MONTH, START + timedelta(days=day), facts, [])
        for line in (*ledger.communities, ledger.total):
            t = line.inspections
            assert t.on_time + t.late + t.missing + t.pending == t.due
            assert t.on_time_rate is None or 0 <= t.on_time_rate <= 1
        assert ledger.total.inspections.due == len(facts) == sum(line.inspections.due for line in ledger.communities)
        if ledger.complete:
            assert ledger.total.inspections.pending == 0


class TestHazards:
    def test_open_hazards_by_age_band_and_grade_with_the_overdue_marked(self) -> None:
        """Ages are local days to the cut-off (30 Nov 24:00); the bands are ≤7, 8–30, 31–90, >90 days."""
        hazards = [
            hazard("H1", found=at(25), deadline=at(10, month=12)),                       # 6 days, in time
            hazard("H2", found=at(15), deadline=at(20)),                                 # 16 days, overdue
            hazard("H3", grade=HazardGrade.MAJOR, found=at(1, month=9), deadline=at(1, month=10)),  # 91 days, overdue
            hazard("H4", found=at(20), deadline=at(25), fixed=at(24)),                   # fixed in time, awaiting 复查
            hazard("H5", found=at(20), deadline=at(25), closed=at(28)),                  # closed: not open
        ]
        ledger = build_ledger(MONTH, at(1, 9, month=12), [], hazards)
        assert [(o.hazard.number, o.age_days, o.band.key, o.overdue) for o in ledger.open_hazards] == [
            ("H3", 91, "gt90", True), ("H2", 16, "d8_30", True), ("H4", 11, "d8_30", False), ("H1", 6, "le7", False)]
        assert {o.hazard.number: o.overdue_days for o in ledger.open_hazards}["H2"] == 11
        ages = {line.band.key: line for line in ledger.ages}
        assert ages["d8_30"].counts == {HazardGrade.GENERAL: 2, HazardGrade.MAJOR: 0}
        assert ages["d8_30"].overdue == {HazardGrade.GENERAL: 1, HazardGrade.MAJOR: 0}
        assert ages["gt90"].counts[HazardGrade.MAJOR] == ages["gt90"].overdue[HazardGrade.MAJOR] == 1
        assert ledger.total.open == 4 and ledger.total.closed == 1

    def test_band_edges(self) -> None:
        """7 days is the first band, 8 the second, 30/31 and 90/91 are the next edges."""
        assert [age_band(d).key for d in (0, 7, 8, 30, 31, 90, 91, 400)] == [
            "le7", "le7", "d8_30", "d8_30", "d31_90", "d31_90", "gt90", "gt90"]

    def test_a_past_months_ledger_shows_no_later_step(self) -> None:
        """A hazard closed in December is open in November's ledger, with the state it had at the cut-off."""
        h = hazard("H1", found=at(10), deadline=at(20), fixed=at(2, month=12), closed=at(5, month=12))
        assert state_at(h, END) is HazardStatus.OPEN
        ledger = build_ledger(MONTH, at(10, month=12), [], [h])
        assert [o.hazard.number for o in ledger.open_hazards] == ["H1"] and ledger.open_hazards[0].overdue
        assert ledger.closed == () and ledger.total.found == 1

    def test_rectification_times_by_grade_over_the_hazards_closed_in_the_month(self) -> None:
        """Count, median and maximum of found → closed, per grade and all together; earlier closures are not in."""
        hazards = [
            hazard("G1", found=at(1, 10), deadline=at(30), closed=at(3, 10)),            # 2 days
            hazard("G2", found=at(1, 10), deadline=at(30), closed=at(5, 22)),            # 4.5 days
            hazard("G3", found=at(20, 10, month=10), deadline=at(30), closed=at(10, 10)),  # 21 days
            hazard("M1", grade=HazardGrade.MAJOR, found=at(2, 10), deadline=at(30), closed=at(12, 10),
                   reported=at(2, 11)),                                                   # 10 days
            hazard("OLD", found=at(1, 10, month=10), deadline=at(5, month=10), closed=at(20, month=10)),
        ]
        ledger = build_ledger(MONTH, at(1, 9, month=12), [], hazards)
        general, major, everything = ledger.rectification
        assert (general.count, general.median_days, general.max_days) == (3, 4.5, 21)
        assert (major.count, major.median_days, major.max_days) == (1, 10, 10)
        assert (everything.count, everything.median_days) == (4, pytest.approx(7.25))
        assert [c.hazard.number for c in ledger.closed] == ["G1", "G2", "G3", "M1"]  # by closing time
        assert "OLD" not in {c.hazard.number for c in ledger.closed}

    def test_major_hazards_with_their_supervision_status(self) -> None:
        """Every 重大隐患 open in the month is listed: not reported, under 挂牌督办, or lifted at 销号."""
        hazards = [
            hazard("M1", grade=HazardGrade.MAJOR, found=at(3), deadline=at(20), reported=at(3, 11)),
            hazard("M2", grade=HazardGrade.MAJOR, found=at(5), deadline=at(10, month=12)),
            hazard("M3", grade=HazardGrade.MAJOR, found=at(1, month=10), deadline=at(30), reported=at(1, 12, month=10),
                   closed=at(6)),
            hazard("M0", grade=HazardGrade.MAJOR, found=at(1, month=9), deadline=at(30, month=9),
                   reported=at(1, 12, month=9), closed=at(20, month=10)),
            hazard("G1", found=at(3), deadline=at(20)),
        ]
        ledger = build_ledger(MONTH, at(1, 9, month=12), [], hazards)
        assert [(m.hazard.number, m.supervision, m.overdue) for m in ledger.majors] == [
            ("M3", Supervision.LIFTED, False), ("M1", Supervision.SUPERVISED, True),
            ("M2", Supervision.NOT_REPORTED, False)]

    def test_drill_hazards_are_never_counted(self) -> None:
        """A drill hazard is in no count, no list and no time; only the number left out is given."""
        real = [hazard("H1", found=at(2), deadline=at(9), closed=at(4))]
        drills = [hazard(f"D{n}", grade=HazardGrade.MAJOR, found=at(3), deadline=at(5), drill=True,
                         closed=at(4) if n % 2 else None) for n in range(3)]
        with_drills = build_ledger(MONTH, at(1, 9, month=12), [], real + drills)
        without = build_ledger(MONTH, at(1, 9, month=12), [], real)
        assert with_drills.drill_hazards == 3
        assert (with_drills.total, with_drills.open_hazards, with_drills.ages, with_drills.rectification,
                with_drills.closed, with_drills.majors, with_drills.found) == (
            without.total, without.open_hazards, without.ages, without.rectification, without.closed,
            without.majors, without.found)


times = st.integers(min_value=-200 * 24, max_value=40 * 24).map(lambda h: START + timedelta(hours=h))
hazard_facts = st.builds(
    lambda n, grade, found, span, deadline_days, drill: hazard(
        f"H{n}", grade=grade, found=found, deadline=found + timedelta(days=deadline_days),
        closed=None if span is None else found + timedelta(hours=span), drill=drill),
    st.integers(min_value=0, max_value=10**6), st.sampled_from(list(HazardGrade)), times,
    st.none() | st.integers(min_value=0, max_value=120 * 24), st.integers(min_value=0, max_value=60), st.booleans())


@given(st.lists(hazard_facts, max_size=40), st.integers(min_value=0, max_value=40))
def test_every_open_hazard_is_in_exactly_one_band(hazards: list[HazardFact], day: int) -> None:
    """Bands partition the open hazards; overdue never exceeds the count; no drill is open, closed or listed."""
    ledger = build_ledger(MONTH, START + timedelta(days=day, hours=9), [], hazards)
    assert sum(line.total for line in ledger.ages) == len(ledger.open_hazards) == ledger.total.open
    for line in ledger.ages:
        for grade in HazardGrade:
            assert 0 <= line.overdue[grade] <= line.counts[grade]
    assert {o.band.key for o in ledger.open_hazards} <= {band.key for band in AGE_BANDS}
    assert all(o.age_days >= 0 for o in ledger.open_hazards)
    counted = [*(o.hazard for o in ledger.open_hazards), *(c.hazard for c in ledger.closed), *(m.hazard for m in ledger.majors)]
    assert not any(h.drill for h in counted)
    assert ledger.drill_hazards == sum(h.drill for h in hazards)


@given(st.lists(hazard_facts, max_size=40))
def test_rectification_median_lies_between_the_fastest_and_the_slowest(hazards: list[HazardFact]) -> None:
    """Per grade: count is the hazards closed in the month, min ≤ median ≤ max, and counts add up."""
    ledger = build_ledger(MONTH, at(2, month=12), [], hazards)
    *by_grade, everything = ledger.rectification
    assert sum(line.count for line in by_grade) == everything.count == len(ledger.closed)
    for line in ledger.rectification:
        days = [c.days for c in ledger.closed if line.grade is None or c.hazard.grade is line.grade]
        assert line.count == len(days)
        if days:
            assert line.median_days is not None and line.max_days == max(days)
            assert min(days) <= line.median_days <= max(days)
        else:
            assert line.median_days is None and line.max_days is None
    assert all(START <= c.hazard.closed_at <= END for c in ledger.closed if c.hazard.closed_at)
