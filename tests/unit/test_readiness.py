"""The 应急准备情况报告, pure part: periods, cut-off, plans in force and due, drills, hazards, warnings, support, the
document's content."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emergency.clock import CN_TZ
from emergency.domain.audits import Summary
from emergency.domain.readiness import (
    DrillFact,
    DueState,
    ExpiringBatch,
    HazardFact,
    NoticeFact,
    PeriodKind,
    PlanFact,
    ShortItem,
    SuppliesFacts,
    SupportFact,
    WarningFact,
    add_months,
    build_readiness,
    cut_day,
    cut_off,
    hazard_summary,
    period_of,
    plan_lines,
    previous_quarter,
    quarter_period,
    support_summary,
    warning_summary,
)
from emergency.errors import InputError
from emergency.reporting.documents import render_document, template_variables
from emergency.reporting.readiness import cut_text, period_text, readiness_context


def t(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    """Return a local (Asia/Shanghai) time."""
    return datetime(year, month, day, hour, tzinfo=CN_TZ)


Q4 = quarter_period(2026, 4)
CUT = Q4.end  # 2027-01-01 00:00, the end of 31 December


class TestPeriods:
    def test_a_period_is_named_by_quarter_year_or_dates(self) -> None:
        """2026Q4, 2026 and two dates (both included) name periods of whole local days."""
        assert (Q4.first, Q4.last, Q4.label) == (date(2026, 10, 1), date(2026, 12, 31), "2026Q4")
        assert period_of(quarter="2026q1") == quarter_period(2026, 1)
        assert period_of(quarter="2026-Q2").last == date(2026, 6, 30)
        year = period_of(year="2026")
        assert (year.kind, year.first, year.last, year.label) == (PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31),
                                                                  "2026")
        dates = period_of(start="2026-10-01", end="2026-11-15")
        assert (dates.kind, dates.last, dates.label) == (PeriodKind.RANGE, date(2026, 11, 15), "20261001-20261115")
        assert dates.start == datetime(2026, 10, 1, tzinfo=CN_TZ)
        assert dates.end == datetime(2026, 11, 16, tzinfo=CN_TZ)

    @pytest.mark.parametrize(("options", "field", "why"), [
        ({"quarter": "2026Q5"}, "quarter", "is not a quarter like 2026Q4"),
        ({"year": "26"}, "year", "is not a year like 2026"),
        ({"start": "2026-10-01"}, "to", "name the period"),
        ({"start": "2026-10-01", "end": "2026-09-30"}, "to", "is before --from"),
        ({"start": "2026-13-01", "end": "2026-12-31"}, "from", "is not a date"),
        ({"quarter": "2026Q4", "year": "2026"}, "year", "one way only"),
        ({}, "from", "name the period"),
    ])
    def test_a_bad_period_names_the_option(self, options: dict[str, str], field: str, why: str) -> None:
        """Every mistake is an InputError naming the option (checked before any flow starts)."""
        with pytest.raises(InputError, match=why) as caught:
            period_of(record="command line", **options)
        assert caught.value.field == field

    def test_the_default_period_is_the_previous_quarter(self) -> None:
        """On 1 January the scheduled run reports the fourth quarter of the year before."""
        assert previous_quarter(datetime(2027, 1, 1, 10, tzinfo=CN_TZ)) == Q4
        assert previous_quarter(t(7, 1)) == quarter_period(2026, 2)

    def test_the_cut_off_is_the_end_or_as_of_and_a_future_period_is_refused(self) -> None:
        """Judged at the period's end, or earlier at as_of; a period not yet begun fails."""
        assert cut_off(Q4, t(1, 5, year=2027)) == CUT
        assert cut_off(Q4, t(11, 20)) == t(11, 20)
        assert cut_day(CUT) == date(2026, 12, 31) and cut_day(t(11, 20)) == date(2026, 11, 20)
        with pytest.raises(InputError, match="has not begun"):
            cut_off(Q4, t(9, 30))

    @given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 120))
    def test_adding_months_keeps_the_day_within_the_month(self, day: date, months: int) -> None:
        """Hypothesis: the month moves by exactly *months*, the day is kept unless the month is shorter."""
        moved = add_months(day, months)
        assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
        assert moved.day == min(day.day, calendar.monthrange(moved.year, moved.month)[1])


def plan(slug: str, version: str, effective: date, review_due: date, *, reason: str = "cycle",
         superseded_at: datetime | None = None, kind: str = "special", months: int | None = 12) -> PlanFact:
    """An approved plan version."""
    return PlanFact(slug, f"{slug}预案", kind, version, effective, superseded_at, review_due, reason,
                    "演练D-2026-002发现：疏散路线与现场不符" if reason != "cycle" else "", months)


PLANS = [
    plan("general", "2023.1", date(2023, 6, 1), date(2026, 6, 1), kind="general"),
    plan("flood", "2026.1", date(2026, 4, 1), date(2029, 4, 1)),
    plan("gas", "2025.1", date(2025, 1, 1), date(2028, 1, 1), superseded_at=t(11, 15, 0), months=6),
    plan("gas", "2026.2", date(2026, 11, 15), date(2026, 12, 20), reason="drill_gap", months=6),
    plan("fire_safety", "2027.1", date(2027, 1, 10), date(2030, 1, 10)),  # not yet in force
    plan("mass_gathering", "2024.1", date(2024, 2, 1), date(2027, 2, 1)),  # review due within 90 days
]


def drill(number: str, slug: str, status: str, *, held: datetime | None = None, scheduled: datetime | None = None,
          kind: str = "field", problems: int = 0) -> DrillFact:
    """A drill."""
    return DrillFact(number, f"{slug}演练", slug, kind, status, scheduled, held, problems)


DRILLS = [
    drill("D-2025-009", "general", "held", held=t(11, 1, year=2025), kind="tabletop"),
    drill("D-2026-001", "flood", "held", held=t(10, 20), problems=2),
    drill("D-2026-002", "gas", "held", held=t(11, 10), kind="tabletop", problems=1),
    drill("D-2026-003", "general", "scheduled", scheduled=t(12, 15)),
    drill("D-2026-004", "mass_gathering", "cancelled", scheduled=t(12, 20)),
    drill("D-2027-001", "flood", "scheduled", scheduled=t(3, 1, year=2027)),
]


class TestPlansAndDrills:
    def test_plans_in_force_at_the_cut_off_and_where_their_review_stands(self) -> None:
        """The superseded gas version and the version not yet in force are left out; the general plan's review is
        overdue, the gas plan flagged by a drill, the mass-gathering plan due within 90 days."""
        lines = {line.slug: line for line in plan_lines(PLANS, CUT)}
        assert sorted(lines) == ["flood", "gas", "general", "mass_gathering"]
        assert next(iter(lines)) == "general"  # the general plan first
        assert lines["gas"].version == "2026.2" and lines["gas"].state is DueState.FLAGGED
        assert (lines["general"].state, lines["general"].days_left) == (DueState.OVERDUE, -213)
        assert (lines["mass_gathering"].state, lines["mass_gathering"].days_left) == (DueState.SOON, 32)
        assert lines["flood"].state is DueState.OK
        # Mid-November the gas plan's new version was not in force yet: the old one was.
        assert {line.slug: line.version for line in plan_lines(PLANS, t(11, 14))}["gas"] == "2025.1"

    def test_drills_held_missed_upcoming_and_each_plans_next(self) -> None:
        """Held in the quarter: two (one problem each kind); the general drill not held and the cancelled one are
        missed; the March drill upcoming; the general plan, last drilled Nov 2025 on a 12-month cycle, is overdue."""
        r = build_readiness(period=Q4, cut=CUT, plans=PLANS, drills=DRILLS, supplies=SUPPLIES, hazards=[],
                            warnings=[], support=[], reporting=Summary())
        assert [d.number for d in r.drills.held] == ["D-2026-001", "D-2026-002"]
        assert (r.drills.problems, r.drills.held_of("field"), r.drills.held_of("tabletop")) == (3, 1, 1)
        assert [d.number for d in r.drills.missed] == ["D-2026-003", "D-2026-004"]
        assert [d.number for d in r.drills.upcoming] == ["D-2027-001"]
        due = {d.slug: d for d in r.drills.due}
        assert (due["general"].last_held, due["general"].due_on, due["general"].state) == (
            date(2025, 11, 1), date(2026, 11, 1), DueState.OVERDUE)
        assert (due["gas"].due_on, due["gas"].state) == (date(2027, 5, 10), DueState.OK)
        assert (due["mass_gathering"].last_held, due["mass_gathering"].due_on) == (None, date(2025, 2, 1))
        assert [d.slug for d in r.drills_due] == ["mass_gathering", "general"]


HAZARDS = [
    HazardFact("general", t(9, 1), t(9, 8), t(10, 5), False),   # found before, closed in the period
    HazardFact("general", t(10, 3), t(10, 10), None, False),    # found in the period, open, overdue
    HazardFact("major", t(11, 2), t(1, 31, year=2027), None, False),  # open, not overdue
    HazardFact("general", t(12, 1), t(12, 8), t(12, 6), False),  # found and closed in the period
    HazardFact("general", t(12, 2), t(12, 9), None, True),      # a drill's: left out
    HazardFact("general", t(12, 3), t(12, 10), None, False, t(12, 9)),  # fix reported in time, waiting for 复查验收
]


class TestCounts:
    def test_hazards_found_closed_open_and_overdue(self) -> None:
        """Found 4 (one major), closed 2, open at the end 3, of which 1 overdue (one reported fixed by its deadline
        waits for 复查验收 and is not); the drill hazard left out."""
        h = hazard_summary(HAZARDS, Q4, CUT)
        assert (h.found.general, h.found.major, h.closed.total, h.open.general, h.open.major) == (3, 1, 2, 2, 1)
        assert (h.overdue.total, h.overdue.major, h.drill_left_out) == (1, 0, 1)

    @given(st.lists(st.tuples(st.integers(0, 200), st.one_of(st.none(), st.integers(0, 200)), st.integers(0, 60),
                              st.booleans(), st.booleans(), st.booleans()), max_size=30))
    def test_hazard_counts_balance(self, specs: list[tuple[int, int | None, int, bool, bool, bool]]) -> None:
        """Hypothesis: open at the end = open at the start + found − closed (real hazards), and overdue ⊆ open."""
        base = t(8, 1)
        facts = [HazardFact("major" if major else "general", base + timedelta(days=found),
                            base + timedelta(days=found + days), None if closed is None or closed < found
                            else base + timedelta(days=closed), drill,
                            base + timedelta(days=found + days // 2) if fixed else None)
                 for found, closed, days, major, drill, fixed in specs]
        h = hazard_summary(facts, Q4, CUT)
        before = hazard_summary(facts, Q4, Q4.start)
        assert h.open.total == before.open.total + h.found.total - h.closed.total
        assert h.overdue.general <= h.open.general and h.overdue.major <= h.open.major

    def test_warnings_by_colour_and_their_pass_down(self) -> None:
        """Real warnings of the period by their highest colour; notices received by the cut (an acknowledgement
        counts as receipt), acknowledged, in time; a drill warning and one before the period left out."""
        notices = (NoticeFact(t(11, 5, 10), t(11, 5, 10), t(11, 5, 11)),   # acknowledged in time
                   NoticeFact(t(11, 5, 10), t(11, 5, 13), t(11, 5, 11)),   # late
                   NoticeFact(None, t(11, 5, 12), t(11, 5, 12)),           # by phone, never delivered by the outbox
                   NoticeFact(t(11, 5, 10), None, t(11, 5, 11)),           # delivered, never acknowledged
                   NoticeFact(None, None, None))                            # not delivered
        w = warning_summary([WarningFact("orange", t(11, 5), True, False, notices),
                             WarningFact(None, t(12, 1), True, False, ()),
                             WarningFact("red", t(12, 2), True, True, notices),
                             WarningFact("blue", t(9, 30), True, False, notices)], Q4, CUT)
        assert (w.issued, w.by_level["orange"], w.no_level, w.drill_left_out) == (2, 1, 1, 1)
        assert (w.recipients, w.received, w.acknowledged, w.acknowledged_in_time) == (5, 4, 3, 2)

    def test_support_requests_answered_refused_and_overdue(self) -> None:
        """Answered in time, answered late, refused, overdue without answer, still within its deadline; drills
        and requests outside the period left out."""
        w = support_summary([
            SupportFact("materials", "answered", t(11, 1, 9), t(11, 1, 11), t(11, 1, 10), False),
            SupportFact("people", "partly_answered", t(11, 2, 9), t(11, 2, 11), t(11, 2, 12), False),
            SupportFact("funds", "refused", t(11, 3, 9), t(11, 4, 9), t(11, 3, 20), False),
            SupportFact("materials", "requested", t(12, 1, 9), t(12, 1, 11), None, False),
            SupportFact("materials", "requested", datetime(2026, 12, 31, 23, tzinfo=CN_TZ), t(1, 1, 1, year=2027),
                        None, False),
            SupportFact("people", "answered", t(12, 5, 9), t(12, 5, 11), t(12, 5, 10), True),
            SupportFact("people", "answered", t(9, 5, 9), t(9, 5, 11), t(9, 5, 10), False),
        ], Q4, CUT)
        assert (w.requested, w.by_kind, w.drill_left_out) == (
            5, {"people": 1, "funds": 1, "materials": 3}, 1)
        assert (w.answered, w.answered_in_time, w.refused, w.unanswered_overdue, w.waiting) == (2, 1, 1, 1, 1)


SUPPLIES = SuppliesFacts(
    items=12, shortfalls=(ShortItem("沙袋", "条", Decimal(1500), Decimal(5000), Decimal(3500)),),
    store_shortfalls=1,
    batches=(ExpiringBatch("正阳街道应急物资储备库", "急救箱", "JJX-2410", Decimal(5), "个", date(2026, 10, 31), True),
             ExpiringBatch("正阳街道应急物资储备库", "瓶装饮用水", "SW-2501", Decimal(40), "箱", date(2027, 2, 1), False)),
    near_expiry_days=90)


def make_readiness() -> dict[str, object]:
    """The context of a fourth-quarter report with something in every section."""
    r = build_readiness(period=Q4, cut=CUT, plans=PLANS, drills=DRILLS, supplies=SUPPLIES, hazards=HAZARDS,
                        warnings=[WarningFact("orange", t(11, 5), True, False,
                                              (NoticeFact(t(11, 5, 10), t(11, 5, 10), t(11, 5, 11)),
                                               NoticeFact(t(11, 5, 10), None, t(11, 5, 11))))],
                        support=[SupportFact("materials", "answered", t(11, 1, 9), t(11, 1, 11), None, False)],
                        reporting=Summary(incidents=2, obligations=6, on_time=4, late=1, missing=1))
    return readiness_context(r, office="长春市绿园区正阳街道办事处", recipient="绿园区人民政府总值班室、绿园区应急管理局",
                             made_at=datetime(2027, 1, 1, 10, tzinfo=CN_TZ))


class TestDocument:
    def test_the_period_and_the_cut_off_read_as_officials_write_them(self) -> None:
        """2026年第四季度; the cut at midnight is 24时 of the day before."""
        assert period_text(Q4) == "2026年第四季度"
        assert period_text(period_of(year="2026")) == "2026年"
        assert period_text(period_of(start="2026-10-01", end="2026-11-15")) == "2026年10月1日至2026年11月15日"
        assert cut_text(CUT) == "2026年12月31日24时" and cut_text(t(11, 20, 9)) == "2026年11月20日9时"

    def test_the_template_takes_exactly_what_the_context_gives(self) -> None:
        """Contract: every variable of readiness_report.docx is a key of the context."""
        assert template_variables("readiness_report") <= set(make_readiness())

    def test_the_report_has_the_numbers_in_its_tables(self, tmp_path: Path) -> None:
        """Key figures, plans with their review, drills held and due, supplies short and expiring, hazards by grade
        with a total; the problems to fix are listed; the document opens with python-docx."""
        doc = docx.Document(str(render_document("readiness_report", make_readiness(), tmp_path / "r.docx")))
        texts = [p.text for p in doc.paragraphs]
        assert "2026年第四季度应急准备情况报告" in texts
        tables = [[[c.text for c in row.cells] for row in table.rows] for table in doc.tables]
        key, plans, held, due, short, expiring, hazards = tables
        figures = {row[1]: row[2] for row in key[1:]}
        assert figures["在用应急预案（件）"] == "4" and figures["需评估修订的预案（件）"] == "3"
        assert figures["举行应急演练（次）"] == "2" and figures["演练发现问题（个）"] == "3"
        assert figures["期末未销号隐患（项）"] == "3" and figures["其中逾期未整改（项）"] == "1"
        assert figures["预警转发到位率"] == "100.0%" and figures["预警签收率"] == "50.0%"
        assert figures["信息报送及时率"] == "66.7%" and figures["迟报、漏报、谎报、瞒报（次）"] == "1、1、0、0"
        assert figures["近效期、已过期物资（批）"] == "1、1"
        assert plans[1] == ["1", "general预案", "总体应急预案", "2023.1", "2023-06-01", "2026-06-01", "已逾期213天"]
        assert [plans[3][1], plans[3][3], plans[3][6]] == ["gas预案", "2026.2", "需评估（演练发现问题）"]
        assert [row[1] for row in held[1:]] == ["D-2026-001", "D-2026-002"]
        assert held[1][3:6] == ["实战演练", "2026-10-20", "2"]
        assert due[1] == ["mass_gathering预案", "每12个月", "—", "2025-02-01", "已逾期698天"]
        assert short[1] == ["1", "沙袋", "条", "1500", "5000", "3500"]
        assert [row[-1] for row in expiring[1:]] == ["已过期", "近效期"]
        assert hazards[1:] == [["一般隐患", "3", "2", "2", "1"], ["重大隐患", "1", "0", "1", "0"],
                               ["合计", "4", "2", "3", "1"]]
        body = "\n".join(texts)
        assert "general预案（2023.1版）评估期限2026-06-01已过" in body
        assert "演练D-2026-003（general演练）计划于2026-12-15举行，未举行。" in body
        assert "1种应急物资低于最低储备" in body and "1批应急物资已过期" in body
        assert "注：演练中登记的隐患1项不计入。" in body

    def test_an_empty_period_says_so_without_empty_tables(self, tmp_path: Path) -> None:
        """No plan approved, nothing held or short: sentences instead of empty tables; no problem to list."""
        r = build_readiness(period=Q4, cut=CUT, plans=[], drills=[], hazards=[], warnings=[], support=[],
                            supplies=SuppliesFacts(0, (), 0, (), 90), reporting=Summary())
        context = readiness_context(r, office="正阳街道办事处", recipient="绿园区人民政府",
                                    made_at=datetime(2027, 1, 1, tzinfo=CN_TZ))
        doc = docx.Document(str(render_document("readiness_report", context, tmp_path / "r.docx")))
        texts = [p.text for p in doc.paragraphs]
        assert "尚无经审批施行的应急预案。" in texts
        assert any(text.startswith("本期未发现需要整改的突出问题。") for text in texts)
        assert len(doc.tables) == 2  # the key figures and the hazards by grade
