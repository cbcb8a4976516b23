"""The daily audit and the monthly timeliness report (月度信息报送及时性考核通报)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from prefect import flow, task

from emergency.clock import to_local
from emergency.services.audits import audit_database
from emergency.services.incidents import get_office
from emergency.services.timeliness import issue_monthly_report, month_bounds, previous_month
from emergency.timelines import findings_document
from flows._runtime import resolve_as_of, runtime
from flows.delivery_flow import deliver_outbox_task, report_channels


@task(name="audit-period")
def audit_task(start: datetime, end: datetime, as_of: datetime) -> dict[str, Any]:
    """Audit the incidents that occurred in [start, end] as they stand at as_of; write the findings file."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        result = audit_database(session, rules=rt.rules, office=office, start=start, end=end, at=as_of)
    document = findings_document(result)
    out = rt.settings.output_dir / f"findings-{to_local(as_of):%Y%m%d-%H%M}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return {"file": str(out), "summary": document["summary"], "findings": len(document["findings"])}


@flow(name="daily-audit")
def daily_audit(as_of: datetime | None = None, days: int = 30) -> dict[str, Any]:
    """Audit the last *days* days of incidents every morning, so a missed report is seen the next day at latest."""
    at = resolve_as_of(as_of)
    return audit_task(at - timedelta(days=days), at, at)


@task(name="monthly-timeliness-report")
def monthly_report_task(month: str, as_of: datetime) -> dict[str, Any]:
    """Write the month's timeliness report (.docx) and queue it for the district."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        issued = issue_monthly_report(session, rules=rt.rules, office=office, month=month, now=as_of,
                                      channels=report_channels(), out_dir=rt.settings.output_dir,
                                      templates_dir=rt.settings.templates_dir)
    return {"month": month, "document": str(issued.document), "outbox": list(issued.outbox_ids),
            "summary": issued.summary}


@flow(name="monthly-timeliness")
def monthly_timeliness(month: str | None = None, as_of: datetime | None = None) -> dict[str, Any]:
    """On the 1st at 09:00: report last month's on-time, complete and accurate rates with every finding."""
    at = resolve_as_of(as_of)
    chosen = month or previous_month(at)
    month_bounds(chosen)  # a bad month fails here, before anything is written
    report = monthly_report_task(chosen, at)
    delivered = deliver_outbox_task(at)
    return {**report, "delivered": delivered}
