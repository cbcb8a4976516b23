"""Plain-dict contexts for the document templates, already localised (Chinese text, Asia/Shanghai times)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from emergency.clock import to_local
from emergency.domain.audits import AuditResult, Finding
from emergency.domain.enums import FindingType, ObligationStatus, ReportKind, Severity
from emergency.domain.incidents import Incident
from emergency.errors import InputError
from emergency.labels import (
    CATEGORY_LABELS,
    FINDING_LABELS,
    OBLIGATION_LABELS,
    REPORT_KIND_LABELS,
    SEVERITY_LABELS,
)

DIGITS = "〇一二三四五六七八九"
UNITS = ("", "十", "百", "千")
UNKNOWN = "待核实"
"""What a document says where the report stated nothing."""
BLANK_DATE = "　　年　月　日"
"""A date left for the signer to write in by hand."""
NO_RATE = "—"
"""A rate with nothing to divide by."""
TOTAL_ROW = "合计"
MONTHLY_RECIPIENT = "各社区居委会，街道各有关科室"
"""Who a monthly 通报 goes to unless the caller says otherwise."""

# The order a report's casualty figures are read out in; 被困 and the loss appear only when stated.
_ALWAYS_STATED = ("deaths", "missing", "serious_injuries", "injuries")
_FIGURE_WORDS = {"deaths": "死亡", "missing": "失踪", "trapped": "被困", "serious_injuries": "重伤", "injuries": "受伤"}
_FIGURE_ORDER = ("deaths", "missing", "trapped", "serious_injuries", "injuries")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def chinese_number(n: int) -> str:
    """Return *n* (0–9999) in Chinese numerals: 2 → 二, 10 → 十, 21 → 二十一, 105 → 一百零五."""
    if not 0 <= n <= 9999:
        raise ValueError(f"chinese_number takes 0..9999, got {n}")
    if n < 10:
        return DIGITS[n]
    if n < 20:  # 十, 十一 … 十九: the leading 一 is not said
        return "十" + (DIGITS[n - 10] if n > 10 else "")
    text, pending_zero = "", False
    for power in range(3, -1, -1):
        digit = n // 10**power % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += DIGITS[digit] + UNITS[power]
    return text


def chinese_date(day: date | datetime) -> str:
    """Return a date in Chinese capitals, e.g. 二〇二六年三月一日 (a datetime is taken in Asia/Shanghai)."""
    if isinstance(day, datetime):
        day = to_local(day).date()
    year = "".join(DIGITS[int(c)] for c in f"{day.year:04d}")
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


def arabic_date(day: date | datetime) -> str:
    """Return a date as 2026年3月1日 (a datetime is taken in Asia/Shanghai)."""
    if isinstance(day, datetime):
        day = to_local(day).date()
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_time(at: datetime) -> str:
    """Return an instant as 2026年3月1日8时10分 in Asia/Shanghai (whole hours as 8时)."""
    local = to_local(at)
    text = f"{local.year}年{local.month}月{local.day}日{local.hour}时"
    return text + (f"{local.minute}分" if local.minute else "")


def format_rate(part: int, whole: int) -> str:
    """Return part/whole as a percentage with one decimal, or — when there is nothing to divide by."""
    if whole <= 0:
        return NO_RATE
    return f"{Decimal(part * 100) / Decimal(whole):.1f}%"


def _aware(name: str, value: object) -> datetime:
    """Return a stated time as an aware datetime (stored statements hold ISO 8601 text with the offset)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InputError("stated", name, f"not an ISO 8601 time: {value!r}") from None
    else:
        raise InputError("stated", name, f"expected a time, got {type(value).__name__}")
    if parsed.tzinfo is None:
        raise InputError("stated", name, "a time needs its UTC offset")
    return parsed


def _number(name: str, value: object) -> Decimal:
    """Return a stated figure as a Decimal (stored statements hold plain JSON numbers)."""
    if isinstance(value, bool):
        raise InputError("stated", name, "expected a number, got a boolean")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InputError("stated", name, f"expected a number, got {value!r}") from None


def _plain(number: Decimal) -> str:
    """Format a Decimal without exponent or trailing zeros (12.50 → 12.5, 3.0 → 3)."""
    return format(number.normalize(), "f")


def _stated(stated: Mapping[str, object], name: str) -> object | None:
    """Return what the report said for *name*, or None when it said nothing (or it is not on record)."""
    off_record = stated.get("not_on_record") or ()
    if isinstance(off_record, Iterable) and not isinstance(off_record, str) and name in off_record:
        return None
    value = stated.get(name)
    return None if value in (None, "") else value


def figures_text(stated: Mapping[str, object]) -> str:
    """Return the casualty sentence, e.g. 死亡0人，失踪0人，重伤1人，受伤2人 (unstated figures 待核实)."""
    parts: list[str] = []
    for name in _FIGURE_ORDER:
        value = _stated(stated, name)
        if value is None:
            if name in _ALWAYS_STATED:
                parts.append(f"{_FIGURE_WORDS[name]}人数{UNKNOWN}")
            continue
        parts.append(f"{_FIGURE_WORDS[name]}{_plain(_number(name, value))}人")
    loss = _stated(stated, "direct_loss_yuan")
    if loss is not None:
        yuan = _number("direct_loss_yuan", loss)
        money = f"{_plain(yuan / 10000)}万元" if yuan >= 10000 else f"{_plain(yuan)}元"
        parts.append(f"直接经济损失{money}")
    return "，".join(parts)


def _severity_text(value: object | None) -> str:
    """Return the grade's label (I–IV or a code already in Chinese), or 待核实."""
    if value is None:
        return UNKNOWN
    if isinstance(value, Severity):
        return SEVERITY_LABELS[value]
    text = str(value).strip()
    try:
        return SEVERITY_LABELS[Severity(text.upper())]
    except ValueError:
        return text


def _time_text(stated: Mapping[str, object], name: str) -> str:
    value = _stated(stated, name)
    return UNKNOWN if value is None else chinese_time(_aware(name, value))


def _text(stated: Mapping[str, object], name: str) -> str:
    value = _stated(stated, name)
    return UNKNOWN if value is None else str(value)


def _subject(title: str) -> str:
    """Return an incident's title without a trailing 事件, so that 关于…事件的 never reads 事件事件."""
    return title[: -len("事件")] if title.endswith("事件") and len(title) > len("事件") else title


def report_title(incident_title: str, kind: ReportKind, sequence: int) -> str:
    """Return the document title: 关于…事件的信息首报 / 续报（二） / 终报 (a 续报 numbered 0 or less is unnumbered)."""
    name = f"信息{REPORT_KIND_LABELS[kind]}"
    if kind is ReportKind.FOLLOW_UP and sequence > 0:
        name += f"（{chinese_number(sequence)}）"
    return f"关于{_subject(incident_title)}事件的{name}"


def report_context(*, office: str, incident: Incident, kind: ReportKind, sequence: int, stated: Mapping[str, object],
                   changes: Sequence[str], signer: str | None, signed_at: datetime | None, urgency: str,
                   document_number: str, recipient: str, drill: bool) -> dict[str, object]:
    """Return the context of a 首报/续报/终报 document from what the report stated (stored JSON or values)."""
    # *sequence* numbers a 续报 (2 → 续报（二）); 0 when unknown leaves it unnumbered. Nothing the report did
    # not state is taken from the incident's record: an unstated field reads 待核实.
    return {
        "office": office,
        "recipient": recipient,
        "urgency": urgency,
        "document_number": document_number,
        "signer": signer or "",
        "drill": drill,
        "kind": REPORT_KIND_LABELS[kind],
        "sequence": sequence,
        "sequence_cn": chinese_number(sequence) if sequence > 0 else "",
        "title": report_title(incident.title, kind, sequence),
        "incident_id": incident.id,
        "incident_title": incident.title,
        "category": CATEGORY_LABELS[incident.category],
        "occurred_at": _time_text(stated, "occurred_at"),
        "known_at": _time_text(stated, "known_at"),
        "location": _text(stated, "location"),
        "severity": _severity_text(_stated(stated, "severity")),
        "summary": _text(stated, "summary"),
        "measures": _text(stated, "measures"),
        "figures_text": figures_text(stated),
        "changes": [str(change) for change in changes],
        "closed_at": chinese_time(incident.closed_at) if incident.closed_at is not None else UNKNOWN,
        "signed_at": chinese_time(signed_at) if signed_at is not None else "",
        "date_cn": chinese_date(signed_at) if signed_at is not None else BLANK_DATE,
        "printed_date": arabic_date(signed_at) if signed_at is not None else BLANK_DATE,
    }


class _Tally:
    """Counts behind one row of the monthly rates table."""

    __slots__ = ("accurate", "complete", "concealed", "false", "incidents", "late", "missing", "obligations",
                 "on_time", "reports")

    def __init__(self) -> None:
        self.incidents = self.obligations = self.on_time = self.reports = self.complete = self.accurate = 0
        self.late = self.missing = self.false = self.concealed = 0

    def add(self, other: _Tally) -> None:
        """Add another tally's counts to this one."""
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def row(self, unit: str) -> dict[str, object]:
        """Return the table row of this tally."""
        return {
            "unit": unit,
            "incidents": self.incidents,
            "obligations": self.obligations,
            "on_time": self.on_time,
            "on_time_rate": format_rate(self.on_time, self.obligations),
            "reports": self.reports,
            "complete": self.complete,
            "complete_rate": format_rate(self.complete, self.reports),
            "accurate": self.accurate,
            "accurate_rate": format_rate(self.accurate, self.reports),
            "late": self.late,
            "missing": self.missing,
            "false": self.false,
            "concealed": self.concealed,
        }


def _finding_row(number: int, unit: str, title: str, finding: Finding) -> dict[str, object]:
    """Return one line of the findings table."""
    if finding.obligation is not None:
        subject = OBLIGATION_LABELS[finding.obligation] + (f"（{finding.report}）" if finding.report else "")
    else:
        subject = finding.report or ""
    return {
        "no": number,
        "unit": unit,
        "incident": finding.incident,
        "incident_title": title,
        "type": FINDING_LABELS[finding.type],
        "subject": subject,
        "rule": finding.rule,
        "source": finding.source,
        "evidence": finding.evidence,
    }


def monthly_timeliness_context(*, office: str, month: str, result: AuditResult, units: Mapping[str, str],
                               document_number: str = "", recipient: str = MONTHLY_RECIPIENT) -> dict[str, object]:
    """Return the context of the monthly 及时性考核通报: rates per unit, every finding, drills apart."""
    # On-time rate = obligations met on time / obligations due by the audit; complete rate and accurate rate
    # are over the reports whose content is on record (a report without content cannot be judged), counting
    # those with no missing-element finding and no 谎报 finding respectively. Drills count in no rate.
    matched = _MONTH.match(month)
    if matched is None or not 1 <= int(matched.group(2)) <= 12:
        raise InputError("month", None, f"expected YYYY-MM, got {month!r}")
    year, month_number = int(matched.group(1)), int(matched.group(2))
    tallies: dict[str, _Tally] = {}
    findings: list[dict[str, object]] = []
    drills: list[dict[str, object]] = []
    drill_findings: list[dict[str, object]] = []
    for audit in result.incidents:
        incident = audit.incident
        unit = units.get(incident.id, office)
        if incident.drill:
            drills.append({"incident": incident.id, "title": incident.title, "unit": unit,
                           "findings": len(audit.findings)})
            for finding in audit.findings:
                drill_findings.append(_finding_row(len(drill_findings) + 1, unit, incident.title, finding))
            continue
        tally = tallies.setdefault(unit, _Tally())
        tally.incidents += 1
        for obligation in audit.obligations:
            if obligation.status is not ObligationStatus.OPEN:
                tally.obligations += 1
            if obligation.status is ObligationStatus.MET:
                tally.on_time += 1
        judged = {r.id for r in incident.reports if r.submitted_at <= result.audit_at and r.stated is not None}
        incomplete = {f.report for f in audit.findings if f.type is FindingType.MISSING and f.report in judged}
        inaccurate = {f.report for f in audit.findings if f.type is FindingType.FALSE and f.report in judged}
        tally.reports += len(judged)
        tally.complete += len(judged) - len(incomplete)
        tally.accurate += len(judged) - len(inaccurate)
        for finding in audit.findings:
            setattr(tally, finding.type.value, getattr(tally, finding.type.value) + 1)
            findings.append(_finding_row(len(findings) + 1, unit, incident.title, finding))
    total = _Tally()
    for tally in tallies.values():
        total.add(tally)
    month_text = f"{year}年{month_number}月"
    return {
        "office": office,
        "recipient": recipient,
        "document_number": document_number,
        "month": month,
        "month_text": month_text,
        "title": f"关于{month_text}突发事件信息报送及时性考核情况的通报",
        "units": [tally.row(unit) for unit, tally in tallies.items()],
        "totals": total.row(TOTAL_ROW),
        "findings": findings,
        "drills": drills,
        "drill_findings": drill_findings,
        "date_cn": chinese_date(result.audit_at),
        "printed_date": arabic_date(result.audit_at),
    }
