"""Documents from the docxtpl templates: contexts, GB/T 9704 layout, the strict context check, and the PDF path.

Every rendered file is re-opened with python-docx and checked for its text, tables, fonts and the eastAsia
font attribute of its runs, never by size.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from emergency.domain.audits import AuditResult, Finding, IncidentAudit
from emergency.domain.enums import Category, Channel, FindingType, ObligationKind, ObligationStatus, ReportKind, Severity
from emergency.domain.incidents import Figures, Incident, Report, Statement
from emergency.domain.obligations import Obligation
from emergency.errors import EmergencyError, InputError, TemplateError
from emergency.reporting import documents
from emergency.reporting.contexts import (
    chinese_date,
    chinese_number,
    chinese_time,
    format_rate,
    monthly_timeliness_context,
    report_context,
)
from emergency.reporting.documents import DEFAULT_TEMPLATES, convert_to_pdf, render_document, template_variables

ROOT = Path(__file__).resolve().parents[2]
CST = timezone(timedelta(hours=8))
OFFICE = "长春市绿园区正阳街道办事处"
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
OFFICIAL_FONTS = {TITLE_FONT, BODY_FONT, "黑体", "楷体_GB2312", "宋体"}
REPORT_TEMPLATES = {ReportKind.INITIAL: "report_initial", ReportKind.FOLLOW_UP: "report_follow_up",
                    ReportKind.FINAL: "report_final"}
ALL_TEMPLATES = ("report_initial", "report_follow_up", "report_final", "monthly_timeliness")


# --------------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------------


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """A time in Asia/Shanghai on 2026-03-<day>."""
    return datetime(2026, 3, day, hh, mm, tzinfo=CST)


def make_incident(**overrides: Any) -> Incident:
    """The README's gas explosion, with keyword overrides."""
    values: dict[str, Any] = {
        "id": "2026-0001", "category": Category.ACCIDENT, "type": "gas_explosion", "title": "万福街餐馆燃气爆炸",
        "location": "万福街87号", "occurred_at": at(1, 8, 10), "known_at": at(1, 8, 20), "closed_at": at(1, 13),
        "drill": False, "truth": (), "reports": (),
    }
    values.update(overrides)
    return Incident(**values)


STATED: dict[str, object] = {  # as `report submit` stores it
    "occurred_at": "2026-03-01T08:10:00+08:00",
    "known_at": "2026-03-01T08:20:00+08:00",
    "location": "万福街87号",
    "severity": "IV",
    "summary": "万福街87号一餐馆后厨液化气罐泄漏引发爆炸，门窗损毁 & 外墙<局部>受损。",
    "measures": "已疏散周边群众120余人，消防、燃气、公安、卫健部门到场处置，伤员已送医救治。",
    "deaths": 0, "missing": 0, "serious_injuries": 1, "injuries": 2,
}


def make_report_context(kind: ReportKind = ReportKind.INITIAL, **overrides: Any) -> dict[str, object]:
    """A realistic context for a 首报/续报/终报 of the gas explosion."""
    values: dict[str, Any] = {
        "office": OFFICE, "incident": make_incident(), "kind": kind, "sequence": 2, "stated": STATED,
        "changes": ["重伤人数由1人增至2人。", "现场明火已于9时30分扑灭。"], "signer": "张伟",
        "signed_at": at(1, 8, 40), "urgency": "特急", "document_number": "正阳街呈〔2026〕5号",
        "recipient": "绿园区应急管理局", "drill": False,
    }
    values.update(overrides)
    return report_context(**values)


def obligation(kind: ObligationKind, status: ObligationStatus) -> Obligation:
    """An obligation with the given status (times are irrelevant to the rates)."""
    return Obligation(kind=kind, due_at=at(1, 9), rule="r", source="s", since=at(1, 8), status=status)


def report(ref: str, *, stated: bool = True, submitted: datetime | None = None) -> Report:
    """A written report, with content on record unless *stated* is false."""
    return Report(id=ref, kind=ReportKind.INITIAL, channel=Channel.WRITTEN, to="绿园区应急管理局",
                  submitted_at=submitted or at(1, 9), stated=Statement(figures=Figures(deaths=0)) if stated else None)


def finding(incident: str, kind: FindingType, report_ref: str | None, evidence: str, *,
            of: ObligationKind | None = None, drill: bool = False) -> Finding:
    """A finding with a fixed rule and source."""
    return Finding(incident=incident, type=kind, rule="rule.x", source="国务院令第493号 第九条", evidence=evidence,
                   report=report_ref, obligation=of, drill=drill)


def make_result() -> AuditResult:
    """Three real incidents in two units and one drill, with findings of every kind."""
    # 正阳社区: A (4 obligations due and 1 open, 3 on time, 1 late; reports R1-R3 and R9 after the audit, R2 lacks
    # elements) and B (2 due, 1 on time, 1 missing; R1 false, R2 not on record). 宝丰社区: C (1 due, met late,
    # concealed; R1). Drill D: 2 due, both late; it must count in no rate.
    a = make_incident(id="2026-0001", title="正阳街某小区燃气泄漏",
                      reports=(report("R1"), report("R2"), report("R3"), report("R9", submitted=at(31, 12))))
    b = make_incident(id="2026-0002", title="青年路交通事故", reports=(report("R1"), report("R2", stated=False)))
    c = make_incident(id="2026-0003", title="万福街商铺火灾", reports=(report("R1"),))
    d = make_incident(id="2026-Y01", title="内涝应急演练", drill=True, reports=(report("R1"), report("R2")))
    ok, late, overdue, open_ = (ObligationStatus.MET, ObligationStatus.MET_LATE, ObligationStatus.OVERDUE,
                                ObligationStatus.OPEN)
    audits = (
        IncidentAudit(a, (obligation(ObligationKind.INITIAL_PHONE, ok), obligation(ObligationKind.INITIAL_WRITTEN, late),
                          obligation(ObligationKind.FOLLOW_UP_CADENCE, ok), obligation(ObligationKind.FINAL, ok),
                          obligation(ObligationKind.FOLLOW_UP_CHANGE, open_)),
                      (finding("2026-0001", FindingType.LATE, "R2", "书面首报超时18分钟。",
                               of=ObligationKind.INITIAL_WRITTEN),
                       finding("2026-0001", FindingType.MISSING, "R2", "R2未报必报要素：事发地点。"))),
        IncidentAudit(b, (obligation(ObligationKind.INITIAL_PHONE, ok), obligation(ObligationKind.FINAL, overdue)),
                      (finding("2026-0002", FindingType.MISSING, None, "终报至今未见报送。", of=ObligationKind.FINAL),
                       finding("2026-0002", FindingType.FALSE, "R1", "R1所报死亡人数0（核实1）。"))),
        IncidentAudit(c, (obligation(ObligationKind.INITIAL_PHONE, late),),
                      (finding("2026-0003", FindingType.CONCEALED, "R1", "119已反映该事件，首次报告迟至8时30分。",
                               of=ObligationKind.INITIAL_PHONE),)),
        IncidentAudit(d, (obligation(ObligationKind.INITIAL_PHONE, late), obligation(ObligationKind.INITIAL_WRITTEN, late)),
                      (finding("2026-Y01", FindingType.LATE, "R1", "演练电话首报超时30分钟。",
                               of=ObligationKind.INITIAL_PHONE, drill=True),)),
    )
    return AuditResult(office=OFFICE, audit_at=at(31, 10), incidents=audits)


UNITS = {"2026-0001": "正阳社区", "2026-0002": "正阳社区", "2026-0003": "宝丰社区"}


def make_monthly_context() -> dict[str, object]:
    """A realistic monthly context over make_result()."""
    return monthly_timeliness_context(office=OFFICE, month="2026-03", result=make_result(), units=UNITS,
                                      document_number="正阳街通〔2026〕3号")


# --------------------------------------------------------------------------------------------------
# Reading documents back
# --------------------------------------------------------------------------------------------------


def all_text(doc: Document) -> str:
    """Every paragraph's and table cell's text, one per line."""
    lines = [p.text for p in doc.paragraphs]
    lines += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def parts_of(doc: Document) -> Iterator[Any]:
    """The body and every header and footer element of a document."""
    yield doc.element.body
    for section in doc.sections:
        for part in (section.header, section.even_page_header, section.footer, section.even_page_footer):
            if not part.is_linked_to_previous:
                yield part._element


def text_runs(doc: Document) -> list[Any]:
    """Every w:r holding text, in the body, tables, headers and footers."""
    return [r for element in parts_of(doc) for r in element.iter(qn("w:r"))
            if "".join(t.text or "" for t in r.iter(qn("w:t"))).strip()]


def east_asia(run: Any) -> str | None:
    """The w:eastAsia font a run names, or None."""
    fonts = run.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def paragraph_with(doc: Document, text: str) -> Any:
    """The body paragraph whose text is exactly *text*."""
    found = [p for p in doc.paragraphs if p.text == text]
    assert found, f"no paragraph reads {text!r}"
    return found[0]


def assert_runs_in(paragraph: Any, family: str, points: float) -> None:
    """Every text run of the paragraph is in *family* (ascii, hAnsi and eastAsia) at *points*."""
    runs = [r for r in paragraph.runs if r.text.strip()]
    assert runs
    for run in runs:
        fonts = run._r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        assert fonts is not None, f"{run.text!r} names no font"
        for attr in ("ascii", "hAnsi", "eastAsia"):
            assert fonts.get(qn(f"w:{attr}")) == family, f"{run.text!r}: w:{attr} is {fonts.get(qn(f'w:{attr}'))}"
        assert run.font.size == Pt(points), f"{run.text!r} is {run.font.size.pt if run.font.size else None} pt"


def render(tmp_path: Path, template: str, context: dict[str, object]) -> Document:
    """Render into tmp_path and re-open the file with python-docx."""
    out = render_document(template, context, tmp_path / f"{template}.docx")
    assert out == tmp_path / f"{template}.docx"
    return docx.Document(str(out))


def assert_official_layout(doc: Document) -> None:
    """GB/T 9704: A4; margins 37/35/28/26 mm; a "— PAGE —" footer; every text run names its East-Asian font."""
    section = doc.sections[0]
    for value, mm in ((section.page_width, 210), (section.page_height, 297), (section.top_margin, 37),
                      (section.bottom_margin, 35), (section.left_margin, 28), (section.right_margin, 26)):
        assert value is not None and abs(value.mm - mm) < 0.1, f"{value.mm if value else None} mm, expected {mm}"
    for footer in (section.footer, section.even_page_footer):
        xml = footer._element.xml
        instructions = "".join(t.text or "" for t in footer._element.iter(qn("w:instrText")))
        assert instructions.strip() == "PAGE"
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert footer.paragraphs[0].text == "— 1 —"
    runs = text_runs(doc)
    assert runs
    unnamed = ["".join(t.text or "" for t in r.iter(qn("w:t"))) for r in runs if not east_asia(r)]
    assert not unnamed, f"runs without w:eastAsia: {unnamed}"
    assert {east_asia(r) for r in runs} <= OFFICIAL_FONTS


# --------------------------------------------------------------------------------------------------
# Contexts
# --------------------------------------------------------------------------------------------------


class TestContexts:
    def test_numbers_dates_and_times_read_as_in_official_documents(self) -> None:
        """Ordinals, dates in Chinese capitals and Asia/Shanghai times are written the official way."""
        assert [chinese_number(n) for n in (1, 2, 10, 11, 20, 21, 99, 105, 110)] == [
            "一", "二", "十", "十一", "二十", "二十一", "九十九", "一百零五", "一百一十"]
        assert chinese_date(at(1, 8)) == "二〇二六年三月一日"
        assert chinese_date(datetime(2026, 12, 30, 17, tzinfo=UTC)) == "二〇二六年十二月三十一日"
        assert chinese_time(datetime(2026, 3, 1, 0, 10, tzinfo=UTC)) == "2026年3月1日8时10分"
        assert chinese_time(at(1, 8)) == "2026年3月1日8时"

    def test_titles_name_the_kind_and_number_follow_ups_in_chinese(self) -> None:
        """首报 and 终报 are plain; the n-th 续报 carries （n） in Chinese numerals; no 事件事件."""
        assert make_report_context(ReportKind.INITIAL)["title"] == "关于万福街餐馆燃气爆炸事件的信息首报"
        assert make_report_context(ReportKind.FOLLOW_UP, sequence=2)["title"] == "关于万福街餐馆燃气爆炸事件的信息续报（二）"
        assert make_report_context(ReportKind.FOLLOW_UP, sequence=12)["title"].endswith("续报（十二）")
        assert make_report_context(ReportKind.FINAL)["title"] == "关于万福街餐馆燃气爆炸事件的信息终报"
        assert make_report_context(ReportKind.FOLLOW_UP, sequence=0)["title"].endswith("的信息续报")
        titled = make_report_context(incident=make_incident(title="万福街餐馆燃气爆炸事件"))
        assert titled["title"] == "关于万福街餐馆燃气爆炸事件的信息首报"

    def test_report_context_is_localised_from_what_the_report_stated(self) -> None:
        """Stored JSON statements become Chinese text: times, grade, figures, dates."""
        ctx = make_report_context()
        assert ctx["occurred_at"] == "2026年3月1日8时10分"
        assert ctx["known_at"] == "2026年3月1日8时20分"
        assert ctx["figures_text"] == "死亡0人，失踪0人，重伤1人，受伤2人"
        assert ctx["severity"] == "一般（IV级）"
        assert ctx["category"] == "事故灾难"
        assert ctx["date_cn"] == "二〇二六年三月一日"
        assert ctx["printed_date"] == "2026年3月1日"
        assert ctx["closed_at"] == "2026年3月1日13时"

    def test_domain_values_are_accepted_as_well_as_stored_json(self) -> None:
        """A statement given as datetimes, Severity and Decimal reads the same as its stored JSON."""
        stated = {"occurred_at": at(1, 8, 10), "severity": Severity.III, "deaths": 3, "direct_loss_yuan": Decimal("125000")}
        ctx = make_report_context(stated=stated)
        assert ctx["occurred_at"] == "2026年3月1日8时10分"
        assert ctx["severity"] == "较大（III级）"
        assert ctx["figures_text"] == "死亡3人，失踪人数待核实，重伤人数待核实，受伤人数待核实，直接经济损失12.5万元"

    def test_what_the_report_did_not_state_is_never_filled_in_from_the_record(self) -> None:
        """An unstated or not-on-record field reads 待核实; the incident's own record does not leak in."""
        ctx = make_report_context(stated={"summary": "燃气爆炸", "location": "万福街87号", "not_on_record": ["location"]})
        assert ctx["location"] == "待核实"
        assert ctx["occurred_at"] == "待核实"
        assert ctx["figures_text"].startswith("死亡人数待核实")
        assert make_report_context(signer=None, signed_at=None)["signer"] == ""

    def test_a_time_without_offset_is_refused(self) -> None:
        """A stated time must carry its offset, as everywhere else."""
        with pytest.raises(InputError, match="occurred_at"):
            make_report_context(stated={"occurred_at": "2026-03-01T08:10:00"})

    def test_monthly_rates_per_unit_exclude_drills(self) -> None:
        """On-time = met on time / due; complete and accurate over reports on record; drills in no rate."""
        ctx = make_monthly_context()
        units = {row["unit"]: row for row in ctx["units"]}
        assert list(units) == ["正阳社区", "宝丰社区"]
        zy, bf = units["正阳社区"], units["宝丰社区"]
        # A: 4 due (1 open not counted), 3 on time; B: 2 due, 1 on time.
        assert (zy["obligations"], zy["on_time"], zy["on_time_rate"]) == (6, 4, "66.7%")
        # A's R9 was submitted after the audit; B's R2 has no content on record: 3 + 1 reports judged.
        assert (zy["reports"], zy["complete"], zy["complete_rate"]) == (4, 3, "75.0%")
        assert (zy["accurate"], zy["accurate_rate"]) == (3, "75.0%")
        assert (bf["obligations"], bf["on_time"], bf["on_time_rate"], bf["concealed"]) == (1, 0, "0.0%", 1)
        totals = ctx["totals"]
        assert totals == {**totals, "unit": "合计", "incidents": 3, "obligations": 7, "on_time": 4,
                          "on_time_rate": "57.1%", "reports": 5, "late": 1, "missing": 2, "false": 1, "concealed": 1}

    def test_monthly_lists_every_finding_with_label_and_evidence_and_drills_apart(self) -> None:
        """One row per real finding, numbered; the drill and its findings are listed separately."""
        ctx = make_monthly_context()
        rows = ctx["findings"]
        assert [(r["no"], r["unit"], r["incident"], r["type"]) for r in rows] == [
            (1, "正阳社区", "2026-0001", "迟报"), (2, "正阳社区", "2026-0001", "漏报"),
            (3, "正阳社区", "2026-0002", "漏报"), (4, "正阳社区", "2026-0002", "谎报"),
            (5, "宝丰社区", "2026-0003", "瞒报")]
        assert rows[0]["subject"] == "书面首报（R2）" and rows[0]["evidence"] == "书面首报超时18分钟。"
        assert rows[3]["subject"] == "R1"
        assert ctx["drills"] == [{"incident": "2026-Y01", "title": "内涝应急演练", "unit": OFFICE, "findings": 1}]
        assert [r["evidence"] for r in ctx["drill_findings"]] == ["演练电话首报超时30分钟。"]
        assert ctx["title"] == "关于2026年3月突发事件信息报送及时性考核情况的通报"
        assert ctx["date_cn"] == "二〇二六年三月三十一日"

    def test_rates_with_nothing_to_divide_by_read_as_a_dash(self) -> None:
        """No obligations due gives —, not a division error or 0 %."""
        assert format_rate(0, 0) == "—"
        assert format_rate(2, 3) == "66.7%"

    def test_a_bad_month_is_refused(self) -> None:
        """The month is YYYY-MM."""
        with pytest.raises(InputError, match="month"):
            monthly_timeliness_context(office=OFFICE, month="2026-13", result=make_result(), units={})


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


class TestRendering:
    @pytest.mark.parametrize("kind", list(REPORT_TEMPLATES))
    def test_reports_have_the_official_layout_and_content(self, tmp_path: Path, kind: ReportKind) -> None:
        """Title 方正小标宋简体 22 pt, body 仿宋_GB2312 16 pt, 版头 with 紧急程度/发文机关/签发人, date in Chinese."""
        ctx = make_report_context(kind)
        doc = render(tmp_path, REPORT_TEMPLATES[kind], ctx)
        assert_official_layout(doc)
        assert_runs_in(paragraph_with(doc, str(ctx["title"])), TITLE_FONT, 22)
        for text in (f"{ctx['figures_text']}。", str(ctx["summary"]), str(ctx["measures"]), "特此报告。"):
            assert_runs_in(paragraph_with(doc, text), BODY_FONT, 16)
        text = all_text(doc)
        assert "特急" in text  # 紧急程度
        assert OFFICE in text  # 发文机关
        number = paragraph_with(doc, "正阳街呈〔2026〕5号\t签发人：张伟")
        signer_run = next(r for r in number.runs if r.text == "张伟")
        assert east_asia(signer_run._r) == "楷体_GB2312"
        assert "二〇二六年三月一日" in text
        assert "绿园区应急管理局：" in text
        assert "门窗损毁 & 外墙<局部>受损" in text  # XML special characters survive
        assert "【演练】" not in text

    def test_follow_up_lists_each_change(self, tmp_path: Path) -> None:
        """续报: one paragraph per change; with none, a sentence says so."""
        doc = render(tmp_path, "report_follow_up", make_report_context(ReportKind.FOLLOW_UP))
        assert_runs_in(paragraph_with(doc, "重伤人数由1人增至2人。"), BODY_FONT, 16)
        paragraph_with(doc, "现场明火已于9时30分扑灭。")
        quiet = render(tmp_path, "report_follow_up", make_report_context(ReportKind.FOLLOW_UP, changes=[]))
        paragraph_with(quiet, "与上次报告相比，事件情况无新的变化。")

    def test_a_drill_carries_the_marker_line_and_the_watermark(self, tmp_path: Path) -> None:
        """drill=true adds the 演练 line and the header watermark; drill=false has neither."""
        doc = render(tmp_path, "report_initial", make_report_context(drill=True))
        marker = paragraph_with(doc, "【演练】本文件为应急演练文书，所述事件并非真实发生")
        assert_runs_in(marker, "黑体", 16)
        header = doc.sections[0].header._element.xml
        assert 'string="演 练"' in header
        plain = render(tmp_path, "report_initial", make_report_context(drill=False))
        assert "演 练" not in plain.sections[0].header._element.xml
        assert plain.sections[0].header.paragraphs  # the header still holds a paragraph, as Word requires

    def test_monthly_report_tables_have_a_row_per_unit_and_per_finding(self, tmp_path: Path) -> None:
        """Rates table: header, one row per unit, 合计; findings table: header, one row per finding; drills apart."""
        ctx = make_monthly_context()
        doc = render(tmp_path, "monthly_timeliness", ctx)
        assert_official_layout(doc)
        assert_runs_in(paragraph_with(doc, str(ctx["title"])), TITLE_FONT, 22)
        rates, found, drills = doc.tables
        assert [[c.text for c in row.cells] for row in rates.rows] == [
            ["单位", "事件数", "应报次数", "按时次数", "及时率", "报送份数", "完整率", "准确率"],
            ["正阳社区", "2", "6", "4", "66.7%", "4", "75.0%", "75.0%"],
            ["宝丰社区", "1", "1", "0", "0.0%", "1", "100.0%", "100.0%"],
            ["合计", "3", "7", "4", "57.1%", "5", "80.0%", "80.0%"],
        ]
        assert len(found.rows) == 1 + 5
        assert [c.text for c in found.rows[5].cells][:4] == ["5", "宝丰社区", "2026-0003 万福街商铺火灾", "瞒报：电话首报（R1）"]
        assert found.rows[5].cells[4].text == "119已反映该事件，首次报告迟至8时30分。"
        assert len(drills.rows) == 1 + 1 and drills.rows[1].cells[4].text == "演练电话首报超时30分钟。"
        text = all_text(doc)
        assert "正阳街通〔2026〕3号" in text and OFFICE in text and "二〇二六年三月三十一日" in text
        assert "2026年3月共有3起突发事件纳入考核" in text

    def test_monthly_report_without_findings_or_drills_says_so(self, tmp_path: Path) -> None:
        """No findings and no drills: no empty tables, a sentence each."""
        ctx = {**make_monthly_context(), "findings": [], "drills": [], "drill_findings": []}
        doc = render(tmp_path, "monthly_timeliness", ctx)
        assert len(doc.tables) == 1
        paragraph_with(doc, "本月未发现迟报、漏报、谎报、瞒报问题。")
        paragraph_with(doc, "本月未组织演练。")

    def test_each_template_takes_exactly_what_its_context_gives(self) -> None:
        """Contract: every variable a template uses is a key of its context function's result."""
        contexts = {name: make_report_context(kind) for kind, name in REPORT_TEMPLATES.items()}
        contexts["monthly_timeliness"] = make_monthly_context()
        for name in ALL_TEMPLATES:
            assert template_variables(name) <= set(contexts[name]), name

    def test_a_missing_variable_names_template_and_variable_and_writes_nothing(self, tmp_path: Path) -> None:
        """Checked before rendering: TemplateError(template, variable), no file and no temporary left."""
        ctx = make_report_context()
        del ctx["signer"]
        out = tmp_path / "out" / "r.docx"
        with pytest.raises(TemplateError) as caught:
            render_document("report_initial.docx", ctx, out)
        assert str(caught.value) == "template report_initial.docx: variable signer is missing from the context"
        assert (caught.value.template, caught.value.variable) == ("report_initial.docx", "signer")
        assert not out.exists()
        assert not any(tmp_path.rglob("*.docx*"))

    def test_several_missing_variables_are_all_named(self, tmp_path: Path) -> None:
        """The first missing variable leads the message and the others follow."""
        with pytest.raises(TemplateError, match=r"variable category is missing .*also missing: changes, .*urgency\)$"):
            render_document("report_final", {"office": OFFICE}, tmp_path / "r.docx")

    def test_a_missing_attribute_inside_a_loop_is_a_template_error_too(self, tmp_path: Path) -> None:
        """StrictUndefined: a row without `unit` fails with the attribute's name, and nothing is written."""
        ctx = make_monthly_context()
        ctx["units"] = [{"incidents": 1}]
        out = tmp_path / "m.docx"
        with pytest.raises(TemplateError, match=r"template monthly_timeliness\.docx: variable unit is missing"):
            render_document("monthly_timeliness", ctx, out)
        assert not out.exists()

    def test_an_existing_file_is_replaced_whole(self, tmp_path: Path) -> None:
        """Rendering over an earlier document replaces it (atomically) and leaves no temporary file."""
        out = tmp_path / "r.docx"
        out.write_bytes(b"old")
        render_document("report_initial", make_report_context(), out)
        assert docx.Document(str(out)).paragraphs
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r.docx"]

    def test_an_unknown_template_is_named(self, tmp_path: Path) -> None:
        """A template file that does not exist is a TemplateError naming it."""
        with pytest.raises(TemplateError, match=r"template nonexistent\.docx: not found"):
            render_document("nonexistent", {}, tmp_path / "x.docx")

    def test_only_documents_py_imports_docx_libraries(self) -> None:
        """emergency.reporting.documents is the one module importing docxtpl or python-docx."""
        importers = []
        for path in (ROOT / "emergency").rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                if any(n == m or n.startswith(m + ".") for n in names for m in ("docx", "docxtpl")):
                    importers.append(path.relative_to(ROOT).as_posix())
        assert sorted(set(importers)) == ["emergency/reporting/documents.py"]


# --------------------------------------------------------------------------------------------------
# The template builder
# --------------------------------------------------------------------------------------------------


def load_builder(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import templates/build_templates.py (a script, not a package module) for the length of one test."""
    spec = importlib.util.spec_from_file_location("build_templates", DEFAULT_TEMPLATES / "build_templates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_the_builder_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builds give byte-identical .docx files, one per template."""
    builder = load_builder(monkeypatch)
    first = {p.name: p.read_bytes() for p in builder.build(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in builder.build(tmp_path / "b")}
    assert sorted(first) == sorted(builder.TEMPLATES)
    assert {f"{name}.docx" for name in ALL_TEMPLATES} <= set(first)
    assert first == second


# --------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------


@pytest.mark.skipif(documents.find_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_pdf_through_libreoffice_prints_chinese_in_cjk_fonts(tmp_path: Path) -> None:
    """The PDF is made, holds the title as text, and embeds CJK fonts for the official ones (no boxes)."""
    ctx = make_report_context(drill=True)
    source = render_document("report_initial", ctx, tmp_path / "r.docx")
    pdf = convert_to_pdf(source, tmp_path / "pdf")
    assert pdf == tmp_path / "pdf" / "r.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "CJK" in fonts, fonts
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "万福街餐馆燃气爆炸" in text.replace(" ", "")
        assert "二〇二六年三月一日" in text.replace(" ", "")


def test_pdf_without_libreoffice_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No soffice on PATH: an EmergencyError that says what to install, and no PDF."""
    monkeypatch.setattr(documents, "find_soffice", lambda: None)
    source = render_document("report_initial", make_report_context(), tmp_path / "r.docx")
    with pytest.raises(EmergencyError, match=r"LibreOffice is not installed.*libreoffice-writer-nogui"):
        convert_to_pdf(source, tmp_path)
    assert not list(tmp_path.glob("*.pdf"))


def test_fontconfig_maps_only_missing_official_fonts() -> None:
    """An installed official font is left alone; a missing one goes to the first installed fallback, the title bold."""
    conf = documents.fontconfig_file({"仿宋_GB2312", "Noto Serif CJK SC", "Noto Sans CJK SC"})
    assert "<string>仿宋_GB2312</string>" not in conf
    title_rule = next(line for line in conf.splitlines() if "方正小标宋简体" in line)
    assert "Noto Serif CJK SC" in title_rule and "<const>bold</const>" in title_rule
    hei_rule = next(line for line in conf.splitlines() if "<string>黑体</string>" in line)
    assert "Noto Sans CJK SC" in hei_rule and "bold" not in hei_rule
    with_song = documents.fontconfig_file({"宋体", "Noto Serif CJK SC"})
    song_rule = next(line for line in with_song.splitlines() if "方正小标宋简体" in line)
    assert "<string>宋体</string>" in song_rule and "<const>bold</const>" in song_rule
