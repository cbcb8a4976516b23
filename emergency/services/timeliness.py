"""The monthly timeliness report: rates per unit and every finding, rendered and queued for the district."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from emergency.clock import CN_TZ, to_local
from emergency.db.models import Office
from emergency.errors import InputError
from emergency.plans.rules import ReportingRules
from emergency.reporting.contexts import monthly_timeliness_context
from emergency.reporting.documents import render_document
from emergency.services.audits import audit_database
from emergency.services.outbox import enqueue


@dataclass(frozen=True, slots=True)
class IssuedMonthly:
    """The month's report and its queued deliveries."""

    document: Path
    outbox_ids: tuple[int, ...]
    summary: dict[str, int]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """Return the first and last instant of a month 'YYYY-MM' in Asia/Shanghai."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InputError("monthly report", "month", f"{month!r} is not a month like 2026-11") from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = datetime.combine(first, time(0), tzinfo=CN_TZ)
    return start, datetime.combine(following, time(0), tzinfo=CN_TZ) - timedelta(microseconds=1)


def previous_month(at: datetime) -> str:
    """Return the month before *at* (Asia/Shanghai) as 'YYYY-MM'."""
    local = to_local(at).date().replace(day=1) - timedelta(days=1)
    return f"{local:%Y-%m}"


def issue_monthly_report(session: Session, *, rules: ReportingRules, office: Office, month: str, now: datetime,
                         channels: Sequence[str], out_dir: Path, templates_dir: Path) -> IssuedMonthly:
    """Audit the month's incidents as they stand now, render the report and queue it (one transaction)."""
    start, end = month_bounds(month)
    result = audit_database(session, rules=rules, office=office, start=start, end=end, at=now)
    context = monthly_timeliness_context(office=office.name, month=month, result=result, units={})
    path = render_document("monthly_timeliness.docx", context, out_dir / f"timeliness-{month}.docx", templates_dir)
    s = result.summary
    summary: dict[str, Any] = {"incidents": s.incidents, "obligations": s.obligations, "on_time": s.on_time,
                               "late": s.late, "missing": s.missing, "false": s.false, "concealed": s.concealed}
    ids = tuple(
        enqueue(session, key=f"timeliness-{office.id}-{month}-{to_local(now):%Y%m%d%H%M}-{channel}",
                topic="report", channel=channel, subject=f"{office.name}{month}信息报送及时性考核通报",
                body={"office": office.name, "month": month, "summary": summary}, attachment=path, now=now)
        for channel in channels
    )
    return IssuedMonthly(path, ids, summary)
