"""The 隐患排查治理台账 as a document context (.docx, localised text) and as typed sheets (.xlsx)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from emergency.clock import to_local
from emergency.domain.enums import HazardGrade, HazardStatus, InspectionResult
from emergency.domain.ledgers import (
    AGE_BANDS,
    GRADES,
    AgeLine,
    CommunityLine,
    InspectionFact,
    Ledger,
    RectificationLine,
    completion_of,
    month_window,
)
from emergency.labels import (
    AGE_BAND_LABELS,
    COMPLETION_LABELS,
    HAZARD_GRADE_SHORT_LABELS,
    HAZARD_STATUS_LABELS,
    INSPECTION_REASON_ROUTINE,
    INSPECTION_RESULT_LABELS,
    SUPERVISION_LABELS,
)
from emergency.reporting.contexts import (
    MONTHLY_RECIPIENT,
    NO_RATE,
    TOTAL_ROW,
    arabic_date,
    chinese_date,
    chinese_time,
)
from emergency.reporting.workbooks import DATE, DAYS, INTEGER, RATE, TIME, Column, Sheet, Value

YES, NO = "是", "否"
OVERDUE_MARK = "逾期"


def rate_text(rate: float | None) -> str:
    """Return a rate in [0, 1] as 93.8%, or — when there was nothing to divide by."""
    return NO_RATE if rate is None else f"{rate * 100:.1f}%"


def days_text(days: float | None) -> str:
    """Return a number of days with one decimal, or —."""
    return NO_RATE if days is None else f"{days:.1f}"


def day_text(at: datetime | None) -> str:
    """Return the local day of an instant as 2026-11-03, or —."""
    return NO_RATE if at is None else f"{to_local(at):%Y-%m-%d}"


def deadline_text(at: datetime) -> str:
    """Return a deadline's last day: one at local midnight is the end of the day before (2026-11-30 24:00)."""
    local = to_local(at)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        local -= timedelta(days=1)
    return f"{local:%Y-%m-%d}"


def month_text(month: str) -> str:
    """Return 'YYYY-MM' as 2026年11月."""
    start, _ = month_window(month)
    return f"{start.year}年{start.month}月"


def cut_text(ledger: Ledger) -> str:
    """Return the cut-off as officials write it: 2026年11月30日24时 at a month's end, else the time itself."""
    if ledger.complete:
        last = to_local(ledger.end).date().toordinal() - 1
        return f"{arabic_date(date.fromordinal(last))}24时"
    return chinese_time(ledger.cut)


def _state_text(state: HazardStatus, overdue: bool) -> str:
    label = HAZARD_STATUS_LABELS[state]
    return f"{label}（{OVERDUE_MARK}）" if overdue else label


def _grade(grade: HazardGrade) -> str:
    """Return 一般 or 重大: a table column headed 等级 says no more."""
    return HAZARD_GRADE_SHORT_LABELS[grade].removesuffix("隐患")


def _community_row(line: CommunityLine, name: str) -> dict[str, object]:
    t = line.inspections
    return {"unit": name, "due": t.due, "settled": t.settled, "on_time": t.on_time, "late": t.late,
            "missing": t.missing, "pending": t.pending, "on_time_rate": rate_text(t.on_time_rate),
            "done_rate": rate_text(t.done_rate), "found": line.found, "closed": line.closed, "open": line.open}


def _age_row(line: AgeLine) -> dict[str, object]:
    return {"band": AGE_BAND_LABELS[line.band.key],
            "general": line.counts[HazardGrade.GENERAL], "general_overdue": line.overdue[HazardGrade.GENERAL],
            "major": line.counts[HazardGrade.MAJOR], "major_overdue": line.overdue[HazardGrade.MAJOR],
            "total": line.total, "total_overdue": line.total_overdue}


def _rectification_row(line: RectificationLine) -> dict[str, object]:
    return {"grade": HAZARD_GRADE_SHORT_LABELS[line.grade] if line.grade is not None else TOTAL_ROW,
            "count": line.count, "median": days_text(line.median_days), "max": days_text(line.max_days)}


def inspection_ledger_context(ledger: Ledger, *, office: str, made_at: datetime, document_number: str = "",
                              recipient: str = MONTHLY_RECIPIENT) -> dict[str, object]:
    """Return the context of the 隐患排查治理台账 document (templates/inspection_ledger.docx)."""
    month = month_text(ledger.month)
    age_totals: dict[str, object] = {"band": TOTAL_ROW}
    for grade, key in ((HazardGrade.GENERAL, "general"), (HazardGrade.MAJOR, "major")):
        age_totals[key] = sum(line.counts[grade] for line in ledger.ages)
        age_totals[f"{key}_overdue"] = sum(line.overdue[grade] for line in ledger.ages)
    age_totals["total"] = sum(line.total for line in ledger.ages)
    age_totals["total_overdue"] = sum(line.total_overdue for line in ledger.ages)
    open_rows = [{"no": n, "number": o.hazard.number, "community": o.hazard.community,
                  "description": o.hazard.description, "grade": _grade(o.hazard.grade),
                  "found": day_text(o.hazard.found_at), "deadline": deadline_text(o.hazard.deadline), "age": o.age_days,
                  "band": AGE_BAND_LABELS[o.band.key], "overdue": f"{OVERDUE_MARK}{o.overdue_days}天" if o.overdue else "",
                  "state": HAZARD_STATUS_LABELS[o.state] + (f"（{OVERDUE_MARK}{o.overdue_days}天）" if o.overdue else "")}
                 for n, o in enumerate(ledger.open_hazards, start=1)]
    closed_rows = [{"no": n, "number": c.hazard.number, "community": c.hazard.community,
                    "description": c.hazard.description, "grade": _grade(c.hazard.grade),
                    "found": day_text(c.hazard.found_at), "closed": day_text(c.hazard.closed_at),
                    "days": days_text(c.days)}
                   for n, c in enumerate(ledger.closed, start=1)]
    major_rows = [{"no": n, "number": m.hazard.number, "community": m.hazard.community,
                   "description": m.hazard.description, "found": day_text(m.hazard.found_at),
                   "reported": day_text(_by(m.hazard.reported_to_district_at, ledger.cut)),
                   "deadline": deadline_text(m.hazard.deadline), "supervision": SUPERVISION_LABELS[m.supervision],
                   "state": _state_text(m.state, m.overdue)}
                  for n, m in enumerate(ledger.majors, start=1)]
    return {
        "office": office,
        "recipient": recipient,
        "document_number": document_number,
        "month": ledger.month,
        "month_text": month,
        "title": f"{month}隐患排查治理台账",
        "cut_text": cut_text(ledger),
        "complete": ledger.complete,
        "communities": [_community_row(line, line.community) for line in ledger.communities],
        "totals": _community_row(ledger.total, TOTAL_ROW),
        "found_general": ledger.found[HazardGrade.GENERAL],
        "found_major": ledger.found[HazardGrade.MAJOR],
        "open_overdue": sum(1 for o in ledger.open_hazards if o.overdue),
        "ages": [_age_row(line) for line in ledger.ages],
        "age_totals": age_totals,
        "open_hazards": open_rows,
        "rectification": [_rectification_row(line) for line in ledger.rectification],
        "closed": closed_rows,
        "majors": major_rows,
        "drill_hazards": ledger.drill_hazards,
        "date_cn": chinese_date(made_at),
        "printed_date": arabic_date(made_at),
    }


# ---------------------------------------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------------------------------------


COMMUNITY_COLUMNS = (
    Column("社区", 16), Column("应检次数", 10, INTEGER), Column("已到期", 10, INTEGER), Column("按时完成", 10, INTEGER),
    Column("逾期完成", 10, INTEGER), Column("未完成", 10, INTEGER), Column("未到期", 10, INTEGER),
    Column("按时完成率", 12, RATE), Column("完成率", 10, RATE), Column("本月发现隐患", 13, INTEGER),
    Column("本月销号", 10, INTEGER), Column("未销号隐患", 12, INTEGER),
)
INSPECTION_COLUMNS = (
    Column("社区", 14), Column("网格", 18), Column("风险点编号", 14), Column("风险点名称", 28), Column("排查类别", 14),
    Column("排查责任人", 12), Column("应完成日期", 12, DATE), Column("应完成时限", 17, TIME),
    Column("完成时间", 17, TIME), Column("检查人", 10), Column("完成情况", 10), Column("检查结果", 12),
)
OPEN_COLUMNS = (
    Column("隐患编号", 16), Column("社区", 14), Column("隐患描述", 40), Column("位置", 24), Column("隐患等级", 10),
    Column("状态", 12), Column("发现时间", 17, TIME), Column("整改期限", 17, TIME), Column("已历天数", 10, INTEGER),
    Column("时长分段", 12), Column("是否逾期", 10), Column("逾期天数", 10, INTEGER), Column("责任单位", 24),
    Column("整改责任人", 12),
)
AGE_COLUMNS = (
    Column("时长", 14), Column("一般隐患", 10, INTEGER), Column("其中逾期", 10, INTEGER), Column("重大隐患", 10, INTEGER),
    Column("其中逾期", 10, INTEGER), Column("合计", 10, INTEGER), Column("其中逾期", 10, INTEGER),
)
RECTIFICATION_COLUMNS = (
    Column("隐患等级", 12), Column("本月销号", 10, INTEGER), Column("整改用时中位数（天）", 20, DAYS),
    Column("整改用时最长（天）", 18, DAYS),
)
CLOSED_COLUMNS = (
    Column("隐患编号", 16), Column("社区", 14), Column("隐患描述", 40), Column("隐患等级", 10), Column("发现时间", 17, TIME),
    Column("销号时间", 17, TIME), Column("整改用时（天）", 14, DAYS), Column("复查验收人", 12), Column("责任单位", 24),
)
MAJOR_COLUMNS = (
    Column("隐患编号", 16), Column("社区", 14), Column("隐患描述", 40), Column("位置", 24), Column("发现时间", 17, TIME),
    Column("报告区政府时间", 17, TIME), Column("整改期限", 17, TIME), Column("督办状态", 14), Column("整改状态", 12),
    Column("是否逾期", 10), Column("责任单位", 24), Column("整改责任人", 12),
)


def _rate(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 6)


def _community_cells(line: CommunityLine, name: str) -> list[Value]:
    t = line.inspections
    return [name, t.due, t.settled, t.on_time, t.late, t.missing, t.pending, _rate(t.on_time_rate),
            _rate(t.done_rate), line.found, line.closed, line.open]


def _reason(reason: str, names: Mapping[str, str]) -> str:
    if reason in ("", "routine"):
        return INSPECTION_REASON_ROUTINE
    return names.get(reason) or names.get(reason.removeprefix("campaign:").split(":")[0]) or reason


def _result(result: str | None) -> str:
    if result is None:
        return ""
    try:
        return INSPECTION_RESULT_LABELS[InspectionResult(result)]
    except ValueError:
        return result


def _by(at: datetime | None, cut: datetime) -> datetime | None:
    """Return *at* if it happened by the cut-off, else None (a ledger of a past month shows no later step)."""
    return at if at is not None and at <= cut else None


def inspection_ledger_sheets(ledger: Ledger, inspections: Sequence[InspectionFact],
                             names: Mapping[str, str] | None = None) -> list[Sheet]:
    """Return the ledger's tables as sheets: communities, every inspection, open hazards, ages, times, closed, 重大."""
    names = names or {}
    cut = ledger.cut
    ordered = sorted(inspections, key=lambda f: (f.community, f.grid, f.due_at, f.source_code))
    inspection_rows: list[list[Value]] = []
    for f in ordered:
        done = _by(f.done_at, cut)
        inspection_rows.append([f.community, f.grid, f.source_code, f.source_name, _reason(f.reason, names),
                                f.assigned_to, f.due_on, f.due_at, done, f.done_by if done else "",
                                COMPLETION_LABELS[completion_of(f.due_at, f.done_at, cut)],
                                _result(f.result) if done else ""])
    open_rows: list[list[Value]] = [
        [o.hazard.number, o.hazard.community, o.hazard.description, o.hazard.location,
         HAZARD_GRADE_SHORT_LABELS[o.hazard.grade], HAZARD_STATUS_LABELS[o.state], o.hazard.found_at,
         o.hazard.deadline, o.age_days, AGE_BAND_LABELS[o.band.key], YES if o.overdue else NO, o.overdue_days,
         o.hazard.owner_unit, o.hazard.responsible_person]
        for o in ledger.open_hazards]
    age_rows: list[list[Value]] = [
        [AGE_BAND_LABELS[line.band.key], line.counts[HazardGrade.GENERAL], line.overdue[HazardGrade.GENERAL],
         line.counts[HazardGrade.MAJOR], line.overdue[HazardGrade.MAJOR], line.total, line.total_overdue]
        for line in ledger.ages]
    age_total: list[Value] = [TOTAL_ROW]
    for grade in GRADES:
        age_total += [sum(line.counts[grade] for line in ledger.ages), sum(line.overdue[grade] for line in ledger.ages)]
    age_total += [sum(line.total for line in ledger.ages), sum(line.total_overdue for line in ledger.ages)]
    *by_grade, everything = ledger.rectification
    rectification_rows: list[list[Value]] = [
        [HAZARD_GRADE_SHORT_LABELS[line.grade] if line.grade else TOTAL_ROW, line.count, line.median_days,
         line.max_days] for line in by_grade]
    closed_rows: list[list[Value]] = [
        [c.hazard.number, c.hazard.community, c.hazard.description, HAZARD_GRADE_SHORT_LABELS[c.hazard.grade],
         c.hazard.found_at, c.hazard.closed_at, round(c.days, 2), c.hazard.verified_by, c.hazard.owner_unit]
        for c in ledger.closed]
    major_rows: list[list[Value]] = [
        [m.hazard.number, m.hazard.community, m.hazard.description, m.hazard.location, m.hazard.found_at,
         _by(m.hazard.reported_to_district_at, cut), m.hazard.deadline,
         SUPERVISION_LABELS[m.supervision], HAZARD_STATUS_LABELS[m.state], YES if m.overdue else NO,
         m.hazard.owner_unit, m.hazard.responsible_person]
        for m in ledger.majors]
    assert len(AGE_BANDS) == len(age_rows) and len(GRADES) == len(by_grade)
    return [
        Sheet("各社区排查完成情况", COMMUNITY_COLUMNS,
              [_community_cells(line, line.community) for line in ledger.communities],
              totals=_community_cells(ledger.total, TOTAL_ROW)),
        Sheet("排查任务明细", INSPECTION_COLUMNS, inspection_rows),
        Sheet("未销号隐患", OPEN_COLUMNS, open_rows),
        Sheet("未销号隐患时长分布", AGE_COLUMNS, age_rows, totals=age_total),
        Sheet("整改用时", RECTIFICATION_COLUMNS, rectification_rows,
              totals=[TOTAL_ROW, everything.count, everything.median_days, everything.max_days]),
        Sheet("本月销号隐患", CLOSED_COLUMNS, closed_rows),
        Sheet("重大隐患挂牌督办", MAJOR_COLUMNS, major_rows),
    ]
