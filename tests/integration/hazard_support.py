"""Builders for hazard tests: the example street with its register and planned inspections, results, steps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from emergency.clock import CN_TZ
from emergency.db.models import HazardSourceRow, InspectionRow
from emergency.db.session import unit_of_work
from emergency.delivery_config import load_delivery
from emergency.domain.enums import HazardAction
from emergency.plans.hazards import load_hazard_plan
from emergency.plans.inspections import load_inspection_plan
from emergency.plans.loader import DEFAULT_PLANS_DIR
from emergency.plans.schema import load_street
from emergency.reporting.documents import DEFAULT_TEMPLATES
from emergency.services.hazard_sources import import_sources
from emergency.services.hazards import HazardSummary, Paperwork, RecordedResult, ResultIn, StepIn, record_result, take_step
from emergency.services.incidents import get_office
from emergency.services.inspections import plan_inspections
from emergency.services.organisation import load_street_into
from tests.integration.support import OFFICE, ROOT

PLAN = load_hazard_plan()
PLANNED = datetime(2026, 11, 26, 7, 0, tzinfo=CN_TZ)
"""When the example register is planned: the inspections of late November 2026."""
EXAMPLE_SOURCES = ROOT / "examples" / "hazard-sources-zhengyang.csv"
DISTRICT = "绿园区人民政府总值班室、绿园区应急管理局"


def seed(sessions: sessionmaker[Session], at: datetime = PLANNED) -> None:
    """Load the street, import the example register and plan the inspections due at *at*."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        load_street_into(session, office=office, street=load_street(DEFAULT_PLANS_DIR / "street.yaml"))
        plan = load_inspection_plan()
        import_sources(session, office=office, path=EXAMPLE_SOURCES, now=at, plan=plan)
        plan_inspections(session, office=office, plan=plan, as_of=at, channels=("duty_wecom",))


def inspection_id(sessions: sessionmaker[Session], code: str, period: str | None = None) -> int:
    """Return the id of the source's inspection for *period* (its first one when None)."""
    with unit_of_work(sessions) as session:
        query = (select(InspectionRow.id).join(HazardSourceRow, HazardSourceRow.id == InspectionRow.source_id)
                 .where(HazardSourceRow.code == code).order_by(InspectionRow.id))
        if period is not None:
            query = query.where(InspectionRow.period_key == period)
        found = session.scalars(query).first()
        assert found is not None, (code, period)
        return found


def paperwork(folder: Path) -> Paperwork:
    """Documents into *folder*/out, the shipped routes and templates."""
    return Paperwork(load_delivery(), DISTRICT, folder / "out", DEFAULT_TEMPLATES)


def record(sessions: sessionmaker[Session], folder: Path, now: datetime, **fields: Any) -> RecordedResult:
    """Record one result in one unit of work; photos are relative to *folder*."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return record_result(session, office=office, plan=PLAN, data=ResultIn.model_validate(fields), now=now,
                             paperwork=paperwork(folder), photos_base=folder)


def step(sessions: sessionmaker[Session], number: str, action: HazardAction, by: str, now: datetime,
         **fields: Any) -> HazardSummary:
    """Take one step of a hazard in one unit of work."""
    with unit_of_work(sessions) as session:
        office = get_office(session, name=OFFICE)
        return take_step(session, office=office, plan=PLAN, number=number, now=now, photos_base=Path.cwd(),
                         step=StepIn(action, by, **fields))


def finding(**changes: Any) -> dict[str, Any]:
    """A general finding as the grid app sends it."""
    return {"description": "餐馆燃气软管老化开裂", "grade": "一般", "category": "物", "measures": "更换燃气软管",
            "responsible_person": "马建国", **changes}
