"""The monthly 隐患排查治理台账: completion rates per community, open hazards by age and grade, rectification times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from emergency.domain.inspections import ROUTINE
from emergency.domain.ledgers import cut_off, previous_month
from emergency.labels import INSPECTION_REASON_ROUTINE
from emergency.plans.inspections import load_inspection_plan
from emergency.services.incidents import get_office
from emergency.services.ledgers import write_inspection_ledger
from flows._runtime import resolve_as_of, runtime


@task(name="inspection-ledger")
def inspection_ledger_task(month: str, as_of: datetime) -> dict[str, Any]:
    """Write the month's ledger (.docx and .xlsx) as it stands at as_of; a retry writes the same files again."""
    rt = runtime()
    plan = load_inspection_plan(rt.settings.plans_dir)
    names = {ROUTINE: INSPECTION_REASON_ROUTINE, **plan.campaign_names()}
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        written = write_inspection_ledger(session, office=office, month=month, as_of=as_of,
                                          out_dir=rt.settings.output_dir, templates_dir=rt.settings.templates_dir,
                                          names=names)
    return written.as_dict()


@flow(name="inspection-report")
def inspection_report(month: str | None = None, as_of: datetime | None = None) -> dict[str, Any]:
    """On the 1st: write last month's 隐患排查治理台账 (or *month*'s, judged at the month's end or as_of if earlier)."""
    at = resolve_as_of(as_of)
    chosen = month or previous_month(at)
    cut_off(chosen, at)  # a bad or future month fails here, before anything is written
    return inspection_ledger_task(chosen, at)
