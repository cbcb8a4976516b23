"""The 应急准备情况报告: plans, drills, supplies, hazards, warnings, the reporting record and the district's support."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prefect import flow, task

from emergency.domain.readiness import Period, PeriodKind, cut_off, period_of, previous_quarter
from emergency.services.incidents import get_office
from emergency.services.readiness import write_readiness_report
from flows._runtime import resolve_as_of, runtime


@task(name="readiness-report")
def readiness_report_task(kind: str, first: date, last: date, label: str, as_of: datetime) -> dict[str, Any]:
    """Write the period's report as it stands at as_of; a retry writes the same file again."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        written = write_readiness_report(session, office=office, rules=rt.rules,
                                         period=Period(PeriodKind(kind), first, last, label), as_of=as_of,
                                         recipient=rt.settings.district_recipient, out_dir=rt.settings.output_dir,
                                         templates_dir=rt.settings.templates_dir, plans_dir=rt.settings.plans_dir)
    return written.as_dict()


@flow(name="readiness-report")
def readiness_report(start: str | None = None, end: str | None = None, quarter: str | None = None,
                     year: str | None = None, as_of: datetime | None = None) -> dict[str, Any]:
    """On the 1st of each quarter: write the last quarter's report (or the period named: dates, quarter or year)."""
    at = resolve_as_of(as_of)
    named = any(value is not None for value in (start, end, quarter, year))
    period = period_of(start=start, end=end, quarter=quarter, year=year) if named else previous_quarter(at)
    cut_off(period, at)  # a bad or future period fails here, before anything is written
    return readiness_report_task(period.kind.value, period.first, period.last, period.label, at)
