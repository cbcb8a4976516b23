"""The 应急准备情况报告 as a document context (templates/readiness_report.docx): localised text and numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from emergency.clock import to_local
from emergency.domain.enums import (
    DrillKind,
    DrillStatus,
    HazardGrade,
    PlanKind,
    PlanReviewReason,
    SupportKind,
    WarningLevel,
)
from emergency.domain.readiness import DrillDue, DueState, Period, PeriodKind, PlanLine, Readiness, cut_day
from emergency.domain.supplies import format_quantity
from emergency.labels import (
    DRILL_KIND_LABELS,
    DRILL_STATUS_LABELS,
    HAZARD_GRADE_SHORT_LABELS,
    PLAN_KIND_LABELS,
    PLAN_REVIEW_REASON_LABELS,
    READINESS_DUE_STATES,
    READINESS_ISSUES,
    READINESS_QUARTERS,
    READINESS_TITLE,
    SUPPORT_KIND_LABELS,
    WARNING_LEVEL_LABELS,
)
from emergency.reporting.contexts import NO_RATE, TOTAL_ROW, arabic_date, chinese_date, format_rate


def period_text(period: Period) -> str:
    """Return the period as the report names it: 2026年第四季度, 2026年, or 2026年10月1日至2026年12月31日."""
    if period.kind is PeriodKind.QUARTER:
        return f"{period.first.year}年{READINESS_QUARTERS[(period.first.month - 1) // 3]}"
    if period.kind is PeriodKind.YEAR:
        return f"{period.first.year}年"
    return f"{arabic_date(period.first)}至{arabic_date(period.last)}"


def cut_text(cut: datetime) -> str:
    """Return the cut-off as officials write it: the end of a day is 2026年12月31日24时."""
    local = to_local(cut)
    if local.hour == local.minute == local.second == local.microsecond == 0:
        return f"{arabic_date(cut_day(cut))}24时"
    return f"{arabic_date(local.date())}{local.hour}时" + (f"{local.minute}分" if local.minute else "")


def _day(day: date | None) -> str:
    return NO_RATE if day is None else f"{day:%Y-%m-%d}"


def _state(state: DueState, days: int, reason: str = "") -> str:
    return READINESS_DUE_STATES[state.value].format(days=abs(days), reason=reason)


def _reason(line: PlanLine) -> str:
    try:
        return PLAN_REVIEW_REASON_LABELS[PlanReviewReason(line.review_reason)]
    except ValueError:
        return line.review_reason


def _plan_row(n: int, line: PlanLine) -> dict[str, object]:
    return {"no": n, "name": line.name, "kind": _label(PLAN_KIND_LABELS, PlanKind, line.kind),
            "version": line.version, "effective": _day(line.effective_from), "review_due": _day(line.review_due),
            "state": _state(line.state, line.days_left, _reason(line))}


def _drill_due_row(line: DrillDue) -> dict[str, object]:
    return {"name": line.name, "cycle": f"每{line.every_months}个月", "last": _day(line.last_held),
            "due": _day(line.due_on), "state": _state(line.state, line.days_left)}


def _label(labels: Any, enum: Any, value: str) -> str:
    try:
        return str(labels[enum(value)])
    except ValueError:
        return value


def _q(value: Decimal) -> str:
    return format_quantity(value)


def _local_day(at: datetime | None) -> str:
    return NO_RATE if at is None else f"{to_local(at):%Y-%m-%d}"


def _issues(r: Readiness) -> list[str]:
    """Return what needs doing, one sentence each: reviews, drills, supplies, hazards, reporting, support."""
    found: list[str] = []
    for line in r.plans:
        if line.state is DueState.OVERDUE:
            found.append(READINESS_ISSUES["plan_overdue"].format(name=line.name, version=line.version,
                                                                 due=_day(line.review_due)))
        elif line.state is DueState.FLAGGED:
            found.append(READINESS_ISSUES["plan_flagged"].format(name=line.name, version=line.version,
                                                                 reason=_reason(line), note=line.review_note or "—"))
    for due in r.drills.due:
        if due.state is DueState.OVERDUE:
            found.append(READINESS_ISSUES["drill_overdue"].format(name=due.name, due=_day(due.due_on)))
    for drill in r.drills.missed:
        found.append(READINESS_ISSUES["drill_missed"].format(
            number=drill.number, title=drill.title, day=_local_day(drill.scheduled_for),
            state=_label(DRILL_STATUS_LABELS, DrillStatus, drill.status) if drill.status == "cancelled" else "未举行"))
    if r.supplies.shortfalls:
        found.append(READINESS_ISSUES["supplies_short"].format(count=len(r.supplies.shortfalls)))
    expired = sum(1 for batch in r.supplies.batches if batch.expired)
    if expired:
        found.append(READINESS_ISSUES["supplies_expired"].format(count=expired))
    if r.hazards.overdue.total:
        found.append(READINESS_ISSUES["hazards_overdue"].format(count=r.hazards.overdue.total,
                                                                major=r.hazards.overdue.major))
    s = r.reporting
    if s.late or s.missing or s.false or s.concealed:
        found.append(READINESS_ISSUES["reporting"].format(late=s.late, missing=s.missing, false=s.false,
                                                          concealed=s.concealed))
    if r.support.unanswered_overdue:
        found.append(READINESS_ISSUES["support_overdue"].format(count=r.support.unanswered_overdue))
    return found


def readiness_context(r: Readiness, *, office: str, recipient: str, made_at: datetime,
                      document_number: str = "") -> dict[str, object]:
    """Return the context of the 应急准备情况报告 of *r* for *recipient*, made on *made_at*."""
    period = period_text(r.period)
    plans, drills, supplies, hazards, warnings, support, s = (r.plans, r.drills, r.supplies, r.hazards, r.warnings,
                                                              r.support, r.reporting)
    near = [b for b in supplies.batches if not b.expired]
    plan_counts = {"count": len(plans), "general": sum(1 for p in plans if p.kind == PlanKind.GENERAL.value),
                   "special": sum(1 for p in plans if p.kind != PlanKind.GENERAL.value), "due": len(r.plans_due),
                   "overdue": sum(1 for p in plans if p.state is DueState.OVERDUE)}
    drill_counts = {"held": len(drills.held), "tabletop": drills.held_of(DrillKind.TABLETOP.value),
                    "field": drills.held_of(DrillKind.FIELD.value), "problems": drills.problems,
                    "missed": len(drills.missed), "upcoming": len(drills.upcoming), "due": len(r.drills_due),
                    "overdue": sum(1 for d in drills.due if d.state is DueState.OVERDUE)}
    supply_counts = {"kinds": supplies.items, "short": len(supplies.shortfalls), "store_short": supplies.store_shortfalls,
                     "near": len(near), "expired": len(supplies.batches) - len(near),
                     "window": supplies.near_expiry_days}
    hazard_rows = [{"grade": HAZARD_GRADE_SHORT_LABELS[grade], "found": getattr(hazards.found, grade.value),
                    "closed": getattr(hazards.closed, grade.value), "open": getattr(hazards.open, grade.value),
                    "overdue": getattr(hazards.overdue, grade.value)} for grade in HazardGrade]
    hazard_total = {"grade": TOTAL_ROW, "found": hazards.found.total, "closed": hazards.closed.total,
                    "open": hazards.open.total, "overdue": hazards.overdue.total}
    warning_counts = {"issued": warnings.issued, "no_level": warnings.no_level, "recipients": warnings.recipients,
                      "received": warnings.received, "acknowledged": warnings.acknowledged,
                      "in_time": warnings.acknowledged_in_time,
                      "received_rate": format_rate(warnings.received, warnings.recipients),
                      "ack_rate": format_rate(warnings.acknowledged, warnings.recipients),
                      "levels": "、".join(f"{WARNING_LEVEL_LABELS[WarningLevel(level)]}{warnings.by_level[level]}条"
                                         for level in ("red", "orange", "yellow", "blue"))}
    reporting = {"incidents": s.incidents, "obligations": s.obligations, "on_time": s.on_time, "late": s.late,
                 "missing": s.missing, "false": s.false, "concealed": s.concealed,
                 "on_time_rate": format_rate(s.on_time, s.obligations)}
    support_counts = {"requested": support.requested, "answered": support.answered,
                      "in_time": support.answered_in_time, "refused": support.refused,
                      "overdue": support.unanswered_overdue, "waiting": support.waiting,
                      "kinds": "、".join(f"{SUPPORT_KIND_LABELS[kind]}{support.by_kind[kind.value]}件"
                                        for kind in SupportKind)}
    key_figures = [
        ("在用应急预案（件）", plan_counts["count"]),
        ("需评估修订的预案（件）", plan_counts["due"]),
        ("举行应急演练（次）", drill_counts["held"]),
        ("演练发现问题（个）", drill_counts["problems"]),
        ("逾期未演练的预案（件）", drill_counts["overdue"]),
        ("低于最低储备的物资（种）", supply_counts["short"]),
        ("近效期、已过期物资（批）", f"{supply_counts['near']}、{supply_counts['expired']}"),
        ("本期发现隐患（项）", hazards.found.total),
        ("期末未销号隐患（项）", hazards.open.total),
        ("其中逾期未整改（项）", hazards.overdue.total),
        ("接收、发布预警（条）", warnings.issued),
        ("预警转发到位率", warning_counts["received_rate"]),
        ("预警签收率", warning_counts["ack_rate"]),
        ("到期应报送信息（次）", s.obligations),
        ("信息报送及时率", reporting["on_time_rate"]),
        ("迟报、漏报、谎报、瞒报（次）", f"{s.late}、{s.missing}、{s.false}、{s.concealed}"),
        ("向区政府请示支援（件）", support.requested),
        ("超时未答复的请示（件）", support.unanswered_overdue),
    ]
    return {
        "office": office,
        "document_number": document_number,
        "recipient": recipient,
        "title": READINESS_TITLE.format(period=period),
        "period_text": period,
        "cut_text": cut_text(r.cut),
        "key_figures": [{"no": n, "item": item, "value": str(value)} for n, (item, value) in enumerate(key_figures, 1)],
        "plans": plan_counts,
        "plan_rows": [_plan_row(n, line) for n, line in enumerate(plans, start=1)],
        "drills": drill_counts,
        "held_rows": [{"no": n, "number": d.number, "title": d.title,
                       "kind": _label(DRILL_KIND_LABELS, DrillKind, d.kind), "day": _local_day(d.held_at),
                       "problems": d.problems, "plan": d.plan_slug} for n, d in enumerate(drills.held, start=1)],
        "drill_due_rows": [_drill_due_row(d) for d in drills.due],
        "supplies": supply_counts,
        "short_rows": [{"no": n, "name": i.name, "unit": i.unit, "on_hand": _q(i.on_hand), "minimum": _q(i.minimum),
                        "shortfall": _q(i.shortfall)} for n, i in enumerate(supplies.shortfalls, start=1)],
        "expiry_rows": [{"no": n, "store": b.store, "name": b.name, "batch": b.batch,
                         "quantity": f"{_q(b.quantity)}{b.unit}", "expires": _day(b.expires_on),
                         "state": "已过期" if b.expired else "近效期"}
                        for n, b in enumerate(supplies.batches, start=1)],
        "hazards": hazard_total,
        "hazard_rows": hazard_rows,
        "hazard_drills": hazards.drill_left_out,
        "warnings": warning_counts,
        "reporting": reporting,
        "support": support_counts,
        "issues": _issues(r),
        "date_cn": chinese_date(made_at),
        "printed_date": arabic_date(made_at),
    }

