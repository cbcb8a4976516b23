"""Support requests, the pure part: items and deadlines as typed, answers, received against requested, the 请示."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emergency.clock import CN_TZ
from emergency.domain.enums import SupportKind, SupportStatus
from emergency.domain.support_requests import (
    Arrival,
    Item,
    answer_problem,
    fully_received,
    item_of,
    parse_due_in,
    parse_item,
    plain,
    progress,
    status_after_arrival,
)
from emergency.errors import RulesError
from emergency.plans.support import load_support_plan
from emergency.reporting.documents import render_document, template_variables
from emergency.reporting.support_requests import RequestFacts, support_request_context

AT = datetime(2026, 3, 1, 9, 30, tzinfo=CN_TZ)


class TestItems:
    def test_an_item_reads_what_quantity_and_unit(self) -> None:
        """编织袋:5000:条 is 5000 条 of 编织袋; a full-width colon and spaces are fine; the quantity is exact."""
        assert parse_item("编织袋:5000:条") == Item("编织袋", Decimal(5000), "条")
        assert parse_item(" 应急 照明灯 ：20： 台 ") == Item("应急 照明灯", Decimal(20), "台")
        assert parse_item("资金:50.5:万元").quantity == Decimal("50.5")

    def test_what_may_hold_a_colon_since_the_last_two_split(self) -> None:
        """Only the last two colons separate quantity and unit."""
        assert parse_item("型号:ZX-1 抽水泵:4:台") == Item("型号:ZX-1 抽水泵", Decimal(4), "台")

    @pytest.mark.parametrize(("text", "why"), [
        ("编织袋5000条", "is not what:quantity:unit"),
        (":5000:条", "does not say what"),
        ("编织袋:五千:条", "is not a number"),
        ("编织袋:0:条", "is not a positive number"),
        ("编织袋:-3:条", "is not a positive number"),
        ("编织袋:1.0005:条", "more than three decimals"),
        ("编织袋:5000:", "has no unit"),
        ("编织袋:5000:" + "条" * 17, "unit is longer than 16"),
    ])
    def test_a_bad_item_says_why(self, text: str, why: str) -> None:
        """Each defect is named, never guessed around."""
        with pytest.raises(ValueError, match=why):
            parse_item(text)

    @given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999999999"), places=3))
    def test_an_item_survives_storage(self, quantity: Decimal) -> None:
        """Stored as JSON text and read back, an item is the same item; plain() never writes an exponent."""
        item = Item("编织袋", quantity, "条")
        assert item_of(dict(item.as_json())) == item
        assert "E" not in plain(quantity) and Decimal(plain(quantity)) == quantity


class TestDueIn:
    @pytest.mark.parametrize(("text", "expected"), [
        ("2h", timedelta(hours=2)), ("30m", timedelta(minutes=30)), ("30min", timedelta(minutes=30)),
        ("1d", timedelta(days=1)), ("1h30m", timedelta(minutes=90)), (" 1H 30M ", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
    ])
    def test_durations_as_typed(self, text: str, expected: timedelta) -> None:
        """Days, hours and minutes, alone or together, any case and spacing."""
        assert parse_due_in(text) == expected

    @pytest.mark.parametrize("text", ["", "2", "two hours", "2x", "h2", "0h", "31d", "2h later"])
    def test_anything_else_is_refused(self, text: str) -> None:
        """No number without a unit, no zero, nothing over 30 days, no trailing words."""
        with pytest.raises(ValueError):
            parse_due_in(text)

    @given(st.integers(0, 29), st.integers(0, 23), st.integers(0, 59))
    def test_a_spelled_out_duration_is_that_duration(self, days: int, hours: int, minutes: int) -> None:
        """Hypothesis: {d}d{h}h{m}m reads as exactly that many minutes (when it is any time at all)."""
        expected = timedelta(days=days, hours=hours, minutes=minutes)
        text = f"{days}d{hours}h{minutes}m"
        if expected == timedelta(0):
            with pytest.raises(ValueError):
                parse_due_in(text)
        else:
            assert parse_due_in(text) == expected


WHATS = st.sampled_from(["编织袋", "抽水泵", "抢险人员", "资金"])
UNITS = st.sampled_from(["条", "台", "人", "万元"])
QUANTITIES = st.decimals(min_value=Decimal(1), max_value=Decimal(10000), places=0)


class TestProgress:
    def test_received_is_counted_against_requested_by_what_and_unit(self) -> None:
        """Arrivals add up per item (case and spacing ignored); something not asked for is listed after."""
        items = [Item("编织袋", Decimal(5000), "条"), Item("Pump", Decimal(4), "台")]
        lines = progress(items, [Arrival("编织袋", Decimal(3000), "条"), Arrival("pump", Decimal(4), "台"),
                                 Arrival(" 编织袋 ", Decimal(1000), "条"), Arrival("救援队", None, "")])
        assert [(p.what, p.requested, p.received, p.outstanding, p.arrivals) for p in lines] == [
            ("编织袋", Decimal(5000), Decimal(4000), Decimal(1000), 2),
            ("Pump", Decimal(4), Decimal(4), Decimal(0), 1),
            ("救援队", None, Decimal(0), Decimal(0), 1)]
        assert not fully_received(lines)

    @given(st.lists(st.tuples(WHATS, QUANTITIES, UNITS), min_size=1, max_size=5),
           st.lists(st.tuples(WHATS, st.one_of(st.none(), QUANTITIES), UNITS), max_size=8))
    def test_progress_invariants(self, asked: list[tuple[str, Decimal, str]],
                                 came: list[tuple[str, Decimal | None, str]]) -> None:
        """Hypothesis: nothing arrived is lost or counted twice; requested totals are kept; outstanding is never
        negative; and fully received holds exactly when every item asked for has received ≥ requested."""
        items = [Item(w, q, u) for w, q, u in asked]
        arrivals = [Arrival(w, q, u) for w, q, u in came]
        lines = progress(items, arrivals)
        assert sum(p.received for p in lines) == sum(q or 0 for _w, q, _u in came)
        assert sum(p.arrivals for p in lines) == len(came)
        assert sum(p.requested or 0 for p in lines) == sum(q for _w, q, _u in asked)
        assert all(p.outstanding >= 0 for p in lines)
        assert fully_received(lines) == all(p.received >= p.requested for p in lines if p.requested is not None)


class TestAnswers:
    def test_a_request_is_answered_once_and_a_partial_answer_may_be_completed(self) -> None:
        """requested → any answer; partly → another answer; answered, refused and closed take none."""
        assert answer_problem(SupportStatus.REQUESTED, SupportStatus.ANSWERED) is None
        assert answer_problem(SupportStatus.PARTLY_ANSWERED, SupportStatus.REFUSED) is None
        assert answer_problem(SupportStatus.ANSWERED, SupportStatus.ANSWERED) == "the request is already answered"
        assert answer_problem(SupportStatus.CLOSED, SupportStatus.PARTLY_ANSWERED) == "the request is already closed"
        assert "is not an answer" in (answer_problem(SupportStatus.REQUESTED, SupportStatus.CLOSED) or "")

    def test_an_answered_request_closes_when_everything_arrived(self) -> None:
        """Everything asked for arrived: answered or partly answered closes; unanswered or refused does not."""
        full = progress([Item("编织袋", Decimal(10), "条")], [Arrival("编织袋", Decimal(10), "条")])
        short = progress([Item("编织袋", Decimal(10), "条")], [Arrival("编织袋", Decimal(9), "条")])
        assert status_after_arrival(SupportStatus.ANSWERED, full) is SupportStatus.CLOSED
        assert status_after_arrival(SupportStatus.PARTLY_ANSWERED, full) is SupportStatus.CLOSED
        assert status_after_arrival(SupportStatus.ANSWERED, short) is SupportStatus.ANSWERED
        assert status_after_arrival(SupportStatus.REQUESTED, full) is SupportStatus.REQUESTED


class TestPlan:
    def test_the_shipped_plan_gives_each_kind_a_deadline_with_its_source(self) -> None:
        """plans/support.yaml: one 主送机关, 抄送 the emergency bureau, a deadline with a source per kind."""
        plan = load_support_plan()
        assert plan.addressed_to == "绿园区人民政府" and plan.copy_to == ("绿园区应急管理局",)
        assert plan.answer_deadlines.of(SupportKind.PEOPLE).delta == timedelta(hours=2)
        assert plan.answer_deadlines.of(SupportKind.FUNDS).delta == timedelta(hours=24)
        assert all(plan.answer_deadlines.of(kind).source for kind in SupportKind)

    def test_a_bad_plan_names_the_file_and_the_field(self, tmp_path: Path) -> None:
        """A deadline of zero hours fails with the file and answer_deadlines.funds.hours."""
        text = (Path(__file__).resolve().parents[2] / "plans" / "support.yaml").read_text(encoding="utf-8")
        (tmp_path / "support.yaml").write_text(text.replace("hours: 24", "hours: 0"), encoding="utf-8")
        with pytest.raises(RulesError) as caught:
            load_support_plan(tmp_path)
        assert caught.value.path == str(tmp_path / "support.yaml")
        assert caught.value.field == "answer_deadlines.funds.hours"


def make_context(**changes: object) -> dict[str, object]:
    """The context of a 请示 for materials during the gas explosion of the demo."""
    facts = RequestFacts(
        document_number="正阳应急请〔2026〕1号", kind=SupportKind.MATERIALS,
        items=(Item("编织袋", Decimal(5000), "条"), Item("应急照明灯", Decimal("20"), "台")),
        reason="现场抢险物资不足，急需补充。", incident="2026-0301", incident_title="万福街某餐馆燃气爆炸",
        location="绿园区万福街87号附近某餐馆", occurred_at=datetime(2026, 3, 1, 8, 10, tzinfo=CN_TZ),
        due_at=datetime(2026, 3, 1, 11, 30, tzinfo=CN_TZ), requested_by="张伟", contact="周平",
        contact_phone="13800000003", drill=False)
    context = support_request_context(office="长春市绿园区正阳街道办事处", facts=facts, addressed_to="绿园区人民政府",
                                      copy_to=("绿园区应急管理局",), urgency="特急", issued_at=AT)
    return {**context, **changes}


class TestDocument:
    def test_the_template_takes_exactly_what_the_context_gives(self) -> None:
        """Contract: every variable of support_request.docx is a key of the context."""
        assert template_variables("support_request") <= set(make_context())

    def test_the_request_reads_as_a_qing_shi(self, tmp_path: Path) -> None:
        """One matter, one 主送机关, items in a table, 妥否，请批示, 联系人/电话 in the 附注, 抄送 in the 版记."""
        doc = docx.Document(str(render_document("support_request", make_context(), tmp_path / "r.docx")))
        texts = [p.text for p in doc.paragraphs]
        assert texts[:5] == ["特急", "长春市绿园区正阳街道办事处", "正阳应急请〔2026〕1号\t签发人：张伟",
                             "关于万福街某餐馆燃气爆炸处置请求支援物资的请示", "绿园区人民政府："]
        assert texts[5].startswith("2026年3月1日8时10分，绿园区万福街87号附近某餐馆发生万福街某餐馆燃气爆炸事件"
                                   "（事件编号2026-0301）。现场抢险物资不足，急需补充。")
        assert "恳请于2026年3月1日11时30分前予以答复，以便及时调配、投入处置。" in texts
        assert texts.index("妥否，请批示。") < texts.index("二〇二六年三月一日")
        assert "（联系人：周平，联系电话：13800000003）" in texts
        assert "抄送：绿园区应急管理局。" in texts and "长春市绿园区正阳街道办事处\t2026年3月1日印发" in texts
        assert not any("演练" in text for text in texts)
        [table] = doc.tables
        assert [[c.text for c in row.cells] for row in table.rows] == [
            ["序号", "支援内容", "数量", "单位"], ["1", "编织袋", "5000", "条"], ["2", "应急照明灯", "20", "台"]]

    def test_a_drill_request_is_marked_and_a_missing_phone_is_left_out(self, tmp_path: Path) -> None:
        """演练 on the first line; without a phone on record the 附注 names only the contact; no 抄送, no line."""
        doc = docx.Document(str(render_document("support_request", make_context(
            drill=True, contact="张伟", contact_phone="", copy_to=""), tmp_path / "r.docx")))
        texts = [p.text for p in doc.paragraphs]
        assert texts[0].startswith("【演练】")
        assert "（联系人：张伟）" in texts and not any(t.startswith("抄送") for t in texts)
