"""Hazards without a database: the transition table and its invariants, deadlines, findings, the plan, the notice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emergency.clock import CN_TZ
from emergency.domain.enums import HazardAction, HazardCategory, HazardGrade, HazardStatus, InspectionResult
from emergency.domain.hazards import (
    STEPS,
    TRANSITIONS,
    Finding,
    HazardState,
    Step,
    allowed_steps,
    apply_step,
    default_deadline,
    finding_problems,
    overdue_days,
    same_person,
)
from emergency.errors import InputError, RulesError
from emergency.plans.hazards import load_hazard_plan
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.reporting.documents import render_document, template_variables
from emergency.reporting.notices import NoticeFacts, deadline_text, rectification_notice_context

PLAN = load_hazard_plan()
FOUND = datetime(2026, 11, 26, 9, 30, tzinfo=CN_TZ)
DEADLINE = datetime(2026, 12, 4, 0, 0, tzinfo=CN_TZ)
PEOPLE = ["王丽", "马建国", "周平", "李强"]


def state(**changes: object) -> HazardState:
    """An open hazard found at FOUND, due DEADLINE."""
    base = HazardState(number="YH-2026-0001", status=HazardStatus.OPEN, deadline=DEADLINE, found_at=FOUND,
                       last_step_at=FOUND)
    return replace(base, **changes)  # type: ignore[arg-type]


def finding(**changes: object) -> Finding:
    """A general finding with everything filled in."""
    base = Finding(description="燃气软管老化", grade=HazardGrade.GENERAL, measures="更换软管", responsible_person="马建国",
                   owner_unit="某燃气公司", deadline=DEADLINE)
    return replace(base, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------------
# The transition table
# --------------------------------------------------------------------------------------------------------------


def test_the_happy_path_runs_from_open_to_closed() -> None:
    """Fix reported by one person, verified by another: closed (销号) with both names and times."""
    t = FOUND + timedelta(days=1)
    fixed = apply_step(state(), Step(HazardAction.FIX_REPORTED, "马建国", t), now=t)
    assert (fixed.status, fixed.fixed_reported_by, fixed.fixed_reported_at) == (HazardStatus.REPORTED_FIXED, "马建国", t)
    closed = apply_step(fixed, Step(HazardAction.VERIFIED, "周平", t + timedelta(hours=1)), now=t + timedelta(hours=2))
    assert (closed.status, closed.verified_by, closed.closed_at) == (HazardStatus.CLOSED, "周平", t + timedelta(hours=1))


def test_the_verifier_must_differ_from_who_reported_the_fix() -> None:
    """复查验收 by the one who reported it fixed is refused, naming the hazard and verified_by (case and spaces ignored)."""
    fixed = state(status=HazardStatus.REPORTED_FIXED, fixed_reported_by="Ma Jianguo")
    with pytest.raises(InputError) as caught:
        apply_step(fixed, Step(HazardAction.VERIFIED, " ma  jianguo", FOUND), now=FOUND)
    assert (caught.value.record, caught.value.field) == ("hazard YH-2026-0001", "verified_by")


def test_an_extension_is_decided_by_someone_else_and_moves_the_deadline() -> None:
    """The requester cannot approve; another person's approval moves the deadline to the one asked for."""
    until = DEADLINE + timedelta(days=7)
    asked = apply_step(state(), Step(HazardAction.EXTENSION_REQUESTED, "马建国", FOUND, until), now=FOUND)
    assert (asked.status, asked.deadline) == (HazardStatus.EXTENSION_REQUESTED, DEADLINE)
    with pytest.raises(InputError, match="field decided_by: 马建国 asked for the extension"):
        apply_step(asked, Step(HazardAction.EXTENSION_APPROVED, "马建国", FOUND), now=FOUND)
    approved = apply_step(asked, Step(HazardAction.EXTENSION_APPROVED, "李强", FOUND), now=FOUND)
    assert (approved.status, approved.deadline, approved.extension_until) == (HazardStatus.OPEN, until, None)
    refused = apply_step(asked, Step(HazardAction.EXTENSION_REFUSED, "李强", FOUND), now=FOUND)
    assert (refused.status, refused.deadline) == (HazardStatus.OPEN, DEADLINE)


@pytest.mark.parametrize(("until", "at", "field"), [
    (DEADLINE, FOUND, "until"),  # not later than the current deadline
    (None, FOUND, "until"),
    (DEADLINE + timedelta(days=3), DEADLINE + timedelta(hours=1), "at"),  # asked after the deadline passed
])
def test_a_bad_extension_request_names_its_field(until: datetime | None, at: datetime, field: str) -> None:
    """An extension asks for a later deadline, before the current one passes."""
    with pytest.raises(InputError) as caught:
        apply_step(state(), Step(HazardAction.EXTENSION_REQUESTED, "马建国", at, until), now=at + timedelta(days=1))
    assert caught.value.field == field


def test_illegal_steps_name_the_status() -> None:
    """Verifying an open hazard or fixing a closed one is a one-line error naming the hazard and its status."""
    with pytest.raises(InputError, match=r"^hazard YH-2026-0001, field status: is 整改中 \(open\): cannot take the step "
                                         r"verified \(allowed: extension_requested, fix_reported\)$"):
        apply_step(state(), Step(HazardAction.VERIFIED, "周平", FOUND), now=FOUND)
    with pytest.raises(InputError, match=r"is 已销号 \(closed\).*none: it is final"):
        apply_step(state(status=HazardStatus.CLOSED), Step(HazardAction.FIX_REPORTED, "马建国", FOUND), now=FOUND)


def test_steps_are_recorded_in_order_and_never_in_the_future() -> None:
    """A step before the previous one, or after now, is refused on field at."""
    later = state(last_step_at=FOUND + timedelta(days=1))
    with pytest.raises(InputError, match="field at: is before"):
        apply_step(later, Step(HazardAction.FIX_REPORTED, "马建国", FOUND), now=FOUND + timedelta(days=2))
    with pytest.raises(InputError, match="field at: is in the future"):
        apply_step(state(), Step(HazardAction.FIX_REPORTED, "马建国", FOUND + timedelta(hours=1)), now=FOUND)


def test_only_the_table_steps_are_steps() -> None:
    """Found, notice issued, reported to the district, closed and escalated are recorded, never taken as steps."""
    assert {a for _s, a in TRANSITIONS} == STEPS
    assert allowed_steps(HazardStatus.CLOSED) == []
    with pytest.raises(InputError, match="field action"):
        apply_step(state(), Step(HazardAction.ESCALATED, "系统", FOUND), now=FOUND)


steps = st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.sampled_from(PEOPLE), st.integers(0, 600),
                           st.integers(1, 30)), max_size=25)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_invariants_hold_along_any_sequence_of_steps(sequence: list[tuple[HazardAction, str, int, int]]) -> None:
    """Whatever is tried in whatever order: a status changes only as the table says, closed is final, closing always
    has a verifier other than who reported the fix, a deadline only moves later and only by an approved extension."""
    current = state()
    now = FOUND
    for action, actor, minutes, days in sequence:
        now = now + timedelta(minutes=minutes)
        until = current.deadline + timedelta(days=days)
        try:
            after = apply_step(current, Step(action, actor, now, until), now=now)
        except InputError:
            continue
        assert current.status is not HazardStatus.CLOSED
        assert after.status is TRANSITIONS[(current.status, action)]
        assert after.deadline >= current.deadline
        if after.deadline != current.deadline:
            assert action is HazardAction.EXTENSION_APPROVED
            assert not same_person(actor, current.extension_requested_by)
        if after.status is HazardStatus.CLOSED:
            assert after.verified_by is not None and after.fixed_reported_by is not None
            assert not same_person(after.verified_by, after.fixed_reported_by)
            assert after.closed_at == after.verified_at and after.fixed_reported_at is not None
            assert after.found_at <= after.fixed_reported_at <= after.closed_at
        current = after


@given(st.sampled_from(list(HazardStatus)), st.sampled_from(sorted(STEPS)))
def test_a_step_is_taken_exactly_when_the_table_has_it(status: HazardStatus, action: HazardAction) -> None:
    """With a second person, a later deadline and times in order, a step succeeds iff (status, step) is in the table."""
    before = state(status=status, fixed_reported_by="马建国", extension_requested_by="马建国",
                   extension_until=DEADLINE + timedelta(days=1))
    try:
        after = apply_step(before, Step(action, "周平", FOUND, DEADLINE + timedelta(days=2)), now=FOUND)
    except InputError as exc:
        assert (status, action) not in TRANSITIONS
        assert exc.field == "status"
    else:
        assert after.status is TRANSITIONS[(status, action)]


# --------------------------------------------------------------------------------------------------------------
# Deadlines and findings
# --------------------------------------------------------------------------------------------------------------


def test_the_default_deadline_is_the_end_of_a_local_day() -> None:
    """7 days after a hazard found at 23:30 Beijing time on 26 November: the end of 3 December, Beijing time."""
    late_evening = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    assert default_deadline(late_evening, 7) == datetime(2026, 12, 4, 0, 0, tzinfo=CN_TZ)
    assert default_deadline(late_evening, 0) == datetime(2026, 11, 27, 0, 0, tzinfo=CN_TZ)
    assert deadline_text(datetime(2026, 12, 4, 0, 0, tzinfo=CN_TZ)) == "2026年12月3日24时"
    assert deadline_text(datetime(2026, 12, 3, 9, 30, tzinfo=CN_TZ)) == "2026年12月3日9时30分"
    assert overdue_days(DEADLINE, DEADLINE + timedelta(days=2, hours=3)) == 2
    assert overdue_days(DEADLINE, DEADLINE - timedelta(days=2)) == 0


def test_a_major_finding_needs_its_measures_and_person_in_charge() -> None:
    """16号令第十五条: a 重大事故隐患 names its measures and who is responsible; a general one need not."""
    assert finding_problems(finding(measures="", responsible_person=""), FOUND) == []
    problems = dict(finding_problems(finding(grade=HazardGrade.MAJOR, measures=" ", responsible_person=""), FOUND))
    assert set(problems) == {"measures", "responsible_person"}
    assert "16号令第十五条" in problems["measures"]


def test_a_finding_needs_a_description_an_owner_and_a_later_deadline() -> None:
    """Empty description, no owner unit (the notice's addressee), a deadline not after the finding: each named."""
    fields = [f for f, _why in finding_problems(finding(description=" ", owner_unit="", deadline=FOUND), FOUND)]
    assert fields == ["description", "deadline", "owner_unit"]


# --------------------------------------------------------------------------------------------------------------
# The plan file
# --------------------------------------------------------------------------------------------------------------


def test_the_shipped_plan_names_grades_categories_and_results_in_the_words_offices_use() -> None:
    """一般/重大, 人/物/环境/管理 and the result words resolve; every grade cites its source and a default."""
    assert PLAN.grade_of("重大") is HazardGrade.MAJOR and PLAN.grade_of(" 一般事故隐患") is HazardGrade.GENERAL
    assert PLAN.grade_of("General") is HazardGrade.GENERAL and PLAN.grade_of("较大") is None
    assert [PLAN.category_of(w) for w in ("人", "物", "环境", "管理")] == list(HazardCategory)
    assert PLAN.result_of("合格") is InspectionResult.PASSED and PLAN.result_of("发现隐患") is InspectionResult.FINDING
    assert PLAN.grade(HazardGrade.MAJOR).report_to_district and not PLAN.grade(HazardGrade.GENERAL).report_to_district
    assert all("16号令第三条" in g.source for g in PLAN.grades)
    assert PLAN.grade(HazardGrade.GENERAL).deadline_days == 7


@pytest.mark.parametrize(("edit", "field", "why"), [
    (("deadline_days: 7", "deadline_days: -1"), "grades[general].deadline_days", "greater than or equal to 0"),
    (("  - key: major\n", "  - key: minor\n"), "grades[minor].key", "Input should be"),
    (("    aliases: [物, 物的因素, 物的不安全状态]\n", "    aliases: [人]\n"), "categories", "names two categories"),
    (("  result: [检查结果, 排查结果]\n", "  result: [检查结果, 检查人]\n"), "result_columns", "names two columns"),
    (("  passed: [未发现隐患, 无隐患,", "  passed: [发现隐患, 无隐患,"), "result_words", "means both"),
])
def test_a_bad_plan_file_names_file_field_and_why(tmp_path: Path, edit: tuple[str, str], field: str | None,
                                                  why: str) -> None:
    """A defect in plans/hazards.yaml is a RulesError with the file, the field and why."""
    text = (DEFAULT_PLANS_DIR / "hazards.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    (tmp_path / "hazards.yaml").write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_hazard_plan(tmp_path)
    assert caught.value.path == str(tmp_path / "hazards.yaml")
    assert caught.value.field == field
    assert why in caught.value.why


# --------------------------------------------------------------------------------------------------------------
# The 整改通知书
# --------------------------------------------------------------------------------------------------------------


def notice_context(grade: HazardGrade = HazardGrade.MAJOR, drill: bool = False) -> dict[str, object]:
    """A 整改通知书 context for a hazard found at FOUND."""
    return rectification_notice_context(
        office="长春市绿园区正阳街道办事处", district="绿园区应急管理局", contact="周平（应急办主任）",
        contact_phone="13800000003", issued_at=FOUND, facts=NoticeFacts(
            number="YH-2026-0002", document_number="正阳应急整改〔2026〕2号", owner_unit="长春燃气绿园分公司",
            source_name="正阳小区中压燃气调压箱", location="正阳小区3栋北侧", description="调压箱锈蚀严重。",
            grade=grade, grade_definition=PLAN.grade(grade).definition, category=HazardCategory.THINGS,
            measures="", responsible_person="", found_at=FOUND, inspector="王丽", deadline=DEADLINE, photos=2,
            drill=drill))


def test_the_template_takes_exactly_what_the_context_gives() -> None:
    """Contract: every variable of rectification_notice.docx is a key of its context."""
    assert template_variables("rectification_notice") <= set(notice_context())


@pytest.mark.parametrize("grade", list(HazardGrade))
def test_the_notice_reads_as_an_official_document(tmp_path: Path, grade: HazardGrade) -> None:
    """Addressed to the owner unit, with the hazard, grade basis, measures (a default when none), deadline and
    signature; a 重大 one adds the 治理方案 and 挂牌督办 section."""
    out = render_document("rectification_notice", notice_context(grade), tmp_path / "n.docx")
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "长春燃气绿园分公司：" in text and "正阳应急整改〔2026〕2号" in text and "隐患整改通知书" in text
    assert "隐患描述：调压箱锈蚀严重。" in text  # the description's own 。 is not doubled
    assert "请于2026年12月3日24时前整改完毕" in text and "整改责任人：你单位主要负责人" in text
    assert "现场照片2张" in text and "二〇二六年十一月二十六日" in text
    assert ("挂牌督办" in text) is (grade is HazardGrade.MAJOR)
    assert ("四、复查验收与延期" in text) is (grade is HazardGrade.MAJOR)
    assert "第三条" in text and "{{" not in text and "{%" not in text
