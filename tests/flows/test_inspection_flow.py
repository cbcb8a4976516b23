"""The inspection planning flow as a real Prefect run: creates the day's inspections once, notices the leaders."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emergency.clock import CN_TZ
from emergency.db.models import InspectionRow, OutboxRow
from emergency.plans.inspections import load_inspection_plan
from emergency.plans.schema import load_street
from emergency.receiver import Receiver
from emergency.services.hazard_sources import import_sources
from emergency.services.incidents import get_office
from emergency.services.organisation import load_street_into
from flows._runtime import runtime
from flows.deployments import build_deployments
from flows.inspection_flow import inspection_planning
from tests.integration.support import ROOT

pytestmark = pytest.mark.usefixtures("prefect_harness")

AS_OF = datetime(2026, 11, 26, 7, 0, tzinfo=CN_TZ)


def test_planning_flow_runs_once_per_period_and_is_scheduled_daily(office_env: tuple[Path, Receiver]) -> None:
    """A run creates and notifies; a second run with the same as_of creates nothing; the deployment runs at 07:00."""
    rt = runtime()
    with rt.sessions.begin() as session:
        office = get_office(session, name=rt.settings.office)
        load_street_into(session, office=office, street=load_street(rt.settings.plans_dir / "street.yaml"))
        import_sources(session, office=office, path=ROOT / "examples" / "hazard-sources-zhengyang.csv", now=AS_OF,
                       plan=load_inspection_plan(rt.settings.plans_dir))
    first = inspection_planning(as_of=AS_OF)
    assert first["created"] == first["due"] > 0 and first["notices"] == 5
    assert first["delivered"]["due"] == 5  # queued: no WeCom robot is configured in the test
    second = inspection_planning(as_of=AS_OF)
    assert (second["created"], second["notices"]) == (0, 0)
    with rt.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(InspectionRow)) == first["due"]
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 5
    [deployment] = [d for d in build_deployments() if d.name == "inspection"]
    [schedule] = deployment.schedules
    assert schedule.schedule.cron == "0 7 * * *"  # type: ignore[union-attr]
    assert schedule.schedule.timezone == "Asia/Shanghai"  # type: ignore[union-attr]
